"""Layout snapshots of the agreement report, the disagreement side by side and the blind
second reviewer's view (regenerate with `pytest tests/test_agreement_tui_snapshots.py
--snapshot-update` and look at them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from textual.pilot import Pilot

from realist.db.models import RecordTag, Sample, ScreeningDecision
from realist.services import samples
from realist.services import screening as sc
from realist.services.context import Workspace
from tests.factories_agreement import TA, draw_for, screened_review
from tests.factories_screening import as_reviewer
from tui.app import RealistApp

SnapCompare = Callable[..., bool]
DECIDED = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
DRAWN = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
OPENED = datetime(2025, 3, 10, 16, 45, tzinfo=UTC)


def fix_times(ws: Workspace) -> None:
    """Fixed timestamps, so the pictures do not change with the clock."""
    with ws.store.transaction() as s:
        s.execute(update(ScreeningDecision).values(created_at=DECIDED))
        s.execute(update(RecordTag).values(created_at=DECIDED))
        s.execute(update(Sample).values(drawn_at=DRAWN))
        s.execute(
            update(Sample)
            .where(Sample.comparison_opened_at.is_not(None))
            .values(comparison_opened_at=OPENED)
        )


@pytest.fixture
def opened(tmp_path: Path) -> Workspace:
    """A 25% sample of 40 records, screened by JF with four disagreements, comparison open."""
    ws, _ = screened_review(tmp_path / "snap.db", n=40)
    info = draw_for(ws)
    jf = as_reviewer(ws, "JF")
    for k, rid in enumerate(info.record_ids):
        sc.decide(
            jf,
            rid,
            TA,
            "include" if k in (0, 1, 5) else "exclude",
            note="JF: see methods" if k == 0 else None,
        )
        if k == 0:
            sc.toggle_tag(jf, rid, "race", TA)
            sc.toggle_tag(jf, rid, "gap", TA)
    fix_times(ws)
    samples.open_comparison(ws, info.id)
    fix_times(ws)
    return ws


async def open_agreement(pilot: Pilot[Any]) -> None:
    await pilot.press("a")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_agreement_report(snap_compare: SnapCompare, opened: Workspace) -> None:
    """The open sample with both reviewers' progress and the report: table, kappa with its CI
    and method, PABAK, AC1."""
    assert snap_compare(RealistApp(opened), terminal_size=(150, 56), run_before=open_agreement)


def test_disagreement_side_by_side(snap_compare: SnapCompare, opened: Workspace) -> None:
    """The disagreements with the first one side by side: decisions, reasons, notes, tags."""

    async def run(pilot: Pilot[Any]) -> None:
        await open_agreement(pilot)
        await pilot.press("d")
        await pilot.pause()

    assert snap_compare(RealistApp(opened), terminal_size=(150, 40), run_before=run)


def test_blind_second_reviewer(snap_compare: SnapCompare, tmp_path: Path) -> None:
    """What JF sees of the blind sample: their own progress only."""
    ws, _ = screened_review(tmp_path / "blind.db", n=40)
    info = draw_for(ws)
    jf = as_reviewer(ws, "JF")
    sc.decide(jf, info.record_ids[0], TA, "include")
    fix_times(ws)
    assert snap_compare(RealistApp(jf), terminal_size=(130, 24), run_before=open_agreement)
