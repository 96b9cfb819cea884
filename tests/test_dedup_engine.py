"""find_duplicates: tiers on hand-made pairs, clusters, incremental mode, distinct pairs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from realist.dedup import (
    DEFAULT_THRESHOLDS,
    CandidatePair,
    DedupRecord,
    DuplicateIdError,
    InvalidRecordError,
    UnknownIdError,
    find_duplicates,
)

FIXTURES = Path(__file__).parent / "fixtures" / "dedup"
PAIRS: dict[str, Any] = json.loads((FIXTURES / "pairs.json").read_text(encoding="utf-8"))


def record(rid: int, **fields: Any) -> DedupRecord:
    base: dict[str, Any] = {"title": None, "authors": None, "year": None, "journal": None}
    base.update(fields)
    return DedupRecord(id=rid, **base)


def only_pair(records: list[DedupRecord]) -> CandidatePair | None:
    result = find_duplicates(records)
    assert len(result.pairs) <= 1
    return result.pairs[0] if result.pairs else None


@pytest.mark.parametrize("case", PAIRS["duplicate"], ids=[c["name"] for c in PAIRS["duplicate"]])
def test_duplicates_merge_automatically(case: dict[str, Any]) -> None:
    pair = only_pair([record(1, **case["a"]), record(2, **case["b"])])
    assert pair is not None, "the duplicate was not even proposed"
    assert pair.tier == "certain", pair.reason


@pytest.mark.parametrize("case", PAIRS["distinct"], ids=[c["name"] for c in PAIRS["distinct"]])
def test_near_duplicates_never_merge_automatically(case: dict[str, Any]) -> None:
    pair = only_pair([record(1, **case["a"]), record(2, **case["b"])])
    assert pair is None or pair.tier == "uncertain", pair.reason if pair else ""


def test_near_duplicates_with_a_close_title_are_queued_for_review() -> None:
    case = next(c for c in PAIRS["distinct"] if c["name"].startswith("erratum"))
    pair = only_pair([record(1, **case["a"]), record(2, **case["b"])])
    assert pair is not None
    assert pair.tier == "uncertain"
    assert "erratum" in pair.reason


def _copies() -> list[DedupRecord]:
    """Three exports of one article, one of another, and an unrelated record."""
    return [
        record(
            7,
            title="Early mobilisation after acute stroke: a randomised trial",
            authors="Smith JA, Jones B",
            year=2015,
            journal="Stroke",
            volume="46",
            pages="412-19",
        ),
        record(
            3,
            title="Early Mobilisation After Acute Stroke: A Randomised Trial.",
            authors="Smith, J. A.; Jones, B.",
            year=2015,
            journal="Stroke",
            volume="46",
            pages="412-419",
        ),
        record(
            12,
            title="EARLY MOBILISATION AFTER ACUTE STROKE - A RANDOMISED TRIAL",
            authors=["J. A. Smith", "B. Jones"],
            year=2015,
            journal="Stroke",
            doi="10.1161/STROKEAHA.114.000001",
        ),
        record(
            5,
            title="Music therapy for aphasia after stroke",
            authors="Lee K",
            year=2019,
            journal="Aphasiology",
            volume="33",
            pages="1-12",
        ),
        record(
            9,
            title="Music therapy for aphasia after stroke.",
            authors="Lee, K.",
            year=2019,
            journal="Aphasiology",
            volume="33",
            pages="1-12",
        ),
        record(
            20,
            title="Dysphagia screening in the emergency department",
            authors="Park S",
            year=2011,
            journal="Dysphagia",
        ),
    ]


def test_clusters_are_components_of_certain_pairs_canonical_first() -> None:
    result = find_duplicates(_copies())
    assert result.clusters == [[3, 7, 12], [5, 9]]
    assert all(p.tier == "certain" for p in result.pairs)
    assert {(p.a, p.b) for p in result.pairs} >= {(3, 7), (5, 9)}


def test_every_pair_carries_evidence_and_a_reason() -> None:
    result = find_duplicates(_copies())
    assert result.pairs
    for p in result.pairs:
        assert p.a < p.b
        assert 0.0 <= p.score <= 1.0
        assert {"title", "first_author", "year"} <= set(p.evidence)
        assert all(0.0 <= v <= 1.0 for v in p.evidence.values())
        assert "title 1.00" in p.reason or "title 0.9" in p.reason
        assert "first author match" in p.reason


def test_same_doi_is_evidence() -> None:
    pair = only_pair(
        [
            record(
                1,
                title="Telehealth for heart failure",
                authors="Garcia M",
                year=2020,
                doi="10.1136/heartjnl-2019-316001",
            ),
            record(
                2,
                title="Telehealth for heart failure: a review",
                authors="Garcia, M.",
                year=2020,
                doi="https://doi.org/10.1136/HEARTJNL-2019-316001",
            ),
        ]
    )
    assert pair is not None
    assert pair.tier == "certain"
    assert pair.evidence["doi"] == 1.0
    assert pair.reason.startswith("same DOI")


def test_typos_in_the_title_start_still_meet() -> None:
    title = "Constraint-induced movement therapy for upper limb recovery after stroke"
    pair = only_pair(
        [
            record(
                1,
                title=title,
                authors="Wolf SL",
                year=2006,
                journal="JAMA",
                volume="296",
                pages="2095-104",
            ),
            record(
                2,
                title="Cnostraint-induced movement therapy for uper limb recovery after stroke",
                authors="Wolf, S. L.",
                year=2006,
                journal="JAMA",
                volume="296",
                pages="2095-2104",
            ),
        ]
    )
    assert pair is not None
    assert pair.tier == "certain"


def test_stricter_thresholds_only_demote() -> None:
    records = _copies()
    strict = replace(DEFAULT_THRESHOLDS, title_same=1.01, title_close=1.01)
    default_certain = {(p.a, p.b) for p in find_duplicates(records).certain}
    strict_result = find_duplicates(records, thresholds=strict)
    assert {(p.a, p.b) for p in strict_result.certain} < default_certain
    assert {(p.a, p.b) for p in strict_result.pairs} >= default_certain


def test_incremental_mode_pairs_only_touch_the_new_batch() -> None:
    records = _copies()
    new = [
        record(
            30,
            title="Early mobilisation after acute stroke: a randomised trial",
            authors="Smith J, Jones B",
            year=2015,
            journal="Stroke",
            volume="46",
            pages="412-9",
            batch=2,
        ),
        record(
            31,
            title="Dysphagia screening in the emergency department: a cohort",
            authors="Ito T",
            year=2021,
            journal="Dysphagia",
            batch=2,
        ),
        record(
            32,
            title="Dysphagia screening in the emergency department: a cohort.",
            authors="Ito, T.",
            year=2021,
            journal="Dysphagia",
            batch=2,
        ),
    ]
    result = find_duplicates(records + new, new_ids=[30, 31, 32])
    pairs = {(p.a, p.b) for p in result.pairs}
    assert all(a in {30, 31, 32} or b in {30, 31, 32} for a, b in pairs)
    assert {(3, 30), (7, 30), (12, 30), (31, 32)} <= pairs  # against the review, within batch
    assert (3, 7) not in pairs  # already known, not produced again
    full = {(p.a, p.b, p.tier) for p in find_duplicates(records + new).pairs}
    assert {(p.a, p.b, p.tier) for p in result.pairs} == {
        t for t in full if t[0] in {30, 31, 32} or t[1] in {30, 31, 32}
    }
    assert [30, 31, 32] not in result.clusters
    assert [31, 32] in result.clusters


def test_incremental_mode_with_an_empty_batch_finds_nothing() -> None:
    assert find_duplicates(_copies(), new_ids=[]).pairs == []


def test_distinct_pairs_are_never_proposed_again() -> None:
    result = find_duplicates(_copies(), distinct=[(9, 5)])
    assert (5, 9) not in {(p.a, p.b) for p in result.pairs}
    assert [5, 9] not in result.clusters


def test_clusters_never_chain_records_marked_distinct() -> None:
    records = _copies()
    result = find_duplicates(records, distinct=[(3, 12)])
    for cluster in result.clusters:
        assert not {3, 12} <= set(cluster)
    demoted = [p for p in result.pairs if p.tier == "uncertain"]
    assert demoted, "a certain link had to give way"
    assert all("marked distinct" in p.reason for p in demoted)
    # the strongest link survives: 3 and 7 are nearly identical records
    assert any({3, 7} <= set(c) for c in result.clusters)


def test_progress_is_reported_up_to_the_total() -> None:
    calls: list[tuple[int, int]] = []
    records = _copies()
    find_duplicates(records, progress=lambda done, total: calls.append((done, total)))
    assert calls
    assert calls[-1] == (2 * len(records), 2 * len(records))
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert {t for _, t in calls} == {2 * len(records)}


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(DuplicateIdError, match="record id 3"):
        find_duplicates([record(3, title="A"), record(3, title="B")])


def test_records_with_wrong_field_types_are_named() -> None:
    bad = record(8, title="A title", authors=42, year=2010)
    with pytest.raises(InvalidRecordError, match="record id 8"):
        find_duplicates([record(1, title="Fine"), bad])


def test_placeholder_values_do_not_match_each_other() -> None:
    # exports write "UNKNOWN", "nan" or "N/A" for missing fields; two such records share nothing
    first = record(
        1,
        title="Digital labour platforms in the gig economy",
        authors="UNKNOWN",
        year=2020,
        journal="UNKNOWN",
        volume="UNKNOWN",
        pages="N/A",
    )
    second = record(
        2,
        title="Digital labour platforms and the gig economy",
        authors="Unknown",
        year=2020,
        journal="nan",
        volume="UNKNOWN",
        pages="n/a",
    )
    pair = only_pair([first, second])
    assert pair is not None
    assert pair.tier == "uncertain"
    assert "first_author" not in pair.evidence
    assert "journal" not in pair.evidence


def test_unknown_new_ids_are_refused() -> None:
    with pytest.raises(UnknownIdError, match=r"\[99\]"):
        find_duplicates(_copies(), new_ids=[3, 99])


def test_empty_and_sparse_input() -> None:
    assert find_duplicates([]).pairs == []
    result = find_duplicates([record(1), record(2), record(3, title="Only a title here")])
    assert result.pairs == []
    assert result.clusters == []


def test_clusters_never_chain_records_that_contradict_each_other() -> None:
    title = "Robot-assisted gait training after spinal cord injury"
    full_paper = record(
        1,
        title=title,
        authors="Alcobendas M, Ruiz P",
        year=2012,
        journal="Spinal Cord",
        volume="50",
        pages="100-110",
    )
    no_pages = record(
        2, title=title, authors="Alcobendas, M.; Ruiz, P.", year=2012, journal="Spinal Cord"
    )
    abstract = record(
        3,
        title=title,
        authors="Alcobendas M",
        year=2012,
        journal="Spinal Cord",
        volume="50",
        pages="S12",
    )
    result = find_duplicates([full_paper, no_pages, abstract])
    tiers = {(p.a, p.b): p.tier for p in result.pairs}
    assert tiers[(1, 3)] == "uncertain"  # the page clash is seen directly
    assert not any({1, 3} <= set(c) for c in result.clusters)
    assert sum(t == "certain" for t in tiers.values()) == 1  # one link of the chain gave way
    assert any("contradict each other" in p.reason for p in result.pairs)


def test_distinct_holds_across_links_already_in_the_review() -> None:
    # 3 and 5 were merged earlier; a reviewer said 5 and 30 are different works. A new record
    # (30) that matches 3 may not be merged automatically: it would join 30 to 5.
    records = _copies()
    new = record(
        30,
        title="Early mobilisation after acute stroke: a randomised trial",
        authors="Smith J, Jones B",
        year=2015,
        journal="Stroke",
        volume="46",
        pages="412-9",
        batch=2,
    )
    free = find_duplicates([*records, new], new_ids=[30])
    assert any(p.tier == "certain" for p in free.pairs)
    kept_apart = find_duplicates([*records, new], new_ids=[30], linked=[(3, 5)], distinct=[(5, 30)])
    assert (3, 30) in {(p.a, p.b) for p in kept_apart.pairs}
    assert not any(
        p.tier == "certain" and 3 in (p.a, p.b) and 30 in (p.a, p.b) for p in kept_apart.pairs
    )
