"""The audit trail: listed newest first, filtered, and blind for a blinded second reviewer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from textual.widgets import DataTable

from realist.cli import cli
from realist.services import samples
from realist.services import screening as sc
from realist.services.audit_view import audit_entries
from realist.services.context import Workspace
from tests.factories import make_records
from tests.factories_agreement import draw_for, screen_sample, screened_review
from tests.factories_screening import as_reviewer
from tui.app import RealistApp
from tui.screens.audit import AuditScreen


def test_entries_are_newest_first_and_filterable(demo_ws: Workspace) -> None:
    ids = make_records(demo_ws, 3)
    sc.decide(demo_ws, ids[0], "title_abstract", "include")
    sc.decide(demo_ws, ids[1], "title_abstract", "exclude", note="off topic")
    rows = audit_entries(demo_ws, limit=5)
    assert [r.action for r in rows[:2]] == ["screening.decide", "screening.decide"]
    assert rows[0].id > rows[1].id
    assert rows[0].details.get("note") == "off topic" or "off topic" in rows[0].summary()
    assert all(r.action.startswith("screening.") for r in audit_entries(demo_ws, action="screening."))
    assert all(r.actor == "LLJ" for r in audit_entries(demo_ws, actor="LLJ"))
    assert audit_entries(demo_ws, actor="NOBODY") == []


def test_blinded_second_reviewer_does_not_see_first_reviewers_screening(tmp_path: Path) -> None:
    lead, _ids = screened_review(tmp_path / "r.db", n=20)
    info = draw_for(lead)
    jf = as_reviewer(lead, "JF")
    seen = audit_entries(jf, limit=1000)
    assert not any(r.actor == "LLJ" and r.action.startswith("screening.") for r in seen)
    assert any(r.action == "agreement.sample" for r in seen)  # the draw itself is not secret
    assert any(r.actor == "LLJ" and r.action == "screening.decide" for r in audit_entries(lead, limit=1000))
    screen_sample(jf, info)
    samples.open_comparison(lead, info.id)
    after = audit_entries(as_reviewer(lead, "JF"), limit=1000)
    assert any(r.actor == "LLJ" and r.action == "screening.decide" for r in after)


def test_log_command(demo_ws: Workspace) -> None:
    ids = make_records(demo_ws, 2)
    sc.decide(demo_ws, ids[0], "title_abstract", "maybe")
    db = demo_ws.store.url.removeprefix("sqlite:///")
    result = CliRunner().invoke(cli, ["--db", db, "log", "-n", "3"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert "LLJ" in first and "screening.decide" in first and f"record {ids[0]}" in first
    result = CliRunner().invoke(cli, ["--db", db, "log", "--format", "json", "--action", "load"])
    data = json.loads(result.output)
    assert data and {d["action"] for d in data} == {"load"}


async def test_audit_screen_lists_and_filters(demo_ws: Workspace) -> None:
    ids = make_records(demo_ws, 2)
    sc.decide(demo_ws, ids[0], "title_abstract", "exclude")
    app = RealistApp(demo_ws)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("t")
        assert isinstance(app.screen, AuditScreen)
        table: DataTable[Any] = app.screen.query_one(DataTable)
        total = table.row_count
        assert total >= 4  # the demo's loads plus the decision
        assert table.get_row_at(0)[2] == "screening.decide"
        await pilot.press("slash", *"screening")
        assert table.row_count == 1
        assert "showing 1 of" in str(table.border_title)
