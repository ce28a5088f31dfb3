"""SIGTERM and SIGHUP end a run as Ctrl-C does: one line, exit 128 + the signal, nothing lost.

The signals are real: sent to an ``audit run`` child process, once while its checks run
(the check sends it to its own process, so the moment is exact); a signal while the baseline
network trains is tested with Ctrl-C in tests/test_interrupt.py.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from tests.test_interrupt import (
    assert_nothing_half_written,
    digest,
    previous_report,
    small_pair,
)

SIGNALLED_WHILE_CHECKING = textwrap.dedent("""
    import os, signal, sys, time
    import audit.run
    from audit.cli import main

    checked = audit.run.check

    def check_then_signal(*args, **kwargs):
        checked(*args, **kwargs)
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))
        time.sleep(60)  # the signal ends the run before this does

    audit.run.check = check_then_signal
    sys.exit(main(sys.argv[2:]))
""")


def expected_line(name: str) -> str:
    return f"audit: stopped by {name}; files already written are complete, the others were not written\n"


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_signal_while_the_checks_run_stops_with_one_line(tmp_path, name):
    train, val = small_pair(tmp_path)
    out = tmp_path / "out"
    before = previous_report(train, val, out)
    inputs = digest(train, val)

    child = subprocess.run(
        [sys.executable, "-c", SIGNALLED_WHILE_CHECKING, name, "run", "--train", str(train), "--val", str(val),
         "--label", "y", "--out", str(out), "--no-accepted", "--checks", "class_balance", "--no-baseline"],
        capture_output=True, text=True, timeout=120)

    assert child.returncode == 128 + getattr(signal, name), child.stderr
    assert child.stderr == expected_line(name)
    assert_nothing_half_written(out, before)
    assert digest(train, val) == inputs

