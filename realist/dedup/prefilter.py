"""Drop candidate pairs that cannot reach any tier, in bulk, before the per-pair comparison.

Most blocked pairs share a key by chance (a common surname and year, two rare title words). A
pair can only become certain or uncertain if its titles are close (or one holds the other's
words), if it shares a DOI or PMID, or if year, volume and first page agree (translated titles).
Those tests run here over all pairs at once: title similarities with rapidfuzz's `cpdist` (C code,
all cores), identifiers and venue as integer codes with numpy. What passes is a superset of what
`scoring.classify` can accept, so the filter never changes a result, only the time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from realist.dedup.prepare import Prepared
from realist.dedup.scoring import CONTAINED

__all__ = ["prefilter"]

IntArray = npt.NDArray[np.int64]


def _codes(values: Sequence[object | None]) -> IntArray:
    """Integer code per value (equal values, equal codes); -1 for None."""
    table: dict[object, int] = {}
    return np.fromiter(
        (-1 if v is None else table.setdefault(v, len(table)) for v in values),
        dtype=np.int64,
        count=len(values),
    )


def _equal(codes: IntArray, left: IntArray, right: IntArray) -> npt.NDArray[np.bool_]:
    a, b = codes[left], codes[right]
    same: npt.NDArray[np.bool_] = (a == b) & (a >= 0)
    return same


def prefilter(prepared: Sequence[Prepared], pairs: IntArray, gate: float) -> IntArray:
    """The rows of `pairs` (index pairs into `prepared`) worth a full comparison."""
    if len(pairs) == 0:
        return pairs
    left, right = pairs[:, 0], pairs[:, 1]
    keep = _equal(_codes([p.doi for p in prepared]), left, right)
    keep |= _equal(_codes([p.pmid for p in prepared]), left, right)
    years = _codes([p.year for p in prepared])
    volumes = _codes([p.volume for p in prepared])
    # first-page digits; a record listing several ranges matches any page (rare, exact later)
    starts = _codes(
        [
            None if p.pages is None else (p.pages.start_number if not p.pages.others else "*")
            for p in prepared
        ]
    )
    many = np.fromiter(
        (p.pages is not None and bool(p.pages.others) for p in prepared),
        dtype=bool,
        count=len(prepared),
    )
    keep |= (
        _equal(years, left, right)
        & _equal(volumes, left, right)
        & (_equal(starts, left, right) | many[left] | many[right])
    )

    titles = [p.title for p in prepared]
    rest = np.flatnonzero(~keep)
    if len(rest):
        lt = [titles[i] for i in left[rest].tolist()]
        rt = [titles[i] for i in right[rest].tolist()]
        sim = process.cpdist(
            lt, rt, scorer=Indel.normalized_similarity, workers=-1, dtype=np.float64
        )
        close = sim >= gate
        # Bilingual titles: any variant against any variant (few records have them).
        has_variants = [i for i, p in enumerate(prepared) if p.variants]
        if has_variants:
            flagged = np.zeros(len(prepared), dtype=bool)
            flagged[has_variants] = True
            for k in np.flatnonzero(flagged[left[rest]] | flagged[right[rest]]).tolist():
                p, q = prepared[int(left[rest[k]])], prepared[int(right[rest[k]])]
                close[k] = close[k] or any(
                    Indel.normalized_similarity(x, y) >= gate
                    for x in (p.title, *p.variants)
                    for y in (q.title, *q.variants)
                )
        far = np.flatnonzero(~close)
        if len(far):
            tokens = process.cpdist(
                [lt[k] for k in far.tolist()],
                [rt[k] for k in far.tolist()],
                scorer=fuzz.token_set_ratio,
                workers=-1,
                dtype=np.float64,
            )
            close[far] = tokens >= CONTAINED * 100
        keep[rest] = close
    return pairs[keep]
