"""Drawing the second reviewer's sample: reproducible, without replacement, sized and
stratified as documented."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realist.agreement.sample import (
    MIN_SAMPLE_INCLUDES,
    SampleDraw,
    draw_sample,
    sample_size,
)

IDS = list(range(1, 1001))


def _decisions(n_include: int, ids: list[int] = IDS) -> dict[int, str]:
    """The first ``n_include`` ids (after a fixed shuffle) are includes, the rest excludes."""
    shuffled = ids[:]
    random.Random(7).shuffle(shuffled)
    chosen = set(shuffled[:n_include])
    return {i: "include" if i in chosen else "exclude" for i in ids}


def test_same_seed_same_sample_whatever_the_input_order() -> None:
    first = draw_sample(IDS, 0.1, seed=2024)
    shuffled = IDS[:]
    random.Random(1).shuffle(shuffled)
    again = draw_sample(shuffled, 0.1, seed=2024)
    assert first.ids == again.ids
    assert first.ids == sorted(first.ids)


def test_different_seeds_differ() -> None:
    assert draw_sample(IDS, 0.1, seed=1).ids != draw_sample(IDS, 0.1, seed=2).ids


def test_sample_is_stable_across_runs() -> None:
    """The documented algorithm: random.Random(seed).sample over the sorted ids."""
    expected = sorted(random.Random(99).sample(sorted(IDS), 100))
    assert draw_sample(list(reversed(IDS)), 0.1, seed=99).ids == expected


def test_without_replacement_and_from_the_input() -> None:
    draw = draw_sample(IDS, 0.5, seed=3)
    assert len(set(draw.ids)) == len(draw.ids) == 500
    assert set(draw.ids) <= set(IDS)
    assert draw_sample(IDS, 1.0, seed=3).ids == IDS


@pytest.mark.parametrize(
    ("population", "fraction", "expected"),
    [
        (30, 0.1, 3),  # 0.1 * 30 is 3.0000000000000004 in floating point: still 3
        (31, 0.1, 4),
        (100, 0.07, 7),  # 0.07 * 100 is 7.000000000000001: still 7
        (625, 0.1, 63),
        (6259, 0.1, 626),
        (1, 0.1, 1),
        (7, 0.5, 4),
        (10, 1.0, 10),
        (3, 0.2, 1),
    ],
)
def test_size_is_ceiling_of_fraction_times_n(
    population: int, fraction: float, expected: int
) -> None:
    assert sample_size(population, fraction) == expected
    draw = draw_sample(list(range(population)), fraction, seed=0)
    assert draw.size == draw.target_size == expected
    assert draw.population == population


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5000), st.integers(1, 1000))
def test_size_property(population: int, per_mille: int) -> None:
    fraction = per_mille / 1000
    assert sample_size(population, fraction) == math.ceil(Fraction(per_mille, 1000) * population)


@pytest.mark.parametrize("fraction", [0, -0.1, 1.01, 2, math.nan, math.inf, True, "0.1", None])
def test_fraction_outside_zero_one_is_an_error(fraction: Any) -> None:
    with pytest.raises(ValueError, match="fraction"):
        draw_sample(IDS, fraction, seed=1)


def test_empty_input_is_an_error() -> None:
    with pytest.raises(ValueError, match="no records to sample"):
        draw_sample([], 0.1, seed=1)


def test_duplicate_ids_and_bad_seed_are_errors() -> None:
    with pytest.raises(ValueError, match="record id 5 appears more than once"):
        draw_sample([1, 5, 5, 9], 0.5, seed=1)
    with pytest.raises(ValueError, match="seed must be an integer"):
        draw_sample(IDS, 0.1, seed="abc")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- stratified


def test_stratified_proportional_allocation() -> None:
    strata = _decisions(100)
    draw = draw_sample(IDS, 0.1, seed=5, strata=strata)
    assert draw.method == "stratified"
    assert draw.strata_population == {"exclude": 900, "include": 100}
    assert draw.strata_sample == {"exclude": 90, "include": 10}
    assert draw.size == 100
    assert sum(1 for i in draw.ids if strata[i] == "include") == 10
    assert draw.includes == 10


def test_largest_remainder_rounding() -> None:
    ids = list(range(625))
    strata = {i: "include" if i < 62 else "exclude" for i in ids}
    draw = draw_sample(ids, 0.1, seed=1, strata=strata)
    # quotas 63 * 62/625 = 6.25 and 63 * 563/625 = 56.75: the spare record goes to exclude
    assert draw.strata_sample == {"exclude": 57, "include": 6}
    assert draw.size == 63


def test_at_least_one_per_non_empty_stratum() -> None:
    strata = {i: ("rare" if i <= 5 else "common") for i in IDS[:1000]}
    strata[1000] = "singleton"
    draw = draw_sample(IDS, 0.1, seed=8, strata=strata)
    assert draw.size == 100
    assert draw.strata_sample["singleton"] == 1
    assert draw.strata_sample["rare"] == 1
    assert draw.strata_sample["common"] == 98


def test_fewer_sample_places_than_strata_warns() -> None:
    ids = [1, 2, 3]
    draw = draw_sample(ids, 0.2, seed=1, strata={1: "a", 2: "b", 3: "c"})
    assert draw.size == 1
    assert any("no record" in w and "b" in w for w in draw.warnings)


def test_stratified_draw_is_reproducible_and_order_free() -> None:
    strata = {i: ("medline" if i % 3 else "embase") for i in IDS}
    shuffled = IDS[:]
    random.Random(4).shuffle(shuffled)
    a = draw_sample(IDS, 0.1, seed=11, strata=strata)
    b = draw_sample(shuffled, 0.1, seed=11, strata=dict(reversed(list(strata.items()))))
    assert a.ids == b.ids


def test_records_without_a_stratum_are_an_error() -> None:
    strata = {i: "x" for i in IDS if i > 3}
    with pytest.raises(ValueError, match="records without a stratum: 1, 2, 3"):
        draw_sample(IDS, 0.1, seed=1, strata=strata)


@st.composite
def stratified_inputs(draw: st.DrawFn) -> tuple[list[int], dict[int, str], float]:
    sizes = draw(st.lists(st.integers(1, 300), min_size=1, max_size=6))
    ids: list[int] = []
    strata: dict[int, str] = {}
    for s, size in enumerate(sizes):
        for _ in range(size):
            rid = len(ids)
            ids.append(rid)
            strata[rid] = f"s{s}"
    fraction = draw(st.integers(1, 100)) / 100
    return ids, strata, fraction


@settings(max_examples=150, deadline=None)
@given(stratified_inputs(), st.integers(0, 2**31))
def test_stratified_allocation_properties(
    inputs: tuple[list[int], dict[int, str], float], seed: int
) -> None:
    ids, strata, fraction = inputs
    draw = draw_sample(ids, fraction, seed=seed, strata=strata)
    target = sample_size(len(ids), fraction)
    assert draw.size == target
    assert len(set(draw.ids)) == draw.size
    counts: dict[str, int] = {}
    for rid in draw.ids:
        counts[strata[rid]] = counts.get(strata[rid], 0) + 1
    assert {k: v for k, v in draw.strata_sample.items() if v} == counts
    n_strata = len(draw.strata_population)
    for label, n in draw.strata_population.items():
        quota = target * n / len(ids)
        got = draw.strata_sample[label]
        assert got <= n
        if target >= n_strata:
            assert got >= 1
        # proportional: within one record of the exact quota, except where a stratum had to
        # give one up so that every stratum is represented
        assert abs(got - quota) < 1 + n_strata


# --------------------------------------------------------------------------- oversampling


def test_oversampling_includes_adds_records() -> None:
    strata = _decisions(30)
    plain = draw_sample(IDS, 0.1, seed=5, strata=strata)
    assert plain.strata_sample["include"] == 3
    draw = draw_sample(IDS, 0.1, seed=5, strata=strata, oversample={"include": 15})
    assert draw.method == "stratified+oversampled"
    assert draw.strata_sample == {"exclude": 97, "include": 15}
    assert draw.size == 112 and draw.target_size == 100
    assert sum(1 for i in draw.ids if strata[i] == "include") == 15
    assert draw.includes == 15
    assert any("enriched sample" in w for w in draw.warnings)
    assert "oversampling include at least 15" in draw.describe()


def test_oversampling_already_met_changes_nothing() -> None:
    strata = _decisions(300)
    draw = draw_sample(IDS, 0.1, seed=5, strata=strata, oversample={"include": 10})
    assert draw.method == "stratified"
    assert draw.strata_sample["include"] == 30
    assert not any("enriched" in w for w in draw.warnings)


def test_oversampling_more_than_exist_takes_all_and_warns() -> None:
    strata = _decisions(4)
    draw = draw_sample(IDS, 0.1, seed=5, strata=strata, oversample={"include": 20})
    assert draw.strata_sample["include"] == 4
    assert any("only 4 exist" in w for w in draw.warnings)
    assert any("every one there is" in w for w in draw.warnings)


def test_oversampling_errors_and_unknown_stratum() -> None:
    with pytest.raises(ValueError, match="oversampling needs strata"):
        draw_sample(IDS, 0.1, seed=1, oversample={"include": 5})
    with pytest.raises(ValueError, match="must be a whole number"):
        draw_sample(IDS, 0.1, seed=1, strata=_decisions(10), oversample={"include": -1})
    draw = draw_sample(IDS, 0.1, seed=1, strata=_decisions(10), oversample={"incude": 5})
    assert any("Cannot oversample 'incude'" in w for w in draw.warnings)


# --------------------------------------------------------------------------- warnings


def test_few_includes_warning_suggests_stratifying() -> None:
    decisions = _decisions(20)
    draw = draw_sample(IDS, 0.1, seed=3, decisions=decisions)
    assert draw.includes is not None and draw.includes < MIN_SAMPLE_INCLUDES
    assert draw.includes == sum(1 for i in draw.ids if decisions[i] == "include")
    msg = [w for w in draw.warnings if "kappa will be unstable" in w]
    assert msg and f"only {draw.includes} include" in msg[0]
    assert "--stratify decision" in msg[0] and "20 includes among the 1000 records" in msg[0]


def test_include_count_ignores_ids_outside_the_population() -> None:
    decisions = _decisions(20)
    decisions.update({i: "include" for i in range(5000, 5100)})  # decided at another stage
    draw = draw_sample(IDS, 0.1, seed=3, decisions=decisions)
    assert any("20 includes among the 1000 records" in w for w in draw.warnings)


def test_enough_includes_no_warning() -> None:
    draw = draw_sample(IDS, 0.1, seed=3, decisions=_decisions(400))
    assert draw.includes is not None and draw.includes >= MIN_SAMPLE_INCLUDES
    assert draw.warnings == []


def test_unknown_include_count_gives_no_include_warning() -> None:
    draw = draw_sample(IDS, 0.1, seed=3, strata={i: "medline" for i in IDS})
    assert draw.includes is None
    assert not any("include" in w for w in draw.warnings)


def test_small_sample_warning() -> None:
    draw = draw_sample(list(range(100)), 0.1, seed=3)
    assert any("only 10 records" in w for w in draw.warnings)


# --------------------------------------------------------------------------- storing


def test_to_dict_is_json_and_describes_the_draw() -> None:
    draw = draw_sample(IDS, 0.1, seed=42, strata=_decisions(50))
    data = json.loads(json.dumps(draw.to_dict()))
    assert data["ids"] == draw.ids
    assert data["seed"] == 42 and data["fraction"] == 0.1
    assert data["method"] == "stratified"
    assert data["strata_sample"] == draw.strata_sample
    assert data["size"] == 100 and data["population"] == 1000
    text = draw.describe()
    assert "seed 42" in text and "100 of 1000 records" in text and "10%" in text
    assert isinstance(draw, SampleDraw)
