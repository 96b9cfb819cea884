"""A yes/no question in a modal."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.screens.coding_picker import MODAL_CSS


class ConfirmScreen(ModalScreen[bool]):
    """Returns True for y, False for n or escape."""

    DEFAULT_CSS = "ConfirmScreen {" + MODAL_CSS + "}"
    HELP_TITLE = "Confirm"
    HELP = "Press y to go ahead, n or escape to keep things as they are."
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.question), classes="modal-title")
            yield Static("y yes · n no", classes="modal-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
