"""Bad input through the real services and the command line: every importer, the decisions
importer and the YAML loader, fed mutated copies of real files and generated text, end in a valid
import or in one clear error, never a traceback, and an error leaves the database byte for byte
as it was (a digest of SQLite's dump before and after)."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realist.cli import cli
from realist.db.store import Store
from realist.errors import RealistError
from realist.paths import BUNDLED_FILES
from realist.services import imports
from realist.services.context import Workspace, resolve_actor, resolve_review_id
from realist.yamlio.writer import dump_review
from tests.conftest import migrated_sqlite
from tests.factories import make_records
from tests.factories_team import setup_review

FIXTURES = Path(__file__).parent / "fixtures"
IMPORT_SUFFIXES = {".ris", ".nbib", ".txt", ".bib", ".csv", ".tsv", ".tab", ".ciw", ".xlsx"}


# --------------------------------------------------------------------------------------------
# Helpers


def digest(db: Path) -> str:
    """Everything the SQLite database holds, as one hash."""
    con = sqlite3.connect(db)
    try:
        return hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()


def mutate(data: bytes, rng: random.Random) -> bytes:
    """A damaged copy: bytes flipped, cut short, lines dropped, doubled, swapped or mangled."""
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(9)
        if op == 0 and data:
            b = bytearray(b"\n".join(lines))
            for _ in range(rng.randint(1, 20)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            lines = bytes(b).split(b"\n")
        elif op == 1 and len(lines) > 1:
            lines = lines[: rng.randrange(1, len(lines))]
        elif op == 2 and lines:
            del lines[rng.randrange(len(lines))]
        elif op == 3 and lines:
            i = rng.randrange(len(lines))
            lines[i:i] = [lines[i]] * rng.randint(1, 3)
        elif op == 4 and len(lines) > 2:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 5 and lines:
            i = rng.randrange(len(lines))
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)] + rng.choice(
                [
                    b"\x00",
                    b"\xff\xfe",
                    b"\xc3",
                    b'"',
                    b"{",
                    b"}",
                    b"\t",
                    b"\r",
                    b"  - ",
                    b": ",
                    b"\xe2\x80\xae",
                    b"'\"<script>",
                    b"&#0;",
                    b"\\u0000",
                    "\U0001f600".encode(),
                ]
            )
        elif op == 6:
            lines.insert(
                rng.randrange(len(lines) + 1), bytes(rng.randrange(256) for _ in range(40))
            )
        elif op == 7 and lines:
            i = rng.randrange(len(lines))
            lines[i] = lines[i] * rng.randint(2, 50)  # a very long line
        elif op == 8 and lines:
            i = rng.randrange(len(lines))
            lines[i] = b" " * rng.randint(1, 8) + lines[i]  # indentation shifted
    return b"\n".join(lines)


def run_cli(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=True)


def assert_clean(result: Result, what: str) -> None:
    """Exit 0, or exit 1 with one message (click's "Error: ..."), never a traceback."""
    assert result.exit_code in (0, 1), f"{what}: exit {result.exit_code}\n{result.output}"
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (
            f"{what}: {type(result.exception).__name__}: {result.exception}"
        )
    assert "Traceback" not in result.output, f"{what}:\n{result.output}"
    if result.exit_code == 1:
        assert "Error: " in result.output, f"{what}:\n{result.output}"


def new_review_db(tmp_path: Path, records: int = 0) -> Path:
    db = tmp_path / "review.db"
    store = migrated_sqlite(db)
    setup_review(store, records=records)
    store.dispose()
    return db


def check_attempts(db: Path, attempts: list[tuple[str, Callable[[], Result]]]) -> dict[str, int]:
    """Run each attempt; errors must leave the database exactly as it was. Returns outcomes."""
    outcome = {"imported": 0, "refused": 0}
    before = digest(db)
    for what, attempt in attempts:
        result = attempt()
        assert_clean(result, what)
        if result.exit_code == 0:
            outcome["imported"] += 1
            before = digest(db)
        else:
            outcome["refused"] += 1
            assert digest(db) == before, f"{what}: refused, but the database changed"
    return outcome


# --------------------------------------------------------------------------------------------
# Importers: mutated copies of the real files


def _import_attempts(
    db: Path, files: list[Path], tmp: Path, seed: int, per_file: int
) -> list[tuple[str, Callable[[], Result]]]:
    rng = random.Random(seed)
    attempts = []
    for f in files:
        data = f.read_bytes()
        for k in range(per_file):
            bad = tmp / f"m{k}-{f.name}"
            bad.write_bytes(mutate(data, rng))
            args = ["--reviewer", "LEAD", "import", str(bad), "--source", "MEDLINE", "--force"]
            if rng.random() < 0.8:
                args.append("--no-dedup")
            if rng.random() < 0.3:
                args.append("--skip-invalid")
            attempts.append((f"{f.name} (mutation {k})", lambda a=args: run_cli(db, *a)))
    return attempts


@pytest.mark.shared
def test_mutated_real_files_import_or_fail_cleanly(shared_data: Path, tmp_path: Path) -> None:
    files = sorted(
        p for p in (shared_data / "formats").rglob("*") if p.suffix.lower() in IMPORT_SUFFIXES
    )
    assert len(files) > 20
    sample = random.Random(8).sample(files, 24)
    db = new_review_db(tmp_path)
    outcome = check_attempts(db, _import_attempts(db, sample, tmp_path, seed=8, per_file=2))
    assert outcome["imported"] and outcome["refused"]  # both paths were exercised


def test_mutated_fixture_files_import_or_fail_cleanly(tmp_path: Path) -> None:
    files = sorted(
        p for p in (FIXTURES / "importing").iterdir() if p.suffix.lower() in IMPORT_SUFFIXES
    )
    db = new_review_db(tmp_path)
    outcome = check_attempts(db, _import_attempts(db, files, tmp_path, seed=9, per_file=1))
    assert outcome["imported"] and outcome["refused"]


# --------------------------------------------------------------------------------------------
# Importers: generated records through the import service

FIELD_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=60)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    titles=st.lists(FIELD_TEXT, min_size=1, max_size=4),
    abstract=FIELD_TEXT,
    year=st.one_of(st.integers(-5, 99999).map(str), FIELD_TEXT),
    fmt=st.sampled_from(["ris", "csv"]),
)
def test_generated_records_through_the_import_service(
    tmp_path_factory: pytest.TempPathFactory,
    titles: list[str],
    abstract: str,
    year: str,
    fmt: str,
) -> None:
    tmp = tmp_path_factory.mktemp("gen")
    db = new_review_db(tmp)
    store = Store(f"sqlite:///{db}")
    ws = Workspace(store, resolve_review_id(store), resolve_actor(store, "LEAD"))
    if fmt == "ris":
        body = "".join(
            f"TY  - JOUR\nTI  - {t}\nAB  - {abstract}\nPY  - {year}\nER  - \n" for t in titles
        )
        path = tmp / "gen.ris"
    else:
        rows = "".join(f'"{t.replace(chr(34), chr(34) * 2)}",{year!r}\n' for t in titles)
        body = "title,year\n" + rows
        path = tmp / "gen.csv"
    path.write_text(body, encoding="utf-8", errors="surrogatepass")
    before = digest(db)
    try:
        summary = imports.import_file(ws, path, source="MEDLINE")
    except RealistError as exc:
        assert path.name in str(exc)
        assert digest(db) == before
    else:
        batch = imports.get_batch(ws, summary.batch_id)
        assert batch.records == summary.records >= 1
    finally:
        store.dispose()


# --------------------------------------------------------------------------------------------
# Decisions from other tools


def test_mutated_decision_files_import_or_fail_cleanly(tmp_path: Path) -> None:
    db = new_review_db(tmp_path, records=30)
    con = sqlite3.connect(db)
    ids = [r[0] for r in con.execute("SELECT source_id FROM records ORDER BY id")]
    con.close()
    generic = tmp_path / "decisions.csv"
    generic.write_text(
        "source_id,decision,reason,note\n"
        + "".join(
            f"{sid},{['include', 'exclude', 'maybe'][i % 3]},,n{i}\n" for i, sid in enumerate(ids)
        ),
        encoding="utf-8",
    )
    sources = [generic, *sorted((FIXTURES / "screening").glob("*.csv"))]
    rng = random.Random(10)
    attempts = []
    for f in sources:
        for k in range(4):
            bad = tmp_path / f"m{k}-{f.name}"
            bad.write_bytes(mutate(f.read_bytes(), rng))
            args = ["import-decisions", str(bad), "--reviewer", "A"]
            if rng.random() < 0.5:
                args.append("--skip-unmatched")
            attempts.append((f"{f.name} (mutation {k})", lambda a=args: run_cli(db, *a)))
    outcome = check_attempts(db, attempts)
    assert outcome["refused"]


# --------------------------------------------------------------------------------------------
# The YAML loader


def test_mutated_yaml_loads_or_fails_cleanly(tmp_path: Path) -> None:
    """The bundled files and a dump with records, mutated, through `realist load`."""
    (tmp_path / "src").mkdir()
    store = Store(f"sqlite:///{new_review_db(tmp_path / 'src')}")
    ws = Workspace(store, resolve_review_id(store), resolve_actor(store, "LEAD"))
    make_records(ws, 5, seed=4)
    dumped = dump_review(store, ws.review_id, tmp_path / "dump")
    store.dispose()
    originals = [*BUNDLED_FILES, *dumped]
    target = tmp_path / "target.db"
    migrated_sqlite(target).dispose()
    assert run_cli(target, "load", *map(str, BUNDLED_FILES)).exit_code == 0
    rng = random.Random(11)
    attempts = []
    for f in originals:
        for k in range(5):
            bad = tmp_path / f"m{k}-{f.name}"
            bad.write_bytes(mutate(f.read_bytes(), rng))
            attempts.append((f"{f.name} (mutation {k})", lambda b=bad: _load_and_name(target, b)))
    outcome = check_attempts(target, attempts)
    assert outcome["refused"] >= len(attempts) // 3


def _load_and_name(db: Path, path: Path) -> Result:
    result = run_cli(db, "load", str(path))
    if result.exit_code == 1:
        assert path.name in result.output, result.output  # the message names the file
    return result


@settings(max_examples=60, deadline=None, database=None)
@given(text=st.text(max_size=400))
def test_generated_yaml_text_never_escapes_as_a_traceback(text: str) -> None:
    import tempfile

    from realist.yamlio.loader import read_documents
    from realist.yamlio.reader import YamlError

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            read_documents([path])
        except YamlError as exc:
            assert str(exc).startswith(str(path))


def test_python_object_tag_refused_through_realist_load(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(
        "schema_version: 1\nkind: review\nreview:\n"
        f"  title: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path ['{marker}']]\n",
        encoding="utf-8",
    )
    db = tmp_path / "r.db"
    migrated_sqlite(db).dispose()
    before = digest(db)
    result = run_cli(db, "load", str(evil))
    assert result.exit_code == 1 and "evil.yaml:4" in result.output
    assert "unsupported tag" in result.output or "python/object" in result.output
    assert not marker.exists()
    assert digest(db) == before
