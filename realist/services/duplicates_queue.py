"""The duplicate pairs a reviewer sees and decides: list, detail, confirm, reject, undo.

Uncertain pairs wait in a queue (status unreviewed). A reviewer confirms a pair (the two records
merge: status confirmed), rejects it (distinct: status rejected, never merged again) or skips it.
A merge, automatic or confirmed, can be taken back (`undo_pair`: status undone, also never merged
again); `reopen_pair` puts a decided pair back in the queue (the TUI's "undo last").

Every action is one transaction, audited, and ends by re-materialising `Record.duplicate_of_id`.
Two guards keep the clusters honest: a confirmation that would chain two records marked distinct
is refused, and after a rejection or undo, if the two records are still joined through other
automatic links, the weakest such links are demoted to the queue (a confirmed link is never
demoted silently: the action is refused and says which pair to undo first).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from realist.db.models import DuplicatePair, ImportBatch, Record, Reviewer
from realist.domain import MERGED_PAIR_STATUSES, PairStatus, Role, values
from realist.errors import ConflictError, InvalidInputError, NotFoundError
from realist.services import audit
from realist.services.context import Workspace
from realist.services.dedup_service import DISTINCT_STATUSES, materialise, merged_graph, worked_on

COMPARED_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("authors", "Authors"),
    ("year", "Year"),
    ("journal", "Journal"),
    ("volume", "Volume"),
    ("pages", "Pages"),
    ("doi", "DOI"),
    ("pmid", "PMID"),
    ("abstract", "Abstract"),
)
DEMOTED_NOTE = "not merged automatically: would join records a reviewer marked distinct"
_INF = 10**9


@dataclass(frozen=True)
class RecordSide:
    """One record of a pair, as the reviewer compares it."""

    id: int
    source_id: str | None
    batch_id: int | None
    file_name: str | None
    source_db: str | None
    position: int | None
    title: str | None
    authors: tuple[str, ...]
    year: int | None
    journal: str | None
    journal_abbrev: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    pmid: str | None
    abstract: str | None
    duplicate_of_id: int | None
    has_work: bool
    """Somebody already screened, tagged or attached a document to this record."""

    def text(self, name: str) -> str:
        """A compared field as display text ('' when the record lacks it)."""
        if name == "authors":
            return "; ".join(self.authors)
        if name == "journal":
            return self.journal or self.journal_abbrev or ""
        value = getattr(self, name)
        return "" if value is None else str(value)


@dataclass(frozen=True)
class FieldDiff:
    """One field of both records, and whether they agree."""

    name: str
    label: str
    a: str
    b: str
    same: bool
    similarity: float | None
    """The engine's similarity for this field (None where it did not compare it)."""


@dataclass(frozen=True)
class PairDetail:
    """A pair with both records side by side and the evidence."""

    id: int
    status: str
    score: float
    reason: str | None
    evidence: dict[str, float]
    a: RecordSide
    b: RecordSide
    fields: tuple[FieldDiff, ...]
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class PairSummary:
    """A pair as listed: ids, titles, status and score."""

    id: int
    status: str
    score: float
    a_id: int
    b_id: int
    a_title: str | None
    b_title: str | None
    reason: str | None
    decided_by: str | None


@dataclass(frozen=True)
class PairChange:
    """What one reviewer action did."""

    pair_id: int
    before: str
    after: str
    demoted: tuple[int, ...] = ()
    """Automatic pairs sent back to the queue so that records marked distinct stay apart."""
    duplicates: int = 0
    """Records of the review marked duplicate after the action."""


@dataclass(frozen=True)
class QueueProgress:
    """How far the review queue is: `reviewed` of `total` pairs."""

    reviewed: int
    total: int
    waiting: int


@dataclass(frozen=True)
class Segment:
    """A run of words of one field, and whether the other record has them too."""

    text: str
    same: bool


# --------------------------------------------------------------------------------------------
# Reading


def _utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _side(s: Session, record_id: int, worked: Collection[int]) -> RecordSide:
    r = s.get(Record, record_id)
    if r is None:  # pragma: no cover - pairs reference records by foreign key
        raise NotFoundError(f"no record {record_id}")
    batch = s.get(ImportBatch, r.batch_id) if r.batch_id else None
    return RecordSide(
        id=r.id,
        source_id=r.source_id,
        batch_id=r.batch_id,
        file_name=batch.file_name if batch else None,
        source_db=batch.source_db if batch else None,
        position=r.position,
        title=r.title,
        authors=tuple(str(a) for a in r.authors or []),
        year=r.year,
        journal=r.journal,
        journal_abbrev=r.journal_abbrev,
        volume=r.volume,
        issue=r.issue,
        pages=r.pages,
        doi=r.doi,
        pmid=r.pmid,
        abstract=r.abstract,
        duplicate_of_id=r.duplicate_of_id,
        has_work=r.id in worked,
    )


_FOLD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    return _FOLD.sub("", text.casefold())


def compare_fields(
    a: RecordSide, b: RecordSide, evidence: dict[str, float]
) -> tuple[FieldDiff, ...]:
    """The compared fields of two records, each marked same when they agree ignoring case,
    spacing and punctuation (a field only one record has is not the same)."""
    out = []
    for name, label in COMPARED_FIELDS:
        ta, tb = a.text(name), b.text(name)
        same = bool(ta and tb) and _fold(ta) == _fold(tb)
        if not ta and not tb:
            same = True
        out.append(FieldDiff(name, label, ta, tb, same, evidence.get(name)))
    return tuple(out)


_WORD = re.compile(r"\S+")


def word_diff(a: str, b: str) -> tuple[list[Segment], list[Segment]]:
    """Both texts cut into runs of words the other text shares (same) or lacks (different).

    Words are compared ignoring case and punctuation, so only real differences stand out.
    """
    wa, wb = _WORD.findall(a), _WORD.findall(b)
    matcher = difflib.SequenceMatcher(
        a=[_fold(w) for w in wa], b=[_fold(w) for w in wb], autojunk=False
    )
    sa: list[Segment] = []
    sb: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        same = tag == "equal"
        if i2 > i1:
            sa.append(Segment(" ".join(wa[i1:i2]), same))
        if j2 > j1:
            sb.append(Segment(" ".join(wb[j1:j2]), same))
    return sa, sb


def _pair(s: Session, ws: Workspace, pair_id: int) -> DuplicatePair:
    pair = s.get(DuplicatePair, pair_id)
    if pair is None or pair.review_id != ws.review_id:
        raise NotFoundError(
            f"no duplicate pair {pair_id} in this review (see `realist duplicates list`)"
        )
    return pair


def _detail(s: Session, pair: DuplicatePair, worked: Collection[int]) -> PairDetail:
    a = _side(s, pair.record_a_id, worked)
    b = _side(s, pair.record_b_id, worked)
    evidence = {str(k): float(v) for k, v in (pair.evidence or {}).items()}
    who = s.get(Reviewer, pair.decided_by_id) if pair.decided_by_id else None
    return PairDetail(
        id=pair.id,
        status=pair.status,
        score=pair.score,
        reason=pair.reason,
        evidence=evidence,
        a=a,
        b=b,
        fields=compare_fields(a, b, evidence),
        decided_by=who.name if who else None,
        decided_at=_utc(pair.decided_at),
        created_at=_utc(pair.created_at) or pair.created_at,
    )


def pair_detail(ws: Workspace, pair_id: int) -> PairDetail:
    """One pair with both records side by side, its score, evidence and reason."""
    with ws.store.read() as s:
        pair = _pair(s, ws, pair_id)
        worked = worked_on(s, ws.review_id) & {pair.record_a_id, pair.record_b_id}
        return _detail(s, pair, worked)


def check_statuses(statuses: Sequence[str]) -> list[str]:
    """Pair statuses as given, or a clear error naming the allowed ones."""
    allowed = values(PairStatus)
    for st in statuses:
        if st not in allowed:
            raise InvalidInputError(f"unknown status {st!r}; use one of {', '.join(allowed)}")
    return list(statuses)


def list_pairs(
    ws: Workspace, statuses: Sequence[str] = (), *, limit: int | None = None
) -> list[PairSummary]:
    """The review's pairs (of the given statuses), best score first."""
    check_statuses(statuses)
    a_rec = Record.__table__.alias("a")
    b_rec = Record.__table__.alias("b")
    stmt = (
        select(
            DuplicatePair.id,
            DuplicatePair.status,
            DuplicatePair.score,
            DuplicatePair.record_a_id,
            DuplicatePair.record_b_id,
            a_rec.c.title,
            b_rec.c.title,
            DuplicatePair.reason,
            Reviewer.name,
        )
        .join(a_rec, a_rec.c.id == DuplicatePair.record_a_id)
        .join(b_rec, b_rec.c.id == DuplicatePair.record_b_id)
        .outerjoin(Reviewer, Reviewer.id == DuplicatePair.decided_by_id)
        .where(DuplicatePair.review_id == ws.review_id)
        .order_by(DuplicatePair.score.desc(), DuplicatePair.id)
    )
    if statuses:
        stmt = stmt.where(DuplicatePair.status.in_(list(statuses)))
    if limit is not None:
        stmt = stmt.limit(limit)
    with ws.store.read() as s:
        return [PairSummary(*row) for row in s.execute(stmt)]


def pair_ids(ws: Workspace, statuses: Sequence[str]) -> list[int]:
    """Ids of the pairs of these statuses, best score first (cheap: no record is read)."""
    check_statuses(statuses)
    with ws.store.read() as s:
        return list(
            s.scalars(
                select(DuplicatePair.id)
                .where(
                    DuplicatePair.review_id == ws.review_id,
                    DuplicatePair.status.in_(list(statuses)),
                )
                .order_by(DuplicatePair.score.desc(), DuplicatePair.id)
            )
        )


def queue_ids(ws: Workspace) -> list[int]:
    """Unreviewed pairs in the order the queue shows them (best score first)."""
    return pair_ids(ws, [PairStatus.UNREVIEWED.value])


def queue_progress(ws: Workspace) -> QueueProgress:
    """Pairs reviewed (confirmed or rejected) of all pairs that needed or got a reviewer."""
    with ws.store.read() as s:
        counts = dict(
            s.execute(
                select(DuplicatePair.status, func.count())
                .where(DuplicatePair.review_id == ws.review_id)
                .group_by(DuplicatePair.status)
            ).all()
        )
    reviewed = int(counts.get(PairStatus.CONFIRMED.value, 0)) + int(
        counts.get(PairStatus.REJECTED.value, 0)
    )
    waiting = int(counts.get(PairStatus.UNREVIEWED.value, 0))
    return QueueProgress(reviewed, reviewed + waiting, waiting)


def pair_counts(ws: Workspace) -> dict[str, int]:
    """How many pairs of each status the review holds (every status present, maybe 0)."""
    with ws.store.read() as s:
        found = dict(
            s.execute(
                select(DuplicatePair.status, func.count())
                .where(DuplicatePair.review_id == ws.review_id)
                .group_by(DuplicatePair.status)
            ).all()
        )
    return {st: int(found.get(st, 0)) for st in values(PairStatus)}


# --------------------------------------------------------------------------------------------
# Deciding


def _decide(s: Session, ws: Workspace, pair: DuplicatePair, status: str, action: str) -> PairChange:
    actor = ws.require_actor()
    before = pair.status
    pair.status = status
    waiting = status == PairStatus.UNREVIEWED.value
    pair.decided_by_id = None if waiting else actor.id
    pair.decided_at = None if waiting else datetime.now(UTC)
    s.flush()
    # Back in the queue is "not decided", not "distinct": only a distinct verdict separates.
    demoted = _separate(s, ws, pair) if status in DISTINCT_STATUSES else ()
    state = materialise(s, ws.review_id)
    audit.log(
        s,
        ws,
        f"duplicates.{action}",
        "duplicate_pair",
        pair.id,
        before=before,
        after=status,
        records=[pair.record_a_id, pair.record_b_id],
        demoted=list(demoted),
    )
    return PairChange(pair.id, before, status, demoted, state.duplicates)


def _distinct_pairs(s: Session, review_id: int) -> list[tuple[int, int, int]]:
    return [
        (pid, a, b)
        for pid, a, b in s.execute(
            select(DuplicatePair.id, DuplicatePair.record_a_id, DuplicatePair.record_b_id).where(
                DuplicatePair.review_id == review_id,
                DuplicatePair.status.in_(DISTINCT_STATUSES),
            )
        )
    ]


def _check_no_distinct_joined(s: Session, ws: Workspace, pair: DuplicatePair) -> None:
    """Refuse a merge that would put two records marked distinct in one cluster."""
    graph = merged_graph(s, ws.review_id)
    graph.add_edge(pair.record_a_id, pair.record_b_id)
    cluster = nx.node_connected_component(graph, pair.record_a_id)
    for pid, a, b in _distinct_pairs(s, ws.review_id):
        if pid != pair.id and a in cluster and b in cluster:
            raise ConflictError(
                f"confirming pair {pair.id} would join records {a} and {b}, which were marked "
                f"distinct (pair {pid}); undo that decision first "
                f"(`realist duplicates undo {pid}`)"
            )


def _separate(s: Session, ws: Workspace, pair: DuplicatePair) -> tuple[int, ...]:
    """Keep the pair's two records apart: demote the weakest automatic links still joining
    them (a minimum cut); refuse when only confirmed links join them."""
    a, b = pair.record_a_id, pair.record_b_id
    graph = merged_graph(s, ws.review_id)
    if a not in graph or b not in graph or not nx.has_path(graph, a, b):
        return ()
    component = graph.subgraph(nx.node_connected_component(graph, a)).copy()
    for _, _, data in component.edges(data=True):
        # Confirmed links cannot be cut; among automatic ones, cut few and weak ones.
        data["capacity"] = (
            _INF
            if data["status"] == PairStatus.CONFIRMED.value
            else (1000 + round(1000 * float(data["score"])))
        )
    cut_value, (side_a, _side_b) = nx.minimum_cut(component, a, b, capacity="capacity")
    cut = [
        component.edges[u, v]["pair"]
        for u, v in component.edges()
        if (u in side_a) != (v in side_a)
    ]
    if cut_value >= _INF:
        confirmed = sorted(
            component.edges[u, v]["pair"]
            for u, v in component.edges()
            if (u in side_a) != (v in side_a)
            and component.edges[u, v]["status"] == PairStatus.CONFIRMED.value
        )
        raise ConflictError(
            f"records {a} and {b} are still joined through confirmed pair(s) "
            f"{', '.join(map(str, confirmed))}; undo those first"
        )
    demoted = []
    for pid in sorted(cut):
        other = s.get(DuplicatePair, pid)
        assert other is not None
        other.status = PairStatus.UNREVIEWED.value
        other.reason = f"{other.reason}; {DEMOTED_NOTE}" if other.reason else DEMOTED_NOTE
        demoted.append(pid)
    s.flush()
    return tuple(demoted)


def confirm_pair(ws: Workspace, pair_id: int) -> PairChange:
    """A reviewer says the two records are the same publication: they merge."""
    ws.require_role(Role.LEAD, Role.REVIEWER, action="decide duplicates")
    with ws.store.transaction() as s:
        pair = _pair(s, ws, pair_id)
        if pair.status in MERGED_PAIR_STATUSES:
            raise InvalidInputError(f"pair {pair_id} is already merged ({pair.status})")
        _check_no_distinct_joined(s, ws, pair)
        return _decide(s, ws, pair, PairStatus.CONFIRMED.value, "confirm")


def reject_pair(ws: Workspace, pair_id: int) -> PairChange:
    """A reviewer says the two records are different publications: they never merge."""
    ws.require_role(Role.LEAD, Role.REVIEWER, action="decide duplicates")
    with ws.store.transaction() as s:
        pair = _pair(s, ws, pair_id)
        if pair.status == PairStatus.REJECTED.value:
            raise InvalidInputError(f"pair {pair_id} is already rejected")
        return _decide(s, ws, pair, PairStatus.REJECTED.value, "reject")


def undo_pair(ws: Workspace, pair_id: int) -> PairChange:
    """Take back a merge (auto or confirmed -> undone: never merged again), or a rejection
    (rejected -> back in the queue)."""
    ws.require_role(Role.LEAD, Role.REVIEWER, action="undo duplicate decisions")
    with ws.store.transaction() as s:
        pair = _pair(s, ws, pair_id)
        if pair.status in MERGED_PAIR_STATUSES:
            return _decide(s, ws, pair, PairStatus.UNDONE.value, "undo")
        if pair.status == PairStatus.REJECTED.value:
            return _decide(s, ws, pair, PairStatus.UNREVIEWED.value, "undo")
        raise InvalidInputError(
            f"pair {pair_id} is {pair.status}: there is no merge or rejection to undo"
        )


def reopen_pair(ws: Workspace, pair_id: int) -> PairChange:
    """Put a decided pair back in the review queue (unreviewed), e.g. to undo the last key."""
    ws.require_role(Role.LEAD, Role.REVIEWER, action="undo duplicate decisions")
    with ws.store.transaction() as s:
        pair = _pair(s, ws, pair_id)
        if pair.status == PairStatus.UNREVIEWED.value:
            raise InvalidInputError(f"pair {pair_id} is already waiting in the queue")
        return _decide(s, ws, pair, PairStatus.UNREVIEWED.value, "reopen")
