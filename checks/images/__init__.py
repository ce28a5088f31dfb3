"""Pictures: decoded once (:mod:`checks.images.table`), compared and judged by their own checks.

Exact copies, conflicting labels, exact leakage and label issues of pictures run through the
shared checks, on the representations the image kind gives (:mod:`checks.encoders.image`);
near copies (:mod:`checks.images.near`), quality (:mod:`checks.images.quality`) and
metadata shortcuts (:mod:`checks.images.shortcut`) are checks of their own. Evidence rows
name each picture by its ``path`` beside its row (:func:`checks.images.evidence.with_paths`).
"""
