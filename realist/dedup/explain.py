"""A score and a one-sentence reason for each pair, from its field comparison."""

from __future__ import annotations

from realist.dedup.scoring import Comparison

__all__ = ["reason_for", "score_of"]

# Weight of each field in the summary score: identifiers and titles say most.
_WEIGHTS = {
    "doi": 3.0,
    "pmid": 3.0,
    "title": 3.0,
    "first_author": 1.0,
    "authors": 1.0,
    "year": 1.0,
    "journal": 0.5,
    "volume": 0.5,
    "pages": 1.0,
    "abstract": 1.0,
}

_RULES = {
    "identifier": "shared identifier",
    "bibliographic": "same title, first author and year",
    "abstract": "same title and abstract",
    "venue": "same authors, year, volume and pages with a close title",
    "translation": "same authors, year, volume and page range (title in another language)",
    "supplement": "same title, authors and issue; pages given as differing abstract locators",
    "title": "close title",
}


def score_of(c: Comparison) -> float:
    """Weighted mean of the similarities both records have, in 0..1 (for ordering pairs)."""
    evidence = c.evidence()
    num = den = 0.0
    for name, weight in _WEIGHTS.items():
        if name in evidence:
            num += weight * evidence[name]
            den += weight
    if c.markers_differ or c.numbers_differ:
        num *= 0.8
    return round(num / den, 3) if den else 0.0


def reason_for(c: Comparison, rule: str) -> str:
    """One sentence: what matched, how strongly, and what differs."""
    parts: list[str] = []
    for name, label in (("doi", "DOI"), ("pmid", "PMID")):
        value = getattr(c, name)
        if value == 1.0:
            parts.append(f"same {label}")
        elif value == 0.0:
            parts.append(f"different {label}s")
    parts.append(f"title {c.title:.2f}")
    if c.title_tokens >= 0.95 and c.title < 0.9:
        parts.append("one title contains the other's words")
    if c.first_author is None:
        parts.append("authors missing")
    elif c.first_author == 1.0:
        parts.append("first author match")
    elif c.first_author >= 0.9:
        parts.append("first author match (initials or name order differ)")
    else:
        parts.append(f"first author {c.first_author:.2f}")
    if c.authors is not None and c.authors < 1.0:
        parts.append(f"authors {c.authors:.2f}")
    if c.year_diff == 0:
        parts.append("same year")
    elif c.year_diff is not None:
        parts.append(f"years {c.year_diff} apart")
    if c.journal is not None:
        parts.append("same journal" if c.journal >= 0.9 else f"journal {c.journal:.2f}")
    if c.volume is not None:
        parts.append("same volume" if c.volume == 1.0 else "different volumes")
    if c.pages is not None:
        if c.pages == 1.0:
            parts.append("same pages")
        elif c.pages >= 0.8:
            parts.append("same first page")
        else:
            parts.append("different pages")
    if c.abstract is not None:
        parts.append("same abstract" if c.abstract >= 0.9 else f"abstract {c.abstract:.2f}")
    if c.markers_differ:
        parts.append("titles mark different kinds of item (erratum, comment, protocol, part...)")
    if c.numbers_differ:
        parts.append("numbers in the titles differ")
    sentence = "; ".join(parts)
    if rule in _RULES:
        sentence += f" ({_RULES[rule]})"
    return sentence
