"""The coding screen driven by the keys (and mouse) a reviewer uses: attach, select, code, judge,
link to a CMOC, browse by code, compare coders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from realist.services.codes import list_codes
from realist.services.context import Workspace, resolve_actor
from realist.services.excerpts import get_excerpt, list_excerpts
from realist.services.traceability import cmoc_trace
from tests.factories import make_pdf
from tests.factories_coding import PAGES, attach_pages, code_phrase, demo_copy, seed_codes
from tui.app import RealistApp
from tui.screens.cmoc_pickers import CmocPickerScreen
from tui.screens.coding import CodingScreen
from tui.screens.coding_agreement import AgreementScreen
from tui.screens.coding_document import DocumentView
from tui.screens.coding_picker import CodePickerScreen


@pytest.fixture
def demo_ws(tmp_path: Path) -> Workspace:
    """The example review as LLJ (conftest's fixture, copied from a template to save time)."""
    return demo_copy(tmp_path)


SIZE = (150, 44)


def view_of(app: RealistApp) -> DocumentView:
    return app.screen.query_one(DocumentView)


def selected_text(app: RealistApp) -> str:
    view = view_of(app)
    assert view.selection is not None
    a, b = view.selection
    return view.text[a:b]


async def go_to_line_starting(pilot: Pilot[Any], app: RealistApp, prefix: str) -> None:
    """Press down until the cursor's row starts with `prefix`, then home."""
    view = view_of(app)
    for _ in range(60):
        row = view.rows[view.row_of(view.cursor)]
        if view.text[row.start : row.end].startswith(prefix):
            await pilot.press("home")
            return
        await pilot.press("down")
    raise AssertionError(f"no row starts with {prefix!r}")


async def test_attach_select_code_and_judge_from_the_keyboard(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_pdf(tmp_path / "b.pdf", PAGES)
    monkeypatch.chdir(tmp_path)  # the attach prompt reads relative paths from here
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k")
        assert isinstance(app.screen, CodingScreen)
        docs = app.screen.query_one("#coding-docs", OptionList)
        assert docs.has_focus  # no document has a text yet
        await pilot.press("down")  # document 24
        await pilot.press("A")
        await pilot.press(*"b.pdf", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = view_of(app)
        assert view.has_focus and "Staff lacked protected time" in view.text
        assert "24 · Burkitt et al. 2021 · b.pdf · 3 pages" in str(view.border_title)
        # Select four words with ctrl+shift+right, code them with a new code made in the picker.
        await go_to_line_starting(pilot, app, "Staff lacked")
        await pilot.press(*["ctrl+shift+right"] * 4)
        assert selected_text(app) == "Staff lacked protected time"
        await pilot.press("c")
        assert isinstance(app.screen, CodePickerScreen)
        await pilot.press(*"Time", "ctrl+n", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        made = list_excerpts(demo_ws, document="24")
        assert [(e.text, e.page, e.code_names) for e in made] == [
            ("Staff lacked protected time", 2, "Time")
        ]
        # Memo and a relevance judgement on the excerpt under the cursor.
        await pilot.press("e")
        await pilot.press(*"Busy", "tab")
        await pilot.press("enter", "down", "enter")  # relevance: high
        await pilot.press("tab", *"C5", "ctrl+s")
        await pilot.pause()
        saved = get_excerpt(demo_ws, made[0].id)
        assert saved.memo == "Busy"
        assert (saved.relevance, saved.relevance_note) == ("high", "C5")
        # A second span with the mark key: space, move, code with an existing code by search.
        await go_to_line_starting(pilot, app, "Without training")
        await pilot.press("space", "ctrl+right", "ctrl+right", "space")
        assert selected_text(app) == "Without training"
        await pilot.press("c", *"ti", "enter")
        await pilot.pause()
        texts = [(e.text, e.code_names) for e in list_excerpts(demo_ws, document="24")]
        assert ("Without training", "Time") in texts
        detail = str(app.screen.query_one("#coding-detail", Static).render())
        assert "Without training" in detail and "Time" in detail


async def test_mouse_drag_selects_a_span(demo_ws: Workspace, tmp_path: Path) -> None:
    seed_codes(demo_ws)
    attach_pages(demo_ws, "24", tmp_path)
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k")
        view = view_of(app)
        await pilot.pause()
        # Row 2 of the view is the first line of text under the page-1 marker.
        line = next(i for i, r in enumerate(view.rows) if r.kind == "text")
        assert view.text[view.rows[line].start :].startswith("Background")
        await pilot.mouse_down(view, offset=(2, line + 1))  # border and padding
        await pilot.hover(view, offset=(12, line + 1))
        await pilot.mouse_up(view, offset=(12, line + 1))
        assert selected_text(app) == "Background"
        await pilot.press("c", *"Data", "enter")
        await pilot.pause()
        assert [e.text for e in list_excerpts(demo_ws, document="24")] == ["Background"]


async def test_browse_by_code_across_documents_and_jump(demo_ws: Workspace, tmp_path: Path) -> None:
    ids = seed_codes(demo_ws)
    d24 = attach_pages(demo_ws, "24", tmp_path).document_id
    d25 = attach_pages(
        demo_ws, "25", tmp_path, pages=["Other paper.", "Training was short."]
    ).document_id
    code_phrase(demo_ws, d24, "Staff lacked protected time", [ids["Time"]])
    far = code_phrase(demo_ws, d25, "Training was short", [ids["Training"]])
    code_phrase(demo_ws, d24, "Data were stratified", [ids["Data"]])
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k", "t")  # the code tree; its first code is Values
        assert [c.name for c in list_codes(demo_ws)][2] == "Resources"
        await pilot.press("down", "down", "enter")  # Resources: Time (24) and Training (25)
        box = app.screen.query_one("#coding-excerpts", OptionList)
        assert box.has_focus and box.option_count == 2
        assert "Under Resources: 2 in 2 doc(s)" in str(box.border_title)
        await pilot.press("down", "enter")  # jump to the excerpt in document 25
        view = view_of(app)
        assert view.has_focus and "Training was short" in view.text
        assert view.cursor == far.start
        await pilot.press("escape")  # back to the document's excerpts
        assert "Excerpts in 25" in str(box.border_title)


async def test_link_to_a_cmoc_second_coder_agreement_and_only_mine(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    jf = demo_ws.with_actor(resolve_actor(demo_ws.store, "JF"))
    mine = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Time"]])
    code_phrase(jf, doc, "protected time for equity work", [ids["Time"]])
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k", "n")  # next excerpt: the cursor moves into it
        view = view_of(app)
        assert view.cursor == mine.start
        await pilot.press("l")
        assert isinstance(app.screen, CmocPickerScreen)
        await pilot.press(*"7A", "enter", "o")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        trace = cmoc_trace(demo_ws, "7A")
        assert [(e.role, e.excerpt.id) for e in trace.excerpts] == [("O", mine.id)]
        assert [h.mine for h in view.highlights] == [True, False]
        await pilot.press("o")
        assert [h.mine for h in view.highlights] == [True]
        await pilot.press("g")
        assert isinstance(app.screen, AgreementScreen)
        text = str(app.screen.query_one("#agreement-text", Static).render())
        assert "LLJ (A) and JF (B)" in text
        time_row = next(line for line in text.splitlines() if line.startswith("Resources > Time"))
        assert time_row.split()[3:6] == ["14", "13", "16"]
        await pilot.press("escape")
        assert isinstance(app.screen, CodingScreen)


async def test_errors_become_notifications_and_change_nothing(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    seed_codes(demo_ws)
    attach_pages(demo_ws, "24", tmp_path)
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k", "c")  # nothing selected
        assert isinstance(app.screen, CodingScreen)
        assert any("select a span first" in n.message for n in app._notifications)
        await pilot.press("d", "down", "A", *"nope.pdf", "enter")
        assert any("no such file" in n.message for n in app._notifications)
        await pilot.press("escape")
        await pilot.press("f", "shift+right", "shift+right", "escape")  # drops the selection
        assert isinstance(app.screen, CodingScreen) and view_of(app).selection is None
        await pilot.press("question_mark")  # the help lists the screen's keys and the text's
        body = str(app.screen.query_one("#help-text", Static).render())
        for words in (
            "Coding",
            "shift+arrows",
            "Memo/judge",
            "Link to CMOC",
            "Attach text",
            "space",
        ):
            assert words in body, words
    assert list_excerpts(demo_ws) == []


async def test_manage_the_code_tree_from_the_keyboard(demo_ws: Workspace, tmp_path: Path) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    ex = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Time"]])
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k", "a")  # not in the tree: refused with a hint
        assert any("press t" in n.message for n in app._notifications)
        await pilot.press("t", "down", "down")  # Values, Equity as core, Resources
        await pilot.press("a", *"Staff", "enter")  # a child of Resources
        await pilot.press("a", *"/Lead", "enter")  # top level
        paths = [c.path for c in list_codes(demo_ws)]
        assert "Resources > Staff" in paths and "Lead" in paths
        await pilot.press("down", "r", "ctrl+u", *"Hours", "enter")  # rename Time
        assert "Resources > Hours" in [c.path for c in list_codes(demo_ws)]
        await pilot.press("M", *"staff", "enter")  # merge it into Staff
        await pilot.pause()
        assert get_excerpt(demo_ws, ex.id).code_names == "Staff"
        assert "Resources > Hours" not in [c.path for c in list_codes(demo_ws)]
