"""Agreement statistics against published worked examples, an independent re-derivation,
properties over generated tables, and the awkward tables screening produces."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from realist.agreement.stats import (
    CI_METHOD,
    Z_95,
    agreement_report,
    agreement_table,
    cohen_kappa,
    expected_agreement,
    gwet_ac1,
    kappa_ci,
    kappa_se,
    landis_koch_band,
    negative_agreement,
    pabak,
    percent_agreement,
    positive_agreement,
    specific_agreement,
)

SCREEN2 = ["include", "exclude"]

# (source, table, categories, {statistic: (published value, decimals published)})
# Statistic names are AgreementReport fields. Every figure is the one the source prints.
PUBLISHED: list[tuple[str, list[list[int]], list[str], dict[str, tuple[float, int]]]] = [
    (
        "statpsych ci.kappa(.05, 31, 12, 4, 58) (methods.md)",
        [[31, 12], [4, 58]],
        SCREEN2,
        {
            "kappa": (0.6756757, 7),
            "kappa_se": (0.07344761, 8),
            "kappa_ci_low": (0.5317210, 7),
            "kappa_ci_high": (0.8196303, 7),
            "percent_agreement": (0.84762, 5),
            "pabak": (0.69524, 5),
            "ac1": (0.71414, 5),
        },
    ),
    (
        "Gerstman, Epidemiology Kept Simple, Ex. 10.1 (methods.md)",
        [[1467, 782], [1309, 16232]],
        SCREEN2,
        {
            "percent_agreement": (0.8943, 4),
            "expected_agreement": (0.7780, 4),
            "kappa": (0.52413, 5),
        },
    ),
    (
        "Feinstein & Cicchetti 1990, balanced margins (methods.md)",
        [[40, 9], [6, 45]],
        SCREEN2,
        {
            "percent_agreement": (0.85, 2),
            "kappa": (0.70, 2),
            "pabak": (0.70, 2),
            "ac1": (0.70075, 5),
        },
    ),
    (
        "Feinstein & Cicchetti 1990, the paradox (methods.md)",
        [[80, 10], [5, 5]],
        SCREEN2,
        {
            "percent_agreement": (0.85, 2),
            "expected_agreement": (0.78, 2),
            "kappa": (0.31818, 5),
            "pabak": (0.70, 2),
            "ac1": (0.808, 3),
        },
    ),
    (
        # SAS PROC FREQ AGREE printout for a 3x3 table with an empty column, as quoted in
        # statsmodels' test_inter_rater.py (table10): Kappa, ASE and 95% confidence limits.
        "SAS PROC FREQ simple kappa, 3x3 with a column nobody used",
        [[0, 4, 1], [0, 8, 0], [0, 1, 5]],
        ["a", "b", "c"],
        {
            "kappa": (0.4842, 4),
            "kappa_se": (0.1380, 4),
            "kappa_ci_low": (0.2137, 4),
            "kappa_ci_high": (0.7547, 4),
        },
    ),
    (
        # SAS/STAT User's Guide, PROC FREQ "Getting Started: Agreement Study" (SkinCondition
        # data, two dermatologists, 4 categories): Simple Kappa 0.3449, ASE 0.0724, CI
        # 0.2030-0.4868. The table was checked against the guide; the printed output figures
        # are as the guide's output table gives them (not retrievable in full here).
        "SAS PROC FREQ Getting Started: skin condition, 4x4",
        [[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]],
        ["terrible", "poor", "marginal", "clear"],
        {
            "kappa": (0.3449, 4),
            "kappa_se": (0.0724, 4),
            "kappa_ci_low": (0.2030, 4),
            "kappa_ci_high": (0.4868, 4),
        },
    ),
    (
        # Gwet's irrCAC package README, cont3x3abstractors: kappa2.table 0.7964094 (se
        # 0.05891072), gwet.ac1.table 0.8493305, bp2.table (Brennan-Prediger = PABAK) 0.835,
        # pa2.table 0.89. irrCAC's interval uses a t quantile, so its CI is not compared.
        "irrCAC cont3x3abstractors (Gwet), 3x3",
        [[13, 0, 0], [0, 20, 7], [0, 4, 56]],
        ["Ectopic", "AIU", "NIU"],
        {
            "kappa": (0.7964094, 7),
            "kappa_se": (0.05891072, 8),
            "ac1": (0.8493305, 7),
            "pabak": (0.835, 3),
            "percent_agreement": (0.89, 2),
        },
    ),
    (
        # Agresti & Winner (1997, CHANCE 10(2)) and Agresti's Categorical Data Analysis:
        # Siskel and Ebert's ratings of 160 films (con, mixed, pro), kappa 0.389 with ASE
        # 0.060 and 95% CI (0.27, 0.51). The table is the one in public R course code; the SE
        # and CI are the textbook's as quoted, not re-read from the book here.
        "Agresti, Siskel & Ebert movie ratings, 3x3",
        [[24, 8, 13], [8, 13, 11], [10, 9, 64]],
        ["con", "mixed", "pro"],
        {
            "kappa": (0.389, 3),
            "kappa_se": (0.060, 3),
            "kappa_ci_low": (0.27, 2),
            "kappa_ci_high": (0.51, 2),
        },
    ),
    (
        # Cohen (1968) Table 1, 200 cases in 3 diagnoses (proportions .44 .07 .09 / .05 .20
        # .05 / .01 .03 .06); unweighted kappa .492 as Cohen reports it.
        "Cohen 1968, Table 1, 3x3",
        [[88, 14, 18], [10, 40, 10], [2, 6, 12]],
        ["personality disorder", "neurosis", "psychosis"],
        {"kappa": (0.492, 3), "percent_agreement": (0.70, 2), "expected_agreement": (0.41, 2)},
    ),
]


def _close(actual: float | None, published: float, decimals: int) -> bool:
    """Equal to the published figure at the precision it was published to."""
    return actual is not None and abs(actual - published) <= 0.5 * 10**-decimals + 1e-12


@pytest.mark.parametrize(
    ("source", "table", "categories", "expected"), PUBLISHED, ids=[p[0] for p in PUBLISHED]
)
def test_published_examples(
    source: str,
    table: list[list[int]],
    categories: list[str],
    expected: dict[str, tuple[float, int]],
) -> None:
    report = agreement_report(table, categories)
    for name, (value, decimals) in expected.items():
        actual = getattr(report, name)
        assert _close(actual, value, decimals), f"{source}: {name} = {actual}, published {value}"


@pytest.mark.parametrize(
    ("table", "kappa_3dp", "paradox_expected"),
    [([[40, 9], [6, 45]], 0.700, False), ([[80, 10], [5, 5]], 0.318, True)],
)
def test_feinstein_cicchetti_pair_same_agreement_different_kappa(
    table: list[list[int]], kappa_3dp: float, paradox_expected: bool
) -> None:
    report = agreement_report(table, SCREEN2)
    assert report.percent_agreement == pytest.approx(0.85)
    assert round(report.kappa or 0.0, 3) == kappa_3dp
    paradox = any(
        "kappa can be low while reviewers almost always agree" in w for w in report.warnings
    )
    assert paradox is paradox_expected


def test_standalone_functions_match_the_report() -> None:
    table = [[31, 12], [4, 58]]
    report = agreement_report(table, SCREEN2)
    assert percent_agreement(table) == report.percent_agreement
    assert expected_agreement(table) == report.expected_agreement
    assert cohen_kappa(table) == report.kappa
    assert kappa_se(table) == report.kappa_se
    assert kappa_ci(table) == (report.kappa_ci_low, report.kappa_ci_high)
    assert pabak(table) == report.pabak
    assert gwet_ac1(table) == report.ac1
    assert positive_agreement(table) == pytest.approx(2 * 31 / (2 * 31 + 12 + 4))
    assert negative_agreement(table) == pytest.approx(2 * 58 / (2 * 58 + 12 + 4))
    assert report.positive_agreement == positive_agreement(table)
    assert report.negative_agreement == negative_agreement(table)
    assert report.band == "substantial"
    assert "Fleiss, Cohen & Everitt (1969)" in report.ci_method == CI_METHOD
    assert report.warnings == []


def test_wald_interval_uses_1_959964() -> None:
    table = [[31, 12], [4, 58]]
    kappa, se = cohen_kappa(table), kappa_se(table)
    assert kappa is not None and se is not None
    assert kappa_ci(table) == pytest.approx((kappa - 1.959964 * se, kappa + 1.959964 * se))
    assert kappa_ci(table, z=1.0) == pytest.approx((kappa - se, kappa + se))
    assert Z_95 == 1.959964


def test_prevalence_and_bias_indices_for_2x2() -> None:
    report = agreement_report([[80, 10], [5, 5]], SCREEN2)
    assert report.prevalence_index == pytest.approx((80 - 5) / 100)
    assert report.bias_index == pytest.approx((10 - 5) / 100)
    three = agreement_report([[5, 1, 0], [1, 5, 0], [0, 0, 5]], ["include", "exclude", "maybe"])
    assert three.prevalence_index is None and three.bias_index is None


# --------------------------------------------------------------------------- building tables


def test_agreement_table_counts_pairs_in_category_order() -> None:
    pairs = [
        ("include", "include"),
        ("include", "exclude"),
        ("exclude", "exclude"),
        ("exclude", "exclude"),
        ("maybe", "include"),
    ]
    assert agreement_table(pairs, ["include", "exclude", "maybe"]) == [
        [1, 1, 0],
        [0, 2, 0],
        [1, 0, 0],
    ]
    assert agreement_table([], SCREEN2) == [[0, 0], [0, 0]]


def test_agreement_table_names_the_bad_pair() -> None:
    with pytest.raises(ValueError, match=r"pair 2: reviewer B's decision 'inclde'"):
        agreement_table([("include", "include"), ("exclude", "inclde")], SCREEN2)
    with pytest.raises(ValueError, match="listed twice"):
        agreement_table([], ["include", "include"])
    with pytest.raises(ValueError, match="empty"):
        agreement_table([], [])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([[1, 2], [3]], "square"),
        ([[1, -2], [3, 4]], "negative"),
        ([[1, 2.5], [3, 4]], "whole count"),
        ([], "empty"),
    ],
)
def test_malformed_tables_raise_one_clear_error(table: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cohen_kappa(table)


def test_report_rejects_mismatched_categories() -> None:
    with pytest.raises(ValueError, match="3 categories"):
        agreement_report([[1, 2], [3, 4]], ["include", "exclude", "maybe"])
    with pytest.raises(ValueError, match="positive category 'yes'"):
        agreement_report([[1, 2], [3, 4]], SCREEN2, positive="yes")


# --------------------------------------------------------------------------- edge cases


def test_perfect_agreement_with_two_categories() -> None:
    report = agreement_report([[12, 0], [0, 88]], SCREEN2)
    assert report.kappa == pytest.approx(1.0)
    assert report.pabak == pytest.approx(1.0)
    assert report.ac1 == pytest.approx(1.0)
    assert report.kappa_se == pytest.approx(0.0)
    assert report.band == "almost perfect"
    assert report.positive_agreement == report.negative_agreement == 1.0
    assert any("standard error of kappa is 0" in w for w in report.warnings)


def test_both_reviewers_one_category_kappa_undefined_but_reported() -> None:
    report = agreement_report([[0, 0], [0, 40]], SCREEN2)
    assert report.kappa is None
    assert report.kappa_se is None and report.kappa_ci_low is None and report.kappa_ci_high is None
    assert report.band is None
    assert report.percent_agreement == 1.0
    assert report.table == [[0, 0], [0, 40]]
    assert report.pabak == 1.0
    assert report.positive_agreement is None and report.negative_agreement == 1.0
    undefined = [w for w in report.warnings if "undefined" in w]
    assert undefined and "'exclude'" in undefined[0] and "100.0%" in undefined[0]
    assert any("No record was marked 'include'" in w for w in report.warnings)


def test_empty_table_gives_nones_and_a_warning_not_an_error() -> None:
    report = agreement_report([[0, 0], [0, 0]], SCREEN2)
    assert report.n == 0
    for name in ("percent_agreement", "kappa", "kappa_se", "pabak", "ac1", "band"):
        assert getattr(report, name) is None
    assert len(report.warnings) == 1 and "empty" in report.warnings[0]
    assert cohen_kappa([[0, 0], [0, 0]]) is None
    assert percent_agreement([[0, 0], [0, 0]]) is None
    assert pabak([[0, 0], [0, 0]]) is None


def test_one_reviewer_never_includes_zero_row() -> None:
    table = [[0, 0], [6, 30]]
    report = agreement_report(table, SCREEN2)
    assert report.kappa == 0.0
    a = ["exclude"] * 36
    b = ["include"] * 6 + ["exclude"] * 30
    assert report.kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert report.positive_agreement == 0.0
    assert any("Reviewer A put every record in 'exclude'" in w for w in report.warnings)


def test_zero_column_reviewer_b_never_includes() -> None:
    report = agreement_report([[0, 4], [0, 40]], SCREEN2)
    assert report.kappa == 0.0
    assert any("Reviewer B put every record in 'exclude'" in w for w in report.warnings)


def test_3x3_with_maybe_by_hand() -> None:
    cats = ["include", "exclude", "maybe"]
    table = [[8, 2, 2], [1, 70, 3], [1, 3, 10]]
    report = agreement_report(table, cats)
    n = 100
    p_o = (8 + 70 + 10) / n
    rows, cols = [12, 74, 14], [10, 75, 15]
    p_e = sum(r * c for r, c in zip(rows, cols, strict=True)) / n**2
    assert report.percent_agreement == pytest.approx(p_o)
    assert report.kappa == pytest.approx((p_o - p_e) / (1 - p_e))
    assert report.pabak == pytest.approx((3 * p_o - 1) / 2)
    assert report.positive_agreement == pytest.approx(2 * 8 / (12 + 10))
    assert report.negative_agreement == pytest.approx(2 * 70 / (74 + 75))
    assert report.specific_agreement["maybe"] == pytest.approx(2 * 10 / (14 + 15))
    assert specific_agreement(table) == [
        pytest.approx(16 / 22),
        pytest.approx(140 / 149),
        pytest.approx(20 / 29),
    ]
    labels_a = [c for i, c in enumerate(cats) for j in range(3) for _ in range(table[i][j])]
    labels_b = [cats[j] for i in range(3) for j in range(3) for _ in range(table[i][j])]
    assert report.kappa == pytest.approx(cohen_kappa_score(labels_a, labels_b))


def test_offered_but_unused_maybe_changes_pabak_not_kappa() -> None:
    two = agreement_report([[10, 5], [5, 80]], SCREEN2)
    three = agreement_report([[10, 5, 0], [5, 80, 0], [0, 0, 0]], [*SCREEN2, "maybe"])
    assert three.kappa == pytest.approx(two.kappa)
    assert two.pabak == pytest.approx(2 * 0.9 - 1)
    assert three.pabak == pytest.approx((3 * 0.9 - 1) / 2)
    assert three.specific_agreement["maybe"] is None


def test_single_category_table_does_not_crash() -> None:
    report = agreement_report([[7]], ["exclude"])
    assert report.kappa is None and report.pabak is None and report.ac1 is None
    assert report.positive_category is None and report.negative_category == "exclude"
    assert report.positive_agreement is None and report.negative_agreement == 1.0


def test_custom_tag_categories_pick_first_as_positive() -> None:
    report = agreement_report([[3, 1], [0, 20]], ["tagged", "not tagged"])
    assert report.positive_category == "tagged" and report.negative_category == "not tagged"
    assert report.positive_agreement == pytest.approx(6 / 7)
    swapped = agreement_report([[20, 0], [1, 3]], ["exclude", "include"])
    assert swapped.positive_category == "include" and swapped.negative_category == "exclude"
    assert swapped.positive_agreement == pytest.approx(6 / 7)
    other = agreement_report([[20, 0], [1, 3]], ["exclude", "relevant"])
    assert other.positive_category == "relevant" and other.negative_category == "exclude"
    with pytest.raises(ValueError, match="both 'exclude'"):
        agreement_report([[20, 0], [1, 3]], SCREEN2, positive="exclude")


# --------------------------------------------------------------------------- warnings


def test_tiny_sample_and_few_includes_are_flagged() -> None:
    report = agreement_report([[2, 1], [0, 17]], SCREEN2)
    assert any("Only 20 records" in w and "30" in w for w in report.warnings)
    assert any("Only 3 records were marked 'include'" in w for w in report.warnings)


def test_enough_records_and_includes_no_size_warnings() -> None:
    report = agreement_report([[20, 3], [2, 75]], SCREEN2)
    assert not any("Only" in w for w in report.warnings)


def test_high_prevalence_warning_names_pabak_and_ac1() -> None:
    report = agreement_report([[2, 2], [1, 95]], SCREEN2)
    msgs = [w for w in report.warnings if "High prevalence" in w]
    assert msgs
    assert "kappa can be low while reviewers almost always agree; see PABAK and AC1" in msgs[0]
    assert "'exclude'" in msgs[0]


def test_wide_interval_beyond_range_is_flagged() -> None:
    report = agreement_report([[3, 1], [0, 2]], SCREEN2)
    assert report.kappa_ci_high is not None and report.kappa_ci_high > 1
    assert any("beyond the range" in w for w in report.warnings)


# --------------------------------------------------------------------------- Landis & Koch


@pytest.mark.parametrize(
    ("kappa", "band"),
    [
        (-0.5, "poor"),
        (-0.01, "poor"),
        (-1e-15, "slight"),
        (0.0, "slight"),
        (0.20, "slight"),
        (0.2049, "slight"),
        (0.205, "fair"),
        (0.21, "fair"),
        (0.40, "fair"),
        (0.41, "moderate"),
        (0.60, "moderate"),
        (0.6049, "moderate"),
        (0.61, "substantial"),
        (0.80, "substantial"),
        (0.805, "almost perfect"),
        (0.81, "almost perfect"),
        (1.0, "almost perfect"),
        (None, None),
        (math.nan, None),
    ],
)
def test_landis_koch_bands_and_boundaries(kappa: float | None, band: str | None) -> None:
    assert landis_koch_band(kappa) == band


# --------------------------------------------------------------------------- generated tables


def _labels(table: list[list[int]]) -> tuple[list[int], list[int]]:
    q = len(table)
    a = [i for i in range(q) for j in range(q) for _ in range(table[i][j])]
    b = [j for i in range(q) for j in range(q) for _ in range(table[i][j])]
    return a, b


@st.composite
def tables(draw: st.DrawFn, max_count: int = 40) -> list[list[int]]:
    q = draw(st.integers(min_value=2, max_value=4))
    cells = draw(st.lists(st.integers(0, max_count), min_size=q * q, max_size=q * q))
    return [cells[i * q : (i + 1) * q] for i in range(q)]


def _delta_method_se(table: list[list[int]]) -> float:
    """SE of kappa from the multinomial delta method with a numerical gradient: the
    derivation Fleiss, Cohen & Everitt's closed form comes from, computed independently."""
    t = np.asarray(table, dtype=float)
    n = t.sum()
    p = (t / n).ravel()
    q = t.shape[0]

    def kappa_of(v: np.ndarray) -> float:
        m = v.reshape(q, q)
        p_o = np.trace(m)
        p_e = float((m.sum(axis=1) * m.sum(axis=0)).sum())
        return float((p_o - p_e) / (1 - p_e))

    h = 1e-7
    grad = np.array([(kappa_of(p + h * e) - kappa_of(p - h * e)) / (2 * h) for e in np.eye(q * q)])
    cov = np.diag(p) - np.outer(p, p)
    return float(np.sqrt(max(grad @ cov @ grad, 0.0) / n))


@settings(max_examples=200, deadline=None)
@given(tables())
def test_kappa_matches_sklearn(table: list[list[int]]) -> None:
    kappa = cohen_kappa(table)
    a, b = _labels(table)
    if not a:
        assert kappa is None
        return
    if len(set(a) | set(b)) == 1:
        assert kappa is None  # sklearn returns nan here
        return
    expected = cohen_kappa_score(a, b, labels=list(range(len(table))))
    assert kappa == pytest.approx(expected, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(tables())
def test_se_matches_delta_method(table: list[list[int]]) -> None:
    se = kappa_se(table)
    kappa = cohen_kappa(table)
    if kappa is None:
        assert se is None
        return
    n = sum(map(sum, table))
    p_e = expected_agreement(table)
    assert p_e is not None
    if 1 - p_e < 1e-3:  # numerical differentiation is too coarse this close to p_e = 1
        return
    assert se is not None
    assert se == pytest.approx(_delta_method_se(table), rel=1e-4, abs=1e-6 / math.sqrt(n))


@settings(max_examples=200, deadline=None)
@given(tables())
def test_symmetric_under_transposition_and_relabelling(table: list[list[int]]) -> None:
    q = len(table)
    transposed = [[table[j][i] for j in range(q)] for i in range(q)]
    order = list(reversed(range(q)))
    relabelled = [[table[i][j] for j in order] for i in order]
    for other in (transposed, relabelled):
        for fn in (cohen_kappa, kappa_se, pabak, gwet_ac1, percent_agreement):
            x, y = fn(table), fn(other)
            assert (x is None) == (y is None)
            if x is not None and y is not None:
                assert x == pytest.approx(y, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(tables())
def test_ranges_and_interval_contains_kappa(table: list[list[int]]) -> None:
    report = agreement_report(table, [f"c{i}" for i in range(len(table))])
    if report.n == 0:
        return
    assert report.pabak is not None and -1 - 1e-12 <= report.pabak <= 1 + 1e-12
    assert report.ac1 is not None and -1 - 1e-12 <= report.ac1 <= 1 + 1e-12
    assert report.percent_agreement is not None and 0 <= report.percent_agreement <= 1
    if report.kappa is not None:
        assert -1 - 1e-12 <= report.kappa <= 1 + 1e-12
        assert report.band is not None
        if report.kappa_ci_low is not None and report.kappa_ci_high is not None:
            assert report.kappa_ci_low <= report.kappa <= report.kappa_ci_high


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 4), st.lists(st.integers(0, 30), min_size=4, max_size=4))
def test_perfect_diagonal_gives_kappa_one(q: int, counts: list[int]) -> None:
    diag = counts[:q]
    table = [[diag[i] if i == j else 0 for j in range(q)] for i in range(q)]
    used = sum(1 for d in diag if d)
    kappa = cohen_kappa(table)
    if used >= 2:
        assert kappa == pytest.approx(1.0)
        assert landis_koch_band(kappa) == "almost perfect"
    else:
        assert kappa is None


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))
def test_2x2_closed_forms(a: int, b: int, c: int, d: int) -> None:
    """PABAK, AC1 and specific agreement re-derived from the 2x2 closed forms."""
    n = a + b + c + d
    table = [[a, b], [c, d]]
    if n == 0:
        assert gwet_ac1(table) is None
        return
    p_o = (a + d) / n
    assert pabak(table) == pytest.approx(2 * p_o - 1)
    pi = ((a + b) + (a + c)) / (2 * n)
    pe_ac1 = 2 * pi * (1 - pi)
    assert gwet_ac1(table) == pytest.approx((p_o - pe_ac1) / (1 - pe_ac1))
    pos, neg = positive_agreement(table), negative_agreement(table)
    assert pos == (pytest.approx(2 * a / (2 * a + b + c)) if 2 * a + b + c else None)
    assert neg == (pytest.approx(2 * d / (2 * d + b + c)) if 2 * d + b + c else None)


def test_numpy_integer_tables_are_accepted() -> None:
    table = np.array([[31, 12], [4, 58]])
    report = agreement_report(table.tolist(), SCREEN2)
    from_numpy = agreement_report(table, SCREEN2)  # type: ignore[arg-type]
    assert from_numpy.kappa == pytest.approx(report.kappa)
    assert from_numpy.table == [[31, 12], [4, 58]]
