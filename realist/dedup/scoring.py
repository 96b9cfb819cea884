"""Compare two prepared records field by field, then decide: certain, uncertain or distinct.

The decision is a short list of explicit rules rather than a learned model, so that every merge
can be explained and so that nothing depends on the labelled sets it was checked on.

A pair is *certain* only when the title (or a shared identifier) says "same work" AND the other
fields that both records carry agree AND nothing marks the records as different kinds of item
(erratum, comment, protocol, abstract...). A pair is *uncertain* when it resembles a duplicate
closely enough to ask a reviewer (a close title with compatible authors and years, a shared
identifier, or the same volume and pages) but meets no certain rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from realist.dedup.model import Tier
from realist.dedup.prepare import Prepared
from realist.dedup.similarity import author_similarity, journal_similarity, pages_similarity

__all__ = [
    "CONTAINED",
    "DEFAULT_THRESHOLDS",
    "Comparison",
    "Thresholds",
    "classify",
    "compare",
    "gate_of",
    "hard_contradiction",
]


@dataclass(slots=True)
class Comparison:
    """Field similarities of one pair; None where a record lacks the field."""

    doi: float | None
    pmid: float | None
    title: float
    title_tokens: float
    first_author: float | None
    authors: float | None
    year_diff: int | None
    journal: float | None
    volume: float | None
    issue: float | None
    pages: float | None
    abstract: float | None
    markers_differ: bool
    numbers_differ: bool
    pages_full: bool  # both give the same multi-page range, first and last page
    pages_locator: bool  # a first page is a letter-prefixed locator ("e3", "S27", "A606")
    pages_ranges: bool  # both records give a page range, not a single page
    generic_title: bool  # a title too short or stock to identify a work on its own
    venue_absent: bool  # neither record gives a volume or pages (proceedings, theses...)

    def evidence(self) -> dict[str, float]:
        """Present similarities by field name, for display and audit."""
        out: dict[str, float] = {}
        for name in (
            "doi",
            "pmid",
            "title",
            "first_author",
            "authors",
            "journal",
            "volume",
            "issue",
            "pages",
            "abstract",
        ):
            value = getattr(self, name)
            if value is not None:
                out[name] = round(float(value), 3)
        if self.year_diff is not None:
            out["year"] = 1.0 if self.year_diff == 0 else (0.5 if self.year_diff == 1 else 0.0)
        return out


def _eq(a: str | None, b: str | None) -> float | None:
    if a is None or b is None:
        return None
    return 1.0 if a == b else 0.0


def compare(p: Prepared, q: Prepared) -> Comparison:
    """Field-by-field similarity of two records."""
    if p.title and q.title:
        title = Indel.normalized_similarity(p.title, q.title)
        if p.variants or q.variants:
            for x in (p.title, *p.variants):
                for y in (q.title, *q.variants):
                    title = max(title, Indel.normalized_similarity(x, y))
        title_tokens = fuzz.token_set_ratio(p.title, q.title) / 100.0
    else:
        title = title_tokens = 0.0
    doi = _eq(p.doi, q.doi)
    pmid = _eq(p.pmid, q.pmid)
    year_diff = abs(p.year - q.year) if p.year is not None and q.year is not None else None
    volume = _eq(p.volume, q.volume)
    pages: float | None = None
    if p.pages is not None and q.pages is not None:
        pages = pages_similarity(p.pages, q.pages)
    pa, qa = p.authors, q.authors
    if pa and qa:
        first, authors = author_similarity(pa, qa)
        first_author: float | None = first
        authors_sim: float | None = authors
    else:
        first_author = authors_sim = None
    journal: float | None = None
    if p.journals and q.journals:
        journal = max(journal_similarity(x, y) for x in p.journals for y in q.journals)
    abstract: float | None = None
    if p.abstract and q.abstract:
        abstract = Indel.normalized_similarity(p.abstract, q.abstract)
    return Comparison(
        doi=doi,
        pmid=pmid,
        title=title,
        title_tokens=title_tokens,
        first_author=first_author,
        authors=authors_sim,
        year_diff=year_diff,
        journal=journal,
        volume=volume,
        issue=_eq(p.issue, q.issue),
        pages=pages,
        abstract=abstract,
        markers_differ=p.markers != q.markers,
        numbers_differ=p.numbers != q.numbers,
        pages_full=(
            p.pages is not None
            and q.pages is not None
            and p.pages.end is not None
            and (p.pages.start, p.pages.end) == (q.pages.start, q.pages.end)
        ),
        pages_locator=any(x is not None and x.start[:1].isalpha() for x in (p.pages, q.pages)),
        venue_absent=p.volume is None and q.volume is None and p.pages is None and q.pages is None,
        pages_ranges=(
            p.pages is not None
            and q.pages is not None
            and p.pages.end is not None
            and q.pages.end is not None
        ),
        generic_title=p.generic or q.generic,
    )


CONTAINED = 0.95  # token-set similarity at which one title holds all the other's words


# --------------------------------------------------------------------------- decision


@dataclass(frozen=True)
class Thresholds:
    """Similarity thresholds of the decision rules.

    Title similarity is rapidfuzz's normalised Indel similarity (1 - insertions and deletions over
    total length) on folded titles: 0.95 leaves room for a typo or a dropped word in a long title,
    not for another title. The defaults are round values chosen from what the fields mean, not
    fitted to a labelled set; `bench/dedup.py --sweep` shows how accuracy moves around them.
    """

    title_same: float = 0.95  # "same title" for the bibliographic and supplement rules
    title_close: float = 0.80  # close title, when volume, pages, year and authors agree
    author_same: float = 0.90  # same first author / same author list
    queue_title: float = 0.85  # close enough to ask a reviewer
    abstract_same: float = 0.90  # same abstract (first 80 words; typos and markup aside)


DEFAULT_THRESHOLDS = Thresholds()


def gate_of(t: Thresholds) -> float:
    """Title similarity below which only identifiers or a matching venue can save a pair."""
    return min(t.title_same, t.title_close, t.queue_title)


def hard_contradiction(c: Comparison, *, allow_page_clash: bool = False) -> str | None:
    """The first field that rules out an automatic merge, as a phrase; None when there is none."""
    if c.doi == 0.0 and not _same_article_despite_dois(c):
        return "different DOIs"
    if c.pmid == 0.0:
        return "different PMIDs"
    if c.markers_differ:
        return "one title marks an erratum, comment, protocol, abstract or part the other lacks"
    if c.numbers_differ:
        return "numbers in the titles differ"
    if c.volume == 0.0:
        return "different volumes"
    if c.pages is not None and c.pages < 0.8 and not allow_page_clash:
        return "different pages"
    if c.year_diff is not None and c.year_diff > 1:
        return f"years {c.year_diff} apart"
    return None


def _same_article_despite_dois(c: Comparison) -> bool:
    """One article can carry two DOIs (JSTOR's and the publisher's); say so only when everything
    else agrees, down to the full page range."""
    return (
        c.title >= 0.98
        and c.first_author == 1.0
        and _ge(c.authors, 0.9)
        and c.year_diff == 0
        and c.volume == 1.0
        and c.pages_full
        and not c.markers_differ
    )


def _ge(value: float | None, threshold: float) -> bool:
    return value is not None and value >= threshold


def classify(c: Comparison, t: Thresholds = DEFAULT_THRESHOLDS) -> tuple[Tier | None, str]:
    """Tier of a compared pair ("certain", "uncertain" or None for distinct) and the rule name.

    Certain rules (`_certain_rule`) need positive agreement and, except for a shared identifier,
    no hard contradiction (`hard_contradiction`). Uncertain (`_uncertain_rule`): an identifier is
    shared; or the title is close (or one contains the other), the authors and years do not
    clearly differ, and year, volume and pages do not all differ; or the venue matches with the
    same first author.
    """
    rule = _certain_rule(c, t)
    if rule is not None:
        return "certain", rule
    rule = _uncertain_rule(c, t)
    if rule is not None:
        return "uncertain", rule
    return None, ""


def _certain_rule(c: Comparison, t: Thresholds) -> str | None:
    """Name of the first automatic-merge rule the pair meets.

    - identifier: same DOI or PMID, similar title, same kind of item, years at most 1 apart;
    - bibliographic: same title, same first author, same year (one year apart only with the
      same volume or pages: online-first vs print); when the journal names disagree (they often
      do across languages and acronyms), the volume and pages must agree, or neither record has
      any (proceedings); a short or stock title ("Editorial") needs the same volume and pages;
    - abstract: same title and the same abstract (first 80 words), the same first author or
      year, the other not at odds (one year apart needs the same volume and pages), venues not at
      odds;
    - venue: close title (or one title contains the other), same authors, year, volume and
      page range: subtitles dropped, titles cut short (without authors or year on one side: same
      title and journal instead);
    - translation: same authors, year, volume and full page range, whatever the title language;
    - supplement: same title, authors, journal, volume and issue, where the pages disagree only
      because one is an abstract or e-locator ("e3" vs "e8-e9").
    """
    yd = c.year_diff
    if (
        (c.doi == 1.0 or c.pmid == 1.0)
        and not c.markers_differ
        and (c.title >= 0.9 or c.title_tokens >= CONTAINED)
        and (yd is None or yd <= 1)
    ):
        return "identifier"
    hard = hard_contradiction(c)
    if hard is not None:
        if hard == "different pages" and _supplement_pages(c, t):
            return "supplement"
        return None
    same_place = c.volume == 1.0 and _ge(c.pages, 0.9)
    # Venue names disagree across languages and acronyms, so a low journal similarity is not a
    # contradiction; but then the volume and pages must agree, or neither record may have any
    # (a conference paper and its journal version share title, authors and often the abstract).
    journal_ok = c.journal is None or c.journal >= 0.5 or same_place or c.venue_absent
    if (
        c.title >= t.title_same
        and _ge(c.first_author, t.author_same)
        and (same_place or not c.generic_title)
    ):
        if yd is None:
            year_ok = _ge(c.journal, 0.8) and (c.volume == 1.0 or _ge(c.pages, 0.9))
        else:
            year_ok = yd == 0 or (yd == 1 and (c.volume == 1.0 or _ge(c.pages, 0.9)))
        if year_ok and journal_ok:
            return "bibliographic"
    # Recurring sections ("Case reports from the world literature") repeat title and boilerplate
    # abstract issue after issue: the abstract rule also wants the same first author or year.
    if (
        c.title >= t.title_same
        and _ge(c.abstract, t.abstract_same)
        and (c.first_author is None or c.first_author >= 0.8)
        and (_ge(c.first_author, 0.8) or yd == 0)
        and (yd is None or yd == 0 or (yd == 1 and same_place))
        and journal_ok
    ):
        return "abstract"
    anonymous = c.first_author is None and c.title >= t.title_same and _ge(c.journal, 0.8)
    # Several abstracts or letters can share one page: the venue rules want page ranges.
    if same_place and c.pages_ranges and (yd == 0 or (yd is None and anonymous)):
        close = c.title >= t.title_close or c.title_tokens >= CONTAINED
        same_people = _ge(c.first_author, 0.8) and _ge(c.authors, 0.8)
        if close and (same_people or anonymous):
            return "venue"
    if (
        yd == 0
        and same_place
        and c.pages_full
        and _ge(c.first_author, t.author_same)
        and _ge(c.authors, t.author_same)
    ):
        return "translation"
    return None


def _supplement_pages(c: Comparison, t: Thresholds) -> bool:
    """Same title, authors, journal, volume and issue; the pages clash only as locators."""
    return (
        c.pages_locator
        and hard_contradiction(c, allow_page_clash=True) is None
        and c.title >= t.title_same
        and c.first_author == 1.0
        and _ge(c.authors, 0.95)
        and c.year_diff == 0
        and _ge(c.journal, 0.9)
        and c.volume == 1.0
        and c.issue == 1.0
    )


def _uncertain_rule(c: Comparison, t: Thresholds) -> str | None:
    """Name of the rule that sends the pair to a reviewer, or None (distinct)."""
    if c.doi == 1.0 or c.pmid == 1.0:
        return "identifier"
    # Another year, another volume and other pages: another publication (an abstract and the
    # paper that followed, a series), not worth a reviewer's time.
    if (
        c.year_diff is not None
        and c.year_diff >= 1
        and c.volume == 0.0
        and c.pages is not None
        and c.pages < 0.8
    ):
        return None
    authors_compatible = c.first_author is None or c.first_author >= 0.7 or _ge(c.authors, 0.5)
    years_compatible = c.year_diff is None or c.year_diff <= 2
    close = c.title >= t.queue_title or c.title_tokens >= CONTAINED
    if close and authors_compatible and years_compatible:
        return "title"
    if (
        c.year_diff == 0
        and c.volume == 1.0
        and _ge(c.pages, 0.8)
        and _ge(c.first_author, t.author_same)
    ):
        return "venue"
    return None
