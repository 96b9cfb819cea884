"""PRISMA 2020 counts: the reference review's flow passes, each broken rule is named."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from realist.prisma import OtherMethods, PrismaCounts

# Johnson et al., BMJ Qual Saf 2025 (methods.md section 1): 9,859 identified, 3,600 duplicates
# removed, 6,259 screened, 6,212 excluded, 47 assessed, 11 excluded, 36 included. The paper
# gives no per-database split or per-reason counts; the split below is illustrative and
# sums to the published totals.
REFERENCE = PrismaCounts(
    databases={
        "MEDLINE": 2500,
        "Embase": 2700,
        "CINAHL": 1100,
        "PsycINFO": 600,
        "Web of Science": 1459,
        "Scopus": 1500,
    },
    duplicates_removed=3600,
    records_screened=6259,
    records_excluded=6212,
    reports_sought=47,
    reports_not_retrieved=0,
    reports_assessed=47,
    reports_excluded=11,
    exclusion_reasons={"no inequality focus": 7, "not a service intervention": 4},
    studies_included=36,
    reports_included=36,
)


def test_reference_review_passes_every_check() -> None:
    assert REFERENCE.identified_databases == 9859
    assert REFERENCE.identified == 9859
    assert REFERENCE.removed_before_screening == 3600
    assert REFERENCE.check() == []
    assert REFERENCE.check(strict=True) == []


def test_reference_review_dict_and_json() -> None:
    data = json.loads(json.dumps(REFERENCE.to_dict()))
    assert data["identified"] == 9859
    assert data["duplicates_removed"] == 3600
    assert data["records_screened"] == 6259
    assert data["records_excluded"] == 6212
    assert data["reports_assessed"] == 47
    assert data["reports_excluded"] == 11
    assert data["studies_included"] == 36
    assert data["databases"]["Web of Science"] == 1459
    assert data["problems"] == []
    assert PrismaCounts.from_dict(data) == REFERENCE


def test_reference_review_markdown() -> None:
    md = REFERENCE.to_markdown()
    for line in (
        "| Records identified from databases | 9,859 |",
        "| &nbsp;&nbsp;MEDLINE | 2,500 |",
        "| &nbsp;&nbsp;Duplicate records removed | 3,600 |",
        "| Records screened | 6,259 |",
        "| Records excluded | 6,212 |",
        "| Reports sought for retrieval | 47 |",
        "| Reports assessed for eligibility | 47 |",
        "| Reports excluded | 11 |",
        "| &nbsp;&nbsp;no inequality focus | 7 |",
        "| Studies included in review | 36 |",
        "| Reports of included studies | 36 |",
    ):
        assert line in md, line
    assert "All PRISMA 2020 arithmetic checks pass." in md


def test_screened_must_equal_identified_minus_removed() -> None:
    broken = replace(REFERENCE, records_screened=6260, records_excluded=6213)
    problems = broken.check()
    assert len(problems) == 1
    msg = problems[0]
    assert "Records screened (6,260)" in msg and "(9,859)" in msg and "3,600" in msg
    assert "= 6,259" in msg and "1 more" in msg


def test_all_removal_kinds_count_before_screening() -> None:
    counts = replace(
        REFERENCE,
        duplicates_removed=3500,
        removed_by_automation=60,
        removed_other_reasons=40,
    )
    assert counts.removed_before_screening == 3600
    assert counts.check() == []
    short = replace(counts, removed_other_reasons=0)
    (problem,) = short.check()
    assert "(3,560: 3,500 duplicates, 60 by automation tools, 0 for other" in problem
    assert "= 6,299; it is 6,259, 40 fewer" in problem


def test_assessed_must_equal_sought_minus_not_retrieved() -> None:
    broken = replace(REFERENCE, reports_not_retrieved=2)
    problems = broken.check()
    assert any(
        "Reports assessed for eligibility (47)" in p
        and "(47) minus reports not retrieved (2) = 45" in p
        for p in problems
    )
    fixed = replace(broken, reports_assessed=45, reports_excluded=9, exclusion_reasons={"x": 9})
    assert fixed.check() == []


@pytest.mark.parametrize(
    ("reasons", "phrase"),
    [
        ({"no inequality focus": 7, "not a service intervention": 3}, "1 excluded report has no"),
        ({"no inequality focus": 9, "not a service intervention": 4}, "2 reports more than"),
        ({}, "11 excluded reports have no reason"),
    ],
)
def test_reasons_must_sum_to_reports_excluded(reasons: dict[str, int], phrase: str) -> None:
    problems = replace(REFERENCE, exclusion_reasons=reasons).check()
    assert len(problems) == 1
    assert "reports excluded are 11" in problems[0] and phrase in problems[0]


def test_included_must_equal_assessed_minus_excluded() -> None:
    problems = replace(REFERENCE, studies_included=35, reports_included=35).check()
    assert len(problems) == 1
    assert "Reports of included studies (35)" in problems[0] and "= 36" in problems[0]


def test_studies_without_report_count() -> None:
    counts = replace(REFERENCE, reports_included=None)
    assert counts.check() == []
    (problem,) = replace(counts, studies_included=37).check()
    assert "Studies included (37)" in problem and "= 36" in problem


def test_more_studies_than_reports_is_a_problem() -> None:
    counts = replace(REFERENCE, studies_included=40)
    problems = counts.check()
    assert any(
        "Studies included (40) exceed reports of included studies (36)" in p for p in problems
    )
    several_reports = replace(REFERENCE, studies_included=30)
    assert several_reports.check() == []


def test_negative_counts_are_named() -> None:
    counts = replace(
        REFERENCE,
        databases={**REFERENCE.databases, "Scopus": -1},
        reports_not_retrieved=-2,
    )
    problems = counts.check()
    assert any("records identified from database 'Scopus' is negative (-1)" in p for p in problems)
    assert any("reports not retrieved is negative (-2)" in p for p in problems)


def test_excluded_cannot_exceed_screened() -> None:
    problems = replace(REFERENCE, records_excluded=7000).check()
    assert any(
        "Records excluded at screening (7,000) exceed records screened" in p for p in problems
    )


def test_strict_requires_sought_from_screening() -> None:
    counts = replace(REFERENCE, records_excluded=6200)
    assert counts.check() == []
    (problem,) = counts.check(strict=True)
    assert "Reports sought for retrieval (47)" in problem and "= 59" in problem


def test_other_methods_column() -> None:
    other = OtherMethods(
        sources={"citation searching": 6, "websites": 2, "experts": 1},
        reports_sought=9,
        reports_not_retrieved=1,
        reports_assessed=8,
        reports_excluded=3,
        exclusion_reasons={"not a service intervention": 3},
    )
    counts = replace(REFERENCE, other_methods=other, studies_included=41, reports_included=41)
    assert other.identified == 9
    assert counts.check() == []
    data = json.loads(json.dumps(counts.to_dict()))
    assert data["other_methods"]["identified"] == 9
    assert PrismaCounts.from_dict(data) == counts
    md = counts.to_markdown()
    assert "### Identification via other methods" in md
    assert "| &nbsp;&nbsp;citation searching | 6 |" in md

    # the other column has its own arithmetic, and its kept reports join the included total
    broken = replace(counts, other_methods=replace(other, reports_assessed=9))
    problems = broken.check()
    assert any(
        p.startswith("Other methods: Reports assessed for eligibility (9)") for p in problems
    )
    assert any("(both columns)" in p for p in problems)
    assert replace(counts, studies_included=36, reports_included=36).check() != []


def test_problems_appear_in_markdown_and_dict() -> None:
    broken = replace(REFERENCE, records_screened=6000, records_excluded=5953)
    md = broken.to_markdown()
    assert "All PRISMA 2020 arithmetic checks pass." not in md
    assert "- Records screened (6,000)" in md
    assert broken.to_dict()["problems"] == broken.check()


def test_from_dict_names_bad_values() -> None:
    with pytest.raises(ValueError, match="records_screened must be a whole number"):
        PrismaCounts.from_dict({"records_screened": "many"})
    with pytest.raises(ValueError, match=r"databases\['MEDLINE'\]"):
        PrismaCounts.from_dict({"databases": {"MEDLINE": 1.5}})
