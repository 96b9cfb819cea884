"""The export screen, driven by the keys a user presses."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static

from realist.services.context import Workspace
from tui.app import RealistApp
from tui.screens.export import ExportScreen, default_path

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen suggests paths relative to the working folder: keep them out of the repo."""
    monkeypatch.chdir(tmp_path)


def result_text(app: RealistApp) -> str:
    return str(app.screen.query_one("#export-result", Static).render())


async def choose(pilot: Pilot[Any], what: str) -> None:
    menu = pilot.app.screen.query_one(OptionList)
    index = next(i for i in range(menu.option_count) if menu.get_option_at_index(i).id == what)
    menu.focus()
    steps = index - (menu.highlighted or 0)
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))


async def test_export_cmoc_table_as_xlsx(demo_ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "cmocs.xlsx"
    app = RealistApp(demo_ws)
    async with app.run_test(size=(130, 42)) as pilot:
        await pilot.press("x")
        assert isinstance(app.screen, ExportScreen)
        await choose(pilot, "cmocs")
        assert app.screen.what == "cmocs"
        fmt: Select[str] = app.screen.query_one("#export-format", Select)
        assert fmt.value == "csv"
        path: Input = app.screen.query_one("#export-path", Input)
        assert path.value == str(default_path("cmocs", "csv"))
        fmt.value = "xlsx"
        await pilot.pause()
        assert path.value.endswith("cmocs.xlsx")  # follows the format until edited
        path.focus()
        path.value = str(out)
        await pilot.press("ctrl+e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert out.exists()
        assert "Written" in result_text(app) and str(out) in result_text(app)
        assert any(str(out) in n.message for n in app._notifications)
    rows = list(load_workbook(out)["CMOCs"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 20


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
async def test_export_one_cluster_detailed_diagram(demo_ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "c4.dot"
    app = RealistApp(demo_ws)
    async with app.run_test(size=(130, 42)) as pilot:
        await pilot.press("x")
        screen = app.screen
        assert isinstance(screen, ExportScreen) and screen.what == "theory"
        screen.query_one("#export-format", Select).value = "dot"
        await pilot.pause()  # the suggested path follows the format
        screen.query_one("#export-view", Select).value = "detailed"
        screen.query_one("#export-cluster", Input).value = "4"
        screen.query_one("#export-path", Input).value = str(out)
        await pilot.click("#export-run")
        await app.workers.wait_for_complete()
        await pilot.pause()
    dot = out.read_text()
    assert "Context (C)" in dot and '"cmoc:12"' in dot and '"cmoc:1A"' not in dot


async def test_errors_are_notified_and_nothing_is_written(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(130, 42)) as pilot:
        await pilot.press("x")
        screen = app.screen
        await choose(pilot, "prisma")
        screen.query_one("#export-format", Select).value = "md"
        await pilot.pause()
        screen.query_one("#export-path", Input).value = str(tmp_path)  # a folder, not a file
        await pilot.press("ctrl+e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Not exported" in result_text(app)
        assert any("is a folder" in n.message and n.severity == "error" for n in app._notifications)
        # The screen stays usable: the same export to a file then works.
        screen.query_one("#export-path", Input).value = str(tmp_path / "prisma.md")
        await pilot.press("ctrl+e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (tmp_path / "prisma.md").read_text().startswith("## PRISMA 2020 flow counts")
        assert "as reported in the publication" in result_text(app)


async def test_options_follow_the_choice(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(130, 42)) as pilot:
        await pilot.press("x")
        screen = app.screen
        assert screen.query_one("#export-view").display
        assert not screen.query_one("#export-full").display
        await choose(pilot, "cmocs")
        assert not screen.query_one("#export-view").display
        assert screen.query_one("#export-full").display
        await choose(pilot, "ppi")
        assert screen.query_one("#export-path", Input).value == str(default_path("ppi", "html+pdf"))


def test_export_screen_snapshot(snap_compare: SnapCompare, demo_ws: Workspace) -> None:
    """The export screen with the CMOC table chosen: menu, format, path, options."""

    async def open_export(pilot: Pilot[Any]) -> None:
        await pilot.press("x", "down", "down")

    assert snap_compare(RealistApp(demo_ws), terminal_size=(120, 36), run_before=open_export)


def test_rameses_screen_snapshot(snap_compare: SnapCompare, demo_ws: Workspace) -> None:
    """The RAMESES checklist with item 12 selected."""

    async def open_rameses(pilot: Pilot[Any]) -> None:
        await pilot.press("m", *["down"] * 11)

    assert snap_compare(RealistApp(demo_ws), terminal_size=(120, 36), run_before=open_rameses)
