"""Shingles: the word n-grams (and optionally character n-grams) of texts, as 64-bit hashes.

Texts come in as :func:`checks.text.normalise.token_text` output (words of letters and digits
separated by single spaces), a chunk at a time, so that a Series of Arrow strings becomes
Python strings only a few thousand at once. Hashing is vectorised over a chunk: the chunk's
code points become one array, a polynomial prefix sum over it (``np.cumsum`` in uint64, which
wraps modulo 2**64) gives the hash of any substring in O(1), and every n-gram is a substring
between a word start and a later word end (or any n consecutive code points). The substring
hash does not depend on where the substring sits, so equal n-grams hash equally in every
text; a final SplitMix64 step spreads the bits, salted by the n-gram's kind so that a word
bigram never equals a character n-gram. A text shorter than n words (characters) gives its
whole text as its one n-gram, so every non-empty text has a shingle.

Why word bigrams by default: on the planted ticket generator (audit/tickets.py) word
bigrams separated lightly edited copies from different tickets sharing template phrases as
well as unigrams+bigrams or character 5- and 7-grams did, with a fifth of the shingles of
character n-grams (time and memory) and far less chance overlap than unigrams (which
every pair of English texts shares through "the", "to", "my"), and chance overlap is what
fills locality-sensitive buckets with useless candidates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Token texts (checks/text/normalise.py): a list of strings, or a Series of them (Arrow-backed
# or not), missing values already replaced by "".
Texts = Sequence[str] | pd.Series
BASE = np.uint64(0x100000001B3)  # odd, so it has an inverse modulo 2**64
BASE_INVERSE = np.uint64(pow(int(BASE), -1, 2**64))
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
SPACE = np.uint64(ord(" ") + 1)  # code points are shifted by one so that no character is zero
CHUNK_TEXTS = 4096


@dataclass(frozen=True)
class ShingleSpec:
    """Which n-grams make a text's shingle set (any of each family).

    ``word_ngrams``: n consecutive words. ``char_ngrams``: n consecutive characters of the text
    with a space added at each end, across words. ``char_wb_ngrams``: n consecutive characters
    within one word padded with a space at each end (scikit-learn's ``char_wb``; a padded word
    shorter than n is one n-gram).
    """

    word_ngrams: tuple[int, ...] = (2,)
    char_ngrams: tuple[int, ...] = ()
    char_wb_ngrams: tuple[int, ...] = ()

    def describe(self) -> str:
        parts = ([f"word {n}-grams" for n in self.word_ngrams]
                 + [f"character {n}-grams" for n in self.char_ngrams]
                 + [f"in-word character {n}-grams" for n in self.char_wb_ngrams])
        return " and ".join(parts)


@dataclass(frozen=True)
class Shingles:
    """Shingle hashes of a run of texts: text ``i`` owns ``hashes[offsets[i]:offsets[i + 1]]``.

    With ``unique=True`` (see :func:`shingle_sets`) each text's hashes are sorted and distinct.
    """

    offsets: np.ndarray
    hashes: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def owners(self) -> np.ndarray:
        """The text each hash belongs to."""
        return np.repeat(np.arange(len(self.offsets) - 1), self.sizes)


def mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit moves every output bit (uint64 in, uint64 out)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def iter_shingles(texts: Texts, spec: ShingleSpec, chunk_texts: int = CHUNK_TEXTS) -> Iterator[tuple[int, Shingles]]:
    """``(first text position, Shingles)`` for consecutive chunks of ``texts`` (hashes not deduplicated)."""
    for start in range(0, len(texts), chunk_texts):
        yield start, _chunk_shingles(text_slice(texts, start, start + chunk_texts), spec)


def text_slice(texts: Texts, begin: int, end: int) -> list[str]:
    """Texts ``begin`` to ``end`` (positions) as Python strings; a Series makes only these."""
    return texts.iloc[begin:end].tolist() if isinstance(texts, pd.Series) else list(texts[begin:end])


def take_texts(texts: Texts, positions: np.ndarray) -> pd.Series:
    """The texts at these positions, as a Series with a fresh 0-based index."""
    series = texts if isinstance(texts, pd.Series) else pd.Series(texts, dtype=object)
    return series.iloc[np.asarray(positions, dtype=np.int64)].reset_index(drop=True)


def shingle_sets(texts: Texts, spec: ShingleSpec) -> Shingles:
    """Every text's distinct shingle hashes, sorted (for exact Jaccard similarities)."""
    offsets, hashes = [np.zeros(1, dtype=np.int64)], []
    total = 0
    for _, chunk in iter_shingles(texts, spec):
        owners = chunk.owners
        order = np.lexsort((chunk.hashes, owners))
        owned, values = owners[order], chunk.hashes[order]
        keep = np.ones(len(values), dtype=bool)
        keep[1:] = (values[1:] != values[:-1]) | (owned[1:] != owned[:-1])
        sizes = np.bincount(owned[keep], minlength=len(chunk.offsets) - 1)
        offsets.append(total + np.cumsum(sizes))
        hashes.append(values[keep])
        total += int(sizes.sum())
    return Shingles(np.concatenate(offsets), np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64))


def _chunk_shingles(texts: Sequence[str], spec: ShingleSpec) -> Shingles:
    texts = [f" {t} " if t else "" for t in texts]  # padded, so every word has a space on each side
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + np.uint64(1)
    n = len(codes)
    powers, inverses = _powers(BASE, n), _powers(BASE_INVERSE, n)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(codes * powers[:n], out=prefix[1:])

    def substring(begin: np.ndarray, end: np.ndarray, salt: int) -> np.ndarray:
        return mix64((prefix[end] - prefix[begin]) * inverses[begin] + np.uint64(salt * int(GOLDEN) % 2**64))

    owners, hashes = [], []
    text_ids = np.arange(len(texts), dtype=np.int64)
    nonempty = lengths > 0
    if spec.word_ngrams or spec.char_wb_ngrams:
        word_starts, word_ends = _words(codes, starts, lengths)
        word_owner = np.searchsorted(starts, word_starts, side="right") - 1
        n_words = np.bincount(word_owner, minlength=len(texts))
        for size in spec.word_ngrams:
            last = np.arange(size - 1, len(word_starts))
            whole = word_owner[last] == word_owner[last - size + 1]
            first = last[whole] - size + 1
            short = np.flatnonzero(nonempty & (n_words < size))  # the whole text is its one n-gram
            owners += [word_owner[first], text_ids[short]]
            hashes += [substring(word_starts[first], word_ends[last[whole]], size),
                       substring(starts[short], starts[short] + lengths[short], size)]
        for size in spec.char_wb_ngrams:
            padded = word_ends - word_starts + 2
            counts = np.maximum(padded - size + 1, 1)
            word = np.repeat(np.arange(len(word_starts)), counts)
            begin = word_starts[word] - 1 + ranks_within(counts)
            owners.append(word_owner[word])
            hashes.append(substring(begin, np.minimum(begin + size, word_ends[word] + 1), 2000 + size))
    for size in spec.char_ngrams:
        counts = np.maximum(lengths - size + 1, 0)
        owner = np.repeat(text_ids, counts)
        begin = starts[owner] + ranks_within(counts)
        short = np.flatnonzero(nonempty & (lengths < size))
        owners += [owner, text_ids[short]]
        hashes += [substring(begin, begin + size, 1000 + size),
                   substring(starts[short], starts[short] + lengths[short], 1000 + size)]
    if not hashes:
        return Shingles(np.zeros(len(texts) + 1, dtype=np.int64), np.zeros(0, dtype=np.uint64))
    owner = np.concatenate(owners)
    order = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=len(texts))
    return Shingles(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), np.concatenate(hashes)[order])


def _powers(base: np.uint64, n: int) -> np.ndarray:
    """``base ** j`` modulo 2**64 for j = 0..n (numpy's uint64 products wrap silently)."""
    powers = np.ones(n + 1, dtype=np.uint64)
    np.cumprod(np.full(n, base, dtype=np.uint64), out=powers[1:])
    return powers


def ranks_within(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c - 1 for each count c, concatenated."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)


def _words(codes: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) positions of the words of a chunk's code-point array."""
    letter = codes != SPACE
    n = len(codes)
    text_start = np.zeros(n, dtype=bool)
    text_end = np.zeros(n, dtype=bool)
    nonempty = lengths > 0
    text_start[starts[nonempty]] = True
    text_end[starts[nonempty] + lengths[nonempty] - 1] = True
    after_space = np.ones(n, dtype=bool)
    after_space[1:] = ~letter[:-1]
    before_space = np.ones(n, dtype=bool)
    before_space[:-1] = ~letter[1:]
    word_starts = np.flatnonzero(letter & (text_start | after_space))
    word_ends = np.flatnonzero(letter & (text_end | before_space)) + 1
    return word_starts, word_ends
