"""Counts of included documents by PROGRESS-Plus category and by gap / targeted focus.

An included document is
- a record whose final decision at the last stage it reached is include: its final full-text
  decision when it has one, otherwise its final title/abstract decision (a record kept at
  title/abstract and not yet decided at full text counts, and is reported as `provisional`,
  unless its report is marked not retrieved);
  its tags are the union of the current tags put on it by the reviewer(s) whose decision stands
  (those whose current decision at that stage is include; when a resolution stands that no
  reviewer's decision matches, every reviewer who decided it and the person who resolved it),
  together with the PROGRESS-Plus codes and focus of the document standing for it, if any;
- a document with no record (e.g. the bundled studies): its `progress_plus` codes and `focus`.

Final decisions come from `screening.final_decisions`; tags are read through the blinding seam.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from realist.db.models import Document, RecordTag, Resolution, ScreeningDecision, TagDef
from realist.domain import Decision, Retrieval, Stage, TagGroup
from realist.services import visibility
from realist.services.context import Workspace
from realist.services.screening import TagInfo, eligible_records, final_decisions, tag_infos


@dataclass(frozen=True)
class TagCount:
    code: str
    label: str
    group: str
    documents: int


@dataclass(frozen=True)
class TagSummary:
    """Included documents and how many carry each tag."""

    documents: int  # included documents in all
    from_records: int  # ... that are screened records
    from_documents: int  # ... that are documents with no record
    provisional: int  # records included at title/abstract, no full-text decision yet
    tags: tuple[TagCount, ...] = field(default_factory=tuple)  # every tag of the review, in order
    plus_any: int = 0  # documents with at least one 'Plus' category
    progress_any: int = 0  # documents with at least one PROGRESS (or Plus) category
    no_focus: int = 0  # documents tagged neither gap nor targeted

    def by_group(self, group: str) -> list[TagCount]:
        """The counts of one tag group (progress, plus, focus, custom), in the review's order."""
        return [t for t in self.tags if t.group == group]

    def to_dict(self) -> dict[str, Any]:
        def counts(group: str) -> dict[str, int]:
            return {t.label: t.documents for t in self.by_group(group)}

        return {
            "documents": self.documents,
            "from_records": self.from_records,
            "from_documents": self.from_documents,
            "provisional": self.provisional,
            "progress": counts(TagGroup.PROGRESS.value),
            "plus": counts(TagGroup.PLUS.value),
            "plus_any": self.plus_any,
            "progress_plus_any": self.progress_any,
            "focus": {**counts(TagGroup.FOCUS.value), "neither": self.no_focus},
            "custom": counts(TagGroup.CUSTOM.value),
            "by_code": {t.code: t.documents for t in self.tags},
        }

    def to_markdown(self) -> str:
        n = self.documents
        lines = [
            "## Included documents by PROGRESS-Plus and focus",
            "",
            f"{n:,} included documents ({self.from_records:,} screened records, "
            f"{self.from_documents:,} documents without a record"
            + (
                f"; {self.provisional:,} included at title/abstract only"
                if self.provisional
                else ""
            )
            + ").",
            "",
            "| Category | Documents | % |",
            "|---|---:|---:|",
        ]

        def row(label: str, count: int, indent: bool = False) -> str:
            pct = f"{100 * count / n:.0f}" if n else "-"
            pad = "&nbsp;&nbsp;" if indent else ""
            return f"| {pad}{label.replace('|', '/')} | {count:,} | {pct} |"

        lines += [row(t.label, t.documents) for t in self.by_group(TagGroup.PROGRESS.value)]
        lines.append(row("Plus (any)", self.plus_any))
        lines += [row(t.label, t.documents, True) for t in self.by_group(TagGroup.PLUS.value)]
        lines += ["", "| Focus | Documents | % |", "|---|---:|---:|"]
        lines += [row(t.label, t.documents) for t in self.by_group(TagGroup.FOCUS.value)]
        lines.append(row("Neither", self.no_focus))
        custom = self.by_group(TagGroup.CUSTOM.value)
        if custom:
            lines += ["", "| Label | Documents | % |", "|---|---:|---:|"]
            lines += [row(t.label, t.documents) for t in custom]
        return "\n".join(lines) + "\n"


def included_tag_sets(ws: Workspace) -> tuple[list[set[str]], int, int]:
    """The tag codes of each included document; also (provisional, from_records) counts."""
    with ws.store.read() as s:
        eligible_ft = eligible_records(s, ws, Stage.FULL_TEXT).scalar_subquery()
        fta = final_decisions(
            s, ws, Stage.TITLE_ABSTRACT, eligible_records(s, ws, Stage.TITLE_ABSTRACT)
        )
        fft = final_decisions(s, ws, Stage.FULL_TEXT)
        ta = dict(s.execute(select(fta.c.record_id, fta.c.decision)).all())
        ft = dict(
            s.execute(
                select(fft.c.record_id, fft.c.decision).where(fft.c.record_id.in_(eligible_ft))
            ).all()
        )
        not_retrieved = set(
            s.scalars(
                select(Document.record_id).where(
                    Document.review_id == ws.review_id,
                    Document.record_id.is_not(None),
                    Document.retrieval == Retrieval.NOT_RETRIEVED.value,
                )
            )
        )
        included: dict[int, str] = {}  # record -> stage its inclusion stands at
        provisional = 0
        for rec, dec in ta.items():
            if rec in ft:
                if ft[rec] == Decision.INCLUDE.value:
                    included[rec] = Stage.FULL_TEXT.value
            elif dec == Decision.INCLUDE.value and rec not in not_retrieved:
                included[rec] = Stage.TITLE_ABSTRACT.value
                provisional += 1
        standing = _standing_reviewers(s, ws, included)
        tags: dict[int, set[str]] = defaultdict(set)
        t = RecordTag
        ids = list(included)
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            for rec, who, code in s.execute(
                select(t.record_id, t.reviewer_id, TagDef.code)
                .join(TagDef, TagDef.id == t.tag_id)
                .where(
                    t.record_id.in_(chunk), t.is_current, visibility.decision_visibility(s, ws, t)
                )
            ):
                if who in standing.get(rec, ()):
                    tags[rec].add(code)
        docs = s.execute(
            select(Document.record_id, Document.progress_plus, Document.focus).where(
                Document.review_id == ws.review_id
            )
        ).all()
    sets: list[set[str]] = []
    linked: dict[int, set[str]] = {}
    for record_id, codes, focus in docs:
        own = {str(c) for c in codes or ()} | ({focus} if focus else set())
        if record_id is None:
            sets.append(own)
        else:
            linked[record_id] = own
    for rec in included:
        sets.append(tags.get(rec, set()) | linked.get(rec, set()))
    return sets, provisional, len(included)


def _standing_reviewers(s: Session, ws: Workspace, included: dict[int, str]) -> dict[int, set[int]]:
    """Per included record, the reviewers whose decision stands at the stage it stands at."""
    d = ScreeningDecision
    decided: dict[int, dict[int, str]] = defaultdict(dict)
    ids = list(included)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for rec, who, stage, dec in s.execute(
            select(d.record_id, d.reviewer_id, d.stage, d.decision).where(
                d.record_id.in_(chunk), d.is_current, visibility.decision_visibility(s, ws, d)
            )
        ):
            if included[rec] == stage:
                decided[rec][who] = dec
    out: dict[int, set[int]] = {}
    need_resolver: list[int] = []
    for rec in included:
        agree = {who for who, dec in decided[rec].items() if dec == Decision.INCLUDE.value}
        out[rec] = agree or set(decided[rec])
        if not agree:
            need_resolver.append(rec)
    if need_resolver:
        r = Resolution
        for rec, at_stage, resolver in s.execute(
            select(r.record_id, r.stage, r.decided_by_id)
            .where(r.record_id.in_(need_resolver), visibility.decision_visibility(s, ws, r))
            .order_by(r.decided_at, r.id)
        ):
            if at_stage == included[rec] and resolver is not None:
                out[rec].add(resolver)
    return out


def tag_summary(ws: Workspace) -> TagSummary:
    """Included documents counted by each tag of the review (PROGRESS, Plus, focus, custom)."""
    sets, provisional, from_records = included_tag_sets(ws)
    with ws.store.read() as s:
        defs: list[TagInfo] = tag_infos(s, ws)
    counts: Counter[str] = Counter()
    for codes in sets:
        counts.update(codes)
    groups = {t.code: t.group for t in defs}
    plus = {c for c, g in groups.items() if g == TagGroup.PLUS.value}
    progress = plus | {c for c, g in groups.items() if g == TagGroup.PROGRESS.value}
    focus = {c for c, g in groups.items() if g == TagGroup.FOCUS.value}
    return TagSummary(
        documents=len(sets),
        from_records=from_records,
        from_documents=len(sets) - from_records,
        provisional=provisional,
        tags=tuple(TagCount(t.code, t.label, t.group, counts.get(t.code, 0)) for t in defs),
        plus_any=sum(1 for c in sets if c & plus),
        progress_any=sum(1 for c in sets if c & progress),
        no_focus=sum(1 for c in sets if not c & focus),
    )
