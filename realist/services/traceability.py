"""Traceability in both directions: from a CMOC down to the documents, excerpts (with pages) and
the PROGRESS-Plus and gap/targeted tags behind it; from a document up to the CMOCs it supports.

A document supports a CMOC when the CMOC cites it (`CmocDocument`) or when one of its excerpts is
linked to the CMOC as evidence. A document's tags are its own (`Document.progress_plus`,
`Document.focus`) together with the current tags reviewers put on its record while screening.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from realist.db.models import (
    Cmoc,
    CmocDocument,
    CmocEvidence,
    CmocRevision,
    Document,
    Excerpt,
    RecordTag,
    TagDef,
)
from realist.services import visibility
from realist.services.context import Workspace
from realist.services.excerpts import ExcerptView, excerpt_views, find_document
from realist.services.theory import (
    CmocView,
    StudySummary,
    _programme_theory,
    _study,
    _tag_labels,
    cmoc_view,
)

GROUP_TITLES = {
    "progress": "PROGRESS-Plus",
    "plus": "PROGRESS-Plus",
    "focus": "gap/targeted",
    "custom": "other tags",
}


@dataclass(frozen=True)
class EvidenceItem:
    """An excerpt linked to a CMOC, with the part of the CMOC it supports."""

    role: str  # C | M | O
    note: str | None
    excerpt: ExcerptView


@dataclass(frozen=True)
class TraceDocument:
    """A document behind a CMOC: whether the CMOC cites it, its evidence excerpts, its tags."""

    study: StudySummary
    cited: bool
    evidence: tuple[EvidenceItem, ...]
    tags: tuple[str, ...]  # tag codes: the document's own and its record's
    tag_labels: tuple[str, ...]
    record_tags: tuple[str, ...]  # labels of the tags on its record, from screening

    @property
    def roles(self) -> str:
        """'C M' style summary of the parts this document's excerpts support."""
        return " ".join(r for r in "CMO" if any(e.role == r for e in self.evidence))


@dataclass(frozen=True)
class TagCount:
    code: str
    label: str
    group: str
    documents: int  # how many of the CMOC's documents carry it


@dataclass
class CmocTrace:
    """A CMOC with the whole chain of evidence beneath it."""

    cmoc: CmocView
    documents: list[TraceDocument] = field(default_factory=list)
    tags: list[TagCount] = field(default_factory=list)
    revisions: int = 0

    def tags_in(self, *groups: str) -> list[TagCount]:
        return [t for t in self.tags if t.group in groups]

    @property
    def progress_plus(self) -> list[TagCount]:
        return self.tags_in("progress", "plus")

    @property
    def focus(self) -> list[TagCount]:
        return self.tags_in("focus")

    @property
    def excerpts(self) -> list[EvidenceItem]:
        return [e for d in self.documents for e in d.evidence]


@dataclass(frozen=True)
class SupportedCmoc:
    """A CMOC a document supports, and how."""

    label: str
    cluster_number: int | None
    cluster_name: str | None
    statement: str
    direction: str | None
    cited: bool
    roles: tuple[str, ...]  # parts of the CMOC the document's excerpts support
    excerpts: int
    # The document's excerpts linked to the CMOC, each with the part it supports (and its page):
    # C, then M, then O, each in text order.
    evidence: tuple[EvidenceItem, ...] = ()


@dataclass(frozen=True)
class DocumentTrace:
    """A document with its tags and the CMOCs it supports."""

    study: StudySummary
    tags: tuple[str, ...]
    tag_labels: tuple[str, ...]
    record_tags: tuple[str, ...]
    cmocs: tuple[SupportedCmoc, ...]


def _record_tags(s: Session, ws: Workspace, record_ids: set[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    if not record_ids:
        return out
    for record_id, tag_id in s.execute(
        select(RecordTag.record_id, RecordTag.tag_id).where(
            RecordTag.record_id.in_(record_ids),
            RecordTag.is_current,
            visibility.decision_visibility(s, ws, RecordTag),  # the blinding seam
        )
    ):
        out[record_id].add(tag_id)
    return out


class _Tags:
    """The review's tag vocabulary, and the tags each document carries."""

    def __init__(self, s: Session, ws: Workspace, docs: list[Document]) -> None:
        review_id = ws.review_id
        self.defs = {
            t.code: t
            for t in s.scalars(
                select(TagDef).where(TagDef.review_id == review_id).order_by(TagDef.position)
            )
        }
        self.order = {code: i for i, code in enumerate(self.defs)}
        by_id = {t.id: t for t in self.defs.values()}
        on_record = _record_tags(s, ws, {d.record_id for d in docs if d.record_id is not None})
        self.record: dict[int, list[str]] = {}
        self.codes: dict[int, list[str]] = {}
        for d in docs:
            rec = sorted(
                (by_id[t].code for t in on_record.get(d.record_id or -1, set()) if t in by_id),
                key=self.key,
            )
            own = list(d.progress_plus or [])
            if d.focus:
                own.append(d.focus)
            self.record[d.id] = rec
            self.codes[d.id] = sorted(set(own) | set(rec), key=self.key)

    def key(self, code: str) -> tuple[int, str]:
        return (self.order.get(code, len(self.order)), code)

    def label(self, code: str) -> str:
        t = self.defs.get(code)
        return t.label if t else code

    def group(self, code: str) -> str:
        t = self.defs.get(code)
        if t is not None:
            return t.group
        return "focus" if code in {"gap", "targeted"} else "custom"


def cmoc_trace(ws: Workspace, label: str | int) -> CmocTrace:
    """A CMOC's documents (cited or through evidence excerpts), excerpts with pages, and the
    tags of those documents counted over the documents."""
    from realist.services.cmoc_edit import find_cmoc

    with ws.store.read() as s:
        cmoc = find_cmoc(s, ws, label)
        view = cmoc_view(s, ws.review_id, cmoc.id)
        cited_ids = list(
            s.scalars(
                select(CmocDocument.document_id)
                .where(CmocDocument.cmoc_id == cmoc.id)
                .order_by(CmocDocument.position)
            )
        )
        rows = s.execute(
            select(CmocEvidence, Excerpt)
            .join(Excerpt, Excerpt.id == CmocEvidence.excerpt_id)
            .where(CmocEvidence.cmoc_id == cmoc.id)
            .order_by(Excerpt.document_id, Excerpt.start, CmocEvidence.role)
        ).all()
        by_excerpt = {v.id: v for v in excerpt_views(s, ws, [ex for _ev, ex in rows])}
        evidence: dict[int, list[EvidenceItem]] = defaultdict(list)
        for ev, ex in rows:
            evidence[ex.document_id].append(EvidenceItem(ev.role, ev.note, by_excerpt[ex.id]))
        doc_ids = list(dict.fromkeys([*cited_ids, *evidence]))
        docs = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(doc_ids)))}
        ordered = sorted(docs.values(), key=lambda d: (d.position, d.id))
        tags = _Tags(s, ws, ordered)
        labels = _tag_labels(s, ws.review_id)
        trace = CmocTrace(view)
        counts: dict[str, int] = defaultdict(int)
        for d in ordered:
            codes = tags.codes[d.id]
            for code in codes:
                counts[code] += 1
            trace.documents.append(
                TraceDocument(
                    study=_study(d, labels),
                    cited=d.id in cited_ids,
                    evidence=tuple(evidence.get(d.id, [])),
                    tags=tuple(codes),
                    tag_labels=tuple(tags.label(c) for c in codes),
                    record_tags=tuple(tags.label(c) for c in tags.record[d.id]),
                )
            )
        trace.tags = [
            TagCount(code, tags.label(code), tags.group(code), n)
            for code, n in sorted(counts.items(), key=lambda kv: tags.key(kv[0]))
        ]
        trace.revisions = len(
            s.scalars(select(CmocRevision.id).where(CmocRevision.cmoc_id == cmoc.id)).all()
        )
        return trace


def document_trace(ws: Workspace, document: str | int) -> DocumentTrace:
    """The CMOCs a document supports (cited, or through its excerpts), with its tags; for each
    CMOC, the document's excerpts linked to it as evidence for its C, M or O (with pages)."""
    with ws.store.read() as s:
        doc = find_document(s, ws, document)
        labels = _tag_labels(s, ws.review_id)
        tags = _Tags(s, ws, [doc])
        cited = set(
            s.scalars(select(CmocDocument.cmoc_id).where(CmocDocument.document_id == doc.id))
        )
        roles: dict[int, set[str]] = defaultdict(set)
        excerpts: dict[int, set[int]] = defaultdict(set)
        rows = s.execute(
            select(CmocEvidence, Excerpt)
            .join(Excerpt, Excerpt.id == CmocEvidence.excerpt_id)
            .where(Excerpt.document_id == doc.id)
            .order_by(CmocEvidence.role, Excerpt.start, Excerpt.end, Excerpt.id)
        ).all()
        linked = list({ex.id: ex for _ev, ex in rows}.values())
        by_excerpt = {v.id: v for v in excerpt_views(s, ws, linked)}
        evidence: dict[int, list[EvidenceItem]] = defaultdict(list)
        for ev, ex in rows:
            roles[ev.cmoc_id].add(ev.role)
            excerpts[ev.cmoc_id].add(ex.id)
            evidence[ev.cmoc_id].append(EvidenceItem(ev.role, ev.note, by_excerpt[ex.id]))
        ids = cited | set(roles)
        cmocs = s.scalars(
            select(Cmoc).where(Cmoc.id.in_(ids)).order_by(Cmoc.position, Cmoc.id)
        ).all()
        views = {v.id: v for cl in _programme_theory(s, ws.review_id) for v in cl.cmocs}
        supported = []
        for c in cmocs:
            view = views[c.id]
            supported.append(
                SupportedCmoc(
                    label=c.label,
                    cluster_number=view.cluster_number,
                    cluster_name=view.cluster_name,
                    statement=c.statement,
                    direction=c.direction,
                    cited=c.id in cited,
                    roles=tuple(r for r in "CMO" if r in roles.get(c.id, set())),
                    excerpts=len(excerpts.get(c.id, set())),
                    evidence=tuple(evidence.get(c.id, [])),
                )
            )
        codes = tags.codes[doc.id]
        return DocumentTrace(
            study=_study(doc, labels),
            tags=tuple(codes),
            tag_labels=tuple(tags.label(c) for c in codes),
            record_tags=tuple(tags.label(c) for c in tags.record[doc.id]),
            cmocs=tuple(supported),
        )
