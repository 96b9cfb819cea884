"""Builders for the export tests: extra documents, excerpts and CMOC edits on a review.

Nothing here asserts anything. Text that tries to break exports (markup, formulas, control
characters, TeX specials) is passed in by the tests themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from realist.db.models import Cmoc, CmocDocument, CmocEvidence, Document, Excerpt, Review
from realist.prisma import OtherMethods, PrismaCounts
from realist.services.context import Workspace

REPO = Path(__file__).resolve().parent.parent


def bundled_cmocs() -> list[dict[str, Any]]:
    """The CMOCs of data/cmocs.yaml as loaded by PyYAML (label under `id`)."""
    data = yaml.safe_load((REPO / "data" / "cmocs.yaml").read_text(encoding="utf-8"))
    return list(data["cmocs"])


def bundled_clusters() -> list[dict[str, Any]]:
    data = yaml.safe_load((REPO / "data" / "cmocs.yaml").read_text(encoding="utf-8"))
    return list(data["clusters"])


def add_document(ws: Workspace, ref: str, *, cited_by: tuple[str, ...] = (), **fields: Any) -> int:
    """A new document `ref` (fields as on the Document model), cited by the CMOCs named."""
    with ws.store.transaction() as s:
        position = (
            s.scalar(select(func.max(Document.position)).where(Document.review_id == ws.review_id))
            or 0
        )
        doc = Document(review_id=ws.review_id, ref=ref, position=position + 1, **fields)
        s.add(doc)
        s.flush()
        for label in cited_by:
            cmoc = s.scalars(
                select(Cmoc).where(Cmoc.review_id == ws.review_id, Cmoc.label == label)
            ).one()
            s.add(CmocDocument(cmoc_id=cmoc.id, document_id=doc.id, position=99))
        return doc.id


def add_excerpt(
    ws: Workspace,
    doc_ref: str,
    text: str,
    *,
    page: int | None = None,
    cmoc: str | None = None,
    role: str = "C",
    **fields: Any,
) -> int:
    """A coded excerpt of document `doc_ref`, linked as evidence to `cmoc` when given."""
    with ws.store.transaction() as s:
        doc = s.scalars(
            select(Document).where(Document.review_id == ws.review_id, Document.ref == doc_ref)
        ).one()
        ex = Excerpt(document_id=doc.id, start=0, end=len(text), text=text, page=page, **fields)
        s.add(ex)
        s.flush()
        if cmoc is not None:
            target = s.scalars(
                select(Cmoc).where(Cmoc.review_id == ws.review_id, Cmoc.label == cmoc)
            ).one()
            s.add(CmocEvidence(cmoc_id=target.id, excerpt_id=ex.id, role=role))
        return ex.id


def set_cmoc(ws: Workspace, label: str, **fields: Any) -> None:
    """Overwrite fields of CMOC `label` directly (tests of how exports treat odd content)."""
    with ws.store.transaction() as s:
        cmoc = s.scalars(
            select(Cmoc).where(Cmoc.review_id == ws.review_id, Cmoc.label == label)
        ).one()
        for key, value in fields.items():
            setattr(cmoc, key, value)


def set_review(ws: Workspace, **fields: Any) -> None:
    with ws.store.transaction() as s:
        review = s.get(Review, ws.review_id)
        assert review is not None
        for key, value in fields.items():
            setattr(review, key, value)


def full_counts() -> PrismaCounts:
    """PRISMA counts that add up, with registers, reasons and an other-methods column."""
    return PrismaCounts(
        databases={"MEDLINE": 500, "Embase": 400},
        registers={"ClinicalTrials.gov": 20},
        duplicates_removed=200,
        removed_by_automation=10,
        removed_other_reasons=10,
        records_screened=700,
        records_excluded=640,
        reports_sought=60,
        reports_not_retrieved=5,
        reports_assessed=55,
        reports_excluded=20,
        exclusion_reasons={"Not a QI project": 12, "No inequality data": 8},
        studies_included=40,
        reports_included=43,
        other_methods=OtherMethods(
            sources={"Citation searching": 12, "Experts": 4},
            reports_sought=16,
            reports_not_retrieved=2,
            reports_assessed=14,
            reports_excluded=6,
            exclusion_reasons={"Not a QI project": 6},
        ),
    )
