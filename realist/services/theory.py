"""Read views of the programme theory: clusters, CMOCs, the studies they cite, and their links."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from realist.db.models import Cluster, Cmoc, CmocDocument, CmocEvidence, CmocLink, Document, TagDef
from realist.errors import NotFoundError
from realist.services.context import Workspace


@dataclass(frozen=True)
class StudySummary:
    """An included document as listed in tables and browsers."""

    id: int
    ref: str
    short: str  # "Behling et al. 2023"
    citation: str  # the full reference as printed
    title: str | None
    journal: str | None
    year: int | None
    country: str | None
    setting: str | None
    design: str | None
    focus: str | None
    progress_plus: tuple[str, ...]  # tag codes
    progress_labels: tuple[str, ...]  # their labels
    relevance: str | None
    rigour: str | None
    notes: str | None
    record_id: int | None
    retrieval: str
    cmocs: tuple[str, ...] = ()  # labels of the CMOCs that cite it


@dataclass(frozen=True)
class LinkView:
    other: str  # the other CMOC's label
    kind: str
    note: str | None


@dataclass
class CmocView:
    """A CMOC with what it cites and how it connects."""

    id: int
    label: str
    cluster_number: int | None
    cluster_name: str | None
    context: str
    mechanism: str
    outcome: str
    statement: str
    direction: str | None
    status: str | None
    plain_summary: str | None
    notes: str | None
    version: int
    documents: list[StudySummary] = field(default_factory=list)
    links_out: list[LinkView] = field(default_factory=list)
    links_in: list[LinkView] = field(default_factory=list)
    evidence_count: int = 0


@dataclass
class ClusterView:
    number: int
    name: str
    description: str | None
    cmocs: list[CmocView] = field(default_factory=list)


def surname(author: str) -> str:
    """The family name from 'Behling EM', 'Behling, E. M.' or 'Erin Behling'."""
    a = author.strip()
    if "," in a:
        return a.split(",")[0].strip()
    parts = a.split()
    if not parts:
        return a
    initials = parts[-1].replace("-", "").replace(".", "")
    if len(parts) > 1 and initials.isupper() and len(initials) <= 4:
        return " ".join(parts[:-1])
    return parts[-1]


def short_citation(authors: list[str], et_al: bool, year: int | None) -> str:
    """'Behling et al. 2023' from a printed author list."""
    if not authors:
        lead = "Anon."
    elif et_al or len(authors) > 2:
        lead = f"{surname(authors[0])} et al."
    elif len(authors) == 2:
        lead = f"{surname(authors[0])} and {surname(authors[1])}"
    else:
        lead = surname(authors[0])
    return f"{lead} {year}" if year else lead


def full_citation(d: Document) -> str:
    """The reference in the Vancouver style the BMJ prints."""
    authors = ", ".join(d.authors or [])
    if d.et_al:
        authors += ", et al"
    parts = [
        p
        for p in [
            authors + "." if authors else "",
            (d.title or "").rstrip(".") + "." if d.title else "",
        ]
        if p
    ]
    where = d.journal or ""
    if d.year:
        where += f" {d.year}"
    if d.volume:
        where += f";{d.volume}"
        if d.issue:
            where += f"({d.issue})"
    if d.pages:
        where += f":{d.pages}"
    if where.strip():
        parts.append(where.strip() + ".")
    if d.doi:
        parts.append(f"doi:{d.doi}")
    elif d.url:
        parts.append(f"Available: {d.url}")
    return " ".join(parts)


def _tag_labels(s: Session, review_id: int) -> dict[str, str]:
    return {t.code: t.label for t in s.scalars(select(TagDef).where(TagDef.review_id == review_id))}


def _study(d: Document, labels: dict[str, str], cmocs: tuple[str, ...] = ()) -> StudySummary:
    codes = tuple(d.progress_plus or [])
    return StudySummary(
        id=d.id,
        ref=d.ref,
        short=short_citation(list(d.authors or []), d.et_al, d.year),
        citation=full_citation(d),
        title=d.title,
        journal=d.journal,
        year=d.year,
        country=d.country,
        setting=d.setting,
        design=d.design,
        focus=d.focus,
        progress_plus=codes,
        progress_labels=tuple(labels.get(c, c) for c in codes),
        relevance=d.relevance,
        rigour=d.rigour,
        notes=d.notes,
        record_id=d.record_id,
        retrieval=d.retrieval,
        cmocs=cmocs,
    )


def _ref_key(ref: str) -> tuple[int, str]:
    return (int(ref), "") if ref.isdigit() else (1 << 30, ref)


def list_studies(ws: Workspace) -> list[StudySummary]:
    """Every document of the review, in file order, with the CMOCs citing each."""
    with ws.store.read() as s:
        labels = _tag_labels(s, ws.review_id)
        citing: dict[int, list[str]] = defaultdict(list)
        rows = s.execute(
            select(CmocDocument.document_id, Cmoc.label)
            .join(Cmoc, Cmoc.id == CmocDocument.cmoc_id)
            .where(Cmoc.review_id == ws.review_id)
            .order_by(Cmoc.position, Cmoc.id)
        )
        for doc_id, label in rows:
            citing[doc_id].append(label)
        docs = s.scalars(
            select(Document)
            .where(Document.review_id == ws.review_id)
            .order_by(Document.position, Document.id)
        ).all()
        return [_study(d, labels, tuple(citing.get(d.id, []))) for d in docs]


def programme_theory(ws: Workspace) -> list[ClusterView]:
    """Clusters in order, each with its CMOCs, their cited studies and links.

    CMOCs without a cluster are gathered in a trailing cluster numbered 0 ("Unclustered").
    """
    with ws.store.read() as s:
        return _programme_theory(s, ws.review_id)


def _programme_theory(s: Session, review_id: int) -> list[ClusterView]:
    labels = _tag_labels(s, review_id)
    clusters = s.scalars(
        select(Cluster).where(Cluster.review_id == review_id).order_by(Cluster.number)
    ).all()
    views = {c.id: ClusterView(c.number, c.name, c.description) for c in clusters}
    cmocs = s.scalars(
        select(Cmoc).where(Cmoc.review_id == review_id).order_by(Cmoc.position, Cmoc.id)
    ).all()
    by_id = {c.id: c for c in cmocs}
    docs = {d.id: d for d in s.scalars(select(Document).where(Document.review_id == review_id))}
    cited: dict[int, list[int]] = defaultdict(list)
    for cited_doc in s.scalars(
        select(CmocDocument).where(CmocDocument.cmoc_id.in_(by_id)).order_by(CmocDocument.position)
    ):
        cited[cited_doc.cmoc_id].append(cited_doc.document_id)
    evidence: dict[int, int] = defaultdict(int)
    for ev in s.scalars(select(CmocEvidence).where(CmocEvidence.cmoc_id.in_(by_id))):
        evidence[ev.cmoc_id] += 1
    links = s.scalars(
        select(CmocLink).where(CmocLink.from_id.in_(by_id)).order_by(CmocLink.position)
    ).all()
    unclustered = ClusterView(0, "Unclustered", None)
    out_views: dict[int, CmocView] = {}
    for c in cmocs:
        cluster = views.get(c.cluster_id) if c.cluster_id else None
        view = CmocView(
            id=c.id,
            label=c.label,
            cluster_number=cluster.number if cluster else None,
            cluster_name=cluster.name if cluster else None,
            context=c.context,
            mechanism=c.mechanism,
            outcome=c.outcome,
            statement=c.statement,
            direction=c.direction,
            status=c.status,
            plain_summary=c.plain_summary,
            notes=c.notes,
            version=c.version_id,
            documents=[_study(docs[d], labels) for d in cited.get(c.id, [])],
            evidence_count=evidence.get(c.id, 0),
        )
        out_views[c.id] = view
        (cluster or unclustered).cmocs.append(view)
    for link in links:
        if link.from_id in out_views and link.to_id in out_views:
            out_views[link.from_id].links_out.append(
                LinkView(by_id[link.to_id].label, link.kind, link.note)
            )
            out_views[link.to_id].links_in.append(
                LinkView(by_id[link.from_id].label, link.kind, link.note)
            )
    result = [views[c.id] for c in clusters]
    if unclustered.cmocs:
        result.append(unclustered)
    return result


def get_cmoc(ws: Workspace, label: str) -> CmocView:
    """One CMOC by its label ('1A')."""
    for cluster in programme_theory(ws):
        for cmoc in cluster.cmocs:
            if cmoc.label == label:
                return cmoc
    raise NotFoundError(f"no CMOC {label!r} in this review")


def cmoc_view(s: Session, review_id: int, cmoc_id: int) -> CmocView:
    """One CMOC (by id) as `programme_theory` shows it, inside the caller's session."""
    for cluster in _programme_theory(s, review_id):
        for cmoc in cluster.cmocs:
            if cmoc.id == cmoc_id:
                return cmoc
    raise NotFoundError(f"no CMOC #{cmoc_id} in this review")
