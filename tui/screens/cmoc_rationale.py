"""A one-line prompt in a modal: the reason for a change, or a name."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.screens.coding_picker import MODAL_CSS


class TextPromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; returns it, or None when cancelled."""

    DEFAULT_CSS = "TextPromptScreen {" + MODAL_CSS + "}"
    HELP_TITLE = "Say why"
    HELP = "Type and press enter; escape cancels and changes nothing."
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, *, placeholder: str = "", required: bool = True, value: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.required = required
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.title_text), classes="modal-title")
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static("enter ok · esc cancel", classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    @on(Input.Submitted, "#prompt-input")
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.required and not text:
            self.notify("this cannot be empty", severity="warning")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
