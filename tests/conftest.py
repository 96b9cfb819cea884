"""Shared fixtures. Tests never depend on the developer's own config or database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from realist.db.store import Store
from realist.services.context import Workspace

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """The reference data folder (../shared/data), or None when this checkout has none."""
    env = os.environ.get("REALIST_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture
def shared_data() -> Path:
    """Path to ../shared/data; the test is skipped (with the reason) when it is absent."""
    d = shared_data_dir()
    if d is None:
        pytest.skip("../shared/data is not present in this checkout (set REALIST_SHARED_DATA)")
    return d


@pytest.fixture(autouse=True)
def _isolate_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Hide the developer's REALIST_* settings and config so results never depend on the machine."""
    for key in list(os.environ):
        if key.startswith("REALIST_") and key not in {"REALIST_TEST_PG_URL", "REALIST_SHARED_DATA"}:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("REALIST_CONFIG_DIR", str(tmp_path / "config"))


# --------------------------------------------------------------------------------------------
# Databases

PG_ENV = "REALIST_TEST_PG_URL"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (skipped without REALIST_TEST_PG_URL)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(
            f"{PG_ENV} is not set (CI sets it; e.g. postgresql+psycopg://postgres@127.0.0.1/test)"
        )
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"realist_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is configured but not reachable: that is a failure
        admin.dispose()
        raise RuntimeError(f"cannot create a test database at {base}: {exc}") from exc
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'review.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'review.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def demo_store(tmp_path: Path) -> Store:
    """A fresh SQLite database holding the bundled example review."""
    from realist.cli.core import create_demo

    return create_demo(tmp_path / "demo.db")


@pytest.fixture
def demo_ws(demo_store: Store) -> Workspace:
    """The bundled example review, acting as its lead (LLJ)."""
    from realist.services.context import resolve_actor, resolve_review_id

    return Workspace(demo_store, resolve_review_id(demo_store), resolve_actor(demo_store, "LLJ"))


_TEMPLATE: dict[str, Path] = {}


def migrated_sqlite(target: Path) -> Store:
    """A migrated, empty SQLite database at `target`, copied from a template made once per run
    (running the migrations takes ~0.3 s; copying the file takes a millisecond)."""
    import shutil
    import tempfile

    from realist.db import migrate

    if "path" not in _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="realist-template-")) / "template.db"
        store = Store(f"sqlite:///{path}")
        migrate.upgrade(store)
        store.dispose()
        import sqlite3

        con = sqlite3.connect(path)  # fold the WAL into the main file so one file copies whole
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        _TEMPLATE["path"] = path
    shutil.copyfile(_TEMPLATE["path"], target)
    return Store(f"sqlite:///{target}")
