"""Records normalised once, in the shape the blocking and scoring steps read."""

from __future__ import annotations

from collections.abc import Sequence

from realist.dedup.model import DedupRecord
from realist.dedup.normalize import (
    Author,
    PageRange,
    analyse_title,
    fold,
    journal_tokens,
    normalize_doi,
    normalize_issue,
    normalize_pages,
    normalize_pmid,
    normalize_volume,
    normalize_year,
    parse_authors,
)

__all__ = ["PLACEHOLDERS", "Prepared", "prepare"]

# Values exports use for "no value"; they must not match each other.
PLACEHOLDERS = frozenset(
    {
        "unknown",
        "n/a",
        "na",
        "nan",
        "none",
        "null",
        "-",
        "--",
        "?",
        "[s.n.]",
        "s.n.",
        "anonymous",
        "no title",
        "untitled",
        "[no title]",
        "[no title available]",
        "no abstract available",
        "[no abstract available]",
    }
)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in PLACEHOLDERS:
        return None
    return text


def _clean_authors(value: Sequence[str] | str | None) -> Sequence[str] | str | None:
    if value is None or isinstance(value, str):
        return _clean(value)
    return [a for a in value if _clean(a) is not None]


class Prepared:
    """Normalised fields of one record.

    The full author list and the abstract are prepared on first use: only pairs whose titles or
    venues already agree need them, and they are the costliest fields to parse and to hold.
    """

    __slots__ = (
        "_abstract",
        "_abstract_raw",
        "_authors",
        "_authors_raw",
        "batch",
        "doi",
        "first_author",
        "generic",
        "id",
        "issue",
        "journals",
        "markers",
        "numbers",
        "pages",
        "pmid",
        "title",
        "variants",
        "volume",
        "year",
    )

    def __init__(self, record: DedupRecord) -> None:
        info = analyse_title(_clean(record.title))
        self.id = record.id
        self.title = info.title
        self.variants = info.variants  # parts of a bilingual title, usually empty
        self.markers = info.markers
        self.numbers = info.numbers
        self.generic = info.generic
        authors = _clean_authors(record.authors)
        self._authors_raw = authors
        self._authors: tuple[Author, ...] | None = None
        first = parse_authors(authors, limit=1)
        self.first_author: Author | None = first[0] if first else None
        self.year = normalize_year(record.year)
        self.journals: tuple[tuple[str, ...], ...] = tuple(
            t
            for t in (
                journal_tokens(_clean(record.journal)),
                journal_tokens(_clean(record.journal_abbrev)),
            )
            if t
        )
        self.volume = normalize_volume(_clean(record.volume))
        self.issue = normalize_issue(_clean(record.issue))
        pages = normalize_pages(_clean(record.pages))
        # Some exports put the year in the pages field.
        if pages is not None and pages.end is None and pages.start == str(self.year):
            pages = None
        self.pages: PageRange | None = pages
        self.doi = normalize_doi(record.doi)
        self.pmid = normalize_pmid(record.pmid)
        self._abstract_raw = _clean(record.abstract)
        self._abstract: str | None = None
        self.batch = record.batch

    @property
    def abstract(self) -> str:
        """The first 80 words of the abstract, folded ("" when there is none)."""
        if self._abstract is None:
            raw = self._abstract_raw
            self._abstract = " ".join(fold(raw[:1000]).split()[:80]) if raw else ""
        return self._abstract

    @property
    def authors(self) -> tuple[Author, ...]:
        """Parsed authors (first 12)."""
        if self._authors is None:
            self._authors = parse_authors(self._authors_raw)
        return self._authors


def prepare(record: DedupRecord) -> Prepared:
    """Normalise every field of `record`."""
    return Prepared(record)
