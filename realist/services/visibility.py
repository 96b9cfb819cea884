"""What the acting reviewer may see of other people's screening work: the blinding seam.

Every read of screening decisions (with their reasons and notes), record tags and resolutions goes
through `decision_visibility`: the queue, the progress counts, the record view, the records list
and its filters and search, the final-decision expression behind PRISMA counts and tag summaries,
the agreement report, and the exports built on them. `queue_scope` is the matching hook for what
a reviewer is asked to screen, and `label_visibility` for which custom labels a listing of the
review's tags shows.

The rule (docs/agreement.md; the PostgreSQL row-level security of team mode applies the same):

* A sample S is *blind* while `S.comparison_opened_at IS NULL`.
* While S is blind, its second reviewer B sees none of the work of its first reviewer A at
  `S.stage`, on ANY record of the review (not only the sampled ones): no `ScreeningDecision` of A
  at `S.stage` (decision, reason, note), no `RecordTag` of A at any stage (tags are stage-less in
  use: a tag set at title/abstract stays on the record at full text, and toggling it ignores the
  stage), and no `Resolution` at `S.stage` (a lead's resolution is informed by A's decision and
  would give it away).
* Nor does B see the custom labels A defined while screening (`screening.toggle_label`, which
  logs `tag.define` under A's name): a label's name gives away A's tagging as surely as the
  tag does. Such a label is hidden unless someone whose tags B sees has put it on a record
  (then it is their work too, and B would know it had A done nothing). Labels the review's
  YAML defines (PROGRESS-Plus, gap / targeted, and any custom label set up there) have no
  `tag.define` entry and are everyone's. The entries about A's tags (`tag.define`,
  `screening.tag`) are hidden from B's audit trail at any stage, like the tags.
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

from sqlalchemy import ColumnElement, Select, and_, exists, inspect, not_, or_, select, true
from sqlalchemy.orm import Session

from realist.db.models import (
    AuditEntry,
    RecordTag,
    Resolution,
    Sample,
    SampleRecord,
    ScreeningDecision,
    TagDef,
)
from realist.domain import Role, Stage, TagGroup
from realist.services.context import Workspace

_CACHE_KEY = "realist.visibility.blinds"
_LABELS_KEY = "realist.visibility.hidden_labels"
#: The audit action `screening.toggle_label` logs when a reviewer types a new custom label.
LABEL_DEFINED = "tag.define"


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
    s.info.pop(_LABELS_KEY, None)


def hides(s: Session, ws: Workspace, reviewer_id: int, stage: Stage | str) -> bool:
    """Whether `reviewer_id`'s decisions at `stage` are hidden from the acting reviewer."""
    st = stage.value if isinstance(stage, Stage) else str(stage)
    return any(b.first_reviewer_id == reviewer_id and b.stage == st for b in blinds(s, ws))


def blinded_stages(s: Session, ws: Workspace) -> set[str]:
    """The stages at which the acting reviewer screens a blind sample now."""
    return {b.stage for b in blinds(s, ws)}


def hidden_labels(s: Session, ws: Workspace) -> frozenset[int]:
    """The ids of the custom labels (`TagDef`s of group custom) hidden from the acting reviewer.

    A label is hidden when a first reviewer whose work the acting reviewer may not see (see
    `blinds`) defined it while screening (its `tag.define` audit entry names them; matched by
    the label's code, which is unique in a review) and nobody whose tags the acting reviewer
    sees has ever put it on a record. Empty whenever nothing is blind. Read once per session.
    """
    hidden = blinds(s, ws)
    if not hidden:
        return frozenset()
    key = (ws.review_id, ws.actor.id if ws.actor else None)
    cache: dict[Any, frozenset[int]] = s.info.setdefault(_LABELS_KEY, {})
    if key in cache:
        return cache[key]
    firsts = sorted({b.first_reviewer_id for b in hidden})
    t = RecordTag
    # First the few custom labels that only hidden reviewers have used (record_tags is indexed
    # by tag): a label A typed is on a record of A's from the start. Only then the audit log,
    # to tell the labels A typed from those of the review's YAML.
    candidates = dict(
        s.execute(
            select(TagDef.code, TagDef.id).where(
                TagDef.review_id == ws.review_id,
                TagDef.group == TagGroup.CUSTOM.value,
                exists().where(t.tag_id == TagDef.id, t.reviewer_id.in_(firsts)),
                not_(exists().where(t.tag_id == TagDef.id, decision_visibility(s, ws, t))),
            )
        ).all()
    )
    found: frozenset[int] = frozenset()
    if candidates:
        typed = {
            str(details.get("code"))
            for details in s.scalars(
                select(AuditEntry.details).where(
                    AuditEntry.review_id == ws.review_id,
                    AuditEntry.action == LABEL_DEFINED,
                    AuditEntry.reviewer_id.in_(firsts),
                )
            )
            if isinstance(details, dict)
        }
        found = frozenset(int(i) for code, i in candidates.items() if code in typed)
    cache[key] = found
    return found


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


def label_visibility(s: Session, ws: Workspace) -> ColumnElement[bool]:
    """The condition a `TagDef` must meet to be shown to `ws.actor`: not one of `hidden_labels`.

    Add it to every query that lists the review's tags (the screening screen's tags and labels,
    the records list's tag filter, the tag summary, a dump); looking a tag up by the code a
    record carries needs no filter (the record's tags are filtered already).
    """
    labels = hidden_labels(s, ws)
    return TagDef.id.not_in(sorted(labels)) if labels else true()


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
