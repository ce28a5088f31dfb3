"""Planted ticket pairs for the text detectors: the generator the benchmark measures, small."""

from __future__ import annotations

import pytest

from audit.tickets import TextPair, make_text_pair


@pytest.fixture(scope="session")
def text_pair() -> TextPair:
    """4,000 train and 1,000 val tickets with every kind of copy and about 6% flipped labels."""
    return make_text_pair(4000, 1000, seed=0)


@pytest.fixture(scope="session")
def clean_text_pair() -> TextPair:
    """The same generator with nothing planted."""
    return make_text_pair(4000, 1000, seed=0, plant=False)


@pytest.fixture(scope="session")
def leaky_text_pair() -> TextPair:
    """A planted pair with a ``note`` column that names the queue in 97% of rows."""
    return make_text_pair(4000, 1000, seed=1, leak_column=True)
