"""File parsers for `realist import`: RIS, MEDLINE, Web of Science, BibTeX, CSV, TSV, XLSX.

Pure parsing, no database: `parse_file(path)` returns a `ParseResult` whose `records` are
`ParsedRecord`s in file order, or raises `ImportFileError` with one clear message naming the
file and, for a malformed record, its number and line.

    from realist.importing import parse_file, ImportFileError
    result = parse_file(Path("embase.ris"), skip_invalid=True)
    result.format, result.dialect, len(result.records), result.skipped
"""

from realist.importing.detect import detect_format
from realist.importing.model import (
    FORMATS,
    ImportFileError,
    ParsedRecord,
    ParseResult,
    RecordProblem,
)
from realist.importing.parse import invalid_reason, parse_file

__all__ = [
    "FORMATS",
    "ImportFileError",
    "ParseResult",
    "ParsedRecord",
    "RecordProblem",
    "detect_format",
    "invalid_reason",
    "parse_file",
]
