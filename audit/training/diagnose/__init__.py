"""Diagnose a stalling validation loss: one controlled experiment a cause, each with a remedy.

Training loss keeps falling while validation loss converges early. The checks say what is
wrong with the data and the baseline whether fixing it helps; this stage tests the other
hypotheses an engineer would test, on the FIXED data (the fix plan applied) with the
baseline's network, and reports one row a cause: the experiment, the measured effect with
its seed spread, a verdict (likely / unlikely / inconclusive) and the remedy, with a Keras
snippet built from the settings that won.

Where each part lives:

* :mod:`~audit.training.diagnose.plan`: the experiments (variants of the base network) and
  the plan that fits them in the time budget;
* :mod:`~audit.training.diagnose.packed`: every variant and seed trained in one packed model;
* :mod:`~audit.training.diagnose.experiments`: the numbers per seed, per variant, the
  effects against the base, and the learning curve;
* :mod:`~audit.training.diagnose.model_causes` and
  :mod:`~audit.training.diagnose.data_causes`: the verdict rules, one function a cause;
* :mod:`~audit.training.diagnose.imbalance`: class imbalance, tested with and without
  class weights and on a balanced resample when a finding flags it;
* :mod:`~audit.training.diagnose.augment`: augmentation, tried on the baseline's CNN for
  pictures only;
* :mod:`~audit.training.diagnose.snippets`: the remedies as pasteable Keras code;
* :mod:`~audit.training.diagnose.results`: the typed results the report renders;
* :mod:`~audit.training.diagnose.run`: the run from a report to its diagnosis.

Measured with 3 seeds on 2 cores (tests/training/test_diagnose.py builds these cases):

* (a) 120 train rows of four well separated classes, 150 epochs: too little data likely
  (0.096 +- 0.041 per doubling along the curve, 0.057 over the last doubling, best val loss
  0.50 at 30 rows to 0.33 at 120); capacity, regularisation and learning rate unlikely
  (no effect reaches 0.033), overfitting unlikely (climb 0.005).
* (b) 100 clean rows, 8 informative of 20 features, the wide network without dropout,
  25 epochs: best val loss 0.90, stalling around epoch 7, then climbing 0.34 while train
  loss heads to 0. Capacity likely (end val loss 1.01 at half width, 1.24 base, 1.45
  double; the stall moves from epoch 11 to 7 to 3), regularisation likely (dropout 0.5
  lowers the end val loss by 0.28 +- 0.01), learning rate likely too (a lower or decaying
  rate slows the climb, as early stopping would).
* (c) digits, 20 % of train labels flipped, fixed = flipped rows dropped: the baseline's
  reference loss falls 0.41 to 0.12 (verdict data), so noisy labels are likely; on the
  fixed data no model knob is likely (with 30 epochs the base is still improving, and a 3x
  learning rate wins by speed: inconclusive, said so).
* the demo (1.2k fixed train rows, thinned class): too little data likely (best val loss
  0.39 at 300 rows to 0.14 at 1.2k), no model knob likely.
"""

from audit.training.diagnose.plan import DEFAULT_BUDGET_S, DiagnoseSettings
from audit.training.diagnose.results import Diagnosis, diagnosis_skipped
from audit.training.diagnose.run import diagnose, run_diagnosis

__all__ = ["DEFAULT_BUDGET_S", "DiagnoseSettings", "Diagnosis", "diagnose", "diagnosis_skipped", "run_diagnosis"]
