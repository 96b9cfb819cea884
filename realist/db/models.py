"""SQLAlchemy 2.0 typed models for the whole review domain.

Designed up front so later capabilities add behaviour, not reshape tables: import batches and their
records (with provenance), duplicate links, screening decisions and tags per reviewer and stage,
documents and full texts, the code tree and excerpts, clusters and CMOCs with their evidence and
revisions, the agreement samples and resolutions, the RAMESES checklist and an append-only audit log.

Conventions: enumerated values are plain strings (see `realist.domain`); times are timezone-aware
UTC; history is kept by appending rows and flipping `is_current` rather than deleting.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(at: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands back naive datetimes, stored as UTC)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so Alembic batch migrations can drop constraints."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dict[str, Any]: JsonType,
        list[Any]: JsonType,
        datetime: DateTime(timezone=True),
    }


def _current_only(*cols: str, name: str) -> Index:
    """A unique index over `cols` restricted to current rows (partial index on both backends)."""
    where = text("is_current")
    return Index(name, *cols, unique=True, sqlite_where=where, postgresql_where=where)


# --------------------------------------------------------------------------------------------
# Review, people, vocabulary


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    question: Mapped[str | None] = mapped_column(Text)
    registration: Mapped[str | None] = mapped_column(Text)
    # databases searched, reported flow, highlight keywords, ... (see docs/yaml-schema.md)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # where each part of the review came from: {"review": {...}, "studies": {...}, "cmocs": {...}}
    sources: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class Reviewer(Base):
    __tablename__ = "reviewers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), default="reviewer")
    db_role: Mapped[str | None] = mapped_column(String(63))  # PostgreSQL role in team mode
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Criterion(Base):
    """One eligibility criterion (inclusion or exclusion), shown while screening."""

    __tablename__ = "criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # inclusion | exclusion
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class ExclusionReason(Base):
    __tablename__ = "exclusion_reasons"
    __table_args__ = (UniqueConstraint("review_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(Text)
    stages: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class TagDef(Base):
    """A tag a record or document can carry: PROGRESS-Plus, gap/targeted, or a custom label."""

    __tablename__ = "tag_defs"
    __table_args__ = (UniqueConstraint("review_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(Text)
    group: Mapped[str] = mapped_column(String(16))
    key: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class RamesesItem(Base):
    __tablename__ = "rameses_items"
    __table_args__ = (UniqueConstraint("review_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    item: Mapped[int] = mapped_column(Integer)
    reported: Mapped[str | None] = mapped_column(String(16))
    pages: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


# --------------------------------------------------------------------------------------------
# Identification: import batches, records, duplicates


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    format: Mapped[str] = mapped_column(String(16))
    dialect: Mapped[str | None] = mapped_column(String(64))
    encoding: Mapped[str | None] = mapped_column(String(32))
    source_db: Mapped[str | None] = mapped_column(Text)  # MEDLINE, Embase, citation searching ...
    source_kind: Mapped[str] = mapped_column(String(16), default="database")
    search_string: Mapped[str | None] = mapped_column(Text)
    search_date: Mapped[str | None] = mapped_column(String(32))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)  # skipped records, warnings


class Record(Base):
    """One bibliographic record as imported, with its provenance."""

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_batch_position", "batch_id", "position"),
        Index("ix_records_review_dup", "review_id", "duplicate_of_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    position: Mapped[int | None] = mapped_column(Integer)  # 1-based position in its file
    source_line: Mapped[int | None] = mapped_column(Integer)
    source_id: Mapped[str | None] = mapped_column(Text)  # id in the source file (RIS ID, PMID, key)
    title: Mapped[str | None] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[Any]] = mapped_column(default=list)
    year: Mapped[int | None] = mapped_column(Integer)
    journal: Mapped[str | None] = mapped_column(Text)
    journal_abbrev: Mapped[str | None] = mapped_column(Text)
    volume: Mapped[str | None] = mapped_column(String(64))
    issue: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[str | None] = mapped_column(String(64))
    doi: Mapped[str | None] = mapped_column(Text, index=True)
    pmid: Mapped[str | None] = mapped_column(String(32), index=True)
    issn: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(64))
    pub_type: Mapped[str | None] = mapped_column(String(64))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Set when this record is a duplicate of another: the canonical record of its cluster.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    batch: Mapped[ImportBatch | None] = relationship()


class DuplicatePair(Base):
    """A candidate duplicate link between two records, with the evidence that explains it."""

    __tablename__ = "duplicate_pairs"
    __table_args__ = (UniqueConstraint("record_a_id", "record_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    record_a_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    record_b_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------
# Screening


class ScreeningDecision(Base):
    """A reviewer's decision on a record at a stage. Appended, never updated in place (but for
    `is_current`, flipped when a newer decision supersedes it or an undo retracts it)."""

    __tablename__ = "screening_decisions"
    __table_args__ = (
        _current_only("record_id", "reviewer_id", "stage", name="uq_decision_current"),
        Index("ix_decisions_reviewer_stage", "reviewer_id", "stage", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    stage: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(
        String(16), default="tui"
    )  # tui | cli | import | resolution
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    retracted_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordTag(Base):
    """A tag a reviewer put on a record (PROGRESS-Plus category, gap/targeted, custom label)."""

    __tablename__ = "record_tags"
    __table_args__ = (
        _current_only("record_id", "tag_id", "reviewer_id", name="uq_record_tag_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag_defs.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    stage: Mapped[str | None] = mapped_column(String(16))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()


class Sample(Base):
    """The random sample a second reviewer screens blind, for the agreement check."""

    __tablename__ = "samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    fraction: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(Integer)
    stratify: Mapped[str | None] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    second_reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    size: Mapped[int] = mapped_column(Integer, default=0)
    comparison_opened_at: Mapped[datetime | None] = mapped_column()
    comparison_opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    closed_at: Mapped[datetime | None] = mapped_column()


class SampleRecord(Base):
    __tablename__ = "sample_records"

    sample_id: Mapped[int] = mapped_column(
        ForeignKey("samples.id", ondelete="CASCADE"), primary_key=True
    )
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True, index=True)
    stratum: Mapped[str | None] = mapped_column(String(64))


class Resolution(Base):
    """The lead's final decision on a record the two reviewers disagreed on."""

    __tablename__ = "resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("samples.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    rationale: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------
# Documents, full texts, codes, excerpts


class Document(Base):
    """An included (or full-text) document: bibliographic details as cited and what is known of it."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("review_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), unique=True)
    ref: Mapped[str] = mapped_column(String(64))
    authors: Mapped[list[Any]] = mapped_column(default=list)
    et_al: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str | None] = mapped_column(Text)
    journal: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    volume: Mapped[str | None] = mapped_column(String(64))
    issue: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[str | None] = mapped_column(String(64))
    doi: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    setting: Mapped[str | None] = mapped_column(Text)
    design: Mapped[str | None] = mapped_column(Text)
    document_type: Mapped[str | None] = mapped_column(Text)
    population: Mapped[str | None] = mapped_column(Text)
    intervention: Mapped[str | None] = mapped_column(Text)
    focus: Mapped[str | None] = mapped_column(String(16))
    progress_plus: Mapped[list[Any]] = mapped_column(default=list)
    relevance: Mapped[str | None] = mapped_column(Text)
    rigour: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    retrieval: Mapped[str] = mapped_column(String(16), default="pending")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class FullText(Base):
    """The extracted text of a document's file; `page_starts` keeps page numbers for excerpts."""

    __tablename__ = "full_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    page_starts: Mapped[list[Any]] = mapped_column(
        default=list
    )  # char offset where each page starts
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Code(Base):
    """A node of the hierarchical code tree, deductive (from the initial theory) or inductive."""

    __tablename__ = "codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("codes.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16), default="inductive")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class Excerpt(Base):
    """A coded span of a full text, with relevance and rigour judgements on this piece of data."""

    __tablename__ = "excerpts"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    full_text_id: Mapped[int | None] = mapped_column(ForeignKey("full_texts.id"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)  # copy of the span, to detect drift
    page: Mapped[int | None] = mapped_column(Integer)
    memo: Mapped[str | None] = mapped_column(Text)
    relevance: Mapped[str | None] = mapped_column(String(32))
    relevance_note: Mapped[str | None] = mapped_column(Text)
    rigour: Mapped[str | None] = mapped_column(String(32))
    rigour_note: Mapped[str | None] = mapped_column(Text)
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class ExcerptCode(Base):
    __tablename__ = "excerpt_codes"

    excerpt_id: Mapped[int] = mapped_column(
        ForeignKey("excerpts.id", ondelete="CASCADE"), primary_key=True
    )
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id"), primary_key=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------
# Programme theory


class Cluster(Base):
    __tablename__ = "clusters"
    __table_args__ = (UniqueConstraint("review_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class Cmoc(Base):
    """A context-mechanism-outcome configuration."""

    __tablename__ = "cmocs"
    __table_args__ = (UniqueConstraint("review_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(32))  # "1A", "15"
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    context: Mapped[str] = mapped_column(Text, default="")
    mechanism: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    statement: Mapped[str] = mapped_column(Text, default="")
    direction: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    plain_summary: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    cluster: Mapped[Cluster | None] = relationship()

    __mapper_args__ = {"version_id_col": version_id}


class CmocRevision(Base):
    """One change to a CMOC: who, when, what changed (field -> [old, new]) and why."""

    __tablename__ = "cmoc_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cmoc_id: Mapped[int] = mapped_column(ForeignKey("cmocs.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rationale: Mapped[str | None] = mapped_column(Text)


class CmocEvidence(Base):
    """An excerpt linked to a CMOC as evidence for its context, mechanism or outcome."""

    __tablename__ = "cmoc_evidence"
    __table_args__ = (UniqueConstraint("cmoc_id", "excerpt_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cmoc_id: Mapped[int] = mapped_column(ForeignKey("cmocs.id", ondelete="CASCADE"), index=True)
    excerpt_id: Mapped[int] = mapped_column(ForeignKey("excerpts.id"), index=True)
    role: Mapped[str] = mapped_column(String(1))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CmocDocument(Base):
    """A document a CMOC cites as supporting evidence."""

    __tablename__ = "cmoc_documents"
    __table_args__ = (UniqueConstraint("cmoc_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cmoc_id: Mapped[int] = mapped_column(ForeignKey("cmocs.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)


class CmocLink(Base):
    """One CMOC related to another, e.g. its outcome is the next one's context (leads_to)."""

    __tablename__ = "cmoc_links"
    __table_args__ = (UniqueConstraint("from_id", "to_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_id: Mapped[int] = mapped_column(ForeignKey("cmocs.id", ondelete="CASCADE"), index=True)
    to_id: Mapped[int] = mapped_column(ForeignKey("cmocs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="leads_to")
    note: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------
# Audit


class AuditEntry(Base):
    """Append-only log of who changed what and when (UPDATE and DELETE are refused by triggers)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    review_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reviewer_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
