"""Layout snapshots of the coding screen and the CMOC editor (regenerate with
`pytest tests/test_coding_snapshots.py --snapshot-update` and look at the SVGs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from realist.services.cmoc_edit import link_evidence
from realist.services.context import Workspace, resolve_actor
from tests.factories_coding import attach_pages, code_phrase, demo_copy, seed_codes
from tui.app import RealistApp


@pytest.fixture
def demo_ws(tmp_path: Path) -> Workspace:
    """The example review as LLJ (conftest's fixture, copied from a template to save time)."""
    return demo_copy(tmp_path)


SnapCompare = Callable[..., bool]


@pytest.fixture
def coded_ws(demo_ws: Workspace, tmp_path: Path) -> Workspace:
    """Document 24 with a three-page text, two coders' excerpts and two evidence links."""
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    jf = demo_ws.with_actor(resolve_actor(demo_ws.store, "JF"))
    a = code_phrase(
        demo_ws,
        doc,
        "equity was a core part of quality improvement",
        [ids["Equity as core"]],
        memo="Staff frame equity as part of the job, not an add-on.",
        relevance="high",
        relevance_note="speaks directly to CMOC 1A",
        rigour="moderate",
        rigour_note="interviews at one site",
    )
    code_phrase(jf, doc, "Leaders were vocal about racial inequity", [ids["Values"]])
    b = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Time"]])
    link_evidence(demo_ws, "1A", a.id, "M")
    link_evidence(demo_ws, "5", b.id, "C")
    return demo_ws


def test_coding_screen(snap_compare: SnapCompare, coded_ws: Workspace) -> None:
    """Coding: documents and code tree, the text with page markers, highlighted excerpts (yours
    and another coder's), the cursor in the first excerpt, whose detail shows on the right."""

    async def into_first(pilot: Pilot[Any]) -> None:
        await pilot.press("k", "n")

    assert snap_compare(RealistApp(coded_ws), terminal_size=(150, 40), run_before=into_first)


def test_code_picker(snap_compare: SnapCompare, coded_ws: Workspace) -> None:
    """The code picker over a keyboard selection, filtered by what was typed."""

    async def pick(pilot: Pilot[Any]) -> None:
        await pilot.press(
            "k", "down", "down", "down", "home", "ctrl+shift+right", "ctrl+shift+right"
        )
        await pilot.press("c", "r", "e")

    assert snap_compare(RealistApp(coded_ws), terminal_size=(150, 40), run_before=pick)


def test_cmoc_editor_evidence_chain(snap_compare: SnapCompare, coded_ws: Workspace) -> None:
    """The CMOC editor on 1A: statement, parts, cited studies, the evidence excerpt with its page
    and codes, and the PROGRESS-Plus and gap/targeted tags across its documents."""

    async def open_1a(pilot: Pilot[Any]) -> None:
        await pilot.press("c")

    assert snap_compare(RealistApp(coded_ws), terminal_size=(150, 60), run_before=open_1a)


def test_cmoc_form(snap_compare: SnapCompare, coded_ws: Workspace) -> None:
    """The CMOC form for CMOC 5: selectors, parts, statement, summary and the reason field."""

    async def edit_5(pilot: Pilot[Any]) -> None:
        await pilot.press("c", *["down"] * 6, "e")

    assert snap_compare(RealistApp(coded_ws), terminal_size=(150, 50), run_before=edit_5)
