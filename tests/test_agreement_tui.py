"""The agreement check in the TUI, driven with Pilot by the keys a user presses: the lead draws
a sample, the second reviewer screens it blind and sees nothing of the first reviewer's work on
any screen, the lead opens the comparison, reads the report, and resolves a disagreement."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import select
from textual.widgets import DataTable, Static

from realist.db.models import Resolution, Sample
from realist.services import samples
from realist.services import screening as sc
from realist.services.context import Workspace
from tests.factories_agreement import SECRET_NOTE, TA, draw_for, screen_sample, screened_review
from tests.factories_screening import as_reviewer
from tui.app import RealistApp
from tui.screens.agreement import AgreementScreen, DrawSampleScreen
from tui.screens.disagreements import DisagreementsScreen
from tui.screens.records import RecordsScreen
from tui.screens.screening import ScreeningScreen
from tui.widgets.prompts import TextPrompt

SIZE = (150, 48)


@pytest.fixture
def review(tmp_path: Path) -> tuple[Workspace, list[int]]:
    return screened_review(tmp_path / "tui.db", n=40)


def text(app: RealistApp, selector: str) -> str:
    """What a Static shows, as plain text (Rich renderables such as Markdown rendered)."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str):
        return content
    console = Console(width=140, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


def notes(app: RealistApp) -> list[str]:
    return [n.message for n in app._notifications]


def table_text(app: RealistApp, selector: str = "DataTable") -> str:
    table: DataTable[Any] = app.screen.query_one(selector, DataTable)
    return "\n".join(
        " | ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)
    )


async def settle(app: RealistApp, pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_sample_blind_screening_comparison_report_resolution_by_keys(
    review: tuple[Workspace, list[int]],
) -> None:
    ws, _ = review
    app = RealistApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AgreementScreen)
        assert "No agreement sample yet. Press n to draw one." in text(app, "#detail")
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, DrawSampleScreen)
        await pilot.press(*"0.10", "tab", *"42", "enter")
        await pilot.pause()
        preview = text(app, "#preview")
        assert "4 of 40 records LLJ decided at title/abstract, for JF to screen blind" in preview
        assert "ctrl+o (or the button) oversamples includes" in preview
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "stratified random sample" in text(app, "#preview")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, AgreementScreen)
        assert any("sample 1 drawn" in n for n in notes(app))
        assert "blind" in table_text(app)
    info = samples.list_samples(ws)[0]
    assert (info.seed, info.fraction, info.oversample, info.includes) == (
        42,
        0.1,
        {"include": 10},
        8,
    )

    # ... JF screens it blind with single keys (r on the home screen: the queue is the sample)
    app = RealistApp(as_reviewer(ws, "JF"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert f"of {info.size}" in text(app, "#progress")
        for k in range(info.size):
            assert "LLJ" not in text(app, "#record")
            await pilot.press("e" if k % 4 else "i")
        assert f"screened {info.size}" in text(app, "#progress")

    # ... and the lead opens the comparison, reads the report and resolves a disagreement
    app = RealistApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        assert "Cohen's kappa" in text(app, "#detail")
        await pilot.press("d")
        await pilot.pause()
        pair = app.screen.current  # type: ignore[attr-defined]
        await pilot.press("i", *"agreed on discussion", "enter")
        await pilot.pause()
        assert "Resolved: INCLUDE" in text(app, "#resolution")
    with ws.store.read() as s:
        assert sc.final_decision_of(s, ws, pair.record_id, TA) == "include"


async def test_the_second_reviewer_screens_blind_and_sees_nothing_of_the_first(
    review: tuple[Workspace, list[int]],
) -> None:
    ws, _ = review
    info = draw_for(ws)
    jf = as_reviewer(ws, "JF")
    app = RealistApp(jf)
    async with app.run_test(size=SIZE) as pilot:
        home = text(app, "#prisma")
        assert "screened 0" in home
        await pilot.press("a")
        await pilot.pause()
        detail = text(app, "#detail")
        assert "You are screening this sample blind" in detail and "LLJ hidden" in detail
        assert "include" not in detail  # no strata, no includes count, no warnings
        await pilot.press("o", "d", "x")  # not offered while blind (o: a lead's key)
        await pilot.pause()
        assert isinstance(app.screen, AgreementScreen) and notes(app) == []

        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ScreeningScreen)
        assert f"of {info.size}" in text(app, "#progress")
        seen = []
        for k in range(info.size):
            record, tags = text(app, "#record"), text(app, "#tags")
            assert "LLJ" not in record and SECRET_NOTE not in record, k
            assert "Others' tags" not in tags and "LLJ" not in tags, k
            seen.append(app.screen.view.id if app.screen.view else None)  # type: ignore[attr-defined]
            await pilot.press("i" if k % 3 == 0 else "e")
        assert sorted(seen) == sorted(info.record_ids)  # the queue is the sample
        assert f"screened {info.size}" in text(app, "#progress")

        await pilot.press("escape", "escape", "escape")
        await pilot.pause()
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, RecordsScreen)
        rows = table_text(app, "#records")
        assert "LLJ" not in rows and "race" not in rows
        assert "showing 1–40 of 40" in str(app.screen.query_one(DataTable).border_title)
    with ws.store.read() as s:
        assert s.scalars(select(Sample.comparison_opened_at)).one() is None


async def test_the_lead_opens_the_comparison_reads_the_report_and_resolves(
    review: tuple[Workspace, list[int]], tmp_path: Path
) -> None:
    ws, _ = review
    info = draw_for(ws)
    jf = as_reviewer(ws, "JF")
    screen_sample(jf, info, {rid: "include" for rid in info.record_ids[:4]})
    app = RealistApp(ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(app, pilot)
        assert "ready to open" in table_text(app)
        await pilot.press("o")
        await settle(app, pilot)
        assert any("blinding lifted" in n for n in notes(app))
        detail = text(app, "#detail")
        assert "Dual-screening agreement" in detail and "Fleiss, Cohen & Everitt (1969)" in detail
        assert "Cohen's kappa" in detail

        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        out = tmp_path / "report.csv"
        await pilot.press("ctrl+u", *str(out), "enter")
        await pilot.pause()
        assert out.read_text().startswith("scope,statistic,value")

        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DisagreementsScreen)
        first = app.screen.current
        assert first is not None and first.differs
        a_side, b_side = text(app, "#side-a"), text(app, "#side-b")
        assert "A · LLJ" in a_side and SECRET_NOTE in a_side and "B · JF" in b_side
        assert "Not resolved" in text(app, "#resolution")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"discussed: not QI", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DisagreementsScreen)
        assert "Resolved: EXCLUDE" in text(app, "#resolution")
        assert "discussed: not QI" in text(app, "#resolution")
    with ws.store.read() as s:
        res = s.scalars(select(Resolution)).one()
        assert (res.record_id, res.decision, res.rationale) == (
            first.record_id,
            "exclude",
            "discussed: not QI",
        )
        assert sc.final_decision_of(s, ws, first.record_id, TA) == "exclude"


async def test_after_the_opening_the_second_reviewer_sees_the_first(
    review: tuple[Workspace, list[int]],
) -> None:
    ws, _ = review
    info = draw_for(ws)
    jf = as_reviewer(ws, "JF")
    screen_sample(jf, info)
    samples.open_comparison(ws, info.id)
    app = RealistApp(jf)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("j", *f"#{info.record_ids[0]}", "enter")
        await pilot.pause()
        assert "LLJ" in text(app, "#record") and SECRET_NOTE in text(app, "#record")
        await pilot.press("escape", "a")
        await settle(app, pilot)
        await pilot.press("i")  # a resolution key on the agreement screen: nothing happens
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DisagreementsScreen)
        await pilot.press("i")  # resolving is a lead's: not offered to JF
        await pilot.pause()
        assert isinstance(app.screen, DisagreementsScreen)
    with ws.store.read() as s:
        assert s.scalars(select(Resolution)).all() == []
