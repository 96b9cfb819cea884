"""Relevance order in the screening screen, driven with Pilot: the keys a reviewer presses.

The records alternate between two topics; including one equity record must bring the other
equity records forward, without a keypress ever waiting for the model.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from textual.widgets import Static

from realist.db.models import Record
from realist.services import prioritise
from realist.services.context import Workspace
from tests.conftest import migrated_sqlite
from tests.factories_screening import add_batch, screening_workspace
from tui.app import RealistApp
from tui.screens.screening import ScreeningScreen
from tui.screens.screening_rank import StoppingDialog, WhyDialog

EQUITY = "Quality improvement for deprived ethnic minority patients narrows the equity gap"
OTHER = "Hip fracture surgery outcomes in elderly orthopaedic wards with titanium implants"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    prioritise.clear_cache()
    ws = screening_workspace(migrated_sqlite(tmp_path / "rank.db"))
    ids = add_batch(ws, 16, prefix="MED-")
    with ws.store.transaction() as s:
        for n, rid in enumerate(ids):
            topic = EQUITY if n % 2 == 0 else OTHER
            s.execute(
                update(Record)
                .where(Record.id == rid)
                .values(title=f"{topic} ({n})", abstract=f"{topic}. Report number {n}.")
            )
    return ws


def screen_of(app: RealistApp) -> ScreeningScreen:
    screen = app.screen
    assert isinstance(screen, ScreeningScreen), type(screen)
    return screen


def current_title(app: RealistApp) -> str:
    view = screen_of(app).view
    assert view is not None
    return view.title or ""


def progress(app: RealistApp) -> str:
    return str(screen_of(app).query_one("#progress", Static).render())


async def settle(app: RealistApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_relevance(app: RealistApp, pilot: Any) -> ScreeningScreen:
    await pilot.press("r")
    await pilot.pause()
    assert "(file order)" in progress(app)
    await pilot.press("O")  # random
    await pilot.pause()
    assert "(random order)" in progress(app)
    await pilot.press("O")  # relevance
    await settle(app, pilot)
    return screen_of(app)


async def test_relevance_order_learns_from_an_include(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A generous window so that the refit after each key replaces the record shown, whatever
    # the machine's load (the default is half a second).
    monkeypatch.setattr(ScreeningScreen, "SWAP_WINDOW", 60.0)
    app = RealistApp(ws)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_relevance(app, pilot)
        assert "(relevance: no include yet, file order)" in progress(app)
        first = screen.queue.current if screen.queue else None
        assert "(0)" in current_title(app)  # cold start: file order
        await pilot.press("e")  # record (0) is an equity one: exclude it ...
        await settle(app, pilot)
        await pilot.press("i")  # ... and include the next, an orthopaedic one
        await settle(app, pilot)
        assert "(relevance: 1 kept, 1 excluded" in progress(app)
        # every other orthopaedic record now comes before every equity record
        shown = []
        for _ in range(7):
            shown.append(current_title(app))
            await pilot.press("e")
            await settle(app, pilot)
        assert all(OTHER in t for t in shown), shown
        assert screen.queue is not None and first in screen.queue
        assert len(screen.queue) == 16  # nothing hidden


async def test_a_late_refit_keeps_the_record_on_screen(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ScreeningScreen, "SWAP_WINDOW", 0.0)
    app = RealistApp(ws)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_relevance(app, pilot)
        await pilot.press("i")  # include (0), an equity record
        await settle(app, pilot)
        # the model arrived after the next record was shown: that record stays ...
        assert "(1)" in current_title(app)
        assert screen.queue is not None
        # ... and is pinned first among the open ones, so the best ones follow it
        await pilot.press("e")
        await settle(app, pilot)
        assert EQUITY in current_title(app) and "(2)" in current_title(app)


async def test_keys_are_answered_while_the_model_is_built(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    real_build = prioritise.build_corpus

    def slow_build(source: prioritise.CorpusSource, **kw: Any) -> prioritise.Corpus:
        gate.wait(timeout=30)
        return real_build(source, **kw)

    monkeypatch.setattr(prioritise, "build_corpus", slow_build)
    app = RealistApp(ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("r", "O", "O")
        await pilot.pause()
        assert "(relevance: building the model" in progress(app)
        # decisions go through and the queue moves on while the worker waits
        await pilot.press("i", "e", "e")
        await pilot.pause()
        assert "screened 3" in progress(app)
        assert "(relevance: building the model" in progress(app)
        gate.set()
        await settle(app, pilot)
        assert "(relevance: 1 kept, 2 excluded" in progress(app)


async def test_why_here_shows_the_terms_that_pushed_the_record_up(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ScreeningScreen, "SWAP_WINDOW", 60.0)
    app = RealistApp(ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_relevance(app, pilot)
        await pilot.press("Y")
        await pilot.pause()
        assert isinstance(app.screen, WhyDialog)
        assert "Rank order starts with the first include" in str(
            app.screen.query_one("#why-body", Static).render()
        )
        await pilot.press("escape")
        await pilot.press("i")  # (0), equity: the refit brings the next equity record
        await settle(app, pilot)
        assert EQUITY in current_title(app) and "(2)" in current_title(app)
        await pilot.press("Y")
        await pilot.pause()
        body = str(app.screen.query_one("#why-body", Static).render())
        assert "Terms that pushed it up" in body
        assert "equity" in body and "deprived" in body
        assert "fracture" not in body
        await pilot.press("escape")
        assert isinstance(app.screen, ScreeningScreen)


async def test_why_here_outside_relevance_order_says_how_to_get_it(ws: Workspace) -> None:
    app = RealistApp(ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("Y")
        await pilot.pause()
        assert isinstance(app.screen, ScreeningScreen)
        assert any("press O" in n.message for n in app._notifications)


async def test_stopping_aid_charts_and_estimates(ws: Workspace) -> None:
    app = RealistApp(ws)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("i", "e", "e", "i", "e", "e")
        await pilot.press("S")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, StoppingDialog)
        body = str(dialog.query_one("#stopping-body", Static).render())
        report = prioritise.stopping_report(ws, "title_abstract")
        assert report.estimate.screened == 6 and report.estimate.found == 2
        assert "6 of 16 (10 left)" in body
        assert "screened since the last one" in body and "2\n" in body
        assert f"{report.estimate.remaining:.1f}" in body
        assert "P(recall < 95%)" in body
        assert "•" in body and "│" in body  # the chart
        await pilot.press("t")
        await settle(app, pilot)
        body = str(dialog.query_one("#stopping-body", Static).render())
        assert "P(recall < 90%)" in body
        await pilot.press("escape")
        assert isinstance(app.screen, ScreeningScreen)


async def test_a_large_review_builds_the_model_in_a_child_process_while_the_app_runs(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From PROCESS_THRESHOLD records on, vectorising runs in a child process. Textual swaps
    sys.stdout/stderr for its own capture while the app runs, which must not break starting the
    child (it did: multiprocessing's resource tracker passed stderr's fd, -1, to the child)."""
    monkeypatch.setattr(prioritise, "PROCESS_THRESHOLD", 1)
    monkeypatch.setattr(ScreeningScreen, "SWAP_WINDOW", 60.0)
    built: list[bool] = []
    original = prioritise.build_corpus

    def spy(source: prioritise.CorpusSource, **kw: Any) -> prioritise.Corpus:
        corpus = original(source, **kw)
        built.append(True)
        return corpus

    monkeypatch.setattr(prioritise, "build_corpus", spy)
    app = RealistApp(ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_relevance(app, pilot)
        await pilot.press("i")  # record (0), an equity record
        await settle(app, pilot)
        assert built, "the model was built"
        assert "(relevance: 1 kept" in progress(app)
        # the screen had just moved on by itself, so it went to the best open record
        assert EQUITY in current_title(app) and "(0)" not in current_title(app)
