"""The text demo: generated support tickets (audit/tickets.py) with known problems planted.

Tickets of about 40 words in four overlapping queues, with a priority and a channel column
beside the text: byte copies, copies changed in case and spacing, copies with a word or two
changed, a typo, a signature or a cut end, copies in val, copies with another label, and
flipped labels. The planted rows are recorded, so a user can check the report against the
truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audit.demo import write_demo_pair
from audit.progress import Progress, no_progress
from audit.report import AuditReport
from audit.tickets import LABEL, TEXT, TextPair, make_text_pair

N_TRAIN = 2000
N_VAL = 500
FLIPPED_FRACTION = 0.20


@dataclass
class TextDemoPair:
    """The files' frames and the generator's truth."""

    train: pd.DataFrame
    val: pd.DataFrame
    truth: TextPair

    def describe(self) -> str:
        kinds = pd.Series([f"{c.split} {c.kind}" for c in self.truth.copies]).value_counts().sort_index()
        lines = [f"demo --text: support tickets, {len(self.train)} train rows and {len(self.val)} val rows, planted:"]
        lines += [f"  copies ({kind}): {n} rows" for kind, n in kinds.items()]
        lines += [f"  wrong labels ({split}): {len(rows)} rows" for split, rows in self.truth.label_issues.items()]
        return "\n".join(lines)


def make_text_demo_pair(seed: int = 0) -> TextDemoPair:
    pair = make_text_pair(N_TRAIN, N_VAL, seed=seed, flip_fraction=FLIPPED_FRACTION)
    return TextDemoPair(pair.train, pair.val, pair)


def run_text_demo(out: Path, seed: int = 0, baseline: dict | None = None, progress: Progress = no_progress, *,
                  diagnose: bool = False, diagnose_budget_s: float | None = None) -> tuple[AuditReport, TextDemoPair]:
    """Write the ticket pair into ``out/demo-text`` and audit those files as a user would, the text
    column declared, fix plan and baseline included, then, with ``diagnose``, the diagnosis."""
    from audit.config import Settings, configure
    from audit.engines.base import Inputs
    from audit.run import Job, run_job

    pair = make_text_demo_pair(seed)
    train_path, val_path = write_demo_pair(pair, out / "demo-text")
    settings = Settings(label=LABEL, text_columns=(TEXT,), seed=seed, out=str(out), baseline=baseline or {})
    job = Job(configure(settings, {}), Inputs(train_path, val_path), diagnose=diagnose,
              diagnose_budget_s=diagnose_budget_s, extra_settings={"demo": "text"})
    return run_job(job, progress).report, pair
