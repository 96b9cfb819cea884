"""Layout snapshots of the app shell (regenerate with `pytest --snapshot-update` and look at them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from realist.services.context import Workspace
from tui.app import RealistApp

SnapCompare = Callable[..., bool]


def test_home_screen(snap_compare: SnapCompare, demo_ws: Workspace) -> None:
    """The home screen shows the example review's counts and the screens to go to."""
    assert snap_compare(RealistApp(demo_ws), terminal_size=(120, 36))


def test_cmoc_browser(snap_compare: SnapCompare, demo_ws: Workspace) -> None:
    """The CMOC browser with CMOC 1B selected: tree of clusters, statement, parts, cited studies."""

    async def open_1b(pilot: Pilot[Any]) -> None:
        await pilot.press("c", "down")

    assert snap_compare(RealistApp(demo_ws), terminal_size=(140, 44), run_before=open_1b)


def test_studies_list(snap_compare: SnapCompare, demo_ws: Workspace) -> None:
    """The studies table with the first study's detail pane."""

    async def open_studies(pilot: Pilot[Any]) -> None:
        await pilot.press("s")

    assert snap_compare(RealistApp(demo_ws), terminal_size=(140, 40), run_before=open_studies)


def test_help_over_cmoc_browser(snap_compare: SnapCompare, demo_ws: Workspace) -> None:
    """Keyboard help lists the CMOC browser's keys and the global ones."""

    async def open_help(pilot: Pilot[Any]) -> None:
        await pilot.press("c", "question_mark")

    assert snap_compare(RealistApp(demo_ws), terminal_size=(120, 36), run_before=open_help)
