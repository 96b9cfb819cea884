"""Builders for screening tests and the benchmark: a review with the bundled criteria, reasons
and tags, records from several sources, and decisions inserted in bulk.

Nothing here asserts anything.
"""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import insert, select, update

from realist.db.models import Document, ImportBatch, Record, Reviewer, ScreeningDecision
from realist.db.store import Store
from realist.paths import BUNDLED_FILES
from realist.services.context import Workspace, resolve_actor, resolve_review_id
from realist.yamlio.loader import load_paths

WORDS = [
    "quality improvement", "health inequalities", "racial disparities", "blood pressure control",
    "diabetes care", "maternal morbidity", "depression treatment", "cancer screening",
    "primary care", "emergency department", "socioeconomic status", "rural hospitals",
    "audit and feedback", "PDSA cycles", "low-income countries", "ethnic minority patients",
]  # fmt: skip
SURNAMES = ["Smith", "Jones", "Garcia", "Nguyen", "Okafor", "Müller", "Kowalski", "Chen", "Ford"]
JOURNALS = ["BMJ Qual Saf", "Pediatrics", "Health Serv Res", "Am J Med Qual", "Ann Fam Med"]


def review_file() -> Path:
    """The bundled review.yaml (criteria, exclusion reasons, tags with keys, reviewers)."""
    return next(p for p in BUNDLED_FILES if p.name == "review.yaml")


def screening_workspace(store: Store, reviewer: str = "LLJ") -> Workspace:
    """Load the bundled review.yaml (no studies) into an empty migrated store; act as `reviewer`."""
    load_paths(store, [review_file()])
    return Workspace(store, resolve_review_id(store), resolve_actor(store, reviewer))


def add_batch(
    ws: Workspace,
    n: int,
    *,
    source_db: str | None = "MEDLINE",
    source_kind: str = "database",
    file_name: str | None = None,
    seed: int = 0,
    prefix: str | None = None,
) -> list[int]:
    """Insert `n` records in one import batch (bulk insert); returns their ids in file order.

    Source ids are `{prefix}{i}` (prefix defaults to the first three letters of the source).
    """
    rng = random.Random(seed)
    tag = prefix if prefix is not None else (source_db or "OTH")[:3].upper() + "-"
    with ws.store.transaction() as s:
        batch = ImportBatch(
            review_id=ws.review_id,
            file_name=file_name or f"{(source_db or 'other').lower()}-{seed}.ris",
            sha256=f"{seed:064x}"[-64:],
            format="ris",
            source_db=source_db,
            source_kind=source_kind,
            record_count=n,
            report={},
        )
        s.add(batch)
        s.flush()
        rows = []
        for i in range(n):
            a, b = rng.sample(WORDS, 2)
            rows.append(
                {
                    "review_id": ws.review_id,
                    "batch_id": batch.id,
                    "position": i + 1,
                    "source_id": f"{tag}{i + 1}",
                    "title": f"Effect of {a} on {b}: study {i + 1}",
                    "abstract": f"We examined {a} and {b} in {rng.randint(20, 5000)} patients. "
                    f"Results suggest {rng.choice(['improvement', 'no change', 'widening gaps'])}.",
                    "authors": [
                        f"{rng.choice(SURNAMES)} {rng.choice('ABCDEFG')}{rng.choice('JKLM')}"
                        for _ in range(3)
                    ],
                    "year": rng.randint(2000, 2023),
                    "journal": rng.choice(JOURNALS),
                    "keywords": [a, b],
                    "extra": {},
                }
            )
        for start in range(0, len(rows), 5000):
            s.execute(insert(Record), rows[start : start + 5000])
        return list(
            s.scalars(
                select(Record.id).where(Record.batch_id == batch.id).order_by(Record.position)
            )
        )


def mark_duplicates(ws: Workspace, pairs: list[tuple[int, int]]) -> None:
    """Mark each (duplicate, canonical) pair."""
    with ws.store.transaction() as s:
        for dup, canonical in pairs:
            s.execute(update(Record).where(Record.id == dup).values(duplicate_of_id=canonical))


def reviewer_id(ws: Workspace, name: str) -> int:
    with ws.store.read() as s:
        rid = s.scalar(select(Reviewer.id).where(Reviewer.name == name))
        assert rid is not None, name
        return int(rid)


def bulk_decide(
    ws: Workspace,
    reviewer: str,
    stage: str,
    decisions: dict[int, str],
    reasons: dict[int, str] | None = None,
) -> None:
    """Insert current decisions directly (fast set-up for large tests; no audit entries)."""
    rid = reviewer_id(ws, reviewer)
    reasons = reasons or {}
    rows = [
        {
            "review_id": ws.review_id,
            "record_id": rec,
            "reviewer_id": rid,
            "stage": stage,
            "decision": dec,
            "reason_code": reasons.get(rec),
            "source": "import",
            "is_current": True,
        }
        for rec, dec in decisions.items()
    ]
    with ws.store.transaction() as s:
        for start in range(0, len(rows), 5000):
            s.execute(insert(ScreeningDecision), rows[start : start + 5000])


def add_document(
    ws: Workspace,
    ref: str,
    *,
    record_id: int | None = None,
    progress_plus: list[str] | None = None,
    focus: str | None = None,
    retrieval: str = "pending",
) -> int:
    """A document (optionally standing for a record) with PROGRESS-Plus codes and a focus."""
    with ws.store.transaction() as s:
        doc = Document(
            review_id=ws.review_id,
            record_id=record_id,
            ref=ref,
            authors=[],
            title=f"Document {ref}",
            progress_plus=progress_plus or [],
            focus=focus,
            retrieval=retrieval,
        )
        s.add(doc)
        s.flush()
        return int(doc.id)


def workspace_at(url: str, reviewer: str = "LLJ") -> Workspace:
    """A migrated database at `url` (SQLite or PostgreSQL) holding the bundled review.yaml."""
    from realist.db import migrate

    store = Store(url)
    migrate.upgrade(store)
    return screening_workspace(store, reviewer)


def as_reviewer(ws: Workspace, name: str) -> Workspace:
    """The same review, acting as another reviewer."""
    return ws.with_actor(resolve_actor(ws.store, name))


def add_reviewer(ws: Workspace, name: str, role: str = "reviewer") -> Workspace:
    """Add a reviewer directly (set-up only) and return a workspace acting as them."""
    with ws.store.transaction() as s:
        s.add(Reviewer(name=name, role=role))
    return as_reviewer(ws, name)


def add_source_ids(ws: Workspace, source_ids: list[str], source_db: str = "Rayyan") -> list[int]:
    """One record per given source id (in one batch), in that order."""
    ids = add_batch(ws, len(source_ids), source_db=source_db, seed=len(source_ids))
    with ws.store.transaction() as s:
        for rid, sid in zip(ids, source_ids, strict=True):
            s.execute(update(Record).where(Record.id == rid).values(source_id=sid))
    return ids
