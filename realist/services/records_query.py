"""The records list: filter, search, sort and page through a review's records in the database.

Only one page is ever read (LIMIT/OFFSET), so the list opens at once at 100,000 records; the
total for "showing N of M" is one COUNT. Decisions and tags are read through the blinding seam
(`realist.services.visibility`) and final decisions through `screening.final_decisions`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Final

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from realist.db.models import ImportBatch, Record, RecordTag, Reviewer, ScreeningDecision, TagDef
from realist.domain import Decision, Stage
from realist.errors import InvalidInputError
from realist.services import visibility
from realist.services.context import Workspace
from realist.services.screening import (
    CONFLICT,
    TagInfo,
    eligible_records,
    final_decisions,
    parse_stage,
    tag_infos,
)

UNDECIDED: Final = "undecided"
DECISION_FILTERS: Final = (*(d.value for d in Decision), CONFLICT, UNDECIDED)
SORTS: Final = ("file", "id", "year", "title", "source_id")


@dataclass(frozen=True)
class RecordQuery:
    """What the list shows. `decision` filters the final decision at `stage`, or, with
    `reviewer`, that reviewer's current decision ('undecided': none yet). `text` searches title
    and abstract (every word must appear, case-insensitive)."""

    stage: str = Stage.TITLE_ABSTRACT.value
    decision: str | None = None
    reviewer: str | None = None
    tag: str | None = None
    source: str | None = None
    text: str | None = None
    sort: str = "file"
    descending: bool = False

    def with_(self, **changes: Any) -> RecordQuery:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class RecordRow:
    id: int
    source_id: str | None
    year: int | None
    title: str | None
    first_author: str | None
    source: str | None
    final: str | None  # final decision at the query's stage
    decisions: tuple[tuple[str, str], ...]  # (reviewer, decision), visible ones
    tags: tuple[str, ...]  # tag codes on the record (any visible reviewer)


@dataclass(frozen=True)
class RecordPage:
    query: RecordQuery
    offset: int
    total: int
    rows: tuple[RecordRow, ...] = field(default_factory=tuple)

    @property
    def first(self) -> int:
        """1-based number of the first row shown (0 when empty)."""
        return self.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.rows)


@dataclass(frozen=True)
class FilterOptions:
    reviewers: tuple[str, ...]
    tags: tuple[TagInfo, ...]
    sources: tuple[str, ...]


def filter_options(ws: Workspace) -> FilterOptions:
    """Values offered by the list's filters: reviewers, tags and import sources."""
    with ws.store.read() as s:
        reviewers = tuple(s.scalars(select(Reviewer.name).order_by(Reviewer.name)))
        sources = tuple(
            dict.fromkeys(
                s.scalars(
                    select(func.coalesce(ImportBatch.source_db, ImportBatch.file_name))
                    .where(ImportBatch.review_id == ws.review_id)
                    .order_by(ImportBatch.id)
                )
            )
        )
        return FilterOptions(reviewers, tuple(tag_infos(s, ws)), sources)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _reviewer_id(s: Session, name: str) -> int:
    rid = s.scalar(select(Reviewer.id).where(Reviewer.name == name))
    if rid is None:
        raise InvalidInputError(f"unknown reviewer {name!r}")
    return int(rid)


def filtered(s: Session, ws: Workspace, q: RecordQuery, paging: bool = False) -> Select[Any]:
    """SELECT of the records (id, source_id, year, title, authors, batch_id) matching `q`,
    unordered and unpaged (`paging`: written for reading one page in file order)."""
    st = parse_stage(q.stage)
    review: Any = Record.review_id
    dup: Any = Record.duplicate_of_id
    if paging and q.sort == "file":
        # "+ 0" keeps SQLite from filtering on ix_records_review_dup and then sorting every
        # record: it walks ix_records_batch_position in order and stops after one page.
        review, dup = review + 0, dup + 0
    stmt = select(
        Record.id, Record.source_id, Record.year, Record.title, Record.authors, Record.batch_id
    ).where(review == ws.review_id, dup.is_(None))
    if st is Stage.FULL_TEXT:
        stmt = stmt.where(Record.id.in_(eligible_records(s, ws, st).scalar_subquery()))
    if q.decision is not None and q.decision not in DECISION_FILTERS:
        raise InvalidInputError(
            f"unknown decision filter {q.decision!r}; one of {', '.join(DECISION_FILTERS)}"
        )
    d = ScreeningDecision
    if q.reviewer:
        who = _reviewer_id(s, q.reviewer)
        mine = [
            d.record_id == Record.id,
            d.reviewer_id == who,
            d.stage == st.value,
            d.is_current,
            visibility.decision_visibility(s, ws, d),
        ]
        if q.decision == UNDECIDED:
            stmt = stmt.where(~exists().where(*mine))
        elif q.decision in (None, CONFLICT):
            stmt = stmt.where(exists().where(*mine))
        else:
            stmt = stmt.where(exists().where(*mine, d.decision == q.decision))
    if q.decision is not None and (not q.reviewer or q.decision == CONFLICT):
        fd = final_decisions(s, ws, st)
        if q.decision == UNDECIDED:
            stmt = stmt.where(Record.id.not_in(select(fd.c.record_id)))
        else:
            stmt = stmt.where(
                Record.id.in_(select(fd.c.record_id).where(fd.c.decision == q.decision))
            )
    if q.tag:
        t = RecordTag
        conds: list[Any] = [
            t.record_id == Record.id,
            t.is_current,
            t.tag_id.in_(
                select(TagDef.id).where(TagDef.review_id == ws.review_id, TagDef.code == q.tag)
            ),
            visibility.decision_visibility(s, ws, t),
        ]
        if q.reviewer:
            conds.append(t.reviewer_id == _reviewer_id(s, q.reviewer))
        stmt = stmt.where(exists().where(*conds))
    if q.source:
        stmt = stmt.where(
            Record.batch_id.in_(
                select(ImportBatch.id).where(
                    ImportBatch.review_id == ws.review_id,
                    func.coalesce(ImportBatch.source_db, ImportBatch.file_name) == q.source,
                )
            )
        )
    for word in (q.text or "").split():
        pattern = _like(word)
        stmt = stmt.where(
            or_(
                Record.title.ilike(pattern, escape="\\"),
                Record.abstract.ilike(pattern, escape="\\"),
            )
        )
    return stmt


def _order(q: RecordQuery) -> list[Any]:
    if q.sort not in SORTS:
        raise InvalidInputError(f"unknown sort {q.sort!r}; one of {', '.join(SORTS)}")
    orders: dict[str, list[Any]] = {
        "file": [Record.batch_id, Record.position, Record.id],
        "id": [Record.id],
        "year": [Record.year, Record.id],
        "title": [Record.title, Record.id],
        "source_id": [Record.source_id, Record.id],
    }
    cols = orders[q.sort]
    return [c.desc() for c in cols] if q.descending else cols


def count_records(ws: Workspace, q: RecordQuery) -> int:
    """How many records match `q`."""
    with ws.store.read() as s:
        sub = filtered(s, ws, q).with_only_columns(Record.id).subquery()
        return int(s.scalar(select(func.count()).select_from(sub)) or 0)


def page_records(
    ws: Workspace, q: RecordQuery, offset: int = 0, limit: int = 100, total: int | None = None
) -> RecordPage:
    """One page of the records matching `q` (total counted unless given)."""
    if total is None:
        total = count_records(ws, q)
    offset = max(0, min(offset, max(total - 1, 0)))
    st = parse_stage(q.stage)
    with ws.store.read() as s:
        page = filtered(s, ws, q, paging=True).order_by(*_order(q)).offset(offset).limit(limit)
        rows = s.execute(page).all()
        ids = [r.id for r in rows]
        if not ids:
            return RecordPage(q, offset, total)
        sources = dict(
            s.execute(
                select(
                    ImportBatch.id, func.coalesce(ImportBatch.source_db, ImportBatch.file_name)
                ).where(ImportBatch.review_id == ws.review_id)
            ).all()
        )
        fd = final_decisions(s, ws, st, ids)
        final = dict(s.execute(select(fd.c.record_id, fd.c.decision)).all())
        d = ScreeningDecision
        decisions: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for rec, name, dec in s.execute(
            select(d.record_id, Reviewer.name, d.decision)
            .join(Reviewer, Reviewer.id == d.reviewer_id)
            .where(
                d.record_id.in_(ids),
                d.stage == st.value,
                d.is_current,
                visibility.decision_visibility(s, ws, d),
            )
            .order_by(Reviewer.name)
        ):
            decisions[rec].append((name, dec))
        tags: dict[int, list[str]] = defaultdict(list)
        t = RecordTag
        for rec, code in s.execute(
            select(t.record_id, TagDef.code)
            .join(TagDef, TagDef.id == t.tag_id)
            .where(
                and_(t.record_id.in_(ids), t.is_current),
                visibility.decision_visibility(s, ws, t),
            )
            .order_by(TagDef.position)
        ):
            if code not in tags[rec]:
                tags[rec].append(code)
        out = [
            RecordRow(
                id=r.id,
                source_id=r.source_id,
                year=r.year,
                title=r.title,
                first_author=str(r.authors[0]) if r.authors else None,
                source=sources.get(r.batch_id) if r.batch_id is not None else None,
                final=final.get(r.id),
                decisions=tuple(decisions.get(r.id, ())),
                tags=tuple(tags.get(r.id, ())),
            )
            for r in rows
        ]
        return RecordPage(q, offset, total, tuple(out))
