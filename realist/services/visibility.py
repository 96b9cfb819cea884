"""What the acting reviewer may see of other people's screening work: the blinding seam.

Every read of screening decisions (with their reasons and notes), record tags and resolutions goes
through `decision_visibility`: the queue, the progress counts, the record view, the records list
and its filters and search, the final-decision expression behind PRISMA counts and tag summaries,
the agreement report, and the exports built on them. `queue_scope` is the matching hook for what
a reviewer is asked to screen.

The rule (docs/agreement.md; the PostgreSQL row-level security of team mode applies the same):

* A sample S is *blind* while `S.comparison_opened_at IS NULL`.
* While S is blind, its second reviewer B sees none of the work of its first reviewer A at
  `S.stage`, on ANY record of the review (not only the sampled ones): no `ScreeningDecision` of A
  at `S.stage` (decision, reason, note), no `RecordTag` of A at any stage (tags are stage-less in
  use: a tag set at title/abstract stays on the record at full text, and toggling it ignores the
  stage), and no `Resolution` at `S.stage` (a lead's resolution is informed by A's decision and
  would give it away).
* B's queue at `S.stage` is the sample's records.
* Leads are never blinded, nor is A. Reviewers other than A and B are not blinded. A workspace
  with no acting reviewer (read-only use) is treated like a second reviewer of every blind
  sample: someone who has not said who they are sees nothing that any blind sample hides.
* Blinding lifts when a lead opens the comparison (`samples.open_comparison`), which needs both
  reviewers to have decided every record of the sample at `S.stage`.

Writes are not filtered: a service that supersedes or retracts a decision acts on the acting
reviewer's own rows, which are always visible to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, inspect, not_, or_, select, true
from sqlalchemy.orm import Session

from realist.db.models import RecordTag, Resolution, Sample, SampleRecord, ScreeningDecision
from realist.domain import Role, Stage
from realist.services.context import Workspace

_CACHE_KEY = "realist.visibility.blinds"


@dataclass(frozen=True)
class Blind:
    """One blind sample hiding its first reviewer's work at its stage from the acting reviewer."""

    sample_id: int
    first_reviewer_id: int
    stage: str


def blinds(s: Session, ws: Workspace) -> tuple[Blind, ...]:
    """The blind samples whose first reviewer's work the acting reviewer may not see now.

    Empty for leads and for everyone who is not the second reviewer of a blind sample; every
    blind sample for a workspace without an acting reviewer. Read once per session.
    """
    actor = ws.actor
    if actor is not None and actor.role == Role.LEAD.value:
        return ()
    key = (ws.review_id, actor.id if actor else None)
    cache: dict[Any, tuple[Blind, ...]] = s.info.setdefault(_CACHE_KEY, {})
    if key in cache:
        return cache[key]
    stmt = select(Sample.id, Sample.first_reviewer_id, Sample.stage).where(
        Sample.review_id == ws.review_id, Sample.comparison_opened_at.is_(None)
    )
    if actor is not None:
        stmt = stmt.where(
            Sample.second_reviewer_id == actor.id, Sample.first_reviewer_id != actor.id
        )
    found = tuple(
        Blind(int(i), int(a), str(st)) for i, a, st in s.execute(stmt.order_by(Sample.id))
    )
    cache[key] = found
    return found


def forget(s: Session) -> None:
    """Drop what this session remembers about blind samples (after drawing or opening one)."""
    s.info.pop(_CACHE_KEY, None)


def hides(s: Session, ws: Workspace, reviewer_id: int, stage: Stage | str) -> bool:
    """Whether `reviewer_id`'s decisions at `stage` are hidden from the acting reviewer."""
    st = stage.value if isinstance(stage, Stage) else str(stage)
    return any(b.first_reviewer_id == reviewer_id and b.stage == st for b in blinds(s, ws))


def blinded_stages(s: Session, ws: Workspace) -> set[str]:
    """The stages at which the acting reviewer screens a blind sample now."""
    return {b.stage for b in blinds(s, ws)}


def decision_visibility(s: Session, ws: Workspace, entity: Any) -> ColumnElement[bool]:
    """The condition a row of `entity` must meet to be shown to `ws.actor`.

    `entity` is `ScreeningDecision`, `RecordTag` or `Resolution`, or an alias of one (each has
    `record_id`; decisions and tags also `reviewer_id`). Add the result to the WHERE clause of
    every query that reads them, so one change here blinds every path.
    """
    hidden = blinds(s, ws)
    if not hidden:
        return true()
    kind = inspect(entity).mapper.class_
    if kind is ScreeningDecision:
        pairs = sorted({(b.first_reviewer_id, b.stage) for b in hidden})
        return not_(
            or_(*(and_(entity.reviewer_id == who, entity.stage == st) for who, st in pairs))
        )
    if kind is RecordTag:
        return entity.reviewer_id.not_in(sorted({b.first_reviewer_id for b in hidden}))  # type: ignore[no-any-return]
    if kind is Resolution:
        return entity.stage.not_in(sorted({b.stage for b in hidden}))  # type: ignore[no-any-return]
    raise TypeError(f"decision_visibility does not know {kind.__name__}")


def queue_scope(s: Session, ws: Workspace, stage: Stage | str) -> Select[Any] | None:
    """The record ids `ws.actor` is asked to screen at `stage`, or None for every eligible record.

    A second reviewer screening a blind sample at `stage` screens only that sample's records.
    """
    if ws.actor is None:
        return None
    st = stage.value if isinstance(stage, Stage) else str(stage)
    ids = [b.sample_id for b in blinds(s, ws) if b.stage == st]
    if not ids:
        return None
    return select(SampleRecord.record_id).where(SampleRecord.sample_id.in_(ids))
