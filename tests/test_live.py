"""What a run shows while it works: each check's line as it finishes, and training's progress with the time left."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from audit.live import LiveProgress, Pace, seconds_left, time_left_text
from tests.conftest import LABEL, planted_pair

CHECK_LINE = re.compile(r"^check (\w+): (?:(\d+) findings? \(worst: (\w+)\)|nothing found|skipped|crashed)")
PROGRESS_LINE = re.compile(r"^\[\s*\d+\.\d+s\] ")
VERDICT = re.compile(r"^(PASSED|FAILED): ")


def test_time_left_counts_each_fits_slow_first_epoch_and_the_faster_epochs_after_it():
    pace = Pace(first_epoch_s=10.0, epoch_s=1.0)
    assert seconds_left(pace, epochs_left=3, fits_left=0, epochs_per_fit=4) == pytest.approx(3.0)
    assert seconds_left(pace, epochs_left=1, fits_left=2, epochs_per_fit=4) == pytest.approx(1 + 2 * (10 + 3))
    assert seconds_left(pace, epochs_left=0, fits_left=0, epochs_per_fit=4) == 0.0
    # only a first epoch measured: no pace for the others yet, unless no other epoch is left
    assert seconds_left(Pace(first_epoch_s=10.0), epochs_left=3, fits_left=1, epochs_per_fit=4) is None
    assert seconds_left(Pace(first_epoch_s=10.0), epochs_left=0, fits_left=2, epochs_per_fit=1) == pytest.approx(20.0)
    assert seconds_left(Pace(), epochs_left=4, fits_left=1, epochs_per_fit=4) is None


@pytest.mark.parametrize("seconds, text", [
    (None, "estimating the time left"), (0.0, "done"), (0.3, "about 1 s left"), (44.6, "about 45 s left"),
    (65.0, "about 1 min 05 s left"), (3599.4, "about 59 min 59 s left"), (3725.0, "about 1 h 02 min left"),
])
def test_time_left_reads_in_seconds_minutes_or_hours(seconds, text):
    assert time_left_text(seconds) == text


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def train(live: LiveProgress, clock: Clock, fits: int, epochs: int, *, planned: bool = True,
          first_epoch_s: float = 1.0) -> None:
    """What the Keras callbacks of :mod:`audit.training.watch` tell a display, fit by fit; an
    epoch takes a second, a fit's first ``first_epoch_s``."""
    if planned:
        live.training_planned(fits, epochs)
    for _ in range(fits):
        live.fit_started(epochs)
        for epoch in range(1, epochs + 1):
            clock.now += first_epoch_s if epoch == 1 else 1.0
            live.epoch_finished(epoch)
        live.fit_finished()


def test_progress_lines_estimate_the_time_left_across_the_planned_fits():
    clock, stream = Clock(), io.StringIO()
    live = LiveProgress(status=stream, periodic=True, interval_s=2.5, clock=clock)
    live("baseline: 3 seeds x 4 epochs on raw and fixed data")
    train(live, clock, fits=2, epochs=4)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "[   0.0s] baseline: 3 seeds x 4 epochs on raw and fixed data",
        "[   3.0s] baseline: fit 1/2, epoch 3/4, about 5 s left",  # every 2.5 s: 3 of 8 epochs in 3 s
        "[   4.0s] baseline: fit 1/2, epoch 4/4, about 4 s left",  # a line at each fit's end
        "[   7.0s] baseline: fit 2/2, epoch 3/4, about 1 s left",
        "[   8.0s] baseline: fit 2/2, epoch 4/4, done",
    ]


def test_a_slow_first_epoch_is_not_taken_for_the_pace_of_the_others():
    clock, stream = Clock(), io.StringIO()
    live = LiveProgress(status=stream, periodic=True, interval_s=0.5, clock=clock)
    live("baseline: 1 seed x 10 epochs on raw and fixed data")
    train(live, clock, fits=2, epochs=10, first_epoch_s=30.0)
    lines = stream.getvalue().splitlines()
    assert lines[1:3] == ["[  30.0s] baseline: fit 1/2, epoch 1/10, estimating the time left",
                          "[  31.0s] baseline: fit 1/2, epoch 2/10, about 47 s left"]  # 8 + (30 + 9)
    assert lines[-1] == "[  78.0s] baseline: fit 2/2, epoch 10/10, done"


def test_a_fit_no_stage_announced_is_a_stage_of_its_own():
    clock, stream = Clock(), io.StringIO()
    live = LiveProgress(status=stream, periodic=True, interval_s=100, clock=clock)
    live("baseline: 1 seed x 2 epochs")
    train(live, clock, fits=2, epochs=2)
    live("diagnose: 12 variants x 2 seeds x 5 epochs on 500 rows")
    train(live, clock, fits=1, epochs=5, planned=False)
    assert stream.getvalue().splitlines()[-1] == "[   9.0s] diagnose: fit 1/1, epoch 5/5, done"


def test_without_periodic_lines_a_stream_that_is_not_a_terminal_gets_nothing():
    clock, stream = Clock(), io.StringIO()
    live = LiveProgress(status=stream, periodic=False, clock=clock)
    live("baseline: 1 seed x 3 epochs")
    train(live, clock, fits=2, epochs=3)
    live.close()
    assert stream.getvalue() == ""


def write_pair(folder):
    pair = planted_pair()
    pair.train.to_csv(folder / "train.csv", index=False)
    pair.val.to_csv(folder / "val.csv", index=False)
    return folder / "train.csv", folder / "val.csv"


def audit_command(train, val, out, *extra: str) -> list[str]:
    return [sys.executable, "-m", "audit.cli", "run", "--train", str(train), "--val", str(val), "--label", LABEL,
            "--id-column", "id", "--group-column", "group", "--out", str(out), "--no-accepted", *extra]


def test_each_check_prints_its_line_on_stdout_as_it_finishes_before_the_verdict(tmp_path):
    train, val = write_pair(tmp_path)
    # class_balance finishes in milliseconds; label_issues cross-validates for seconds after it.
    command = audit_command(train, val, tmp_path / "out", "--no-baseline", "--checks",
                            "class_balance,duplicates,exact_leakage,group_leakage,temporal_leakage,label_issues")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = process.stdout.readline()
    still_running = process.poll() is None
    rest, stderr = process.communicate(timeout=300)
    assert process.returncode == 1, stderr
    assert first.startswith("check class_balance: ") and still_running, "the first check's line waited for the run"
    lines = [first.rstrip("\n"), *rest.splitlines()]

    report = json.loads((tmp_path / "out" / "train.json").read_text())
    live = [(i, CHECK_LINE.match(line)) for i, line in enumerate(lines) if CHECK_LINE.match(line)]
    assert [m.group(1) for _, m in live] == [r["check"] for r in report["checks"]]  # in the order they ran
    for (_, match), result in zip(live, report["checks"]):
        if result["findings"]:
            assert (int(match.group(2)), match.group(3)) == (len(result["findings"]), result["severity"])
    assert "check temporal_leakage: skipped: no time column was given (--time-column)" in lines
    verdict = next(i for i, line in enumerate(lines) if VERDICT.match(line))
    first_finding = next(i for i, line in enumerate(lines) if line.startswith("FAIL "))
    assert max(i for i, _ in live) < first_finding < verdict  # then the final report, whole
    assert stderr == ""  # not a terminal and no --progress: no progress lines


def test_json_output_stays_json_and_quiet_stays_one_line(tmp_path):
    train, val = write_pair(tmp_path)
    for extra, check in ((["--format", "json"], json.loads), (["--quiet"], lambda out: VERDICT.match(out))):
        done = subprocess.run(audit_command(train, val, tmp_path / "out", "--no-baseline", "--checks",
                                            "class_balance,duplicates", *extra), capture_output=True, text=True)
        assert done.returncode == 1, done.stderr
        assert "check class_balance" not in done.stdout and check(done.stdout)


@pytest.mark.slow
def test_progress_lines_reach_a_log_only_with_the_progress_flag(tmp_path):
    train, val = write_pair(tmp_path)
    training = ["--checks", "class_balance,duplicates", "--seeds", "1", "--epochs", "3"]  # duplicates: 2 fits
    asked = subprocess.run(audit_command(train, val, tmp_path / "a", *training, "--progress"), capture_output=True,
                           text=True, timeout=600)
    silent = subprocess.run(audit_command(train, val, tmp_path / "b", *training), capture_output=True, text=True,
                            timeout=600)
    assert asked.returncode == silent.returncode == 1, asked.stderr + silent.stderr  # conflicting labels fail
    lines = asked.stderr.splitlines()
    assert all(PROGRESS_LINE.match(line) for line in lines), lines
    assert any(line.endswith("] check class_balance") for line in lines)
    fits = [line for line in lines if re.search(r"\] baseline: fit [12]/2, epoch 3/3, ", line)]
    assert len(fits) == 2 and fits[-1].endswith(", done"), lines
    assert silent.stderr == ""
