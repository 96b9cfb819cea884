"""When is it safe to stop screening? An estimate of the includes still unscreened.

Method: the hypergeometric test of Callaghan & Müller-Hansen (2020), "Statistical stopping
criteria for automated screening in systematic reviews", Systematic Reviews 9:273,
https://doi.org/10.1186/s13643-020-01521-4 (their `buscar` package).

The last ``n`` screened records are treated as if they had been drawn at random from an urn made of
themselves and the ``U`` records not yet screened. With prioritised screening the screened records
are *richer* in includes than the rest, so this assumption errs on the side of caution: it
over-estimates what remains. For a window holding ``k`` includes:

* point estimate of includes remaining: ``k * U / n`` (the includes rate of the window carried over
  to the unscreened records);
* interval: the exact hypergeometric (Clopper-Pearson style) bounds on the includes in the urn,
  minus ``k``: the largest and smallest remaining count that would still make observing ``k`` or
  fewer (resp. ``k`` or more) includes in ``n`` draws at least ``(1 - confidence) / 2`` likely;
* p-value of "recall is still below the target" (buscar's H0): the probability of ``k`` or fewer
  includes in the window if just enough includes remained to keep recall under the target.

The p-value follows buscar: every window ending at the last screened record is tested (on a grid
of sizes) and the smallest p-value is reported. The estimate and its interval come from one window,
the recent stretch: the last ``recent_share`` of the screened records (at least ``min_window``),
stretched back to include the last include found when that is further back, so a long run of
excludes counts in full without ever pretending the rate is exactly zero. The estimate is advice
for the reviewer; nothing ever stops screening on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import hypergeom


class StoppingInputError(ValueError):
    """The discovery curve or the record count is not usable (the message says where)."""


@dataclass(frozen=True)
class StoppingEstimate:
    """What the discovery curve says about the includes still unscreened."""

    screened: int
    found: int
    n_total: int
    since_last_include: int
    remaining: float
    remaining_low: int
    remaining_high: int
    confidence: float
    target_recall: float
    p_below_target: float
    window: int
    window_includes: int
    method: str = "hypergeometric window test (Callaghan & Müller-Hansen 2020)"

    @property
    def unscreened(self) -> int:
        """Records not screened yet."""
        return self.n_total - self.screened

    @property
    def estimated_recall(self) -> float:
        """Includes found over found plus the point estimate still remaining (1.0 when none)."""
        total = self.found + self.remaining
        return 1.0 if total <= 0 else self.found / total

    @property
    def recall_low(self) -> float:
        """Recall if the upper bound of the remaining includes were true."""
        total = self.found + self.remaining_high
        return 1.0 if total <= 0 else self.found / total

    @property
    def target_reached(self) -> bool:
        """True when the test rejects "recall below target" at the chosen confidence."""
        return self.p_below_target < 1.0 - self.confidence

    def summary(self) -> str:
        """One line for the screen or a report."""
        return (
            f"{self.screened:,} of {self.n_total:,} screened, {self.found:,} includes, "
            f"{self.since_last_include:,} since the last include; estimated remaining "
            f"{self.remaining:.1f} ({self.confidence:.0%} interval {self.remaining_low}-"
            f"{self.remaining_high}); P(recall < {self.target_recall:.0%}) = "
            f"{self.p_below_target:.3f}"
        )


def _check_curve(found_curve: Sequence[int], n_total: int) -> np.ndarray:
    curve = np.asarray(list(found_curve), dtype=np.int64)
    if n_total < len(curve):
        raise StoppingInputError(
            f"stopping_estimate: n_total {n_total} is smaller than the {len(curve)} records "
            "screened"
        )
    if len(curve):
        steps = np.diff(np.concatenate([[0], curve]))
        bad = np.flatnonzero((steps < 0) | (steps > 1))
        if bad.size:
            i = int(bad[0])
            raise StoppingInputError(
                f"stopping_estimate: found_curve at position {i} goes from "
                f"{int(curve[i - 1]) if i else 0} to {int(curve[i])}; it must be the cumulative "
                "count of includes, rising by 0 or 1 per screened record"
            )
    return curve


def _window_sizes(screened: int, since_last: int) -> np.ndarray:
    sizes = {screened, since_last, *range(1, min(screened, 50) + 1)}
    n = 50.0
    while n < screened:
        sizes.add(int(n))
        n *= 1.08
    return np.array(sorted(s for s in sizes if 1 <= s <= screened), dtype=np.int64)


def _bisect_max(ok: np.ndarray, hi: np.ndarray, test) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Largest r in [lo, hi] with test(r) true, per element (test is monotone: true then false)."""
    lo = ok.copy()
    hi = hi.copy()
    while np.any(lo < hi):
        mid = (lo + hi + 1) // 2
        good = test(mid)
        lo = np.where(good, mid, lo)
        hi = np.where(good, hi, mid - 1)
    return lo


def stopping_estimate(
    found_curve: Sequence[int],
    n_total: int,
    *,
    target_recall: float = 0.95,
    confidence: float = 0.95,
    recent_share: float = 0.10,
    min_window: int = 50,
) -> StoppingEstimate:
    """Estimate the includes still unscreened from the includes-found-vs-screened curve.

    ``found_curve[i]`` is the number of includes found after screening ``i + 1`` records, in the
    order they were screened; ``n_total`` is the number of records to screen in all.
    """
    if not 0.0 < target_recall <= 1.0:
        raise StoppingInputError(f"stopping_estimate: target_recall {target_recall} not in (0, 1]")
    if not 0.0 < confidence < 1.0:
        raise StoppingInputError(f"stopping_estimate: confidence {confidence} not in (0, 1)")
    curve = _check_curve(found_curve, n_total)
    screened = len(curve)
    found = int(curve[-1]) if screened else 0
    last = int(np.flatnonzero(np.diff(np.concatenate([[0], curve])))[-1]) + 1 if found else 0
    since_last = screened - last
    unscreened = n_total - screened
    alpha = (1.0 - confidence) / 2.0
    if unscreened == 0 or screened == 0:
        # Everything screened: nothing remains. Nothing screened: no evidence at all.
        return StoppingEstimate(
            screened, found, n_total, since_last,
            remaining=0.0 if unscreened == 0 else math.nan,
            remaining_low=0, remaining_high=unscreened, confidence=confidence,
            target_recall=target_recall, p_below_target=0.0 if unscreened == 0 else 1.0,
            window=screened, window_includes=found,
        )

    n = _window_sizes(screened, since_last)
    k = found - _found_before(curve, n)
    urn = n + unscreened
    # Smallest count of remaining includes that would put recall below the target.
    r_tar = math.floor(found * (1.0 - target_recall) / target_recall + 1e-9) + 1
    if r_tar > unscreened:
        p_min = 0.0
    else:
        p_min = float(np.min(hypergeom.cdf(k, urn, k + r_tar, n)))

    recent = max(min_window, math.ceil(recent_share * screened))
    window = min(screened, max(recent, since_last + 1 if found else since_last))
    wn = np.array([window], dtype=np.int64)
    wk = found - _found_before(curve, wn)
    low, high = _interval(wk, wn + unscreened, wn, unscreened, alpha)
    kb = int(wk[0])
    return StoppingEstimate(
        screened=screened,
        found=found,
        n_total=n_total,
        since_last_include=since_last,
        remaining=kb * unscreened / window,
        remaining_low=low,
        remaining_high=high,
        confidence=confidence,
        target_recall=target_recall,
        p_below_target=min(1.0, p_min),
        window=window,
        window_includes=kb,
    )


def _found_before(curve: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Includes found before each window of the last ``n`` records."""
    start = len(curve) - n - 1
    return np.where(start >= 0, curve[np.maximum(start, 0)], 0)


def _interval(
    k: np.ndarray, urn: np.ndarray, n: np.ndarray, cap: int, alpha: float
) -> tuple[int, int]:
    """Exact hypergeometric bounds on the includes outside the window (each tail ``alpha``)."""
    zeros = np.zeros(len(k), dtype=np.int64)
    top = np.full(len(k), cap, dtype=np.int64)
    high = _bisect_max(zeros, top, lambda r: hypergeom.cdf(k, urn, k + r, n) >= alpha)
    # P(X >= k) grows with the remaining count r: the lower bound is one past the largest r at
    # which it is still below alpha (0 when it is not below alpha even at r = 0).
    at_zero = hypergeom.sf(k - 1, urn, k, n) >= alpha
    below = _bisect_max(zeros, top, lambda r: hypergeom.sf(k - 1, urn, k + r, n) < alpha)
    low = np.where(at_zero, 0, below + 1)
    return int(min(low[0], high[0])), int(high[0])
