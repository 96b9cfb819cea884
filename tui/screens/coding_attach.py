"""A modal asking for the file (PDF, DOCX, TXT, MD) to attach as a document's full text."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.screens.coding_picker import MODAL_CSS


class AttachScreen(ModalScreen[Path | None]):
    """Type the path of the full text; returns it, or None when cancelled."""

    DEFAULT_CSS = "AttachScreen {" + MODAL_CSS + "}"
    HELP_TITLE = "Attach a full text"
    HELP = (
        "Type the path of a PDF, DOCX, TXT or Markdown file and press enter. PDF page numbers "
        "are kept so excerpts cite pages. Attaching again replaces the current text; excerpts "
        "coded on the old text are checked for drift."
    )
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, document_label: str, start_dir: Path | None = None) -> None:
        super().__init__()
        self.document_label = document_label
        self.start_dir = start_dir or Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                f"Attach a full text to {escape(self.document_label)}", classes="modal-title"
            )
            yield Input(placeholder="path/to/file.pdf", id="attach-path")
            yield Static(
                f"relative paths start in {escape(str(self.start_dir))} · enter attach · esc cancel",
                classes="modal-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#attach-path", Input).focus()

    @on(Input.Submitted, "#attach-path")
    def _submit(self, event: Input.Submitted) -> None:
        raw = event.value.strip().strip("'\"")
        if not raw:
            self.notify("type the path of the file", severity="warning")
            return
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = self.start_dir / path
        if not path.is_file():
            self.notify(f"{path}: no such file", severity="error")
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
