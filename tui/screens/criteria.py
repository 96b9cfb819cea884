"""The eligibility criteria: edit, add, move, switch and remove them, with conflict detection.

Every change carries the version this screen read; when another session changed or removed the
criterion meanwhile, nothing is saved, the notification says who did it, and the list is read
again (as on the RAMESES screen).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from realist.domain import Role
from realist.errors import ConflictError
from realist.services import criteria
from realist.services.context import Workspace
from realist.services.criteria import CriterionInfo
from tui.registry import destination
from tui.screens.coding_confirm import ConfirmScreen
from tui.widgets.errors import USER_ERRORS, user_message
from tui.widgets.prompts import TextPrompt

KIND_STYLE = {"inclusion": "bold green", "exclusion": "bold red"}


def label_cell(c: CriterionInfo) -> Text:
    """The label column: I2 in green, E1 in red."""
    return Text(c.label, style=KIND_STYLE.get(c.kind, ""))


def criterion_detail(c: CriterionInfo) -> str:
    """The detail pane for one criterion, as Rich markup (its text escaped)."""
    style = KIND_STYLE.get(c.kind, "b")
    return "\n".join(
        [
            f"[{style}]{c.label}[/]  [b]{c.kind_label} criterion {c.number}[/b]",
            "",
            escape(c.text),
            "",
            f"[dim]#{c.id} · version {c.version}[/dim]",
        ]
    )


class CriteriaScreen(Screen[None]):
    """List and edit the review's inclusion and exclusion criteria."""

    HELP_TITLE = "Eligibility criteria"
    HELP = (
        "The inclusion (I1, I2, ...) and exclusion (E1, E2, ...) criteria shown while screening. "
        "Move with the arrow keys; enter or e edits the text, a adds a criterion after the "
        "one under the cursor, shift+up / shift+down move it within its list, k switches it "
        "between inclusion and exclusion, d removes it. Only a lead may change criteria. Every "
        "change is saved at once; when someone else changed the criterion since this screen "
        "read it, nothing is saved, a notification says who, and the list is read again "
        "(r reads it again at any time). The same from the command line: `realist criteria`."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("e", "edit", "Edit text"),
        Binding("a", "add", "Add"),
        Binding("shift+up", "move(-1)", "Move up"),
        Binding("shift+down", "move(1)", "Move down"),
        Binding("k", "switch_kind", "Incl./excl."),
        Binding("d,delete", "remove", "Remove"),
        Binding("r,f5", "reload", "Reload"),
    ]
    DEFAULT_CSS = """
    #criteria-table { width: 3fr; height: 100%; border: round $primary 40%; }
    #criteria-detail-box { width: 2fr; height: 100%; }
    """

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.rows: list[CriterionInfo] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield DataTable(id="criteria-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="criteria-detail-box", classes="panel"):
                yield Static(id="criteria-detail")
        yield Footer()

    def on_mount(self) -> None:
        table: DataTable[object] = self.query_one(DataTable)
        table.add_column("#", key="label")
        table.add_column("Criterion", key="text")
        actor = self.ws.actor
        if actor is None or actor.role != Role.LEAD:
            self.sub_title = "read-only: only a lead may change the criteria"
        self.reload()
        table.focus()

    # ----------------------------------------------------------------------------------------
    # Showing

    def reload(self, select_id: int | None = None) -> None:
        """Read the criteria again and redraw, keeping the cursor on `select_id` (or on the
        criterion under it, or on the same row)."""
        table: DataTable[object] = self.query_one(DataTable)
        current = self._current()
        keep = select_id if select_id is not None else (current.id if current else None)
        cursor = table.cursor_row
        try:
            self.rows = criteria.list_criteria(self.ws)
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error")
            return
        table.clear()
        for c in self.rows:
            table.add_row(label_cell(c), c.text, key=str(c.id))
        inclusion = sum(1 for c in self.rows if c.kind == "inclusion")
        table.border_title = (
            f"Eligibility criteria: {inclusion} inclusion, {len(self.rows) - inclusion} exclusion"
        )
        ids = [c.id for c in self.rows]
        index = ids.index(keep) if keep in ids else min(max(cursor, 0), len(self.rows) - 1)
        if self.rows:
            table.move_cursor(row=index)
        self._show(table.cursor_row)

    def _current(self) -> CriterionInfo | None:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _show(self, index: int) -> None:
        detail = self.query_one("#criteria-detail", Static)
        if 0 <= index < len(self.rows):
            detail.update(criterion_detail(self.rows[index]))
        else:
            detail.update("[dim]no criteria yet: press a to add one[/dim]")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    # ----------------------------------------------------------------------------------------
    # Changing

    def _run(self, what: str, change: Callable[[], CriterionInfo]) -> CriterionInfo | None:
        """Run one service call; say what it did (`what` with its {label}), report errors, and
        read the list again on a conflict."""
        try:
            result = change()
        except ConflictError as exc:
            self.notify(str(exc), title="Conflict: not saved", severity="error", timeout=12)
            self.reload()
            return None
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error")
            return None
        self.notify(what.format(label=result.label))
        return result

    def action_reload(self) -> None:
        self.reload()

    def action_edit(self) -> None:
        row = self._current()
        if row is None:
            self.action_add()
            return

        def done(value: str | None) -> None:
            if value is None or value == row.text:
                return
            saved = self._run(
                "{label} saved",
                lambda: criteria.edit_criterion(
                    self.ws, row.id, expected_version=row.version, text=value
                ),
            )
            if saved is not None:
                self.reload(saved.id)

        self.app.push_screen(
            TextPrompt(
                f"{row.kind_label} criterion {row.label}",
                row.text,
                hint="enter: save · escape: cancel",
            ),
            done,
        )

    def action_add(self) -> None:
        row = self._current()
        kind = row.kind if row is not None else "inclusion"
        number = row.number + 1 if row is not None else None

        def done(value: str | None) -> None:
            if not value or not value.strip():
                return
            saved = self._run(
                "{label} added",
                lambda: criteria.add_criterion(self.ws, kind, value, number=number),
            )
            if saved is not None:
                self.reload(saved.id)

        where = f"after {row.label}" if row is not None else "at the end"
        self.app.push_screen(
            TextPrompt(
                f"New {kind} criterion ({where})",
                placeholder="e.g. Published before 2000",
                hint="enter: add · escape: cancel · k on it switches inclusion/exclusion",
            ),
            done,
        )

    def action_move(self, step: int) -> None:
        row = self._current()
        if row is None:
            return
        size = sum(1 for c in self.rows if c.kind == row.kind)
        target = row.number + step
        if not 1 <= target <= size:
            self.notify(f"{row.label} is already {'first' if step < 0 else 'last'} in its list")
            return
        saved = self._run(
            "moved to {label}",
            lambda: criteria.edit_criterion(
                self.ws, row.id, expected_version=row.version, number=target
            ),
        )
        if saved is not None:
            self.reload(saved.id)

    def action_switch_kind(self) -> None:
        row = self._current()
        if row is None:
            return
        other = "exclusion" if row.kind == "inclusion" else "inclusion"
        saved = self._run(
            f"now {other} criterion {{label}}",
            lambda: criteria.edit_criterion(
                self.ws, row.id, expected_version=row.version, kind=other
            ),
        )
        if saved is not None:
            self.reload(saved.id)

    def action_remove(self) -> None:
        row = self._current()
        if row is None:
            return

        def done(yes: bool | None) -> None:
            if not yes:
                return
            removed = self._run(
                "{label} removed",
                lambda: criteria.remove_criterion(self.ws, row.id, expected_version=row.version),
            )
            if removed is not None:
                self.reload()

        text = row.text if len(row.text) <= 80 else row.text[:79] + "…"
        self.app.push_screen(ConfirmScreen(f"Remove {row.label}: {text}?"), done)


@destination("e", "Criteria", "edit the eligibility criteria (inclusion, exclusion)", order=25)
def _open(ws: Workspace) -> Screen[None]:
    return CriteriaScreen(ws)
