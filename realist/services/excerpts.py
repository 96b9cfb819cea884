"""Excerpts: coded spans of a document's full text, with a memo and relevance and rigour
judgements on this piece of data (realist reviews judge data, not only whole studies).

An excerpt keeps its document, the full text it was cut from, character offsets into that text,
the page where it starts, and a copy of the span. The copy lets us notice drift: when a new full
text is attached, `check_drift` reports excerpts whose offsets no longer point at their text, and
`reanchor` moves them to where the same text now stands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from realist.db.models import (
    Cmoc,
    CmocEvidence,
    Code,
    Document,
    Excerpt,
    ExcerptCode,
    FullText,
    Reviewer,
    as_utc,
)
from realist.domain import Role
from realist.errors import InvalidInputError, NotFoundError
from realist.services import audit
from realist.services.codes import CodeTree, check_version, conflict_guard
from realist.services.context import Workspace
from realist.services.fulltext import page_of
from realist.services.theory import short_citation

RATINGS = ("high", "moderate", "low")
CODERS = (Role.LEAD, Role.REVIEWER, Role.CODER)


@dataclass(frozen=True)
class CodeRef:
    id: int
    name: str
    path: str


@dataclass(frozen=True)
class EvidenceRef:
    cmoc: str  # the CMOC's label
    role: str  # C | M | O
    note: str | None = None


@dataclass(frozen=True)
class ExcerptView:
    """One excerpt as the UI shows it."""

    id: int
    document_id: int
    document_ref: str
    document_short: str  # "Behling et al. 2023"
    full_text_id: int | None
    start: int
    end: int
    page: int | None
    text: str
    memo: str | None
    relevance: str | None
    relevance_note: str | None
    rigour: str | None
    rigour_note: str | None
    coder: str | None
    codes: tuple[CodeRef, ...]
    evidence: tuple[EvidenceRef, ...]
    version: int
    created_at: datetime
    drift: str | None = None  # None when the stored copy matches the current full text

    @property
    def code_names(self) -> str:
        return ", ".join(c.name for c in self.codes)


@dataclass(frozen=True)
class DocumentForCoding:
    """A document in the coding screen's list."""

    id: int
    ref: str
    short: str
    title: str | None
    full_text_id: int | None
    file_name: str | None
    pages: int
    chars: int
    excerpts: int


# --------------------------------------------------------------------------------------------
# Helpers


def find_document(s: Session, ws: Workspace, ref: str | int) -> Document:
    """A document of this review by id (int) or ref (str)."""
    if isinstance(ref, int):
        doc = s.get(Document, ref)
        if doc is None or doc.review_id != ws.review_id:
            raise NotFoundError(f"no document #{ref} in this review")
        return doc
    doc = s.scalars(
        select(Document).where(Document.review_id == ws.review_id, Document.ref == ref)
    ).first()
    if doc is None:
        raise NotFoundError(f"no document with ref {ref!r} in this review")
    return doc


def _current_text(s: Session, document_id: int) -> FullText | None:
    return s.scalars(
        select(FullText).where(FullText.document_id == document_id, FullText.is_current)
    ).first()


def _get_excerpt(s: Session, ws: Workspace, excerpt_id: int) -> Excerpt:
    ex = s.get(Excerpt, excerpt_id)
    if ex is None:
        raise NotFoundError(f"no excerpt #{excerpt_id}")
    doc = s.get(Document, ex.document_id)
    if doc is None or doc.review_id != ws.review_id:
        raise NotFoundError(f"no excerpt #{excerpt_id} in this review")
    return ex


def check_rating(kind: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    v = value.strip().lower()
    if v not in RATINGS:
        raise InvalidInputError(f"{kind} must be one of {', '.join(RATINGS)}, not {value!r}")
    return v


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without leading or trailing white space (a selection often catches some)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def drift_of(ex: Excerpt, current: FullText | None) -> str | None:
    """Why an excerpt no longer matches the document's current text, or None when it does."""
    if current is None:
        return "the document has no full text attached"
    if current.text[ex.start : ex.end] == ex.text:
        return None
    if ex.full_text_id is not None and ex.full_text_id != current.id:
        return "a new full text was attached and the excerpt's offsets no longer match it"
    return "the text at the excerpt's offsets differs from the stored copy"


def excerpt_views(s: Session, ws: Workspace, excerpts: Sequence[Excerpt]) -> list[ExcerptView]:
    if not excerpts:
        return []
    ids = [e.id for e in excerpts]
    doc_ids = {e.document_id for e in excerpts}
    docs = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(doc_ids)))}
    texts = {
        ft.document_id: ft
        for ft in s.scalars(
            select(FullText).where(FullText.document_id.in_(doc_ids), FullText.is_current)
        )
    }
    tree = CodeTree.load(s, ws.review_id)
    codes: dict[int, list[CodeRef]] = defaultdict(list)
    for excerpt_id, code_id in s.execute(
        select(ExcerptCode.excerpt_id, ExcerptCode.code_id).where(ExcerptCode.excerpt_id.in_(ids))
    ):
        c = tree.by_id[code_id]
        codes[excerpt_id].append(CodeRef(c.id, c.name, tree.path(c.id)))
    evidence: dict[int, list[EvidenceRef]] = defaultdict(list)
    for excerpt_id, label, role, note in s.execute(
        select(CmocEvidence.excerpt_id, Cmoc.label, CmocEvidence.role, CmocEvidence.note)
        .join(Cmoc, Cmoc.id == CmocEvidence.cmoc_id)
        .where(CmocEvidence.excerpt_id.in_(ids))
        .order_by(Cmoc.position, Cmoc.id, CmocEvidence.role)
    ):
        evidence[excerpt_id].append(EvidenceRef(label, role, note))
    names = {r.id: r.name for r in s.scalars(select(Reviewer))}
    out = []
    for e in excerpts:
        d = docs[e.document_id]
        out.append(
            ExcerptView(
                id=e.id,
                document_id=d.id,
                document_ref=d.ref,
                document_short=short_citation(list(d.authors or []), d.et_al, d.year),
                full_text_id=e.full_text_id,
                start=e.start,
                end=e.end,
                page=e.page,
                text=e.text,
                memo=e.memo,
                relevance=e.relevance,
                relevance_note=e.relevance_note,
                rigour=e.rigour,
                rigour_note=e.rigour_note,
                coder=names.get(e.coder_id) if e.coder_id else None,
                codes=tuple(sorted(codes.get(e.id, []), key=lambda c: c.path.casefold())),
                evidence=tuple(evidence.get(e.id, [])),
                version=e.version_id,
                created_at=as_utc(e.created_at),
                drift=drift_of(e, texts.get(e.document_id)),
            )
        )
    return out


def _code_ids(s: Session, ws: Workspace, code_ids: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(code_ids))
    for cid in ids:
        code = s.get(Code, cid)
        if code is None or code.review_id != ws.review_id:
            raise NotFoundError(f"no code #{cid} in this review")
    return ids


# --------------------------------------------------------------------------------------------
# Reading


def coding_documents(ws: Workspace) -> list[DocumentForCoding]:
    """Every document of the review, with its current full text (if any) and excerpt count."""
    with ws.store.read() as s:
        docs = s.scalars(
            select(Document)
            .where(Document.review_id == ws.review_id)
            .order_by(Document.position, Document.id)
        ).all()
        texts = {
            ft.document_id: ft
            for ft in s.scalars(
                select(FullText).where(
                    FullText.document_id.in_([d.id for d in docs]), FullText.is_current
                )
            )
        }
        counts: dict[int, int] = defaultdict(int)
        for (doc_id,) in s.execute(
            select(Excerpt.document_id).where(Excerpt.document_id.in_([d.id for d in docs]))
        ):
            counts[doc_id] += 1
        out = []
        for d in docs:
            ft = texts.get(d.id)
            out.append(
                DocumentForCoding(
                    id=d.id,
                    ref=d.ref,
                    short=short_citation(list(d.authors or []), d.et_al, d.year),
                    title=d.title,
                    full_text_id=ft.id if ft else None,
                    file_name=ft.file_name if ft else None,
                    pages=len(ft.page_starts or [0]) if ft else 0,
                    chars=len(ft.text) if ft else 0,
                    excerpts=counts.get(d.id, 0),
                )
            )
        return out


def list_excerpts(
    ws: Workspace,
    *,
    code_id: int | None = None,
    include_children: bool = True,
    document: str | int | None = None,
    coder: str | None = None,
) -> list[ExcerptView]:
    """Excerpts, filtered by code (with the codes below it, across documents), by document
    (ref or id) and by coder; ordered by document, then position in the text."""
    with ws.store.read() as s:
        q = (
            select(Excerpt)
            .join(Document, Document.id == Excerpt.document_id)
            .where(Document.review_id == ws.review_id)
        )
        if document is not None:
            q = q.where(Excerpt.document_id == find_document(s, ws, document).id)
        if code_id is not None:
            tree = CodeTree.load(s, ws.review_id)
            if code_id not in tree.by_id:
                raise NotFoundError(f"no code #{code_id} in this review")
            ids = tree.subtree(code_id) if include_children else [code_id]
            q = q.where(
                Excerpt.id.in_(select(ExcerptCode.excerpt_id).where(ExcerptCode.code_id.in_(ids)))
            )
        if coder is not None:
            person = s.scalars(select(Reviewer).where(Reviewer.name == coder)).first()
            if person is None:
                raise NotFoundError(f"no reviewer {coder!r}")
            q = q.where(Excerpt.coder_id == person.id)
        q = q.order_by(Document.position, Document.id, Excerpt.start, Excerpt.end, Excerpt.id)
        return excerpt_views(s, ws, s.scalars(q).all())


def get_excerpt(ws: Workspace, excerpt_id: int) -> ExcerptView:
    """One excerpt by id."""
    with ws.store.read() as s:
        return excerpt_views(s, ws, [_get_excerpt(s, ws, excerpt_id)])[0]


def locate_phrase(ws: Workspace, document: str | int, phrase: str) -> tuple[int, int]:
    """Offsets of the first occurrence of `phrase` in a document's current full text."""
    if not phrase.strip():
        raise InvalidInputError("give some text to find")
    with ws.store.read() as s:
        doc = find_document(s, ws, document)
        ft = _current_text(s, doc.id)
        if ft is None:
            raise InvalidInputError(f"document {doc.ref} has no full text to search")
        at = ft.text.find(phrase)
        if at < 0:
            raise InvalidInputError(f"{phrase!r} does not occur in document {doc.ref}'s text")
        return at, at + len(phrase)


# --------------------------------------------------------------------------------------------
# Coding


def create_excerpt(
    ws: Workspace,
    document: str | int,
    start: int,
    end: int,
    code_ids: Sequence[int],
    *,
    memo: str | None = None,
    relevance: str | None = None,
    relevance_note: str | None = None,
    rigour: str | None = None,
    rigour_note: str | None = None,
) -> ExcerptView:
    """Code the span [start, end) of a document's current full text with one or more codes.

    White space at either end of the span is left out. If the acting coder already has an
    excerpt with exactly this span, the codes are added to it rather than duplicating it.
    """
    actor = ws.require_role(*CODERS, action="code excerpts")
    if not code_ids:
        raise InvalidInputError("an excerpt needs at least one code")
    rel, rig = check_rating("relevance", relevance), check_rating("rigour", rigour)
    with ws.store.transaction() as s:
        doc = find_document(s, ws, document)
        ft = _current_text(s, doc.id)
        if ft is None:
            raise InvalidInputError(
                f"document {doc.ref} has no full text; attach one first "
                f"(`realist attach --ref {doc.ref} FILE`)"
            )
        if not 0 <= start < end <= len(ft.text):
            raise InvalidInputError(
                f"span {start}-{end} is outside document {doc.ref}'s text (0-{len(ft.text)})"
            )
        start, end = trim_span(ft.text, start, end)
        if start == end:
            raise InvalidInputError("the selected span holds only white space")
        ids = _code_ids(s, ws, code_ids)
        ex = s.scalars(
            select(Excerpt).where(
                Excerpt.document_id == doc.id,
                Excerpt.full_text_id == ft.id,
                Excerpt.start == start,
                Excerpt.end == end,
                Excerpt.coder_id == actor.id,
            )
        ).first()
        created = ex is None
        if ex is None:
            ex = Excerpt(
                document_id=doc.id,
                full_text_id=ft.id,
                start=start,
                end=end,
                text=ft.text[start:end],
                page=page_of(list(ft.page_starts or []), start),
                coder_id=actor.id,
            )
        for attr, value in (
            ("memo", _blank(memo)),
            ("relevance", rel),
            ("relevance_note", _blank(relevance_note)),
            ("rigour", rig),
            ("rigour_note", _blank(rigour_note)),
        ):
            if value is not None:
                setattr(ex, attr, value)
        s.add(ex)
        s.flush()
        have = set(s.scalars(select(ExcerptCode.code_id).where(ExcerptCode.excerpt_id == ex.id)))
        for cid in ids:
            if cid not in have:
                s.add(ExcerptCode(excerpt_id=ex.id, code_id=cid, created_by_id=actor.id))
        s.flush()
        audit.log(
            s,
            ws,
            "excerpt.create" if created else "excerpt.code",
            "excerpt",
            ex.id,
            document=doc.ref,
            start=start,
            end=end,
            codes=ids,
        )
        return excerpt_views(s, ws, [ex])[0]


_UNSET: Any = object()


def edit_excerpt(
    ws: Workspace,
    excerpt_id: int,
    *,
    expected_version: int | None = None,
    memo: str | None = _UNSET,
    relevance: str | None = _UNSET,
    relevance_note: str | None = _UNSET,
    rigour: str | None = _UNSET,
    rigour_note: str | None = _UNSET,
) -> ExcerptView:
    """Change an excerpt's memo or judgements (arguments left out stay as they are)."""
    ws.require_role(*CODERS, action="edit excerpts")
    wanted: dict[str, str | None] = {}
    if memo is not _UNSET:
        wanted["memo"] = _blank(memo)
    if relevance is not _UNSET:
        wanted["relevance"] = check_rating("relevance", relevance)
    if relevance_note is not _UNSET:
        wanted["relevance_note"] = _blank(relevance_note)
    if rigour is not _UNSET:
        wanted["rigour"] = check_rating("rigour", rigour)
    if rigour_note is not _UNSET:
        wanted["rigour_note"] = _blank(rigour_note)
    with conflict_guard(f"excerpt #{excerpt_id}"), ws.store.transaction() as s:
        ex = _get_excerpt(s, ws, excerpt_id)
        check_version(f"excerpt #{excerpt_id}", ex.version_id, expected_version)
        changes = {k: [getattr(ex, k), v] for k, v in wanted.items() if getattr(ex, k) != v}
        for k, (_old, new) in changes.items():
            setattr(ex, k, new)
        if changes:
            s.flush()
            audit.log(s, ws, "excerpt.edit", "excerpt", ex.id, changes=changes)
        return excerpt_views(s, ws, [ex])[0]


def set_excerpt_codes(
    ws: Workspace,
    excerpt_id: int,
    *,
    add: Sequence[int] = (),
    remove: Sequence[int] = (),
) -> ExcerptView:
    """Add codes to an excerpt or take them off; an excerpt keeps at least one code."""
    actor = ws.require_role(*CODERS, action="code excerpts")
    with ws.store.transaction() as s:
        ex = _get_excerpt(s, ws, excerpt_id)
        add_ids, remove_ids = _code_ids(s, ws, add), set(_code_ids(s, ws, remove))
        have = set(s.scalars(select(ExcerptCode.code_id).where(ExcerptCode.excerpt_id == ex.id)))
        after = (have - remove_ids) | set(add_ids)
        if not after:
            raise InvalidInputError(
                f"excerpt #{ex.id} would have no code left; delete the excerpt instead"
            )
        if remove_ids & have:
            s.execute(
                delete(ExcerptCode).where(
                    ExcerptCode.excerpt_id == ex.id, ExcerptCode.code_id.in_(remove_ids)
                )
            )
        for cid in add_ids:
            if cid not in have:
                s.add(ExcerptCode(excerpt_id=ex.id, code_id=cid, created_by_id=actor.id))
        s.flush()
        audit.log(
            s,
            ws,
            "excerpt.codes",
            "excerpt",
            ex.id,
            added=sorted(set(add_ids) - have),
            removed=sorted(remove_ids & have),
        )
        return excerpt_views(s, ws, [ex])[0]


def delete_excerpt(ws: Workspace, excerpt_id: int) -> None:
    """Delete an excerpt. Refused while a CMOC cites it as evidence (unlink it there first)."""
    ws.require_role(*CODERS, action="delete excerpts")
    with ws.store.transaction() as s:
        ex = _get_excerpt(s, ws, excerpt_id)
        cited = s.execute(
            select(Cmoc.label, CmocEvidence.role)
            .join(Cmoc, Cmoc.id == CmocEvidence.cmoc_id)
            .where(CmocEvidence.excerpt_id == ex.id)
            .order_by(Cmoc.position)
        ).all()
        if cited:
            links = ", ".join(f"{label} ({role})" for label, role in cited)
            raise InvalidInputError(
                f"excerpt #{ex.id} is evidence for CMOC {links}; unlink it there before deleting"
            )
        doc = s.get(Document, ex.document_id)
        audit.log(
            s,
            ws,
            "excerpt.delete",
            "excerpt",
            ex.id,
            document=doc.ref if doc else None,
            start=ex.start,
            end=ex.end,
            text=ex.text[:200],
        )
        s.delete(ex)


# --------------------------------------------------------------------------------------------
# Drift


@dataclass(frozen=True)
class DriftItem:
    """An excerpt whose offsets no longer point at its text, and where the text now stands."""

    excerpt_id: int
    document_ref: str
    start: int
    end: int
    text: str
    reason: str
    new_start: int | None  # where the same text stands in the current full text (unique/nearest)
    new_end: int | None
    matches: int  # how many times the text occurs in the current full text


def _locate(text: str, needle: str, near: int) -> tuple[int | None, int]:
    """The occurrence of `needle` nearest to `near`, and how many there are."""
    hits: list[int] = []
    i = text.find(needle)
    while i != -1 and len(hits) < 1000:
        hits.append(i)
        i = text.find(needle, i + 1)
    if not hits:
        return None, 0
    return min(hits, key=lambda h: (abs(h - near), h)), len(hits)


def check_drift(ws: Workspace, document: str | int | None = None) -> list[DriftItem]:
    """Excerpts whose stored copy no longer equals the current full text at their offsets."""
    with ws.store.read() as s:
        return _drift(s, ws, document)


def _drift(s: Session, ws: Workspace, document: str | int | None) -> list[DriftItem]:
    q = (
        select(Excerpt, Document.ref)
        .join(Document, Document.id == Excerpt.document_id)
        .where(Document.review_id == ws.review_id)
        .order_by(Document.position, Excerpt.start)
    )
    if document is not None:
        q = q.where(Excerpt.document_id == find_document(s, ws, document).id)
    texts: dict[int, FullText | None] = {}
    out = []
    for ex, ref in s.execute(q):
        if ex.document_id not in texts:
            texts[ex.document_id] = _current_text(s, ex.document_id)
        ft = texts[ex.document_id]
        reason = drift_of(ex, ft)
        if reason is None:
            continue
        new_start, matches = _locate(ft.text, ex.text, ex.start) if ft else (None, 0)
        out.append(
            DriftItem(
                ex.id,
                ref,
                ex.start,
                ex.end,
                ex.text,
                reason,
                new_start,
                new_start + len(ex.text) if new_start is not None else None,
                matches,
            )
        )
    return out


@dataclass(frozen=True)
class ReanchorResult:
    moved: int  # excerpts moved to where their text now stands
    relinked: int  # excerpts whose text did not move, now tied to the current full text
    lost: list[DriftItem]  # excerpts whose text is not in the current full text


def reanchor(ws: Workspace, document: str | int | None = None) -> ReanchorResult:
    """Tie excerpts to the current full text: where the stored text still stands at the same
    offsets, just relink; where it moved, move the offsets (nearest occurrence); report the rest."""
    ws.require_role(*CODERS, action="re-anchor excerpts")
    with ws.store.transaction() as s:
        q = (
            select(Excerpt)
            .join(Document, Document.id == Excerpt.document_id)
            .where(Document.review_id == ws.review_id)
        )
        if document is not None:
            q = q.where(Excerpt.document_id == find_document(s, ws, document).id)
        relinked = 0
        texts: dict[int, FullText | None] = {}
        for ex in s.scalars(q):
            if ex.document_id not in texts:
                texts[ex.document_id] = _current_text(s, ex.document_id)
            ft = texts[ex.document_id]
            if ft is not None and ex.full_text_id != ft.id and drift_of(ex, ft) is None:
                ex.full_text_id = ft.id
                ex.page = page_of(list(ft.page_starts or []), ex.start)
                relinked += 1
        s.flush()
        drifted = _drift(s, ws, document)
        moved, lost = 0, []
        for item in drifted:
            found = s.get(Excerpt, item.excerpt_id)
            assert found is not None
            ex = found
            ft = texts.get(ex.document_id) or _current_text(s, ex.document_id)
            if ft is None or item.new_start is None or item.new_end is None:
                lost.append(item)
                continue
            ex.full_text_id, ex.start, ex.end = ft.id, item.new_start, item.new_end
            ex.page = page_of(list(ft.page_starts or []), item.new_start)
            moved += 1
            audit.log(
                s,
                ws,
                "excerpt.reanchor",
                "excerpt",
                ex.id,
                old=[item.start, item.end],
                new=[item.new_start, item.new_end],
            )
        s.flush()
        return ReanchorResult(moved, relinked, lost)
