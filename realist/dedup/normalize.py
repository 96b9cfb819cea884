"""Field normalisers for de-duplication.

Each function takes the raw value as an import produced it (any database's conventions) and returns
a canonical form, or None/empty when nothing usable is left. They are pure and cheap: the engine
calls them once per record, never per pair.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Author",
    "PageRange",
    "TitleInfo",
    "analyse_title",
    "fold",
    "is_generic",
    "journal_tokens",
    "normalize_doi",
    "normalize_issue",
    "normalize_pages",
    "normalize_pmid",
    "normalize_title",
    "normalize_volume",
    "normalize_year",
    "parse_author",
    "parse_authors",
    "strip_annotations",
    "title_markers",
    "title_numbers",
    "title_variants",
    "wordset",
]

_TAG = re.compile(r"<[^>]{0,200}>")
_DIGITS = re.compile(r"\d+")
_NON_DIGITS = re.compile(r"\D")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2[01]\d\d)(?!\d)")
_PAGES_PREFIX = re.compile(r"^(pp?\.?|pages?)\s*")
_PAGE_COUNT = re.compile(r"\d+\s*(?:p|pp|pages)\.?")
_RANGE_SEP = re.compile(r"[;,+]")
_DASH = re.compile(r"\s*(?:-+|–|—|to)\s*")
_ZEROS = re.compile(r"([a-z]*)0*(\d+)([a-z]?)$")
_PREFIXED = re.compile(r"([a-z]*)(\d+)")
_CAPS = re.compile(r"[A-Z]{1,3}")
_GIVEN_SPLIT = re.compile(r"[\s,]+")
_INITIAL_WORD = re.compile(r"[A-Z]\.?(?:-[A-Z]\.?)?")


def wordset(text: str) -> frozenset[str]:
    """The words of `text` (for constant word lists)."""
    return frozenset(text.split())


# After `fold`, Latin letters are plain ASCII; letters of other scripts (Cyrillic, CJK...) stay
# and count as letters too.
_NON_ALNUM = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower-case ASCII form: HTML entities and tags removed, diacritics stripped."""
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if text.isascii():
        return text.lower()
    # ß, æ, ø, ł... have no decomposition; map the common ones by hand.
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


# Greek letters are spelt out, as most databases do ("β-blockers" = "beta-blockers").
_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "π": "pi",
    "σ": "sigma",
    "τ": "tau",
    "ω": "omega",
    "Α": "alpha",
    "Β": "beta",
    "Γ": "gamma",
    "Δ": "delta",
    "Ω": "omega",
}
_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "ı": "i",
        "’": "'",
        "‘": "'",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        **{k: f" {v} " for k, v in _GREEK.items()},
    }
)


# --------------------------------------------------------------------------- identifiers

_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/\S+")


def normalize_doi(raw: str | None) -> str | None:
    """Canonical DOI: lower case, no resolver prefix, no trailing punctuation.

    Accepts "https://doi.org/10.1000/X.", "doi:10.1000/x", "10.1000/x [doi]" and DOIs embedded in
    longer text; returns None when there is no DOI in it.
    """
    if not raw:
        return None
    text = raw.strip().lower()
    if "%2f" in text:
        text = text.replace("%2f", "/")
    m = _DOI_IN_TEXT.search(text)
    if m is None:
        return None
    doi = m.group(0).removesuffix("[doi]").rstrip(".,;:'\"")
    # A closing bracket ends the DOI only when it closes nothing inside it: "(10.1000/x)"
    # but not "10.1016/0140-6736(92)90001-x" or "...(10)60000-1)".
    while doi and doi[-1] in ")]}" and doi.count(doi[-1]) > doi.count("([{"[")]}".index(doi[-1])]):
        doi = doi[:-1].rstrip(".,;:'\"")
    return doi or None


def normalize_pmid(raw: str | int | None) -> str | None:
    """PubMed id as a string of digits without leading zeros ("PMID: 00123" -> "123")."""
    if raw is None:
        return None
    m = _DIGITS.search(str(raw))
    if m is None:
        return None
    digits = m.group(0).lstrip("0")
    return digits or None


def normalize_year(raw: int | str | None) -> int | None:
    """Four-digit publication year from an int or any string holding one ("2012 Mar" -> 2012)."""
    if raw is None:
        return None
    if isinstance(raw, int):
        return raw if 1000 <= raw <= 2999 else None
    m = _YEAR.search(str(raw))
    return int(m.group(1)) if m else None


def normalize_volume(raw: str | None) -> str | None:
    """Volume as its first number ("18 Suppl 1" -> "18", "vol. 012" -> "12")."""
    if not raw:
        return None
    # A volume without digits ("(Jul)", "Ph.D.") is some other field misplaced: unknown.
    m = _DIGITS.search(str(raw))
    if m is None:
        return None
    return m.group(0).lstrip("0") or "0"


def normalize_issue(raw: str | None) -> str | None:
    """Issue as its first number ("Suppl 2" -> "2", "4-5" -> "4"); None without digits."""
    return normalize_volume(raw)


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class PageRange:
    """Normalised pages: the first page and, when known, the last page, both in full."""

    start: str
    end: str | None = None
    others: frozenset[str] = frozenset()  # first pages of further ranges ("230-5, 246-51")

    @property
    def start_number(self) -> str:
        """The digits of the first page ("e123" -> "123", "S58" -> "58")."""
        if self.start.isdigit():
            return self.start
        return _NON_DIGITS.sub("", self.start) or self.start


_SIMPLE_RANGE = re.compile(r"(\d+)(?:\s*-+\s*(\d+))?")
_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)\b")
_PAGE_TOKEN = re.compile(r"(?<![a-z])[a-z]*\d+[a-z]?")


def normalize_pages(raw: str | None) -> PageRange | None:
    """Parse pages: "123-30" and "123-130" give 123-130, "e123" keeps its prefix, "123" alone.

    Only the first range counts ("106-11; discussion 111"). Leading zeros go; an abbreviated last
    page borrows the leading digits of the first. Returns None when no page number is present.
    """
    if not raw:
        return None
    simple = _SIMPLE_RANGE.fullmatch(str(raw).strip())
    if simple is not None:  # "123-130", "123-30", "123": most records
        first_page = simple.group(1).lstrip("0") or "0"
        end_raw = simple.group(2)
        last_page = _expand_end(first_page, end_raw.lstrip("0") or "0") if end_raw else None
        return PageRange(first_page, None if last_page == first_page else last_page)
    text = fold(str(raw)).strip()
    text = _PAGES_PREFIX.sub("", text)
    # "215 p" is a page count (theses, books); "08-Aug" is a range a spreadsheet turned into a date.
    if _PAGE_COUNT.fullmatch(text) or _MONTH.search(text):
        return None
    ranges = _RANGE_SEP.split(text)
    first = ranges[0]
    others = frozenset(
        _strip_zeros(m.group(0)) for r in ranges[1:] if (m := _PAGE_TOKEN.search(r)) is not None
    )
    parts = [p for p in _DASH.split(first.strip()) if p]
    if not parts:
        return None
    m = _PAGE_TOKEN.search(parts[0].replace(" ", ""))
    if m is None:
        return None
    start = _strip_zeros(m.group(0))
    end: str | None = None
    if len(parts) > 1:
        m2 = _PAGE_TOKEN.search(parts[1].replace(" ", ""))
        if m2 is not None:
            end = _expand_end(start, _strip_zeros(m2.group(0)))
    if end == start:
        end = None
    return PageRange(start, end, others - {start})


def _strip_zeros(token: str) -> str:
    m = _ZEROS.match(token)
    if m is None:
        return token
    return f"{m.group(1)}{m.group(2)}{m.group(3)}"


def _expand_end(start: str, end: str) -> str:
    """ "123"+"30" -> "130"; "e151"+"4" -> "e154"; letters on the end page are dropped when equal."""
    sm = _PREFIXED.match(start)
    em = _PREFIXED.match(end)
    if sm is None or em is None:
        return end
    s_prefix, s_digits = sm.group(1), sm.group(2)
    e_digits = em.group(2)
    if len(e_digits) < len(s_digits):
        e_digits = s_digits[: len(s_digits) - len(e_digits)] + e_digits
    return f"{s_prefix}{e_digits}"


# --------------------------------------------------------------------------- titles

_LANG_TAG = re.compile(
    r"\s*[\[(](?:article in |text in )?(?:chinese|japanese|german|french|spanish|italian|"
    r"russian|portuguese|dutch|polish|korean|czech|hungarian|turkish|swedish|danish|"
    r"norwegian|finnish|greek|hebrew|persian|croatian|serbian|english abstract)"
    r"(?: with english abstract)?[\])]\s*\.?\s*$",
    re.IGNORECASE,
)
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+")


_ORIGINAL_TAG = re.compile(r"<\s*/?\s*original\s*>", re.IGNORECASE)
_VARIANT_SPLIT = re.compile(r"\s*(?:;|\s=\s|\|)\s*")


def strip_annotations(raw: str) -> str:
    """Drop what databases append to a title: "[Erratum appears in ... [corrected]]",
    "[abstract no: 134]", "[Chinese]", also when cut off before the closing bracket. A title wholly
    in brackets (a translation) is kept, and so is a bracket in the middle ("[18F]FDG uptake")."""
    text = raw.strip().strip('"').strip()
    for _ in range(4):
        body = text.rstrip(" .")
        cut = _trailing_bracket(body)
        if cut is None or sum(c.isalnum() for c in body[:cut]) < 12:
            break
        text = body[:cut].rstrip(" .")
    return _LANG_TAG.sub("", text)


def _trailing_bracket(text: str) -> int | None:
    """Index of the "[" opening a bracket group that runs to the end of `text` (or is unclosed)."""
    if "[" not in text:
        return None
    depth = 0
    if text.endswith("]"):
        for i in range(len(text) - 1, -1, -1):
            c = text[i]
            if c == "]":
                depth += 1
            elif c == "[":
                depth -= 1
                if depth == 0:
                    return i
        return None
    # Truncated: the last "[" that is never closed.
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if c == "]":
            depth += 1
        elif c == "[":
            if depth == 0:
                return i
            depth -= 1
    return None


def normalize_title(raw: str | None) -> str:
    """Comparable title: folded, no tags or punctuation, no leading article or annotations.

    A title wholly in square brackets (how MEDLINE marks a translated title) loses the brackets;
    trailing notes such as "[Chinese]" or "[Erratum appears in ...]" go. Returns "" when nothing
    is left.
    """
    if not raw:
        return ""
    text = _ORIGINAL_TAG.sub(" ; ", raw)
    return _normalize_title_text(strip_annotations(text))


def _normalize_title_text(text: str) -> str:
    text = fold(text).strip().strip('"').strip()
    if text.startswith("[") and "]" in text:
        close = text.rfind("]")
        # "[Translated title]" or "[Translated title].": keep the words, drop the marks.
        if not text[close + 1 :].strip(" .").strip():
            text = text[1:close]
    text = _NON_ALNUM.sub(" ", text).strip()
    return _LEADING_ARTICLE.sub("", text)


def title_variants(raw: str | None) -> tuple[str, ...]:
    """Parts of a bilingual or composite title ("Original; Translation", "A = B",
    "Translation <ORIGINAL> Original"), each normalised, when each has at least four words."""
    return analyse_title(raw).variants


# Words that mark a record as something other than the article it resembles. A pair whose
# markers differ is never an automatic merge.
_MARKERS = re.compile(
    "|".join(
        f"(?P<{name}>{pattern})"
        for name, pattern in {
            "erratum": r"\b(?:errat(?:um|a)|corrigend(?:um|a)|corrections? (?:to|of|in|on)\b|"
            r"^correction\b|author correction|publisher correction|notice of correction)",
            "retraction": r"\b(?:retraction|retracted|withdrawn|expression of concern)\b",
            "comment": r"^(?:comment(?:ary)?|reply|response|letter)\b|\bin reply\b|\breply to\b|"
            r"\bresponse to\b|\bcomment(?:ary)? on\b|\bauthors? reply\b|"
            r"\bletter to the editor\b|\bin response\b|\breplies\b",
            "protocol": r"\bprotocol\b|\brationale and design\b|\bdesign and rationale\b|"
            r"\bstudy design\b",
            "abstract": r"\b(?:abstracts?|poster|conference|congress|symposium|meeting)\b",
            "editorial": r"^editorial\b|\beditorial comment\b|\binvited commentary\b",
        }.items()
    )
)
_PART = re.compile(
    r"\b(?:part|phase|section|chapter|volume|vol|issue|series|stage|study)\s+([0-9]+|[ivx]+)\b"
)
_MARKER_TRIGGERS = wordset(
    "erratum errata corrigendum corrigenda correction corrections retraction retracted withdrawn "
    "expression comment commentary reply replies response letter protocol rationale design "
    "abstract abstracts poster conference congress symposium meeting editorial invited"
)
_PART_TRIGGERS = wordset("part phase section chapter volume vol issue series stage study")
_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
}
_NUMBERS = re.compile(r"\d+")
_REPLY = re.compile(r"\s*re\s*:", re.IGNORECASE)


def title_markers(raw: str | None, folded: str) -> frozenset[str]:
    """Kinds of item the title announces (erratum, comment, protocol...) plus its part numbers.

    `folded` is the normalised title. "Re:" is read from the raw title so that "Re-evaluation"
    is not mistaken for it. Part numbers are compared as numbers ("Part II" = "part 2").
    """
    words = set(folded.split())
    marks: set[str] = set()
    # The regexes are slow on long titles; most titles hold none of their trigger words.
    if not words.isdisjoint(_MARKER_TRIGGERS):
        marks.update(m.lastgroup for m in _MARKERS.finditer(folded) if m.lastgroup)
    if raw and _REPLY.match(raw):
        marks.add("comment")
    if not words.isdisjoint(_PART_TRIGGERS):
        for m in _PART.finditer(folded):
            marks.add(f"part {_part_number(m.group(1))}")
    return frozenset(marks)


def _part_number(token: str) -> str:
    return str(_ROMAN[token]) if token in _ROMAN else token.lstrip("0") or "0"


def title_numbers(folded: str) -> frozenset[str]:
    """Numbers written in a title ("phase 2", "12-month", "phase II"), which must agree between
    duplicates; Roman numerals after "part", "phase"... count as their value."""
    found = {n.lstrip("0") or "0" for n in _NUMBERS.findall(folded)}
    if not _PART_TRIGGERS.isdisjoint(folded.split()):
        for m in _PART.finditer(folded):
            found.add(_part_number(m.group(1)))
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class TitleInfo:
    """Everything the engine derives from a raw title, computed in one pass."""

    title: str
    variants: tuple[str, ...]
    markers: frozenset[str]
    numbers: tuple[str, ...]
    generic: bool  # short or stock title ("Editorial", "Stroke rehabilitation"): weak evidence


def analyse_title(raw: str | None) -> TitleInfo:
    """Normalised title, bilingual variants, kind markers and numbers of a raw title."""
    if not raw:
        return TitleInfo("", (), frozenset(), (), True)
    text = _ORIGINAL_TAG.sub(" ; ", raw) if "<" in raw else raw
    stripped = strip_annotations(text)
    title = _normalize_title_text(stripped)
    variants: tuple[str, ...] = ()
    if ";" in stripped or " = " in stripped or "|" in stripped:
        parts = [p for p in _VARIANT_SPLIT.split(stripped) if p.strip()]
        if len(parts) > 1:
            out = (_normalize_title_text(p) for p in parts)
            variants = tuple(p for p in out if len(p.split()) >= 4)
    numbers = tuple(sorted(title_numbers(title)))
    return TitleInfo(title, variants, title_markers(stripped, title), numbers, is_generic(title))


_GENERIC_WORDS = wordset(
    "editorial editorials introduction preface foreword letter letters reply response comment "
    "commentary abstracts abstract index contents news announcement announcements obituary "
    "erratum correction corrections review reviews book books issue editor editors note notes "
    "summary proceedings meeting congress highlights"
)
_FUNCTION_WORDS = wordset("the a an of in on for and or to with by from at as this")


def is_generic(folded: str) -> bool:
    """Whether a normalised title says too little to identify a work on its own: fewer than
    three content words, or only stock words ("letter to the editor", "book reviews")."""
    content = 0
    specific = False
    for w in folded.split():
        if w in _FUNCTION_WORDS:
            continue
        content += 1
        specific = specific or w not in _GENERIC_WORDS
        if content >= 3 and specific:
            return False
    return True


# --------------------------------------------------------------------------- authors


@dataclass(frozen=True, slots=True)
class Author:
    """An author as surname (folded, letters only), initials and every name word.

    `words` (folded words of two letters or more) lets "Kang, Si Hyun" meet "Si Hyun, Kang"
    when a database swapped the name parts.
    """

    surname: str
    initials: str
    words: tuple[str, ...] = ()


_ETAL = re.compile(r"\bet\.?\s*al\.?|\band (?:others|colleagues)\b|\[?\bcollective name\b\]?", re.I)
_NULL = re.compile(r"\b(?:null|none|nan|anonymous|unknown|n/a)\b", re.I)
_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "del",
    "della",
    "di",
    "da",
    "dos",
    "das",
    "du",
    "le",
    "la",
    "el",
    "al",
    "bin",
    "ter",
    "ten",
    "op",
}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "2nd", "3rd"}


def parse_authors(raw: Sequence[str] | str | None, limit: int = 12) -> tuple[Author, ...]:
    """Split and parse an author field in any common style.

    Understands lists, "A and B" (BibTeX), "A; B" (RIS, Scopus), "Smith JA, Jones B" (PubMed,
    Vancouver), "Smith, J., Jones, B." and per-author forms "Smith, J.A.", "Smith JA",
    "J. A. Smith", "SMITH J", "John A. Smith". "et al." is dropped. At most `limit` authors are
    kept: databases truncate long lists differently, so the tail carries little evidence.
    """
    if raw is None:
        return ()
    names = _split_author_field(raw, limit) if isinstance(raw, str) else [str(x) for x in raw]
    authors: list[Author] = []
    for name in names:
        a = parse_author(name)
        if a is not None:
            authors.append(a)
            if len(authors) >= limit:
                break
    return tuple(authors)


_AND_ONLY = re.compile(r"\s+and\s+|\s*&\s*")
_ETAL_HINTS = ("et al", "et. al", "others", "colleagues", "collective")
_NULL_HINTS = ("null", "none", "nan", "anonymous", "unknown", "n/a")


def _has_any(text: str, hints: tuple[str, ...]) -> bool:
    low = text.lower()
    return any(h in low for h in hints)


def _split_author_field(raw: str, limit: int = 12) -> list[str]:
    """Author names in order, at most about `limit` of them (the rest is not split)."""
    text = _ETAL.sub("", raw).strip() if _has_any(raw, _ETAL_HINTS) else raw.strip()
    if not text:
        return []
    # Plain string splits: regexes here cost more than the rest of the record's preparation.
    if ";" in text or "\n" in text:
        parts = text.replace("\n", ";").split(";", limit)[:limit]
        if " and " in text:
            parts = [x for part in parts for x in part.split(" and ")][:limit]
        return [x.strip() for x in parts if x.strip()]
    if " and " in text and "," in text:
        return [x.strip() for x in text.split(" and ", limit)[:limit] if x.strip()]
    if "," not in text:
        return [p for p in _AND_ONLY.split(text, maxsplit=limit)[:limit] if p.strip()]
    cap = 2 * limit + 2
    pieces = [p.strip() for p in text.split(",", cap)[:cap] if p.strip()]
    if len(pieces) == 2 and not _looks_like_vancouver(pieces[0]):
        return [text]  # "Smith, John" is one author
    head = pieces[:6]
    if all(_looks_like_vancouver(p) or " " in p for p in head) and any(
        _looks_like_vancouver(p) for p in head
    ):
        return pieces[:limit]  # "Smith JA, Jones B"
    # "Smith, J., Jones, B." (Scopus): surname and initials alternate.
    out: list[str] = []
    i = 0
    while i < len(pieces) and len(out) < limit:
        if i + 1 < len(pieces) and _looks_like_initials(pieces[i + 1]):
            out.append(f"{pieces[i]}, {pieces[i + 1]}")
            i += 2
        else:
            out.append(pieces[i])
            i += 1
    return out


_INITIALS = re.compile(r"^(?:[A-Z]\.?\s*-?\s*){1,4}$")


def _looks_like_initials(text: str) -> bool:
    return bool(_INITIALS.match(text.strip()))


def _looks_like_vancouver(text: str) -> bool:
    """ "Smith JA", "van der Berg J": surname words then 1-3 capital initials without dots."""
    words = text.split()
    return len(words) >= 2 and bool(_CAPS.fullmatch(words[-1])) and not words[0].isupper()


@lru_cache(maxsize=4096)
def parse_author(name: str) -> Author | None:
    """One author name in any of the supported forms, or None when it holds no letters."""
    if _has_any(name, _ETAL_HINTS):
        name = _ETAL.sub("", name)
    if _has_any(name, _NULL_HINTS):
        name = _NULL.sub("", name)
    name = name.strip().strip(".,;")
    if not name:
        return None
    if "," in name:
        surname_part, _, given = name.partition(",")
        # "Chin, Robert, Jr." keeps "Robert" as the given name
        if "," in given or given[-3:].lower().strip(". ") in _SUFFIXES:
            # "Chin, Robert, Jr." keeps "Robert" as the given name
            words = [w for w in _GIVEN_SPLIT.split(given) if w.lower().strip(".") not in _SUFFIXES]
            given = " ".join(words)
        return _make_author(surname_part, given)
    words = name.split()
    if len(words) == 1:
        return _make_author(words[0], "")
    last = words[-1]
    if last.lower().strip(".") in _SUFFIXES and len(words) > 2:
        words = words[:-1]
        last = words[-1]
    caps = _CAPS.fullmatch(last) is not None
    if caps and not all(w.isupper() for w in words[:-1]):
        return _make_author(" ".join(words[:-1]), last)  # "Smith JA"
    if caps and len(words) == 2:
        return _make_author(words[0], last)  # "SMITH J"
    if all(_INITIAL_WORD.fullmatch(w) for w in words[:-1]):
        return _make_author(last, " ".join(words[:-1]))  # "J. A. Smith"
    # "John A. Smith" / "Daniel Marchi dos Anjos": surname is the last word with its particles.
    i = len(words) - 1
    while i > 1 and words[i - 1].lower() in _PARTICLES:
        i -= 1
    return _make_author(" ".join(words[i:]), " ".join(words[:i]))


def _make_author(surname: str, given: str) -> Author | None:
    sur_words = [w for w in _NON_ALNUM.sub(" ", fold(surname)).split() if w not in _SUFFIXES]
    # "van Heugten", "Heugten, C. van" and "dos Anjos" must meet: particles are not compared.
    core = [w for w in sur_words if w not in _PARTICLES] or sur_words
    sur = "".join(core)
    if not sur:
        return None
    given_words = _NON_ALNUM.sub(" ", fold(given)).split()
    compact = given.replace(".", "").replace(" ", "").replace("-", "")
    if compact.isupper() and len(compact) <= 4:
        initials = "".join(given_words)  # "JA", "J. A.", "J.-A."
    else:
        initials = "".join(w[0] for w in given_words)
    all_words = tuple(w for w in (*sur_words, *given_words) if len(w) > 1)
    return Author(sur, initials[:3], all_words)


# --------------------------------------------------------------------------- journals

_JOURNAL_DROP = {
    "the",
    "and",
    "of",
    "in",
    "for",
    "on",
    "de",
    "la",
    "le",
    "des",
    "du",
    "der",
    "und",
    "fur",
    "et",
    "y",
    "e",
    "a",
    "an",
    "to",
}
_PARENS = re.compile(r"\([^)]*\)")


def journal_tokens(raw: str | None) -> tuple[str, ...]:
    """Journal name as content words: folded, "&" = "and", no parenthesised notes or articles.

    "The Annals of Thoracic Surgery" and "Ann Thorac Surg" give ("annals", "thoracic", "surgery")
    and ("ann", "thorac", "surg"); `journal_similarity` matches one against the other.
    """
    if not raw:
        return ()
    text = fold(raw)
    text = _PARENS.sub(" ", text)
    # "Jpen: Journal of ..." / "Name = Translated name": the first part is the title proper only
    # when the rest repeats it; keep everything, the matcher tolerates extra words.
    text = text.replace("&", " and ")
    words = _NON_ALNUM.sub(" ", text).split()
    return tuple(w for w in words if w not in _JOURNAL_DROP)
