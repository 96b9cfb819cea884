"""The agreement report of two reviewers at one stage, from the database.

What is compared (`select_comparison`): the records of a drawn sample (the latest one of the two
reviewers at that stage, or one named by id), or, when the two have no sample, every record both
decided at that stage. A sample must have its comparison open (`samples.open_comparison`);
until then everyone is refused, and the second reviewer could not read the first reviewer's
decisions anyway (`realist.services.visibility`).

For a sample, each reviewer's decision and tags are taken as they stood when the comparison was
opened: what a reviewer changes after seeing the other's work does not move the figures. The
statistics are `realist.agreement`'s pure functions; categories are include and exclude, plus
maybe when either reviewer used it. Per tag: for the records both reviewers included, whether
each put the tag on (each PROGRESS and Plus category), and the focus (gap / targeted / neither).

Exports: Markdown and JSON (`realist.agreement.report`), CSV (one row per scope and statistic)
and XLSX (a summary sheet, the disagreements, the per-tag sheet, warnings and the sample); text
cells that a spreadsheet would run as a formula (= + - @) are escaped with a leading apostrophe.
Every format carries the resolution of the disagreements (`realist.services.resolution`): how
many are resolved and unresolved, the final decisions by kind, and per disagreement both
reviewers' decisions, the final decision, its rationale, who resolved it and when.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from realist.agreement import (
    AgreementReport,
    agreement_report,
    agreement_table,
    render_markdown,
    report_to_dict,
)
from realist.db.models import Record, RecordTag, Reviewer, Sample, ScreeningDecision, TagDef, as_utc
from realist.domain import Decision, Stage, TagGroup
from realist.errors import BlindedError, InvalidInputError, NotFoundError
from realist.services import visibility
from realist.services.context import Workspace
from realist.services.samples import SampleInfo, find_sample, sample_info, sample_record_ids
from realist.services.screening import parse_stage, reason_infos

if TYPE_CHECKING:  # resolution imports this module; at run time it is imported where used
    from realist.services.resolution import DisagreementList, ResolutionSummary

TAGGED: Final = "tagged"
NOT_TAGGED: Final = "not tagged"
NEITHER: Final = "neither"
FORMATS: Final = ("json", "md", "csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------------------------
# What is compared


@dataclass(frozen=True)
class Comparison:
    """Two reviewers at one stage: A (table rows) and B (columns), over a sample or not."""

    first: str
    second: str
    first_id: int
    second_id: int
    stage: str
    sample_id: int | None = None
    as_of: datetime | None = None  # decisions as they stood when the comparison was opened
    record_ids: tuple[int, ...] | None = None  # the sample's records; None: all both decided

    @property
    def scope(self) -> str:
        """'sample 3' or 'every record both decided'."""
        return (
            f"sample {self.sample_id}"
            if self.sample_id is not None
            else "every record both decided"
        )


def blind_message(s: Session, sample: Sample) -> str:
    """Why a blind sample's comparison is not available yet, and how it opens."""
    names = dict(s.execute(select(Reviewer.id, Reviewer.name)).all())
    label = Stage(sample.stage).label
    return (
        f"sample {sample.id} ({names.get(sample.first_reviewer_id)} / "
        f"{names.get(sample.second_reviewer_id)}, {label}) is still blind: "
        f"{names.get(sample.second_reviewer_id)} screens it without seeing "
        f"{names.get(sample.first_reviewer_id)}'s decisions. Its comparison opens when both "
        f"have decided all {sample.size} records and a lead runs `realist comparison open "
        f"--sample {sample.id}` (or presses o on the agreement screen)"
    )


def _reviewer_id(s: Session, name: str) -> int:
    rid = s.scalar(select(Reviewer.id).where(Reviewer.name == name))
    if rid is None:
        known = ", ".join(s.scalars(select(Reviewer.name).order_by(Reviewer.name))) or "none"
        raise NotFoundError(f"unknown reviewer {name!r} (reviewers: {known})")
    return int(rid)


def _check_not_blinded(s: Session, ws: Workspace, cmp: Comparison) -> None:
    for who, rid in ((cmp.first, cmp.first_id), (cmp.second, cmp.second_id)):
        if visibility.hides(s, ws, rid, cmp.stage):
            blind = next(b for b in visibility.blinds(s, ws) if b.first_reviewer_id == rid)
            sample = s.get(Sample, blind.sample_id)
            assert sample is not None
            raise BlindedError(
                f"you may not see {who}'s decisions at the {Stage(cmp.stage).label} stage "
                f"yet: {blind_message(s, sample)}"
            )


def _from_sample(
    s: Session, sample: Sample, reviewers: Sequence[str], names: dict[int, str]
) -> Comparison:
    a, b = sample.first_reviewer_id, sample.second_reviewer_id
    if reviewers:
        ids = [_reviewer_id(s, n) for n in reviewers]
        if set(ids) != {a, b}:
            raise InvalidInputError(
                f"sample {sample.id} compares {names[a]} and {names[b]}, not "
                f"{' and '.join(reviewers)}"
            )
        a, b = ids[0], ids[1]
    if sample.comparison_opened_at is None:
        raise BlindedError(blind_message(s, sample))
    return Comparison(
        first=names[a],
        second=names[b],
        first_id=a,
        second_id=b,
        stage=sample.stage,
        sample_id=sample.id,
        as_of=as_utc(sample.comparison_opened_at),
        record_ids=tuple(sample_record_ids(s, sample.id)),
    )


def select_comparison(
    s: Session,
    ws: Workspace,
    *,
    reviewers: Sequence[str] = (),
    stage: Stage | str | None = None,
    sample_id: int | None = None,
) -> Comparison:
    """Which two reviewers, stage and records a report, a disagreement list or a resolution is
    about.

    `sample_id` names a sample. Otherwise, with two `reviewers` (A first: A is the table's
    rows), their latest sample at `stage` (default title/abstract), or every record both decided
    when they have none. With neither, the latest sample whose comparison is open. A blind
    sample is refused (`BlindedError`, saying how it opens); so is any comparison involving a
    reviewer whose work the acting reviewer may not see.
    """
    names: dict[int, str] = {
        int(i): str(n) for i, n in s.execute(select(Reviewer.id, Reviewer.name))
    }
    reviewers = list(reviewers)
    if reviewers and len(reviewers) != 2:
        raise InvalidInputError(
            f"name two reviewers to compare (--reviewer A --reviewer B), not {len(reviewers)}"
        )
    if len(reviewers) == 2 and reviewers[0] == reviewers[1]:
        raise InvalidInputError(
            f"compare two different reviewers, not {reviewers[0]} with themselves"
        )
    if sample_id is not None:
        sample = find_sample(s, ws, sample_id)
        if stage is not None and parse_stage(stage).value != sample.stage:
            raise InvalidInputError(
                f"sample {sample.id} is at the {Stage(sample.stage).label} stage, not "
                f"{parse_stage(stage).label}"
            )
        cmp = _from_sample(s, sample, reviewers, names)
    elif reviewers:
        st = parse_stage(stage or Stage.TITLE_ABSTRACT)
        a, b = _reviewer_id(s, reviewers[0]), _reviewer_id(s, reviewers[1])
        samples = s.scalars(
            select(Sample)
            .where(
                Sample.review_id == ws.review_id,
                Sample.stage == st.value,
                Sample.first_reviewer_id.in_((a, b)),
                Sample.second_reviewer_id.in_((a, b)),
            )
            .order_by(Sample.id.desc())
        ).all()
        blind = next((x for x in samples if x.comparison_opened_at is None), None)
        if blind is not None:
            raise BlindedError(blind_message(s, blind))
        if samples:
            cmp = _from_sample(s, samples[0], reviewers, names)
        else:
            cmp = Comparison(reviewers[0], reviewers[1], a, b, st.value)
    else:
        q = select(Sample).where(
            Sample.review_id == ws.review_id, Sample.comparison_opened_at.is_not(None)
        )
        if stage is not None:
            q = q.where(Sample.stage == parse_stage(stage).value)
        latest = s.scalars(q.order_by(Sample.comparison_opened_at.desc(), Sample.id.desc())).first()
        if latest is None:
            raise InvalidInputError(
                "no sample has its comparison open yet; name a sample with --sample ID, or two "
                "reviewers with --reviewer A --reviewer B (see `realist comparison status`)"
            )
        cmp = _from_sample(s, latest, (), names)
    _check_not_blinded(s, ws, cmp)
    return cmp


# --------------------------------------------------------------------------------------------
# Both reviewers' work on the compared records


@dataclass(frozen=True)
class Side:
    """One reviewer's decision on a record (and the tags they put on it)."""

    reviewer: str
    decision: str
    reason: str | None
    reason_label: str | None
    note: str | None
    source: str
    at: datetime
    tags: tuple[str, ...] = ()  # tag codes, in the review's order


def _stood_at(created: datetime, ended: datetime | None, at: datetime) -> bool:
    return as_utc(created) <= at and (ended is None or as_utc(ended) > at)


def _decisions(
    s: Session, ws: Workspace, cmp: Comparison, reviewer_id: int
) -> dict[int, ScreeningDecision]:
    d = ScreeningDecision
    stmt = select(d).where(
        d.review_id == ws.review_id,
        d.reviewer_id == reviewer_id,
        d.stage == cmp.stage,
        visibility.decision_visibility(s, ws, d),
    )
    if cmp.record_ids is not None:
        stmt = stmt.where(d.record_id.in_(cmp.record_ids))
    else:
        stmt = stmt.join(Record, Record.id == d.record_id).where(Record.duplicate_of_id.is_(None))
    if cmp.as_of is None:
        return {row.record_id: row for row in s.scalars(stmt.where(d.is_current))}
    out: dict[int, ScreeningDecision] = {}
    for row in s.scalars(stmt.order_by(d.id)):
        if _stood_at(row.created_at, row.retracted_at, cmp.as_of):
            out[row.record_id] = row  # the latest one standing at that moment
    return out


def _tags(
    s: Session, ws: Workspace, cmp: Comparison, reviewer_id: int, record_ids: Iterable[int]
) -> dict[int, set[str]]:
    t = RecordTag
    ids = list(record_ids)
    out: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(ids), 5000):
        stmt = (
            select(t.record_id, TagDef.code, t.created_at, t.removed_at, t.is_current)
            .join(TagDef, TagDef.id == t.tag_id)
            .where(
                t.reviewer_id == reviewer_id,
                t.record_id.in_(ids[start : start + 5000]),
                visibility.decision_visibility(s, ws, t),
            )
        )
        for rec, code, created, removed, current in s.execute(stmt):
            keep = current if cmp.as_of is None else _stood_at(created, removed, cmp.as_of)
            if keep:
                out[int(rec)].add(str(code))
    return out


def compared_work(s: Session, ws: Workspace, cmp: Comparison) -> dict[int, tuple[Side, Side]]:
    """Per record both reviewers decided (within the comparison): A's side and B's side."""
    first = _decisions(s, ws, cmp, cmp.first_id)
    second = _decisions(s, ws, cmp, cmp.second_id)
    both = sorted(set(first) & set(second))
    order = {
        code: i
        for i, code in enumerate(
            s.scalars(
                select(TagDef.code)
                .where(TagDef.review_id == ws.review_id)
                .order_by(TagDef.position, TagDef.id)
            )
        )
    }
    tags_a = _tags(s, ws, cmp, cmp.first_id, both)
    tags_b = _tags(s, ws, cmp, cmp.second_id, both)
    labels = {r.code: r.label for r in reason_infos(s, ws.review_id)}

    def side(name: str, row: ScreeningDecision, tags: set[str]) -> Side:
        return Side(
            reviewer=name,
            decision=row.decision,
            reason=row.reason_code,
            reason_label=labels.get(row.reason_code, row.reason_code) if row.reason_code else None,
            note=row.note,
            source=row.source,
            at=as_utc(row.created_at),
            tags=tuple(sorted(tags, key=lambda c: (order.get(c, len(order)), c))),
        )

    return {
        rec: (
            side(cmp.first, first[rec], tags_a.get(rec, set())),
            side(cmp.second, second[rec], tags_b.get(rec, set())),
        )
        for rec in both
    }


# --------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class AgreementResult:
    """The agreement report of one comparison, with its per-tag reports and how it was drawn."""

    comparison: Comparison
    report: AgreementReport
    per_tag: dict[str, AgreementReport]
    record_ids: tuple[int, ...]  # the records compared (both decided)
    disagreements: tuple[int, ...]  # records whose decisions differ
    both_included: int  # records the per-tag reports are about
    sample: SampleInfo | None = None
    per_tag_codes: dict[str, str] = field(default_factory=dict)  # per_tag key -> tag code(s)
    # the disagreements with their resolution (None only for a result built by hand)
    resolution: DisagreementList | None = None

    @property
    def reviewers(self) -> tuple[str, str]:
        """(reviewer A, reviewer B)."""
        return (self.comparison.first, self.comparison.second)

    def resolution_summary(self) -> ResolutionSummary | None:
        """Disagreements, resolved, unresolved and the final decisions by kind."""
        return self.resolution.summary() if self.resolution is not None else None

    def resolution_records(self) -> list[dict[str, Any]]:
        """One dict per disagreement, by record id: `record_id`, `source_id`, `title`,
        `a_decision`, `b_decision`, and, when resolved, `final_decision`, `rationale`,
        `resolved_by` and `resolved_at` (a UTC datetime; all None while unresolved)."""
        if self.resolution is None:
            return []
        out = []
        for item in self.resolution.differing:
            res = item.resolution
            out.append(
                {
                    "record_id": item.record_id,
                    "source_id": item.source_id,
                    "title": item.title,
                    "a_decision": item.a.decision,
                    "b_decision": item.b.decision,
                    "final_decision": res.decision if res else None,
                    "rationale": res.rationale if res else None,
                    "resolved_by": res.decided_by if res else None,
                    "resolved_at": res.decided_at if res else None,
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict: the keys of `realist.agreement.report` plus
        `sample_id`, `scope`, `as_of`, `disagreements` (record ids), `per_tag_basis` and
        `resolution` (the summary of `ResolutionSummary.to_dict` and `records`, one per
        disagreement as in `resolution_records`, times in ISO 8601)."""
        out = report_to_dict(
            self.report,
            per_tag=self.per_tag,
            reviewers=self.reviewers,
            stage=self.comparison.stage,
            sample=self.sample.draw() if self.sample is not None else None,
        )
        out["sample_id"] = self.comparison.sample_id
        out["scope"] = self.comparison.scope
        out["as_of"] = self.comparison.as_of.isoformat() if self.comparison.as_of else None
        out["disagreements"] = list(self.disagreements)
        out["per_tag_basis"] = {
            "records": self.both_included,
            "description": "records both reviewers included; 'tagged' = the reviewer put the "
            "tag on the record; focus: which focus tags each reviewer set",
            "tags": dict(self.per_tag_codes),
        }
        summary = self.resolution_summary()
        if summary is not None:
            records = [
                {
                    **row,
                    "resolved_at": row["resolved_at"].isoformat() if row["resolved_at"] else None,
                }
                for row in self.resolution_records()
            ]
            out["resolution"] = {**summary.to_dict(), "records": records}
        return out

    def to_json(self) -> str:
        """Indented JSON (never NaN)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def to_markdown(self) -> str:
        """Markdown for a methods section (the CI method named)."""
        stage = Stage(self.comparison.stage).label
        text = render_markdown(
            self.report,
            per_tag=self.per_tag,
            reviewers=self.reviewers,
            stage=stage,
            sample=self.sample.draw() if self.sample is not None else None,
        )
        notes = []
        if self.comparison.as_of is not None:
            notes.append(
                f"Decisions as they stood when the comparison of sample "
                f"{self.comparison.sample_id} was opened ({self.comparison.as_of:%Y-%m-%d %H:%M} "
                "UTC)."
            )
        else:
            notes.append("Records: every record both reviewers decided at this stage.")
        notes.append(f"Disagreements: {len(self.disagreements)}.")
        if self.per_tag:
            notes.append(
                f"Per-tag agreement is over the {self.both_included} records both reviewers "
                "included."
            )
        return text + "\n" + " ".join(notes) + "\n" + self._resolution_markdown()

    def _resolution_markdown(self) -> str:
        summary = self.resolution_summary()
        if summary is None:
            return ""
        lines = ["", "### Resolution of disagreements", ""]
        if not summary.disagreements:
            return "\n".join([*lines, "No disagreements to resolve."]) + "\n"
        lines.append(
            f"Disagreements: {summary.disagreements}; {summary.describe()}; "
            f"{summary.unresolved} unresolved."
        )
        a, b = (_md(x) for x in self.reviewers)
        lines += [
            "",
            f"| Record | Source id | Title | A ({a}) | B ({b}) | Final decision | Rationale "
            "| Resolved by | Resolved at |",
            "|---:|---|---|---|---|---|---|---|---|",
        ]
        for row in self.resolution_records():
            when = row["resolved_at"]
            cells = [
                f"#{row['record_id']}",
                row["source_id"] or "",
                row["title"] or "",
                row["a_decision"],
                row["b_decision"],
                row["final_decision"] or "unresolved",
                row["rationale"] or "",
                row["resolved_by"] or "",
                f"{when:%Y-%m-%d %H:%M} UTC" if when else "",
            ]
            lines.append("| " + " | ".join(_md(str(c)) for c in cells) + " |")
        return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Keep user text (titles, rationales, names) from breaking a Markdown table."""
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _categories(pairs: Iterable[tuple[str, str]]) -> list[str]:
    cats = [Decision.INCLUDE.value, Decision.EXCLUDE.value]
    if any(Decision.MAYBE.value in p for p in pairs):
        cats.append(Decision.MAYBE.value)
    return cats


def _per_tag(
    s: Session, ws: Workspace, work: dict[int, tuple[Side, Side]]
) -> tuple[dict[str, AgreementReport], dict[str, str], int]:
    both = [(a, b) for a, b in work.values() if a.decision == b.decision == Decision.INCLUDE.value]
    tags = s.execute(
        select(TagDef.code, TagDef.label, TagDef.group)
        .where(TagDef.review_id == ws.review_id)
        .order_by(TagDef.position, TagDef.id)
    ).all()
    out: dict[str, AgreementReport] = {}
    codes: dict[str, str] = {}
    cats = [TAGGED, NOT_TAGGED]
    for code, label, group in tags:
        if group not in (TagGroup.PROGRESS.value, TagGroup.PLUS.value):
            continue
        pairs = [
            (TAGGED if code in a.tags else NOT_TAGGED, TAGGED if code in b.tags else NOT_TAGGED)
            for a, b in both
        ]
        out[label] = agreement_report(
            agreement_table(pairs, cats), cats, positive=TAGGED, negative=NOT_TAGGED
        )
        codes[label] = code
    focus = [(code, label) for code, label, group in tags if group == TagGroup.FOCUS.value]
    if focus:
        names = dict(focus)

        def value(side: Side) -> str:
            on = [names[c] for c, _ in focus if c in side.tags]
            return "+".join(on) if on else NEITHER

        pairs = [(value(a), value(b)) for a, b in both]
        fcats = [label for _, label in focus] + [NEITHER]
        fcats += sorted({v for p in pairs for v in p} - set(fcats))
        key = "/".join(label for _, label in focus)
        out[key] = agreement_report(
            agreement_table(pairs, fcats), fcats, positive=fcats[0], negative=NEITHER
        )
        codes[key] = "/".join(code for code, _ in focus)
    return out, codes, len(both)


def agreement(
    ws: Workspace,
    *,
    reviewers: Sequence[str] = (),
    stage: Stage | str | None = None,
    sample_id: int | None = None,
) -> AgreementResult:
    """The agreement report of two reviewers at a stage (see `select_comparison` for which
    records): the table, kappa with its SE and 95% CI (Fleiss, Cohen & Everitt 1969), PABAK,
    AC1, specific agreement, the Landis & Koch band, warnings, per-tag agreement, and the
    disagreements with their resolution (`resolution.disagreement_list`, read through the same
    visibility rule as everything else)."""
    with ws.store.read() as s:
        cmp = select_comparison(s, ws, reviewers=reviewers, stage=stage, sample_id=sample_id)
        work = compared_work(s, ws, cmp)
        pairs = [(a.decision, b.decision) for a, b in work.values()]
        cats = _categories(pairs)
        report = agreement_report(agreement_table(pairs, cats), cats)
        per_tag, codes, both = _per_tag(s, ws, work)
        # imported here: the resolution service imports this module
        from realist.services.resolution import disagreement_list

        found = disagreement_list(s, ws, cmp, work=work)
        info = (
            sample_info(s, ws, find_sample(s, ws, cmp.sample_id))
            if cmp.sample_id is not None
            else None
        )
        return AgreementResult(
            comparison=cmp,
            report=report,
            per_tag=per_tag,
            record_ids=tuple(work),
            disagreements=tuple(r for r, (a, b) in work.items() if a.decision != b.decision),
            both_included=both,
            sample=info,
            per_tag_codes=codes,
            resolution=found,
        )


# --------------------------------------------------------------------------------------------
# Exports


def safe_cell(value: object) -> object:
    """A spreadsheet cell that will not run as a formula: text starting with = + - @ (or a tab
    or carriage return) gets a leading apostrophe; numbers are left alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


_STATS: Final = (
    ("n", "n"),
    ("percent_agreement", "percent_agreement"),
    ("expected_agreement", "expected_agreement"),
    ("kappa", "kappa"),
    ("kappa_se", "kappa_se"),
    ("kappa_ci_low", "kappa_ci_low"),
    ("kappa_ci_high", "kappa_ci_high"),
    ("pabak", "pabak"),
    ("ac1", "ac1"),
    ("positive_agreement", "positive_agreement"),
    ("negative_agreement", "negative_agreement"),
    ("band", "band"),
    ("prevalence_index", "prevalence_index"),
    ("bias_index", "bias_index"),
)


def _stat_rows(scope: str, r: AgreementReport) -> list[tuple[str, str, object]]:
    rows: list[tuple[str, str, object]] = [(scope, "categories", ", ".join(r.categories))]
    for i, row_cat in enumerate(r.categories):
        for j, col_cat in enumerate(r.categories):
            rows.append((scope, f"A {row_cat} / B {col_cat}", r.table[i][j]))
    rows += [(scope, label, getattr(r, attr)) for label, attr in _STATS]
    rows.append((scope, "ci_method", r.ci_method))
    rows += [(scope, "warning", w) for w in r.warnings]
    return rows


def report_rows(result: AgreementResult) -> list[tuple[str, str, object]]:
    """The whole report as (scope, statistic, value) rows: the CSV export, one row each."""
    cmp = result.comparison
    rows: list[tuple[str, str, object]] = [
        ("comparison", "reviewer A (rows)", cmp.first),
        ("comparison", "reviewer B (columns)", cmp.second),
        ("comparison", "stage", cmp.stage),
        ("comparison", "records", cmp.scope),
        ("comparison", "as_of", cmp.as_of.isoformat() if cmp.as_of else None),
        ("comparison", "disagreements", len(result.disagreements)),
    ]
    draw = result.sample.draw() if result.sample is not None else None
    if draw is not None:
        rows += [
            ("sample", "seed", draw.seed),
            ("sample", "fraction", draw.fraction),
            ("sample", "method", draw.method),
            ("sample", "size", draw.size),
            ("sample", "population", draw.population),
            ("sample", "description", draw.describe()),
        ]
    rows += _stat_rows("screening decision", result.report)
    rows.append(("per tag", "records both included", result.both_included))
    for tag, r in result.per_tag.items():
        rows += _stat_rows(f"tag: {tag}", r)
    rows += _resolution_rows(result)
    return rows


def _resolution_rows(result: AgreementResult) -> list[tuple[str, str, object]]:
    """The resolution summary (scope `resolution`) and, like the per-tag scopes, one scope per
    disagreement (`record #ID`) with both decisions, the final one, its rationale, who and when."""
    summary = result.resolution_summary()
    if summary is None:
        return []
    rows: list[tuple[str, str, object]] = [
        ("resolution", "disagreements", summary.disagreements),
        ("resolution", "resolved", summary.resolved),
        ("resolution", "unresolved", summary.unresolved),
    ]
    rows += [("resolution", f"final {kind}", n) for kind, n in summary.final.items()]
    rows.append(("resolution", "summary", summary.describe()))
    a, b = result.reviewers
    for row in result.resolution_records():
        scope = f"record #{row['record_id']}"
        when = row["resolved_at"]
        rows += [
            (scope, "source id", row["source_id"]),
            (scope, "title", row["title"]),
            (scope, f"A decision ({a})", row["a_decision"]),
            (scope, f"B decision ({b})", row["b_decision"]),
            (scope, "final decision", row["final_decision"]),
            (scope, "rationale", row["rationale"]),
            (scope, "resolved by", row["resolved_by"]),
            (scope, "resolved at", when.isoformat() if when else None),
        ]
    return rows


def write_csv(result: AgreementResult, path: Path) -> None:
    """The report as CSV: columns scope, statistic, value."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["scope", "statistic", "value"])
        for scope, stat, value in report_rows(result):
            writer.writerow([safe_cell(scope), safe_cell(stat), safe_cell(_plain(value))])


def _plain(value: object) -> object:
    return "" if value is None else value


def write_xlsx(result: AgreementResult, path: Path) -> None:
    """The report as an XLSX workbook: Agreement (comparison, table, statistics, the resolution
    summary), Disagreements (one row per disagreement with its resolution; header frozen), Per
    tag, Warnings and Sample sheets."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    ws_main = wb.active
    ws_main.title = "Agreement"
    cmp = result.comparison
    r = result.report

    def put(sheet: Any, row: Sequence[object], strong: bool = False) -> None:
        sheet.append([safe_cell(_plain(v)) for v in row])
        if strong:
            for cell in sheet[sheet.max_row]:
                cell.font = bold

    put(ws_main, ["Dual-screening agreement"], strong=True)
    put(ws_main, ["Reviewer A (rows)", cmp.first])
    put(ws_main, ["Reviewer B (columns)", cmp.second])
    put(ws_main, ["Stage", Stage(cmp.stage).label])
    put(ws_main, ["Records", cmp.scope])
    if cmp.as_of is not None:
        put(ws_main, ["Decisions as of", cmp.as_of.strftime("%Y-%m-%d %H:%M UTC")])
    put(ws_main, [])
    put(ws_main, ["A \\ B", *r.categories, "Total"], strong=True)
    for cat, row in zip(r.categories, r.table, strict=True):
        put(ws_main, [cat, *row, sum(row)])
    q = len(r.categories)
    put(ws_main, ["Total", *(sum(r.table[i][j] for i in range(q)) for j in range(q)), r.n])
    put(ws_main, [])
    put(ws_main, ["Statistic", "Value"], strong=True)
    for label, attr in _STATS:
        put(ws_main, [label, getattr(r, attr)])
    put(ws_main, ["Confidence interval", r.ci_method])
    put(ws_main, ["Disagreements", len(result.disagreements)])
    summary = result.resolution_summary()
    if summary is not None:
        put(ws_main, ["Resolved", summary.resolved])
        put(ws_main, ["Unresolved", summary.unresolved])
        for kind, n in summary.final.items():
            put(ws_main, [f"Final {kind}", n])
        put(ws_main, ["Resolution", summary.describe()])

        dis_sheet = wb.create_sheet("Disagreements")
        put(
            dis_sheet,
            ["Record", "Source id", "Title", f"A ({cmp.first})", f"B ({cmp.second})",
             "Final decision", "Rationale", "Resolved by", "Resolved at (UTC)"],
            strong=True,
        )  # fmt: skip
        dis_sheet.freeze_panes = "A2"
        for rec in result.resolution_records():
            when = rec["resolved_at"]
            put(
                dis_sheet,
                [rec["record_id"], rec["source_id"], rec["title"], rec["a_decision"],
                 rec["b_decision"], rec["final_decision"] or "unresolved", rec["rationale"],
                 rec["resolved_by"], when.replace(tzinfo=None) if when else None],
            )  # fmt: skip
            if when:
                dis_sheet.cell(dis_sheet.max_row, 9).number_format = "yyyy-mm-dd hh:mm"

    tag_sheet = wb.create_sheet("Per tag")
    put(
        tag_sheet,
        ["Tag", "n", "percent_agreement", "kappa", "kappa_se", "kappa_ci_low", "kappa_ci_high",
         "pabak", "ac1", "positive_agreement", "negative_agreement", "band"],
        strong=True,
    )  # fmt: skip
    for tag, t in result.per_tag.items():
        put(
            tag_sheet,
            [tag, t.n, t.percent_agreement, t.kappa, t.kappa_se, t.kappa_ci_low,
             t.kappa_ci_high, t.pabak, t.ac1, t.positive_agreement, t.negative_agreement,
             t.band],
        )  # fmt: skip
    put(tag_sheet, [])
    put(tag_sheet, [f"Over the {result.both_included} records both reviewers included."])

    warn_sheet = wb.create_sheet("Warnings")
    put(warn_sheet, ["Scope", "Warning"], strong=True)
    for w in r.warnings:
        put(warn_sheet, ["screening decision", w])
    for tag, t in result.per_tag.items():
        for w in t.warnings:
            put(warn_sheet, [f"tag: {tag}", w])

    draw = result.sample.draw() if result.sample is not None else None
    if draw is not None:
        sample_sheet = wb.create_sheet("Sample")
        put(sample_sheet, ["Sample", cmp.sample_id], strong=True)
        for label, value in (
            ("Seed", draw.seed),
            ("Fraction", draw.fraction),
            ("Method", draw.method),
            ("Size", draw.size),
            ("Population", draw.population),
            ("Description", draw.describe()),
        ):
            put(sample_sheet, [label, value])
        put(sample_sheet, ["Record ids", ", ".join(str(i) for i in draw.ids)])
    for sheet in wb.worksheets:
        sheet.column_dimensions["A"].width = 34
        for col in "BCDEFGHIJKL":
            sheet.column_dimensions[col].width = 16
    if "Disagreements" in wb.sheetnames:
        widths = {"A": 10, "C": 60, "G": 60, "I": 18}
        for col, width in widths.items():
            wb["Disagreements"].column_dimensions[col].width = width
    wb.save(path)


def export_report(result: AgreementResult, path: Path, fmt: str | None = None) -> str:
    """Write the report to `path` as md, json, csv or xlsx (from `fmt`, else the file's
    extension); returns the format written. Written to a temporary file and renamed, so a
    failure leaves no half-written file."""
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise InvalidInputError(
            f"{path}: cannot tell the format; use --format {'|'.join(FORMATS)} or a file ending "
            f"in .{', .'.join(FORMATS)}"
        )
    if not path.parent.is_dir():
        raise InvalidInputError(f"folder {path.parent} does not exist")
    tmp = path.with_name(path.name + ".tmp")
    try:
        if fmt == "xlsx":
            write_xlsx(result, tmp)
        elif fmt == "csv":
            write_csv(result, tmp)
        else:
            text = result.to_json() if fmt == "json" else result.to_markdown()
            tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInputError(f"{path}: cannot write the report ({exc.strerror or exc})") from exc
    return fmt
