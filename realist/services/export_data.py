"""Read-only views that the table exports are built from: the review's details, the CMOC table
(the reference review's Table 3 layout), document characteristics, relevance and rigour
appraisal, and the CMOC x document x excerpt evidence table.

Every function opens one read transaction and returns frozen dataclasses in a stable order
(cluster number, CMOC position, document position), so the same review exports the same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from realist.db.models import Cmoc, CmocEvidence, Document, Excerpt, Review, TagDef
from realist.errors import NotFoundError
from realist.prisma import PrismaCounts
from realist.services.context import Workspace
from realist.services.theory import ClusterView, programme_theory, short_citation

__all__ = [
    "AppraisalRow",
    "CmocRow",
    "DocumentRow",
    "EvidenceRow",
    "ReviewInfo",
    "appraisal_rows",
    "cluster_heading",
    "cmoc_rows",
    "counts_from_reported_flow",
    "document_rows",
    "evidence_rows",
    "marked_statement",
    "number_words",
    "review_info",
]

_WORDS = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
    "Twenty",
]


def number_words(n: int) -> str:
    """'One' for 1 ... 'Twenty' for 20; digits beyond that (as a paper would print them)."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def cluster_heading(number: int | None, name: str | None) -> str:
    """'Cluster One: Values and Understanding', as Table 3 of the reference review prints it."""
    if not number:
        return name or "Unclustered"
    return f"Cluster {number_words(number)}: {name}" if name else f"Cluster {number_words(number)}"


def marked_statement(statement: str, context: str, mechanism: str, outcome: str) -> str:
    """The CMOC statement as written; built as 'When C (C) then O (O) because M (M)' when the
    CMOC has parts but no statement yet."""
    if statement.strip():
        return statement
    parts = []
    if context.strip():
        parts.append(f"When {context.strip()} (C)")
    if outcome.strip():
        parts.append(f"then {outcome.strip()} (O)")
    if mechanism.strip():
        parts.append(f"because {mechanism.strip()} (M)")
    return " ".join(parts)


# ------------------------------------------------------------------------------- the review


@dataclass(frozen=True)
class ReviewInfo:
    """What the exports print about the review itself."""

    title: str
    question: str | None
    registration: str | None
    databases: tuple[str, ...]
    reported_flow: Mapping[str, Any]
    citation: str | None  # where the review is published, when the review's sources say so
    license: str | None


def review_info(ws: Workspace) -> ReviewInfo:
    """The review's title, question, databases, the flow it reports and its source."""
    with ws.store.read() as s:
        review = s.get(Review, ws.review_id)
        if review is None:
            raise NotFoundError(f"no review with id {ws.review_id}")
        settings = review.settings or {}
        source = (review.sources or {}).get("review") or {}
        flow = settings.get("reported_flow") or {}
        return ReviewInfo(
            title=review.title,
            question=review.question,
            registration=review.registration,
            databases=tuple(str(d) for d in settings.get("databases") or ()),
            reported_flow=dict(flow) if isinstance(flow, Mapping) else {},
            citation=source.get("citation") if isinstance(source, Mapping) else None,
            license=source.get("license") if isinstance(source, Mapping) else None,
        )


def counts_from_reported_flow(
    flow: Mapping[str, Any], databases: tuple[str, ...] = ()
) -> PrismaCounts | None:
    """PRISMA counts from the figures a published review reports (the YAML `reported_flow`).

    Published flows rarely give per-database counts or full-text exclusion reasons; those
    boxes say so. None when the review reports no flow.
    """
    if not flow:
        return None

    def n(key: str) -> int:
        value = flow.get(key, 0)
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0

    where = ", ".join(databases) if databases else "Databases"
    label = f"{where} (per-database counts not reported)" if len(databases) != 1 else where
    excluded = n("full_text_excluded")
    return PrismaCounts(
        databases={label: n("identified")},
        duplicates_removed=n("duplicates_removed"),
        records_screened=n("screened"),
        records_excluded=n("excluded_title_abstract"),
        reports_sought=n("full_text_assessed"),
        reports_not_retrieved=0,
        reports_assessed=n("full_text_assessed"),
        reports_excluded=excluded,
        exclusion_reasons={"Reasons not reported": excluded} if excluded else {},
        studies_included=n("included"),
    )


# ------------------------------------------------------------------------------- CMOC table


@dataclass(frozen=True)
class CmocRow:
    """One row of the CMOC table."""

    cluster_number: int | None
    cluster_name: str | None
    cluster_heading: str
    label: str
    statement: str  # as written, with its (C), (M), (O) marks
    context: str
    mechanism: str
    outcome: str
    direction: str | None
    status: str | None
    plain_summary: str | None
    documents: tuple[str, ...]  # refs of the cited documents
    document_citations: tuple[str, ...]  # 'Behling et al. 2023', same order
    excerpts: int


def _cmoc_rows(clusters: list[ClusterView]) -> list[CmocRow]:
    rows = []
    for cluster in clusters:
        number = cluster.number or None
        for c in cluster.cmocs:
            rows.append(
                CmocRow(
                    cluster_number=number,
                    cluster_name=cluster.name if number else None,
                    cluster_heading=cluster_heading(number, cluster.name),
                    label=c.label,
                    statement=marked_statement(c.statement, c.context, c.mechanism, c.outcome),
                    context=c.context,
                    mechanism=c.mechanism,
                    outcome=c.outcome,
                    direction=c.direction,
                    status=c.status,
                    plain_summary=c.plain_summary,
                    documents=tuple(d.ref for d in c.documents),
                    document_citations=tuple(d.short for d in c.documents),
                    excerpts=c.evidence_count,
                )
            )
    return rows


def cmoc_rows(ws: Workspace) -> list[CmocRow]:
    """Every CMOC in cluster order (unclustered ones last)."""
    return _cmoc_rows(programme_theory(ws))


# ---------------------------------------------------------------- document characteristics


@dataclass(frozen=True)
class DocumentRow:
    """One included document's characteristics; None where the review states nothing."""

    ref: str
    authors: str  # 'Behling et al.'
    year: int | None
    title: str | None
    country: str | None
    document_type: str | None
    design: str | None
    setting: str | None
    population: str | None
    intervention: str | None
    focus: str | None  # gap | targeted
    progress_plus: tuple[str, ...]  # labels
    relevance: str | None
    rigour: str | None
    cmocs: tuple[str, ...]


def document_rows(ws: Workspace) -> list[DocumentRow]:
    """Every document of the review in its order, with the CMOCs citing each."""
    clusters = programme_theory(ws)
    citing: dict[str, list[str]] = defaultdict(list)
    for cluster in clusters:
        for c in cluster.cmocs:
            for d in c.documents:
                citing[d.ref].append(c.label)
    with ws.store.read() as s:
        labels = {
            t.code: t.label
            for t in s.scalars(select(TagDef).where(TagDef.review_id == ws.review_id))
        }
        docs = s.scalars(
            select(Document)
            .where(Document.review_id == ws.review_id)
            .order_by(Document.position, Document.id)
        ).all()
        return [
            DocumentRow(
                ref=d.ref,
                authors=short_citation(list(d.authors or []), d.et_al, None),
                year=d.year,
                title=d.title,
                country=d.country,
                document_type=d.document_type,
                design=d.design,
                setting=d.setting,
                population=d.population,
                intervention=d.intervention,
                focus=d.focus,
                progress_plus=tuple(labels.get(c, c) for c in d.progress_plus or []),
                relevance=d.relevance,
                rigour=d.rigour,
                cmocs=tuple(citing.get(d.ref, [])),
            )
            for d in docs
        ]


# ------------------------------------------------------------------------------- appraisal


@dataclass(frozen=True)
class AppraisalRow:
    """A relevance and rigour judgement on a whole document or on one coded excerpt."""

    ref: str
    document: str  # 'Behling et al. 2023'
    level: str  # document | excerpt
    excerpt_id: int | None
    page: int | None
    excerpt: str | None
    theory: tuple[str, ...]  # the CMOC parts an excerpt is evidence for: 'CMOC 1A (C)'
    relevance: str | None
    relevance_note: str | None
    rigour: str | None
    rigour_note: str | None


def _excerpt_roles(s: Any, review_id: int) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    rows = s.execute(
        select(CmocEvidence.excerpt_id, Cmoc.label, CmocEvidence.role)
        .join(Cmoc, Cmoc.id == CmocEvidence.cmoc_id)
        .where(Cmoc.review_id == review_id)
        .order_by(Cmoc.position, Cmoc.id, CmocEvidence.role)
    )
    for excerpt_id, label, role in rows:
        out[excerpt_id].append(f"CMOC {label} ({role})")
    return out


def appraisal_rows(ws: Workspace) -> list[AppraisalRow]:
    """Per document, its own judgement then one row per coded excerpt (by page, offset)."""
    with ws.store.read() as s:
        docs = s.scalars(
            select(Document)
            .where(Document.review_id == ws.review_id)
            .order_by(Document.position, Document.id)
        ).all()
        excerpts: dict[int, list[Excerpt]] = defaultdict(list)
        for e in s.scalars(
            select(Excerpt)
            .join(Document, Document.id == Excerpt.document_id)
            .where(Document.review_id == ws.review_id)
            .order_by(Excerpt.document_id, Excerpt.page, Excerpt.start, Excerpt.id)
        ):
            excerpts[e.document_id].append(e)
        roles = _excerpt_roles(s, ws.review_id)
        out = []
        for d in docs:
            short = short_citation(list(d.authors or []), d.et_al, d.year)
            out.append(
                AppraisalRow(
                    d.ref,
                    short,
                    "document",
                    None,
                    None,
                    None,
                    (),
                    d.relevance,
                    None,
                    d.rigour,
                    None,
                )
            )
            for e in excerpts.get(d.id, []):
                out.append(
                    AppraisalRow(
                        ref=d.ref,
                        document=short,
                        level="excerpt",
                        excerpt_id=e.id,
                        page=e.page,
                        excerpt=e.text,
                        theory=tuple(roles.get(e.id, [])),
                        relevance=e.relevance,
                        relevance_note=e.relevance_note,
                        rigour=e.rigour,
                        rigour_note=e.rigour_note,
                    )
                )
        return out


# ------------------------------------------------------------------------------- evidence


@dataclass(frozen=True)
class EvidenceRow:
    """One piece of evidence for a CMOC: a cited document, or an excerpt of one."""

    cluster_heading: str
    cmoc: str
    ref: str | None  # None when the CMOC cites nothing yet
    document: str | None
    excerpt: str | None
    page: int | None
    role: str | None  # C | M | O for excerpts
    note: str | None


def evidence_rows(ws: Workspace) -> list[EvidenceRow]:
    """CMOC x documents x excerpts: for each CMOC (in cluster order), each coded excerpt linked
    to it, then each cited document with no excerpt linked; a CMOC with neither gets one row."""
    clusters = programme_theory(ws)
    with ws.store.read() as s:
        cmoc_ids = {
            label: cid
            for cid, label in s.execute(
                select(Cmoc.id, Cmoc.label).where(Cmoc.review_id == ws.review_id)
            )
        }
        linked: dict[int, list[tuple[CmocEvidence, Excerpt, Document]]] = defaultdict(list)
        for ev, ex, doc in s.execute(
            select(CmocEvidence, Excerpt, Document)
            .join(Excerpt, Excerpt.id == CmocEvidence.excerpt_id)
            .join(Document, Document.id == Excerpt.document_id)
            .where(CmocEvidence.cmoc_id.in_(cmoc_ids.values()))
            .order_by(Document.position, Document.id, Excerpt.page, Excerpt.start, Excerpt.id)
        ):
            linked[ev.cmoc_id].append((ev, ex, doc))
        out: list[EvidenceRow] = []
        for cluster in clusters:
            heading = cluster_heading(cluster.number or None, cluster.name)
            for c in cluster.cmocs:
                # Cited documents in citation order, then documents known only by excerpts.
                by_doc: dict[str, list[EvidenceRow]] = {d.ref: [] for d in c.documents}
                shorts = {d.ref: d.short for d in c.documents}
                for ev, ex, doc in linked.get(cmoc_ids.get(c.label, -1), []):
                    by_doc.setdefault(doc.ref, []).append(
                        EvidenceRow(
                            heading,
                            c.label,
                            doc.ref,
                            short_citation(list(doc.authors or []), doc.et_al, doc.year),
                            ex.text,
                            ex.page,
                            ev.role,
                            ev.note,
                        )
                    )
                rows: list[EvidenceRow] = []
                for ref, found in by_doc.items():
                    rows += found or [
                        EvidenceRow(heading, c.label, ref, shorts[ref], None, None, None, None)
                    ]
                if not rows:
                    rows.append(EvidenceRow(heading, c.label, None, None, None, None, None, None))
                out += rows
        return out
