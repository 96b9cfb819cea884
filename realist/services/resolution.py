"""Disagreements between two reviewers, side by side, and the lead's resolution of each.

`disagreements` lists the records of a comparison (a sample whose comparison is open, or two
reviewers at a stage; `agreement_service.select_comparison`) on which the two decisions differ,
each with both sides: decision, exclusion reason, note and tags, as they stood when the
comparison was opened. `resolve` records the lead's final decision and rationale as a
`Resolution`; `screening.final_decisions` then prefers it. The reviewers' own decisions are
never changed, and every resolution (a record resolved again keeps the earlier ones) is in the
audit log with both original decisions. `DisagreementList.summary` counts the resolved and
unresolved disagreements and the final decisions; `disagreement_list` builds the list inside an
open session (the agreement report uses it for its resolution section).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from realist.db.models import (
    Record,
    Resolution,
    Reviewer,
    Sample,
    SampleRecord,
    ScreeningDecision,
    as_utc,
    utcnow,
)
from realist.domain import Decision, Role, Stage
from realist.errors import BlindedError, InvalidInputError, NotFoundError
from realist.services import audit, visibility
from realist.services.agreement_service import (
    Comparison,
    Side,
    blind_message,
    compared_work,
    select_comparison,
)
from realist.services.context import Workspace
from realist.services.screening import parse_decision, parse_stage


@dataclass(frozen=True)
class ResolutionInfo:
    """A lead's final decision on a record at a stage, and why."""

    id: int
    record_id: int
    stage: str
    decision: str
    rationale: str | None
    decided_by: str | None
    decided_at: datetime
    sample_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record_id": self.record_id,
            "stage": self.stage,
            "decision": self.decision,
            "rationale": self.rationale,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat(),
            "sample_id": self.sample_id,
        }


@dataclass(frozen=True)
class RecordPair:
    """One record of a comparison with both reviewers' work on it, side by side."""

    record_id: int
    source_id: str | None
    title: str | None
    year: int | None
    authors: tuple[str, ...]
    journal: str | None
    abstract: str | None
    a: Side
    b: Side
    history: tuple[
        ResolutionInfo, ...
    ] = ()  # resolutions of this record at the stage, oldest first

    @property
    def differs(self) -> bool:
        """The two decisions differ."""
        return self.a.decision != self.b.decision

    @property
    def resolution(self) -> ResolutionInfo | None:
        """The resolution that stands (the latest), if any."""
        return self.history[-1] if self.history else None

    def to_dict(self) -> dict[str, Any]:
        def side(x: Side) -> dict[str, Any]:
            return {
                "reviewer": x.reviewer,
                "decision": x.decision,
                "reason": x.reason,
                "reason_label": x.reason_label,
                "note": x.note,
                "tags": list(x.tags),
                "source": x.source,
                "at": x.at.isoformat(),
            }

        return {
            "record_id": self.record_id,
            "source_id": self.source_id,
            "title": self.title,
            "year": self.year,
            "a": side(self.a),
            "b": side(self.b),
            "resolution": self.resolution.to_dict() if self.resolution else None,
            "history": [h.to_dict() for h in self.history],
        }


@dataclass(frozen=True)
class ResolutionSummary:
    """How far the disagreements of a comparison are resolved, and to what."""

    disagreements: int
    resolved: int
    unresolved: int
    # final decision -> how many resolved disagreements have it: include and exclude always
    # (perhaps 0), then maybe and anything else when used
    final: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """'resolved 7 of 9: 4 include, 3 exclude', 'resolved 0 of 2' or 'no disagreements'."""
        if not self.disagreements:
            return "no disagreements"
        text = f"resolved {self.resolved} of {self.disagreements}"
        kinds = [f"{n} {decision}" for decision, n in self.final.items() if n]
        return text + (": " + ", ".join(kinds) if kinds else "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: `disagreements`, `resolved`, `unresolved`, `final_decisions`, `summary`."""
        return {
            "disagreements": self.disagreements,
            "resolved": self.resolved,
            "unresolved": self.unresolved,
            "final_decisions": dict(self.final),
            "summary": self.describe(),
        }


@dataclass(frozen=True)
class DisagreementList:
    """The records of a comparison where the two reviewers differ (or all of them)."""

    comparison: Comparison
    items: tuple[RecordPair, ...]
    compared: int  # records both decided

    @property
    def unresolved(self) -> int:
        """Disagreements without a resolution."""
        return sum(1 for i in self.items if i.differs and i.resolution is None)

    @property
    def differing(self) -> tuple[RecordPair, ...]:
        """The items whose two decisions differ (all of them unless agreements were asked for)."""
        return tuple(i for i in self.items if i.differs)

    def summary(self) -> ResolutionSummary:
        """The disagreements, how many are resolved and unresolved, and the final decisions
        (the resolution that stands on each)."""
        final = {Decision.INCLUDE.value: 0, Decision.EXCLUDE.value: 0}
        resolved = 0
        for item in self.differing:
            if item.resolution is not None:
                resolved += 1
                final[item.resolution.decision] = final.get(item.resolution.decision, 0) + 1
        n = len(self.differing)
        return ResolutionSummary(n, resolved, n - resolved, final)

    def to_dict(self) -> dict[str, Any]:
        cmp = self.comparison
        return {
            "reviewers": {"a": cmp.first, "b": cmp.second},
            "stage": cmp.stage,
            "sample_id": cmp.sample_id,
            "compared": self.compared,
            "disagreements": sum(1 for i in self.items if i.differs),
            "unresolved": self.unresolved,
            "records": [i.to_dict() for i in self.items],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        cmp = self.comparison
        n = sum(1 for i in self.items if i.differs)
        lines = [
            f"## Disagreements: {cmp.first} (A) and {cmp.second} (B), {Stage(cmp.stage).label}",
            "",
            f"{cmp.scope.capitalize()}: {self.compared} records compared, {n} disagreements, "
            f"{self.unresolved} unresolved.",
            "",
        ]
        if not self.items:
            return "\n".join([*lines, "Nothing to resolve."]) + "\n"
        lines += [
            "| Record | Title | A | B | Resolution |",
            "|---:|---|---|---|---|",
        ]
        for i in self.items:
            res = i.resolution
            done = f"{res.decision} ({res.decided_by}): {res.rationale or ''}" if res else ""
            lines.append(
                f"| #{i.record_id} | {_md(i.title or '')} | {_md(_side_text(i.a))} | "
                f"{_md(_side_text(i.b))} | {_md(done)} |"
            )
        return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _side_text(x: Side) -> str:
    parts = [x.decision]
    if x.reason_label:
        parts.append(x.reason_label)
    if x.note:
        parts.append(f'"{x.note}"')
    if x.tags:
        parts.append("tags: " + ", ".join(x.tags))
    return "; ".join(parts)


def _history(
    s: Session, ws: Workspace, record_ids: Sequence[int], stage: str
) -> dict[int, list[ResolutionInfo]]:
    r = Resolution
    names: dict[int | None, str] = {
        int(i): str(n) for i, n in s.execute(select(Reviewer.id, Reviewer.name))
    }
    out: dict[int, list[ResolutionInfo]] = {}
    ids = list(record_ids)
    for start in range(0, len(ids), 5000):
        for row in s.scalars(
            select(r)
            .where(
                r.review_id == ws.review_id,
                r.stage == stage,
                r.record_id.in_(ids[start : start + 5000]),
                visibility.decision_visibility(s, ws, r),
            )
            .order_by(r.decided_at, r.id)
        ):
            out.setdefault(row.record_id, []).append(_info(row, names.get(row.decided_by_id)))
    return out


def _info(row: Resolution, by: str | None) -> ResolutionInfo:
    return ResolutionInfo(
        id=row.id,
        record_id=row.record_id,
        stage=row.stage,
        decision=row.decision,
        rationale=row.rationale,
        decided_by=by,
        decided_at=as_utc(row.decided_at),
        sample_id=row.sample_id,
    )


def _pairs(
    s: Session,
    ws: Workspace,
    cmp: Comparison,
    only: Collection[int] | None = None,
    work: dict[int, tuple[Side, Side]] | None = None,
) -> tuple[list[RecordPair], int]:
    if work is None:
        work = compared_work(s, ws, cmp)
    wanted = None if only is None else set(only)
    ids = [r for r in work if wanted is None or r in wanted]
    history = _history(s, ws, ids, cmp.stage)
    records = (
        {rec.id: rec for rec in s.scalars(select(Record).where(Record.id.in_(ids)))} if ids else {}
    )
    out = []
    for rid in ids:
        rec = records[rid]
        a, b = work[rid]
        out.append(
            RecordPair(
                record_id=rid,
                source_id=rec.source_id,
                title=rec.title,
                year=rec.year,
                authors=tuple(str(x) for x in rec.authors or ()),
                journal=rec.journal,
                abstract=rec.abstract,
                a=a,
                b=b,
                history=tuple(history.get(rid, ())),
            )
        )
    return out, len(work)


def disagreements(
    ws: Workspace,
    *,
    reviewers: Sequence[str] = (),
    stage: Stage | str | None = None,
    sample_id: int | None = None,
    include_agreements: bool = False,
) -> DisagreementList:
    """The records of a comparison on which the two reviewers' decisions differ (every
    compared record with `include_agreements`), both sides and any resolution, by record id."""
    with ws.store.read() as s:
        cmp = select_comparison(s, ws, reviewers=reviewers, stage=stage, sample_id=sample_id)
        return disagreement_list(s, ws, cmp, include_agreements=include_agreements)


def disagreement_list(
    s: Session,
    ws: Workspace,
    cmp: Comparison,
    *,
    work: dict[int, tuple[Side, Side]] | None = None,
    include_agreements: bool = False,
) -> DisagreementList:
    """`disagreements` inside an open session, for a comparison already selected (and so
    already checked against blinding by `select_comparison`). `work` is the comparison's
    `compared_work` when the caller has it already."""
    if work is None:
        work = compared_work(s, ws, cmp)
    only = (
        None
        if include_agreements
        else [r for r, (a, b) in work.items() if a.decision != b.decision]
    )
    pairs, compared = _pairs(s, ws, cmp, only, work)
    return DisagreementList(cmp, tuple(pairs), compared)


def side_by_side(
    ws: Workspace,
    record_id: int,
    *,
    reviewers: Sequence[str] = (),
    stage: Stage | str | None = None,
    sample_id: int | None = None,
) -> RecordPair:
    """One record of a comparison with both reviewers' work on it."""
    with ws.store.read() as s:
        cmp = select_comparison(s, ws, reviewers=reviewers, stage=stage, sample_id=sample_id)
        pairs, _ = _pairs(s, ws, cmp, [record_id])
        if not pairs:
            raise InvalidInputError(
                f"record {record_id} was not decided by both {cmp.first} and {cmp.second} in "
                f"this comparison ({cmp.scope}, {Stage(cmp.stage).label})"
            )
        return pairs[0]


def _samples_holding(s: Session, ws: Workspace, record_id: int, stage: str | None) -> list[Sample]:
    q = (
        select(Sample)
        .join(SampleRecord, SampleRecord.sample_id == Sample.id)
        .where(Sample.review_id == ws.review_id, SampleRecord.record_id == record_id)
    )
    if stage is not None:
        q = q.where(Sample.stage == stage)
    return list(s.scalars(q.order_by(Sample.id)))


def resolve(
    ws: Workspace,
    record_id: int,
    decision: str,
    rationale: str,
    *,
    stage: Stage | str | None = None,
    sample_id: int | None = None,
) -> ResolutionInfo:
    """Record the lead's final decision on a record at a stage, with a rationale.

    The record's sample is found (the latest whose comparison is open; `sample_id` names
    one); a record in a blind sample is refused until its comparison is open. A record in no
    sample can be resolved too (a conflict between any reviewers), if someone decided it at the
    stage. Resolving again adds a newer resolution, which stands. The reviewers' decisions stay
    as they are; the audit log keeps the resolution with every current decision at the stage.
    Leads only.
    """
    ws.require_role(Role.LEAD, action="resolve disagreements")
    dec = parse_decision(decision).value
    why = " ".join((rationale or "").split())
    if not why:
        raise InvalidInputError(
            "a resolution needs a rationale: say why this is the final decision (for example "
            "'discussed: the intervention is not QI')"
        )
    st = parse_stage(stage).value if stage is not None else None
    with ws.store.transaction() as s:
        record = s.get(Record, record_id)
        if record is None or record.review_id != ws.review_id:
            raise NotFoundError(f"no record {record_id} in this review")
        holding = _samples_holding(s, ws, record_id, st)
        blind = [x for x in holding if x.comparison_opened_at is None]
        if sample_id is not None:
            chosen = next((x for x in holding if x.id == sample_id), None)
            if chosen is None:
                raise InvalidInputError(f"record {record_id} is not in sample {sample_id}")
            if chosen.comparison_opened_at is None:
                raise BlindedError(blind_message(s, chosen))
        elif blind:
            raise BlindedError(
                f"record {record_id} is in a blind sample: {blind_message(s, blind[0])}"
            )
        else:
            chosen = holding[-1] if holding else None
        if st is None:
            st = chosen.stage if chosen is not None else Stage.TITLE_ABSTRACT.value
        d = ScreeningDecision
        originals = s.execute(
            select(Reviewer.name, d.decision, d.reason_code, d.note, d.source)
            .join(Reviewer, Reviewer.id == d.reviewer_id)
            .where(
                d.record_id == record_id,
                d.stage == st,
                d.is_current,
                visibility.decision_visibility(s, ws, d),
            )
            .order_by(Reviewer.name)
        ).all()
        if not originals:
            raise InvalidInputError(
                f"record {record_id} has no decision at the {Stage(st).label} stage: there is "
                "nothing to resolve"
            )
        previous = s.scalars(
            select(Resolution.id)
            .where(Resolution.record_id == record_id, Resolution.stage == st)
            .order_by(Resolution.decided_at.desc(), Resolution.id.desc())
            .limit(1)
        ).first()
        row = Resolution(
            review_id=ws.review_id,
            sample_id=chosen.id if chosen is not None else None,
            record_id=record_id,
            stage=st,
            decision=dec,
            rationale=why,
            decided_by_id=ws.actor.id if ws.actor else None,
            decided_at=utcnow(),
        )
        s.add(row)
        s.flush()
        audit.log(
            s,
            ws,
            "agreement.resolve",
            "record",
            record_id,
            stage=st,
            decision=dec,
            rationale=why,
            sample=row.sample_id,
            resolution=row.id,
            supersedes=previous,
            decisions={
                name: {"decision": dd, "reason": rc, "note": note, "source": src}
                for name, dd, rc, note, src in originals
            },
        )
        return _info(row, ws.actor.name if ws.actor else None)


def resolution_history(ws: Workspace, record_id: int, stage: Stage | str) -> list[ResolutionInfo]:
    """Every resolution of a record at a stage, oldest first (the last one stands)."""
    with ws.store.read() as s:
        return _history(s, ws, [record_id], parse_stage(stage).value).get(record_id, [])
