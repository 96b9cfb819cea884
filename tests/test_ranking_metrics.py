"""Screening metrics, the stopping estimate and the text plot."""

from __future__ import annotations

import math

import numpy as np
import pytest

from realist.ranking import (
    StoppingInputError,
    found_curve,
    recall_at,
    screened_to_find_all,
    screened_to_reach,
    stopping_estimate,
    text_plot,
    wss,
)

# Ten records in screening order, includes at positions 1, 3 and 7.
TINY = [1, 0, 1, 0, 0, 0, 1, 0, 0, 0]


def test_wss_matches_a_hand_computed_example() -> None:
    # 95% of 3 includes needs all 3, first reached at record 7: TN + FN = 3 unscreened of 10.
    assert screened_to_reach(TINY, 0.95) == 7
    assert wss(TINY, 0.95) == pytest.approx(3 / 10 - 0.05)
    # 60% of 3 needs 2 includes, reached at record 3: (10 - 3) / 10 - 0.4.
    assert wss(TINY, 0.60) == pytest.approx(0.3)
    assert screened_to_find_all(TINY) == 7
    # The first 10% (one record) holds 1 of the 3 includes.
    assert recall_at(TINY, 0.10) == pytest.approx(1 / 3)
    assert recall_at(TINY, 0.30) == pytest.approx(2 / 3)


def test_95_percent_of_20_includes_is_19_not_20() -> None:
    order = [1] * 19 + [0] * 80 + [1]
    assert screened_to_reach(order, 0.95) == 19
    assert wss(order, 0.95) == pytest.approx((100 - 19) / 100 - 0.05)


def test_random_order_saves_about_nothing() -> None:
    rng = np.random.default_rng(0)
    y = np.zeros(2000, dtype=int)
    y[:100] = 1
    vals = [wss(list(rng.permutation(y)), 0.95) for _ in range(20)]
    assert abs(float(np.mean(vals))) < 0.03


def test_found_curve_counts_includes() -> None:
    assert found_curve(TINY) == [1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    assert found_curve([]) == []


def _curve(labels: list[int]) -> list[int]:
    return found_curve(labels)


def test_more_remaining_while_the_curve_still_rises() -> None:
    rising = [0] * 900 + [1, 0, 0] * 33 + [0]  # a third of the recent records are includes
    flat = [1, 0, 0] * 33 + [0] * 901  # same includes, all found early, then only excludes
    n_total = 3000
    a = stopping_estimate(_curve(rising), n_total)
    b = stopping_estimate(_curve(flat), n_total)
    assert a.found == b.found == 33
    assert a.remaining > 100
    assert a.remaining_low > b.remaining_high
    assert b.remaining < 5
    assert a.p_below_target > 0.5
    assert not a.target_reached


def test_near_zero_after_a_long_run_of_excludes() -> None:
    labels = [1, 0] * 20 + [0] * 1000
    est = stopping_estimate(_curve(labels), 1540)
    assert est.since_last_include == 1001
    assert est.screened == 1040 and est.found == 20 and est.unscreened == 500
    assert est.remaining < 1
    assert est.remaining_low == 0
    assert est.remaining_high <= 5
    assert est.remaining_low <= est.remaining <= est.remaining_high
    assert est.estimated_recall > 0.95


def test_interval_covers_the_truth_under_random_order() -> None:
    # Under random order the window is a true random sample: the interval should hold the true
    # remaining count in most runs (nominal 95%).
    rng = np.random.default_rng(1)
    hits = 0
    runs = 60
    for _ in range(runs):
        y = np.zeros(1500, dtype=int)
        y[rng.choice(1500, 40, replace=False)] = 1
        stop = int(rng.integers(150, 1350))
        curve = found_curve(list(y[:stop]))
        est = stopping_estimate(curve, 1500)
        hits += est.remaining_low <= 40 - curve[-1] <= est.remaining_high
    assert hits >= 0.85 * runs


def test_everything_screened_and_nothing_screened() -> None:
    done = stopping_estimate(_curve(TINY), 10)
    assert done.remaining == 0 and done.remaining_high == 0 and done.p_below_target == 0
    start = stopping_estimate([], 100)
    assert math.isnan(start.remaining)
    assert start.remaining_high == 100 and start.p_below_target == 1.0
    assert "0 of 100 screened" in start.summary()


def test_stopping_rejects_a_curve_that_is_not_cumulative() -> None:
    with pytest.raises(StoppingInputError, match="position 2 goes from 1 to 3"):
        stopping_estimate([1, 1, 3], 10)
    with pytest.raises(StoppingInputError, match="smaller than the 3 records"):
        stopping_estimate([0, 0, 1], 2)
    with pytest.raises(StoppingInputError, match="target_recall"):
        stopping_estimate([0, 1], 10, target_recall=1.5)


def test_text_plot_draws_the_curve_within_its_frame() -> None:
    curve = _curve([1, 1, 0, 1] + [0] * 46)
    art = text_plot(curve, 200, width=40, height=8, expected_total=4)
    lines = art.splitlines()
    assert len(lines) == 8 + 3
    assert all(len(line) <= 40 + 6 for line in lines[:9])
    assert "•" in art and "·" in art
    assert "3 after 50 screened (of 200)" in art
    # Only a quarter of the records are screened: the right three quarters hold no curve.
    plotted = [line.split("│", 1)[1] for line in lines[:8]]
    assert all("•" not in row[11:] for row in plotted)
    assert "•" in "".join(row[:10] for row in plotted)
