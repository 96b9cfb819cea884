"""The duplicates screen driven by keys: confirm, reject, skip, undo, un-merge; and a snapshot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from realist.services import duplicates_queue as dq
from realist.services.context import Workspace
from realist.services.dedup_service import run_dedup
from realist.services.imports import import_file
from tests.factories_ingest import MEDLINE, UPDATE, duplicate_links, ingest_ws, write_ris
from tui.app import RealistApp
from tui.screens.duplicates import DuplicatesScreen

SnapCompare = Callable[..., bool]


def _text(app: RealistApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _queue_review(tmp_path: Path, extra_pairs: bool = True) -> Workspace:
    """MEDLINE + the Embase update (2 certain pairs, 1 uncertain); optionally two more
    uncertain pairs from a third file."""
    ws = ingest_ws(tmp_path)
    import_file(ws, MEDLINE, source="MEDLINE")
    import_file(ws, UPDATE, source="Embase")
    if extra_pairs:
        write_ris(
            tmp_path / "cinahl.ris",
            [
                {
                    "TI": "Audit and feedback for socioeconomic inequalities in diabetes",
                    "AU": "Nguyen T",
                    "PY": "2020",
                },
                {
                    "TI": "Depression treatment quality across ethnic groups",
                    "AU": "Ford R",
                    "PY": "2017",
                },
            ],
        )
        import_file(ws, tmp_path / "cinahl.ris", source="CINAHL")
    run_dedup(ws)
    return ws


async def _settle(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_confirm_reject_skip_and_undo_with_keys(tmp_path: Path) -> None:
    ws = _queue_review(tmp_path)
    queue = dq.queue_ids(ws)
    assert len(queue) >= 2
    app = RealistApp(ws)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("d")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen)
        status = _text(app, "#dup-status")
        assert f"pair 1 of {len(queue)}" in status and f"0 of {len(queue)} pairs reviewed" in status
        first = screen.current
        assert first is not None and first.id == queue[0]
        assert "Score" in _text(app, "#dup-evidence") and "Why" in _text(app, "#dup-evidence")

        await pilot.press("s")  # skip: nothing saved, next pair shown
        await _settle(pilot)
        assert screen.current is not None and screen.current.id == queue[1]
        assert dq.queue_progress(ws).reviewed == 0

        await pilot.press("u")  # undo the skip: back to the first pair
        await _settle(pilot)
        assert screen.current is not None and screen.current.id == queue[0]

        await pilot.press("y")  # confirm: the pair merges and leaves the queue
        await _settle(pilot)
        assert dq.pair_detail(ws, queue[0]).status == "confirmed"
        assert first.b.id in duplicate_links(ws)
        assert "1 of" in _text(app, "#dup-status") and "pairs reviewed" in _text(app, "#dup-status")
        assert screen.current is not None and screen.current.id == queue[1]

        await pilot.press("n")  # reject the next one
        await _settle(pilot)
        assert dq.pair_detail(ws, queue[1]).status == "rejected"

        await pilot.press("u")  # undo the rejection: the pair is back and shown again
        await _settle(pilot)
        assert dq.pair_detail(ws, queue[1]).status == "unreviewed"
        assert screen.current is not None and screen.current.id == queue[1]

        await pilot.press("u")  # and undo the confirmation before it
        await _settle(pilot)
        assert dq.pair_detail(ws, queue[0]).status == "unreviewed"
        assert first.b.id not in duplicate_links(ws)
        assert screen.current is not None and screen.current.id == queue[0]

        await pilot.press("u")  # nothing left to undo: a notice, nothing changes
        await _settle(pilot)
        assert dq.queue_progress(ws).reviewed == 0


async def test_unmerge_an_automatic_pair_from_the_merged_view(tmp_path: Path) -> None:
    ws = _queue_review(tmp_path, extra_pairs=False)
    merged = [p.id for p in dq.list_pairs(ws, ["auto"])]
    assert len(merged) == 2
    app = RealistApp(ws)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("d", "tab")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen)
        assert "Merged pairs" in _text(app, "#dup-status")
        shown = screen.current
        assert shown is not None and shown.status == "auto"
        await pilot.press("y")  # confirming a merged pair makes no sense: refused with a notice
        await _settle(pilot)
        assert dq.pair_detail(ws, shown.id).status == "auto"
        await pilot.press("x")
        await _settle(pilot)
        assert dq.pair_detail(ws, shown.id).status == "undone"
        assert shown.b.id not in duplicate_links(ws)
        assert "pair 1 of 1" in _text(app, "#dup-status")
        await pilot.press("u")  # re-merge what was just un-merged
        await _settle(pilot)
        assert dq.pair_detail(ws, shown.id).status == "confirmed"
        assert duplicate_links(ws)[shown.b.id] == shown.a.id
        await pilot.press("tab")
        await _settle(pilot)
        assert "Review queue" in _text(app, "#dup-status")


async def test_differences_are_marked_field_by_field(tmp_path: Path) -> None:
    ws = _queue_review(tmp_path, extra_pairs=False)
    app = RealistApp(ws)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("d")
        await _settle(pilot)
        screen = app.screen
        labels = {
            row.id: "differs" in row.query_one(".dup-label").classes
            for row in screen.query(".dup-row")
            if row.id
        }
        # MEDLINE 1003 vs Embase E-79: same year, different title wording, pages only in one.
        assert labels["dup-year"] is False
        assert labels["dup-title"] is True and labels["dup-pages"] is True


async def test_an_empty_queue_says_so(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    import_file(ws, MEDLINE, source="MEDLINE")
    run_dedup(ws)
    app = RealistApp(ws)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("d")
        await _settle(pilot)
        assert "No pairs wait for review" in _text(app, "#dup-empty")
        await pilot.press("y", "n", "s")  # keys on an empty queue do nothing
        await _settle(pilot)
        assert isinstance(app.screen, DuplicatesScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, DuplicatesScreen)


async def test_a_refused_decision_is_a_notification_and_changes_nothing(tmp_path: Path) -> None:
    ws = _queue_review(tmp_path, extra_pairs=False)
    pid = dq.queue_ids(ws)[0]
    reviewers_ws = ws.with_actor(None)
    app = RealistApp(reviewers_ws)  # nobody to act as: the service refuses
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("d", "y")
        await _settle(pilot)
        assert dq.pair_detail(ws, pid).status == "unreviewed"
        assert any("needs a reviewer" in str(n.message) for n in app._notifications)


@pytest.fixture
def snapshot_ws(tmp_path: Path) -> Workspace:
    # Nothing on the screen depends on the clock or the temporary path.
    return _queue_review(tmp_path, extra_pairs=False)


def test_duplicates_screen_snapshot(snap_compare: SnapCompare, snapshot_ws: Workspace) -> None:
    """The uncertain pair: differing words highlighted, missing fields marked, evidence below."""

    async def open_queue(pilot: Pilot[Any]) -> None:
        await pilot.press("d")
        await _settle(pilot)

    assert snap_compare(RealistApp(snapshot_ws), terminal_size=(140, 44), run_before=open_queue)
