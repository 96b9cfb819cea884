"""Field similarities in 0..1 between two normalised values (rapidfuzz for strings)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz.distance import Indel

from realist.dedup.normalize import Author, PageRange

__all__ = [
    "abbreviates",
    "author_similarity",
    "journal_similarity",
    "pages_similarity",
]


def abbreviates(short: str, full: str) -> bool:
    """True when `short` can stand for `full`: equal, a prefix ("rehabil"), or a contraction
    keeping the first letter and the letters in order ("natl" for "national", "j" for "journal")."""
    if short == full:
        return True
    if not short or not full or short[0] != full[0] or len(short) >= len(full):
        return False
    if full.startswith(short):
        return True
    pos = 0
    for ch in short:
        pos = full.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    # A contraction shorter than 3 letters ("jn") matches too much to mean anything.
    return len(short) >= 3


@lru_cache(maxsize=50_000)
def journal_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Similarity of two journal names given as `journal_tokens` output.

    Full names and ISO/NLM abbreviations meet by aligning words in order, each abbreviated word
    standing for one full word ("J Thorac Cardiovasc Surg" vs "Journal of Thoracic and
    Cardiovascular Surgery" is 1.0). Unaligned words on either side lower the score (Dice over
    aligned words), so "J Clin Oncol" vs "Journal of Oncology" gets 0.8, not a match. Falls back
    to a character-level ratio for spelling variants.
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    aligned = max(_align(a, b), _align(b, a))
    dice = 2.0 * aligned / (len(a) + len(b))
    if dice >= 1.0:
        return 1.0
    ratio = Indel.normalized_similarity(" ".join(a), " ".join(b))
    # One name may be the other plus a subtitle or a translated title ("Stroke; a journal of
    # cerebral circulation"), but "Lancet" and "Lancet Neurology" differ: a contiguous run is
    # good evidence, not proof.
    short, full = (a, b) if len(a) <= len(b) else (b, a)
    contained = 0.8 if _contiguous_in(short, full) else 0.0
    return max(dice, ratio, contained)


def _contiguous_in(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """Whether every word of `short` abbreviates consecutive words of `full`."""
    n = len(short)
    for start in range(len(full) - n + 1):
        if all(abbreviates(short[k], full[start + k]) for k in range(n)):
            return True
    return False


def _align(short: tuple[str, ...], full: tuple[str, ...]) -> int:
    """Longest in-order alignment where each word of `short` abbreviates one word of `full`."""
    n, m = len(short), len(full)
    prev = [0] * (m + 1)
    for i in range(1, n + 1):
        cur = [0] * (m + 1)
        s = short[i - 1]
        for j in range(1, m + 1):
            if abbreviates(s, full[j - 1]):
                cur[j] = prev[j - 1] + 1
            else:
                cur[j] = max(prev[j], cur[j - 1])
        prev = cur
    return prev[m]


def author_similarity(a: Sequence[Author], b: Sequence[Author]) -> tuple[float, float]:
    """(first-author similarity, author-list similarity), both 0..1.

    First author: 1.0 same surname and compatible initials, 0.9 same surname with clashing or
    missing initials, otherwise the surname ratio (typos). List: share of the shorter list whose
    surnames appear in the longer one (lists are truncated differently by databases), with
    near-equal surnames counted.
    """
    if not a or not b:
        return 0.0, 0.0
    fa, fb = a[0], b[0]
    if fa.surname == fb.surname:
        first = 1.0 if _initials_compatible(fa.initials, fb.initials) else 0.9
    else:
        first = Indel.normalized_similarity(fa.surname, fb.surname)
        # Compound surnames cut differently ("gilmartinez" vs "gil"), or name parts swapped
        # ("Si Hyun, Kang" vs "Kang, S. H.").
        if first < 0.9 and (
            (
                min(len(fa.surname), len(fb.surname)) >= 3
                and (fa.surname.startswith(fb.surname) or fb.surname.startswith(fa.surname))
            )
            or fa.surname in fb.words
            or fb.surname in fa.words
        ):
            first = 0.9
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    names = {x.surname for x in long_}
    words: set[str] = set()
    for x in long_:
        words.update(x.words)
    hits = 0.0
    for x in short:
        if x.surname in names:
            hits += 1.0
        elif x.surname in words or any(
            Indel.normalized_similarity(x.surname, y) >= 0.8 for y in names
        ):
            hits += 0.8
    return first, hits / len(short)


def _initials_compatible(x: str, y: str) -> bool:
    if not x or not y:
        return True
    return x.startswith(y) or y.startswith(x)


def pages_similarity(a: PageRange, b: PageRange) -> float:
    """1.0 same first page and no clashing last page; 0.9 same first page, different last page (a
    typo far more often than two items starting on one page); 0.8 when the records list the same
    ranges in another order ("230-5, 246-51" vs "246-51, 230-5") or the same digits with a different
    prefix ("e123" vs "123", an e-locator or supplement page against a page); 0.0 otherwise."""
    if a.start == b.start:
        if a.end and b.end and a.end != b.end:
            return 0.9
        return 1.0
    if (a.others or b.others) and ({a.start} | a.others) & ({b.start} | b.others):
        return 0.8
    if a.start_number == b.start_number:
        return 0.8
    return 0.0
