"""A CMOC's history: every revision with who, when, what changed and why."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from realist.services.cmoc_edit import RevisionView
from tui.screens.coding_picker import MODAL_CSS


def _value(value: Any) -> str:
    if value is None or value == "":
        return "[dim]–[/dim]"
    return escape(" ".join(str(value).split()))


def history_text(label: str, revisions: list[RevisionView]) -> str:
    """The revisions of a CMOC as Rich markup, oldest first."""
    if not revisions:
        return f"CMOC {escape(label)} has no recorded revisions yet."
    lines = [f"{len(revisions)} revision(s), oldest first", ""]
    for r in revisions:
        lines.append(
            f"[b]{r.at:%Y-%m-%d %H:%M} UTC[/b] {escape(r.reviewer or 'system')}: "
            + (escape(r.rationale) if r.rationale else "[dim](no reason given)[/dim]")
        )
        for field, (old, new) in r.changes.items():
            if old in (None, ""):
                lines.append(f"  [b]{escape(field)}[/b] + {_value(new)}")
            elif new in (None, ""):
                lines.append(f"  [b]{escape(field)}[/b] − {_value(old)}")
            else:
                lines.append(f"  [b]{escape(field)}[/b] {_value(old)}\n    → {_value(new)}")
        lines.append("")
    return "\n".join(lines)


class CmocHistoryScreen(ModalScreen[None]):
    """Shows how a CMOC was refined."""

    DEFAULT_CSS = (
        "CmocHistoryScreen {"
        + MODAL_CSS.replace("width: 90;", "width: 110;")
        + "}\n#history-box { height: auto; max-height: 90%; }"
    )
    HELP_TITLE = "CMOC history"
    HELP = (
        "Every change to the CMOC: who made it, when, each field's old and new value, and the "
        "reason given. RAMESES asks reviews to show how the programme theory was refined."
    )
    BINDINGS = [Binding("escape,enter,h", "close", "Close")]

    def __init__(self, label: str, revisions: list[RevisionView]) -> None:
        super().__init__()
        self.label = label
        self.revisions = revisions

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="history-box"):
            yield Static(f"History of CMOC {escape(self.label)}", classes="modal-title")
            yield Static(history_text(self.label, self.revisions), id="history-text")

    def action_close(self) -> None:
        self.dismiss(None)
