"""Screening: decisions, undo, tags and notes per reviewer; the final decision per record and
stage; the queue a reviewer works through; what the screen shows of one record.

Decisions are appended: a new decision flips the reviewer's previous current row for that record
and stage to `is_current = False` and inserts a new current row, in one transaction. Undo
retracts the reviewer's latest current decision at a stage (`is_current = False`, `retracted_at`
set) and makes the one it superseded current again, so repeated undos walk back through the
reviewer's decisions. Tags are per reviewer and toggled on and off the same way. Every change is
attributed to the acting reviewer, timestamped and written to the audit log.

The FINAL decision per (record, stage) lives in one place, `final_decisions`: the latest
resolution when there is one; else the decision every current decision agrees on; else
"conflict". PRISMA counts, the records list, tag summaries and exports all use it. Every read of
decisions and tags goes through `realist.services.visibility` (the blinding seam).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    case,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from realist.db.models import (
    Criterion,
    Document,
    ExclusionReason,
    FullText,
    ImportBatch,
    Record,
    RecordTag,
    Resolution,
    Review,
    Reviewer,
    ScreeningDecision,
    TagDef,
    utcnow,
)
from realist.domain import Decision, Retrieval, Role, Stage, TagGroup
from realist.errors import InvalidInputError, NotFoundError
from realist.services import audit, visibility
from realist.services.concurrency import retry_on_conflict
from realist.services.context import Actor, Workspace

CONFLICT: Final = "conflict"
"""The final decision of a record whose current decisions disagree and are not resolved."""

KEPT_AT_TITLE_ABSTRACT: Final = (Decision.INCLUDE.value, Decision.MAYBE.value)
"""Final title/abstract decisions that send a record on to the full-text stage."""

SCREENERS: Final = (Role.LEAD, Role.REVIEWER)


class Keep:
    """Sentinel: keep the value of the decision being superseded."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = Keep()


def parse_stage(value: Stage | str) -> Stage:
    """A stage from its value ('title_abstract', 'full_text') or a short form ('ta', 'ft')."""
    if isinstance(value, Stage):
        return value
    text = str(value).strip().lower().replace("-", "_").replace("/", "_")
    aliases = {"ta": Stage.TITLE_ABSTRACT, "title": Stage.TITLE_ABSTRACT, "ft": Stage.FULL_TEXT}
    if text in aliases:
        return aliases[text]
    try:
        return Stage(text)
    except ValueError:
        raise InvalidInputError(
            f"unknown stage {value!r}; use title_abstract or full_text"
        ) from None


def parse_decision(value: str) -> Decision:
    """include / exclude / maybe, case-insensitive."""
    try:
        return Decision(value.strip().lower())
    except ValueError:
        raise InvalidInputError(
            f"unknown decision {value!r}; use include, exclude or maybe"
        ) from None


# --------------------------------------------------------------------------------------------
# The final decision: ONE place


def _restrict(col: Any, record_ids: Select[Any] | Collection[int] | None) -> ColumnElement[bool]:
    if record_ids is None:
        return true()
    if isinstance(record_ids, Select):
        return col.in_(record_ids.scalar_subquery())  # type: ignore[no-any-return]
    return col.in_(list(record_ids))  # type: ignore[no-any-return]


def final_decisions(
    s: Session,
    ws: Workspace,
    stage: Stage | str,
    record_ids: Select[Any] | Collection[int] | None = None,
) -> Subquery:
    """The final decision per record at `stage`, as a subquery with columns (record_id, decision).

    `decision` is the latest resolution for that record and stage when one exists; else, when
    every current (visible) decision agrees, that decision; else "conflict" (unresolved: awaiting
    resolution, not screened). Records nobody has decided are absent. `record_ids` (a select of
    ids or a collection) restricts the computation to those records.
    """
    st = parse_stage(stage).value
    d = aliased(ScreeningDecision)
    r = aliased(Resolution)
    ranked = (
        select(
            r.record_id.label("record_id"),
            r.decision.label("decision"),
            func.row_number()
            .over(partition_by=r.record_id, order_by=(r.decided_at.desc(), r.id.desc()))
            .label("rank"),
        )
        .where(
            r.review_id == ws.review_id,
            r.stage == st,
            _restrict(r.record_id, record_ids),
            visibility.decision_visibility(s, ws, r),
        )
        .subquery("ranked_resolutions")
    )
    resolved = select(ranked.c.record_id, ranked.c.decision).where(ranked.c.rank == 1)
    agreed = (
        select(
            d.record_id.label("record_id"),
            case(
                (func.min(d.decision) == func.max(d.decision), func.min(d.decision)),
                else_=literal(CONFLICT),
            ).label("decision"),
        )
        .where(
            d.review_id == ws.review_id,
            d.stage == st,
            d.is_current,
            _restrict(d.record_id, record_ids),
            d.record_id.not_in(select(ranked.c.record_id)),
            visibility.decision_visibility(s, ws, d),
        )
        .group_by(d.record_id)
    )
    return union_all(resolved, agreed).subquery(f"final_{st}")


def eligible_records(s: Session, ws: Workspace, stage: Stage | str) -> Select[Any]:
    """Ids of the records to screen at `stage`: every record that is not a duplicate at
    title/abstract; at full text, those whose final title/abstract decision is include or maybe."""
    st = parse_stage(stage)
    base = select(Record.id).where(
        Record.review_id == ws.review_id, Record.duplicate_of_id.is_(None)
    )
    if st is Stage.TITLE_ABSTRACT:
        return base
    fta = final_decisions(s, ws, Stage.TITLE_ABSTRACT)
    return base.join(fta, fta.c.record_id == Record.id).where(
        fta.c.decision.in_(KEPT_AT_TITLE_ABSTRACT)
    )


def final_decision_of(s: Session, ws: Workspace, record_id: int, stage: Stage | str) -> str | None:
    """The final decision of one record at `stage` (None when nobody decided it)."""
    fd = final_decisions(s, ws, stage, [record_id])
    return s.scalar(select(fd.c.decision).where(fd.c.record_id == record_id))


# --------------------------------------------------------------------------------------------
# The review's screening vocabulary


@dataclass(frozen=True)
class ReasonInfo:
    code: str
    label: str
    stages: tuple[str, ...]


@dataclass(frozen=True)
class TagInfo:
    code: str
    label: str
    group: str
    key: str | None
    description: str | None


@dataclass(frozen=True)
class HighlightRules:
    """Include and exclude keywords compiled to patterns; `*` matches any word ending."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, 'include'|'exclude') spans in `text`; on overlap the
        earlier, then longer, match wins (so 'low-income countries' beats 'low-income')."""
        found: list[tuple[int, int, str]] = []
        for kind, pattern in (
            ("include", _pattern(self.include)),
            ("exclude", _pattern(self.exclude)),
        ):
            if pattern is not None:
                found += [
                    (m.start(), m.end(), kind)
                    for m in pattern.finditer(text)
                    if m.end() > m.start()
                ]
        found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        out: list[tuple[int, int, str]] = []
        for start, end, kind in found:
            if not out or start >= out[-1][1]:
                out.append((start, end, kind))
        return out


_PATTERNS: dict[tuple[str, ...], re.Pattern[str] | None] = {}


def keyword_regex(keyword: str) -> str:
    """A regular expression for one highlight keyword: case-insensitive words, `*` = any
    continuation of the word, spaces match any run of white space."""
    parts = []
    for piece in keyword.strip().split():
        parts.append(re.escape(piece).replace(r"\*", r"\w*"))
    body = r"\s+".join(parts)
    stripped = keyword.strip()
    start = r"\b" if stripped[:1].isalnum() else ""
    end = r"\b" if stripped[-1:].isalnum() else ""
    return f"{start}{body}{end}"


def _pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    if keywords not in _PATTERNS:
        words = sorted({k for k in keywords if k.strip().strip("*")}, key=len, reverse=True)
        _PATTERNS[keywords] = (
            re.compile("|".join(keyword_regex(k) for k in words), re.IGNORECASE) if words else None
        )
    return _PATTERNS[keywords]


@dataclass(frozen=True)
class ScreeningContext:
    """What the screen needs from the review once: criteria, reasons, tags, highlights."""

    title: str
    inclusion: tuple[str, ...]
    exclusion: tuple[str, ...]
    reasons: tuple[ReasonInfo, ...]
    tags: tuple[TagInfo, ...]
    highlight: HighlightRules

    def reasons_for(self, stage: Stage | str) -> list[ReasonInfo]:
        """The exclusion reasons offered at `stage`."""
        st = parse_stage(stage).value
        return [r for r in self.reasons if not r.stages or st in r.stages]

    def reason_label(self, code: str | None) -> str | None:
        """The label of a reason code (the code itself when the review no longer has it)."""
        if code is None:
            return None
        return next((r.label for r in self.reasons if r.code == code), code)


def reason_infos(s: Session, review_id: int) -> list[ReasonInfo]:
    """The review's exclusion reasons, in their order."""
    rows = s.scalars(
        select(ExclusionReason)
        .where(ExclusionReason.review_id == review_id)
        .order_by(ExclusionReason.position, ExclusionReason.id)
    )
    return [ReasonInfo(r.code, r.label, tuple(r.stages or ())) for r in rows]


def tag_infos(s: Session, ws: Workspace) -> list[TagInfo]:
    """The review's tags (PROGRESS, Plus, focus, custom labels), in their order: those the
    acting reviewer may see (a blind second reviewer is not shown the custom labels their first
    reviewer defined, `visibility.hidden_labels`)."""
    rows = s.scalars(
        select(TagDef)
        .where(TagDef.review_id == ws.review_id, visibility.label_visibility(s, ws))
        .order_by(TagDef.position, TagDef.id)
    )
    return [TagInfo(t.code, t.label, t.group, t.key, t.description) for t in rows]


def screening_context(ws: Workspace) -> ScreeningContext:
    """The review's criteria, exclusion reasons, tags and highlight keywords."""
    with ws.store.read() as s:
        review = s.get(Review, ws.review_id)
        if review is None:
            raise NotFoundError(f"no review {ws.review_id}")
        criteria = s.scalars(
            select(Criterion)
            .where(Criterion.review_id == ws.review_id)
            .order_by(Criterion.kind, Criterion.position)
        ).all()
        hl = (review.settings or {}).get("highlight") or {}
        return ScreeningContext(
            title=review.title,
            inclusion=tuple(c.text for c in criteria if c.kind == "inclusion"),
            exclusion=tuple(c.text for c in criteria if c.kind == "exclusion"),
            reasons=tuple(reason_infos(s, ws.review_id)),
            tags=tuple(tag_infos(s, ws)),
            highlight=HighlightRules(
                tuple(str(k) for k in hl.get("include") or ()),
                tuple(str(k) for k in hl.get("exclude") or ()),
            ),
        )


# --------------------------------------------------------------------------------------------
# Decisions


@dataclass(frozen=True)
class DecisionChange:
    """What a decision or an undo changed for the acting reviewer on one record and stage."""

    record_id: int
    stage: str
    before: str | None  # the reviewer's current decision before the action
    after: str | None  # ... and after it (None: no decision any more)
    reason: str | None = None
    note: str | None = None
    decision_id: int | None = None  # the row now current, if any
    changed: bool = True


def _record(s: Session, ws: Workspace, record_id: int) -> Record:
    record = s.get(Record, record_id)
    if record is None or record.review_id != ws.review_id:
        raise NotFoundError(f"no record {record_id} in this review")
    return record


def _check_eligible(s: Session, ws: Workspace, record: Record, stage: Stage) -> None:
    if record.duplicate_of_id is not None:
        raise InvalidInputError(
            f"record {record.id} is a duplicate of record {record.duplicate_of_id}; screen that one"
        )
    if stage is Stage.FULL_TEXT:
        ta = final_decision_of(s, ws, record.id, Stage.TITLE_ABSTRACT)
        if ta not in KEPT_AT_TITLE_ABSTRACT:
            state = {None: "not screened yet", CONFLICT: "an unresolved conflict"}.get(ta, ta)
            raise InvalidInputError(
                f"record {record.id} is not at the full-text stage: its final title/abstract "
                f"decision is {state}"
            )
        retrieval = s.scalar(select(Document.retrieval).where(Document.record_id == record.id))
        if retrieval == Retrieval.NOT_RETRIEVED.value:
            raise InvalidInputError(
                f"record {record.id}: the report is marked not retrieved; attach its full text "
                "before deciding"
            )


def _current(
    s: Session, reviewer_id: int, record_id: int, stage: str, *, lock: bool = False
) -> ScreeningDecision | None:
    # `lock` (writes): another session superseding the same row waits, then sees it superseded
    # (PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE).
    stmt = select(ScreeningDecision).where(
        ScreeningDecision.record_id == record_id,
        ScreeningDecision.reviewer_id == reviewer_id,
        ScreeningDecision.stage == stage,
        ScreeningDecision.is_current,
    )
    return s.scalars(stmt.with_for_update() if lock else stmt).first()


def check_reason(
    reasons: Iterable[ReasonInfo], code: str | None, stage: Stage, decision: str
) -> str | None:
    """Validate an exclusion reason code for a decision at a stage; returns the code."""
    known = list(reasons)
    if code is not None and decision != Decision.EXCLUDE.value:
        raise InvalidInputError(f"an exclusion reason goes with exclude, not {decision}")
    if code is None:
        if decision == Decision.EXCLUDE.value and stage is Stage.FULL_TEXT:
            codes = ", ".join(r.code for r in known) or "(the review has none; add some)"
            raise InvalidInputError(
                f"an exclusion reason is required at the full-text stage; one of: {codes}"
            )
        return None
    match = next((r for r in known if r.code == code), None)
    if match is None:
        codes = ", ".join(r.code for r in known) or "(none defined)"
        raise InvalidInputError(f"unknown exclusion reason {code!r}; the review's reasons: {codes}")
    if match.stages and stage.value not in match.stages:
        raise InvalidInputError(
            f"exclusion reason {code!r} does not apply at the {stage.label} stage"
        )
    return code


@retry_on_conflict
def decide(
    ws: Workspace,
    record_id: int,
    stage: Stage | str,
    decision: Decision | str,
    *,
    reason: str | Keep | None = KEEP,
    note: str | Keep | None = KEEP,
    source: str = "tui",
) -> DecisionChange:
    """Record the acting reviewer's decision on a record at a stage (superseding theirs).

    `reason` is an exclusion reason code: required when excluding at full text, optional at
    title/abstract, refused with include or maybe. `note` is free text ('' clears it). KEEP (the
    default for both) carries over the superseded decision's reason (when still excluding) and
    note. Deciding exactly what is already current writes nothing.
    """
    actor = ws.require_role(*SCREENERS, action="screen records")
    st = parse_stage(stage)
    dec = parse_decision(str(decision)).value
    with ws.store.transaction() as s:
        record = _record(s, ws, record_id)
        _check_eligible(s, ws, record, st)
        current = _current(s, actor.id, record_id, st.value, lock=True)
        if isinstance(reason, Keep):
            keep = current is not None and current.decision == dec == Decision.EXCLUDE.value
            reason = current.reason_code if keep and current is not None else None
        if reason is not None or (st is Stage.FULL_TEXT and dec == Decision.EXCLUDE.value):
            reason = check_reason(reason_infos(s, ws.review_id), reason, st, dec)
        if isinstance(note, Keep):
            note = current.note if current is not None else None
        note = (note or "").strip() or None
        if current is not None and (current.decision, current.reason_code, current.note) == (
            dec,
            reason,
            note,
        ):
            return DecisionChange(
                record_id, st.value, dec, dec, reason, note, current.id, changed=False
            )
        row = _append(
            s, actor, ws.review_id, record_id, st.value, dec, reason, note, source, current
        )
        audit.log(
            s,
            ws,
            "screening.decide",
            "record",
            record_id,
            stage=st.value,
            decision=dec,
            reason=reason,
            note=note,
            previous=current.decision if current else None,
            source=source,
        )
        return DecisionChange(
            record_id,
            st.value,
            current.decision if current else None,
            dec,
            reason,
            note,
            row.id,
        )


def _append(
    s: Session,
    actor: Actor,
    review_id: int,
    record_id: int,
    stage: str,
    decision: str,
    reason: str | None,
    note: str | None,
    source: str,
    current: ScreeningDecision | None,
) -> ScreeningDecision:
    if current is not None:
        current.is_current = False
        s.flush()  # the partial unique index allows one current row at a time
    row = ScreeningDecision(
        review_id=review_id,
        record_id=record_id,
        reviewer_id=actor.id,
        stage=stage,
        decision=decision,
        reason_code=reason,
        note=note,
        source=source,
        is_current=True,
    )
    s.add(row)
    s.flush()
    return row


def annotate(ws: Workspace, record_id: int, stage: Stage | str, note: str | None) -> DecisionChange:
    """Set the note on the acting reviewer's current decision (a new row with the same
    decision and reason; '' or None clears the note)."""
    actor = ws.require_role(*SCREENERS, action="screen records")
    st = parse_stage(stage)
    with ws.store.read() as s:
        current = _current(s, actor.id, record_id, st.value)
        if current is None:
            raise InvalidInputError(
                f"record {record_id} has no decision of yours at the {st.label} stage; decide "
                "first, the note goes with the decision"
            )
        decision, reason = current.decision, current.reason_code
    return decide(ws, record_id, st, decision, reason=reason, note=note or "")


@retry_on_conflict
def undo_last(ws: Workspace, stage: Stage | str) -> DecisionChange | None:
    """Retract the acting reviewer's most recent decision at `stage` and restore the one it
    superseded (if any). Repeated calls walk further back. None when there is nothing to undo.

    The most recent not-retracted decision of a reviewer is always a current one (anything it
    superseded is older), so the stack is read from the current rows alone.
    """
    actor = ws.require_role(*SCREENERS, action="screen records")
    st = parse_stage(stage)
    SD = ScreeningDecision
    with ws.store.transaction() as s:
        last = s.scalars(
            select(SD)
            .where(SD.reviewer_id == actor.id, SD.stage == st.value, SD.is_current)
            .where(SD.review_id == ws.review_id)
            .order_by(SD.id.desc())
            .limit(1)
        ).first()
        if last is None:
            return None
        last.is_current = False
        last.retracted_at = utcnow()
        s.flush()
        previous = s.scalars(
            select(SD)
            .where(
                SD.record_id == last.record_id,
                SD.reviewer_id == actor.id,
                SD.stage == st.value,
                SD.retracted_at.is_(None),
                SD.id < last.id,
            )
            .order_by(SD.id.desc())
            .limit(1)
        ).first()
        if previous is not None:
            previous.is_current = True
            s.flush()
        audit.log(
            s,
            ws,
            "screening.undo",
            "record",
            last.record_id,
            stage=st.value,
            retracted=last.id,
            retracted_decision=last.decision,
            restored=previous.id if previous else None,
        )
        return DecisionChange(
            last.record_id,
            st.value,
            last.decision,
            previous.decision if previous else None,
            previous.reason_code if previous else None,
            previous.note if previous else None,
            previous.id if previous else None,
        )


# --------------------------------------------------------------------------------------------
# Tags


@dataclass(frozen=True)
class TagChange:
    record_id: int
    code: str
    label: str
    on: bool  # the acting reviewer's tag is now set


def _tag_def(s: Session, ws: Workspace, code: str) -> TagDef:
    tag = s.scalars(
        select(TagDef).where(TagDef.review_id == ws.review_id, TagDef.code == code)
    ).first()
    if tag is None:
        raise NotFoundError(f"no tag {code!r} in this review")
    return tag


@retry_on_conflict
def toggle_tag(
    ws: Workspace, record_id: int, code: str, stage: Stage | str | None = None
) -> TagChange:
    """Put the acting reviewer's tag `code` on the record, or take it off if it is there."""
    actor = ws.require_role(*SCREENERS, action="tag records")
    st = parse_stage(stage).value if stage is not None else None
    with ws.store.transaction() as s:
        _record(s, ws, record_id)
        tag = _tag_def(s, ws, code)
        return _toggle(s, ws, actor, record_id, tag, st)


def _toggle(
    s: Session, ws: Workspace, actor: Actor, record_id: int, tag: TagDef, stage: str | None
) -> TagChange:
    current = s.scalars(
        select(RecordTag)
        .where(
            RecordTag.record_id == record_id,
            RecordTag.tag_id == tag.id,
            RecordTag.reviewer_id == actor.id,
            RecordTag.is_current,
        )
        .with_for_update()  # a simultaneous toggle waits and then sees this one's result
    ).first()
    if current is not None:
        current.is_current = False
        current.removed_at = utcnow()
        on = False
    else:
        s.add(
            RecordTag(
                record_id=record_id,
                tag_id=tag.id,
                reviewer_id=actor.id,
                stage=stage,
                is_current=True,
            )
        )
        on = True
    s.flush()
    audit.log(s, ws, "screening.tag", "record", record_id, tag=tag.code, on=on, stage=stage)
    return TagChange(record_id, tag.code, tag.label, on)


def label_code(label: str) -> str:
    """The tag code for a custom label: lower case, words joined by '_'."""
    code = re.sub(r"[^0-9a-z]+", "_", label.strip().lower()).strip("_")
    return code[:64]


@retry_on_conflict
def toggle_label(
    ws: Workspace, record_id: int, label: str, stage: Stage | str | None = None
) -> TagChange:
    """Toggle a custom label on the record, defining it for the review on first use."""
    actor = ws.require_role(*SCREENERS, action="tag records")
    text = " ".join(label.split())
    code = label_code(text)
    if not code:
        raise InvalidInputError("a label needs at least one letter or digit")
    st = parse_stage(stage).value if stage is not None else None
    with ws.store.transaction() as s:
        _record(s, ws, record_id)
        tags = s.scalars(select(TagDef).where(TagDef.review_id == ws.review_id)).all()
        tag = next(
            (t for t in tags if t.code == code or t.label.strip().lower() == text.lower()), None
        )
        if tag is None:
            tag = TagDef(
                review_id=ws.review_id,
                code=code,
                label=text,
                group=TagGroup.CUSTOM.value,
                position=max((t.position for t in tags), default=-1) + 1,
            )
            s.add(tag)
            s.flush()
            defined = {"code": code, "label": text, "group": TagGroup.CUSTOM.value}
            audit.log(s, ws, visibility.LABEL_DEFINED, "tag", tag.id, **defined)
        return _toggle(s, ws, actor, record_id, tag, st)


# --------------------------------------------------------------------------------------------
# The queue


Ordering = Callable[[Session, Workspace, Stage, list[int], int | None], list[int]]
ORDERINGS: dict[str, Ordering] = {}


def register_ordering(name: str, fn: Ordering) -> None:
    """Make `fn` available as a queue order (e.g. 'relevance' from the ranking model): it
    receives the eligible ids in file order and returns them in the order to screen."""
    ORDERINGS[name] = fn


def _file_order(
    s: Session, ws: Workspace, stage: Stage, ids: list[int], seed: int | None
) -> list[int]:
    return ids


def _random_order(
    s: Session, ws: Workspace, stage: Stage, ids: list[int], seed: int | None
) -> list[int]:
    # A per-reviewer default seed: two reviewers get different, each reproducible, orders.
    rng = random.Random(seed if seed is not None else (ws.actor.id if ws.actor else 0))
    out = list(ids)
    rng.shuffle(out)
    return out


register_ordering("file", _file_order)
register_ordering("random", _random_order)


@dataclass(frozen=True)
class Progress:
    """One reviewer's progress at one stage."""

    stage: str
    total: int  # records to screen at this stage
    include: int = 0
    exclude: int = 0
    maybe: int = 0
    not_retrieved: int = 0  # full text only: reports that need no decision

    @property
    def screened(self) -> int:
        return self.include + self.exclude + self.maybe

    @property
    def remaining(self) -> int:
        return max(self.total - self.screened - self.not_retrieved, 0)


@dataclass
class Queue:
    """The records one reviewer screens at one stage, in order, with their own decisions.

    Navigation is in memory: `decided` and `closed` are kept up to date from the changes the
    services return, so moving to the next record needs no count or search in the database.
    """

    stage: Stage
    order: str
    seed: int | None
    ids: list[int]
    mine: dict[int, str] = field(default_factory=dict)  # record id -> this reviewer's decision
    closed: set[int] = field(default_factory=set)  # full text not retrieved: nothing to decide
    position: int = 0
    _index: dict[int, int] = field(default_factory=dict, repr=False)
    _counts: Counter[str] = field(default_factory=Counter, repr=False)

    def __post_init__(self) -> None:
        self._index = {rid: i for i, rid in enumerate(self.ids)}
        self.mine = {k: v for k, v in self.mine.items() if k in self._index}
        self.closed = {k for k in self.closed if k in self._index}
        self._counts = Counter(self.mine.values())

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._index

    @property
    def current(self) -> int | None:
        return self.ids[self.position] if self.ids else None

    def is_open(self, record_id: int) -> bool:
        """Still waiting for this reviewer's decision."""
        return record_id not in self.mine and record_id not in self.closed

    def next_open(self, include_current: bool = False) -> int | None:
        """The next record waiting for a decision after the current one (wrapping round to
        the start; the current one last, if `include_current`)."""
        n = len(self.ids)
        for step in range(1, n + 1):
            i = (self.position + step) % n
            if i == self.position and not include_current:
                break
            if self.is_open(self.ids[i]):
                return self.ids[i]
        return None

    def first_open(self) -> int | None:
        """The first record in queue order still waiting for a decision."""
        return next((rid for rid in self.ids if self.is_open(rid)), None)

    def goto(self, record_id: int) -> bool:
        """Make `record_id` current; False when it is not in this queue."""
        i = self._index.get(record_id)
        if i is None:
            return False
        self.position = i
        return True

    def step(self, delta: int) -> int | None:
        """Move by `delta` places in queue order (stopping at either end)."""
        if not self.ids:
            return None
        self.position = min(max(self.position + delta, 0), len(self.ids) - 1)
        return self.current

    def reorder(self, ids: Iterable[int], order: str, *, pin_current: bool = False) -> None:
        """Show the same records in a new order, staying on the current record.

        Ids not in the queue are ignored and queue records missing from `ids` follow in their
        present order, so a reorder can never drop or add a record. With `pin_current`, an open
        current record moves to just before the first other open record, so that "next" after
        deciding it is the first open record of the new order.
        """
        new = list(ids)
        # This runs on the screen's thread at every refit: the common case, a permutation of
        # the queue, is checked with set operations in C rather than filtered id by id.
        if len(new) != len(self.ids) or self._index.keys() != set(new):
            wanted = [i for i in dict.fromkeys(new) if i in self._index]
            seen = set(wanted)
            new = wanted + [i for i in self.ids if i not in seen]
        current = self.current
        if pin_current and current is not None and self.is_open(current):
            new.remove(current)
            at = next((k for k, rid in enumerate(new) if self.is_open(rid)), len(new))
            new.insert(at, current)
        self.ids = new
        self.order = order
        self._index = dict(zip(new, range(len(new)), strict=True))
        if current is not None:
            self.goto(current)

    def apply(self, change: DecisionChange) -> None:
        """Keep the reviewer's decisions in step with what a service changed."""
        if change.record_id not in self._index:
            return
        before = self.mine.pop(change.record_id, None)
        if before is not None:
            self._counts[before] -= 1
        if change.after is not None:
            self.mine[change.record_id] = change.after
            self._counts[change.after] += 1

    def set_closed(self, record_id: int, closed: bool) -> None:
        """Mark a record as needing no decision (report not retrieved), or needing one again."""
        if closed:
            self.closed.add(record_id)
        else:
            self.closed.discard(record_id)

    def progress(self) -> Progress:
        """Counted in memory, kept up to date by `apply` (no query per keypress)."""
        counts = self._counts
        return Progress(
            self.stage.value,
            len(self.ids),
            counts.get(Decision.INCLUDE.value, 0),
            counts.get(Decision.EXCLUDE.value, 0),
            counts.get(Decision.MAYBE.value, 0),
            sum(1 for rid in self.closed if rid not in self.mine),
        )


def open_queue(
    ws: Workspace, stage: Stage | str, order: str = "file", seed: int | None = None
) -> Queue:
    """The acting reviewer's queue at `stage`: eligible records (within `queue_scope`) in file
    order (batch, position), or another registered order, positioned on the first record still
    waiting for this reviewer's decision."""
    actor = ws.require_actor()
    st = parse_stage(stage)
    if order not in ORDERINGS:
        raise InvalidInputError(f"unknown queue order {order!r}; one of: {', '.join(ORDERINGS)}")
    with ws.store.read() as s:
        eligible = eligible_records(s, ws, st)
        scope = visibility.queue_scope(s, ws, st)
        if scope is not None:
            eligible = eligible.where(Record.id.in_(scope.scalar_subquery()))
        ids: list[int] = list(
            s.scalars(eligible.order_by(Record.batch_id, Record.position, Record.id))
        )
        ids = ORDERINGS[order](s, ws, st, ids, seed)
        d = ScreeningDecision
        mine = dict(
            s.execute(
                select(d.record_id, d.decision).where(
                    d.reviewer_id == actor.id,
                    d.stage == st.value,
                    d.is_current,
                    d.review_id == ws.review_id,
                    visibility.decision_visibility(s, ws, d),
                )
            ).all()
        )
        closed: set[int] = set()
        if st is Stage.FULL_TEXT:
            closed = set(
                s.scalars(
                    select(Document.record_id).where(
                        Document.review_id == ws.review_id,
                        Document.record_id.is_not(None),
                        Document.retrieval == Retrieval.NOT_RETRIEVED.value,
                    )
                )
            )
    queue = Queue(st, order, seed, ids, mine, closed)
    first = queue.first_open()
    if first is not None:
        queue.goto(first)
    return queue


def reviewer_progress(ws: Workspace, stage: Stage | str) -> Progress:
    """The acting reviewer's progress at `stage`, counted in the database (for summaries; the
    screening screen keeps its own counts in its `Queue`)."""
    actor = ws.require_actor()
    st = parse_stage(stage)
    with ws.store.read() as s:
        eligible = eligible_records(s, ws, st)
        scope = visibility.queue_scope(s, ws, st)
        if scope is not None:
            eligible = eligible.where(Record.id.in_(scope.scalar_subquery()))
        ids = eligible.subquery()
        total = int(s.scalar(select(func.count()).select_from(ids)) or 0)
        d = ScreeningDecision
        counts = dict(
            s.execute(
                select(d.decision, func.count())
                .where(
                    d.reviewer_id == actor.id,
                    d.stage == st.value,
                    d.is_current,
                    d.record_id.in_(select(ids.c.id)),
                    visibility.decision_visibility(s, ws, d),
                )
                .group_by(d.decision)
            ).all()
        )
        not_retrieved = 0
        if st is Stage.FULL_TEXT:
            not_retrieved = int(
                s.scalar(
                    select(func.count())
                    .select_from(Document)
                    .where(
                        Document.record_id.in_(select(ids.c.id)),
                        Document.retrieval == Retrieval.NOT_RETRIEVED.value,
                        ~Document.record_id.in_(
                            select(d.record_id).where(
                                d.reviewer_id == actor.id,
                                d.stage == st.value,
                                d.is_current,
                                visibility.decision_visibility(s, ws, d),
                            )
                        ),
                    )
                )
                or 0
            )
    return Progress(
        st.value,
        total,
        counts.get(Decision.INCLUDE.value, 0),
        counts.get(Decision.EXCLUDE.value, 0),
        counts.get(Decision.MAYBE.value, 0),
        not_retrieved,
    )


def record_count(ws: Workspace) -> int:
    """How many records the review holds (duplicates included)."""
    with ws.store.read() as s:
        return int(
            s.scalar(
                select(func.count()).select_from(Record).where(Record.review_id == ws.review_id)
            )
            or 0
        )


def find_record(ws: Workspace, text: str) -> int:
    """A record id from what a reviewer typed: '#123' is a record id; otherwise the id in the
    source file (Record.source_id), then a record id when the text is a number."""
    raw = text.strip()
    if not raw:
        raise InvalidInputError("type a record id (#123) or the record's id in its source file")
    with ws.store.read() as s:
        if raw.startswith("#"):
            if raw[1:].isdigit():
                rid = s.scalar(
                    select(Record.id).where(
                        Record.id == int(raw[1:]), Record.review_id == ws.review_id
                    )
                )
                if rid is not None:
                    return int(rid)
            raise NotFoundError(f"no record {raw} in this review")
        matches = list(
            s.scalars(
                select(Record.id)
                .where(Record.review_id == ws.review_id, Record.source_id == raw)
                .order_by(Record.duplicate_of_id.is_not(None), Record.id)
                .limit(2)
            )
        )
        if matches:
            return int(matches[0])
        if raw.isdigit():
            rid = s.scalar(
                select(Record.id).where(Record.id == int(raw), Record.review_id == ws.review_id)
            )
            if rid is not None:
                return int(rid)
    raise NotFoundError(f"no record with id or source id {raw!r} in this review")


# --------------------------------------------------------------------------------------------
# One record as the screen shows it


@dataclass(frozen=True)
class DecisionInfo:
    reviewer: str
    decision: str
    reason: str | None
    reason_label: str | None
    note: str | None
    at: datetime
    source: str


@dataclass(frozen=True)
class FullTextInfo:
    file_name: str
    format: str
    pages: int
    chars: int
    preview: str


@dataclass(frozen=True)
class RecordView:
    """A record with everything the screening screen shows for the acting reviewer."""

    id: int
    source_id: str | None
    title: str | None
    abstract: str | None
    authors: tuple[str, ...]
    year: int | None
    journal: str | None
    source: str | None  # the database or file it was imported from
    position: int | None
    doi: str | None
    pmid: str | None
    keywords: tuple[str, ...]
    duplicate_of: int | None
    stage: str
    mine: DecisionInfo | None
    others: tuple[DecisionInfo, ...]
    my_tags: frozenset[str]
    other_tags: tuple[tuple[str, str], ...]  # (reviewer, tag code)
    final: str | None  # when others' decisions are visible: the final decision; else None
    retrieval: str | None
    full_text: FullTextInfo | None


PREVIEW_CHARS = 1500


def record_view(ws: Workspace, record_id: int, stage: Stage | str) -> RecordView:
    """One record for the screen: bibliographic fields, this reviewer's and (visible) others'
    decisions and tags at `stage`, the final decision, and the full-text state."""
    st = parse_stage(stage)
    me = ws.actor.id if ws.actor else None
    with ws.store.read() as s:
        record = _record(s, ws, record_id)
        source = None
        if record.batch_id is not None:
            batch = s.get(ImportBatch, record.batch_id)
            source = (batch.source_db or batch.file_name) if batch else None
        reasons = {r.code: r.label for r in reason_infos(s, ws.review_id)}
        d = ScreeningDecision
        decisions = s.execute(
            select(d, Reviewer.name)
            .join(Reviewer, Reviewer.id == d.reviewer_id)
            .where(
                d.record_id == record_id,
                d.stage == st.value,
                d.is_current,
                visibility.decision_visibility(s, ws, d),
            )
            .order_by(Reviewer.name)
        ).all()
        mine, others = None, []
        for row, name in decisions:
            info = DecisionInfo(
                name,
                row.decision,
                row.reason_code,
                reasons.get(row.reason_code, row.reason_code) if row.reason_code else None,
                row.note,
                row.created_at,
                row.source,
            )
            if row.reviewer_id == me:
                mine = info
            else:
                others.append(info)
        t = RecordTag
        tag_rows = s.execute(
            select(t.reviewer_id, Reviewer.name, TagDef.code)
            .join(TagDef, TagDef.id == t.tag_id)
            .join(Reviewer, Reviewer.id == t.reviewer_id)
            .where(t.record_id == record_id, t.is_current, visibility.decision_visibility(s, ws, t))
            .order_by(Reviewer.name, TagDef.position)
        ).all()
        my_tags = frozenset(code for rid, _, code in tag_rows if rid == me)
        other_tags = tuple((name, code) for rid, name, code in tag_rows if rid != me)
        retrieval, full_text = None, None
        doc = s.scalars(select(Document).where(Document.record_id == record_id)).first()
        if doc is not None:
            retrieval = doc.retrieval
            ft = s.execute(
                select(
                    FullText.file_name,
                    FullText.format,
                    FullText.page_starts,
                    func.length(FullText.text),
                    func.substr(FullText.text, 1, PREVIEW_CHARS),
                ).where(FullText.document_id == doc.id, FullText.is_current)
            ).first()
            if ft is not None:
                full_text = FullTextInfo(
                    ft[0], ft[1], len(ft[2] or [0]), int(ft[3] or 0), ft[4] or ""
                )
        return RecordView(
            id=record.id,
            source_id=record.source_id,
            title=record.title,
            abstract=record.abstract,
            authors=tuple(str(a) for a in record.authors or ()),
            year=record.year,
            journal=record.journal,
            source=source,
            position=record.position,
            doi=record.doi,
            pmid=record.pmid,
            keywords=tuple(str(k) for k in record.keywords or ()),
            duplicate_of=record.duplicate_of_id,
            stage=st.value,
            mine=mine,
            others=tuple(others),
            my_tags=my_tags,
            other_tags=other_tags,
            # the final decision is shown next to other reviewers' decisions; alone, yours stands
            final=final_decision_of(s, ws, record_id, st) if others else None,
            retrieval=retrieval,
            full_text=full_text,
        )
