"""Training: the baseline network on raw and fixed data, its attribution, and the diagnosis.

One concern a module, so a new kind of data (text, images) changes the module that
concerns it and no other:

* :mod:`~audit.training.inputs`: what training is given (splits, settings) and the checks
  that refuse them early;
* :mod:`~audit.training.encoding`: features and labels as the network's matrices, fitted on
  the training split only;
* :mod:`~audit.training.runtime`: the Keras backend, threads, determinism, the lazy import;
* :mod:`~audit.training.networks`: the built-in networks and the user's model file;
* :mod:`~audit.training.fitting`: every seed of a run fitted side by side, with a deadline
  and a clean stop on Ctrl-C;
* :mod:`~audit.training.curves`: what a seed's curves say (best, stall, gaps, early stopping);
* :mod:`~audit.training.numbers`: spreads over seeds and the words numbers are written in;
* :mod:`~audit.training.cost`: the one cost model that keeps training within its budget;
* :mod:`~audit.training.baseline`, :mod:`~audit.training.verdict` and
  :mod:`~audit.training.results`: the raw-versus-fixed runs, their comparison and verdict,
  and the typed result;
* :mod:`~audit.training.pipeline`: from a report's data and fix plan to the baseline;
* :mod:`~audit.training.attribution`: one more run per fix family;
* :mod:`~audit.training.diagnose`: every cause of a stalling validation loss.

Nothing here imports TensorFlow at import time: :func:`audit.training.runtime.load_keras`
does, the first time a network trains.
"""
