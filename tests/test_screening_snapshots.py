"""Layout snapshots of the screening screen and the records list (regenerate with
`pytest tests/test_screening_snapshots.py --snapshot-update` and look at them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from textual.pilot import Pilot

from realist.db.models import Record
from realist.services import screening as sc
from realist.services.context import Workspace
from realist.services.fulltext import attach_file
from tests.conftest import migrated_sqlite
from tests.factories_screening import add_batch, as_reviewer, screening_workspace
from tui.app import RealistApp

SnapCompare = Callable[..., bool]
TA, FT = "title_abstract", "full_text"
ABSTRACT = (
    "Background: Quality improvement (QI) collaboratives are common, but their effect on health "
    "inequalities is unclear. Methods: a PDSA-based programme in 14 primary care practices serving "
    "deprived and ethnic minority populations; we compared blood pressure control between groups "
    "before and after. Results: the gap between the most and least deprived quintiles narrowed. "
    "This is not a protocol; no low-income countries were involved."
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = screening_workspace(migrated_sqlite(tmp_path / "snap.db"))
    add_batch(ws, 12, prefix="MED-")
    add_batch(ws, 4, source_db="Embase", prefix="EMB-", seed=3)
    with ws.store.transaction() as s:
        s.execute(
            update(Record)
            .where(Record.id == 3)
            .values(
                title="Reducing inequalities in blood pressure control with a QI collaborative",
                abstract=ABSTRACT,
                doi="10.1000/example.3",
            )
        )
    sc.decide(ws, 1, TA, "include")
    sc.decide(ws, 2, TA, "exclude", reason="not_qi")
    jf = as_reviewer(ws, "JF")
    sc.decide(jf, 3, TA, "include", note="clear gap analysis")
    sc.toggle_tag(jf, 3, "ses")
    return ws


def test_screening_screen(snap_compare: SnapCompare, ws: Workspace) -> None:
    """Record 3 with highlighted keywords, two tags set, a pending note, JF's decision and the
    criteria shown; progress at the top."""

    async def screen(pilot: Pilot[Any]) -> None:
        await pilot.press("r", "2", "7", "g", "c", "o", *"compare with Smith 2019", "enter")

    assert snap_compare(RealistApp(ws), terminal_size=(150, 46), run_before=screen)


def test_full_text_screen(snap_compare: SnapCompare, ws: Workspace, tmp_path: Path) -> None:
    """The full-text stage with an attached text file."""
    sc.decide(ws, 3, TA, "include")
    paper = tmp_path / "paper.txt"
    paper.write_text(
        "Reducing inequalities in blood pressure control.\n\nMethods. We ran PDSA cycles."
    )
    attach_file(ws, paper, record_id=3)

    async def screen(pilot: Pilot[Any]) -> None:
        await pilot.press("r", "w", "j", *"#3", "enter")

    assert snap_compare(RealistApp(ws), terminal_size=(150, 40), run_before=screen)


def test_records_list(snap_compare: SnapCompare, ws: Workspace) -> None:
    """The records list with its filters and "showing N of M" in the border."""

    async def open_list(pilot: Pilot[Any]) -> None:
        await pilot.press("l")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(RealistApp(ws), terminal_size=(150, 36), run_before=open_list)
