"""The import screen driven by keys: a file imported in a worker with progress, a refusal as a
notification that changes nothing; and a snapshot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, ProgressBar, Static

from realist.db.models import ImportBatch
from realist.services.context import Workspace
from realist.services.dedup_service import run_dedup
from realist.services.imports import PROGRESS_TOTAL, import_file
from tests.factories_ingest import BROKEN, MEDLINE, UPDATE, ingest_ws
from tui.app import RealistApp
from tui.screens.imports import ImportScreen

SnapCompare = Callable[..., bool]


async def _type(pilot: Pilot[Any], selector: str, text: str) -> None:
    pilot.app.screen.query_one(selector, Input).value = text
    await pilot.pause()


async def test_import_a_file_from_the_screen(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    import_file(ws, MEDLINE, source="MEDLINE")
    app = RealistApp(ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        table = screen.query_one("#batches", DataTable)
        assert table.row_count == 1
        await _type(pilot, "#import-path", str(UPDATE))
        await _type(pilot, "#import-source", "Embase")
        await _type(pilot, "#import-date", "2024-02-01")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.query_one("#import-progress", ProgressBar).progress == PROGRESS_TOTAL
        result = str(screen.query_one("#import-result", Static).render())
        assert "embase_2024_update.ris: 5 record(s) from Embase" in result
        assert "2 merged automatically, 1 for review" in result
        assert table.row_count == 2
        with ws.store.read() as s:
            batch = s.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
            assert batch is not None
            assert (batch.source_db, batch.search_date) == ("Embase", "2024-02-01")


async def test_a_refused_file_is_a_notification_and_writes_nothing(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    app = RealistApp(ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("i")
        await _type(pilot, "#import-path", str(BROKEN))
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        result = str(app.screen.query_one("#import-result", Static).render())
        assert "record 2 (line 7)" in result and "tick 'skip invalid records'" in result
        assert any("record 2 (line 7)" in str(n.message) for n in app._notifications)
        await _type(pilot, "#import-path", str(tmp_path / "missing.ris"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert any("no such file" in str(n.message) for n in app._notifications)
    with ws.store.read() as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_import_screen_snapshot(snap_compare: SnapCompare, tmp_path: Path) -> None:
    """The form, the progress bar and the batches table (times fixed for the snapshot)."""
    ws: Workspace = ingest_ws(tmp_path)
    import_file(ws, MEDLINE, source="MEDLINE", search_date="2023-05-01")
    import_file(ws, UPDATE, source="Embase")
    run_dedup(ws)
    from datetime import UTC, datetime

    from sqlalchemy import update

    with ws.store.transaction() as s:
        s.execute(update(ImportBatch).values(imported_at=datetime(2024, 3, 1, 9, 0, tzinfo=UTC)))

    async def open_import(pilot: Pilot[Any]) -> None:
        await pilot.press("i")
        await pilot.pause()

    assert snap_compare(RealistApp(ws), terminal_size=(140, 36), run_before=open_import)
