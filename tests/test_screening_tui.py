"""The screening screen driven with Textual's Pilot: every key path a reviewer uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from textual.widgets import Static

from realist.db.models import Document, FullText, ScreeningDecision
from realist.services import screening as sc
from realist.services.context import Workspace
from tests.conftest import migrated_sqlite
from tests.factories import make_pdf
from tests.factories_screening import add_batch, as_reviewer, reviewer_id, screening_workspace
from tui.app import RealistApp
from tui.screens.help import HelpScreen
from tui.screens.screening import ScreeningScreen, screening_screen
from tui.widgets.prompts import ChoicePicker, TextPrompt

TA, FT = "title_abstract", "full_text"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = screening_workspace(migrated_sqlite(tmp_path / "tui.db"))
    add_batch(ws, 8, prefix="MED-")
    return ws


def text(app: RealistApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def screen_of(app: RealistApp) -> ScreeningScreen:
    assert isinstance(app.screen, ScreeningScreen), type(app.screen)
    return app.screen


def current_id(app: RealistApp) -> int:
    view = screen_of(app).view
    assert view is not None
    return view.id


def mine(
    ws: Workspace, stage: str = TA, reviewer: str = "LLJ"
) -> dict[int, tuple[str, str | None, str | None]]:
    who = reviewer_id(ws, reviewer)
    d = ScreeningDecision
    with ws.store.read() as s:
        return {
            r.record_id: (r.decision, r.reason_code, r.note)
            for r in s.scalars(
                select(d).where(d.reviewer_id == who, d.stage == stage, d.is_current)
            )
        }


def notes(app: RealistApp) -> list[str]:
    return [n.message for n in app._notifications]


async def open_screen(app: RealistApp, pilot: Any) -> ScreeningScreen:
    await pilot.press("r")
    await pilot.pause()
    return screen_of(app)


async def test_decide_with_single_keys_and_see_progress(ws: Workspace) -> None:
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await open_screen(app, pilot)
        assert current_id(app) == 1 and "MED-1" in text(app, "#record")
        assert "screened 0" in text(app, "#progress") and "remaining 8" in text(app, "#progress")
        await pilot.press("i", "e", "m")
        assert current_id(app) == 4
        assert mine(ws) == {
            1: ("include", None, None),
            2: ("exclude", None, None),
            3: ("maybe", None, None),
        }
        progress = text(app, "#progress")
        for part in ("screened 3", "remaining 5", "included 1", "excluded 1", "maybe 1", "4 of 8"):
            assert part in progress, progress
        assert screen.queue is not None and screen.queue.progress().screened == 3


async def test_reason_picker_excludes_with_a_reason(ws: Workspace) -> None:
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("r")
        assert isinstance(app.screen, ChoicePicker)
        await pilot.press("escape")  # cancelled: nothing recorded
        assert mine(ws) == {} and current_id(app) == 1
        await pilot.press("r", "5")  # by number
        await pilot.press("r", "down", "enter")  # by arrows: the second reason
        assert mine(ws) == {1: ("exclude", "lmic", None), 2: ("exclude", "not_qi", None)}
        assert current_id(app) == 3


async def test_full_text_exclude_requires_a_reason(ws: Workspace) -> None:
    for r in (1, 2):
        sc.decide(ws, r, TA, "include")
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("w")  # switch to the full-text stage
        screen = screen_of(app)
        assert screen.stage.value == FT and screen.queue is not None and screen.queue.ids == [1, 2]
        assert "Full text" in text(app, "#progress") and "not attached yet" in text(app, "#record")
        await pilot.press("e")
        assert isinstance(app.screen, ChoicePicker)
        await pilot.press("escape")
        assert mine(ws, FT) == {}
        await pilot.press("e", "3")
        assert mine(ws, FT) == {1: ("exclude", "no_equity_data", None)}
        await pilot.press("i")
        assert mine(ws, FT)[2] == ("include", None, None)


async def test_notes_before_and_after_deciding(ws: Workspace) -> None:
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("o")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"check methods", "enter")
        assert "check methods (saved with your decision)" in text(app, "#record")
        assert mine(ws) == {}
        await pilot.press("i")
        assert mine(ws)[1] == ("include", None, "check methods")
        await pilot.press("p", "o")  # back to record 1, edit its note
        await pilot.press("ctrl+u", *"revisited", "enter")
        assert mine(ws)[1] == ("include", None, "revisited")
        assert "Note revisited" in text(app, "#record")


async def test_tags_toggle_with_their_keys_and_custom_labels(ws: Workspace) -> None:
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("2", "7", "g", "2")
        assert sc.record_view(ws, 1, TA).my_tags == {"ses", "gap"}
        tags = text(app, "#tags")
        assert "[x]  7 Socioeconomic status" in tags and "[ ]  2 Race" in tags
        await pilot.press("l")
        await pilot.press(*"needs translation", "enter")
        assert sc.record_view(ws, 1, TA).my_tags == {"ses", "gap", "needs_translation"}
        assert "[x]    needs translation" in text(app, "#tags").replace("[x]    N", "[x]    n")


async def test_undo_goes_back_several_decisions(ws: Workspace) -> None:
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("i", "e", "m")
        await pilot.press("u")
        assert current_id(app) == 3 and 3 not in mine(ws)
        await pilot.press("u")
        assert current_id(app) == 2 and mine(ws) == {1: ("include", None, None)}
        assert "screened 1" in text(app, "#progress")
        await pilot.press("u", "u")
        assert mine(ws) == {} and "nothing to undo at the title/abstract stage" in notes(app)


async def test_next_previous_skip_and_jump(ws: Workspace) -> None:
    sc.decide(ws, 3, TA, "exclude")
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("n", "right")
        assert current_id(app) == 3  # next/previous walk every record, decided or not
        assert "EXCLUDE" in text(app, "#record")
        await pilot.press("p", "left", "left")
        assert current_id(app) == 1 and "start of the queue" in notes(app)
        await pilot.press("s")  # skip: the next record waiting
        assert current_id(app) == 2
        await pilot.press("s")
        assert current_id(app) == 4  # record 3 is decided
        await pilot.press("j", *"MED-7", "enter")
        assert current_id(app) == 7
        await pilot.press("j", *"#2", "enter")
        assert current_id(app) == 2
        await pilot.press("j", *"nope", "enter")
        assert current_id(app) == 2 and any("nope" in n for n in notes(app))
        assert mine(ws) == {3: ("exclude", None, None)}


async def test_criteria_toggle(ws: Workspace) -> None:
    app = RealistApp(ws)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_screen(app, pilot)
        assert "criteria hidden" in text(app, "#criteria")
        await pilot.press("c")
        criteria = text(app, "#criteria")
        assert "Inclusion criteria" in criteria and "Published before 2000" in criteria
        await pilot.press("c")
        assert "criteria hidden" in text(app, "#criteria")


async def test_attach_a_full_text_by_typing_its_path(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc.decide(ws, 1, TA, "include")
    make_pdf(tmp_path / "paper.pdf", ["Quality improvement and equity", "Results page"])
    monkeypatch.chdir(tmp_path)  # short paths to type
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("f")  # no full-text actions at title/abstract
        assert not isinstance(app.screen, TextPrompt)
        await pilot.press("w", "f")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"missing.pdf", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("missing.pdf" in n for n in notes(app))
        await pilot.press("f", *"paper.pdf", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "paper.pdf (pdf, 2 page(s)" in text(app, "#record")
        with ws.store.read() as s:
            doc = s.scalars(select(Document).where(Document.record_id == 1)).one()
            assert doc.retrieval == "retrieved"
            assert s.scalars(
                select(FullText.file_name).where(FullText.document_id == doc.id)
            ).all() == ["paper.pdf"]


async def test_mark_not_retrieved(ws: Workspace) -> None:
    for r in (1, 2):
        sc.decide(ws, r, TA, "include")
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("w", "x")
        assert current_id(app) == 2  # moved on: nothing to decide on a report not retrieved
        assert "not retrieved 1" in text(app, "#progress")
        await pilot.press("p")
        assert "not retrieved" in text(app, "#record")
        await pilot.press("i")  # refused by the service, shown as an error
        assert mine(ws, FT) == {} and any("not retrieved" in n for n in notes(app))


async def test_others_decisions_and_the_final_decision_are_shown(ws: Workspace) -> None:
    jf = as_reviewer(ws, "JF")
    sc.decide(jf, 1, TA, "exclude", reason="lmic", note="Brazil")
    sc.toggle_tag(jf, 1, "race")
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        record = text(app, "#record")
        assert "JF exclude" in record and "Brazil" in record
        assert "JF: Race/ethnicity/culture/language" in text(app, "#tags")
        await pilot.press("p")  # (already at the start)
        await pilot.press("i", "p")
        assert "Final conflict" in text(app, "#record")


async def test_keys_are_remappable_in_the_config(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "config.yaml").write_text(
        "keys:\n  include: y\n  exclude: [d, k]\ntag_keys:\n  race: z\n"
    )
    monkeypatch.setenv("REALIST_CONFIG_DIR", str(config))
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("z", "y", "k", "i")  # 'i' is no longer bound
        assert mine(ws) == {1: ("include", None, None), 2: ("exclude", None, None)}
        assert sc.record_view(ws, 1, TA).my_tags == {"race"}
        assert "[x]  z Race" in text(app, "#tags") or "z Race" in text(app, "#tags")


async def test_a_broken_config_falls_back_with_a_notification(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "config.yaml").write_text("keys:\n  include: [i\n")
    monkeypatch.setenv("REALIST_CONFIG_DIR", str(config))
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        assert any("config.yaml:3" in n and "default settings" in n for n in notes(app))
        await pilot.press("i")
        assert mine(ws) == {1: ("include", None, None)}


async def test_help_lists_the_screening_keys(ws: Workspace) -> None:
    app = RealistApp(ws)
    async with app.run_test(size=(130, 60)) as pilot:
        await open_screen(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        body = text(app, "#help-text")
        for line in ("Include", "Undo", "Tag: Gap", "Tag: Socioeconomic status", "Jump"):
            assert line in body


async def test_open_at_a_record_not_in_the_queue_warns(ws: Workspace) -> None:
    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        app.push_screen(screening_screen(ws, FT, record_id=1))
        await pilot.pause()
        assert any("not in your queue at the full text stage" in n for n in notes(app))
        assert "Nothing to screen at this stage yet" in text(app, "#record")


async def test_a_database_error_is_a_notification_not_a_crash(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    def locked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT ...", {}, Exception("database is locked"))

    app = RealistApp(ws)
    async with app.run_test(size=(130, 40)) as pilot:
        await open_screen(app, pilot)
        monkeypatch.setattr(sc, "decide", locked)
        await pilot.press("i")
        assert "database error: database is locked" in notes(app)
        assert current_id(app) == 1 and isinstance(app.screen, ScreeningScreen)
