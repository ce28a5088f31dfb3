"""An interrupted run leaves no half-written file and no changed input.

Every file the audit writes goes through :func:`audit.output.write_atomic` (a temporary file
in the same folder, renamed into place), so a reader finds either the previous file or the
new one. The runs here are killed for real: `audit run` in a subprocess, killed with SIGKILL
or interrupted with SIGINT while the baseline network trains, and a write killed half-way.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.cli import main
from audit.output import write_atomic

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="watches the child through /proc")

TRAINING_CPU_S = 6.0  # CPU seconds after TensorFlow is mapped: its import (~3 s) and the model build are over


def small_pair(folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 4)).round(4), columns=list("abcd"))
    frame["y"] = np.where(frame["a"] + rng.normal(size=300) > 0, "p", "q")
    train, val = folder / "train.csv", folder / "val.csv"
    frame.iloc[:200].to_csv(train, index=False)
    frame.iloc[200:].to_csv(val, index=False)
    return train, val


def digest(*paths: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_training(process: subprocess.Popen, timeout_s: float = 300) -> None:
    """Until TensorFlow is mapped into the child and it has worked TRAINING_CPU_S more."""
    deadline = time.monotonic() + timeout_s
    mapped_at = None
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the run ended before it was interrupted: {process.communicate()}"
        if mapped_at is None:
            if "tensorflow" in Path(f"/proc/{process.pid}/maps").read_text():
                mapped_at = cpu_seconds(process.pid)
        elif cpu_seconds(process.pid) - mapped_at >= TRAINING_CPU_S:
            return
        time.sleep(0.2)
    process.kill()
    pytest.fail("the baseline did not start training in time")


def start_audit(train: Path, val: Path, out: Path) -> subprocess.Popen:
    """`audit run` with a baseline long enough to be caught training (500 epochs, about a minute)."""
    return subprocess.Popen(
        [sys.executable, "-m", "audit.cli", "run", "--train", str(train), "--val", str(val), "--label", "y",
         "--out", str(out), "--no-accepted", "--checks", "class_balance", "--seeds", "1", "--epochs", "500",
         "--baseline-budget", "3600"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def previous_report(train: Path, val: Path, out: Path) -> bytes:
    """A complete report from an earlier run, which an interrupted run must leave as it was."""
    assert main(["run", "--train", str(train), "--val", str(val), "--label", "y", "--out", str(out), "--no-accepted",
                 "--checks", "class_balance", "--no-baseline", "--quiet"]) == 0
    return (out / "train.json").read_bytes()


def assert_nothing_half_written(out: Path, before: bytes) -> None:
    """The report is the earlier one, byte for byte; every report there is complete JSON."""
    assert (out / "train.json").read_bytes() == before
    for path in out.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
    assert (out / "train.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert not list(out.glob(".*.tmp")), "a temporary file was left behind"


@pytest.mark.slow
def test_sigkill_while_the_baseline_trains_leaves_the_previous_report_and_the_inputs(tmp_path):
    train, val = small_pair(tmp_path)
    out = tmp_path / "out"
    before = previous_report(train, val, out)
    inputs = digest(train, val)

    process = start_audit(train, val, out)
    wait_until_training(process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)

    assert process.returncode == -signal.SIGKILL
    assert_nothing_half_written(out, before)
    assert digest(train, val) == inputs


STOPPED_BY = {
    signal.SIGINT: "audit: interrupted; files already written are complete, the others were not written\n",
    signal.SIGTERM: "audit: stopped by SIGTERM; files already written are complete, the others were not written\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_a_signal_while_the_baseline_trains_stops_with_one_line_and_exit_code_128_plus_it(tmp_path, sent):
    train, val = small_pair(tmp_path)
    out = tmp_path / "out"
    before = previous_report(train, val, out)
    inputs = digest(train, val)

    process = start_audit(train, val, out)
    wait_until_training(process)
    interrupted_at = time.monotonic()
    process.send_signal(sent)
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == 128 + sent, stderr  # 130 for Ctrl-C
    assert stderr == STOPPED_BY[sent]
    assert [line.split(":")[0] for line in stdout.splitlines()] == ["check class_balance"]  # the check's line, no report
    assert time.monotonic() - interrupted_at < 60, "training went on after the signal"
    assert_nothing_half_written(out, before)
    assert digest(train, val) == inputs


def test_a_write_killed_half_way_leaves_the_previous_file(tmp_path):
    target = tmp_path / "report.json"
    target.write_text('{"previous": true}\n')
    child = textwrap.dedent("""
        import os, sys, time
        from pathlib import Path
        from audit.output import write_atomic

        real_fdopen = os.fdopen

        class HalfThenHang:
            def __init__(self, stream):
                self.stream = stream
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return self.stream.__exit__(*exc)
            def write(self, data):
                self.stream.write(data[: len(data) // 2])
                self.stream.flush()
                print("half written", flush=True)
                time.sleep(120)

        os.fdopen = lambda *args, **kwargs: HalfThenHang(real_fdopen(*args, **kwargs))
        write_atomic(Path(sys.argv[1]), '{"new": "' + "x" * 1_000_000 + '"}')
    """)
    process = subprocess.Popen([sys.executable, "-c", child, str(target)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "half written\n"
    temporary = [p for p in tmp_path.iterdir() if p.name.startswith(".report.json.")]
    assert len(temporary) == 1 and temporary[0].stat().st_size > 400_000  # the half, beside the target
    process.kill()
    process.communicate(timeout=30)

    assert target.read_text() == '{"previous": true}\n'


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError(28, "No space left on device")])
def test_a_failed_write_keeps_the_previous_file_and_removes_its_temporary(tmp_path, monkeypatch, failure):
    target = tmp_path / "report.html"
    target.write_text("<html>previous</html>\n")

    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(type(failure) if isinstance(failure, BaseException) else failure):
        write_atomic(target, "<html>new</html>\n")
    assert target.read_text() == "<html>previous</html>\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_a_written_file_keeps_the_permissions_of_the_umask(tmp_path):
    mask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "sub" / "report.json", "{}")
    finally:
        os.umask(mask)
    assert path.read_text() == "{}" and path.stat().st_mode & 0o777 == 0o644


# What may write a file, and why; everything else goes through write_atomic.
WRITES = re.compile(r"write_text\(|write_bytes\(|\bopen\([^)]*['\"][wax]b?['\"]|\.to_csv\(\s*[^)\s=]+\s*[,)]|\.to_parquet\(|"
                    r"\bnp\.save|\bsavez|\.write\.(csv|parquet|save|mode)|saveAsTable|shutil\.(copy|move)")
ALLOWED_WRITES = {
    ("audit/cli.py", "print_github"),       # appends to $GITHUB_STEP_SUMMARY, as Actions asks
    ("audit/fixed_files.py", "fixed_npz"),  # a member of an in-memory zip archive
    ("audit/images/fixed.py", "link_or_copy"),  # a picture linked (else copied) into the new fixed folders
    ("audit/images/synthetic.py", "write"),  # generated pictures, in a folder the generator makes
    ("audit/images/demo.py", "write_demo_folders"),  # the image demo's own folder, only ever the demo's
    ("audit/tickets.py", "save_text_pair"),  # a generated ticket pair, for benchmarks, in a folder of its own
    ("audit/spark/session.py", "start_driver_jvm"),  # appends to the JVM's own log file
    ("audit/validate/outputs.py", "refuse_unwritable"),  # opened for appending, nothing written: can it be?
    ("audit/validate/files.py", "refuse_not_npy"),  # np.save named in an error message
}


def test_every_file_is_written_through_write_atomic():
    root = Path(__file__).resolve().parents[1]
    found = set()
    for path in sorted(p for folder in ("audit", "checks") for p in (root / folder).rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            if WRITES.search(line.split("#", 1)[0]):
                function = next((m.group(1) for m in (re.match(r"\s*def (\w+)", l) for l in reversed(lines[:index + 1]))
                                 if m), "<module>")
                found.add((str(path.relative_to(root)), function))
    assert found <= ALLOWED_WRITES, sorted(found - ALLOWED_WRITES)
