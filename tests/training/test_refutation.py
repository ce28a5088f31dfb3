"""Real training refutes label findings whose fixes drop correct, informative rows.

The planted set is clean: three classes, class ``p`` spread wide along ``a``. The given
out-of-fold probabilities (``pred_probs``, as from an outside model that never learned that
half of ``p``) confidently contradict every ``p`` row with ``a`` above 0.5, so
``label_issues`` flags exactly those rows, strongly, at warn. The fix plan drops them, and
the small real Keras baseline trained without them predicts ``q`` where val still has ``p``:
its loss on the clean reference set rises far beyond the seed spread. The verdict must say
the fixes made the model worse, and the train finding must be marked not confirmed while
the val finding (info, so not applied) stays unmarked. Two seeds, ten epochs, four columns:
seconds of training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.api import run_audit
from checks import Severity

CLASSES = np.array(["p", "q", "r"])
CENTRES = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
SPREADS = np.array([[2.0, 1.0], [1.0, 1.0], [1.0, 1.0]])


def _draw(rng: np.random.Generator, n: int) -> pd.DataFrame:
    codes = np.arange(n) % len(CLASSES)
    informative = CENTRES[codes] + rng.normal(size=(n, 2)) * SPREADS[codes]
    x = np.hstack([informative, rng.normal(size=(n, 2))])
    return pd.DataFrame(np.round(x, 4), columns=["a", "b", "c", "d"]).assign(label=CLASSES[codes])


def _contradicted_clean_set(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, set[int]]:
    """Clean train and val, probabilities that contradict the ``p`` rows with ``a`` > 0.5, and those rows."""
    rng = np.random.default_rng(seed)
    train, val = _draw(rng, 300), _draw(rng, 150)
    codes = np.searchsorted(CLASSES, train["label"].to_numpy())
    probs = np.full((len(train), len(CLASSES)), 0.05)
    probs[np.arange(len(train)), codes] = 0.9
    contradicted = (codes == 0) & (train["a"].to_numpy() > 0.5)
    probs[contradicted] = [0.03, 0.94, 0.03]
    return train, val, probs, set(np.flatnonzero(contradicted).tolist())


@pytest.mark.slow
def test_fixes_that_drop_correct_informative_rows_are_refuted_by_real_training() -> None:
    train, val, probs, contradicted = _contradicted_clean_set()
    report = run_audit(train, val, label="label", checks=["label_issues"], pred_probs=probs,
                       baseline={"seeds": 2, "epochs": 10})
    findings = {f.metrics["split"]: f for _, f in report.all_findings}
    assert {row["row"] for row in findings["train"].rows} == contradicted and len(contradicted) > 30
    assert findings["train"].severity == Severity.WARN and findings["val"].severity == Severity.INFO

    verdict = report.baseline.verdict
    assert verdict.code == "fixes_hurt", verdict.text
    assert verdict.text.startswith("The fixes made the model worse")
    reference = report.baseline.comparison.reference_loss
    assert reference.fixed > 1.1 * reference.raw

    unconfirmed = report.unconfirmed
    assert unconfirmed.reason(findings["val"]) is None  # info: not applied, so not tested
    reason = unconfirmed.reason(findings["train"])
    assert reason is not None and reason.startswith("the fixes raised the baseline's loss on the clean reference set")
    marked = [f for check in report.to_dict()["checks"] for f in check["findings"] if "confirmed" in f]
    assert [(f["metrics"]["split"], f["confirmed"]) for f in marked] == [("train", False)]
