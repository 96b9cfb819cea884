"""The records list: filters, search, sort and pages read from the database, and its screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from textual.widgets import DataTable, Input, Select

from realist.db.models import Record
from realist.errors import InvalidInputError
from realist.services import screening as sc
from realist.services.context import Workspace
from realist.services.records_query import RecordQuery, count_records, filter_options, page_records
from tests.conftest import migrated_sqlite
from tests.factories_screening import (
    add_batch,
    as_reviewer,
    mark_duplicates,
    screening_workspace,
    workspace_at,
)
from tui.app import RealistApp
from tui.screens.records import RecordsScreen
from tui.screens.screening import ScreeningScreen

TA, FT = "title_abstract", "full_text"
Q = RecordQuery()


def build(ws: Workspace) -> dict[str, list[int]]:
    med = add_batch(ws, 12, source_db="MEDLINE", prefix="MED-", seed=1)
    emb = add_batch(ws, 6, source_db="Embase", prefix="EMB-", seed=2)
    mark_duplicates(ws, [(emb[0], med[0])])
    with ws.store.transaction() as s:
        s.execute(
            update(Record)
            .where(Record.id == med[3])
            .values(title="Audit of 50% discount_cards", year=1999)
        )
        s.execute(
            update(Record)
            .where(Record.id == med[4])
            .values(abstract="Rural PDSA cycles in clinics")
        )
    jf = as_reviewer(ws, "JF")
    for r in med[:4]:
        sc.decide(ws, r, TA, "include")
    sc.decide(ws, med[4], TA, "exclude")
    sc.decide(jf, med[1], TA, "exclude")  # conflict
    sc.decide(jf, med[2], TA, "include")
    sc.toggle_tag(ws, med[2], "race")
    sc.toggle_tag(jf, med[3], "race")
    return {"med": med, "emb": emb}


def ids(page: Any) -> list[int]:
    return [r.id for r in page.rows]


def test_filters_and_counts(db_url: str) -> None:
    ws = workspace_at(db_url)
    b = build(ws)
    med, emb = b["med"], b["emb"]
    assert count_records(ws, Q) == 17  # the duplicate is not listed
    assert ids(page_records(ws, Q.with_(decision="include"))) == [med[0], med[2], med[3]]
    assert ids(page_records(ws, Q.with_(decision="conflict"))) == [med[1]]
    assert ids(page_records(ws, Q.with_(decision="exclude"))) == [med[4]]
    assert count_records(ws, Q.with_(decision="undecided")) == 12
    assert ids(page_records(ws, Q.with_(reviewer="JF"))) == [med[1], med[2]]
    assert ids(page_records(ws, Q.with_(reviewer="JF", decision="exclude"))) == [med[1]]
    assert count_records(ws, Q.with_(reviewer="JF", decision="undecided")) == 15
    assert ids(page_records(ws, Q.with_(tag="race"))) == [med[2], med[3]]
    assert ids(page_records(ws, Q.with_(tag="race", reviewer="LLJ"))) == [med[2]]
    assert ids(page_records(ws, Q.with_(source="Embase"))) == emb[1:]
    with ws.store.read() as s:
        texts = {
            r.id: f"{r.title} {r.abstract}".lower()
            for r in s.scalars(select(Record).where(Record.duplicate_of_id.is_(None)))
        }
    both = sorted(i for i, txt in texts.items() if "rural" in txt and "pdsa" in txt)
    assert med[4] in both and sorted(ids(page_records(ws, Q.with_(text="Rural PDSA")))) == both
    assert ids(page_records(ws, Q.with_(text="50%"))) == [med[3]]  # % is literal
    assert ids(page_records(ws, Q.with_(text="discount_cards"))) == [med[3]]  # _ is literal
    assert count_records(ws, Q.with_(stage=FT)) == 3  # med[0], med[2], med[3] kept
    options = filter_options(ws)
    assert options.reviewers == ("JF", "LLJ") and options.sources == ("MEDLINE", "Embase")


def test_rows_carry_final_decision_reviewers_and_tags(tmp_path: Path) -> None:
    ws = screening_workspace(migrated_sqlite(tmp_path / "r.db"))
    med = build(ws)["med"]
    rows = {r.id: r for r in page_records(ws, Q).rows}
    assert rows[med[1]].final == "conflict" and rows[med[1]].decisions == (
        ("JF", "exclude"),
        ("LLJ", "include"),
    )
    assert rows[med[2]].tags == ("race",) and rows[med[0]].source == "MEDLINE"
    assert rows[med[5]].final is None and rows[med[5]].decisions == ()


def test_sort_and_pages(tmp_path: Path) -> None:
    ws = screening_workspace(migrated_sqlite(tmp_path / "r.db"))
    b = build(ws)
    everything = ids(page_records(ws, Q, 0, 100))
    assert everything == b["med"] + b["emb"][1:]  # file order
    first, second = page_records(ws, Q, 0, 10), page_records(ws, Q, 10, 10)
    assert ids(first) + ids(second) == everything
    assert (second.first, second.last, second.total) == (11, 17, 17)
    years = [r.year for r in page_records(ws, Q.with_(sort="year", descending=True)).rows]
    assert years == sorted(years, reverse=True) and years[-1] == 1999
    assert ids(page_records(ws, Q.with_(sort="id", descending=True)))[0] == max(everything)
    with pytest.raises(InvalidInputError, match="unknown sort"):
        page_records(ws, Q.with_(sort="colour"))
    with pytest.raises(InvalidInputError, match="unknown reviewer"):
        page_records(ws, Q.with_(reviewer="NOBODY"))


# --------------------------------------------------------------------------------------------
# The screen


async def settle(app: RealistApp, pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def table(app: RealistApp) -> DataTable[Any]:
    return app.screen.query_one(DataTable)


@pytest.fixture
def listed(tmp_path: Path) -> Workspace:
    ws = screening_workspace(migrated_sqlite(tmp_path / "l.db"))
    build(ws)
    return ws


async def test_list_opens_with_showing_n_of_m(listed: Workspace) -> None:
    app = RealistApp(listed)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("l")
        await settle(app, pilot)
        assert isinstance(app.screen, RecordsScreen)
        assert table(app).row_count == 17
        assert table(app).border_title == "Records · title/abstract · showing 1–17 of 17"


async def test_filter_by_decision_and_search(listed: Workspace) -> None:
    app = RealistApp(listed)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("l")
        await settle(app, pilot)
        decision: Select[str] = app.screen.query_one("#decision", Select)
        decision.focus()
        await pilot.press("enter", "down", "enter")  # the first option: include
        await settle(app, pilot)
        assert table(app).border_title == "Records · title/abstract · showing 1–3 of 3"
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"discount", "enter")
        await settle(app, pilot)
        assert table(app).row_count == 1 and "showing 1–1 of 1" in str(table(app).border_title)
        assert isinstance(app.focused, DataTable)
        await pilot.press("slash", "ctrl+u", "enter")
        await settle(app, pilot)
        assert table(app).row_count == 3


async def test_pages_and_enter_opens_the_screening_screen(
    listed: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = Path(str(listed.store.url).split("///", 1)[1]).parent / "cfg"
    cfg.mkdir()
    (cfg / "config.yaml").write_text("list:\n  page_size: 10\n")
    monkeypatch.setenv("REALIST_CONFIG_DIR", str(cfg))
    app = RealistApp(listed)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("l")
        await settle(app, pilot)
        assert table(app).border_title == "Records · title/abstract · showing 1–10 of 17"
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert table(app).border_title == "Records · title/abstract · showing 11–17 of 17"
        await pilot.press("right_square_bracket")  # no further page
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        assert "showing 1–10" in str(table(app).border_title)
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ScreeningScreen)
        assert app.screen.view is not None and app.screen.view.id == 3
        await pilot.press("e", "escape")  # decide there, come back: the list is reloaded
        await settle(app, pilot)
        assert isinstance(app.screen, RecordsScreen)
        assert (
            app.screen.page is not None and app.screen.page.rows[2].final == "conflict"
        )  # JF included it
