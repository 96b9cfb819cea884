"""Creating a review and reading its overall status."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from realist.db.models import (
    Cluster,
    Cmoc,
    Document,
    ImportBatch,
    Record,
    Review,
    Reviewer,
    ScreeningDecision,
)
from realist.db.store import Store
from realist.errors import InvalidInputError
from realist.services import audit, visibility
from realist.services.context import Workspace


def create_review(store: Store, title: str, question: str | None = None) -> int:
    """Create a review and return its id."""
    if not title.strip():
        raise InvalidInputError("a review needs a title")
    with store.transaction() as s:
        review = Review(title=title.strip(), question=question, settings={}, sources={})
        s.add(review)
        s.flush()
        audit.log(s, Workspace(store, review.id), "review.create", "review", review.id, title=title)
        return review.id


@dataclass(frozen=True)
class ClusterCount:
    number: int
    name: str
    cmocs: int
    reduces: int
    may_worsen: int


@dataclass(frozen=True)
class ReviewStatus:
    """The numbers on the home screen."""

    title: str
    question: str | None
    database: str
    reviewers: int
    batches: int
    records: int
    duplicates: int
    decisions: int
    studies: int
    cmocs: int
    clusters: list[ClusterCount] = field(default_factory=list)


def review_status(ws: Workspace) -> ReviewStatus:
    """Counts of what the review holds now."""
    rid = ws.review_id
    with ws.store.read() as s:
        review = s.get(Review, rid)
        assert review is not None

        def count(stmt: object) -> int:
            return int(s.scalar(stmt) or 0)  # type: ignore[call-overload]

        records = count(select(func.count()).select_from(Record).where(Record.review_id == rid))
        duplicates = count(
            select(func.count())
            .select_from(Record)
            .where(Record.review_id == rid, Record.duplicate_of_id.is_not(None))
        )
        clusters = []
        for c in s.scalars(
            select(Cluster).where(Cluster.review_id == rid).order_by(Cluster.number)
        ):
            directions = list(s.scalars(select(Cmoc.direction).where(Cmoc.cluster_id == c.id)))
            clusters.append(
                ClusterCount(
                    c.number,
                    c.name,
                    len(directions),
                    sum(1 for d in directions if d == "reduces"),
                    sum(1 for d in directions if d == "may_worsen"),
                )
            )
        return ReviewStatus(
            title=review.title,
            question=review.question,
            database=ws.store.display_url(),
            reviewers=count(select(func.count()).select_from(Reviewer)),
            batches=count(
                select(func.count()).select_from(ImportBatch).where(ImportBatch.review_id == rid)
            ),
            records=records,
            duplicates=duplicates,
            decisions=count(
                select(func.count())
                .select_from(ScreeningDecision)
                .where(
                    ScreeningDecision.review_id == rid,
                    ScreeningDecision.is_current,
                    visibility.decision_visibility(s, ws, ScreeningDecision),
                )
            ),
            studies=count(
                select(func.count()).select_from(Document).where(Document.review_id == rid)
            ),
            cmocs=count(select(func.count()).select_from(Cmoc).where(Cmoc.review_id == rid)),
            clusters=clusters,
        )
