"""Crash safety: a reviewer's process killed (SIGKILL) in the middle of an import, a dedup, an
export or a burst of screening decisions loses no committed decision and leaves no half-written
batch, de-duplication or file.

Each test starts a child process (`python -m tests.test_crash ACTION ...`, the driver at the end
of this file, calling the same services as the CLI and the TUI), kills it at a seeded random point
of its work (after the k-th progress report it prints, plus a random pause), then checks the
database: SQLite's integrity check, every batch holding its record_count records, every decision
the child reported committed present, and the state either before or after the action, never in
between.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from realist.db.models import AuditEntry, DuplicatePair, ImportBatch, Record, ScreeningDecision
from realist.db.store import Store
from realist.services.context import Workspace, resolve_actor, resolve_review_id
from tests.factories_team import setup_review

REPO = Path(__file__).resolve().parent.parent
KILLS = 3  # kill points per scenario (seeded)
SLOW_WRITES = float(os.environ.get("REALIST_CRASH_SLOW_WRITES", "0"))


# --------------------------------------------------------------------------------------------
# Test data


def write_ris(path: Path, n: int, seed: int = 0, duplicates: float = 0.1) -> Path:
    """An RIS file of `n` records, a share of them near-duplicates of earlier ones."""
    rng = random.Random(seed)
    words = [
        "equity",
        "quality",
        "improvement",
        "hospital",
        "clinic",
        "outcomes",
        "disparities",
        "care",
        "primary",
        "ethnicity",
        "income",
        "rural",
        "urban",
        "diabetes",
        "hypertension",
        "screening",
        "trial",
    ]
    out = []
    titles: list[str] = []
    for i in range(n):
        if titles and rng.random() < duplicates:
            title = rng.choice(titles).upper()  # same study, other database's casing
        else:
            title = " ".join(rng.choice(words) for _ in range(8)) + f" {i}"
            titles.append(title)
        out.append(
            f"TY  - JOUR\nID  - R{i}\nTI  - {title}\nAU  - Author{rng.randint(1, 500)}, A\n"
            f"PY  - {2000 + i % 24}\nJO  - Journal {i % 7}\nAB  - Abstract of record {i}.\nER  - \n"
        )
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def child(action: str, url: str, *args: str, slow: float = 0.05) -> subprocess.Popen[str]:
    """The driver below as a child process; `slow`: seconds it pauses after each write statement."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "REALIST_CRASH_SLOW_WRITES": str(slow)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.test_crash", action, url, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_after(proc: subprocess.Popen[str], marks: int, pause: float) -> list[str]:
    """Read the child's reports; SIGKILL it after `marks` of them and `pause` seconds more.
    Returns every line it printed (reports are printed only after their work committed)."""
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line.strip())
        if line.startswith("DONE") or len(lines) >= marks:
            break
    time.sleep(pause)
    proc.send_signal(signal.SIGKILL)
    rest, err = proc.communicate(timeout=30)
    lines += [x.strip() for x in rest.splitlines()]
    assert "Traceback" not in err, err
    return lines


def inside_transaction(lines: list[str]) -> list[int]:
    """Kill points (numbers of lines read) that fall inside the write transaction of a reference
    run: after its first write statement was announced, before its commit."""
    first = next(i for i, x in enumerate(lines) if x.startswith("W "))
    commit = next(i for i, x in enumerate(lines) if x == "C" and i > first)
    return list(range(first + 1, commit + 1))


def reference_run(action: str, url: str, *args: str) -> list[str]:
    out, err = child(action, url, *args).communicate(timeout=120)
    assert "DONE" in out, err
    return out.splitlines()


def integrity(url: str) -> None:
    path = url.removeprefix("sqlite:///")
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()


def fresh_review(path: Path, records: int = 0) -> str:
    store = Store(f"sqlite:///{path}")
    setup_review(store, records=records)
    store.dispose()
    return f"sqlite:///{path}"


def copy_db(src: Path, dst: Path) -> str:
    con = sqlite3.connect(src)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    dst.write_bytes(src.read_bytes())
    return f"sqlite:///{dst}"


# --------------------------------------------------------------------------------------------
# Import


def check_batches(url: str) -> int:
    """Every batch holds exactly its record_count records and has its audit entry."""
    store = Store(url)
    with store.read() as s:
        batches = s.execute(select(ImportBatch.id, ImportBatch.record_count)).all()
        for bid, expected in batches:
            n = s.scalar(select(func.count()).where(Record.batch_id == bid))
            assert n == expected, f"batch {bid}: {n} records of {expected}"
        imports = s.scalar(select(func.count()).where(AuditEntry.action.like("import%")))
        assert imports == len(batches)
    store.dispose()
    return len(batches)


def test_kill_during_import_leaves_whole_batches_or_none(tmp_path: Path) -> None:
    ris = write_ris(tmp_path / "search.ris", 3000)
    reference = fresh_review(tmp_path / "reference.db")
    points = inside_transaction(reference_run("import", reference, str(ris)))
    assert check_batches(reference) == 1
    rng = random.Random(1)
    for k in range(KILLS):
        url = fresh_review(tmp_path / f"import-{k}.db")
        # the first kill while parsing, the others inside the write transaction
        marks = rng.randint(1, points[0] - 1) if k == 0 else rng.choice(points)
        kill_after(child("import", url, str(ris)), marks, rng.uniform(0, 0.02))
        integrity(url)
        assert check_batches(url) in (0, 1)


# --------------------------------------------------------------------------------------------
# Dedup


def dedup_state(url: str) -> tuple[Any, ...]:
    store = Store(url)
    with store.read() as s:
        links = tuple(s.execute(select(Record.id, Record.duplicate_of_id).order_by(Record.id)))
        pairs = tuple(
            s.execute(
                select(
                    DuplicatePair.record_a_id, DuplicatePair.record_b_id, DuplicatePair.status
                ).order_by(DuplicatePair.record_a_id, DuplicatePair.record_b_id)
            )
        )
    store.dispose()
    return links, pairs


def test_kill_during_dedup_leaves_the_state_before_or_after(tmp_path: Path) -> None:
    base = Path(fresh_review(tmp_path / "base.db").removeprefix("sqlite:///"))
    ris = write_ris(tmp_path / "search.ris", 1500, seed=2, duplicates=0.2)
    proc = child("import", f"sqlite:///{base}", str(ris))
    out, err = proc.communicate(timeout=120)
    assert "DONE" in out, err
    before = dedup_state(f"sqlite:///{base}")
    reference = copy_db(base, tmp_path / "reference.db")
    points = inside_transaction(reference_run("dedup", reference))
    after = dedup_state(reference)
    assert after != before and any(dup for _, dup in after[0])
    rng = random.Random(2)
    for k in range(KILLS):
        url = copy_db(base, tmp_path / f"dedup-{k}.db")
        marks = rng.randint(1, points[0] - 1) if k == 0 else rng.choice(points)
        kill_after(child("dedup", url), marks, rng.uniform(0, 0.02))
        integrity(url)
        assert dedup_state(url) in (before, after)


# --------------------------------------------------------------------------------------------
# Exports


def test_kill_during_exports_never_leaves_a_partial_file_under_its_name(tmp_path: Path) -> None:
    base = Path(fresh_review(tmp_path / "base.db", records=800).removeprefix("sqlite:///"))
    done = tmp_path / "complete"
    reference_run("export", f"sqlite:///{base}", str(done), "1")
    reference = {p.name: p.read_bytes() for p in done.iterdir() if not p.name.endswith(".partial")}
    assert {"duplicates.csv", "review.yaml", "records.yaml", "studies.md", "rameses.csv"} <= set(
        reference
    )
    rng = random.Random(3)
    for k in range(KILLS):
        target = tmp_path / f"export-{k}"
        kill_after(
            child("export", f"sqlite:///{base}", str(target), "50"),
            rng.randint(0, 3),
            rng.uniform(0, 0.4),
        )
        for p in target.iterdir() if target.exists() else []:
            if p.name in reference:  # under its final name: complete, byte for byte
                assert p.read_bytes() == reference[p.name], p.name


# --------------------------------------------------------------------------------------------
# A burst of screening decisions


def check_decisions(url: str, committed: list[int]) -> int:
    store = Store(url)
    d = ScreeningDecision
    with store.read() as s:
        ids = set(s.scalars(select(d.id)))
        current = s.execute(
            select(d.record_id, d.reviewer_id, d.stage, func.count())
            .where(d.is_current)
            .group_by(d.record_id, d.reviewer_id, d.stage)
        ).all()
    store.dispose()
    missing = set(committed) - ids
    assert not missing, f"committed decisions lost: {sorted(missing)[:10]}"
    assert all(n == 1 for *_, n in current)
    return len(ids)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_during_a_burst_of_decisions_loses_none_committed(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = fresh_review(tmp_path / "burst.db", records=400)
    else:
        url = str(request.getfixturevalue("pg_url"))
        store = Store(url)
        setup_review(store, records=400)
        store.dispose()
    rng = random.Random(4)
    committed: list[int] = []
    for k in range(KILLS):
        lines = kill_after(
            child("decide", url, str(k), slow=0.0), rng.randint(5, 120), rng.uniform(0, 0.05)
        )
        committed += [int(x.split()[1]) for x in lines if x.startswith("D ")]
        if backend == "sqlite":
            integrity(url)
        assert check_decisions(url, committed) >= len(committed)
    assert len(committed) >= 3 * 5


# --------------------------------------------------------------------------------------------
# The child process


def _workspace(url: str) -> Workspace:
    """The lead's workspace, printing "W ..." before every statement that writes and "C" at every
    commit, so the parent can kill the child inside a write transaction."""
    from sqlalchemy import event

    store = Store(url)

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        verb = statement.lstrip().split(" ", 1)[0].upper()
        if verb in {"INSERT", "UPDATE", "DELETE"}:
            print(f"W {verb}", flush=True)
            time.sleep(SLOW_WRITES)  # a slow disk: the parent's kill lands inside the transaction

    event.listen(store.engine, "before_cursor_execute", before)
    event.listen(store.engine, "commit", lambda conn: print("C", flush=True))
    return Workspace(store, resolve_review_id(store), resolve_actor(store, "LEAD"))


def _report(label: str) -> Any:
    def progress(done: int, total: int) -> None:
        print(f"P {label} {done}/{total}", flush=True)

    return progress


def main(argv: list[str]) -> None:
    """The child: run one action, printing a line after each piece of committed work."""
    from exporters.api import ExportRequest, run_export
    from realist.services import dedup_service, imports, screening
    from realist.yamlio.writer import dump_review

    action, url, *rest = argv
    ws = _workspace(url)
    if action == "import":
        imports.import_file(ws, Path(rest[0]), source="MEDLINE", progress=_report("import"))
    elif action == "dedup":
        dedup_service.run_dedup(ws, progress=_report("dedup"))
    elif action == "export":
        target, rounds = Path(rest[0]), int(rest[1])
        target.mkdir(parents=True, exist_ok=True)
        for i in range(rounds):
            dedup_service.export_duplicates_csv(ws, target / "duplicates.csv")
            print(f"P export csv {i}", flush=True)
            dump_review(ws.store, ws.review_id, target)
            print(f"P export yaml {i}", flush=True)
            for what, fmt in (("studies", "md"), ("rameses", "csv")):
                # the export commands' own path (exporters.api.write_atomic)
                run_export(ws, ExportRequest(what=what, fmt=fmt, path=target / f"{what}.{fmt}"))
                print(f"P export {what} {i}", flush=True)
    elif action == "decide":
        with ws.store.read() as s:
            ids = list(s.scalars(select(Record.id).order_by(Record.id)))
        rng = random.Random(int(rest[0]))
        while True:
            rid = rng.choice(ids)
            change = screening.decide(
                ws,
                rid,
                "title_abstract",
                rng.choice(["include", "exclude", "maybe"]),
                note=f"n{rng.random()}",
            )
            print(f"D {change.decision_id}", flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
