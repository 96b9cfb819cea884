"""Which format a file is in, from its content; the suffix only breaks ties."""

from __future__ import annotations

import re
from pathlib import Path

from realist.importing import tabular
from realist.importing.model import ImportFileError
from realist.importing.ris import KNOWN_TAGS

_SUFFIX_FORMAT = {
    ".ris": "ris",
    ".nbib": "medline",
    ".medline": "medline",
    ".ciw": "wos",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
}
_RIS_TY = re.compile(r"^\ufeff?TY[ \t]{1,4}-", re.M)
_RIS_TAG = re.compile(r"^\ufeff?([A-Z][A-Z0-9])([ \t]{1,4})-(?:[ \t]|$)", re.M)
_RIS_ER = re.compile(r"^ER[ \t]{1,4}-", re.M)
_MEDLINE_PMID = re.compile(r"^\ufeff?PMID- ?\d", re.M)
_MEDLINE_LONG = re.compile(r"^\ufeff?(?:[A-Z][A-Z0-9]{2} |[A-Z][A-Z0-9]{3})- ", re.M)
_WOS_HEAD = re.compile(r"^\ufeff?(?:FN|VR) \S", re.M)
_WOS_PT = re.compile(r"^\ufeff?PT [A-Z]\s*$", re.M)
_WOS_ER = re.compile(r"^ER\s*$", re.M)
_MEDLINE_LINE = re.compile(r"^\ufeff?[A-Z][A-Z0-9 ]{3}- ")
_BIBTEX = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.M)
_ENDNOTE_TAGGED = re.compile(r"^%[0A-Z] \S", re.M)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def stripped_first_line(text: str) -> str:
    """The first non-blank line of a text, without its line break."""
    for line in text.split("\n", 50):
        if line.strip():
            return line.rstrip("\r")
    return ""


def _refuse(path: Path, reason: str) -> ImportFileError:
    return ImportFileError(path, reason)


def detect_format(path: Path, head: str) -> str:
    """The format of a file ('ris', 'medline', 'wos', 'bibtex', 'csv', 'tsv', 'xlsx').

    `head` is the decoded start of the file (a few KB is enough). Content decides; the suffix
    only breaks ties between formats the content fits equally. Raises ImportFileError for empty,
    binary or unknown content, with what the file seems to be when that is clear.
    """
    if head.startswith("PK\x03\x04"):
        return "xlsx"
    text = head.lstrip("\ufeff")
    if not text.strip():
        raise _refuse(path, "the file is empty")
    sample = text[:8192]
    if len(_CONTROL.findall(sample)) > max(2, len(sample) // 100):
        raise _refuse(path, "this is a binary file, not a text reference export")
    suffix = path.suffix.lower()
    table = tabular.sniff(text, suffix)
    if table is not None and table[1] <= 5 and table[2] >= 2:
        # A clear header near the top: a table, even if a cell quotes RIS or MEDLINE text.
        return "tsv" if table[0] == "\t" else "csv"
    found: list[str] = []
    first_line = stripped_first_line(text)

    if _RIS_TY.search(text):
        tags = _RIS_TAG.findall(text)
        good = [t for t, sep in tags if sep != " " or t in KNOWN_TAGS]
        if len(good) >= 2 or _RIS_ER.search(text):
            found.append("ris")
    if _MEDLINE_LINE.match(first_line) and (
        _MEDLINE_PMID.search(text) or len(_MEDLINE_LONG.findall(text[:20000])) >= 2
    ):
        found.append("medline")
    if (_WOS_HEAD.search(text[:2000]) and _WOS_PT.search(text)) or (
        _WOS_PT.search(text) and _WOS_ER.search(text)
    ):
        found.append("wos")
    if _BIBTEX.search(text):
        found.append("bibtex")
    if len(found) > 1 and _SUFFIX_FORMAT.get(suffix) in found:
        return _SUFFIX_FORMAT[suffix]
    if found:
        return found[0]

    stripped = text.lstrip()
    if table is not None:
        return "tsv" if table[0] == "\t" else "csv"
    if _ENDNOTE_TAGGED.search(text[:4000]):
        raise _refuse(
            path,
            "this looks like EndNote tagged format (.enw), which is not "
            "supported: export the references as RIS instead",
        )
    if stripped.startswith("<"):
        raise _refuse(
            path,
            "this is XML/HTML (e.g. EndNote XML), which is not supported: "
            "export the references as RIS instead",
        )
    if stripped[:1] in "{[":
        raise _refuse(path, "this is JSON, which is not supported: export RIS, BibTeX or CSV")
    raise _refuse(
        path,
        "not a recognised reference format (expected RIS, PubMed MEDLINE, Web of Science, "
        "BibTeX, or a CSV/TSV/XLSX table with a header naming a title, abstract, DOI or PMID "
        "column)",
    )
