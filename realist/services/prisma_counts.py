"""PRISMA 2020 flow counts computed from the review's data at this moment.

Columns. Records from import batches whose `source_kind` is database or register form the main
column (per `source_db`, or the file name when none is given); batches of kind `other`
(citation searching, websites, experts) form the other-methods column, which in PRISMA 2020 has
no screening box: its non-duplicate records appear from "reports sought" on (they are sought
when kept at title/abstract).

Boxes (main column; the other column the same from "reports sought"):
- identified: every record imported, per source; duplicates removed: records with
  `duplicate_of_id` (main column);
- screened: non-duplicate records whose FINAL title/abstract decision is include, exclude or
  maybe (an unresolved conflict is awaiting resolution, not screened); excluded: final exclude;
- reports sought: final title/abstract include or maybe; not retrieved: their document is marked
  not retrieved; assessed: the others with a final full-text include or exclude (a full-text
  maybe or conflict is still awaiting its decision); excluded: final full-text exclude, per
  reason (the latest current exclude decision's reason); included: final full-text include.

While screening is under way the arithmetic checks say how far each box is from complete; the
`Backlog` says what is waiting. Final decisions come from `screening.final_decisions` and every
read of decisions goes through the blinding seam.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select

from realist.db.models import Document, ImportBatch, Record, ScreeningDecision
from realist.domain import Decision, Retrieval, SourceKind, Stage
from realist.prisma import OtherMethods, PrismaCounts
from realist.services import visibility
from realist.services.context import Workspace
from realist.services.screening import (
    CONFLICT,
    KEPT_AT_TITLE_ABSTRACT,
    final_decisions,
    reason_infos,
)

NO_BATCH = "(no import batch)"


@dataclass(frozen=True)
class Backlog:
    """What is still waiting, per stage (both columns together)."""

    awaiting_screening: int = 0  # not decided at title/abstract
    awaiting_resolution_title_abstract: int = 0  # conflicting title/abstract decisions
    awaiting_full_text: int = 0  # sought, not marked not retrieved, no final full-text decision
    awaiting_resolution_full_text: int = 0  # full-text conflict or maybe
    documents_outside_flow: int = 0  # documents with no record (e.g. added from YAML)

    def to_dict(self) -> dict[str, int]:
        return {
            "awaiting_screening": self.awaiting_screening,
            "awaiting_resolution_title_abstract": self.awaiting_resolution_title_abstract,
            "awaiting_full_text": self.awaiting_full_text,
            "awaiting_resolution_full_text": self.awaiting_resolution_full_text,
            "documents_outside_flow": self.documents_outside_flow,
        }


@dataclass(frozen=True)
class PrismaReport:
    counts: PrismaCounts
    backlog: Backlog = field(default_factory=Backlog)

    def to_dict(self) -> dict[str, Any]:
        """The counts (with `problems`) and the backlog, JSON-ready."""
        return {**self.counts.to_dict(), "backlog": self.backlog.to_dict()}

    def to_markdown(self) -> str:
        lines = [self.counts.to_markdown().rstrip("\n"), "", "### Still waiting", ""]
        lines += [f"- {k.replace('_', ' ')}: {v:,}" for k, v in self.backlog.to_dict().items()]
        return "\n".join(lines) + "\n"


def prisma_counts(ws: Workspace) -> PrismaCounts:
    """PRISMA 2020 counts for the review, from the records, decisions and documents now."""
    return prisma_report(ws).counts


@dataclass
class _Column:
    sought: int = 0
    not_retrieved: int = 0
    assessed: int = 0
    excluded: int = 0
    included: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def prisma_report(ws: Workspace) -> PrismaReport:
    """PRISMA counts and the backlog behind them."""
    rid = ws.review_id
    is_other = case((ImportBatch.source_kind == SourceKind.OTHER.value, True), else_=False)
    with ws.store.read() as s:
        databases: dict[str, int] = {}
        registers: dict[str, int] = {}
        others: dict[str, int] = {}
        label = func.coalesce(ImportBatch.source_db, ImportBatch.file_name)
        for kind, name, n in s.execute(
            select(ImportBatch.source_kind, label, func.count(Record.id))
            .select_from(Record)
            .outerjoin(ImportBatch, ImportBatch.id == Record.batch_id)
            .where(Record.review_id == rid)
            .group_by(ImportBatch.source_kind, label)
            .order_by(func.min(Record.id))
        ):
            target = {SourceKind.REGISTER.value: registers, SourceKind.OTHER.value: others}.get(
                kind, databases
            )
            key = name or NO_BATCH
            target[key] = target.get(key, 0) + int(n)
        duplicates = int(
            s.scalar(
                select(func.count())
                .select_from(Record)
                .outerjoin(ImportBatch, ImportBatch.id == Record.batch_id)
                .where(Record.review_id == rid, Record.duplicate_of_id.is_not(None), ~is_other)
            )
            or 0
        )
        kept = (
            select(Record.id.label("id"), is_other.label("other"))
            .outerjoin(ImportBatch, ImportBatch.id == Record.batch_id)
            .where(Record.review_id == rid, Record.duplicate_of_id.is_(None))
            .subquery()
        )
        fta = final_decisions(s, ws, Stage.TITLE_ABSTRACT)
        ta: Counter[tuple[bool, str | None]] = Counter()
        for other, decision, n in s.execute(
            select(kept.c.other, fta.c.decision, func.count())
            .select_from(kept)
            .outerjoin(fta, fta.c.record_id == kept.c.id)
            .group_by(kept.c.other, fta.c.decision)
        ):
            ta[(bool(other), decision)] += int(n)
        sought = (
            select(kept.c.id, kept.c.other)
            .join(fta, fta.c.record_id == kept.c.id)
            .where(fta.c.decision.in_(KEPT_AT_TITLE_ABSTRACT))
            .subquery()
        )
        fft = final_decisions(s, ws, Stage.FULL_TEXT, select(sought.c.id))
        flow = s.execute(
            select(sought.c.id, sought.c.other, Document.retrieval, fft.c.decision)
            .select_from(sought)
            .outerjoin(Document, Document.record_id == sought.c.id)
            .outerjoin(fft, fft.c.record_id == sought.c.id)
        ).all()
        d = ScreeningDecision
        reason_of: dict[int, str] = {}
        for rec, code in s.execute(
            select(d.record_id, d.reason_code)
            .where(
                d.review_id == rid,
                d.stage == Stage.FULL_TEXT.value,
                d.is_current,
                d.decision == Decision.EXCLUDE.value,
                d.reason_code.is_not(None),
                visibility.decision_visibility(s, ws, d),
            )
            .order_by(d.id)
        ):
            if code is not None:
                reason_of[rec] = code  # the latest one wins
        reasons = reason_infos(s, rid)
        outside = int(
            s.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.review_id == rid, Document.record_id.is_(None))
            )
            or 0
        )
    labels = {r.code: r.label for r in reasons}
    order = {r.label: i for i, r in enumerate(reasons)}
    columns = {False: _Column(), True: _Column()}
    awaiting_ft = awaiting_ft_resolution = 0
    for rec, other, retrieval, decision in flow:
        col = columns[bool(other)]
        col.sought += 1
        if retrieval == Retrieval.NOT_RETRIEVED.value:
            col.not_retrieved += 1
        elif decision in (Decision.INCLUDE.value, Decision.EXCLUDE.value):
            col.assessed += 1
            if decision == Decision.EXCLUDE.value:
                col.excluded += 1
                code = reason_of.get(rec)
                if code is not None:
                    col.reasons[labels.get(code, code)] += 1
            else:
                col.included += 1
        elif decision in (CONFLICT, Decision.MAYBE.value):
            awaiting_ft_resolution += 1
        else:
            awaiting_ft += 1
    main, oth = columns[False], columns[True]

    def ordered(c: Counter[str]) -> dict[str, int]:
        return dict(sorted(c.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))

    screened = sum(n for (o, dec), n in ta.items() if not o and dec not in (None, CONFLICT))
    other_methods = None
    if others:
        other_methods = OtherMethods(
            sources=others,
            reports_sought=oth.sought,
            reports_not_retrieved=oth.not_retrieved,
            reports_assessed=oth.assessed,
            reports_excluded=oth.excluded,
            exclusion_reasons=ordered(oth.reasons),
        )
    counts = PrismaCounts(
        databases=databases,
        registers=registers,
        duplicates_removed=duplicates,
        records_screened=screened,
        records_excluded=ta[(False, Decision.EXCLUDE.value)],
        reports_sought=main.sought,
        reports_not_retrieved=main.not_retrieved,
        reports_assessed=main.assessed,
        reports_excluded=main.excluded,
        exclusion_reasons=ordered(main.reasons),
        studies_included=main.included + oth.included,
        other_methods=other_methods,
    )
    by_decision: defaultdict[str | None, int] = defaultdict(int)
    for (_, dec), n in ta.items():
        by_decision[dec] += n
    backlog = Backlog(
        awaiting_screening=by_decision[None],
        awaiting_resolution_title_abstract=by_decision[CONFLICT],
        awaiting_full_text=awaiting_ft,
        awaiting_resolution_full_text=awaiting_ft_resolution,
        documents_outside_flow=outside,
    )
    return PrismaReport(counts, backlog)
