"""BibTeX/BibLaTeX through bibtexparser v2; its failed blocks become record problems."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from realist.importing.base import Context, Item, words
from realist.importing.labels import labels_from_notes
from realist.importing.model import ParsedRecord, RecordProblem
from realist.importing.normalize import (
    clean_block,
    clean_pmid,
    clean_text,
    normalize_doi,
    normalize_issn,
    normalize_pages,
    parse_year,
    split_keywords,
    unique,
)

_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
# Fields taken into ParsedRecord; everything else (month, publisher, note...) goes to extra.
_CONSUMED = words(
    "title abstract author year journal journaltitle booktitle shortjournal journal-iso "
    "journalabbrev volume number issue pages doi pmid issn url language keywords"
)
_FAILED_REASONS = {
    "DuplicateBlockKeyBlock": "duplicate entry key",
    "DuplicateFieldKeyBlock": "a field appears twice in the entry",
    "ParsingFailedBlock": "BibTeX syntax error",
}


class _Latex:
    """Lazy LaTeX-to-Unicode decoder (pylatexenc comes with bibtexparser)."""

    def __init__(self) -> None:
        self._conv: Any = None

    def __call__(self, text: str) -> str:
        if "\\" not in text and "{" not in text and "~" not in text and "$" not in text:
            return text
        if self._conv is None:
            from pylatexenc.latex2text import LatexNodes2Text  # type: ignore[import-untyped]

            self._conv = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)
        # A bare % starts a LaTeX comment and would swallow the rest of an abstract.
        safe = _UNESCAPED_PERCENT.sub(r"\\%", text)
        try:
            return str(self._conv.latex_to_text(safe))
        except Exception:  # pylatexenc raises assorted errors on odd input; keep the raw text
            return text


def _split_authors(value: str) -> list[str]:
    """Split 'A and B' at brace depth 0, so '{Health and Care Dept}' stays one author."""
    parts: list[str] = []
    depth = 0
    last = 0
    i = 0
    while i < len(value):
        c = value[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        elif depth == 0 and c in " \t\n":
            m = _AND.match(value, i)
            if m:
                parts.append(value[last:i])
                last = i = m.end()
                continue
        i += 1
    parts.append(value[last:])
    return [p for p in (x.strip() for x in parts) if p]


def _failed_reason(block: Any) -> str:
    kind = type(block).__name__
    reason = _FAILED_REASONS.get(kind, f"could not be parsed ({kind})")
    error = getattr(block, "error", None)
    detail = str(getattr(error, "abort_reason", "") or error or "").strip()
    detail = detail.splitlines()[0].rstrip(". ") if detail else ""
    if detail and detail not in reason:
        reason += f": {detail}"
    return reason


def parse_text(text: str, ctx: Context) -> Iterator[Item]:
    """Records and problems of a BibTeX text, in file order."""
    import bibtexparser

    # bibtexparser logs every failed block as a warning; we report them as problems instead.
    splitter_log = logging.getLogger("bibtexparser")
    level = splitter_log.level
    splitter_log.setLevel(logging.CRITICAL)
    try:
        library = bibtexparser.parse_string(text)
    finally:
        splitter_log.setLevel(level)
    latex = _Latex()
    position = 0
    for block in library.blocks:
        kind = type(block).__name__
        if kind == "Entry":
            position += 1
            yield _to_record(block, position, latex)
        elif kind in _FAILED_REASONS or "Failed" in kind or "Duplicate" in kind:
            position += 1
            yield RecordProblem(position, (block.start_line or 0) + 1, _failed_reason(block))
    ctx.tick(len(text))


def _to_record(entry: Any, position: int, latex: _Latex) -> ParsedRecord:
    fields: dict[str, str] = {}
    for fld in entry.fields:
        value = fld.value
        if isinstance(value, str) and value.strip():
            fields[str(fld.key).lower()] = value

    def get(*keys: str) -> str | None:
        for key in keys:
            if key in fields:
                return latex(fields[key])
        return None

    authors = [latex(a) for a in _split_authors(fields.get("author", ""))]
    pmid = clean_pmid(get("pmid"))
    if pmid is None and (fields.get("eprinttype", "").lower() == "pubmed"):
        pmid = clean_pmid(get("eprint"))
    # Labels are read from the raw note: LaTeX decoding would eat Rayyan's {"name"=>"..."} braces.
    notes = [fields[k] for k in ("note", "annote", "annotation") if k in fields]
    pages = get("pages")
    record = ParsedRecord(
        position=position,
        line=(entry.start_line or 0) + 1,
        source_id=str(entry.key) or None,
        title=clean_text(get("title")),
        abstract=clean_block(get("abstract")),
        authors=unique(clean_text(a) or "" for a in authors),
        year=parse_year(get("year", "date")),
        journal=clean_text(get("journal", "journaltitle", "booktitle")),
        journal_abbrev=clean_text(get("shortjournal", "journal-iso", "journalabbrev")),
        volume=clean_text(get("volume")),
        issue=clean_text(get("number", "issue")),
        pages=normalize_pages(pages),
        doi=normalize_doi(get("doi")),
        pmid=pmid,
        issn=normalize_issn(get("issn")),
        url=clean_text(get("url")),
        language=clean_text(get("language")),
        pub_type=str(entry.entry_type).lower() or None,
        keywords=split_keywords(get("keywords")),
        labels=labels_from_notes(notes),
    )
    record.extra = {k: v.strip() for k, v in fields.items() if k not in _CONSUMED}
    return record
