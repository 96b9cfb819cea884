"""The RAMESES checklist: constants, reading, editing with optimistic concurrency, audit,
and the TUI screen driven by keys."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from textual.widgets import DataTable, Input, Static

from realist.db.models import AuditEntry, RamesesItem
from realist.domain import Reported
from realist.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from realist.services import rameses
from realist.services.context import Actor, Workspace
from tests.conftest import REPO
from tui.app import RealistApp
from tui.screens.rameses import RamesesScreen, TextPrompt


def test_nineteen_items_in_six_sections_named_as_in_the_methods_reference() -> None:
    names = [d.name for d in rameses.RAMESES_ITEMS]
    assert [d.number for d in rameses.RAMESES_ITEMS] == list(range(1, 20))
    methods = REPO.parent / "shared" / "docs" / "methods.md"
    if methods.exists():  # the item names as docs/methods.md lists them
        listing = methods.read_text(encoding="utf-8").split("19 items")[1].split("Sections:")[0]
        for number, name in enumerate(names, start=1):
            assert f"{number} {name}" in " ".join(listing.split()), name
    assert names[11] == "Document flow diagram" and names[18] == "Funding"
    sections = [d.section for d in rameses.RAMESES_ITEMS]
    assert sections[0] == "Title" and sections[1] == "Abstract"
    assert sections[2:4] == ["Introduction"] * 2
    assert sections[4:11] == ["Methods"] * 7
    assert sections[11:14] == ["Results"] * 3
    assert sections[14:] == ["Discussion"] * 5
    assert all(d.description.endswith(".") for d in rameses.RAMESES_ITEMS)


def test_cycle_order() -> None:
    seen = [None]
    for _ in range(4):
        seen.append(rameses.cycle_reported(seen[-1]))
    assert seen == [None, "yes", "no", "unclear", None]
    assert rameses.cycle_reported("bogus") == "yes"


def test_checklist_of_the_example(demo_ws: Workspace) -> None:
    rows = rameses.checklist(demo_ws)
    assert len(rows) == 19
    assert [r.reported for r in rows].count("yes") == 18
    assert rows[4].reported == "unclear" and rows[4].reported_label == "Unclear"
    assert rows[0].note == "Title identifies the document as a realist review."
    assert all(r.version >= 1 for r in rows)


def test_update_with_the_version_read(demo_ws: Workspace) -> None:
    before = rameses.get_item(demo_ws, 12)
    after = rameses.update_item(
        demo_ws, 12, reported="no", pages=" 4, 6-7 ", expected_version=before.version
    )
    assert (after.reported, after.pages, after.note) == ("no", "4, 6-7", before.note)
    assert after.version == before.version + 1
    assert rameses.get_item(demo_ws, 12) == after
    with demo_ws.store.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "rameses.update")).one()
        assert entry.entity_id == "12" and entry.actor == "LLJ"
        assert entry.details["changes"] == {
            "reported": ["yes", "no"],
            "pages": [None, "4, 6-7"],
        }
    # Someone else's change in between is refused, and nothing is written.
    with pytest.raises(ConflictError, match=r"item 12 .*changed by someone else"):
        rameses.update_item(demo_ws, 12, note="late", expected_version=before.version)
    assert rameses.get_item(demo_ws, 12).note == before.note


def test_clearing_and_cleaning_text(demo_ws: Workspace) -> None:
    row = rameses.update_item(demo_ws, 3, note="  \x07first\x00 line\nsecond  ", pages="")
    assert row.note == "first line\nsecond" and row.pages is None
    row = rameses.update_item(demo_ws, 3, reported=None, note="")
    assert row.reported is None and row.note is None


def test_item_never_stored_starts_at_version_0(demo_ws: Workspace) -> None:
    with demo_ws.store.transaction() as s:
        s.delete(s.scalars(select(RamesesItem).where(RamesesItem.item == 7)).one())
    row = rameses.get_item(demo_ws, 7)
    assert (row.version, row.reported, row.updated_at) == (0, None, None)
    assert rameses.update_item(demo_ws, 7, note=None, expected_version=0).version == 0
    saved = rameses.update_item(demo_ws, 7, reported="yes", expected_version=0)
    assert saved.version == 1 and saved.reported == "yes"
    with pytest.raises(ConflictError):
        rameses.update_item(demo_ws, 7, reported="no", expected_version=0)


def test_bad_input_and_roles(demo_ws: Workspace) -> None:
    with pytest.raises(InvalidInputError, match="reported must be one of yes, no, unclear"):
        rameses.update_item(demo_ws, 1, reported="maybe")
    with pytest.raises(NotFoundError, match="numbered 1 to 19, not 20"):
        rameses.update_item(demo_ws, 20, reported="yes")
    observer = demo_ws.with_actor(Actor(99, "OBS", "observer"))
    with pytest.raises(PermissionDeniedError, match=r"OBS .* may not edit the RAMESES checklist"):
        rameses.update_item(observer, 1, reported="no")
    assert rameses.get_item(demo_ws, 1).reported == Reported.YES


# ------------------------------------------------------------------------------------- TUI


def detail(app: RealistApp) -> str:
    return str(app.screen.query_one("#rameses-detail", Static).render())


async def test_screen_keys_cycle_and_edit(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("m")
        assert isinstance(app.screen, RamesesScreen)
        table: DataTable[Any] = app.screen.query_one(DataTable)
        assert table.row_count == 19
        assert "Item 1. Title" in detail(app)
        await pilot.press("down", "down", "down", "down")  # item 5: unclear
        assert "Item 5. Changes in the review process" in detail(app)
        await pilot.press("space")  # unclear -> not judged
        assert rameses.get_item(demo_ws, 5).reported is None
        await pilot.press("space", "n")  # -> yes, then straight to no
        assert rameses.get_item(demo_ws, 5).reported == "no"
        await pilot.press("p")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"7-8", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RamesesScreen)
        assert rameses.get_item(demo_ws, 5).pages == "7-8"
        assert "7-8" in detail(app)
        await pilot.press("e")
        prompt = app.screen.query_one(Input)
        prompt.value = "Protocol changes are in appendix 3"
        await pilot.press("enter")
        await pilot.pause()
        assert rameses.get_item(demo_ws, 5).note == "Protocol changes are in appendix 3"
        await pilot.press("e", "escape")  # cancel leaves it alone
        await pilot.pause()
        assert rameses.get_item(demo_ws, 5).note == "Protocol changes are in appendix 3"


async def test_screen_reports_a_conflict_and_reloads(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("m")
        rameses.update_item(demo_ws, 1, reported="unclear")  # someone else, meanwhile
        await pilot.press("space")
        await pilot.pause()
        assert any("changed by someone else" in n.message for n in app._notifications)
        assert rameses.get_item(demo_ws, 1).reported == "unclear"
        assert "Reported  Unclear" in detail(app)  # the screen shows the stored value again
