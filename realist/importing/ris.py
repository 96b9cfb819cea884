"""RIS in its many dialects (PubMed, Scopus, WoS, Embase, Ovid, EndNote, Zotero, Rayyan...).

A small hand-written tokenizer rather than rispy: it has to report the line of every record and
refuse broken TY/ER structure (rispy silently drops a last record without ER), accept the tag
variants real exporters write ('TY  -  JOUR', 'A1<tab>- ', 'ER  -'), keep tags Ovid writes after
ER, and read EndNote's one-value-per-line continuation of list tags. Tokenizing and mapping
100,000 records takes less CPU time than rispy needs to tokenize them alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from realist.importing.base import Context, Item, TagRecord, words
from realist.importing.labels import labels_from_notes
from realist.importing.model import ParsedRecord, RecordProblem
from realist.importing.normalize import (
    clean_block,
    clean_pmid,
    clean_text,
    find_doi,
    find_pmid,
    join_pages,
    normalize_doi,
    normalize_issn,
    normalize_pages,
    parse_year,
)

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TAGS = frozenset(a + b for a in _UPPER for b in _UPPER + "0123456789")
# Tags of the RIS specification and of common exporters; only these are accepted with the
# non-standard one-space separator ('TI - ...'), so that prose in a continuation line such as
# 'US - based cohort' is not mistaken for a tag.
KNOWN_TAGS = words(
    "TY ER A1 A2 A3 A4 AB AD AN AU BT C1 C2 C3 C4 C5 C6 C7 C8 CA CN CP CT CY DA DB DI DO DP ED "
    "EP ET ID IS J1 J2 JA JF JO KW L1 L2 L3 L4 LA LB LK M1 M2 M3 N1 N2 NV OP PB PG PP PY RI RN "
    "RP SE SN SP ST T1 T2 T3 TA TI TT U1 U2 U3 U4 U5 UR VL VO Y1 Y2"
)
_SLOW_TAG = re.compile(r"\ufeff?([A-Z][A-Z0-9])([ \t]{1,4})-(.*)$")
# Continuation lines of these tags are new values (EndNote writes one keyword/author per line).
_LIST_TAGS = words("AU A1 A2 A3 A4 KW DB SN UR L1 L2 L3 L4 LK")
# Continuation lines of these keep their line break (paragraphs of abstracts and notes).
_TEXT_TAGS = words("AB N1 N2 RN")
_BOOKISH = words("BOOK EBOOK EDBOOK")
_ISSN_SHAPE = re.compile(r"\d{4}-\d{3}[\dX]")
_EID = re.compile(r"[?&]eid=([\w.-]+)")
_PMID_TAGS = ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "N1", "M1", "AN", "U1", "U2", "U3")

# Structural signatures of tools first (they may re-export any database's records), then the
# databases' own tags, then their URLs.
_EPPI_ITEM_ID = re.compile(r"^U1  - \d+\s*$", re.M)
_EPPI_SHORT_TITLE = re.compile(r"^ST  - .+\(\d{4}\)\s*$", re.M)
_DIALECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("rayyan", re.compile(r"^AN  - rayyan-|RAYYAN-INCLUSION", re.M)),
    ("covidence", re.compile(r"^NS  - ", re.M)),
    ("refworks", re.compile(r"^ID  - RefID:", re.M)),
    ("citavi", re.compile(r"^M4  - Citavi", re.M)),
    ("eppi", re.compile(r"^KW  - eppi-reviewer", re.M | re.I)),
    ("cochrane", re.compile(r"^AN  -\s+CN-\d", re.M)),
    ("wos", re.compile(r"^AN  - WOS:|Web of Science Core Collection", re.M)),
    ("ovid", re.compile(r"ovidsp\.|^DB  - .*<[^>]*>\s*$", re.M)),
    ("embase", re.compile(r"^DB  - Embase|^U2  - L\d{6,}\s*$", re.M)),
    ("scopus", re.compile(r"^DB  - Scopus|scopus\.com/", re.M)),
    ("proquest", re.compile(r"^DB  - ProQuest|proquest\.com/", re.M)),
    ("ebsco", re.compile(r"^DP  - EBSCO|ebscohost\.com/", re.M)),
    ("pubmed", re.compile(r"^DP  - NLM\s*$", re.M)),
    ("lens", re.compile(r"^ID  - \d{3}-\d{3}-\d{3}-\d{3}-\d{3}\s*$", re.M)),
    ("openalex", re.compile(r"openalex\.org/W", re.I)),
)


def guess_dialect(head: str) -> str | None:
    """Best guess of the database or tool that wrote a RIS file, from its first records."""
    for name, pattern in _DIALECTS:
        if pattern.search(head):
            return name
        if name == "eppi" and _EPPI_ITEM_ID.search(head) and _EPPI_SHORT_TITLE.search(head):
            return name  # EPPI-Reviewer item ids in U1 and 'Author (Year)' short titles
    return None


def _problem(position: int, line: int, reason: str) -> RecordProblem:
    return RecordProblem(record=position, line=line, reason=reason)


def _add(fields: dict[str, list[str]], tag: str, value: str) -> None:
    if value:
        vals = fields.get(tag)
        if vals is None:
            fields[tag] = [value]
        else:
            vals.append(value)


def _continue(fields: dict[str, list[str]], tag: str, line: str) -> None:
    text = line.strip()
    vals = fields.get(tag)
    if tag in _LIST_TAGS or not vals:
        fields.setdefault(tag, []).append(text)
    else:
        vals[-1] += ("\n" if tag in _TEXT_TAGS else " ") + text


def tokenize(lines: Iterable[str], ctx: Context) -> Iterator[TagRecord | RecordProblem]:
    """Split RIS lines into records (TY ... ER); broken structure becomes a RecordProblem.

    Lines between records that are not tags (numbering like '1.', 'Record #3 of 18', blank lines)
    are skipped. Tags between an ER and the next TY are trailers of the record before (Ovid
    writes 'NL' after 'ER') unless they end with their own ER: then they are a record without
    TY, which is an error, as is a record without ER.
    """
    position = 0
    fields: dict[str, list[str]] | None = None  # the open record
    start = 0
    last_tag = ""
    pending: TagRecord | None = None  # closed, held back in case trailer tags follow
    trailer: dict[str, list[str]] | None = None  # tags seen outside any record
    trailer_line = 0
    trailer_first = ""
    trailer_count = 0
    first_trailer_line = 0
    tags = _TAGS

    def orphan_problem() -> RecordProblem:
        nonlocal position
        position += 1
        return _problem(
            position,
            trailer_line,
            f"tag {trailer_first} outside a record: a record must start with TY and end with ER",
        )

    def flush() -> Iterator[TagRecord | RecordProblem]:
        """Emit the held record, with trailer tags merged into it (or reported)."""
        nonlocal pending, trailer, trailer_count, first_trailer_line
        if pending is not None:
            if trailer:
                for tag, vals in trailer.items():
                    pending.fields.setdefault(tag, []).extend(vals)
                trailer_count += 1
                first_trailer_line = first_trailer_line or trailer_line
            yield pending
        elif trailer is not None:
            yield orphan_problem()
        pending = None
        trailer = None

    for lineno, line in enumerate(lines, 1):
        if line[2:5] == "  -" and line[:2] in tags:
            tag = line[:2]
            value = line[5:].strip()
            if fields is not None and tag != "ER" and tag != "TY":
                # The common case, kept short: a tag inside an open record.
                if value:
                    vals = fields.get(tag)
                    if vals is None:
                        fields[tag] = [value]
                    else:
                        vals.append(value)
                last_tag = tag
                continue
        else:
            if not line.strip():
                continue
            m = _SLOW_TAG.match(line)
            if m and (m.group(2) != " " or m.group(1) in KNOWN_TAGS):
                tag = m.group(1)
                value = m.group(3).strip()
            else:
                # Non-tag text between records ('2.', 'Link to the Ovid Full Text...') is noise.
                if fields is not None and last_tag:
                    _continue(fields, last_tag, line)
                continue

        if tag == "TY":
            if fields is not None:
                yield _problem(position, start, f"no ER line before the next TY at line {lineno}")
            yield from flush()
            position += 1
            fields = {"TY": [value]} if value else {}
            start = lineno
            last_tag = "TY"
        elif tag == "ER":
            if fields is not None:
                pending = TagRecord(position, start, fields)
                fields = None
                if position % 256 == 0:
                    ctx.tick()
            elif trailer is not None:
                # Tags closed by their own ER: a record whose TY is missing.
                held, pending = pending, None
                if held is not None:
                    yield held
                yield orphan_problem()
                trailer = None
        elif fields is not None:
            if value:
                vals = fields.get(tag)
                if vals is None:
                    fields[tag] = [value]
                else:
                    vals.append(value)
            last_tag = tag
        else:
            if trailer is None:
                trailer = {}
                trailer_line = lineno
                trailer_first = tag
            _add(trailer, tag, value)
            last_tag = tag
    if fields is not None:
        yield _problem(position, start, "no ER line before the end of the file")
    yield from flush()
    if trailer_count:
        ctx.warn(
            f"{trailer_count} record(s) had tags after their ER line (first at line "
            f"{first_trailer_line}); they were kept with that record"
        )
    ctx.tick()


def _names(values: list[str] | None) -> list[str]:
    """Distinct whitespace-tidied values; 'a; b' in one value counts as two."""
    if not values:
        return []
    if any(";" in v for v in values):
        values = [t for t in (p.strip() for v in values for p in v.split(";")) if t]
    return list(dict.fromkeys(values))


def to_record(raw: TagRecord, dialect: str | None) -> ParsedRecord:
    """Map one RIS record's tags to a ParsedRecord (coalescing synonym tags)."""
    f = raw.fields
    used = raw.used
    first = raw.first
    pub_type = clean_text(first("TY"))
    title = clean_text(first("TI", "T1", "CT"))
    if title is None and pub_type in _BOOKISH:
        title = clean_text(first("BT"))
    if title is None:
        title = clean_text(first("ST", "TT"))

    texts = [t for t in (clean_block(v) for v in raw.values("AB", "N2")) if t]
    abstract = (texts[0] if len(texts) == 1 else max(texts, key=len)) if texts else None

    authors = _names(raw.values("AU", "A1"))

    year = None
    for tag in ("PY", "Y1", "DA"):
        vals = f.get(tag)
        if vals:
            year = parse_year(vals[0])
            if year is not None:
                used.add(tag)
                break

    journal = clean_text(first("JF", "JO", "T2"))
    abbrev = clean_text(first("J2", "JA", "J1", "JI", "J9", "NL"))
    if abbrev is None and "JO" in f and "JO" not in used:
        abbrev = clean_text(first("JO"))
    if journal is None:
        journal = abbrev

    start = first("SP")
    end = first("EP")
    pages = join_pages(start, end) if start else None
    if pages is None:
        pages = normalize_pages(first("PG", "C7"))
    if pages is None and end:
        used.discard("EP")

    doi = normalize_doi(first("DO", "DI"))
    if doi is None:
        doi = _doi_elsewhere(f)

    issn = None
    for value in f.get("SN", ()):
        candidate = normalize_issn(value)
        if candidate and _ISSN_SHAPE.fullmatch(candidate):
            issn = candidate
            used.add("SN")
            break

    source_id = clean_text(first("ID", "AN", "U1"))
    if source_id is None and dialect == "embase":
        source_id = clean_text(first("U2"))
    if source_id is None:
        for url in f.get("UR", ()):
            m = _EID.search(url)
            if m:
                source_id = m.group(1)
                break

    notes = f.get("N1")
    labels = labels_from_notes(notes + f.get("RN", [])) if notes else {}
    record = ParsedRecord(
        position=raw.position,
        line=raw.line,
        source_id=source_id,
        title=title,
        abstract=abstract,
        authors=authors,
        year=year,
        journal=journal,
        journal_abbrev=abbrev,
        volume=clean_text(first("VL", "VO")),
        issue=clean_text(first("IS", "CP")),
        pages=pages,
        doi=doi,
        pmid=_pmid(raw, dialect),
        issn=issn,
        url=first("UR"),
        language=clean_text(first("LA")),
        pub_type=pub_type,
        keywords=_names(raw.values("KW")),
        labels=labels,
    )
    record.extra = raw.extra()
    return record


def _doi_elsewhere(f: dict[str, list[str]]) -> str | None:
    """A DOI hidden in a URL or note when the DO tag is missing."""
    for tag in ("M3", "UR", "L1", "L2", "L3", "L4", "LK", "N1"):
        for value in f.get(tag, ()):
            if "doi" in value.lower() or value.startswith("10."):
                doi = find_doi(value)
                if doi:
                    return doi
    return None


def _pmid(raw: TagRecord, dialect: str | None) -> str | None:
    f = raw.fields
    # Where databases put the PubMed id: Embase C5, Scopus C2, PubMed-via-EndNote AN.
    if dialect == "embase" and raw.peek("C5"):
        return clean_pmid(raw.first("C5"))
    if dialect == "scopus" and raw.peek("C2") and (raw.peek("C2") or "").strip().isdigit():
        return clean_pmid(raw.first("C2"))
    an = raw.peek("AN")
    origin = " ".join(f.get("DP", []) + f.get("DB", [])).lower()
    if an and an.strip().isdigit() and ("nlm" in origin or "pubmed" in origin):
        return clean_pmid(an)
    for tag in _PMID_TAGS:
        for value in f.get(tag, ()):
            if "PMID" in value or "PUBMED" in value or "PubMed" in value or "pmid" in value:
                found = find_pmid(value)
                if found:
                    return found
    return None


def parse(lines: Iterable[str], ctx: Context) -> Iterator[Item]:
    """Records and problems of a RIS file, in file order."""
    for raw in tokenize(lines, ctx):
        if isinstance(raw, RecordProblem):
            yield raw
        else:
            yield to_record(raw, ctx.dialect)
