"""No input gives a bare traceback: random bytes and damaged fixtures end in a result or a clear
ImportFileError (never the 'internal error' fallback, which would hide a parser bug)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realist.importing import ImportFileError, ParseResult, parse_file

FIX = Path(__file__).parent / "fixtures" / "importing"
FIXTURES = sorted(p for p in FIX.iterdir() if p.is_file() and not p.name.startswith("."))
SUFFIXES = [".ris", ".txt", ".nbib", ".ciw", ".bib", ".csv", ".tsv", ".xlsx", ""]
FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _check(data: bytes, suffix: str, skip_invalid: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        try:
            result = parse_file(path, skip_invalid=skip_invalid)
        except ImportFileError as exc:
            assert not exc.reason.startswith("internal error"), exc.reason
            assert str(path) in str(exc)
            return
        assert isinstance(result, ParseResult)
        assert result.records or result.skipped
        for record in result.records:
            assert record.title or record.abstract or record.doi or record.pmid


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES), skip=st.booleans())
def test_random_bytes(data: bytes, suffix: str, skip: bool) -> None:
    _check(data, suffix, skip)


# Text built from the pieces parsers care about, so the fuzzing reaches past format detection.
_PIECES = [
    "TY  - JOUR\n",
    "ER  - \n",
    "TI  - A title\n",
    "AB  - text\n",
    "AU  - Smith, J\n",
    "PMID- 123\n",
    "FAU - Doe, Jane\n",
    "      continued\n",
    "PT J\n",
    "ER\n",
    "EF\n",
    "FN Clarivate\n",
    "@article{k,\n",
    "title = {x},\n",
    "}\n",
    "title,abstract,doi\n",
    '"quoted, cell\n',
    'x,"y"\n',
    "a;b;c\n",
    "\t",
    "\n",
    "\ufeff",
    "é",
    "-",
    " ",
    "{",
    '"',
    "DO  - 10.1/x\n",
    "PY  - 2019///\n",
    "1.\n",
    "KW  - a\nb\n",
    "N1  - RAYYAN-INCLUSION: {\n",
]


@FUZZ
@given(
    parts=st.lists(st.sampled_from(_PIECES), max_size=60),
    suffix=st.sampled_from(SUFFIXES),
    skip=st.booleans(),
)
def test_structured_garbage(parts: list[str], suffix: str, skip: bool) -> None:
    _check("".join(parts).encode("utf-8"), suffix, skip)


@FUZZ
@given(
    index=st.integers(min_value=0, max_value=len(FIXTURES) - 1),
    cuts=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 40), st.binary(max_size=12)), max_size=4
    ),
    skip=st.booleans(),
)
def test_mutated_fixtures(index: int, cuts: list[tuple[float, int, bytes]], skip: bool) -> None:
    path = FIXTURES[index]
    data = bytearray(path.read_bytes())
    for where, length, insert in cuts:
        at = int(where * len(data))
        data[at : at + length] = insert
    _check(bytes(data), path.suffix, skip)
