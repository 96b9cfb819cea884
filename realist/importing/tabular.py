"""CSV, TSV and XLSX exports of reference managers, databases and screening tools.

The delimiter and the header row are found together: the first row (within the first 50) whose
cells are known column names is the header, so search-query preambles ('SEARCH QUERY', dashes,
blank rows) before it are skipped. Quoted multi-line cells, BOMs and CRLF are handled by the csv
module; Excel's '="0123"' cells are unwrapped.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from realist.importing.base import Context, Item
from realist.importing.columns import ColumnPlan, header_rank
from realist.importing.labels import labels_from_notes
from realist.importing.model import ImportFileError, ParsedRecord, RecordProblem
from realist.importing.normalize import (
    clean_block,
    clean_pmid,
    clean_text,
    find_doi,
    is_nullish,
    join_pages,
    normalize_doi,
    normalize_issn,
    normalize_pages,
    parse_year,
    split_authors,
    split_keywords,
    unique,
)

DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 50
_QUOTED_TAB_FIELD = re.compile(r'(?:^|\t)"[^"\t\n]*"(?:\t|$)', re.M)
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)
# PubMed's 'Citation' column: 'Eur J Med Genet. 2020 Feb;63(2):103640. doi: ...'
_PUBMED_CITATION = re.compile(
    r"\.\s*(?P<year>\d{4})[^;]*;(?P<volume>[^(:;]+)?(?:\((?P<issue>[^)]+)\))?:(?P<pages>[^.\s;]+)"
)
# Embase's 'Source' column: 'Endoscopic Ultrasound (2014) 3:3 (152-160). Date of Publication: ...'
_CITATION = re.compile(
    r"^(?P<journal>[^()]+?)\s*\((?P<year>\d{4})\)\s*(?P<volume>[\w.-]+)?"
    r"(?::(?P<issue>[\w.-]+))?\s*(?:\((?P<pages>[^)]*)\))?"
)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _rows_of(text: str, delimiter: str, limit: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def sniff(head: str, suffix: str = "") -> tuple[str, int, int] | None:
    """(delimiter, header row index, score) for a text that looks like a table, else None.

    Every delimiter is tried; the one whose header row has the most known column names wins,
    ties going to the suffix (.tsv/.tab -> tab) and then to the widest header.
    """
    first = head.split("\n", 1)[0].strip().lower()
    forced = None
    if first.startswith("sep=") and len(first) == 5:
        forced = first[4]
        head = head.split("\n", 1)[1] if "\n" in head else ""
    # Drop a final line cut in the middle by the head limit.
    body = head.rsplit("\n", 1)[0] if head.count("\n") > 1 else head
    best: tuple[int, int, int, str, int] | None = None
    for delim in (forced,) if forced else DELIMITERS:
        rows = _rows_of(body, delim, HEADER_SEARCH_ROWS)
        for index, row in enumerate(rows):
            if sum(1 for c in row if c.strip()) < 1:
                continue
            score = header_rank(row, index)
            cells = len(row)
            if score:
                prefer = 1 if (delim == "\t") == (suffix in (".tsv", ".tab")) else 0
                key = (score, prefer, cells, delim, index)
                if best is None or key[:3] > best[:3]:
                    best = key
                break
    if best is None:
        return None
    return best[3], best[4] + (1 if forced else 0), best[0]


def _cell(value: str) -> str:
    if not value:
        return ""
    if value[0] == "=":
        m = _EXCEL_TEXT.match(value)
        if m:
            value = m.group(1)
    value = value.strip()
    return "" if len(value) <= 9 and is_nullish(value) else value


class _RowMapper:
    """Turns the cells of one row into a ParsedRecord following a ColumnPlan."""

    def __init__(self, plan: ColumnPlan) -> None:
        self.plan = plan
        self.citation_col = plan.names.index("source") if "source" in plan.names else -1
        self.pubmed_col = plan.names.index("citation") if plan.dialect == "pubmed" else -1

    def get(self, cells: list[str], fname: str) -> str | None:
        for i in self.plan.fields.get(fname, ()):
            if i < len(cells) and cells[i]:
                return cells[i]
        return None

    def record(self, cells: list[str], position: int, line: int) -> ParsedRecord:
        get = self.get
        plan = self.plan
        journal = get(cells, "journal")
        year_text = get(cells, "year")
        volume = get(cells, "volume")
        issue = get(cells, "issue")
        pages = normalize_pages(get(cells, "pages")) or join_pages(
            get(cells, "start_page"), get(cells, "end_page")
        )
        if journal and self.citation_col >= 0 and journal == cells[self.citation_col]:
            m = _CITATION.match(journal)
            if m:
                journal = m.group("journal")
                year_text = year_text or m.group("year")
                volume = volume or m.group("volume")
                issue = issue or m.group("issue")
                pages = pages or normalize_pages(m.group("pages"))
        if self.pubmed_col >= 0 and self.pubmed_col < len(cells):
            m = _PUBMED_CITATION.search(cells[self.pubmed_col])
            if m:
                year_text = year_text or m.group("year")
                volume = volume or m.group("volume")
                issue = issue or m.group("issue")
                pages = pages or normalize_pages(m.group("pages"))
        if pages is None:
            pages = clean_text(get(cells, "article_number"))
        doi = normalize_doi(get(cells, "doi"))
        if doi is None:
            url = get(cells, "url")
            doi = find_doi(url) if url and "doi" in url.lower() else None
        keywords: list[str] = []
        for i in plan.keywords:
            if i < len(cells):
                keywords.extend(split_keywords(cells[i]))
        labels: dict[str, str] = {}
        for i in plan.labels:
            if i < len(cells) and cells[i]:
                labels[plan.extra_keys[i]] = cells[i]
        notes = [cells[i] for i in plan.notes if i < len(cells) and cells[i]]
        labels.update(labels_from_notes(notes))
        extra = {plan.extra_keys[i]: cells[i] for i in plan.extra if i < len(cells) and cells[i]}
        for i in plan.notes:
            if i < len(cells) and cells[i]:
                extra[plan.header[i]] = cells[i]
        pmid = clean_pmid(get(cells, "pmid"))
        source_id = clean_text(get(cells, "source_id"))
        issn_text = get(cells, "issn")
        issn = normalize_issn(re.split(r"[;|,]", issn_text)[0]) if issn_text else None
        pub_type = get(cells, "pub_type")
        return ParsedRecord(
            position=position,
            line=line,
            source_id=source_id if source_id else pmid,
            title=clean_text(get(cells, "title")),
            abstract=clean_block(get(cells, "abstract")),
            authors=split_authors(get(cells, "authors")),
            year=parse_year(year_text),
            journal=clean_text(journal),
            journal_abbrev=clean_text(get(cells, "journal_abbrev")),
            volume=clean_text(volume),
            issue=clean_text(issue),
            pages=pages,
            doi=doi,
            pmid=pmid,
            issn=issn,
            url=clean_text((get(cells, "url") or "").split("|")[0].split("; ")[0]) or None,
            language=clean_text(get(cells, "language")),
            pub_type=clean_text(pub_type),
            keywords=unique(keywords),
            labels=labels,
            extra=extra,
        )


def rows_to_items(
    rows: Iterable[tuple[int, list[str]]], plan: ColumnPlan, ctx: Context, *, sheet: bool = False
) -> Iterator[Item]:
    """Records and problems from (line, cells) rows that follow the header.

    In a text table a row wider than the header is an error (shifted columns); a narrower row is
    read with its missing trailing cells empty, with a warning. Worksheets have no such problem.
    """
    mapper = _RowMapper(plan)
    width = len(plan.header)
    # A lone cell under an id or other minor column is a section divider (abstrackr writes
    # 'citations that are not yet labeled by anyone'), not a record; under a title it is one.
    key_columns = {i for k in ("title", "abstract", "doi", "pmid") for i in plan.fields.get(k, ())}
    first_is_key = 0 in key_columns
    position = 0
    short_rows = 0
    first_short = 0
    for line, raw in rows:
        cells = [_cell(c) for c in raw]
        filled = [c for c in cells if c]
        if not filled:
            continue
        if len(filled) == 1 and width >= 3 and cells[0] and len(cells) < width and not first_is_key:
            ctx.warn(f"line {line}: one-cell line {cells[0][:60]!r} is not a record; ignored")
            continue
        position += 1
        if len(cells) > width:
            if any(cells[width:]) and not sheet:
                yield RecordProblem(
                    position,
                    line,
                    f"row has {len(cells)} fields but the header has {width} (a stray "
                    "delimiter or quote?)",
                )
                continue
            cells = cells[:width]
        elif len(cells) < width:
            if not sheet:
                short_rows += 1
                first_short = first_short or line
            cells += [""] * (width - len(cells))
        yield mapper.record(cells, position, line)
    if short_rows:
        ctx.warn(
            f"{short_rows} row(s) have fewer fields than the header (first at line "
            f"{first_short}); the missing trailing fields were read as empty"
        )


def parse_csv(
    lines: Iterable[str], ctx: Context, delimiter: str, header_index: int, head: str = ""
) -> Iterator[Item]:
    """Records and problems of a CSV/TSV text whose header is row `header_index` (0-based).

    `head` (the start of the text) tells whether a tab-separated file uses quoting at all.
    """
    # Proper CSV writers quote consistently, so a quoting error means a broken file (strict).
    # Tab-separated exports (Web of Science, RefWorks) often do not quote at all: then a '"' in a
    # title is just a character and must not start a quoted field that swallows the next rows.
    unquoted = delimiter == "\t" and not _QUOTED_TAB_FIELD.search(head)
    reader = csv.reader(
        lines,
        delimiter=delimiter,
        strict=True,
        quoting=csv.QUOTE_NONE if unquoted else csv.QUOTE_MINIMAL,
    )

    def numbered() -> Iterator[tuple[int, list[str]]]:
        prev_line = 0
        count = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFileError(
                    ctx.path,
                    f"broken quoting in the table ({exc}): a quote is not closed or a quote "
                    "inside a cell is not doubled",
                    line=prev_line + 1,
                ) from exc
            start = prev_line + 1
            prev_line = reader.line_num
            count += 1
            if count % 256 == 0:
                ctx.tick()
            yield start, row

    rows = numbered()
    header: list[str] | None = None
    for index, (_line, row) in enumerate(rows):
        if index == header_index:
            header = row
            break
    if header is None:
        raise ImportFileError(ctx.path, "no header row found")
    plan = ColumnPlan.from_header(header)
    ctx.dialect = ctx.dialect or plan.dialect
    if not any(plan.fields.get(k) for k in ("title", "abstract", "doi", "pmid")):
        raise ImportFileError(ctx.path, _no_core_columns(plan))
    yield from rows_to_items(rows, plan, ctx)


def _no_core_columns(plan: ColumnPlan) -> str:
    shown = ", ".join(repr(h) for h in plan.header[:12])
    return (
        "no title, abstract, DOI or PMID column in the header "
        f"({shown}{', ...' if len(plan.header) > 12 else ''})"
    )


def _xlsx_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def parse_xlsx(path: Path, ctx: Context) -> Iterator[Item]:
    """Records and problems of the first worksheet that has a recognisable header."""
    from openpyxl import load_workbook

    # A file object, so that openpyxl does not judge the file by its suffix.
    fh = open(path, "rb")  # noqa: SIM115 - closed in the finally below, after the workbook
    try:
        wb = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors on damaged workbooks
        fh.close()
        raise ImportFileError(path, f"not a readable XLSX workbook ({exc})") from exc
    try:
        for ws in wb.worksheets:
            head: list[list[str]] = []
            for row in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True):
                head.append([_xlsx_value(v) for v in row])
            header_at = next((i for i, row in enumerate(head) if header_rank(row, i)), None)
            if header_at is None:
                continue
            header = head[header_at]
            while header and not header[-1].strip():
                header.pop()
            plan = ColumnPlan.from_header(header)
            ctx.dialect = ctx.dialect or plan.dialect
            if not any(plan.fields.get(k) for k in ("title", "abstract", "doi", "pmid")):
                raise ImportFileError(path, _no_core_columns(plan))
            ctx.total = max(ctx.total, int(ws.max_row or 0))

            def rows(ws: Any = ws, start: int = header_at + 2) -> Iterator[tuple[int, list[str]]]:
                for number, row in enumerate(ws.iter_rows(min_row=start, values_only=True), start):
                    cells = [_xlsx_value(v) for v in row]
                    ctx.tick(number)
                    yield number, cells

            yield from rows_to_items(rows(), plan, ctx, sheet=True)
            return
        raise ImportFileError(
            path, "no worksheet has a header row with known column names (title, abstract...)"
        )
    finally:
        wb.close()
        fh.close()
