"""The CMOC editor driven by the keys a reviewer presses: create into a cluster, link evidence
and CMOCs, revise with a reason, see the history and the evidence chain, and a stale edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Static

from realist.db.models import RecordTag, TagDef
from realist.services.cmoc_edit import cmoc_history, edit_cmoc, generate_statement, list_clusters
from realist.services.context import Workspace, resolve_actor
from realist.services.fulltext import attach_file
from realist.services.theory import get_cmoc
from realist.services.traceability import cmoc_trace
from tests.factories import make_pdf, make_records
from tests.factories_coding import PAGES, code_phrase, demo_copy, seed_codes
from tui.app import RealistApp
from tui.screens.cmoc_form import CmocFormScreen
from tui.screens.cmoc_history import CmocHistoryScreen
from tui.screens.cmocs import CmocBrowserScreen


@pytest.fixture
def demo_ws(tmp_path: Path) -> Workspace:
    """The example review as LLJ (conftest's fixture, copied from a template to save time)."""
    return demo_copy(tmp_path)


SIZE = (150, 48)


def detail(app: RealistApp) -> str:
    return str(app.screen.query_one("#cmoc-detail", Static).render())


async def open_cmoc(pilot: Pilot[Any], app: RealistApp, label: str) -> None:
    """From the home screen, open the editor and move down to CMOC `label`."""
    await pilot.press("c")
    screen = app.screen
    assert isinstance(screen, CmocBrowserScreen)
    for _ in range(40):
        if screen.selected_label() == label:
            return
        await pilot.press("down")
    raise AssertionError(f"CMOC {label} not found")


async def test_create_a_cmoc_into_a_cluster(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "n")
        assert isinstance(app.screen, CmocFormScreen)
        await pilot.press(*"16", "tab")
        # The cluster starts as the highlighted CMOC's (1A: cluster 1); one down is cluster 2.
        await pilot.press("enter", "down", "enter", "tab")
        await pilot.press("enter", "down", "down", "enter", "tab")  # may worsen
        await pilot.press("tab")  # status stays 'new'
        await pilot.press(*"busy", "tab", *"extra", "tab", *"dropped", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CmocBrowserScreen)
        assert app.screen.selected_label() == "16"
        assert "CMOC 16" in detail(app)
    made = get_cmoc(demo_ws, "16")
    assert (made.cluster_number, made.direction, made.status) == (2, "may_worsen", "new")
    assert made.statement == generate_statement("busy", "extra", "dropped")
    assert cmoc_history(demo_ws, "16")[0].rationale == "created"


async def test_link_evidence_revise_and_trace_from_record_tags(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    record_id = make_records(demo_ws, 1, seed=7)[0]
    doc = attach_file(demo_ws, make_pdf(tmp_path / "r.pdf", PAGES), record_id=record_id)
    with demo_ws.store.transaction() as s:
        ses = s.scalars(select(TagDef.id).where(TagDef.code == "ses")).one()
        s.add(
            RecordTag(
                record_id=record_id,
                tag_id=ses,
                reviewer_id=demo_ws.actor.id if demo_ws.actor else 0,
            )
        )
    ex = code_phrase(demo_ws, doc.document_id, "Staff lacked protected time", [ids["Time"]])
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await open_cmoc(pilot, app, "5")
        await pilot.press("v", *"prot", "enter", "c")
        await pilot.pause()
        text = detail(app)
        assert "Evidence excerpts (1)" in text and f"#{ex.id}" in text and "p.2" in text
        assert "Socioeconomic status (1)" in text  # from the record's screening tag
        assert "screening tags on records: Socioeconomic status" in text
        # Revise: status to refined, with the reason in the last field.
        await pilot.press("e")
        assert isinstance(app.screen, CmocFormScreen)
        await pilot.press("shift+tab", "enter", "down", "down", "down", "enter")  # refined
        await pilot.press("ctrl+s")  # no reason yet: refused, the form stays
        assert isinstance(app.screen, CmocFormScreen)
        assert app.screen.query_one("#form-why").has_focus
        await pilot.press(*"R1", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CmocBrowserScreen)
        assert "status: refined" in detail(app)
        await pilot.press("h")
        assert isinstance(app.screen, CmocHistoryScreen)
        history = str(app.screen.query_one("#history-text", Static).render())
        assert "LLJ: R1" in history and "refined" in history and "evidence C" in history
        await pilot.press("escape")
    last = cmoc_history(demo_ws, "5")[-1]
    assert last.changes == {"status": (None, "refined")} and last.rationale == "R1"
    assert [e.excerpt.id for e in cmoc_trace(demo_ws, "5").excerpts] == [ex.id]


async def test_a_stale_edit_is_refused_and_the_form_keeps_the_typing(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await open_cmoc(pilot, app, "6")
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, CmocFormScreen)
        await pilot.press(*"Rural ")
        # Meanwhile JF refines CMOC 6 from another terminal.
        jf = demo_ws.with_actor(resolve_actor(demo_ws.store, "JF"))
        edit_cmoc(jf, "6", {"status": "supported"}, rationale="JF's reading")
        form.query_one("#form-why").focus()
        await pilot.press("r", "ctrl+s")
        await pilot.pause()
        assert app.screen is form  # still open, the typing is there
        assert form.values()["context"].startswith("Rural staff")
        assert any("changed by someone else" in n.message for n in app._notifications)
    after = get_cmoc(demo_ws, "6")
    assert after.status == "supported" and not after.context.startswith("Rural")


async def test_link_cmocs_new_cluster_and_rewrite_statement(demo_ws: Workspace) -> None:
    app = RealistApp(demo_ws)
    async with app.run_test(size=SIZE) as pilot:
        await open_cmoc(pilot, app, "3")
        await pilot.press("l", *"7A", "enter", "l")
        await pilot.pause()
        assert "→ 7A (leads_to)" in detail(app)
        await pilot.press("N", *"Lead", "enter")
        await pilot.press("g", *"M", "enter")
        await pilot.pause()
    three = get_cmoc(demo_ws, "3")
    assert [k.other for k in three.links_out] == ["7A"]
    assert three.statement == generate_statement(three.context, three.mechanism, three.outcome)
    assert [c.name for c in list_clusters(demo_ws)][-1] == "Lead"
