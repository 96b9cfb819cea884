"""parse_file: read one export file into ParsedRecords, all-or-nothing unless told otherwise."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from realist.importing import bibtex, medline, ris, tabular, wos
from realist.importing.base import Context, Item
from realist.importing.detect import detect_format
from realist.importing.model import ImportFileError, ParsedRecord, ParseResult, RecordProblem
from realist.importing.textio import (
    TextSource,
    binary_refusal,
    decode_legacy,
    open_text,
    read_head,
)

NOTHING_TO_IDENTIFY = "no title, abstract, DOI or PMID: nothing identifies the record"


def invalid_reason(record: ParsedRecord) -> str | None:
    """Why a parsed record cannot be imported, or None when it can.

    A record needs something to screen or to identify it: a title, an abstract, a DOI or a PMID.
    Records with only a type, notes or an author list are refused.
    """
    if record.title or record.abstract or record.doi or record.pmid:
        return None
    return NOTHING_TO_IDENTIFY


def parse_file(
    path: Path | str,
    *,
    encoding: str | None = None,
    skip_invalid: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ParseResult:
    """Parse one export file (RIS, MEDLINE, WoS, BibTeX, CSV, TSV or XLSX) into records.

    Args:
        path: the file; its format is detected from the content (suffix only breaks ties).
        encoding: the text encoding to use instead of detection (e.g. "cp1252").
        skip_invalid: return the valid records and list the invalid ones in `skipped`, instead
            of refusing the whole file at the first invalid record.
        progress: called as progress(done, total) while parsing, in abstract work units
            (characters of text, or rows of a workbook), at most about 200 times per file and
            once with done == total at the end.

    Returns:
        A ParseResult with the records in file order.

    Raises:
        ImportFileError: the file cannot be read, is empty, binary or of no known format, its
            encoding is unclear, or (without skip_invalid) a record is malformed; the message
            names the file and, for a record, its number and line.
    """
    p = Path(path)
    try:
        return _parse(p, encoding, skip_invalid, progress)
    except ImportFileError:
        raise
    except RecursionError as exc:
        raise ImportFileError(p, "the file is nested too deeply to parse") from exc
    except MemoryError as exc:
        raise ImportFileError(p, "the file is too large to parse in memory") from exc
    except Exception as exc:  # never a bare traceback for a user's file
        raise ImportFileError(
            p, f"internal error while parsing ({type(exc).__name__}: {exc}); please report it"
        ) from exc


def _parse(
    path: Path,
    encoding: str | None,
    skip_invalid: bool,
    progress: Callable[[int, int], None] | None,
) -> ParseResult:
    size, head = read_head(path)
    if size == 0:
        raise ImportFileError(path, "the file is empty")
    refusal = binary_refusal(head)
    if refusal:
        raise ImportFileError(path, refusal)
    # Parsing allocates millions of small objects and no cycles: the cyclic collector would
    # only rescan them over and over (it doubles the time on large files).
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        if head.startswith(b"PK\x03\x04"):
            fmt = detect_format(path, "PK\x03\x04")
            used_encoding = "xlsx"
            ctx = Context(path, progress=progress)
            records, problems = _collect(tabular.parse_xlsx(path, ctx))
        else:
            source = open_text(path, size, head, encoding)
            try:
                fmt, ctx, records, problems = _run_text(source, progress)
            except UnicodeDecodeError:
                if encoding:
                    raise ImportFileError(
                        path, f"cannot be decoded with the given encoding {encoding!r}"
                    ) from None
                source = decode_legacy(path, size)
                fmt, ctx, records, problems = _run_text(source, progress)
            used_encoding = source.encoding
    finally:
        if gc_enabled:
            gc.enable()

    if problems and not skip_invalid:
        first = problems[0]
        more = (
            f" ({len(problems) - 1} more invalid record(s) in this file)"
            if len(problems) > 1
            else ""
        )
        raise ImportFileError(
            path,
            f"{first.reason}{more}; fix the file or use --skip-invalid to import the rest",
            record=first.record,
            line=first.line,
            problems=problems,
        )
    if not records and not problems:
        raise ImportFileError(path, f"no records found in this {_FORMAT_NAMES[fmt]} file")

    warnings = list(ctx.warnings)
    if used_encoding not in ("utf-8", "utf-8-sig", "xlsx") and not encoding:
        warnings.insert(0, f"the file is not UTF-8; read it as {used_encoding} (detected)")
    if skip_invalid and problems:
        warnings.append(f"{len(problems)} invalid record(s) skipped")
    warnings.extend(_duplicate_ids(records))
    if progress is not None:
        total = max(ctx.total, 1)
        progress(total, total)
    return ParseResult(
        path=path,
        format=fmt,
        dialect=ctx.dialect,
        encoding=used_encoding,
        records=records,
        skipped=problems,
        warnings=warnings,
    )


def _run_text(
    source: TextSource, progress: Callable[[int, int], None] | None
) -> tuple[str, Context, list[ParsedRecord], list[RecordProblem]]:
    fmt = detect_format(source.path, source.head)
    ctx = Context(source.path, progress=progress, total=source.size)
    records, problems = _collect(_text_items(fmt, source, ctx))
    return fmt, ctx, records, problems


def _collect(items: Iterator[Item]) -> tuple[list[ParsedRecord], list[RecordProblem]]:
    """Split parser output into valid records and problems (invalid records included)."""
    records: list[ParsedRecord] = []
    problems: list[RecordProblem] = []
    for item in items:
        if isinstance(item, RecordProblem):
            problems.append(item)
            continue
        reason = invalid_reason(item)
        if reason:
            problems.append(RecordProblem(item.position, item.line, reason))
        else:
            records.append(item)
    return records, problems


def _text_items(fmt: str, source: TextSource, ctx: Context) -> Iterator[Item]:
    """Records and problems of a text file; the file stays open while they are consumed."""
    if fmt == "bibtex":
        text = source.read()
        ctx.total = len(text)
        yield from bibtex.parse_text(text, ctx)
        return
    sniffed = ("", 0, 0)
    if fmt in ("csv", "tsv"):
        found = tabular.sniff(source.head, source.path.suffix.lower())
        if found is None:  # pragma: no cover - detect_format already checked
            raise ImportFileError(source.path, "no header row found")
        sniffed = found
    with source.open() as lines:
        ctx.watch(lines)
        if fmt == "ris":
            ctx.dialect = ris.guess_dialect(source.head)
            yield from ris.parse(lines, ctx)
        elif fmt == "medline":
            ctx.dialect = "pubmed"
            yield from medline.parse(lines, ctx)
        elif fmt == "wos":
            ctx.dialect = "wos"
            yield from wos.parse(lines, ctx)
        else:
            yield from tabular.parse_csv(lines, ctx, sniffed[0], sniffed[1], source.head)


_FORMAT_NAMES = {
    "ris": "RIS",
    "medline": "MEDLINE",
    "wos": "Web of Science",
    "bibtex": "BibTeX",
    "csv": "CSV",
    "tsv": "TSV",
    "xlsx": "XLSX",
}


def _duplicate_ids(records: list[ParsedRecord]) -> list[str]:
    counts = Counter(r.source_id for r in records if r.source_id)
    repeated = [(sid, n) for sid, n in counts.items() if n > 1]
    if not repeated:
        return []
    sid, n = repeated[0]
    return [
        f"record ids in the file are not unique: {sid!r} is used {n} times"
        + (f" ({len(repeated)} ids repeated)" if len(repeated) > 1 else "")
    ]
