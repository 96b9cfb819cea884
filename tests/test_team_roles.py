"""Roles on every write path: what each application role may do, checked by the services on
SQLite and, in team mode, by PostgreSQL with each reviewer's own connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from realist.services.context import Workspace
from tests.conftest import migrated_sqlite
from tests.factories_team import (
    WRITE_PATHS,
    as_reviewer,
    prepare_write_paths,
    run_write_paths,
    setup_review,
    team_database,
)


def test_every_write_path_is_listed_with_its_roles() -> None:
    names = [p.name for p in WRITE_PATHS]
    assert len(names) == len(set(names))
    # observers write nothing; coders never screen; only leads manage people and load files
    assert all("observer" not in p.roles for p in WRITE_PATHS)
    assert {p.name for p in WRITE_PATHS if "coder" in p.roles} >= {
        "code an excerpt",
        "link evidence",
    }
    assert "coder" not in next(p for p in WRITE_PATHS if p.name == "decide").roles


def test_each_role_on_each_write_path_sqlite(tmp_path: Path) -> None:
    store = migrated_sqlite(tmp_path / "review.db")
    lead = setup_review(store, records=60)
    ctx = prepare_write_paths(lead, tmp_path)
    cache: dict[str, Workspace] = {}

    def ws_of(name: str) -> Workspace:
        return cache.setdefault(name, as_reviewer(store, lead.review_id, name))

    problems = run_write_paths(ws_of, ctx)
    assert not problems, "\n".join(problems)


@pytest.mark.pg
def test_each_role_on_each_write_path_postgresql_own_connections(
    pg_url: str, tmp_path: Path
) -> None:
    """Every allowed path works through the reviewer's own database role (the grants are
    enough for the application), every other one is refused."""
    with team_database(pg_url, records=60) as db:
        cache: dict[str, Workspace] = {}

        def ws_of(name: str) -> Workspace:
            if name not in cache:
                cache[name] = db.ws(name)
            return cache[name]

        ctx = prepare_write_paths(ws_of("LEAD"), tmp_path)
        problems = run_write_paths(ws_of, ctx)
    assert not problems, "\n".join(problems)
