"""The app shell: home screen, CMOC browser, studies list and keyboard help, driven by keys."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Static, Tree

from realist.services.context import Workspace
from tui.app import RealistApp
from tui.screens.cmocs import CmocBrowserScreen
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen
from tui.screens.studies import StudiesScreen


def text_of(app: RealistApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_home_shows_the_example_review(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        status = text_of(app, "#status")
        assert "CMOCs" in status and "20" in status and "in 4 clusters" in status
        assert "Values and Understanding" in status and "Design" in status
        assert "Studies" in status and "27" in status


async def test_browse_cmocs_with_the_keyboard(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("c")
        assert isinstance(app.screen, CmocBrowserScreen)
        tree: Tree[Any] = app.screen.query_one(Tree)
        assert tree.border_title == "20 CMOCs in 4 clusters"
        detail = text_of(app, "#cmoc-detail")
        assert "CMOC 1A" in detail and "vocal" in detail
        await pilot.press("down")  # 1B
        detail = text_of(app, "#cmoc-detail")
        assert "CMOC 1B" in detail and "racial injustice" in detail
        # Down past cluster 1 into the Resources cluster heading, then its first CMOC.
        await pilot.press(*["down"] * 4)  # 2, 3, 4, then the heading
        assert "Cluster 2: Resources" in text_of(app, "#cmoc-detail")
        await pilot.press("down")
        detail = text_of(app, "#cmoc-detail")
        assert "CMOC 5" in detail and "time, training and resources" in detail
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_cmoc_detail_lists_cited_studies(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(140, 60)) as pilot:
        await pilot.press("c")
        tree: Tree[Any] = app.screen.query_one(Tree)
        # Jump to CMOC 15, the last one: it cites reference 39 (Brown et al.).
        await pilot.press("end")
        assert tree.cursor_node is not None and tree.cursor_node.data.label == "15"
        detail = text_of(app, "#cmoc-detail")
        assert "Cited studies (1)" in detail and "Brown et al. 2016" in detail
        assert "may worsen inequalities" in detail


async def test_studies_list_and_detail(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("s")
        assert isinstance(app.screen, StudiesScreen)
        table: DataTable[Any] = app.screen.query_one(DataTable)
        assert table.row_count == 27
        assert "Ref 23" in text_of(app, "#study-detail")
        await pilot.press("down")
        detail = text_of(app, "#study-detail")
        assert "Ref 24" in detail and "Burkitt" in detail and "Cited by CMOCs" in detail


async def test_question_mark_opens_help_for_the_current_screen(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        body = text_of(app, "#help-text")
        assert "CMOC browser" in body and "escape" in body
        await pilot.press("escape")
        assert isinstance(app.screen, CmocBrowserScreen)


async def test_q_quits(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test() as pilot:
        await pilot.press("q")
    assert app.return_code == 0
