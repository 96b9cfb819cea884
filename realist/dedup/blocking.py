"""Candidate pairs: records that share at least one blocking key.

Several independent keys are used so that a typo or a missing field in one of them does not hide a
duplicate: exact DOI and PMID; the start and the end of the title (spaces removed); first-author
surname with year; pairs of the title's rarest words; volume with first page. Blocks larger than
`MAX_BLOCK` are not expanded in full (a key shared by hundreds of records says little); their
members are sorted by title and each is paired with its nearest neighbours instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from itertools import combinations

import numpy as np
import numpy.typing as npt

from realist.dedup.normalize import wordset
from realist.dedup.prepare import Prepared

__all__ = ["MAX_BLOCK", "candidate_pairs", "record_keys"]

MAX_BLOCK = 64
WINDOW = 6
TITLE_SLICE = 24
_STOP = wordset(
    "the a an of in on for and or to with by from at as is are was were be its their this "
    "that than after before during between among into versus vs via without within under over"
)


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
    tk = p.title_key
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


def candidate_pairs(
    prepared: Sequence[Prepared], new: Collection[int] | None = None
) -> npt.NDArray[np.int64]:
    """Index pairs (i, j), i < j, into `prepared` that share a blocking key, as an (n, 2) array.

    With `new` (indices), only pairs touching at least one of them are kept.
    """
    n = len(prepared)
    all_words = [_title_words(p) for p in prepared]
    df: Counter[str] = Counter()
    for w in all_words:
        df.update(w)
    blocks: dict[str, list[int]] = defaultdict(list)
    rarity = df.__getitem__
    for i, p in enumerate(prepared):
        for key in record_keys(p, rarity, all_words[i]):
            blocks[key].append(i)

    is_new: list[bool] | None = None
    if new is not None:
        is_new = [False] * n
        for i in new:
            is_new[i] = True
    firsts: list[int] = []
    seconds: list[int] = []
    for members in blocks.values():
        k = len(members)
        if k < 2:
            continue
        if is_new is not None and not any(is_new[i] for i in members):
            continue
        if k <= MAX_BLOCK:
            for a, b in combinations(members, 2):
                firsts.append(a)
                seconds.append(b)
        else:
            ordered = sorted(members, key=lambda i: prepared[i].title_key)
            for off in range(1, WINDOW + 1):
                firsts.extend(ordered[:-off])
                seconds.extend(ordered[off:])
    if not firsts:
        return np.empty((0, 2), dtype=np.int64)
    left = np.asarray(firsts, dtype=np.int64)
    right = np.asarray(seconds, dtype=np.int64)
    lo = np.minimum(left, right)
    hi = np.maximum(left, right)
    keep = lo != hi
    if is_new is not None:
        flags = np.asarray(is_new, dtype=bool)
        keep &= flags[lo] | flags[hi]
    codes = np.unique(lo[keep] * n + hi[keep])
    return np.stack([codes // n, codes % n], axis=1)
