"""The criteria editor (home key `e`) driven by keys, and its conflict notification when another
session changed the criterion meanwhile."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from realist.db.store import Store
from realist.services import criteria, reviewers
from realist.services.context import Workspace, resolve_actor
from tui.app import RealistApp
from tui.screens.coding_confirm import ConfirmScreen
from tui.screens.criteria import CriteriaScreen
from tui.widgets.prompts import TextPrompt


def detail(app: RealistApp) -> str:
    return str(app.screen.query_one("#criteria-detail", Static).render())


def notes(app: RealistApp) -> list[str]:
    return [n.message for n in app._notifications]


def labels(ws: Workspace) -> list[tuple[str, str]]:
    return [(c.label, c.text) for c in criteria.list_criteria(ws)]


@pytest.fixture
def other_lead(demo_ws: Workspace) -> Workspace:
    """A second lead working in a session of their own (own store) on the same review."""
    reviewers.add_reviewer(demo_ws, "ANN", role="lead")
    store = Store(demo_ws.store.url)
    return Workspace(store, demo_ws.review_id, resolve_actor(store, "ANN"))


async def test_edit_move_switch_add_and_remove_with_keys(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, CriteriaScreen)
        table: DataTable[Any] = app.screen.query_one(DataTable)
        assert table.row_count == 9
        assert "I1" in detail(app) and "Inclusion criterion 1" in detail(app)
        await pilot.press("down", "down")  # I3: Any study design
        assert "Any study design" in detail(app)
        # e opens the text, prefilled; enter saves it
        await pilot.press("e")
        assert isinstance(app.screen, TextPrompt)
        prompt = app.screen.query_one(Input)
        assert prompt.value == "Any study design"
        await pilot.press("end", *", qualitative too", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CriteriaScreen)
        i3 = criteria.get_criterion(demo_ws, "I3")
        assert (i3.text, i3.version) == ("Any study design, qualitative too", 2)
        assert "qualitative too" in detail(app) and "version 2" in detail(app)
        # escape cancels
        await pilot.press("e", "x", "escape")
        await pilot.pause()
        assert criteria.get_criterion(demo_ws, "I3").text == "Any study design, qualitative too"
        # shift+up moves it up its list; the cursor follows it
        await pilot.press("shift+up")
        await pilot.pause()
        assert criteria.get_criterion(demo_ws, "I2").text == "Any study design, qualitative too"
        assert "I2" in detail(app) and "qualitative too" in detail(app)
        # k switches it to the exclusion list (at the end)
        await pilot.press("k")
        await pilot.pause()
        assert criteria.get_criterion(demo_ws, "E6").text == "Any study design, qualitative too"
        assert "E6" in detail(app)
        # a adds a criterion after the one under the cursor, in the same list
        await pilot.press("up", "a")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"Grey literature", "enter")
        await pilot.pause()
        assert criteria.get_criterion(demo_ws, "E6").text == "Grey literature"
        assert "E6" in detail(app) and "Grey literature" in detail(app)
        assert table.row_count == 10
        # d asks first; n keeps it, y removes it
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert table.row_count == 10
        await pilot.press("d", "y")
        await pilot.pause()
        assert table.row_count == 9
        assert "Grey literature" not in [c.text for c in criteria.list_criteria(demo_ws)]
        assert any("E6 removed" in n for n in notes(app))


async def test_conflict_is_notified_and_nothing_is_lost(
    demo_ws: Workspace, other_lead: Workspace
) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, CriteriaScreen)
        i1 = criteria.get_criterion(demo_ws, "I1")
        # Meanwhile, another lead in another session edits I1.
        criteria.edit_criterion(
            other_lead, i1.id, expected_version=i1.version, text="QI projects in healthcare"
        )
        await pilot.press("e")
        app.screen.query_one(Input).value = "My own wording"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CriteriaScreen)
        message = next(n for n in notes(app) if "criterion I1" in n)
        assert "was changed by ANN" in message and "nothing was saved" in message
        # The other lead's edit stands and the screen now shows it.
        assert criteria.get_criterion(demo_ws, "I1").text == "QI projects in healthcare"
        assert "QI projects in healthcare" in detail(app) and "version 2" in detail(app)
        # After the reload, the edit goes through.
        await pilot.press("e")
        app.screen.query_one(Input).value = "My own wording"
        await pilot.press("enter")
        await pilot.pause()
        assert criteria.get_criterion(demo_ws, "I1").text == "My own wording"
        # A criterion removed meanwhile is a conflict too, naming who removed it.
        e5 = criteria.get_criterion(demo_ws, "E5")
        await pilot.press("r", *["down"] * 8)
        assert "E5" in detail(app)
        criteria.remove_criterion(other_lead, e5.id, expected_version=e5.version)
        await pilot.press("shift+up")
        await pilot.pause()
        assert any("was removed by ANN" in n for n in notes(app))
        assert app.screen.query_one(DataTable).row_count == 8
    other_lead.store.dispose()


async def test_only_a_lead_may_change_criteria(demo_ws: Workspace) -> None:
    reviewer = Workspace(demo_ws.store, demo_ws.review_id, resolve_actor(demo_ws.store, "JF"))
    before = labels(demo_ws)
    app = RealistApp(reviewer)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, CriteriaScreen)
        assert "read-only" in app.screen.sub_title
        await pilot.press("k")
        await pilot.pause()
        assert any("JF (reviewer) may not change the eligibility criteria" in n for n in notes(app))
    assert labels(demo_ws) == before
