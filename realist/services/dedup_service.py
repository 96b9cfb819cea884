"""De-duplication of a review's records: run the engine, store its pairs, link the clusters.

`run_dedup(ws)` reads the review's records, calls `realist.dedup.find_duplicates` and stores every
pair it finds as a `DuplicatePair` (certain -> status auto, uncertain -> unreviewed) with its score,
evidence and reason. With `batch_ids` it is incremental (a search update): only pairs touching
those batches' records are sought, and everything already decided stays as it is.

Records are never deleted or edited: `Record.duplicate_of_id` is *materialised* from the connected
components of the merged pairs (auto and confirmed). The canonical record of a cluster is the
earliest one, except that a record somebody already worked on (screening decisions, tags, a
document) is preferred to one nobody touched, so decisions made before a search update are never
hidden behind a new duplicate. Pairs a reviewer rejected, or whose merge was undone, are passed to
the engine as distinct and never merge again.

The engine is the slow part; it runs outside any transaction, on a snapshot read first. The
results are then written in one transaction that re-reads the pairs, so a reviewer's decision
made in the meantime wins over the machine's.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from realist.db.models import (
    Document,
    DuplicatePair,
    ImportBatch,
    Record,
    RecordTag,
    Resolution,
    ScreeningDecision,
)
from realist.dedup import DedupRecord, find_duplicates
from realist.domain import MERGED_PAIR_STATUSES, PairStatus, Role
from realist.errors import InvalidInputError, NotFoundError
from realist.services import audit
from realist.services.context import Workspace

Progress = Callable[[int, int], None]

HUMAN_STATUSES = (PairStatus.CONFIRMED.value, PairStatus.REJECTED.value, PairStatus.UNDONE.value)
DISTINCT_STATUSES = (PairStatus.REJECTED.value, PairStatus.UNDONE.value)
MACHINE_STATUSES = (PairStatus.AUTO.value, PairStatus.UNREVIEWED.value)
CHUNK = 5_000


@dataclass(frozen=True)
class DedupSummary:
    """What a de-duplication run found and changed."""

    incremental: bool
    records: int
    """Records in the review that took part."""
    new_records: int
    """Records of the new batches (incremental) or all records (full run)."""
    certain: int
    """Pairs found certain (merged automatically unless a reviewer decided otherwise)."""
    uncertain: int
    """Pairs found uncertain (waiting in the review queue unless decided)."""
    added: int
    """Pairs stored for the first time."""
    kept_decisions: int
    """Pairs found again that a reviewer had already decided: their decision was kept."""
    removed: int
    """Machine pairs of an earlier run not found again (full run only)."""
    duplicates: int
    """Records of the review marked duplicate after the run."""
    clusters: int
    """Clusters of two or more records after the run."""
    relinked: int
    """Records whose duplicate_of_id changed."""
    decided_duplicates: int
    """Records with screening work that are now duplicates of another record with work."""
    queue: int
    """Unreviewed pairs in the review after the run."""
    seconds: float


@dataclass(frozen=True)
class ClusterState:
    """The result of materialising clusters: what changed."""

    relinked: int
    duplicates: int
    clusters: int
    decided_duplicates: int


# --------------------------------------------------------------------------------------------
# Reading


def _dedup_records(s: Session, review_id: int) -> list[DedupRecord]:
    rows = s.execute(
        select(
            Record.id,
            Record.title,
            Record.authors,
            Record.year,
            Record.journal,
            Record.journal_abbrev,
            Record.volume,
            Record.issue,
            Record.pages,
            Record.doi,
            Record.pmid,
            Record.abstract,
            Record.batch_id,
        )
        .where(Record.review_id == review_id)
        .order_by(Record.id)
    )
    return [
        DedupRecord(
            id=r.id,
            title=r.title,
            authors=list(r.authors or []),
            year=r.year,
            journal=r.journal,
            journal_abbrev=r.journal_abbrev,
            volume=r.volume,
            issue=r.issue,
            pages=r.pages,
            doi=r.doi,
            pmid=r.pmid,
            abstract=r.abstract,
            batch=r.batch_id,
        )
        for r in rows
    ]


def _pairs_by_status(s: Session, review_id: int) -> dict[tuple[int, int], tuple[int, str]]:
    return {
        (a, b): (pid, status)
        for pid, a, b, status in s.execute(
            select(
                DuplicatePair.id,
                DuplicatePair.record_a_id,
                DuplicatePair.record_b_id,
                DuplicatePair.status,
            ).where(DuplicatePair.review_id == review_id)
        )
    }


def worked_on(s: Session, review_id: int) -> set[int]:
    """Records somebody worked on: screening decisions, tags, resolutions or a document."""
    ids: set[int] = set()
    ids.update(
        s.scalars(
            select(ScreeningDecision.record_id).where(
                ScreeningDecision.review_id == review_id, ScreeningDecision.is_current
            )
        )
    )
    ids.update(
        s.scalars(
            select(RecordTag.record_id)
            .join(Record, Record.id == RecordTag.record_id)
            .where(Record.review_id == review_id, RecordTag.is_current)
        )
    )
    ids.update(s.scalars(select(Resolution.record_id).where(Resolution.review_id == review_id)))
    ids.update(
        r
        for r in s.scalars(
            select(Document.record_id).where(
                Document.review_id == review_id, Document.record_id.is_not(None)
            )
        )
        if r is not None
    )
    return ids


# --------------------------------------------------------------------------------------------
# Clusters


def merged_graph(s: Session, review_id: int) -> nx.Graph[int]:
    """The graph of merged pairs (auto and confirmed), edges carrying pair id and status."""
    graph: nx.Graph[int] = nx.Graph()
    for pid, a, b, status, score in s.execute(
        select(
            DuplicatePair.id,
            DuplicatePair.record_a_id,
            DuplicatePair.record_b_id,
            DuplicatePair.status,
            DuplicatePair.score,
        ).where(
            DuplicatePair.review_id == review_id,
            DuplicatePair.status.in_(MERGED_PAIR_STATUSES),
        )
    ):
        graph.add_edge(a, b, pair=pid, status=status, score=score)
    return graph


def canonical_of(members: Iterable[int], worked: Collection[int]) -> int:
    """The record a cluster keeps: the earliest with screening work, else the earliest."""
    return min(members, key=lambda r: (r not in worked, r))


def materialise(s: Session, review_id: int) -> ClusterState:
    """Set `Record.duplicate_of_id` from the merged pairs' connected components."""
    graph = merged_graph(s, review_id)
    worked = worked_on(s, review_id)
    desired: dict[int, int] = {}
    decided = clusters = 0
    for component in nx.connected_components(graph):
        clusters += 1
        keep = canonical_of(component, worked)
        for member in component:
            if member != keep:
                desired[member] = keep
                if member in worked and keep in worked:
                    decided += 1
    current = dict(
        s.execute(
            select(Record.id, Record.duplicate_of_id).where(
                Record.review_id == review_id,
                Record.duplicate_of_id.is_not(None),
            )
        ).all()
    )
    changes: list[dict[str, int | None]] = [
        {"id": rid, "duplicate_of_id": dup}
        for rid, dup in desired.items()
        if current.get(rid) != dup
    ]
    changes += [{"id": rid, "duplicate_of_id": None} for rid in current if rid not in desired]
    for start in range(0, len(changes), CHUNK):
        s.execute(update(Record), changes[start : start + CHUNK])
    return ClusterState(len(changes), len(desired), clusters, decided)


def queue_size(s: Session, review_id: int) -> int:
    """Unreviewed pairs of the review."""
    return len(
        s.scalars(
            select(DuplicatePair.id).where(
                DuplicatePair.review_id == review_id,
                DuplicatePair.status == PairStatus.UNREVIEWED.value,
            )
        ).all()
    )


# --------------------------------------------------------------------------------------------
# Running


def run_dedup(
    ws: Workspace,
    *,
    batch_ids: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> DedupSummary:
    """De-duplicate the review: the whole review, or only the records of `batch_ids`.

    Full run: every pair the engine finds is stored; machine pairs of earlier runs that are not
    found again are removed; pairs a reviewer decided keep their status. Incremental run (a search
    update): the new batches' records against the whole review and each other.
    """
    ws.require_role(Role.LEAD, Role.REVIEWER, action="de-duplicate records")
    started = time.perf_counter()
    incremental = batch_ids is not None
    with ws.store.read() as s:
        records = _dedup_records(s, ws.review_id)
        existing = _pairs_by_status(s, ws.review_id)
        new_ids: list[int] | None = None
        if batch_ids is not None:
            known = set(
                s.scalars(select(ImportBatch.id).where(ImportBatch.review_id == ws.review_id))
            )
            missing = sorted(set(batch_ids) - known)
            if missing:
                raise NotFoundError(
                    f"no import batch {', '.join(map(str, missing))} in this review"
                )
            wanted = set(batch_ids)
            new_ids = [r.id for r in records if r.batch in wanted]
    distinct = [k for k, (_, st) in existing.items() if st in DISTINCT_STATUSES]
    merged_status = MERGED_PAIR_STATUSES if incremental else (PairStatus.CONFIRMED.value,)
    linked = [k for k, (_, st) in existing.items() if st in merged_status]
    if new_ids is not None and not new_ids:
        pairs = []
    else:
        result = find_duplicates(
            records, new_ids=new_ids, distinct=distinct, linked=linked, progress=progress
        )
        pairs = result.pairs
    n_records = len(records)
    n_new = n_records if new_ids is None else len(new_ids)
    del records

    with ws.store.transaction() as s:
        now = datetime.now(UTC)
        existing = _pairs_by_status(s, ws.review_id)
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        kept = 0
        found: set[tuple[int, int]] = set()
        for p in pairs:
            key = (p.a, p.b)
            found.add(key)
            status = PairStatus.AUTO.value if p.tier == "certain" else PairStatus.UNREVIEWED.value
            row = {"score": float(p.score), "evidence": dict(p.evidence), "reason": p.reason}
            if key not in existing:
                inserts.append(
                    {
                        "review_id": ws.review_id,
                        "record_a_id": p.a,
                        "record_b_id": p.b,
                        "status": status,
                        "created_at": now,
                        **row,
                    }
                )
            elif existing[key][1] in HUMAN_STATUSES:
                kept += 1
            else:
                updates.append({"id": existing[key][0], "status": status, **row})
        removed: list[int] = []
        if not incremental:
            removed = [
                pid
                for key, (pid, st) in existing.items()
                if st in MACHINE_STATUSES and key not in found
            ]
        for start in range(0, len(inserts), CHUNK):
            s.execute(insert(DuplicatePair), inserts[start : start + CHUNK])
        for start in range(0, len(updates), CHUNK):
            s.execute(update(DuplicatePair), updates[start : start + CHUNK])
        for start in range(0, len(removed), CHUNK):
            s.execute(
                delete(DuplicatePair).where(DuplicatePair.id.in_(removed[start : start + CHUNK]))
            )
        state = materialise(s, ws.review_id)
        summary = DedupSummary(
            incremental=incremental,
            records=n_records,
            new_records=n_new,
            certain=sum(1 for p in pairs if p.tier == "certain"),
            uncertain=sum(1 for p in pairs if p.tier == "uncertain"),
            added=len(inserts),
            kept_decisions=kept,
            removed=len(removed),
            duplicates=state.duplicates,
            clusters=state.clusters,
            relinked=state.relinked,
            decided_duplicates=state.decided_duplicates,
            queue=queue_size(s, ws.review_id),
            seconds=0.0,
        )
        audit.log(
            s,
            ws,
            "dedup.run",
            "review",
            ws.review_id,
            mode="incremental" if incremental else "full",
            batches=list(batch_ids or []),
            certain=summary.certain,
            uncertain=summary.uncertain,
            added=summary.added,
            kept_decisions=kept,
            removed=summary.removed,
            duplicates=summary.duplicates,
            relinked=summary.relinked,
        )
    return replace(summary, seconds=round(time.perf_counter() - started, 3))


# --------------------------------------------------------------------------------------------
# Export


@dataclass(frozen=True)
class DuplicateRow:
    """One record of the review and how de-duplication decided it."""

    record_id: int
    source_id: str | None
    cluster_id: int
    """The canonical record's id (the record's own id when it is in no cluster)."""
    role: str
    """canonical | duplicate | unique."""
    decision: str
    """auto | confirmed (merged), unreviewed (a pair waits in the queue) or unique."""
    pair_id: int | None
    other_record_id: int | None
    score: float | None
    reason: str | None
    batch_id: int | None
    file_name: str | None
    source_db: str | None
    position: int | None
    title: str | None
    year: int | None
    doi: str | None


EXPORT_COLUMNS = (
    "source_id", "record_id", "cluster_id", "decision", "role", "pair_id", "other_record_id",
    "score", "reason", "batch_id", "file_name", "source_db", "position", "title", "year", "doi",
)  # fmt: skip

_PAIR_RANK = {
    PairStatus.CONFIRMED.value: 0,
    PairStatus.AUTO.value: 1,
    PairStatus.UNREVIEWED.value: 2,
}


def duplicate_rows(ws: Workspace) -> list[DuplicateRow]:
    """One row per record: its cluster, role and the pair that decided it (best pair first:
    confirmed, then automatic, then waiting; higher score first)."""
    with ws.store.read() as s:
        best: dict[int, tuple[tuple[int, float, int], int, int, float, str | None, str]] = {}
        for pid, a, b, status, score, reason in s.execute(
            select(
                DuplicatePair.id,
                DuplicatePair.record_a_id,
                DuplicatePair.record_b_id,
                DuplicatePair.status,
                DuplicatePair.score,
                DuplicatePair.reason,
            ).where(
                DuplicatePair.review_id == ws.review_id,
                DuplicatePair.status.in_(list(_PAIR_RANK)),
            )
        ):
            rank = (_PAIR_RANK[status], -score, pid)
            for me, other in ((a, b), (b, a)):
                if me not in best or rank < best[me][0]:
                    best[me] = (rank, pid, other, score, reason, status)
        batches = {
            b.id: (b.file_name, b.source_db)
            for b in s.scalars(select(ImportBatch).where(ImportBatch.review_id == ws.review_id))
        }
        records = s.execute(
            select(
                Record.id,
                Record.source_id,
                Record.duplicate_of_id,
                Record.batch_id,
                Record.position,
                Record.title,
                Record.year,
                Record.doi,
            ).where(Record.review_id == ws.review_id)
        ).all()
    canonicals = {r.duplicate_of_id for r in records if r.duplicate_of_id is not None}
    rows = []
    for r in records:
        pick = best.get(r.id)
        merged = r.duplicate_of_id is not None or r.id in canonicals
        if merged:
            role = "duplicate" if r.duplicate_of_id is not None else "canonical"
            cluster = r.duplicate_of_id or r.id
            decision = pick[5] if pick and pick[5] != PairStatus.UNREVIEWED.value else "auto"
        else:
            role, cluster = "unique", r.id
            decision = PairStatus.UNREVIEWED.value if pick else "unique"
        file_name, source_db = batches.get(r.batch_id or -1, (None, None))
        rows.append(
            DuplicateRow(
                record_id=r.id,
                source_id=r.source_id,
                cluster_id=cluster,
                role=role,
                decision=decision,
                pair_id=pick[1] if pick else None,
                other_record_id=pick[2] if pick else None,
                score=pick[3] if pick else None,
                reason=pick[4] if pick else None,
                batch_id=r.batch_id,
                file_name=file_name,
                source_db=source_db,
                position=r.position,
                title=r.title,
                year=r.year,
                doi=r.doi,
            )
        )
    rows.sort(key=lambda x: (x.cluster_id, x.role != "canonical", x.record_id))
    return rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula (text starting with = + - @
    gets a leading apostrophe)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_duplicates_csv(ws: Workspace, path: Path) -> int:
    """Write the duplicates table (EXPORT_COLUMNS) to `path`; returns the number of rows."""
    rows = duplicate_rows(ws)
    if not path.parent.is_dir():
        raise InvalidInputError(f"folder {path.parent} does not exist")
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow(
                ["" if (v := getattr(row, col)) is None else safe_cell(v) for col in EXPORT_COLUMNS]
            )
    tmp.replace(path)
    return len(rows)
