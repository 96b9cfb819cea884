"""Backup and restore keep every row and refuse what is not a review database."""

from __future__ import annotations

import threading
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from realist.cli import cli
from realist.db.models import Record
from realist.db.store import Store
from realist.services.context import Workspace
from tests.factories import make_records


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.output


def count_records(url: str) -> int:
    store = Store(url)
    with store.read() as s:
        n = int(s.scalar(select(func.count()).select_from(Record)) or 0)
    store.dispose()
    return n


def test_backup_and_restore_sqlite(demo_ws: Workspace, tmp_path: Path) -> None:
    make_records(demo_ws, 50)
    src = demo_ws.store.url.removeprefix("sqlite:///")
    code, out = run("--db", src, "backup", "-o", str(tmp_path / "b.db"))
    assert code == 0, out
    code, out = run("--db", str(tmp_path / "restored.db"), "restore", str(tmp_path / "b.db"))
    assert code == 0, out
    assert count_records(f"sqlite:///{tmp_path / 'restored.db'}") == 50
    code, out = run("--db", str(tmp_path / "restored.db"), "status")
    assert "CMOCs      20 in 4 clusters" in out


def test_backup_is_consistent_while_another_writer_works(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    stop = threading.Event()

    def writer() -> None:
        seed = 1
        while not stop.is_set():
            make_records(demo_ws, 20, seed=seed)
            seed += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        src = demo_ws.store.url.removeprefix("sqlite:///")
        for i in range(3):
            code, out = run("--db", src, "backup", "-o", str(tmp_path / f"b{i}.db"))
            assert code == 0, out
    finally:
        stop.set()
        t.join()
    for i in range(3):
        n = count_records(f"sqlite:///{tmp_path / f'b{i}.db'}")
        assert n % 20 == 0  # whole batches only: each batch was one transaction


def test_restore_refuses_junk_and_existing_targets(demo_ws: Workspace, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    code, out = run("--db", str(tmp_path / "t.db"), "restore", str(junk))
    assert code == 1 and "not an SQLite database" in out
    src = demo_ws.store.url.removeprefix("sqlite:///")
    run("--db", src, "backup", "-o", str(tmp_path / "b.db"))
    code, out = run("--db", src, "restore", str(tmp_path / "b.db"))
    assert code == 1 and "pass --force" in out


def test_backup_and_restore_postgresql(pg_url: str, tmp_path: Path) -> None:
    code, out = run("--db", pg_url, "init", "--title", "PG review", "--lead", "LEAD")
    assert code == 0, out
    code, out = run("--db", pg_url, "backup", "-o", str(tmp_path / "r.pgdump"))
    assert code == 0, out
    code, out = run("--db", pg_url, "restore", str(tmp_path / "r.pgdump"), "--force")
    assert code == 0, out
    code, out = run("--db", pg_url, "reviewer", "list")
    assert "LEAD" in out
