"""Screening-simulation metrics: recall curves, WSS, recall at a share screened.

Definitions follow Cohen et al. (2006), "Reducing workload in systematic review preparation using
automated citation classification", JAMIA 13(2):206-219: work saved over sampling at recall r is
WSS@r = (TN + FN) / N - (1 - r), where TN + FN are the records left unscreened at the first point
the screening order reaches recall r. This is also how ASReview Insights computes it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def found_curve(labels_in_order: Sequence[int]) -> list[int]:
    """Cumulative includes found after each screened record (labels given in screening order)."""
    out: list[int] = []
    total = 0
    for v in labels_in_order:
        total += 1 if v else 0
        out.append(total)
    return out


def screened_to_reach(labels_in_order: Sequence[int], recall: float) -> int:
    """Records screened when the share ``recall`` of all includes has first been found.

    Uses exact integer arithmetic (found * 1000 >= recall * 1000 * total), so 95% of 20 includes is
    19, not a float that rounds up to 20. Returns 0 when there are no includes.
    """
    total = sum(1 for v in labels_in_order if v)
    if total == 0:
        return 0
    need = math.ceil(round(recall * 1_000_000) * total / 1_000_000)
    found = 0
    for i, v in enumerate(labels_in_order, start=1):
        found += 1 if v else 0
        if found >= need:
            return i
    return len(labels_in_order)


def wss(labels_in_order: Sequence[int], recall: float = 0.95) -> float:
    """Work saved over sampling at ``recall``: (N - screened) / N - (1 - recall)."""
    n = len(labels_in_order)
    if n == 0:
        return 0.0
    return (n - screened_to_reach(labels_in_order, recall)) / n - (1.0 - recall)


def recall_at(labels_in_order: Sequence[int], share: float = 0.10) -> float:
    """Share of all includes found in the first ``share`` of the records (count rounded up)."""
    total = sum(1 for v in labels_in_order if v)
    if total == 0:
        return 1.0
    k = math.ceil(round(share * len(labels_in_order) * 1_000_000) / 1_000_000)
    return sum(1 for v in labels_in_order[:k] if v) / total


def screened_to_find_all(labels_in_order: Sequence[int]) -> int:
    """Records screened when the last include is found (0 when there are none)."""
    return screened_to_reach(labels_in_order, 1.0)
