"""A modal picker for codes: type to filter the tree, tick one or more codes, apply.

Enter in the search box applies the ticked codes (or, when none is ticked, the first code the
filter shows), so `c`, a few letters and enter code a selection. ctrl+n makes a new inductive
code named as typed, under the highlighted code when `ctrl+n` is pressed in the list.
"""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from realist.errors import RealistError
from realist.services.codes import CodeInfo, add_code, list_codes
from realist.services.context import Workspace

MODAL_CSS = """
    align: center middle;
    & > Vertical, & > VerticalScroll {
        width: 90;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $accent;
        background: $panel;
        padding: 0 1;
    }
    .modal-title { text-style: bold; margin-bottom: 1; }
    .modal-hint { color: $text-muted; }
"""


def code_prompt(c: CodeInfo) -> Text:
    """One code as a line of the picker: indented by depth, origin and usage dimmed."""
    text = Text("  " * c.depth + c.name)
    mark = "D" if c.origin == "deductive" else "I"
    text.append(f"  {mark} · {c.total}", style="dim")
    return text


def matches(c: CodeInfo, query: str) -> bool:
    """Every word of the query occurs in the code's path or description."""
    hay = f"{c.path} {c.description or ''}".casefold()
    return all(word in hay for word in query.casefold().split())


class CodePickerScreen(ModalScreen[list[int] | None]):
    """Choose codes from the tree; returns their ids, or None when cancelled."""

    DEFAULT_CSS = (
        "CodePickerScreen {" + MODAL_CSS + "}\n#picker-list { height: auto; max-height: 24; }"
    )
    HELP_TITLE = "Choose codes"
    HELP = (
        "Type to filter the code tree (every word must match the code's path or description). "
        "Enter applies the ticked codes, or the first match when none is ticked. Down moves into "
        "the list, where space or enter ticks a code. ctrl+n adds a new inductive code named as "
        "typed (under the highlighted code when pressed in the list)."
    )
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "apply", "Apply ticked codes"),
        Binding("ctrl+n", "new_code", "New code named as typed"),
        Binding("down", "to_list", "Into the list", show=False),
    ]

    def __init__(
        self,
        ws: Workspace,
        *,
        selected: set[int] | None = None,
        title: str = "Apply codes to the selection",
    ) -> None:
        super().__init__()
        self.ws = ws
        self.title_text = title
        self.chosen: set[int] = set(selected or set())
        self.codes: list[CodeInfo] = []
        self.shown: list[CodeInfo] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.title_text), classes="modal-title")
            yield Input(placeholder="filter codes…", id="picker-search")
            yield SelectionList[int](id="picker-list")
            yield Static(
                "enter apply · space tick · ctrl+n new code · esc cancel",
                classes="modal-hint",
                id="picker-hint",
            )

    def on_mount(self) -> None:
        self.codes = list_codes(self.ws)
        self._fill("")
        self.query_one("#picker-search", Input).focus()

    def _fill(self, query: str) -> None:
        box: SelectionList[int] = self.query_one("#picker-list", SelectionList)
        self.shown = [c for c in self.codes if matches(c, query)] if query.strip() else self.codes
        with box.prevent(SelectionList.SelectionToggled):
            box.clear_options()
            box.add_options(
                [Selection(code_prompt(c), c.id, c.id in self.chosen) for c in self.shown]
            )
        box.border_title = (
            f"{len(self.shown)} of {len(self.codes)} codes" if self.codes else "no codes yet"
        )
        if self.shown:
            box.highlighted = 0

    @on(Input.Changed, "#picker-search")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled[int]) -> None:
        value = event.selection.value
        if value in self.chosen:
            self.chosen.discard(value)
        else:
            self.chosen.add(value)

    @on(Input.Submitted, "#picker-search")
    def _submitted(self) -> None:
        if not self.chosen and self.shown:
            box: SelectionList[int] = self.query_one("#picker-list", SelectionList)
            index = box.highlighted or 0
            self.chosen.add(self.shown[index].id)
        self.action_apply()

    def action_to_list(self) -> None:
        self.query_one("#picker-list", SelectionList).focus()

    def action_apply(self) -> None:
        if not self.chosen:
            self.notify("tick at least one code (space), or press escape", severity="warning")
            return
        order = [c.id for c in self.codes if c.id in self.chosen]
        self.dismiss(order)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_new_code(self) -> None:
        name = self.query_one("#picker-search", Input).value.strip()
        if not name:
            self.notify("type the new code's name in the search box first", severity="warning")
            return
        parent = None
        box: SelectionList[int] = self.query_one("#picker-list", SelectionList)
        if box.has_focus and box.highlighted is not None and self.shown:
            parent = self.shown[box.highlighted].id
        try:
            info = add_code(self.ws, name, parent_id=parent)
        except RealistError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"new code {info.path}")
        self.chosen.add(info.id)
        self.codes = list_codes(self.ws)
        search = self.query_one("#picker-search", Input)
        search.value = ""
        self._fill("")
        search.focus()
