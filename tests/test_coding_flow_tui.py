"""Issue 6 end to end from the keyboard: select a span, code it, judge it, link it to a CMOC,
then find that CMOC in the editor, see the evidence, revise it with a reason and read the
history; and a CMOC made from the coding screen ("new CMOC…" in the link picker).

Setup goes through the services (attach texts, seed a code tree); after that only keys are
pressed, and the services are read at the end to check what was stored."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from realist.services.cmoc_edit import cmoc_history
from realist.services.context import Workspace
from realist.services.excerpts import get_excerpt, list_excerpts
from realist.services.fulltext import current_full_text
from realist.services.theory import CmocView, get_cmoc, programme_theory
from realist.services.traceability import cmoc_trace
from tests.factories_coding import PAGES, attach_pages, demo_copy, seed_codes
from tui.app import RealistApp
from tui.screens.cmoc_form import CmocFormScreen
from tui.screens.cmoc_history import CmocHistoryScreen
from tui.screens.cmoc_pickers import CmocPickerScreen
from tui.screens.cmocs import CmocBrowserScreen
from tui.screens.coding import CodingScreen
from tui.screens.coding_document import DocumentView
from tui.screens.coding_excerpt import ExcerptFormScreen
from tui.screens.coding_picker import CodePickerScreen
from tui.screens.home import HomeScreen

SIZE = (150, 48)
LINE = "Staff lacked protected time for equity work in busy clinics."


@pytest.fixture
def demo_ws(tmp_path: Path) -> Workspace:
    """The example review as LLJ (copied from a template built once per run)."""
    return demo_copy(tmp_path)


def view_of(app: RealistApp) -> DocumentView:
    """The coding screen's text view."""
    return app.screen.query_one(DocumentView)


def static_text(app: RealistApp, selector: str) -> str:
    """What a Static of the current screen shows, as plain text."""
    return str(app.screen.query_one(selector, Static).render())


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


async def open_document(pilot: Pilot[Any], app: RealistApp, document_id: int) -> None:
    """Focus the document list (d), move to the document and open it (enter)."""
    await pilot.press("d")
    docs = app.screen.query_one("#coding-docs", OptionList)
    assert docs.has_focus
    await pilot.press("home")
    for _ in range(60):
        index = docs.highlighted
        if index is not None and docs.get_option_at_index(index).id == str(document_id):
            await pilot.press("enter")
            return
        await pilot.press("down")
    raise AssertionError(f"document #{document_id} not in the list")


async def move_to_cmoc(pilot: Pilot[Any], app: RealistApp, label: str) -> None:
    """In the CMOC editor, move down the tree to CMOC `label`."""
    screen = app.screen
    assert isinstance(screen, CmocBrowserScreen)
    for _ in range(40):
        if screen.selected_label() == label:
            return
        await pilot.press("down")
    raise AssertionError(f"CMOC {label} not found")


def cmoc_labels(ws: Workspace) -> list[str]:
    """The labels of every CMOC of the review, cluster by cluster."""
    cmocs: list[CmocView] = [c for cluster in programme_theory(ws) for c in cluster.cmocs]
    return [c.label for c in cmocs]


async def test_select_code_judge_link_then_revise_the_cmoc(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    attach_pages(demo_ws, "24", tmp_path, pages=["A note.", "Nothing here."])  # opens first
    doc = attach_pages(demo_ws, "25", tmp_path).document_id
    text = current_full_text(demo_ws, doc)
    assert text is not None
    start = text.text.index(LINE)
    old_mechanism = get_cmoc(demo_ws, "6").mechanism
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        # Open the coding screen and the document.
        await pilot.press("k")
        assert isinstance(app.screen, CodingScreen)
        assert str(view_of(app).border_title).startswith("24 ·")
        await open_document(pilot, app, doc)
        view = view_of(app)
        assert view.has_focus and str(view.border_title).startswith("25 ·")
        # Select the line with shift+arrows: down to the next line, back over the newline.
        await go_to_line_starting(pilot, app, "Staff lacked")
        await pilot.press("shift+down", "shift+left")
        assert view.selection is not None
        a, b = view.selection
        assert view.text[a:b] == LINE
        # Code it: into the picker's list, tick Time (space), back to the search, enter.
        await pilot.press("c")
        assert isinstance(app.screen, CodePickerScreen)
        await pilot.press(*"time", "down", "space", "shift+tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        detail = static_text(app, "#coding-detail")
        assert "Resources > Time" in detail and "p. 2" in detail
        # A relevance judgement (moderate) with its rationale, and a memo.
        await pilot.press("e")
        assert isinstance(app.screen, ExcerptFormScreen)
        await pilot.press(*"No time set aside", "tab")
        await pilot.press("enter", "down", "down", "enter")  # blank, high, moderate
        await pilot.press("tab", *"Staff report it directly", "ctrl+s")
        await pilot.pause()
        detail = static_text(app, "#coding-detail")
        assert "Relevance moderate: Staff report it directly" in detail
        # Link it to CMOC 6 (found by a word of its statement) as mechanism evidence.
        await pilot.press("l")
        assert isinstance(app.screen, CmocPickerScreen)
        await pilot.press(*"bandwidth", "enter", "m")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert "CMOC 6 (mechanism)" in static_text(app, "#coding-detail")
        # Back home, into the CMOC editor: CMOC 6 shows the new evidence.
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("c")
        await move_to_cmoc(pilot, app, "6")
        chain = static_text(app, "#cmoc-detail")
        assert "Evidence excerpts (1)" in chain
        assert re.search(rf"M p\.2 +#\d+ “{LINE}”\n +Time\n", chain), chain  # and its code
        assert "Across its 2 supporting document(s)" in chain  # document 25 joins the cited one
        # Revise the mechanism with a reason.
        await pilot.press("e")
        assert isinstance(app.screen, CmocFormScreen)
        await pilot.press("tab", *"No protected time: ")  # context -> mechanism, typed in front
        await pilot.press(*["tab"] * 5, *"Burkitt 2021 p.2", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CmocBrowserScreen)
        assert "No protected time: staff have reduced capacity" in static_text(app, "#cmoc-detail")
        # The history says who, when, what and why.
        await pilot.press("h")
        assert isinstance(app.screen, CmocHistoryScreen)
        history = static_text(app, "#history-text")
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC LLJ: Burkitt 2021 p\.2", history), history
        assert "mechanism" in history and "No protected time: staff have" in history
        assert "evidence M" in history
        await pilot.press("escape")
        assert isinstance(app.screen, CmocBrowserScreen)
    # What was stored.
    made = list_excerpts(demo_ws, document=doc)
    assert len(made) == 1
    ex = get_excerpt(demo_ws, made[0].id)
    assert (ex.start, ex.end, ex.page, ex.text) == (start, start + len(LINE), 2, LINE)
    assert [c.id for c in ex.codes] == [ids["Time"]]
    assert (ex.relevance, ex.relevance_note, ex.memo) == (
        "moderate",
        "Staff report it directly",
        "No time set aside",
    )
    assert ex.coder == "LLJ"
    assert [(e.role, e.excerpt.id) for e in cmoc_trace(demo_ws, "6").excerpts] == [("M", ex.id)]
    last = cmoc_history(demo_ws, "6")[-1]
    assert (last.reviewer, last.rationale) == ("LLJ", "Burkitt 2021 p.2")
    assert last.changes == {"mechanism": (old_mechanism, f"No protected time: {old_mechanism}")}
    assert get_cmoc(demo_ws, "6").mechanism == f"No protected time: {old_mechanism}"


async def test_new_cmoc_from_the_link_picker_gets_the_excerpt_as_context(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path, pages=PAGES).document_id
    phrase = "Data were stratified by race and ethnicity to find gaps."
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k")
        assert isinstance(app.screen, CodingScreen)
        await go_to_line_starting(pilot, app, "Data were")
        await pilot.press("shift+end")  # the row fits the view: to the end of the line
        await pilot.press("c", *"data", "enter")  # the first match: Data
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        # "new CMOC…" is the picker's last line, found by typing "new"; escape in the form
        # creates and links nothing.
        await pilot.press("l", *"new", "enter", "c")
        assert isinstance(app.screen, CmocFormScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, CodingScreen)
        assert "16" not in cmoc_labels(demo_ws)
        # ctrl+n chooses it whatever the filter shows; c: the excerpt is context evidence.
        await pilot.press("l", *"zzz", "ctrl+n", "c")
        form = app.screen
        assert isinstance(form, CmocFormScreen)
        await pilot.press(*"16", "tab")
        await pilot.press("enter", "down", "down", "down", "enter", "tab")  # cluster 3
        await pilot.press("tab", "tab")  # direction not stated, status new
        await pilot.press(*"Dashboards stratified by race", "tab")
        await pilot.press(*"gaps become visible to teams", "tab")
        await pilot.press(*"the gap narrows", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert "CMOC 16 (context)" in static_text(app, "#coding-detail")
        assert any("CMOC 16 created" in n.message for n in app._notifications)
    made = list_excerpts(demo_ws, document=doc)
    assert [(e.text, e.code_names) for e in made] == [(phrase, "Data")]
    cmoc = get_cmoc(demo_ws, "16")
    assert (cmoc.cluster_number, cmoc.status) == (3, "new")
    assert (cmoc.context, cmoc.mechanism, cmoc.outcome) == (
        "Dashboards stratified by race",
        "gaps become visible to teams",
        "the gap narrows",
    )
    assert [(e.role, e.excerpt.id) for e in cmoc_trace(demo_ws, "16").excerpts] == [
        ("C", made[0].id)
    ]
    history = cmoc_history(demo_ws, "16")
    assert len(history) == 2  # created, then the evidence linked, both by LLJ
    assert history[0].rationale == "created" and history[0].changes["id"] == (None, "16")
    assert list(history[1].changes) == ["evidence C"]
    assert [h.reviewer for h in history] == ["LLJ", "LLJ"]
