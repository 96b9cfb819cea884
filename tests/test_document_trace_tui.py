"""The evidence chain read upwards in the TUI: `s` on a document (in the coding screen and in the
studies list) shows the CMOCs it supports, cited or through its excerpts, and which excerpts
back each as context, mechanism or outcome, with pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static

from realist.services.cmoc_edit import link_evidence
from realist.services.context import Workspace
from realist.services.excerpts import ExcerptView
from realist.services.fulltext import attach_file
from realist.services.traceability import document_trace
from tests.factories import make_pdf, make_records
from tests.factories_coding import PAGES, attach_pages, code_phrase, demo_copy, seed_codes
from tui.app import RealistApp
from tui.screens.cmoc_pickers import CmocPickerScreen
from tui.screens.coding import CodingScreen
from tui.screens.document_trace import DocumentTraceScreen
from tui.screens.help import HelpScreen
from tui.screens.studies import StudiesScreen

SIZE = (150, 44)


@dataclass(frozen=True)
class Coded:
    """Document 24 with a text, two excerpts and three evidence links."""

    ws: Workspace
    document_id: int
    time: ExcerptView  # page 2, C of CMOC 5
    core: ExcerptView  # page 1, M of CMOC 1A (with a note) and O of CMOC 5


@pytest.fixture
def coded(tmp_path: Path) -> Coded:
    ws = demo_copy(tmp_path)
    ids = seed_codes(ws)
    doc = attach_pages(ws, "24", tmp_path).document_id
    time = code_phrase(ws, doc, "Staff lacked protected time", [ids["Time"]])
    core = code_phrase(
        ws, doc, "equity was a core part of quality improvement", [ids["Equity as core"]]
    )
    link_evidence(ws, "1A", core.id, "M", note="staff say so in interviews")
    link_evidence(ws, "5", core.id, "O")
    link_evidence(ws, "5", time.id, "C")
    return Coded(ws, doc, time, core)


def dialog_text(app: RealistApp) -> str:
    """Every line the open dialog shows."""
    assert isinstance(app.screen, DocumentTraceScreen)
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


def block(app: RealistApp, label: str) -> list[str]:
    """The heading, statement and evidence of one CMOC in the dialog."""
    widgets = list(app.screen.query(Static))
    for i, w in enumerate(widgets):
        if str(w.render()).startswith(f"CMOC {label} "):
            return [str(x.render()) for x in widgets[i : i + 3]]
    raise AssertionError(f"CMOC {label} not in the dialog")


def test_document_trace_lists_each_cmocs_excerpts_by_role_with_pages(coded: Coded) -> None:
    trace = document_trace(coded.ws, "24")
    by_label = {c.label: c for c in trace.cmocs}
    five = by_label["5"]
    assert (five.cited, five.roles, five.excerpts) == (False, ("C", "O"), 2)
    assert [(e.role, e.excerpt.id, e.excerpt.page) for e in five.evidence] == [
        ("C", coded.time.id, 2),
        ("O", coded.core.id, 1),
    ]
    one_a = by_label["1A"]
    assert one_a.cited and one_a.roles == ("M",)
    assert [(e.role, e.note, e.excerpt.page) for e in one_a.evidence] == [
        ("M", "staff say so in interviews", 1)
    ]
    assert by_label["1B"].cited and by_label["1B"].evidence == ()


async def test_s_in_the_coding_screen_shows_the_cmocs_the_open_document_supports(
    coded: Coded,
) -> None:
    app = RealistApp(coded.ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k")
        assert isinstance(app.screen, CodingScreen)
        await pilot.press("s")
        assert isinstance(app.screen, DocumentTraceScreen)
        text = dialog_text(app)
        assert "CMOCs supported by 24 Burkitt et al. 2021" in text
        assert "supports 7 CMOCs" in text and "Targeted" in text
        heading, statement, evidence = block(app, "5")
        assert "cluster 2. Resources" in heading and "2 excerpts for C O" in heading
        assert "cited" not in heading  # 5 does not cite 24: only its excerpts support it
        assert statement.startswith("When staff are given the time, training and resources")
        assert evidence.splitlines() == [
            f"C context   p.2   #{coded.time.id} “Staff lacked protected time”  Time",
            f"O outcome   p.1   #{coded.core.id} “equity was a core part of quality improvement”"
            "  Equity as core",
        ]
        heading, statement, evidence = block(app, "1A")
        assert "cluster 1. Values and Understanding" in heading
        assert "cited; 1 excerpt for M" in heading
        assert evidence.startswith(f"M mechanism p.1   #{coded.core.id} “equity was a core")
        assert "staff say so in interviews" in evidence
        # The statement wraps inside the dialog rather than running off its edge.
        long = next(w for w in app.screen.query(".trace-statement"))
        assert long.size.height > 1 and long.size.width < SIZE[0]
        heading, _statement, evidence = block(app, "1B")
        assert heading.endswith("· cited") and "no excerpt of this document" in evidence
        # A long list scrolls; escape goes back to the document.
        box = app.screen.query_one("#trace-box", VerticalScroll)
        assert box.has_focus and box.max_scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert box.scroll_y == box.max_scroll_y
        await pilot.press("escape")
        assert isinstance(app.screen, CodingScreen)
        # `?` lists the key.
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-text", Static).render())
        assert "s              CMOCs the document supports" in help_text
        await pilot.press("escape")
        # With the document list focused, s acts on the highlighted document (25: only cited).
        await pilot.press("d", "down")
        docs = app.screen.query_one("#coding-docs", OptionList)
        assert docs.has_focus and docs.highlighted == 2
        await pilot.press("s")
        text = dialog_text(app)
        assert "CMOCs supported by 25 Cené et al. 2017" in text
        assert "CMOC 8 " in text and "p.1" not in text
        await pilot.press("s")  # s closes, as escape does
        assert isinstance(app.screen, CodingScreen)


async def test_an_excerpt_linked_with_l_shows_up_under_s(coded: Coded) -> None:
    app = RealistApp(coded.ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k", "n")  # the cursor into the first excerpt (p. 1)
        screen = app.screen
        assert isinstance(screen, CodingScreen) and screen.current is not None
        assert screen.current.id == coded.core.id
        await pilot.press("l")
        assert isinstance(app.screen, CmocPickerScreen)
        await pilot.press(*"7A", "enter", "o")
        await pilot.pause()
        await pilot.press("s")
        heading, _statement, evidence = block(app, "7A")
        assert "cluster 2. Resources" in heading and "1 excerpt for O" in heading
        assert evidence.startswith(f"O outcome   p.1   #{coded.core.id}")


async def test_a_document_that_supports_nothing_says_so(coded: Coded, tmp_path: Path) -> None:
    record_id = make_records(coded.ws, 1, seed=7)[0]
    new = attach_file(coded.ws, make_pdf(tmp_path / "r.pdf", PAGES), record_id=record_id)
    app = RealistApp(coded.ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k", "d", "end")  # the new document comes last in the list
        await pilot.press("s")
        assert isinstance(app.screen, DocumentTraceScreen)
        assert app.screen.trace.study.ref == new.ref
        text = dialog_text(app)
        assert "supports no CMOC yet" in text
        assert "none of its excerpts is linked to a CMOC" in text
        await pilot.press("escape")
        assert isinstance(app.screen, CodingScreen)


async def test_s_in_the_studies_list_shows_the_highlighted_study(coded: Coded) -> None:
    app = RealistApp(coded.ws)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert isinstance(app.screen, StudiesScreen)
        await pilot.press("down", "s")  # row 2: document 24
        text = dialog_text(app)
        assert "CMOCs supported by 24 Burkitt et al. 2021" in text
        _heading, _statement, evidence = block(app, "5")
        assert f"#{coded.time.id} “Staff lacked protected time”" in evidence
        await pilot.press("escape")
        assert isinstance(app.screen, StudiesScreen)
        await pilot.press("question_mark")
        help_text = str(app.screen.query_one("#help-text", Static).render())
        assert "CMOCs supported" in help_text
