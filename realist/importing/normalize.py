"""Small field cleaners shared by every format: DOI, year, pages, authors, keywords, ISSN."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable
from datetime import date
from urllib.parse import unquote

_WS = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")
_DOI_PREFIX = re.compile(
    r"^(?:doi\s*:?\s*|https?://(?:dx\.|www\.)?doi\.org/|(?:dx\.)?doi\.org/)+", re.IGNORECASE
)
_DOI_IN_TEXT = re.compile(r"\b10\.\d{3,9}/[^\s\"<>&?#]+")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_PMID_IN_TEXT = re.compile(r"\b(?:PMID|PUBMED(?:\s+ID)?)\s*[:=]?\s*(\d{1,9})\b", re.IGNORECASE)
_ISSN = re.compile(r"\b(\d{4})-?(\d{3}[\dXx])\b")
_PAGE_RANGE = re.compile(r"^\s*([A-Za-z]*)(\d+)\s*[-\u2010-\u2015\u2212]+\s*([A-Za-z]*)(\d+)\s*$")
_DASHES = re.compile(r"\s*(?:--|[\u2010-\u2015\u2212])\s*")
_NULL_NAME_PART = re.compile(r",\s*(?:null|none|nan)$", re.IGNORECASE)
_TRAILING_ID = re.compile(r"\s*\(\d{5,}\)\s*$")
_PUBMED_AUTHOR_LIST = re.compile(r"^[^,.;]+ [A-Z]{1,4}(?:, [^,.;]+ [A-Z]{1,4})+\.$")
_NULLISH = frozenset({"", "nan", "none", "null", "na", "n/a", "#n/a", "undefined"})
_MAX_YEAR = date.today().year + 5


def clean_text(value: str | None) -> str | None:
    """Collapse all whitespace runs to one space; None when nothing is left."""
    if value is None:
        return None
    if "  " not in value and "\n" not in value and "\t" not in value and "\r" not in value:
        return value.strip() or None
    # str.split() without arguments splits on every Unicode space and is much faster than a regex.
    text = " ".join(value.split())
    return text or None


def clean_block(value: str | None) -> str | None:
    """Tidy a long text (abstract): keep line breaks, collapse spaces and extra blank lines."""
    if value is None:
        return None
    if "\n" not in value and "\r" not in value:
        return clean_text(value)
    lines = [" ".join(ln.split()) for ln in value.replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines).strip()
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text or None


def is_nullish(value: str) -> bool:
    """True for the placeholders spreadsheets and data frames write for missing values."""
    return value.strip().lower() in _NULLISH


def unique(values: Iterable[str]) -> list[str]:
    """The non-empty values in order, first occurrence kept."""
    out = list(dict.fromkeys(v.strip() for v in values))
    if out and not all(out):
        out = [v for v in out if v]
    return out


def normalize_doi(value: str | None) -> str | None:
    """'https://doi.org/10.1000/ABC.' -> '10.1000/abc'; None when the value is not a DOI."""
    if not value:
        return None
    text = value.strip()
    if "%2f" in text.lower():
        text = unquote(text)
    text = _DOI_PREFIX.sub("", text).strip()
    # Several DOIs in one field ("10.1/a; 10.1/b" or "10.1/a 10.1/b"): keep the first.
    text = re.split(r"[\s;,|]+", text, maxsplit=1)[0] if text else text
    text = text.rstrip(".,;").strip()
    if text.lower().endswith("[doi]"):
        text = text[:-5].strip()
    if not text.startswith("10."):
        return None
    return text.lower()


def find_doi(value: str | None) -> str | None:
    """The first DOI inside free text or a URL ('http://dx.doi.org/10.1/x', 'doi:10.1/x')."""
    if not value:
        return None
    text = unquote(value) if "%2f" in value.lower() else value
    m = _DOI_IN_TEXT.search(text)
    return normalize_doi(m.group(0)) if m else None


def find_pmid(value: str | None) -> str | None:
    """A PubMed id written as 'PMID: 123' or 'PUBMED 123' inside a note."""
    if not value:
        return None
    m = _PMID_IN_TEXT.search(value)
    return m.group(1) if m else None


def clean_pmid(value: str | None) -> str | None:
    """Digits only ('PMID: 123' -> '123'); None when there is no plausible PMID."""
    if not value:
        return None
    m = re.search(r"\d{1,9}", value)
    if not m or m.group(0).strip("0") == "":
        return None
    return m.group(0).lstrip("0")


def parse_year(value: str | None) -> int | None:
    """The first plausible year in '2019///', '2019/05/01', '4/3/2024', '2018 Apr'."""
    if not value:
        return None
    for m in _YEAR.finditer(value):
        year = int(m.group(1))
        if 1400 <= year <= _MAX_YEAR:
            return year
    return None


def normalize_pages(value: str | None) -> str | None:
    """'283--98' -> '283-298'; other page strings are returned tidied but as given."""
    text = clean_text(value)
    if text is None:
        return None
    m = _PAGE_RANGE.match(text)
    if not m:
        return _DASHES.sub("-", text)
    p1, start, p2, end = m.groups()
    if len(end) < len(start) and int(end) < int(start):
        # PubMed abbreviates the end page: 283-98 means 283-298.
        end = start[: len(start) - len(end)] + end
    return f"{p1}{start}-{p2 or ''}{end}"


def join_pages(start: str | None, end: str | None) -> str | None:
    """Start and end page as one range; a start that is already a range is kept."""
    s = clean_text(start)
    e = clean_text(end)
    if s and e and not _DASHES.search(s) and "-" not in s and s != e:
        return normalize_pages(f"{s}-{e}")
    if s:
        return normalize_pages(s)
    return None


def normalize_issn(value: str | None) -> str | None:
    """'03064530 (ISSN)' -> '0306-4530'; a value without an ISSN shape is returned tidied."""
    text = clean_text(value)
    if text is None:
        return None
    m = _ISSN.search(text)
    if m:
        return f"{m.group(1)}-{m.group(2).upper()}"
    return text


def _literal_list(value: str) -> list[str] | None:
    """A Python list literal as written by pandas exports ("['a', 'b']")."""
    text = value.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd escapes inside the cell are not our problem
            parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
    if isinstance(parsed, list) and all(isinstance(x, str | int | float) for x in parsed):
        return [str(x) for x in parsed]
    return None


def _tidy_author(name: str) -> str:
    name = clean_text(name) or ""
    if name.endswith(")"):
        name = _TRAILING_ID.sub("", name)  # Scopus "Author full names": "Smith, J (57190394669)"
    if name[-4:].lower() in ("null", "none", ",nan", " nan"):
        name = _NULL_NAME_PART.sub("", name)  # RefWorks: "van den Hoven,null"
    return name.strip(" ,;")


def split_authors(value: str | None) -> list[str]:
    """One string per author from a cell holding a whole author list.

    Handles 'A; B', 'A | B', 'Smith, J. and Doe, K.', 'Yang Z., Jiang B.', a Python list literal,
    and keeps a lone 'Smith, John' whole.
    """
    if not value or not value.strip():
        return []
    listed = _literal_list(value)
    if listed is not None:
        return unique(_tidy_author(a) for a in listed)
    text = _WS.sub(" ", value).strip()
    if _PUBMED_AUTHOR_LIST.match(text):
        text = text[:-1]  # PubMed's CSV ends the list with a full stop: "..., O'Connor RE."
    parts: list[str]
    if ";" in text:
        parts = text.split(";")
    elif "|" in text:
        parts = text.split("|")
    elif re.search(r"\s+and\s+", text) and (
        "," not in text or all("," in p for p in re.split(r"\s+and\s+", text))
    ):
        parts = re.split(r"\s+and\s+", text)
    elif "," in text:
        pieces = [p.strip() for p in text.split(",") if p.strip()]
        if len(pieces) > 1 and all(" " in p for p in pieces):
            parts = pieces  # "Yang Z., Jiang B." / "Griffin DK, Larkin DM"
        elif len(pieces) % 2 == 0 and all(
            re.fullmatch(r"(?:[A-Z][a-z]*\.?[\s-]*)+", pieces[i]) for i in range(1, len(pieces), 2)
        ):
            parts = [f"{pieces[i]}, {pieces[i + 1]}" for i in range(0, len(pieces), 2)]
        else:
            parts = [text]
    else:
        parts = [text]
    return unique(_tidy_author(p) for p in parts)


def split_keywords(value: str | None) -> list[str]:
    """Keywords from one cell: a list literal, or ';'-separated, or ','-separated."""
    if not value or not value.strip():
        return []
    listed = _literal_list(value)
    if listed is not None:
        return unique(clean_text(k) or "" for k in listed)
    text = value.replace("\n", ";") if ";" in value or "\n" in value else value
    sep = ";" if ";" in text else ("|" if "|" in text else ",")
    return unique(clean_text(k) or "" for k in text.split(sep))
