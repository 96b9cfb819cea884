"""Drawing the second reviewer's sample: reproducible from the seed, stored with how it was drawn,
warnings about too few includes with stratified oversampling, never from a queue order; and
opening the comparison only when both reviewers have finished."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from realist.agreement import draw_sample
from realist.db.models import AuditEntry, Record, Sample, SampleRecord, ScreeningDecision
from realist.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from realist.services import samples
from realist.services import screening as sc
from realist.services.context import Workspace
from tests.factories_agreement import TA, draw_for, first_decision, screen_sample, screened_review
from tests.factories_screening import (
    add_batch,
    add_reviewer,
    as_reviewer,
    reviewer_id,
    workspace_at,
)


@pytest.fixture
def review(tmp_path: Path) -> tuple[Workspace, list[int]]:
    return screened_review(tmp_path / "s.db", n=40)


def first_decisions(ws: Workspace, reviewer: str = "LLJ", stage: str = TA) -> dict[int, str]:
    who = reviewer_id(ws, reviewer)
    d = ScreeningDecision
    with ws.store.read() as s:
        return dict(
            s.execute(
                select(d.record_id, d.decision).where(
                    d.reviewer_id == who, d.stage == stage, d.is_current
                )
            ).all()
        )


def test_a_sample_is_reproducible_from_its_seed_and_stored_with_how_it_was_drawn(
    db_url: str,
) -> None:
    ws = workspace_at(db_url)
    ids = add_batch(ws, 30)
    for i, rid in enumerate(ids):
        sc.decide(ws, rid, TA, first_decision(i))
    info = samples.draw(ws, "JF", 0.10, 2024)
    expected = draw_sample(ids, 0.10, 2024, decisions=first_decisions(ws))
    assert list(info.record_ids) == expected.ids and info.size == 3
    assert (info.seed, info.fraction, info.stratify, info.method) == (2024, 0.10, None, "simple")
    assert (info.first_reviewer, info.second_reviewer, info.drawn_by) == ("LLJ", "JF", "LLJ")
    assert info.status == samples.BLIND and info.population == 30
    assert info.description is not None and "seed 2024" in info.description
    with ws.store.read() as s:
        row = s.scalars(select(Sample)).one()
        assert (row.size, row.seed, row.fraction, row.stage) == (3, 2024, 0.10, TA)
        assert row.drawn_at is not None and row.comparison_opened_at is None
        stored = sorted(s.scalars(select(SampleRecord.record_id)))
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "agreement.sample")).one()
        assert entry.actor == "LLJ" and entry.details["ids"] == expected.ids
        assert entry.details["seed"] == 2024 and entry.details["second"] == "JF"
    assert stored == expected.ids


def test_the_same_seed_draws_the_same_sample_and_another_seed_another(
    review: tuple[Workspace, list[int]],
) -> None:
    ws, _ = review
    a = samples.preview(ws, "JF", 0.25, 7)
    b = samples.preview(ws, "JF", 0.25, 7)
    c = samples.preview(ws, "JF", 0.25, 8)
    assert a.draw.ids == b.draw.ids and a.draw.ids != c.draw.ids
    assert samples.draw(ws, "JF", 0.25, 7).record_ids == tuple(a.draw.ids)


def test_the_draw_never_uses_the_queue_order(
    review: tuple[Workspace, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9 adds a relevance order to the queue: the 10% sample must stay a random draw."""
    ws, ids = review
    baseline = samples.preview(ws, "JF", 0.25, 5).draw.ids
    relevance_first = list(reversed(ids))

    def relevance(s: Any, w: Any, stage: Any, in_file_order: list[int], seed: Any) -> list[int]:
        raise AssertionError("the sample draw asked for a queue order")

    monkeypatch.setitem(sc.ORDERINGS, "relevance", relevance)
    monkeypatch.setitem(sc.ORDERINGS, "file", relevance)
    monkeypatch.setattr(sc, "open_queue", lambda *a, **k: pytest.fail("draw opened a queue"))
    # the records' file order reversed changes nothing either: ids are drawn sorted
    with ws.store.transaction() as s:
        for pos, rid in enumerate(relevance_first, start=1):
            s.execute(update(Record).where(Record.id == rid).values(position=pos))
    info = samples.draw(ws, "JF", 0.25, 5)
    assert list(info.record_ids) == baseline
    assert baseline == draw_sample(ids, 0.25, 5).ids


def test_too_few_includes_warns_and_oversampling_draws_them(
    review: tuple[Workspace, list[int]],
) -> None:
    ws, _ = review
    plain = samples.preview(ws, "JF", 0.10, 3)
    assert plain.few_includes and plain.can_oversample
    assert any("include" in w and "oversampl" in w for w in plain.warnings)
    more = samples.preview(ws, "JF", 0.10, 3, oversample_includes=6)
    assert more.stratify == "decision" and more.draw.method == "stratified+oversampled"
    decisions = first_decisions(ws)
    assert sum(1 for r in more.draw.ids if decisions[r] == "include") == 6
    assert more.draw.includes == 6
    info = samples.draw(ws, "JF", 0.10, 3, oversample_includes=6)
    assert info.oversample == {"include": 6} and info.includes == 6
    assert any("enriched" in w for w in info.warnings)
    with ws.store.read() as s:
        strata = dict(s.execute(select(SampleRecord.record_id, SampleRecord.stratum)).all())
    assert strata == {r: decisions[r] for r in info.record_ids}


def test_stratified_by_source(review: tuple[Workspace, list[int]]) -> None:
    ws, _ = review
    plan = samples.preview(ws, "JF", 0.25, 4, stratify="source")
    assert plan.draw.strata_population == {"Embase": 10, "MEDLINE": 30}
    # 2.5 and 7.5 by quota: the tie goes to the larger stratum
    assert plan.draw.strata_sample == {"Embase": 2, "MEDLINE": 8}
    assert sum(1 for r in plan.draw.ids if plan.strata[r] == "Embase") == 2
    with pytest.raises(InvalidInputError, match="cannot be combined with --stratify source"):
        samples.preview(ws, "JF", 0.25, 4, stratify="source", oversample_includes=3)


def test_who_may_draw_and_for_whom(review: tuple[Workspace, list[int]]) -> None:
    ws, _ = review
    jf = as_reviewer(ws, "JF")
    with pytest.raises(PermissionDeniedError, match="may not draw an agreement sample"):
        samples.draw(jf, "JF", 0.1, 1)
    with pytest.raises(InvalidInputError, match="LLJ is a lead, and leads see every decision"):
        samples.draw(ws, "LLJ", 0.1, 1, first="JF")
    add_reviewer(ws, "OB", role="observer")
    with pytest.raises(InvalidInputError, match=r"OB \(observer\) does not screen records"):
        samples.draw(ws, "OB", 0.1, 1)
    with pytest.raises(NotFoundError, match="unknown second reviewer 'XX'"):
        samples.draw(ws, "XX", 0.1, 1)
    with pytest.raises(InvalidInputError, match="must be two people"):
        samples.draw(ws, "JF", 0.1, 1, first="JF")
    with pytest.raises(InvalidInputError, match="fraction must be greater than 0"):
        samples.draw(ws, "JF", 1.5, 1)
    add_reviewer(ws, "MK")
    with pytest.raises(InvalidInputError, match="MK has not decided any record"):
        samples.draw(ws, "JF", 0.1, 1, first="MK")
    with ws.store.read() as s:
        assert s.scalars(select(Sample)).all() == []


def test_the_first_reviewer_defaults_to_the_only_other_one_who_decided(
    review: tuple[Workspace, list[int]],
) -> None:
    ws, ids = review
    mk = add_reviewer(ws, "MK")
    sc.decide(mk, ids[0], TA, "include")
    with pytest.raises(InvalidInputError, match=r"LLJ \(40 decisions\), MK \(1 decisions\)"):
        samples.draw(ws, "JF", 0.1, 1)
    assert samples.draw(ws, "JF", 0.1, 1, first="MK").record_ids == (ids[0],)


def test_one_blind_sample_per_second_reviewer_and_stage_unless_replaced(
    review: tuple[Workspace, list[int]],
) -> None:
    ws, _ = review
    first = draw_for(ws)
    with pytest.raises(InvalidInputError, match=f"already screening sample {first.id} blind"):
        draw_for(ws, seed=99)
    second = draw_for(ws, seed=99, replace=True)
    assert [i.id for i in samples.list_samples(ws)] == [second.id]
    with ws.store.read() as s:
        gone = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "agreement.sample_discard")
        ).one()
        assert gone.entity_id == str(first.id) and gone.details["ids"] == list(first.record_ids)


def test_records_the_second_reviewer_already_decided_are_left_out(
    review: tuple[Workspace, list[int]],
) -> None:
    ws, ids = review
    jf = as_reviewer(ws, "JF")
    for rid in ids[:30]:
        sc.decide(jf, rid, TA, "exclude")
    plan = samples.preview(ws, "JF", 1.0, 1)
    assert plan.draw.ids == ids[30:] and plan.second_already == 30
    assert any("30 records JF had already decided" in w for w in plan.warnings)
    for rid in ids[30:]:
        sc.decide(jf, rid, TA, "exclude")
    with pytest.raises(InvalidInputError, match="nothing left to sample"):
        samples.preview(ws, "JF", 0.1, 1)


def test_duplicates_are_not_sampled(review: tuple[Workspace, list[int]]) -> None:
    ws, ids = review
    with ws.store.transaction() as s:
        s.execute(update(Record).where(Record.id.in_(ids[:20])).values(duplicate_of_id=ids[-1]))
    assert samples.preview(ws, "JF", 1.0, 1).draw.ids == ids[20:]


def test_the_comparison_opens_only_when_both_have_decided_everything(
    review: tuple[Workspace, list[int]],
) -> None:
    ws, _ = review
    info = draw_for(ws)
    jf = as_reviewer(ws, "JF")
    with pytest.raises(PermissionDeniedError):
        samples.open_comparison(jf, info.id)
    sc.decide(jf, info.record_ids[0], TA, "include")
    with pytest.raises(InvalidInputError) as err:
        samples.open_comparison(ws)
    message = str(err.value)
    assert f"LLJ has decided {info.size} of {info.size}" in message
    assert f"JF has decided 1 of {info.size}" in message and f"#{info.record_ids[1]}" in message
    # the first reviewer undoing one of theirs blocks it too
    screen_sample(jf, info)
    assert samples.get_sample(ws, info.id).status == samples.READY
    with ws.store.transaction() as s:
        s.execute(
            update(ScreeningDecision)
            .where(
                ScreeningDecision.record_id == info.record_ids[2],
                ScreeningDecision.reviewer_id == reviewer_id(ws, "LLJ"),
            )
            .values(is_current=False)
        )
    with pytest.raises(InvalidInputError, match=f"LLJ has decided {info.size - 1} of"):
        samples.open_comparison(ws, info.id)
    sc.decide(ws, info.record_ids[2], TA, "include")
    opened = samples.open_comparison(ws)
    assert opened.status == samples.OPEN and opened.opened_by == "LLJ"
    with pytest.raises(InvalidInputError, match="no blind sample"):
        samples.open_comparison(ws)
    with pytest.raises(InvalidInputError, match="already open"):
        samples.open_comparison(ws, info.id)
    with ws.store.read() as s:
        assert s.scalars(
            select(AuditEntry.entity_id).where(AuditEntry.action == "agreement.comparison_open")
        ).all() == [str(info.id)]


def test_progress_of_both_reviewers(review: tuple[Workspace, list[int]]) -> None:
    ws, _ = review
    info = draw_for(ws)
    jf = as_reviewer(ws, "JF")
    for rid in info.record_ids[:3]:
        sc.decide(jf, rid, TA, "exclude")
    lead_view = samples.get_sample(ws, info.id).progress
    assert (lead_view.size, lead_view.first_decided, lead_view.second_decided) == (10, 10, 3)
    b_view = samples.get_sample(jf, info.id)
    assert (b_view.progress.first_decided, b_view.progress.second_decided) == (None, 3)
    assert b_view.redacted and b_view.population is None and b_view.includes is None
    assert b_view.warnings == () and b_view.description is None and b_view.draw() is None
    assert b_view.record_ids == info.record_ids  # B knows what to screen


def test_a_full_text_sample(review: tuple[Workspace, list[int]]) -> None:
    ws, ids = review
    kept = [r for i, r in enumerate(ids) if first_decision(i) in ("include", "maybe")]
    for rid in kept:
        sc.decide(ws, rid, "full_text", "exclude", reason="not_qi")
    info = samples.draw(ws, "JF", 0.5, 3, stage="full_text")
    assert set(info.record_ids) <= set(kept) and info.stage == "full_text"
    jf = as_reviewer(ws, "JF")
    # JF's full-text queue is the sample; their title/abstract queue is unchanged
    assert sc.open_queue(jf, "full_text").ids == sorted(info.record_ids, key=ids.index)
    assert len(sc.open_queue(jf, TA)) == len(ids)
