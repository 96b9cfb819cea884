"""Import search results: one file -> one ImportBatch and its records, all or nothing.

`import_file(ws, path, ...)` hashes the file, refuses a file this review already holds (same
SHA-256) unless forced, parses it with `realist.importing.parse_file` (before any transaction, so
a refused file writes nothing), and writes the batch with its records in one transaction using
bulk inserts. Every record keeps its provenance: batch (file, format, dialect, encoding, source
database, search), position in the file, line and its id in the file.

`Record.extra` keeps the fields the importer did not map, bounded (see `EXTRA_VALUE_MAX` and
`EXTRA_TOTAL_MAX`): a table export such as OpenAlex's has about 150 columns, some holding
thousands of characters (reference lists, affiliations). Two reserved keys start with `_`:
`_labels` (screening labels the file carries, e.g. Rayyan or ASReview decisions, raw key -> raw
value) and `_truncated` (how many values were cut and how many fields dropped).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from realist.db.models import ImportBatch, Record, Reviewer
from realist.domain import Role, SourceKind, values
from realist.errors import ConflictError, InvalidInputError, NotFoundError
from realist.importing import ImportFileError, ParsedRecord, ParseResult, parse_file
from realist.importing.model import RecordProblem
from realist.services import audit
from realist.services.context import Workspace

Progress = Callable[[int, int], None]
AskSource = Callable[[Path, str | None], str | None]

EXTRA_VALUE_MAX: Final = 1_000
"""Characters kept of one unmapped field; longer values are cut (and counted in `_truncated`)."""
EXTRA_TOTAL_MAX: Final = 8_000
"""Characters kept of all unmapped fields of one record; fields past this budget are dropped."""
REPORT_SKIPPED_MAX: Final = 1_000
"""Skipped records listed in ImportBatch.report (the CSV report lists them all)."""
CHUNK: Final = 5_000
"""Records per bulk INSERT statement."""
PROGRESS_TOTAL: Final = 1_000
"""Progress runs 0..PROGRESS_TOTAL: parsing the first 80%, writing the rest."""
_PARSE_SHARE: Final = 800
UNKNOWN_SOURCE: Final = "unknown"

# The databases a dialect identifies; tools (Rayyan, Zotero, EndNote, Covidence, ...) re-export
# records from any database, so their dialect says nothing about the source.
DIALECT_SOURCES: Final[dict[str, str]] = {
    "pubmed": "PubMed",
    "embase": "Embase",
    "scopus": "Scopus",
    "wos": "Web of Science",
    "ovid": "Ovid",
    "proquest": "ProQuest",
    "ebsco": "EBSCO",
    "cochrane": "Cochrane Library",
    "lens": "Lens",
    "openalex": "OpenAlex",
    "google_scholar": "Google Scholar",
}

_STRING_LIMITS: dict[str, int] = {
    c.name: int(length)
    for c in Record.__table__.columns
    if (length := getattr(c.type, "length", None))
}
_SEARCH_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class ImportRefusedError(InvalidInputError):
    """A file that cannot be imported as it is: nothing of it was written.

    The message reads "file: record N (line L): reason"; `problems` lists every invalid record
    found when the refusal is about records.
    """

    def __init__(self, message: str, problems: Sequence[RecordProblem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class AlreadyImportedError(ConflictError):
    """The same file (same SHA-256) is already imported in this review."""

    def __init__(self, message: str, batch_id: int) -> None:
        super().__init__(message)
        self.batch_id = batch_id


@dataclass(frozen=True)
class ImportSummary:
    """What one file's import wrote."""

    batch_id: int
    file: str
    file_name: str
    sha256: str
    size_bytes: int
    format: str
    dialect: str | None
    encoding: str
    source_db: str
    source_kind: str
    records: int
    skipped: int
    forced: bool
    report_path: str | None = None
    warnings: tuple[str, ...] = ()
    extra_truncated: int = 0
    """Records whose unmapped fields were cut to the size bounds."""


@dataclass(frozen=True)
class BatchInfo:
    """One import batch as listed for the user."""

    id: int
    file_name: str
    sha256: str
    format: str
    dialect: str | None
    encoding: str | None
    source_db: str | None
    source_kind: str
    search_string: str | None
    search_date: str | None
    imported_at: datetime
    imported_by: str | None
    records: int
    skipped: int
    forced: bool
    duplicates: int = 0
    report: dict[str, Any] = field(default_factory=dict)


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def source_from_dialect(dialect: str | None) -> str | None:
    """The database a detected dialect names, or None for tools and unknown files."""
    return DIALECT_SOURCES.get(dialect or "")


def check_search_date(value: str | None) -> str | None:
    """A search date as YYYY-MM-DD, YYYY-MM or YYYY; anything else is a clear error."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not _SEARCH_DATE.match(text):
        raise InvalidInputError(
            f"search date {value!r} is not a date: write it as YYYY-MM-DD (or YYYY-MM, YYYY)"
        )
    if len(text) == 10:
        try:
            date.fromisoformat(text)
        except ValueError:
            raise InvalidInputError(f"search date {value!r} is not a real date") from None
    return text


def previous_import(ws: Workspace, sha256: str) -> BatchInfo | None:
    """The first batch of this review imported from a file with this SHA-256, if any."""
    with ws.store.read() as s:
        batch = s.scalars(
            select(ImportBatch)
            .where(ImportBatch.review_id == ws.review_id, ImportBatch.sha256 == sha256)
            .order_by(ImportBatch.id)
            .limit(1)
        ).first()
        return None if batch is None else _batch_info(s, batch)


def import_file(
    ws: Workspace,
    path: Path | str,
    *,
    source: str | None = None,
    source_kind: str = SourceKind.DATABASE.value,
    search_string: str | None = None,
    search_date: str | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
    force: bool = False,
    report_dir: Path | None = None,
    progress: Progress | None = None,
    ask_source: AskSource | None = None,
) -> ImportSummary:
    """Import one export file into the review as one batch, in one transaction.

    Args:
        source: the source database ("MEDLINE", "Embase", "citation searching"); without it the
            database the file's dialect names, else `ask_source(path, dialect)`, else "unknown".
        source_kind: database | register | other (PRISMA's identification boxes).
        search_string, search_date: the search that produced the file (date as YYYY-MM-DD).
        encoding: the text encoding to use instead of detection.
        skip_invalid: import the valid records and write a CSV report of the skipped ones (next
            to the file, or in `report_dir`); otherwise an invalid record refuses the file.
        force: import a file this review already holds (same SHA-256) again.
        progress: called as progress(done, PROGRESS_TOTAL) while parsing and writing.

    Raises:
        ImportRefusedError: the file cannot be parsed or (without skip_invalid) holds an invalid
            record; the message says file, record, line and reason. Nothing is written.
        AlreadyImportedError: the file was imported before and `force` is not set.
    """
    p = Path(path)
    actor = ws.require_role(Role.LEAD, Role.REVIEWER, action="import search results")
    if source_kind not in values(SourceKind):
        raise InvalidInputError(
            f"source kind must be one of {', '.join(values(SourceKind))}, not {source_kind!r}"
        )
    search_date = check_search_date(search_date)
    if not p.is_file():
        raise ImportRefusedError(f"{p}: no such file")
    sha, size = file_sha256(p)
    earlier = previous_import(ws, sha)
    if earlier is not None and not force:
        raise AlreadyImportedError(
            f"{p}: already imported on {earlier.imported_at:%Y-%m-%d %H:%M} UTC as batch "
            f"{earlier.id} ({earlier.file_name}, {earlier.records:,} records from "
            f"{earlier.source_db or UNKNOWN_SOURCE}); use --force to import it again",
            earlier.id,
        )

    def parse_progress(done: int, total: int) -> None:
        if progress is not None:
            progress(min(_PARSE_SHARE, _PARSE_SHARE * done // max(total, 1)), PROGRESS_TOTAL)

    try:
        parsed = parse_file(
            p, encoding=encoding, skip_invalid=skip_invalid, progress=parse_progress
        )
    except ImportFileError as exc:
        raise ImportRefusedError(str(exc), exc.problems) from exc
    if not parsed.records:
        # Only reachable with skip_invalid: every record was invalid. An empty batch would
        # count a search that contributed nothing screenable; refuse, but say why in the report.
        written = write_skip_report(p, parsed.skipped, report_dir)
        first = parsed.skipped[0]
        raise ImportRefusedError(
            f"{p}: none of its {len(parsed.skipped)} record(s) can be imported ({first}); "
            f"nothing was written (report: {written})",
            parsed.skipped,
        )

    source_db = (source or "").strip() or source_from_dialect(parsed.dialect)
    if not source_db and ask_source is not None:
        source_db = (ask_source(p, parsed.dialect) or "").strip()
    source_db = source_db or UNKNOWN_SOURCE

    # The rows are millions of small objects and no cycles: the cyclic collector would only
    # rescan them again and again (it triples the time of this step on large files).
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        count = len(parsed.records)
        with ws.store.transaction() as s:
            now = datetime.now(UTC)
            report: dict[str, Any] = {"warnings": list(parsed.warnings)}
            report_path: Path | None = None
            if parsed.skipped:
                report_path = write_skip_report(p, parsed.skipped, report_dir)
                report["skipped_total"] = len(parsed.skipped)
                report["skipped"] = [
                    {"record": x.record, "line": x.line, "reason": x.reason}
                    for x in parsed.skipped[:REPORT_SKIPPED_MAX]
                ]
                report["report_file"] = str(report_path)
            batch = ImportBatch(
                review_id=ws.review_id,
                file_name=p.name,
                sha256=sha,
                size_bytes=size,
                format=parsed.format,
                dialect=parsed.dialect,
                encoding=parsed.encoding,
                source_db=source_db,
                source_kind=source_kind,
                search_string=(search_string or "").strip() or None,
                search_date=search_date,
                imported_at=now,
                imported_by_id=actor.id,
                record_count=count,
                skipped_count=len(parsed.skipped),
                forced=earlier is not None,
                report=report,
            )
            s.add(batch)
            s.flush()
            truncated = insert_records(s, ws.review_id, batch.id, now, parsed.records, progress)
            if truncated:
                batch.report = {**report, "extra_truncated": truncated}
            audit.log(
                s,
                ws,
                "import.file",
                "import_batch",
                batch.id,
                file=p.name,
                sha256=sha,
                format=parsed.format,
                dialect=parsed.dialect,
                source_db=source_db,
                source_kind=source_kind,
                records=count,
                skipped=len(parsed.skipped),
                forced=earlier is not None,
            )
            batch_id = batch.id
    finally:
        if gc_enabled:
            gc.enable()
    if progress is not None:
        progress(PROGRESS_TOTAL, PROGRESS_TOTAL)
    return ImportSummary(
        batch_id=batch_id,
        file=str(p),
        file_name=p.name,
        sha256=sha,
        size_bytes=size,
        format=parsed.format,
        dialect=parsed.dialect,
        encoding=parsed.encoding,
        source_db=source_db,
        source_kind=source_kind,
        records=count,
        skipped=len(parsed.skipped),
        forced=earlier is not None,
        report_path=None if report_path is None else str(report_path),
        warnings=tuple(parsed.warnings),
        extra_truncated=truncated,
    )


def parse_only(
    path: Path, *, encoding: str | None = None, skip_invalid: bool = False
) -> ParseResult:
    """Parse a file as `import_file` would, writing nothing (for previews); refusals as there."""
    try:
        return parse_file(path, encoding=encoding, skip_invalid=skip_invalid)
    except ImportFileError as exc:
        raise ImportRefusedError(str(exc), exc.problems) from exc


# --------------------------------------------------------------------------------------------
# Rows


def _clean(value: str | None, limit: int | None = None) -> str | None:
    # PostgreSQL refuses NUL in text; VARCHAR(n) columns refuse longer values.
    if value is None:
        return None
    if "\x00" in value:
        value = value.replace("\x00", "")
    if limit is not None and len(value) > limit:
        value = value[:limit]
    return value or None


def bound_extra(extra: dict[str, str], labels: dict[str, str]) -> tuple[dict[str, Any], bool]:
    """`extra` within EXTRA_VALUE_MAX per value and EXTRA_TOTAL_MAX in all, with the labels.

    Empty values are dropped. Returns the bounded mapping and whether anything was cut.
    """
    out: dict[str, Any] = {}
    budget = EXTRA_TOTAL_MAX
    cut = dropped = 0
    for key, value in extra.items():
        if not value:
            continue
        if "\x00" in value:
            value = value.replace("\x00", "")
        if len(value) > EXTRA_VALUE_MAX:
            value = value[:EXTRA_VALUE_MAX] + f" […{len(value) - EXTRA_VALUE_MAX} more]"
            cut += 1
        cost = len(key) + len(value)
        if cost > budget:
            dropped += 1
            continue
        budget -= cost
        out[key] = value
    if labels:
        out["_labels"] = {k: _clean(v) or "" for k, v in labels.items()}
    if cut or dropped:
        out["_truncated"] = {"cut": cut, "dropped": dropped}
    return out, bool(cut or dropped)


_FIELDS = (
    "source_id", "title", "abstract", "journal", "journal_abbrev", "volume", "issue", "pages",
    "doi", "pmid", "issn", "url", "language", "pub_type",
)  # fmt: skip


def _clean_list(values: list[str]) -> list[str]:
    # The common case (no NUL, no empty item) costs two C-level scans and no copy per item.
    if "\x00" in "".join(values):
        values = [v.replace("\x00", "") for v in values]
    if "" in values:
        values = [v for v in values if v]
    return list(values)


def records_to_rows(records: Sequence[ParsedRecord]) -> tuple[list[dict[str, Any]], int]:
    """Parsed records as column dicts for a bulk insert; also how many had `extra` cut.

    Text is stored as parsed, without NUL characters (PostgreSQL refuses them); a value longer
    than its column (volume, issue, pages, PMID, ISSN, language, type) is clipped and kept whole
    in `extra` under the field's name.
    """
    rows: list[dict[str, Any]] = []
    truncated = 0
    limits = _STRING_LIMITS
    for r in records:
        row: dict[str, Any] = {
            "position": r.position,
            "source_line": r.line or None,
            "year": r.year,
            "authors": _clean_list(r.authors) if r.authors else [],
            "keywords": _clean_list(r.keywords) if r.keywords else [],
        }
        overflow: dict[str, str] | None = None
        for name in _FIELDS:
            value = getattr(r, name)
            if value is not None:
                if "\x00" in value:
                    value = value.replace("\x00", "") or None
                limit = limits.get(name)
                if value is not None and limit is not None and len(value) > limit:
                    overflow = overflow or {}
                    overflow[name] = value  # keep the whole value with the record
                    value = value[:limit]
            row[name] = value
        if r.extra or r.labels or overflow:
            extra, cut = bound_extra({**overflow, **r.extra} if overflow else r.extra, r.labels)
            truncated += cut
        else:
            extra = {}
        row["extra"] = extra
        rows.append(row)
    return rows, truncated


def insert_records(
    s: Session,
    review_id: int,
    batch_id: int,
    now: datetime,
    records: list[ParsedRecord],
    progress: Progress | None = None,
) -> int:
    """Bulk-insert parsed records (Core executemany, CHUNK rows per statement).

    The list is consumed as it goes, so a large file never holds its parsed records and their
    rows in memory at once. One helper thread runs the INSERTs while this thread prepares the
    next chunk: the database driver releases the GIL while it writes, so on two cores the
    writing overlaps the preparing. Statements still run one at a time, in order, on the
    session's connection and inside its transaction. Returns how many records had their
    unmapped fields cut.
    """
    n = len(records)
    done = truncated = 0
    conn = s.connection()
    statement = insert(Record.__table__)  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="realist-insert") as writer:
        pending: Future[Any] | None = None
        while records:
            chunk = records[:CHUNK]
            del records[:CHUNK]
            rows, cut = records_to_rows(chunk)
            truncated += cut
            for row in rows:
                row["review_id"] = review_id
                row["batch_id"] = batch_id
                row["created_at"] = now
            if pending is not None:
                pending.result()  # raises the writer's error here, before anything else
                _report(progress, done, n)
            pending = writer.submit(conn.execute, statement, rows)
            done += len(rows)
        if pending is not None:
            pending.result()
            _report(progress, done, n)
    return truncated


def _report(progress: Progress | None, done: int, n: int) -> None:
    if progress is not None:
        progress(_PARSE_SHARE + (PROGRESS_TOTAL - _PARSE_SHARE) * done // max(n, 1), PROGRESS_TOTAL)


def write_skip_report(
    path: Path, skipped: Sequence[RecordProblem], report_dir: Path | None
) -> Path:
    """The CSV of skipped records: file, record, line, reason (next to the file by default)."""
    folder = report_dir if report_dir is not None else path.parent
    if not folder.is_dir():
        raise InvalidInputError(f"report folder {folder} does not exist")
    out = folder / f"{path.name}.skipped.csv"
    try:
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["file", "record", "line", "reason"])
            for x in skipped:
                writer.writerow([path.name, x.record, x.line or "", x.reason])
    except OSError as exc:
        raise InvalidInputError(
            f"cannot write the skipped-records report {out}: {exc.strerror}; "
            "choose a folder with --report-dir"
        ) from None
    return out


# --------------------------------------------------------------------------------------------
# Reading batches


def _batch_info(s: Session, b: ImportBatch, duplicates: int = 0) -> BatchInfo:
    who = s.get(Reviewer, b.imported_by_id) if b.imported_by_id else None
    return BatchInfo(
        id=b.id,
        file_name=b.file_name,
        sha256=b.sha256,
        format=b.format,
        dialect=b.dialect,
        encoding=b.encoding,
        source_db=b.source_db,
        source_kind=b.source_kind,
        search_string=b.search_string,
        search_date=b.search_date,
        imported_at=_utc(b.imported_at),
        imported_by=who.name if who else None,
        records=b.record_count,
        skipped=b.skipped_count,
        forced=b.forced,
        duplicates=duplicates,
        report=json.loads(json.dumps(b.report or {})),
    )


def _utc(when: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time stored is UTC.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def list_batches(ws: Workspace) -> list[BatchInfo]:
    """The review's import batches in import order, with how many of their records are duplicates."""
    with ws.store.read() as s:
        dups = dict(
            s.execute(
                select(Record.batch_id, func.count())
                .where(Record.review_id == ws.review_id, Record.duplicate_of_id.is_not(None))
                .group_by(Record.batch_id)
            ).all()
        )
        return [
            _batch_info(s, b, int(dups.get(b.id, 0)))
            for b in s.scalars(
                select(ImportBatch)
                .where(ImportBatch.review_id == ws.review_id)
                .order_by(ImportBatch.id)
            )
        ]


def get_batch(ws: Workspace, batch_id: int) -> BatchInfo:
    """One batch of this review."""
    for b in list_batches(ws):
        if b.id == batch_id:
            return b
    raise NotFoundError(f"no import batch {batch_id} in this review")
