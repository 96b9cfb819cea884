"""The YAML dump as the portable archive of a team's work: screening decisions with their whole
history, tags, agreement samples and resolutions survive dump -> load -> dump byte for byte, on
SQLite and PostgreSQL, and loading the same archive twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from realist.db import migrate
from realist.db.models import Resolution, SampleRecord, ScreeningDecision
from realist.db.store import Store
from realist.services import screening
from realist.services.context import Workspace, resolve_actor
from realist.yamlio.loader import load_paths
from realist.yamlio.writer import dump_review
from tests.factories import make_records
from tests.factories_team import draw_sample

TA, FT = "title_abstract", "full_text"


def screened_review(ws: Workspace) -> None:
    """Decisions of two reviewers (superseded, retracted, with reasons and notes), tags on and
    off, a stratified sample and a resolution."""
    rec = make_records(ws, 8, seed=5)
    jf = ws.with_actor(resolve_actor(ws.store, "JF"))
    screening.decide(ws, rec[0], TA, "include", note="clear QI focus")
    screening.decide(ws, rec[0], TA, "maybe")  # supersedes, keeps the note
    screening.decide(ws, rec[1], TA, "exclude", reason="lmic", note="Brazil")
    screening.decide(ws, rec[2], TA, "include")
    screening.undo_last(ws, TA)  # retracted
    screening.decide(ws, rec[3], TA, "include")
    screening.decide(jf, rec[0], TA, "exclude", reason="not_qi")
    screening.decide(jf, rec[3], TA, "include")
    screening.decide(ws, rec[3], FT, "include")
    screening.toggle_tag(ws, rec[0], "race", TA)
    screening.toggle_tag(ws, rec[3], "gap")
    screening.toggle_tag(ws, rec[3], "gap")  # off again
    screening.toggle_tag(jf, rec[0], "race", TA)
    screening.toggle_label(jf, rec[3], "Rural clinics")
    sample = draw_sample(ws, "LLJ", "JF", [rec[0], rec[3]])
    with ws.store.transaction() as s:
        s.execute(
            SampleRecord.__table__.update()
            .where(SampleRecord.sample_id == sample, SampleRecord.record_id == rec[0])
            .values(stratum="include")
        )
        s.add(
            Resolution(
                review_id=ws.review_id,
                sample_id=sample,
                record_id=rec[0],
                stage=TA,
                decision="maybe",
                rationale="discussed: QI but unclear equity focus",
                decided_by_id=ws.actor.id if ws.actor else None,
                decided_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
            )
        )


def read_dir(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.glob("*.yaml"))}


def current_state(store: Store) -> list[tuple[object, ...]]:
    d = ScreeningDecision
    with store.read() as s:
        return [
            tuple(row)
            for row in s.execute(
                select(
                    d.id,
                    d.record_id,
                    d.reviewer_id,
                    d.stage,
                    d.decision,
                    d.is_current,
                    d.retracted_at.is_(None),
                ).order_by(d.id)
            )
        ]


def test_screening_survives_dump_and_load_byte_for_byte(
    demo_ws: Workspace, db_url: str, tmp_path: Path
) -> None:
    screened_review(demo_ws)
    first = dump_review(demo_ws.store, demo_ws.review_id, tmp_path / "a")
    assert {p.name for p in first} >= {"review.yaml", "records.yaml", "screening.yaml"}
    text = (tmp_path / "a" / "screening.yaml").read_text(encoding="utf-8")
    assert "kind: screening" in text and "retracted_at:" in text and "strata:" in text

    target = Store(db_url)
    migrate.upgrade(target)
    load_paths(target, first)
    dump_review(target, 1, tmp_path / "b")
    assert read_dir(tmp_path / "b") == read_dir(tmp_path / "a")
    assert current_state(target) == current_state(demo_ws.store)

    # Loading the same archive again changes nothing.
    load_paths(target, first)
    dump_review(target, 1, tmp_path / "c")
    assert read_dir(tmp_path / "c") == read_dir(tmp_path / "a")

    # The restored history works: undo walks back as it would have in the original.
    ws = Workspace(target, 1, resolve_actor(target, "LLJ"))
    change = screening.undo_last(ws, TA)
    assert change is not None and change.after is None  # rec[3]: LLJ's only TA decision
    with target.read() as s:
        current = s.scalar(
            select(func.count()).where(
                ScreeningDecision.is_current, ScreeningDecision.reviewer_id == ws.actor.id
            )  # type: ignore[union-attr]
        )
    assert current == 3  # rec[0] maybe, rec[1] exclude, rec[3] full-text include
    target.dispose()


def test_an_archive_merges_into_a_review_with_newer_decisions(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    """Restoring an older archive never leaves two current decisions: the later one stands."""
    screened_review(demo_ws)
    archive = dump_review(demo_ws.store, demo_ws.review_id, tmp_path / "a")
    with demo_ws.store.read() as s:
        rid = s.scalar(select(func.min(ScreeningDecision.record_id)))
    assert rid is not None
    newer = screening.decide(demo_ws, rid, TA, "exclude", reason="not_qi")
    load_paths(demo_ws.store, [p for p in archive if p.name == "screening.yaml"])
    d = ScreeningDecision
    with demo_ws.store.read() as s:
        current = s.execute(
            select(d.id).where(
                d.record_id == rid, d.stage == TA, d.is_current, d.reviewer_id == demo_ws.actor.id
            )  # type: ignore[union-attr]
        ).all()
    assert [c.id for c in current] == [newer.decision_id]


def test_a_dump_made_for_the_blinded_second_reviewer_leaves_out_the_first_reviewers_work(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    screened_review(demo_ws)  # a blind sample LLJ -> JF at title/abstract, stratified
    jf = demo_ws.with_actor(resolve_actor(demo_ws.store, "JF"))
    dump_review(demo_ws.store, demo_ws.review_id, tmp_path / "jf", viewer=jf)
    dump_review(demo_ws.store, demo_ws.review_id, tmp_path / "llj", viewer=demo_ws)
    for_jf = (tmp_path / "jf" / "screening.yaml").read_text(encoding="utf-8")
    for_llj = (tmp_path / "llj" / "screening.yaml").read_text(encoding="utf-8")
    assert "clear QI focus" in for_llj and "strata:" in for_llj and "Brazil" in for_llj
    assert "clear QI focus" not in for_jf and "Brazil" not in for_jf and "strata:" not in for_jf
    assert "reviewer: LLJ\n    stage: full_text" in for_jf  # A's full-text work stays
    assert "discussed: QI but unclear" not in for_jf  # the resolution at the blind stage
    assert "tag: race\n    reviewer: LLJ" not in for_jf and "tag: race\n    reviewer: JF" in for_jf
