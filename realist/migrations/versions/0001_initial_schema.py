"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 23:59:25.341126
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


AUDIT_TRIGGERS_SQLITE = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]
AUDIT_TRIGGERS_PG = [
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
]


def _audit_triggers() -> None:
    """The audit log refuses UPDATE and DELETE in the database itself, not only in the code."""
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": AUDIT_TRIGGERS_SQLITE, "postgresql": AUDIT_TRIGGERS_PG}.get(dialect, [])
    for sql in statements:
        op.execute(sql)


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_review_id"), ["review_id"], unique=False)

    op.create_table(
        "reviewers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("db_role", sa.String(length=63), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewers")),
        sa.UniqueConstraint("name", name=op.f("uq_reviewers_name")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("registration", sa.Text(), nullable=True),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_clusters_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clusters")),
        sa.UniqueConstraint("review_id", "number", name=op.f("uq_clusters_review_id_number")),
    )
    with op.batch_alter_table("clusters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clusters_review_id"), ["review_id"], unique=False)

    op.create_table(
        "codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["codes.id"], name=op.f("fk_codes_parent_id_codes")),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_codes_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codes")),
    )
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_codes_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_codes_review_id"), ["review_id"], unique=False)

    op.create_table(
        "criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_criteria_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criteria")),
    )
    with op.batch_alter_table("criteria", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_criteria_review_id"), ["review_id"], unique=False)

    op.create_table(
        "exclusion_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column(
            "stages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_exclusion_reasons_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusion_reasons")),
        sa.UniqueConstraint("review_id", "code", name=op.f("uq_exclusion_reasons_review_id_code")),
    )
    with op.batch_alter_table("exclusion_reasons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exclusion_reasons_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("dialect", sa.String(length=64), nullable=True),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("source_db", sa.Text(), nullable=True),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("search_string", sa.Text(), nullable=True),
        sa.Column("search_date", sa.String(length=32), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column(
            "report",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["reviewers.id"],
            name=op.f("fk_import_batches_imported_by_id_reviewers"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_import_batches_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_batches_review_id"), ["review_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_import_batches_sha256"), ["sha256"], unique=False)

    op.create_table(
        "rameses_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("reported", sa.String(length=16), nullable=True),
        sa.Column("pages", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_rameses_items_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rameses_items")),
        sa.UniqueConstraint("review_id", "item", name=op.f("uq_rameses_items_review_id_item")),
    )
    with op.batch_alter_table("rameses_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rameses_items_review_id"), ["review_id"], unique=False)

    op.create_table(
        "samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("fraction", sa.Float(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("stratify", sa.String(length=16), nullable=True),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_reviewer_id", sa.Integer(), nullable=False),
        sa.Column("second_reviewer_id", sa.Integer(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("comparison_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comparison_opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["comparison_opened_by_id"],
            ["reviewers.id"],
            name=op.f("fk_samples_comparison_opened_by_id_reviewers"),
        ),
        sa.ForeignKeyConstraint(
            ["drawn_by_id"], ["reviewers.id"], name=op.f("fk_samples_drawn_by_id_reviewers")
        ),
        sa.ForeignKeyConstraint(
            ["first_reviewer_id"],
            ["reviewers.id"],
            name=op.f("fk_samples_first_reviewer_id_reviewers"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_samples_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_reviewer_id"],
            ["reviewers.id"],
            name=op.f("fk_samples_second_reviewer_id_reviewers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_samples")),
    )
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_samples_review_id"), ["review_id"], unique=False)

    op.create_table(
        "tag_defs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("group", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=16), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_tag_defs_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_defs")),
        sa.UniqueConstraint("review_id", "code", name=op.f("uq_tag_defs_review_id_code")),
    )
    with op.batch_alter_table("tag_defs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_defs_review_id"), ["review_id"], unique=False)

    op.create_table(
        "cmocs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("mechanism", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("plain_summary", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name=op.f("fk_cmocs_cluster_id_clusters")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_cmocs_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmocs")),
        sa.UniqueConstraint("review_id", "label", name=op.f("uq_cmocs_review_id_label")),
    )
    with op.batch_alter_table("cmocs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmocs_cluster_id"), ["cluster_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cmocs_review_id"), ["review_id"], unique=False)

    op.create_table(
        "records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("abstract", sa.Text(), nullable=True),
        sa.Column(
            "authors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("journal", sa.Text(), nullable=True),
        sa.Column("journal_abbrev", sa.Text(), nullable=True),
        sa.Column("volume", sa.String(length=64), nullable=True),
        sa.Column("issue", sa.String(length=64), nullable=True),
        sa.Column("pages", sa.String(length=64), nullable=True),
        sa.Column("doi", sa.Text(), nullable=True),
        sa.Column("pmid", sa.String(length=32), nullable=True),
        sa.Column("issn", sa.String(length=64), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=64), nullable=True),
        sa.Column("pub_type", sa.String(length=64), nullable=True),
        sa.Column(
            "keywords",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_records_batch_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"], ["records.id"], name=op.f("fk_records_duplicate_of_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_records_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_batch_position", ["batch_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_records_doi"), ["doi"], unique=False)
        batch_op.create_index(batch_op.f("ix_records_pmid"), ["pmid"], unique=False)
        batch_op.create_index(
            "ix_records_review_dup", ["review_id", "duplicate_of_id"], unique=False
        )

    op.create_table(
        "cmoc_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=False),
        sa.Column("to_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_id"], ["cmocs.id"], name=op.f("fk_cmoc_links_from_id_cmocs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["to_id"], ["cmocs.id"], name=op.f("fk_cmoc_links_to_id_cmocs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmoc_links")),
        sa.UniqueConstraint(
            "from_id", "to_id", "kind", name=op.f("uq_cmoc_links_from_id_to_id_kind")
        ),
    )
    with op.batch_alter_table("cmoc_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmoc_links_from_id"), ["from_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cmoc_links_to_id"), ["to_id"], unique=False)

    op.create_table(
        "cmoc_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cmoc_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cmoc_id"],
            ["cmocs.id"],
            name=op.f("fk_cmoc_revisions_cmoc_id_cmocs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewers.id"], name=op.f("fk_cmoc_revisions_reviewer_id_reviewers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmoc_revisions")),
    )
    with op.batch_alter_table("cmoc_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmoc_revisions_cmoc_id"), ["cmoc_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column(
            "authors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("et_al", sa.Boolean(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("journal", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("volume", sa.String(length=64), nullable=True),
        sa.Column("issue", sa.String(length=64), nullable=True),
        sa.Column("pages", sa.String(length=64), nullable=True),
        sa.Column("doi", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("setting", sa.Text(), nullable=True),
        sa.Column("design", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("population", sa.Text(), nullable=True),
        sa.Column("intervention", sa.Text(), nullable=True),
        sa.Column("focus", sa.String(length=16), nullable=True),
        sa.Column(
            "progress_plus",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("relevance", sa.Text(), nullable=True),
        sa.Column("rigour", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("retrieval", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_documents_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_documents_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("record_id", name=op.f("uq_documents_record_id")),
        sa.UniqueConstraint("review_id", "ref", name=op.f("uq_documents_review_id_ref")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_review_id"), ["review_id"], unique=False)

    op.create_table(
        "duplicate_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("record_a_id", sa.Integer(), nullable=False),
        sa.Column("record_b_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["reviewers.id"],
            name=op.f("fk_duplicate_pairs_decided_by_id_reviewers"),
        ),
        sa.ForeignKeyConstraint(
            ["record_a_id"], ["records.id"], name=op.f("fk_duplicate_pairs_record_a_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["record_b_id"], ["records.id"], name=op.f("fk_duplicate_pairs_record_b_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_duplicate_pairs_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_pairs")),
        sa.UniqueConstraint(
            "record_a_id", "record_b_id", name=op.f("uq_duplicate_pairs_record_a_id_record_b_id")
        ),
    )
    with op.batch_alter_table("duplicate_pairs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_pairs_record_a_id"), ["record_a_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_duplicate_pairs_record_b_id"), ["record_b_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_duplicate_pairs_review_id"), ["review_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_duplicate_pairs_status"), ["status"], unique=False)

    op.create_table(
        "record_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=True),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_tags_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewers.id"], name=op.f("fk_record_tags_reviewer_id_reviewers")
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag_defs.id"], name=op.f("fk_record_tags_tag_id_tag_defs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_tags")),
    )
    with op.batch_alter_table("record_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_tags_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_record_tags_tag_id"), ["tag_id"], unique=False)
        batch_op.create_index(
            "uq_record_tag_current",
            ["record_id", "tag_id", "reviewer_id"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["reviewers.id"], name=op.f("fk_resolutions_decided_by_id_reviewers")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_resolutions_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_resolutions_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_resolutions_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolutions")),
    )
    with op.batch_alter_table("resolutions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resolutions_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resolutions_review_id"), ["review_id"], unique=False)

    op.create_table(
        "sample_records",
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("stratum", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_sample_records_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["samples.id"],
            name=op.f("fk_sample_records_sample_id_samples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sample_id", "record_id", name=op.f("pk_sample_records")),
    )
    with op.batch_alter_table("sample_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sample_records_record_id"), ["record_id"], unique=False
        )

    op.create_table(
        "screening_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_screening_decisions_record_id_records")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_screening_decisions_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["reviewers.id"],
            name=op.f("fk_screening_decisions_reviewer_id_reviewers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_decisions")),
    )
    with op.batch_alter_table("screening_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_decisions_reviewer_stage", ["reviewer_id", "stage", "is_current"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_decisions_record_id"), ["record_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_decisions_review_id"), ["review_id"], unique=False
        )
        batch_op.create_index(
            "uq_decision_current",
            ["record_id", "reviewer_id", "stage"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "cmoc_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cmoc_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cmoc_id"],
            ["cmocs.id"],
            name=op.f("fk_cmoc_documents_cmoc_id_cmocs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_cmoc_documents_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmoc_documents")),
        sa.UniqueConstraint(
            "cmoc_id", "document_id", name=op.f("uq_cmoc_documents_cmoc_id_document_id")
        ),
    )
    with op.batch_alter_table("cmoc_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmoc_documents_cmoc_id"), ["cmoc_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cmoc_documents_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "full_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "page_starts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["reviewers.id"], name=op.f("fk_full_texts_added_by_id_reviewers")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_full_texts_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_full_texts")),
    )
    with op.batch_alter_table("full_texts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_full_texts_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "excerpts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("full_text_id", sa.Integer(), nullable=True),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("relevance", sa.String(length=32), nullable=True),
        sa.Column("relevance_note", sa.Text(), nullable=True),
        sa.Column("rigour", sa.String(length=32), nullable=True),
        sa.Column("rigour_note", sa.Text(), nullable=True),
        sa.Column("coder_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coder_id"], ["reviewers.id"], name=op.f("fk_excerpts_coder_id_reviewers")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_excerpts_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["full_text_id"], ["full_texts.id"], name=op.f("fk_excerpts_full_text_id_full_texts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_excerpts")),
    )
    with op.batch_alter_table("excerpts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_excerpts_document_id"), ["document_id"], unique=False)

    op.create_table(
        "cmoc_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cmoc_id", sa.Integer(), nullable=False),
        sa.Column("excerpt_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=1), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cmoc_id"],
            ["cmocs.id"],
            name=op.f("fk_cmoc_evidence_cmoc_id_cmocs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["reviewers.id"],
            name=op.f("fk_cmoc_evidence_created_by_id_reviewers"),
        ),
        sa.ForeignKeyConstraint(
            ["excerpt_id"], ["excerpts.id"], name=op.f("fk_cmoc_evidence_excerpt_id_excerpts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmoc_evidence")),
        sa.UniqueConstraint(
            "cmoc_id", "excerpt_id", "role", name=op.f("uq_cmoc_evidence_cmoc_id_excerpt_id_role")
        ),
    )
    with op.batch_alter_table("cmoc_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmoc_evidence_cmoc_id"), ["cmoc_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cmoc_evidence_excerpt_id"), ["excerpt_id"], unique=False
        )

    op.create_table(
        "excerpt_codes",
        sa.Column("excerpt_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_id"], ["codes.id"], name=op.f("fk_excerpt_codes_code_id_codes")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["reviewers.id"],
            name=op.f("fk_excerpt_codes_created_by_id_reviewers"),
        ),
        sa.ForeignKeyConstraint(
            ["excerpt_id"],
            ["excerpts.id"],
            name=op.f("fk_excerpt_codes_excerpt_id_excerpts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("excerpt_id", "code_id", name=op.f("pk_excerpt_codes")),
    )
    with op.batch_alter_table("excerpt_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_excerpt_codes_code_id"), ["code_id"], unique=False)
    _audit_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")

    with op.batch_alter_table("excerpt_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_excerpt_codes_code_id"))

    op.drop_table("excerpt_codes")
    with op.batch_alter_table("cmoc_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmoc_evidence_excerpt_id"))
        batch_op.drop_index(batch_op.f("ix_cmoc_evidence_cmoc_id"))

    op.drop_table("cmoc_evidence")
    with op.batch_alter_table("excerpts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_excerpts_document_id"))

    op.drop_table("excerpts")
    with op.batch_alter_table("full_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_full_texts_document_id"))

    op.drop_table("full_texts")
    with op.batch_alter_table("cmoc_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmoc_documents_document_id"))
        batch_op.drop_index(batch_op.f("ix_cmoc_documents_cmoc_id"))

    op.drop_table("cmoc_documents")
    with op.batch_alter_table("screening_decisions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_decision_current",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.drop_index(batch_op.f("ix_screening_decisions_review_id"))
        batch_op.drop_index(batch_op.f("ix_screening_decisions_record_id"))
        batch_op.drop_index("ix_decisions_reviewer_stage")

    op.drop_table("screening_decisions")
    with op.batch_alter_table("sample_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sample_records_record_id"))

    op.drop_table("sample_records")
    with op.batch_alter_table("resolutions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resolutions_review_id"))
        batch_op.drop_index(batch_op.f("ix_resolutions_record_id"))

    op.drop_table("resolutions")
    with op.batch_alter_table("record_tags", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_record_tag_current",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.drop_index(batch_op.f("ix_record_tags_tag_id"))
        batch_op.drop_index(batch_op.f("ix_record_tags_record_id"))

    op.drop_table("record_tags")
    with op.batch_alter_table("duplicate_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_status"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_review_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_record_b_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_pairs_record_a_id"))

    op.drop_table("duplicate_pairs")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_review_id"))

    op.drop_table("documents")
    with op.batch_alter_table("cmoc_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmoc_revisions_cmoc_id"))

    op.drop_table("cmoc_revisions")
    with op.batch_alter_table("cmoc_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmoc_links_to_id"))
        batch_op.drop_index(batch_op.f("ix_cmoc_links_from_id"))

    op.drop_table("cmoc_links")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_review_dup")
        batch_op.drop_index(batch_op.f("ix_records_pmid"))
        batch_op.drop_index(batch_op.f("ix_records_doi"))
        batch_op.drop_index("ix_records_batch_position")

    op.drop_table("records")
    with op.batch_alter_table("cmocs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmocs_review_id"))
        batch_op.drop_index(batch_op.f("ix_cmocs_cluster_id"))

    op.drop_table("cmocs")
    with op.batch_alter_table("tag_defs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tag_defs_review_id"))

    op.drop_table("tag_defs")
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_samples_review_id"))

    op.drop_table("samples")
    with op.batch_alter_table("rameses_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rameses_items_review_id"))

    op.drop_table("rameses_items")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batches_sha256"))
        batch_op.drop_index(batch_op.f("ix_import_batches_review_id"))

    op.drop_table("import_batches")
    with op.batch_alter_table("exclusion_reasons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exclusion_reasons_review_id"))

    op.drop_table("exclusion_reasons")
    with op.batch_alter_table("criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_criteria_review_id"))

    op.drop_table("criteria")
    with op.batch_alter_table("codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_codes_review_id"))
        batch_op.drop_index(batch_op.f("ix_codes_parent_id"))

    op.drop_table("codes")
    with op.batch_alter_table("clusters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clusters_review_id"))

    op.drop_table("clusters")
    op.drop_table("reviews")
    op.drop_table("reviewers")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_review_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
