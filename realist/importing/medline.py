"""PubMed MEDLINE format (.nbib, .txt): 'PMID- 123', 4-character tags, indented continuations.

Records are separated by blank lines; a second PMID inside one block also starts a new record,
so files whose blank lines were lost still split correctly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from realist.importing.base import Context, Item, TagRecord
from realist.importing.model import ParsedRecord, RecordProblem
from realist.importing.normalize import (
    clean_block,
    clean_pmid,
    clean_text,
    normalize_doi,
    normalize_issn,
    normalize_pages,
    parse_year,
    unique,
)

_TAG_LINE = re.compile(r"\ufeff?([A-Z][A-Z0-9]{0,3}) *- ?(.*)$")
_ID_TYPE = re.compile(r"^(.*?)\s*\[(\w+)\]\s*$")


def tokenize(lines: Iterable[str], ctx: Context) -> Iterator[TagRecord | RecordProblem]:
    """Split MEDLINE lines into records; a stray non-tag line makes its record invalid."""
    position = 0
    fields: dict[str, list[str]] | None = None
    start = 0
    last_tag = ""
    bad: str | None = None

    for lineno, line in enumerate(lines, 1):
        first = line[:1]
        if first == " " or first == "\t":
            if fields is not None and last_tag and (text := line.strip()):
                vals = fields.get(last_tag)
                if vals:
                    vals[-1] += " " + text
                else:
                    fields[last_tag] = [text]
            elif fields is not None and not line.strip():
                # A blank line (made of spaces) ends the record like an empty one.
                yield _close(position, start, fields, bad)
                fields = None
            continue
        if line[4:5] == "-" and (tag := line[:4].rstrip()) and tag.isalnum() and tag.isupper():
            value = line[5:].strip()
        elif not line.strip():
            if fields is not None:
                yield _close(position, start, fields, bad)
                fields = None
                if position % 256 == 0:
                    ctx.tick()
            continue
        else:
            m = _TAG_LINE.match(line)
            if m is None:
                if fields is None:
                    ctx.warn(f"line {lineno}: text outside any MEDLINE record was ignored")
                elif bad is None:
                    bad = (
                        f"line {lineno} is neither a MEDLINE tag line ('XXXX- ') nor a continuation"
                    )
                continue
            tag, value = m.group(1), m.group(2).strip()
        if fields is not None and tag == "PMID" and "PMID" in fields:
            yield _close(position, start, fields, bad)
            fields = None
        if fields is None:
            position += 1
            fields = {}
            start = lineno
            bad = None
        if value:
            vals = fields.get(tag)
            if vals is None:
                fields[tag] = [value]
            else:
                vals.append(value)
        last_tag = tag
    if fields is not None:
        yield _close(position, start, fields, bad)
    ctx.tick()


def _close(
    position: int, start: int, fields: dict[str, list[str]], bad: str | None
) -> TagRecord | RecordProblem:
    if bad is not None:
        return RecordProblem(record=position, line=start, reason=bad)
    return TagRecord(position, start, fields)


def _ids(raw: TagRecord, kind: str) -> list[str]:
    """Values of LID/AID typed like '10.1/x [doi]'."""
    out = []
    for tag in ("LID", "AID"):
        for value in raw.fields.get(tag, ()):
            m = _ID_TYPE.match(value)
            if m and m.group(2).lower() == kind:
                out.append(m.group(1))
    return out


def to_record(raw: TagRecord) -> ParsedRecord:
    """Map one MEDLINE record to a ParsedRecord."""
    f = raw.fields
    pmid = clean_pmid(raw.first("PMID"))
    title = clean_text(raw.first("TI", "BTI", "VTI", "TT"))
    abstract = clean_block(raw.first("AB"))
    authors = raw.values("FAU") or raw.values("AU")
    authors = authors + raw.values("CN")
    dois = _ids(raw, "doi")
    doi = next((d for d in (normalize_doi(x) for x in dois) if d), None)
    if dois:
        raw.used.update({"LID", "AID"} & f.keys())
    issn = normalize_issn(raw.first("IS"))
    keywords = unique(raw.values("OT") + raw.values("MH"))
    pub_types = raw.values("PT")
    record = ParsedRecord(
        position=raw.position,
        line=raw.line,
        source_id=pmid or clean_text(raw.first("PMC")),
        title=title,
        abstract=abstract,
        authors=unique(clean_text(a) or "" for a in authors),
        year=parse_year(raw.first("DP", "DEP", "EDAT")),
        journal=clean_text(raw.first("JT")),
        journal_abbrev=clean_text(raw.first("TA")),
        volume=clean_text(raw.first("VI")),
        issue=clean_text(raw.first("IP")),
        pages=normalize_pages(raw.first("PG")),
        doi=doi,
        pmid=pmid,
        issn=issn,
        url=None,
        language=clean_text(raw.first("LA")),
        pub_type="; ".join(unique(pub_types)) or None,
        keywords=keywords,
    )
    record.extra = raw.extra()
    return record


def parse(lines: Iterable[str], ctx: Context) -> Iterator[Item]:
    """Records and problems of a MEDLINE file, in file order."""
    for raw in tokenize(lines, ctx):
        if isinstance(raw, RecordProblem):
            yield raw
        else:
            yield to_record(raw)
