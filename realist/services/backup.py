"""Consistent snapshots of a review database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from realist.db.engine import sqlite_path
from realist.db.store import Store
from realist.errors import RealistError


def sqlite_snapshot(source: Path, target: Path) -> Path:
    """Copy an SQLite database with the online backup API: consistent while others write."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    tmp.replace(target)  # a crash never leaves a half-written backup under the final name
    return target


def pg_snapshot(url: str, target: Path) -> Path:
    """pg_dump in custom format (consistent: pg_dump runs in one repeatable-read transaction)."""
    exe = shutil.which("pg_dump")
    if exe is None:
        raise RealistError(
            "pg_dump is not installed; install the PostgreSQL client tools to back up"
        )
    u = make_url(url)
    libpq = u.set(drivername="postgresql").render_as_string(hide_password=False)
    tmp = target.with_name(target.name + ".partial")
    result = subprocess.run(
        [exe, "--format=custom", f"--file={tmp}", f"--dbname={libpq}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RealistError(f"pg_dump failed: {result.stderr.strip()}")
    tmp.replace(target)
    return target


def backup_to(store: Store, target: Path) -> Path:
    """Write a consistent snapshot of the review database to `target`."""
    path = sqlite_path(store.url)
    if path is not None:
        return sqlite_snapshot(path, target)
    if store.engine.dialect.name == "postgresql":
        return pg_snapshot(store.url, target)
    raise RealistError(f"backup is not supported for {store.engine.dialect.name} databases")


def backup_before_upgrade(store: Store) -> Path:
    """A timestamped snapshot next to the database (SQLite) or in the working folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = sqlite_path(store.url)
    if path is not None:
        return backup_to(store, path.with_name(f"{path.stem}.before-upgrade-{stamp}{path.suffix}"))
    return backup_to(store, Path(f"realist-before-upgrade-{stamp}.pgdump"))


def _check_sqlite_file(path: Path) -> None:
    """Refuse files that are not healthy SQLite review databases."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = con.execute("PRAGMA integrity_check").fetchone()
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise RealistError(f"{path}: not an SQLite database ({exc})") from None
    if not result or result[0] != "ok":
        raise RealistError(f"{path}: the database fails its integrity check ({result})")
    if "reviews" not in tables or "alembic_version" not in tables:
        raise RealistError(f"{path}: not a Realist Workbench database")


def restore_to(backup: Path, url: str, *, force: bool = False) -> None:
    """Restore a snapshot made by `backup_to` into the database at `url`.

    SQLite: the file is checked, then copied over the target (which must not exist unless `force`).
    PostgreSQL: pg_restore into the (empty, unless `force`) target database.
    """
    if not backup.is_file():
        raise RealistError(f"{backup}: no such backup file")
    target = sqlite_path(url)
    if target is not None:
        _check_sqlite_file(backup)
        if target.exists() and not force:
            raise RealistError(
                f"{target} exists; pass --force to replace it (take a backup of it first)"
            )
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        sqlite_snapshot(backup, target)
        return
    exe = shutil.which("pg_restore")
    if exe is None:
        raise RealistError(
            "pg_restore is not installed; install the PostgreSQL client tools to restore"
        )
    u = make_url(url)
    libpq = u.set(drivername="postgresql").render_as_string(hide_password=False)
    args = [exe, "--single-transaction", "--no-owner", f"--dbname={libpq}"]
    if force:
        args += ["--clean", "--if-exists"]
    result = subprocess.run([*args, str(backup)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RealistError(
            f"pg_restore failed (nothing was changed): {result.stderr.strip()[:2000]}"
        )
