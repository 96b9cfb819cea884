"""Screening decisions from another tool, so a review started elsewhere can move here.

Three layouts are recognised from the header row:
- generic: `source_id,decision[,reason,note]` with include / exclude / maybe (any case; also
  1 = include, 0 = exclude); an empty decision is a record not decided yet;
- ASReview exports: `record_id` (or `id`) and its label column (`asreview_label`, `included`,
  `label_included`, `final_included`, ... as ASReview names it) with 1 = include, 0 = exclude, -1
  or empty = unlabelled; `asreview_note` becomes the note;
- Rayyan exports: `key` and `notes` holding `RAYYAN-INCLUSION: {"Name"=>"Included"}` (Excluded,
  Maybe), `RAYYAN-EXCLUSION-REASONS: ...`, `RAYYAN-LABELS: ...` and `USER-NOTES: ...`.

Rows are matched to records by `Record.source_id` (the id in the source file). A duplicate is
followed to the record it duplicates. Unknown or ambiguous ids, records not at the stage, and
contradictory rows for one record are a clear error listing the first few, and nothing is
imported (all or nothing, one transaction) unless `skip_unmatched` is set, when they are reported
and skipped. Reasons are matched to the review's exclusion reasons by code or label; a reason
that matches none is kept in the note (and reported), except at full text, where an exclusion
needs one of the review's reasons.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from realist.db.models import Record, Reviewer, ScreeningDecision
from realist.domain import Role, Stage
from realist.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from realist.services import audit
from realist.services.concurrency import retry_on_conflict
from realist.services.context import Workspace
from realist.services.screening import ReasonInfo, eligible_records, parse_stage, reason_infos

SHOW: Final = 5  # problems listed per kind in an error message
ID_COLUMNS: Final = ("source_id", "record_id", "id", "key")
# ASReview's names for its label column, newest export first (asreview/data/record.py)
LABEL_COLUMNS: Final = (
    "asreview_label", "included", "label_included", "final_included", "included_label",
    "included_final", "included_flag", "include", "label",
)  # fmt: skip
GENERIC_VALUES: Final = {
    "include": "include", "included": "include", "1": "include",
    "exclude": "exclude", "excluded": "exclude", "0": "exclude",
    "maybe": "maybe",
}  # fmt: skip
ASREVIEW_VALUES: Final = {"1": "include", "1.0": "include", "0": "exclude", "0.0": "exclude"}
RAYYAN_VALUES: Final = {"included": "include", "excluded": "exclude", "maybe": "maybe"}
PAIR_RE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\])')


@dataclass(frozen=True)
class SourceRow:
    """One decision read from the file."""

    line: int
    source_id: str
    decision: str
    reason: str | None = None  # reason text as written
    note: str | None = None


@dataclass(frozen=True)
class DecisionsImportReport:
    """What an import did (or, with skip_unmatched, skipped)."""

    file: str
    layout: str
    reviewer: str
    stage: str
    rows: int  # data rows in the file
    unlabelled: int  # rows with no decision
    imported: int  # decisions written
    unchanged: int  # already the reviewer's current decision
    decisions: dict[str, int] = field(default_factory=dict)  # imported, per decision
    redirected: int = 0  # rows for a duplicate, applied to the record it duplicates
    unmatched: tuple[tuple[int, str], ...] = ()  # (line, id) with no record
    ambiguous: tuple[tuple[int, str], ...] = ()  # (line, id) matching several records
    not_at_stage: tuple[tuple[int, str], ...] = ()  # (line, id) whose record is not at the stage
    unknown_reasons: dict[str, int] = field(default_factory=dict)  # kept in the note

    def summary(self) -> str:
        parts = [
            f"{self.file} ({self.layout}): {self.imported:,} decisions imported for "
            f"{self.reviewer} at the {Stage(self.stage).label} stage"
        ]
        if self.decisions:
            parts.append("  " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.decisions.items())))
        for label, n in (
            ("already current, unchanged", self.unchanged),
            ("rows without a decision", self.unlabelled),
            ("rows for duplicates applied to the record they duplicate", self.redirected),
            ("rows with ids matching no record, skipped", len(self.unmatched)),
            ("rows with ids matching several records, skipped", len(self.ambiguous)),
            ("rows for records not at this stage, skipped", len(self.not_at_stage)),
        ):
            if n:
                parts.append(f"  {label}: {n:,}")
        if self.unknown_reasons:
            listed = ", ".join(f"{k!r} ({v})" for k, v in self.unknown_reasons.items())
            parts.append(f"  reasons not in the review's list (kept in the note): {listed}")
        return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# Reading


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise InvalidInputError(f"{path}: not text in any encoding we recognise") from None
        return str(best).lstrip("\ufeff")


def _delimiter(path: Path, text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best]:
        return best
    if path.suffix.lower() in {".tsv", ".tab"}:
        return "\t"
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def read_rows(path: Path) -> tuple[str, list[dict[str, str]], list[int], str]:
    """(layout, rows keyed by normalised column name, their line numbers, id column)."""
    text = _decode(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(path, text))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInputError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise InvalidInputError(f"{path}:1: not a readable CSV header ({exc})") from None
    columns = [_norm(h) for h in header]
    have = set(columns)
    id_col = next((c for c in ID_COLUMNS if c in have), None)
    if "decision" in have:
        layout = "generic"
    elif any(c in have for c in LABEL_COLUMNS):
        layout = "asreview"
    elif "notes" in have and "key" in have:
        layout = "rayyan"
        id_col = "key"
    else:
        raise InvalidInputError(
            f"{path}:1: no decision column; expected `source_id,decision[,reason,note]`, an "
            "ASReview export (record_id + asreview_label, included or label_included) or a Rayyan export "
            f"(key + notes); found columns: {', '.join(header[:12])}"
        )
    if id_col is None:
        raise InvalidInputError(
            f"{path}:1: no id column; expected one of {', '.join(ID_COLUMNS)} "
            f"(found: {', '.join(header[:12])})"
        )
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    start = 2
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append(
                    {col: cells[i] if i < len(cells) else "" for i, col in enumerate(columns)}
                )
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInputError(f"{path}:{reader.line_num}: not readable as CSV ({exc})") from None
    return layout, rows, lines, id_col


def _rayyan_fields(notes: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in re.split(r"\s\|\s", notes):
        m = re.match(r"\s*(RAYYAN-[A-Z-]+|USER-NOTES)\s*:\s*(.*)$", part, re.DOTALL)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def _pairs(text: str) -> dict[str, str]:
    return {
        m.group(1): m.group(2).strip('"').strip("[]").replace('\\"', '"').strip().strip('"')
        for m in PAIR_RE.finditer(text)
    }


def parse_rows(
    path: Path, from_name: str | None = None, reviewer: str | None = None
) -> tuple[str, list[SourceRow], int, int]:
    """(layout, decisions read, data rows, rows without a decision)."""
    layout, rows, lines, id_col = read_rows(path)
    out: list[SourceRow] = []
    bad: list[str] = []
    unlabelled = 0
    if layout == "rayyan":
        names: Counter[str] = Counter()
        for row in rows:
            names.update(_pairs(_rayyan_fields(row.get("notes", "")).get("RAYYAN-INCLUSION", "")))
        chosen = _rayyan_name(path, names, from_name, reviewer)
    for row, line in zip(rows, lines, strict=True):
        sid = (row.get(id_col) or "").strip()
        if layout == "generic":
            value = (row.get("decision") or "").strip().lower()
            if not value:
                unlabelled += 1
                continue
            decision = GENERIC_VALUES.get(value)
            if decision is None:
                bad.append(f"line {line}: decision {row.get('decision')!r}")
                continue
            reason = (row.get("reason") or "").strip() or None
            note = (row.get("note") or row.get("notes") or "").strip() or None
        elif layout == "asreview":
            col = next(c for c in LABEL_COLUMNS if c in row)
            value = (row.get(col) or "").strip()
            if value in {"", "-1", "-1.0"}:
                unlabelled += 1
                continue
            decision = ASREVIEW_VALUES.get(value)
            if decision is None:
                bad.append(f"line {line}: {col} {value!r}")
                continue
            reason, note = None, (row.get("asreview_note") or "").strip() or None
        else:
            fields = _rayyan_fields(row.get("notes", ""))
            value = _pairs(fields.get("RAYYAN-INCLUSION", "")).get(chosen or "", "")
            if not value:
                unlabelled += 1
                continue
            decision = RAYYAN_VALUES.get(value.strip().lower())
            if decision is None:
                bad.append(f"line {line}: Rayyan decision {value!r}")
                continue
            reason = fields.get("RAYYAN-EXCLUSION-REASONS") if decision == "exclude" else None
            notes = [_pairs(fields.get("USER-NOTES", "")).get(chosen or "", "")]
            if fields.get("RAYYAN-LABELS"):
                notes.append(f"Rayyan labels: {fields['RAYYAN-LABELS']}")
            note = "; ".join(n for n in notes if n) or None
        if not sid:
            bad.append(f"line {line}: empty {id_col}")
            continue
        out.append(SourceRow(line, sid, decision, reason, note))
    if bad:
        raise InvalidInputError(
            f"{path}: {len(bad)} row(s) cannot be read ({'; '.join(bad[:SHOW])}"
            + (", ..." if len(bad) > SHOW else "")
            + "); decisions are include, exclude or maybe (or 1 / 0)"
        )
    return layout, out, len(rows), unlabelled


def _rayyan_name(
    path: Path, names: Counter[str], from_name: str | None, reviewer: str | None
) -> str | None:
    if not names:
        return None
    if from_name is not None:
        if from_name not in names:
            raise InvalidInputError(
                f"{path}: no Rayyan decisions by {from_name!r}; the file has: {', '.join(sorted(names))}"
            )
        return from_name
    if len(names) == 1:
        return next(iter(names))
    by_lower = {n.lower(): n for n in names}
    if reviewer is not None and reviewer.lower() in by_lower:
        return by_lower[reviewer.lower()]
    raise InvalidInputError(
        f"{path}: the Rayyan decisions are by {', '.join(sorted(names))}; choose whose to "
        "import with --from-name NAME"
    )


# --------------------------------------------------------------------------------------------
# Matching and writing


def _match_reason(reasons: list[ReasonInfo], text: str | None) -> tuple[str | None, list[str]]:
    """The first of the review's reasons named in `text` (by code or label), and the parts of
    `text` that match none."""
    if not text:
        return None, []
    key = {}
    for r in reasons:
        key[_simple(r.code)] = r.code
        key[_simple(r.label)] = r.code
    whole = key.get(_simple(text))
    if whole is not None:
        return whole, []
    code, unknown = None, []
    for part in (p.strip() for p in re.split(r"[,;]", text)):
        if not part:
            continue
        hit = key.get(_simple(part))
        if hit is not None and code is None:
            code = hit
        elif hit is None:
            unknown.append(part)
    return code, unknown


def _simple(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def _listing(label: str, items: list[tuple[int, str]]) -> str:
    shown = ", ".join(f"line {line}: {sid!r}" for line, sid in items[:SHOW])
    more = f" and {len(items) - SHOW} more" if len(items) > SHOW else ""
    return f"{len(items)} {label} ({shown}{more})"


@retry_on_conflict
def import_decisions(
    ws: Workspace,
    path: Path,
    reviewer: str,
    stage: Stage | str = Stage.TITLE_ABSTRACT,
    *,
    skip_unmatched: bool = False,
    from_name: str | None = None,
) -> DecisionsImportReport:
    """Import decisions from a CSV file as `reviewer`'s (source "import"), in one transaction.

    The acting reviewer must be `reviewer` or a lead. Importing again is harmless: decisions
    already current are left alone.
    """
    actor = ws.require_actor()
    st = parse_stage(stage)
    layout, rows, n_rows, unlabelled = parse_rows(path, from_name, reviewer)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with ws.store.transaction() as s:
        person = s.scalars(select(Reviewer).where(Reviewer.name == reviewer)).first()
        if person is None:
            raise NotFoundError(
                f"unknown reviewer {reviewer!r}; add them with `realist reviewer add`"
            )
        if person.role not in (Role.LEAD.value, Role.REVIEWER.value):
            raise PermissionDeniedError(f"{reviewer} ({person.role}) does not screen records")
        if actor.id != person.id:
            ws.require_role(Role.LEAD, action=f"import decisions for {reviewer}")
        targets, redirects = _match(s, ws, rows)
        unmatched = [(r.line, r.source_id) for r in rows if targets[r.line] == "unmatched"]
        ambiguous = [(r.line, r.source_id) for r in rows if targets[r.line] == "ambiguous"]
        eligible = (
            set(
                s.scalars(
                    eligible_records(s, ws, st).where(
                        Record.id.in_([t for t in targets.values() if isinstance(t, int)])
                    )
                )
            )
            if st is Stage.FULL_TEXT
            else None
        )
        not_at_stage = [
            (r.line, r.source_id)
            for r in rows
            if isinstance(targets[r.line], int)
            and eligible is not None
            and targets[r.line] not in eligible
        ]
        problems = []
        if unmatched:
            problems.append(_listing("id(s) match no record", unmatched))
        if ambiguous:
            problems.append(_listing("id(s) match several records", ambiguous))
        if not_at_stage:
            problems.append(
                _listing(
                    "record(s) are not at the full-text stage (not kept at title/abstract)",
                    not_at_stage,
                )
            )
        if problems and not skip_unmatched:
            raise InvalidInputError(
                f"{path}: " + "; ".join(problems) + "; nothing was imported (use --skip-unmatched "
                "to import the rest)"
            )
        reasons = reason_infos(s, ws.review_id)
        redirected = 0
        contradictions: list[tuple[int, str]] = []
        unknown_reasons: Counter[str] = Counter()
        need_reason: list[tuple[int, str]] = []
        resolved: dict[int, tuple[str, str | None, str | None]] = {}
        # A record's own row wins over rows for its duplicates.
        for r in sorted(
            rows, key=lambda r: (targets[r.line] in ("unmatched", "ambiguous"), redirects[r.line])
        ):
            target = targets[r.line]
            if not isinstance(target, int) or (eligible is not None and target not in eligible):
                continue
            if target in resolved:
                if not redirects[r.line] and resolved[target][0] != r.decision:
                    contradictions.append((r.line, r.source_id))
                continue
            code, unknown = (
                _match_reason(reasons, r.reason) if r.decision == "exclude" else (None, [])
            )
            unknown_reasons.update(unknown)
            note = r.note
            if unknown:
                kept = f"reason: {', '.join(unknown)}"
                note = f"{note}; {kept}" if note else kept
            if r.decision == "exclude" and code is None and st is Stage.FULL_TEXT:
                need_reason.append((r.line, r.source_id))
            redirected += redirects[r.line]
            resolved[target] = (r.decision, code, note)
        if contradictions:
            raise InvalidInputError(
                f"{path}: "
                + _listing("row(s) contradict an earlier row for the same record", contradictions)
                + "; nothing was imported"
            )
        if need_reason:
            codes = ", ".join(r.code for r in reasons)
            raise InvalidInputError(
                f"{path}: "
                + _listing(
                    "full-text exclusion(s) without one of the review's reasons", need_reason
                )
                + f"; reasons: {codes}; nothing was imported"
            )
        written, unchanged, per_decision = _write(s, ws, person.id, st, resolved)
        audit.log(
            s,
            ws,
            "screening.import",
            "reviewer",
            person.id,
            file=path.name,
            sha256=digest,
            layout=layout,
            stage=st.value,
            reviewer=reviewer,
            imported=written,
            unchanged=unchanged,
            skipped=len(unmatched) + len(ambiguous) + len(not_at_stage),
        )
    return DecisionsImportReport(
        file=path.name,
        layout=layout,
        reviewer=reviewer,
        stage=st.value,
        rows=n_rows,
        unlabelled=unlabelled,
        imported=written,
        unchanged=unchanged,
        decisions=per_decision,
        redirected=redirected,
        unmatched=tuple(unmatched),
        ambiguous=tuple(ambiguous),
        not_at_stage=tuple(not_at_stage),
        unknown_reasons=dict(unknown_reasons),
    )


def _chunks(items: list[Any], size: int = 5000) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _match(
    s: Session, ws: Workspace, rows: list[SourceRow]
) -> tuple[dict[int, int | str], dict[int, bool]]:
    """Per line: the record id to decide (or 'unmatched' / 'ambiguous'), and whether the row's
    own record is a duplicate (so the decision goes to the record it duplicates)."""
    found: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    ids = sorted({r.source_id for r in rows})
    for chunk in _chunks(ids):
        for rid, sid, dup in s.execute(
            select(Record.id, Record.source_id, Record.duplicate_of_id).where(
                Record.review_id == ws.review_id, Record.source_id.in_(chunk)
            )
        ):
            if sid is not None:
                found[sid].append((rid, dup))
    canonical: dict[int, int | None] = {}
    out: dict[int, int | str] = {}
    redirected: dict[int, bool] = {}
    for r in rows:
        candidates = found.get(r.source_id, [])
        if len(candidates) > 1:
            # ids repeated across files: the one that is not a duplicate is the one screened
            candidates = [c for c in candidates if c[1] is None] or candidates
        redirected[r.line] = False
        if not candidates:
            out[r.line] = "unmatched"
        elif len(candidates) > 1:
            out[r.line] = "ambiguous"
        else:
            out[r.line] = _follow(s, candidates[0][0], candidates[0][1], canonical)
            redirected[r.line] = candidates[0][1] is not None
    return out, redirected


def _follow(s: Session, rid: int, dup: int | None, cache: dict[int, int | None]) -> int:
    seen = {rid}
    while dup is not None and dup not in seen:
        seen.add(dup)
        rid = dup
        if dup not in cache:
            cache[dup] = s.scalar(select(Record.duplicate_of_id).where(Record.id == dup))
        dup = cache[dup]
    return rid


def _write(
    s: Session,
    ws: Workspace,
    reviewer_id: int,
    stage: Stage,
    resolved: dict[int, tuple[str, str | None, str | None]],
) -> tuple[int, int, dict[str, int]]:
    SD = ScreeningDecision
    current: dict[int, tuple[int, str, str | None, str | None]] = {}
    for chunk in _chunks(list(resolved)):
        for rec, did, dec, reason, note in s.execute(
            select(SD.record_id, SD.id, SD.decision, SD.reason_code, SD.note).where(
                SD.reviewer_id == reviewer_id,
                SD.stage == stage.value,
                SD.is_current,
                SD.record_id.in_(chunk),
            )
        ):
            current[rec] = (did, dec, reason, note)
    new_rows, superseded = [], []
    unchanged = 0
    per: Counter[str] = Counter()
    for rec, (dec, reason, note) in resolved.items():
        now = current.get(rec)
        if now is not None and now[1:] == (dec, reason, note):
            unchanged += 1
            continue
        if now is not None:
            superseded.append(now[0])
        per[dec] += 1
        new_rows.append(
            {
                "review_id": ws.review_id,
                "record_id": rec,
                "reviewer_id": reviewer_id,
                "stage": stage.value,
                "decision": dec,
                "reason_code": reason,
                "note": note,
                "source": "import",
                "is_current": True,
            }
        )
    for chunk in _chunks(superseded):
        s.execute(update(SD).where(SD.id.in_(chunk)).values(is_current=False))
    for chunk in _chunks(new_rows):
        s.execute(insert(SD), chunk)
    return len(new_rows), unchanged, dict(per)
