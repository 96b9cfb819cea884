"""A modal form for an excerpt's memo and its relevance and rigour judgements."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TextArea

from realist.services.excerpts import RATINGS, ExcerptView
from tui.screens.coding_picker import MODAL_CSS


def _short(text: str, width: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class ExcerptFormScreen(ModalScreen[dict[str, Any] | None]):
    """Edit memo and judgements; returns the fields to save, or None when cancelled."""

    DEFAULT_CSS = (
        "ExcerptFormScreen {"
        + MODAL_CSS
        + "}\n"
        + """
    ExcerptFormScreen #excerpt-memo { height: 6; }
    ExcerptFormScreen .judgement { height: auto; }
    ExcerptFormScreen .judgement Select { width: 20; }
    ExcerptFormScreen .judgement Input { width: 1fr; }
    ExcerptFormScreen Label { margin-top: 1; }
    """
    )
    HELP_TITLE = "Memo and judgements"
    HELP = (
        "A memo on the excerpt and judgements on this piece of data: relevance (can it help "
        "build or test the programme theory?) and rigour (is the method that produced it "
        "credible?), each a rating with its rationale. Tab moves between fields; ctrl+s saves."
    )
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, excerpt: ExcerptView) -> None:
        super().__init__()
        self.excerpt = excerpt

    def compose(self) -> ComposeResult:
        e = self.excerpt
        options = [(r, r) for r in RATINGS]
        with Vertical():
            yield Static(
                f"Excerpt #{e.id} · {escape(e.document_ref)} p. {e.page or '?'} · "
                f"{escape(e.code_names)}",
                classes="modal-title",
            )
            yield Static(f"[i]“{escape(_short(e.text))}”[/i]")
            yield Label("Memo")
            yield TextArea(e.memo or "", id="excerpt-memo", soft_wrap=True)
            yield Label("Relevance: rating and rationale")
            with Horizontal(classes="judgement"):
                yield Select(
                    options, value=e.relevance or Select.NULL, id="excerpt-relevance", prompt="—"
                )
                yield Input(e.relevance_note or "", id="excerpt-relevance-note")
            yield Label("Rigour: rating and rationale")
            with Horizontal(classes="judgement"):
                yield Select(
                    options, value=e.rigour or Select.NULL, id="excerpt-rigour", prompt="—"
                )
                yield Input(e.rigour_note or "", id="excerpt-rigour-note")
            yield Static("ctrl+s save · esc cancel · tab next field", classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#excerpt-memo", TextArea).focus()

    def _rating(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else None

    def action_save(self) -> None:
        self.dismiss(
            {
                "memo": self.query_one("#excerpt-memo", TextArea).text,
                "relevance": self._rating("#excerpt-relevance"),
                "relevance_note": self.query_one("#excerpt-relevance-note", Input).value,
                "rigour": self._rating("#excerpt-rigour"),
                "rigour_note": self.query_one("#excerpt-rigour-note", Input).value,
            }
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
