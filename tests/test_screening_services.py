"""Screening services: decisions appended and superseded, undo, tags, labels, notes, the final
decision, eligibility at full text, the queue and the record view."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from realist.db.models import AuditEntry, RecordTag, Resolution, ScreeningDecision
from realist.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from realist.services import screening as sc
from realist.services.context import Workspace
from realist.services.fulltext import mark_not_retrieved
from tests.conftest import migrated_sqlite
from tests.factories_screening import (
    add_batch,
    add_reviewer,
    as_reviewer,
    mark_duplicates,
    reviewer_id,
    screening_workspace,
    workspace_at,
)

TA, FT = "title_abstract", "full_text"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return screening_workspace(migrated_sqlite(tmp_path / "s.db"))


def rows(ws: Workspace, record_id: int, reviewer: str = "LLJ") -> list[tuple[str, bool, bool]]:
    """(decision, is_current, retracted) of a reviewer's rows on a record, oldest first."""
    who = reviewer_id(ws, reviewer)
    with ws.store.read() as s:
        return [
            (d.decision, d.is_current, d.retracted_at is not None)
            for d in s.scalars(
                select(ScreeningDecision)
                .where(
                    ScreeningDecision.record_id == record_id, ScreeningDecision.reviewer_id == who
                )
                .order_by(ScreeningDecision.id)
            )
        ]


def final(ws: Workspace, stage: str = TA) -> dict[int, str]:
    with ws.store.read() as s:
        fd = sc.final_decisions(s, ws, stage)
        return dict(s.execute(select(fd.c.record_id, fd.c.decision)).all())


# --------------------------------------------------------------------------------------------
# Decisions and undo


def test_a_new_decision_supersedes_the_previous_one_in_place(db_url: str) -> None:
    ws = workspace_at(db_url)
    (r,) = add_batch(ws, 1)
    first = sc.decide(ws, r, TA, "include")
    second = sc.decide(ws, r, TA, "EXCLUDE", reason="lmic", note="Brazil")
    assert (first.before, first.after) == (None, "include")
    assert (second.before, second.after, second.reason, second.note) == (
        "include",
        "exclude",
        "lmic",
        "Brazil",
    )
    assert rows(ws, r) == [("include", False, False), ("exclude", True, False)]
    with ws.store.read() as s:
        entries = [
            (e.actor, e.entity_id, e.details["decision"], e.details["previous"], e.at)
            for e in s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "screening.decide")
                .order_by(AuditEntry.id)
            )
        ]
    assert [e[:4] for e in entries] == [
        ("LLJ", str(r), "include", None),
        ("LLJ", str(r), "exclude", "include"),
    ]
    assert all(e[4] is not None for e in entries)


def test_deciding_again_keeps_reason_and_note_and_writes_nothing_when_unchanged(
    ws: Workspace,
) -> None:
    (r,) = add_batch(ws, 1)
    sc.decide(ws, r, TA, "exclude", reason="not_qi", note="audit only")
    same = sc.decide(ws, r, TA, "exclude")
    assert not same.changed and same.reason == "not_qi" and same.note == "audit only"
    assert len(rows(ws, r)) == 1
    to_include = sc.decide(ws, r, TA, "include")
    assert to_include.reason is None and to_include.note == "audit only"
    cleared = sc.annotate(ws, r, TA, "")
    assert cleared.note is None and cleared.after == "include"


def test_undo_walks_back_through_the_reviewers_decisions(db_url: str) -> None:
    ws = workspace_at(db_url)
    a, b = add_batch(ws, 2)
    sc.decide(ws, a, TA, "include")
    sc.decide(ws, b, TA, "exclude")
    sc.decide(ws, a, TA, "maybe")
    jf = as_reviewer(ws, "JF")
    sc.decide(jf, a, TA, "exclude")  # someone else's decision is not on LLJ's stack
    u1 = sc.undo_last(ws, TA)
    assert u1 is not None and (u1.record_id, u1.before, u1.after) == (a, "maybe", "include")
    u2 = sc.undo_last(ws, TA)
    assert u2 is not None and (u2.record_id, u2.before, u2.after) == (b, "exclude", None)
    u3 = sc.undo_last(ws, TA)
    assert u3 is not None and (u3.record_id, u3.before, u3.after) == (a, "include", None)
    assert sc.undo_last(ws, TA) is None
    assert rows(ws, a) == [("include", False, True), ("maybe", False, True)]
    assert rows(ws, a, "JF") == [("exclude", True, False)]
    assert final(ws) == {a: "exclude"}


def test_undo_is_per_stage(ws: Workspace) -> None:
    (r,) = add_batch(ws, 1)
    sc.decide(ws, r, TA, "include")
    sc.decide(ws, r, FT, "include")
    change = sc.undo_last(ws, TA)
    assert change is not None and change.stage == TA
    assert rows(ws, r)[-1] == ("include", True, False)  # the full-text decision stands


def test_observers_may_not_screen(ws: Workspace) -> None:
    (r,) = add_batch(ws, 1)
    observer = add_reviewer(ws, "OBS", role="observer")
    with pytest.raises(PermissionDeniedError, match="OBS"):
        sc.decide(observer, r, TA, "include")
    with pytest.raises(PermissionDeniedError):
        sc.toggle_tag(observer, r, "race")


def test_reasons_are_checked(ws: Workspace) -> None:
    (r,) = add_batch(ws, 1)
    with pytest.raises(InvalidInputError, match="goes with exclude"):
        sc.decide(ws, r, TA, "include", reason="lmic")
    with pytest.raises(InvalidInputError, match="unknown exclusion reason 'nope'"):
        sc.decide(ws, r, TA, "exclude", reason="nope")
    with pytest.raises(InvalidInputError, match="unknown decision"):
        sc.decide(ws, r, TA, "perhaps")
    assert rows(ws, r) == []


def test_duplicates_are_not_screened(ws: Workspace) -> None:
    a, b = add_batch(ws, 2)
    mark_duplicates(ws, [(b, a)])
    with pytest.raises(InvalidInputError, match=f"duplicate of record {a}"):
        sc.decide(ws, b, TA, "include")
    with pytest.raises(NotFoundError):
        sc.decide(ws, 99999, TA, "include")


# --------------------------------------------------------------------------------------------
# Full text


def test_full_text_needs_a_kept_record_a_reason_and_a_retrieved_report(ws: Workspace) -> None:
    a, b, c, d = add_batch(ws, 4)
    sc.decide(ws, a, TA, "include")
    sc.decide(ws, b, TA, "maybe")
    sc.decide(ws, c, TA, "exclude")
    sc.decide(ws, d, TA, "include")
    sc.decide(as_reviewer(ws, "JF"), d, TA, "exclude")  # conflict: not at full text yet
    with ws.store.read() as s:
        assert set(s.scalars(sc.eligible_records(s, ws, FT))) == {a, b}
    with pytest.raises(InvalidInputError, match="final title/abstract decision is exclude"):
        sc.decide(ws, c, FT, "include")
    with pytest.raises(InvalidInputError, match="unresolved conflict"):
        sc.decide(ws, d, FT, "include")
    with pytest.raises(InvalidInputError, match="reason is required at the full-text stage"):
        sc.decide(ws, a, FT, "exclude")
    assert sc.decide(ws, a, FT, "exclude", reason="no_equity_data").after == "exclude"
    mark_not_retrieved(ws, b)
    with pytest.raises(InvalidInputError, match="not retrieved"):
        sc.decide(ws, b, FT, "include")


# --------------------------------------------------------------------------------------------
# The final decision


def test_final_decision_agreement_conflict_and_latest_resolution(db_url: str) -> None:
    ws = workspace_at(db_url)
    a, b, c, d = add_batch(ws, 4)
    jf = as_reviewer(ws, "JF")
    sc.decide(ws, a, TA, "include")
    sc.decide(jf, a, TA, "include")
    sc.decide(ws, b, TA, "include")
    sc.decide(jf, b, TA, "exclude")
    sc.decide(ws, c, TA, "maybe")
    sc.decide(jf, c, TA, "exclude")
    assert final(ws) == {a: "include", b: "conflict", c: "conflict"}
    with ws.store.transaction() as s:
        s.add(Resolution(review_id=ws.review_id, record_id=b, stage=TA, decision="exclude"))
        s.add(Resolution(review_id=ws.review_id, record_id=c, stage=TA, decision="exclude"))
        s.flush()
        s.add(Resolution(review_id=ws.review_id, record_id=c, stage=TA, decision="include"))
        s.add(Resolution(review_id=ws.review_id, record_id=d, stage=FT, decision="include"))
    assert final(ws) == {a: "include", b: "exclude", c: "include"}
    assert final(ws, FT) == {d: "include"}
    with ws.store.read() as s:
        assert sc.final_decision_of(s, ws, c, TA) == "include"
        assert sc.final_decision_of(s, ws, d, TA) is None


# --------------------------------------------------------------------------------------------
# Tags and labels


def test_tags_toggle_per_reviewer(db_url: str) -> None:
    ws = workspace_at(db_url)
    (r,) = add_batch(ws, 1)
    jf = as_reviewer(ws, "JF")
    assert sc.toggle_tag(ws, r, "race", TA).on
    assert sc.toggle_tag(jf, r, "race", TA).on
    assert not sc.toggle_tag(ws, r, "race", TA).on
    assert sc.toggle_tag(ws, r, "race", TA).on
    with ws.store.read() as s:
        tags = s.execute(
            select(RecordTag.reviewer_id, RecordTag.is_current, RecordTag.removed_at.is_not(None))
            .where(RecordTag.record_id == r)
            .order_by(RecordTag.id)
        ).all()
        audits = s.scalar(select(func.count()).where(AuditEntry.action == "screening.tag"))
    llj, jfid = reviewer_id(ws, "LLJ"), reviewer_id(ws, "JF")
    assert [tuple(t) for t in tags] == [(llj, False, True), (jfid, True, False), (llj, True, False)]
    assert audits == 4
    with pytest.raises(NotFoundError, match="no tag 'nope'"):
        sc.toggle_tag(ws, r, "nope")


def test_custom_labels_are_defined_on_first_use(ws: Workspace) -> None:
    a, b = add_batch(ws, 2)
    first = sc.toggle_label(ws, a, "Check  with team")
    assert first.on and first.code == "check_with_team" and first.label == "Check with team"
    again = sc.toggle_label(ws, b, "check with TEAM")
    assert again.code == "check_with_team"
    ctx = sc.screening_context(ws)
    custom = [t for t in ctx.tags if t.group == "custom"]
    assert [(t.code, t.label) for t in custom] == [("check_with_team", "Check with team")]
    with pytest.raises(InvalidInputError):
        sc.toggle_label(ws, a, "  !! ")


# --------------------------------------------------------------------------------------------
# Queue


def test_queue_order_navigation_and_progress(ws: Workspace) -> None:
    ids = add_batch(ws, 6)
    sc.decide(ws, ids[0], TA, "include")
    sc.decide(ws, ids[2], TA, "exclude")
    q = sc.open_queue(ws, TA)
    assert q.ids == ids and q.current == ids[1]  # the first record waiting
    p = q.progress()
    assert (p.total, p.screened, p.remaining, p.include, p.exclude) == (6, 2, 4, 1, 1)
    assert q.next_open() == ids[3]  # skips the decided third record
    q.goto(ids[5])
    assert q.next_open() == ids[1]  # wraps round to records skipped earlier
    q.goto(ids[0])
    assert q.step(-1) == ids[0] and q.step(2) == ids[2] and q.step(10) == ids[5]
    change = sc.decide(ws, ids[5], TA, "maybe")
    q.apply(change)
    assert q.progress().maybe == 1 and q.progress().remaining == 3
    undo = sc.undo_last(ws, TA)
    assert undo is not None
    q.apply(undo)
    assert q.progress().maybe == 0 and q.is_open(ids[5])


def test_queue_skips_duplicates_and_orders_by_file(ws: Workspace) -> None:
    second = add_batch(ws, 3, source_db="Embase", seed=2)
    first = add_batch(ws, 2, source_db="MEDLINE", seed=1)
    mark_duplicates(ws, [(second[1], first[0])])
    q = sc.open_queue(ws, TA)
    assert q.ids == [second[0], second[2], *first]  # batch then position


def test_random_order_is_reproducible_and_differs_per_reviewer(ws: Workspace) -> None:
    ids = add_batch(ws, 40)
    a = sc.open_queue(ws, TA, "random")
    b = sc.open_queue(ws, TA, "random")
    c = sc.open_queue(as_reviewer(ws, "JF"), TA, "random")
    seeded = sc.open_queue(ws, TA, "random", seed=5)
    assert a.ids == b.ids and sorted(a.ids) == ids and a.ids != ids
    assert c.ids != a.ids and seeded.ids != a.ids
    with pytest.raises(InvalidInputError, match="unknown queue order"):
        sc.open_queue(ws, TA, "relevance-first")


def test_orderings_can_be_registered(ws: Workspace) -> None:
    ids = add_batch(ws, 5)
    sc.register_ordering("reversed-test", lambda s, w, st, xs, seed: list(reversed(xs)))
    try:
        assert sc.open_queue(ws, TA, "reversed-test").ids == list(reversed(ids))
    finally:
        sc.ORDERINGS.pop("reversed-test")


def test_full_text_queue_closes_not_retrieved_reports(ws: Workspace) -> None:
    a, b, c = add_batch(ws, 3)
    for r in (a, b, c):
        sc.decide(ws, r, TA, "include")
    mark_not_retrieved(ws, b)
    q = sc.open_queue(ws, FT)
    assert q.ids == [a, b, c] and not q.is_open(b)
    assert q.progress().not_retrieved == 1 and q.progress().remaining == 2
    assert sc.reviewer_progress(ws, FT) == q.progress()


def test_reviewer_progress_counts_in_the_database(ws: Workspace) -> None:
    ids = add_batch(ws, 5)
    sc.decide(ws, ids[0], TA, "include")
    sc.decide(ws, ids[1], TA, "exclude")
    sc.decide(as_reviewer(ws, "JF"), ids[2], TA, "exclude")
    p = sc.reviewer_progress(ws, TA)
    assert (p.total, p.include, p.exclude, p.maybe, p.remaining) == (5, 1, 1, 0, 3)
    assert p == sc.open_queue(ws, TA).progress()


def test_find_record_by_source_id_or_record_id(ws: Workspace) -> None:
    a, b = add_batch(ws, 2, prefix="PM")
    assert sc.find_record(ws, "PM2") == b
    assert sc.find_record(ws, f"#{a}") == a
    assert sc.find_record(ws, str(a)) == a  # a number that is no source id
    with pytest.raises(NotFoundError):
        sc.find_record(ws, "#999999")
    with pytest.raises(NotFoundError):
        sc.find_record(ws, "PM9")


# --------------------------------------------------------------------------------------------
# Record view and highlighting


def test_record_view_shows_mine_others_tags_and_final(ws: Workspace) -> None:
    (r,) = add_batch(ws, 1)
    jf = as_reviewer(ws, "JF")
    sc.decide(ws, r, TA, "exclude", reason="lmic", note="Kenya")
    sc.toggle_tag(ws, r, "race")
    view = sc.record_view(ws, r, TA)
    assert view.mine is not None and view.mine.reason_label is not None
    assert view.mine.reason_label.startswith("Undertaken in a low-income")
    assert view.others == () and view.final is None and view.my_tags == {"race"}
    sc.decide(jf, r, TA, "include")
    sc.toggle_tag(jf, r, "gap")
    view = sc.record_view(ws, r, TA)
    assert [(o.reviewer, o.decision) for o in view.others] == [("JF", "include")]
    assert view.other_tags == (("JF", "gap"),) and view.final == "conflict"
    assert view.source == "MEDLINE" and view.position == 1


def test_highlight_rules() -> None:
    rules = sc.HighlightRules(
        include=("quality improvement", "inequalit*", "QI", "low-income"),
        exclude=("low-income countr*", "protocol"),
    )
    text = "A QI protocol on Inequalities in low-income countries and low-income groups; aQIb"
    spans = [(text[s:e], kind) for s, e, kind in rules.spans(text)]
    assert spans == [
        ("QI", "include"),
        ("protocol", "exclude"),
        ("Inequalities", "include"),
        ("low-income countries", "exclude"),
        ("low-income", "include"),
    ]
    assert sc.HighlightRules().spans(text) == []
