"""Builders for the import and de-duplication tests: a review with people in each role, RIS files,
screening decisions written directly (the screening service is another capability's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from realist.db import migrate
from realist.db.models import Record, ScreeningDecision
from realist.db.store import Store
from realist.services import reviewers
from realist.services.context import Workspace, resolve_actor
from realist.services.reviews import create_review
from tests.conftest import migrated_sqlite

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"
MEDLINE = FIXTURES / "medline_2023.ris"  # 6 records
UPDATE = FIXTURES / "embase_2024_update.ris"  # 5 records: 2 certain duplicates, 1 uncertain
BROKEN = FIXTURES / "broken.ris"  # 4 records, 2 with nothing to identify them


def ingest_ws(tmp_path: Path, url: str | None = None) -> Workspace:
    """A fresh review (SQLite in tmp_path, or the database at `url`) acting as its lead LEAD.

    Reviewers: LEAD (lead), REV (reviewer), OBS (observer).
    """
    if url is None:
        store = migrated_sqlite(tmp_path / "ingest.db")
    else:
        store = Store(url)
        migrate.upgrade(store)
    rid = create_review(store, "Ingest test review")
    ws = Workspace(store, rid)
    reviewers.add_reviewer(ws, "LEAD", role="lead")
    lead = Workspace(store, rid, resolve_actor(store, "LEAD"))
    reviewers.add_reviewer(lead, "REV", role="reviewer")
    reviewers.add_reviewer(lead, "OBS", role="observer")
    return lead


def as_reviewer(ws: Workspace, name: str) -> Workspace:
    """The same review acting as another reviewer."""
    return ws.with_actor(resolve_actor(ws.store, name))


def add_decision(
    ws: Workspace, record_id: int, decision: str = "include", stage: str = "title_abstract"
) -> int:
    """A current screening decision by the workspace's reviewer; returns its id."""
    assert ws.actor is not None
    with ws.store.transaction() as s:
        row = ScreeningDecision(
            review_id=ws.review_id,
            record_id=record_id,
            reviewer_id=ws.actor.id,
            stage=stage,
            decision=decision,
            source="tui",
        )
        s.add(row)
        s.flush()
        return row.id


def record_ids(ws: Workspace, batch_id: int | None = None) -> list[int]:
    """Record ids of the review (or one batch) in id order."""
    with ws.store.read() as s:
        stmt = select(Record.id).where(Record.review_id == ws.review_id)
        if batch_id is not None:
            stmt = stmt.where(Record.batch_id == batch_id)
        return list(s.scalars(stmt.order_by(Record.id)))


def duplicate_links(ws: Workspace) -> dict[int, int]:
    """record id -> duplicate_of_id for every record marked duplicate."""
    with ws.store.read() as s:
        return {
            rid: dup
            for rid, dup in s.execute(
                select(Record.id, Record.duplicate_of_id).where(
                    Record.review_id == ws.review_id, Record.duplicate_of_id.is_not(None)
                )
            )
        }


def write_ris(path: Path, records: list[dict[str, Any]]) -> Path:
    """A RIS file from dicts of RIS tags (a list value writes the tag once per item)."""
    lines: list[str] = []
    for rec in records:
        lines.append(f"TY  - {rec.get('TY', 'JOUR')}")
        for tag, value in rec.items():
            if tag == "TY":
                continue
            for v in value if isinstance(value, list) else [value]:
                lines.append(f"{tag}  - {v}")
        lines.append("ER  - ")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
