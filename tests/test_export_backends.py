"""Exports and the RAMESES service give the same results on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.api import ExportRequest, produce
from realist.db import migrate
from realist.db.store import Store
from realist.errors import ConflictError
from realist.paths import BUNDLED_FILES
from realist.services import rameses
from realist.services.context import Workspace, resolve_actor, resolve_review_id
from realist.yamlio.loader import load_paths


def example(url: str) -> Workspace:
    store = Store(url)
    migrate.upgrade(store)
    load_paths(store, BUNDLED_FILES)
    return Workspace(store, resolve_review_id(store), resolve_actor(store, "LLJ"))


def test_same_exports_on_both_backends(db_url: str, demo_ws: Workspace, tmp_path: Path) -> None:
    ws = example(db_url)
    try:
        for what, fmt in [("theory", "dot"), ("theory", "graphml"), ("cmocs", "csv"),
                          ("studies", "md"), ("evidence", "csv"), ("rameses", "md"),
                          ("prisma", "json")]:  # fmt: skip
            req = ExportRequest(what, fmt, tmp_path / f"{what}.{fmt}")
            assert produce(ws, req) == produce(demo_ws, req), f"{what} {fmt} differs"
    finally:
        ws.store.dispose()


def test_rameses_edits_on_both_backends(db_url: str) -> None:
    ws = example(db_url)
    try:
        row = rameses.get_item(ws, 9)
        saved = rameses.update_item(
            ws, 9, reported="unclear", pages="5", expected_version=row.version
        )
        assert (saved.reported, saved.pages, saved.version) == ("unclear", "5", row.version + 1)
        assert rameses.get_item(ws, 9) == saved
        with pytest.raises(ConflictError):
            rameses.update_item(ws, 9, reported="no", expected_version=row.version)
    finally:
        ws.store.dispose()
