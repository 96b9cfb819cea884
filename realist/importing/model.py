"""What the file parsers return: records, per-record problems and the file-level error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("ris", "medline", "wos", "bibtex", "csv", "tsv", "xlsx")


@dataclass
class ParsedRecord:
    """One bibliographic record read from a file, before it touches the database.

    Field values are cleaned (whitespace collapsed, DOI normalised, year parsed) but otherwise kept
    as the file gives them; anything not mapped to a field is kept in `extra` for provenance.
    """

    position: int
    """1-based index of the record in its file (invalid records count too)."""
    line: int
    """1-based line where the record starts (the row number for XLSX)."""
    source_id: str | None = None
    """The record's id in its file: RIS ID/AN/U1, PMID, BibTeX key, CSV id column, WoS UT."""
    title: str | None = None
    abstract: str | None = None
    authors: list[str] = field(default_factory=list)
    """One string per author, as given ("Smith, J. A." or "Smith JA")."""
    year: int | None = None
    journal: str | None = None
    """Full journal (or container) title where the file has one."""
    journal_abbrev: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    """"123-130": start and end page joined, abbreviated end pages expanded."""
    doi: str | None = None
    """Lower case, without "https://doi.org/" or "doi:"."""
    pmid: str | None = None
    issn: str | None = None
    url: str | None = None
    language: str | None = None
    pub_type: str | None = None
    keywords: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    """Screening labels found in the file, raw key -> raw value (mapped later by the importer)."""
    extra: dict[str, str] = field(default_factory=dict)
    """Unmapped fields (tag or column name -> value), kept for provenance."""


@dataclass
class RecordProblem:
    """Why one record of a file was not imported."""

    record: int
    """1-based position of the record in its file."""
    line: int
    """1-based line where the record starts (row number for XLSX; 0 if unknown)."""
    reason: str

    def __str__(self) -> str:
        where = f"record {self.record}" + (f" (line {self.line})" if self.line else "")
        return f"{where}: {self.reason}"


@dataclass
class ParseResult:
    """Everything read from one file."""

    path: Path
    format: str
    """One of FORMATS."""
    dialect: str | None
    """Best guess of the exporting database or tool ('embase', 'ovid', 'scopus', 'rayyan'...)."""
    encoding: str
    """The text encoding used ('utf-8', 'utf-8-sig', 'gb18030'...; 'xlsx' for workbooks)."""
    records: list[ParsedRecord] = field(default_factory=list)
    skipped: list[RecordProblem] = field(default_factory=list)
    """Invalid records left out (only with skip_invalid=True)."""
    warnings: list[str] = field(default_factory=list)


class ImportFileError(Exception):
    """A file that cannot be imported, with one clear message naming the file and where.

    `record` and `line` are None for file-level problems (unknown format, empty file, encoding).
    `problems` lists every invalid record found when the file was refused because of them.
    """

    def __init__(
        self,
        path: Path | str,
        reason: str,
        *,
        record: int | None = None,
        line: int | None = None,
        problems: list[RecordProblem] | None = None,
    ) -> None:
        self.path = Path(path)
        self.reason = reason
        self.record = record
        self.line = line
        self.problems = list(problems or [])
        super().__init__(self._message())

    def _message(self) -> str:
        where = ""
        if self.record is not None:
            where = f"record {self.record}"
            if self.line:
                where += f" (line {self.line})"
            where += ": "
        elif self.line:
            where = f"line {self.line}: "
        return f"{self.path}: {where}{self.reason}"
