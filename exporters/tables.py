"""The methods tables as plain data: columns, sections with headings, rows of cells.

Builders turn the read views of ``realist.services.export_data`` (and the RAMESES checklist)
into ``Table`` objects; ``exporters.table_writers`` writes them as CSV, Markdown, XLSX, DOCX,
HTML or LaTeX. A section heading (a cluster, a RAMESES section) is a full-width row in the
document formats and a leading column in the flat ones (CSV, XLSX).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from realist.domain import Direction
from realist.services.export_data import AppraisalRow, CmocRow, DocumentRow, EvidenceRow
from realist.services.rameses import RamesesRow

__all__ = [
    "NOT_STATED",
    "TABLE_KINDS",
    "Cell",
    "Column",
    "Section",
    "Table",
    "appraisal_table",
    "cmoc_table",
    "documents_table",
    "evidence_table",
    "rameses_table",
]

NOT_STATED = "not stated"
TABLE_KINDS = ("cmocs", "studies", "appraisal", "evidence", "rameses")

Cell = str | int | None


@dataclass(frozen=True)
class Column:
    """A column: its header and a width in characters (spreadsheets use it as is; Word and
    LaTeX share the page width in proportion)."""

    name: str
    width: int = 15


@dataclass(frozen=True)
class Section:
    """Rows under one heading (None: no heading)."""

    heading: str | None
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Table:
    """One table of an export."""

    key: str  # short name: the sheet name in XLSX
    title: str
    columns: tuple[Column, ...]
    sections: tuple[Section, ...]
    group_column: str | None = None  # the section heading's column in CSV and XLSX
    landscape: bool = False
    note: str | None = None  # printed under the table
    number_columns: frozenset[int] = field(default_factory=frozenset)  # right-aligned

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)

    def flat_header(self) -> list[str]:
        """The header of the flat (CSV, XLSX) form."""
        lead = [self.group_column] if self.group_column else []
        return lead + [c.name for c in self.columns]

    def flat_rows(self) -> list[list[Cell]]:
        """Every row with its section heading in front when the table has a group column."""
        out: list[list[Cell]] = []
        for section in self.sections:
            for row in section.rows:
                lead: list[Cell] = [section.heading or ""] if self.group_column else []
                out.append(lead + list(row))
        return out


def _stated(value: object) -> str:
    if value is None or value == "" or value == ():
        return NOT_STATED
    if isinstance(value, tuple | list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _sections(keyed: Iterable[tuple[str | None, tuple[Cell, ...]]]) -> tuple[Section, ...]:
    """Consecutive rows with the same heading become one section, in order."""
    sections: list[Section] = []
    current: str | None = None
    rows: list[tuple[Cell, ...]] = []
    started = False
    for heading, row in keyed:
        if started and heading != current:
            sections.append(Section(current, tuple(rows)))
            rows = []
        current, started = heading, True
        rows.append(row)
    if started:
        sections.append(Section(current, tuple(rows)))
    return tuple(sections)


def _direction(value: str | None) -> str:
    return Direction(value).label if value in {d.value for d in Direction} else NOT_STATED


# ------------------------------------------------------------------------------- builders


def cmoc_table(rows: Sequence[CmocRow], *, full: bool = False) -> Table:
    """The CMOC table in the reference review's Table 3 layout: a heading per cluster
    ('Cluster One: Values and Understanding'), then CMOC number and statement with its (C),
    (M), (O) marks. ``full`` adds the parts, direction, status and supporting documents."""
    columns = [Column("CMOC Number", 9), Column("CMOC", 90 if not full else 60)]
    if full:
        columns += [
            Column("Context", 35),
            Column("Mechanism", 35),
            Column("Outcome", 35),
            Column("Direction", 16),
            Column("Status", 10),
            Column("Supporting documents", 24),
        ]

    def cells(r: CmocRow) -> tuple[Cell, ...]:
        base: tuple[Cell, ...] = (r.label, r.statement)
        if not full:
            return base
        docs = "; ".join(
            f"{ref} {cite}" for ref, cite in zip(r.documents, r.document_citations, strict=True)
        )
        return (
            *base,
            r.context,
            r.mechanism,
            r.outcome,
            _direction(r.direction),
            r.status or NOT_STATED,
            docs or "none cited",
        )

    return Table(
        key="CMOCs",
        title="Context-mechanism-outcome configurations (CMOCs)",
        columns=tuple(columns),
        sections=_sections((r.cluster_heading, cells(r)) for r in rows),
        group_column="Cluster",
        landscape=full,
        note="(C) context; (M) mechanism; (O) outcome.",
    )


def documents_table(rows: Sequence[DocumentRow]) -> Table:
    """Characteristics of the included documents; 'not stated' where the review says nothing."""
    columns = (
        Column("Ref", 5),
        Column("Author", 18),
        Column("Year", 6),
        Column("Title", 36),
        Column("Country", 12),
        Column("Setting", 16),
        Column("Design", 16),
        Column("Document type", 14),
        Column("Population", 24),
        Column("Intervention", 24),
        Column("Gap/targeted", 11),
        Column("PROGRESS-Plus", 22),
        Column("Relevance", 14),
        Column("Rigour", 14),
        Column("CMOCs", 14),
    )
    body = tuple(
        (
            r.ref,
            r.authors,
            r.year if r.year is not None else NOT_STATED,
            _stated(r.title),
            _stated(r.country),
            _stated(r.setting),
            _stated(r.design),
            _stated(r.document_type),
            _stated(r.population),
            _stated(r.intervention),
            _stated(r.focus),
            _stated(r.progress_plus),
            _stated(r.relevance),
            _stated(r.rigour),
            ", ".join(r.cmocs) or "none",
        )
        for r in rows
    )
    return Table(
        key="Documents",
        title="Characteristics of the included documents",
        columns=columns,
        sections=(Section(None, body),),
        landscape=True,
        number_columns=frozenset({2}),
    )


def appraisal_table(rows: Sequence[AppraisalRow]) -> Table:
    """Relevance and rigour per document and, where excerpts are coded, per excerpt."""
    columns = (
        Column("Ref", 5),
        Column("Document", 18),
        Column("Judged", 9),
        Column("Page", 5),
        Column("Excerpt", 40),
        Column("Part of the theory", 18),
        Column("Relevance", 12),
        Column("Rigour", 12),
        Column("Rationale", 30),
    )

    def rationale(r: AppraisalRow) -> str:
        notes = []
        if r.relevance_note:
            notes.append(f"Relevance: {r.relevance_note}")
        if r.rigour_note:
            notes.append(f"Rigour: {r.rigour_note}")
        return " ".join(notes)

    body = tuple(
        (
            r.ref,
            r.document,
            "whole document" if r.level == "document" else "excerpt",
            r.page if r.page is not None else "",
            r.excerpt or "",
            "; ".join(r.theory) if r.theory else ("" if r.level == "document" else "not linked"),
            _stated(r.relevance),
            _stated(r.rigour),
            rationale(r),
        )
        for r in rows
    )
    return Table(
        key="Appraisal",
        title="Relevance and rigour appraisal",
        columns=columns,
        sections=(Section(None, body),),
        landscape=True,
        number_columns=frozenset({3}),
    )


def evidence_table(rows: Sequence[EvidenceRow]) -> Table:
    """CMOC x documents x excerpts, with pages and the part (C/M/O) each excerpt supports."""
    columns = (
        Column("CMOC", 7),
        Column("Ref", 5),
        Column("Document", 22),
        Column("Excerpt", 60),
        Column("Page", 5),
        Column("Part", 5),
        Column("Note", 25),
    )
    body = (
        (
            r.cluster_heading,
            (
                r.cmoc,
                r.ref or "",
                r.document or "no document cited",
                r.excerpt or "",
                r.page if r.page is not None else "",
                r.role or "",
                r.note or "",
            ),
        )
        for r in rows
    )
    return Table(
        key="Evidence",
        title="Evidence for each CMOC: documents and coded excerpts",
        columns=columns,
        sections=_sections(body),
        group_column="Cluster",
        landscape=True,
        note="Part: the excerpt supports the context (C), mechanism (M) or outcome (O). "
        "Rows without an excerpt are documents the CMOC cites.",
        number_columns=frozenset({4}),
    )


def rameses_table(rows: Sequence[RamesesRow]) -> Table:
    """The RAMESES checklist as journals ask for it: item, description, reported, page(s)."""
    columns = (
        Column("Item #", 6),
        Column("Item", 24),
        Column("Description", 50),
        Column("Reported (Y/N/Unclear)", 12),
        Column("Page(s)", 9),
        Column("Note", 40),
    )
    body = (
        (
            r.section,
            (
                r.number,
                r.name,
                r.description,
                r.reported.capitalize() if r.reported else "",
                r.pages or "",
                r.note or "",
            ),
        )
        for r in rows
    )
    return Table(
        key="RAMESES",
        title="RAMESES publication standards for realist syntheses: checklist",
        columns=columns,
        sections=_sections(body),
        group_column="Section",
        landscape=True,
        note="Item names from Wong et al., BMC Med 2013;11:21; descriptions paraphrased.",
        number_columns=frozenset({0}),
    )
