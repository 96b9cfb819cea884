"""Candidate pairs: records that share at least one blocking key.

Several independent keys are used so that a typo or a missing field in one of them does not hide a
duplicate: exact DOI and PMID; the start and the end of the title (spaces removed); first-author
surname with year; pairs of the title's three rarest words; volume with first page. Blocks larger
than `MAX_BLOCK` are not expanded in full (a key shared by hundreds of records says little); their
members are sorted by title and each is paired with its `WINDOW` nearest neighbours instead.

Keys are reduced to 64-bit hashes and grouped with numpy, which keeps memory and time linear in
the number of records; a hash collision can only add a candidate pair, which scoring then rejects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from itertools import combinations

import numpy as np
import numpy.typing as npt

from realist.dedup.normalize import wordset
from realist.dedup.prepare import Prepared

__all__ = ["MAX_BLOCK", "WINDOW", "candidate_pairs", "record_keys"]

MAX_BLOCK = 32
WINDOW = 6
TITLE_SLICE = 32
_STOP = wordset(
    "the a an of in on for and or to with by from at as is are was were be its their this "
    "that than after before during between among into versus vs via without within under over"
)

IntArray = npt.NDArray[np.int64]


def _title_words(p: Prepared) -> set[str]:
    return {w for w in p.title.split() if len(w) > 2 and w not in _STOP}


def record_keys(
    p: Prepared, rarity: Callable[[str], int], words: set[str] | None = None
) -> list[str]:
    """Blocking keys of one record; `rarity` gives a word's document frequency."""
    keys: list[str] = []
    if p.doi:
        keys.append("d:" + p.doi)
    if p.pmid:
        keys.append("p:" + p.pmid)
    tk = p.title.replace(" ", "")
    if len(tk) >= 12:
        keys.append("tp:" + tk[:TITLE_SLICE])
        keys.append("ts:" + tk[-TITLE_SLICE:])
    if p.first_author is not None and p.year is not None:
        keys.append(f"ay:{p.first_author.surname}:{p.year}")
    if words is None:
        words = _title_words(p)
    rare = sorted(words, key=lambda w: (rarity(w), w))[:3]
    if len(rare) >= 2:
        rare.sort()
        for x, y in combinations(rare, 2):
            keys.append(f"tw:{x}:{y}")
    if p.volume and p.pages is not None:
        keys.append(f"vp:{p.volume}:{p.pages.start_number}")
    return keys


def candidate_pairs(prepared: Sequence[Prepared], new: Collection[int] | None = None) -> IntArray:
    """Index pairs (i, j), i < j, into `prepared` that share a blocking key, as an (n, 2) array.

    With `new` (indices), only pairs touching at least one of them are kept.
    """
    n = len(prepared)
    all_words = [_title_words(p) for p in prepared]
    df: Counter[str] = Counter()
    for w in all_words:
        df.update(w)
    rarity = df.__getitem__
    hashes: list[int] = []
    owners: list[int] = []
    for i, p in enumerate(prepared):
        for key in record_keys(p, rarity, all_words[i]):
            hashes.append(hash(key))
            owners.append(i)
    del all_words, df
    if not hashes:
        return np.empty((0, 2), dtype=np.int64)

    key_arr = np.asarray(hashes, dtype=np.int64)
    own_arr = np.asarray(owners, dtype=np.int64)
    del hashes, owners
    order = np.argsort(key_arr, kind="stable")
    key_arr = key_arr[order]
    own_arr = own_arr[order]
    starts = np.flatnonzero(np.r_[True, key_arr[1:] != key_arr[:-1]])
    sizes = np.diff(np.r_[starts, len(key_arr)])

    chunks: list[IntArray] = []
    for k in np.unique(sizes[(sizes >= 2) & (sizes <= MAX_BLOCK)]).tolist():
        # all blocks of size k at once: a (blocks, k) matrix of members, then its k*(k-1)/2 pairs
        block_starts = starts[sizes == k]
        members = own_arr[block_starts[:, None] + np.arange(k)[None, :]]
        left, right = np.triu_indices(k, 1)
        chunks.append(np.stack([members[:, left].ravel(), members[:, right].ravel()], axis=1))
    for start, size in zip(
        starts[sizes > MAX_BLOCK].tolist(), sizes[sizes > MAX_BLOCK].tolist(), strict=True
    ):
        ordered = np.asarray(
            sorted(own_arr[start : start + size].tolist(), key=lambda i: prepared[i].title),
            dtype=np.int64,
        )
        for off in range(1, WINDOW + 1):
            chunks.append(np.stack([ordered[:-off], ordered[off:]], axis=1))
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks)
    lo = pairs.min(axis=1)
    hi = pairs.max(axis=1)
    keep = lo != hi
    if new is not None:
        flags = np.zeros(n, dtype=bool)
        flags[np.fromiter(new, dtype=np.int64)] = True
        keep &= flags[lo] | flags[hi]
    codes = np.unique(lo[keep] * n + hi[keep])
    return np.stack([codes // n, codes % n], axis=1)
