"""The encoder seam: each column kind, and what it turns into for every check that compares rows.

A feature column is of one *kind* (``numeric``, ``date``, ``categorical``, ``identifier``,
``row_counter``, ...), decided once per audit by :func:`column_kinds` with a reason reports
can show. The kind's :class:`Encoder` turns the column into each shared representation:

=====================  ===============================  ======================================
representation         encoder method                   built (once per audit) by
=====================  ===============================  ======================================
row hashes             ``hash_keys``, ``compared``      :func:`checks.hashing.feature_hashes`
neighbour space        ``neighbour_blocks``             :func:`checks.features.encoded_features`
out-of-fold inputs     ``model_blocks``                 :func:`checks.features.model_inputs`
baseline network       ``network_as_number``,           :func:`fit_network_inputs`, then
                       ``fit_network``                  :meth:`NetworkInputs.transform`
=====================  ===============================  ======================================

The checks that compare rows (exact and near duplicates and leakage, conflicting labels,
label issues) read only those representations, never a column's values, so they do not
change when a kind is added. Target leakage (one-column scores) and data quality
(expectations) read the values themselves.

How a kind is decided: an engine measures each column's :class:`ColumnFacts`
(:func:`measure_column` with pandas; the Spark engine with aggregates), and
:func:`decide_kind` applies one set of rules: a kind the user declared
(``AuditData.declared_kinds``, for a ``declarable`` kind), else the first encoder by
``priority`` whose :meth:`Encoder.claim` returns a reason. Today: row counters (10), dates
(20), numbers (30), free text (35), identifiers (40), categories (50, claims what is left).

How to add a kind (text, images):

1. Write ``checks/encoders/<kind>.py`` with an :class:`Encoder` subclass decorated by
   :func:`register_encoder`: its ``kind``, a ``priority`` placing its claim among the others
   (text before identifiers, so long multi-word strings stop being judged ids), ``claim``
   reading the facts, and the representations it changes. The defaults: hashed as canonical
   text or numbers (``hash_keys``), left out of the neighbour space (``neighbour_blocks``
   gives no block; the kind's reason says why), model inputs as the neighbour blocks
   (``model_blocks`` gives None), declarable by the user (``--text-column`` fills
   ``AuditData.declared_kinds``). ``fit_network`` has no default: say how the baseline
   network sees the column.
2. If the claim needs a fact not measured yet, add a field to :class:`ColumnFacts` (with a
   default), measure it in :func:`measure_column`, and in the Spark engine's facts
   (``audit/spark/encoding.py``, where a kind without a Spark builder is left out with its
   reason).
3. Import the module below, so the kind is registered with the package.
4. Add it to the pinned mixed table in ``tests/checks/test_encoding_pins.py`` and test its
   claim and each representation it changes.
"""

from checks.encoders.base import (
    ENCODERS,
    Block,
    ColumnFacts,
    ColumnKind,
    Encoder,
    NetworkPart,
    encoder_for,
    register_encoder,
)
from checks.encoders.kinds import (
    MAX_CATEGORIES,
    MIN_ROWS_FOR_ID,
    column_kinds,
    decide_kind,
    is_record_id,
    measure_column,
    record_id_reason,
    role_kinds,
    row_counter_reason,
)
from checks.encoders.network import NetworkInputs, fit_network_inputs

# Imported for their registration side effect.
from checks.encoders import image, tabular, text  # noqa: E402,F401

__all__ = [
    "ENCODERS", "MAX_CATEGORIES", "MIN_ROWS_FOR_ID", "Block", "ColumnFacts", "ColumnKind", "Encoder", "NetworkInputs",
    "NetworkPart", "column_kinds", "decide_kind", "encoder_for", "fit_network_inputs", "measure_column",
    "is_record_id", "record_id_reason", "register_encoder", "role_kinds", "row_counter_reason",
]
