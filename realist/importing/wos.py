"""Web of Science plain text / .ciw: 'FN'/'VR' header, records 'PT J' ... 'ER', 'EF' at the end.

Tags are two characters and a space; continuation lines are indented by three spaces. For list
fields (authors, addresses, cited references) each continuation line is a new value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from realist.importing.base import Context, Item, TagRecord, words
from realist.importing.model import ParsedRecord, RecordProblem
from realist.importing.normalize import (
    clean_block,
    clean_pmid,
    clean_text,
    join_pages,
    normalize_doi,
    normalize_issn,
    parse_year,
    unique,
)

_TAG_LINE = re.compile(r"\ufeff?([A-Z][A-Z0-9])(?: (.*))?$")
_LIST_TAGS = words("AU AF BA BF BE CA GP CR C1 C3 EM")
_FILE_TAGS = frozenset(("FN", "VR", "EF"))


def tokenize(lines: Iterable[str], ctx: Context) -> Iterator[TagRecord | RecordProblem]:
    """Split WoS lines into records (PT ... ER); broken structure becomes a RecordProblem."""
    position = 0
    fields: dict[str, list[str]] | None = None
    start = 0
    last_tag = ""
    orphan: tuple[int, int, str] | None = None
    bad: str | None = None
    for lineno, line in enumerate(lines, 1):
        if line[:1] in (" ", "\t"):
            if fields is not None and last_tag and line.strip():
                text = line.strip()
                vals = fields.get(last_tag)
                if not vals:
                    fields[last_tag] = [text]
                elif last_tag in _LIST_TAGS:
                    vals.append(text)
                else:
                    vals[-1] += " " + text
            continue
        stripped = line.rstrip("\r\n")
        if not stripped.strip():
            continue
        m = _TAG_LINE.match(stripped)
        if m is None:
            if fields is not None and bad is None:
                bad = f"line {lineno} is neither a tag line nor an indented continuation"
            continue
        tag, value = m.group(1), (m.group(2) or "").strip()
        if tag in _FILE_TAGS:
            if fields is not None and tag == "EF":
                yield RecordProblem(position, start, f"no ER line before EF at line {lineno}")
                fields = None
            continue
        if tag == "PT":
            if fields is not None:
                yield RecordProblem(
                    position, start, f"no ER line before the next PT at line {lineno}"
                )
            if orphan is not None:
                yield _orphan_problem(orphan)
                orphan = None
            position += 1
            fields = {"PT": [value]} if value else {}
            start = lineno
            last_tag = "PT"
            bad = None
        elif tag == "ER":
            if fields is not None:
                yield (
                    TagRecord(position, start, fields)
                    if bad is None
                    else RecordProblem(position, start, bad)
                )
                fields = None
                if position % 256 == 0:
                    ctx.tick()
            elif orphan is not None:
                yield _orphan_problem(orphan)
                orphan = None
        elif fields is not None:
            if value:
                fields.setdefault(tag, []).append(value)
            last_tag = tag
        elif orphan is None:
            position += 1
            orphan = (position, lineno, tag)
    if fields is not None:
        yield RecordProblem(position, start, "no ER line before the end of the file")
    if orphan is not None:
        yield _orphan_problem(orphan)
    ctx.tick()


def _orphan_problem(orphan: tuple[int, int, str]) -> RecordProblem:
    position, line, tag = orphan
    return RecordProblem(
        position, line, f"tag {tag} outside a record: a record must start with PT and end with ER"
    )


def _split(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(";"))
    return unique(out)


def to_record(raw: TagRecord) -> ParsedRecord:
    """Map one WoS record to a ParsedRecord."""
    pages = join_pages(raw.first("BP"), raw.first("EP"))
    if pages is None:
        pages = clean_text(raw.first("AR"))
    doi = normalize_doi(raw.first("DI", "D2"))
    issn = normalize_issn(raw.first("SN", "EI"))
    record = ParsedRecord(
        position=raw.position,
        line=raw.line,
        source_id=clean_text(raw.first("UT")),
        title=clean_text(raw.first("TI")),
        abstract=clean_block(raw.first("AB")),
        authors=unique(raw.values("AF") or raw.values("AU")),
        year=parse_year(raw.first("PY", "EY", "EA")),
        journal=clean_text(raw.first("SO")),
        journal_abbrev=clean_text(raw.first("JI", "J9")),
        volume=clean_text(raw.first("VL")),
        issue=clean_text(raw.first("IS")),
        pages=pages,
        doi=doi,
        pmid=clean_pmid(raw.first("PM")),
        issn=issn,
        url=None,
        language=clean_text(raw.first("LA")),
        pub_type=clean_text(raw.first("DT", "PT")),
        keywords=_split(raw.values("DE", "ID")),
    )
    record.extra = raw.extra()
    return record


def parse(lines: Iterable[str], ctx: Context) -> Iterator[Item]:
    """Records and problems of a Web of Science file, in file order."""
    for raw in tokenize(lines, ctx):
        if isinstance(raw, RecordProblem):
            yield raw
        else:
            yield to_record(raw)
