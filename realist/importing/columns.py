"""Column names of CSV/TSV/XLSX exports: the alias table and the per-file column plan.

Names are compared case-insensitively after trimming and turning '_' into spaces, so
'Article Title', 'article_title' and ' ARTICLE TITLE ' are the same column. Each field lists its
aliases in priority order: the first alias present in the header wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def _names(text: str) -> tuple[str, ...]:
    """'a | b | c' -> ('a', 'b', 'c'): keeps the long alias table readable."""
    return tuple(n.strip() for n in text.split("|"))


ALIASES: dict[str, tuple[str, ...]] = {
    "title": _names(
        "title | primary title | article title | document title | title primary | titles | "
        "paper title | ti | t1 | original title | display name | "
        "titel | titre | título | titolo"
    ),
    "abstract": _names(
        "abstract | abstract note | abstracts | abstract text | ab | n2 | original abstract | "
        "summary | zusammenfassung | résumé | resumen | samenvatting | riassunto"
    ),
    "authors": _names(
        "authors | author | author names | author(s) | author/s | authors, primary | "
        "authors primary | first authors | author full names | au | a1 | "
        "authorships.author.display name | authorships.raw author name | creators | "
        "autor | autoren | auteur | auteurs | auteur(s) | autores | autori"
    ),
    "year": _names(
        "year | publication year | published year | pub year | year published | py | "
        "publication date | date of publication | date published | pub date | date | "
        "published | dp | y1 | da | jahr | année | año | jaar | anno"
    ),
    "journal": _names(
        "journal | journal title | source title | publication title | periodical full | "
        "journal/book | secondary title | journal name | alternate title3 | publication | "
        "periodical | jf | jo | t2 | jt | so | primary location.source.display name | "
        "host venue.display name | zeitschrift | revue | revista | tijdschrift | rivista | "
        "source"
    ),
    "journal_abbrev": _names(
        "journal abbreviation | abbreviated source title | periodical abbrev | "
        "journal abbrev | iso abbreviation | alternate title2 | alternate title1 | j2 | ja | "
        "ji | j9 | ta"
    ),
    "volume": _names("volume | vol | vl | biblio.volume | band | jahrgang"),
    "issue": _names("issue | issue number | number | is | ip | biblio.issue | heft"),
    "pages": _names("pages | page | page range | pagination | pg | seiten"),
    "start_page": _names(
        "start page | first page | page start | beginning page | sp | bp | biblio.first page"
    ),
    "end_page": _names(
        "end page | last page | page end | ending page | ep | other pages | biblio.last page"
    ),
    "article_number": _names("art. no. | article number | ar | article no"),
    "doi": _names("doi | di | do | article doi | ids.doi | doi link"),
    "pmid": _names("pmid | pubmed id | pubmedid | pubmed | medline pmid | pm | ids.pmid"),
    "issn": _names(
        "issn | issns | issn/isbn | eissn | sn | primary location.source.issn l | "
        "primary location.source.issn"
    ),
    "url": _names(
        "url | link | links | full text link | external url | source urls | ur | "
        "primary location.landing page url"
    ),
    "language": _names(
        "language | language of original document | article language | lang | la | sprache"
    ),
    "pub_type": _names(
        "type | publication type | document type | reference type | item type | "
        "type of reference | type of work | doctype | entrytype | dt | pt"
    ),
    "source_id": _names(
        "record id | id | key | reference id | covidence # | lens id | central id | "
        "(internal) id | ut | unique-id | eid | pui | accession number | an"
    ),
}
# Every keyword-like column present contributes (Scopus has author and index keywords).
KEYWORD_COLUMNS = _names(
    "keywords | author keywords | index keywords | kw | de | manual tags | automatic tags | "
    "mesh terms | subjects | keywords.display name | keywords plus | schlagwörter | mots-clés"
)
# Screening decisions of ASReview, Rayyan, Covidence, EPPI, abstrackr and friends.
LABEL_COLUMNS = _names(
    "included | label included | final included | label abstract included | "
    "label title abstract included | label | labels | asreview label | decision | "
    "screening decision | consensus | inclusion | inclusion decision | included/excluded | "
    "exclusion reason | exclusion reasons | tags"
)
NOTE_COLUMNS = _names("notes | note | research notes | user notes")

# Web of Science tab-delimited exports use the two-letter tags as column names; 'ID' there is
# Keywords Plus, not an identifier.
WOS_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("ti",), "abstract": ("ab",), "authors": ("af", "au"), "year": ("py", "ea"),
    "journal": ("so",), "journal_abbrev": ("ji", "j9"), "volume": ("vl",), "issue": ("is",),
    "pages": (), "start_page": ("bp",), "end_page": ("ep",), "article_number": ("ar",),
    "doi": ("di",), "pmid": ("pm",), "issn": ("sn", "ei"), "url": (), "language": ("la",),
    "pub_type": ("dt", "pt"), "source_id": ("ut",),
}  # fmt: skip
WOS_KEYWORDS = ("de", "id")

_CORE = frozenset(("title", "abstract", "doi", "pmid", "authors", "journal", "year"))
ALL_ALIASES: frozenset[str] = (
    frozenset(a for names in ALIASES.values() for a in names)
    | frozenset(KEYWORD_COLUMNS)
    | frozenset(LABEL_COLUMNS)
    | frozenset(NOTE_COLUMNS)
)
_CORE_ALIASES = frozenset(a for k in _CORE for a in ALIASES[k])
_KEY_ALIASES = frozenset(a for k in ("title", "abstract", "doi", "pmid") for a in ALIASES[k])
_SPACES = re.compile(r"[\s_]+")


def norm_header(name: object) -> str:
    """'  Article_Title ' -> 'article title'."""
    text = "" if name is None else str(name)
    text = text.replace("\ufeff", "").strip().strip('"').strip()
    return _SPACES.sub(" ", text).lower()


def header_score(cells: list[str]) -> int:
    """How much a row looks like a header: known column names, with at least one core field."""
    names = [norm_header(c) for c in cells]
    if not any(n in _CORE_ALIASES for n in names):
        return 0
    return sum(1 for n in names if n in ALL_ALIASES)


def header_rank(cells: list[str], index: int) -> int:
    """header_score() when the row can be the header, else 0.

    Two known column names make a header anywhere in the search window; one is enough on the
    first row if it names a title, abstract, DOI or PMID column, or if the row has at most two
    cells ('title,year').
    """
    score = header_score(cells)
    if score >= 2:
        return score
    if score == 1:
        filled = sum(1 for c in cells if str(c).strip())
        names = {norm_header(c) for c in cells}
        if filled <= 2 or (index == 0 and names & _KEY_ALIASES):
            return 1
    return 0


def is_wos_header(names: list[str]) -> bool:
    """True for Web of Science tab-delimited headers ('PT AU BA ... UT')."""
    s = set(names)
    return {"pt", "ti", "so", "ut"} <= s


@dataclass
class ColumnPlan:
    """Which column feeds which field, decided once per file from its header."""

    header: list[str]
    names: list[str]
    fields: dict[str, list[int]] = field(default_factory=dict)
    keywords: list[int] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    notes: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    extra_keys: dict[int, str] = field(default_factory=dict)
    dialect: str | None = None

    @classmethod
    def from_header(cls, header: list[str]) -> ColumnPlan:
        """Map a header row to fields with the alias table (or the WoS tag table)."""
        names = [norm_header(h) for h in header]
        plan = cls(header=[str(h).replace("\ufeff", "").strip() for h in header], names=names)
        plan.dialect = guess_dialect(names)
        wos = plan.dialect == "wos"
        aliases = WOS_ALIASES if wos else ALIASES
        taken: set[int] = set()
        for fname, alias_list in aliases.items():
            cols: list[int] = []
            for alias in alias_list:
                cols.extend(i for i, n in enumerate(names) if n == alias and i not in taken)
            plan.fields[fname] = cols
            taken.update(cols)
        kw_names = WOS_KEYWORDS if wos else KEYWORD_COLUMNS
        plan.keywords = [i for i, n in enumerate(names) if n in kw_names and i not in taken]
        taken.update(plan.keywords)
        plan.labels = [i for i, n in enumerate(names) if n in LABEL_COLUMNS and i not in taken]
        if plan.dialect == "abstrackr":
            plan.labels += _abstrackr_reviewers(names, taken | set(plan.labels))
        taken.update(plan.labels)
        plan.notes = [i for i, n in enumerate(names) if n in NOTE_COLUMNS and i not in taken]
        taken.update(plan.notes)
        plan.extra = [i for i in range(len(names)) if i not in taken and names[i]]
        seen: dict[str, int] = {}
        for i in plan.extra + plan.labels:
            key = plan.header[i]
            seen[key] = seen.get(key, 0) + 1
            plan.extra_keys[i] = key if seen[key] == 1 else f"{key} ({seen[key]})"
        return plan


def _abstrackr_reviewers(names: list[str], taken: set[int]) -> list[int]:
    """abstrackr puts one column per reviewer (named after them) between the 'labeled at' ones."""
    if "consensus" not in names:
        return []
    out = []
    for i in range(names.index("consensus") + 1, len(names)):
        n = names[i]
        if i in taken or n == "labeled at" or "notes" in n or not n:
            continue
        out.append(i)
    return out


def guess_dialect(names: list[str]) -> str | None:
    """Best guess of the tool that wrote a table, from its normalised column names."""
    s = set(names)
    if is_wos_header(names):
        return "wos"
    if "covidence #" in s:
        return "covidence"
    if "(internal) id" in s:
        return "abstrackr"
    if {"key", "pubmed id", "notes"} <= s and "item type" not in s:
        return "rayyan"
    if {"key", "item type"} <= s:
        return "zotero"
    if "eid" in s or "abbreviated source title" in s:
        return "scopus"
    if "pui" in s or any(n.startswith("emtree") for n in s):
        return "embase"
    if "lens id" in s:
        return "lens"
    if "central id" in s:
        return "cochrane"
    if {"pmid", "citation", "first author"} <= s:
        return "pubmed"
    if "ids.openalex" in s or any(n.startswith("primary location.") for n in s):
        return "openalex"
    if {"reference id", "title primary"} <= s:
        return "refworks"
    if "plink" in s:
        return "ebsco"
    if s & {"label included", "included", "asreview ranking", "record id", "final included"}:
        return "asreview"
    if s == {"authors", "title", "publication", "volume", "number", "pages", "year", "publisher"}:
        return "google_scholar"
    return None
