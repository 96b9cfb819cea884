"""The audit trail: every change with who and when, newest first, filterable."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from realist.services.audit_view import AuditRow, audit_entries
from realist.services.context import Workspace
from tui.registry import destination

PAGE = 500


class AuditScreen(Screen[None]):
    """Browse the append-only audit log."""

    HELP_TITLE = "Audit trail"
    HELP = (
        "Every change to the review, newest first: who, when, what and to which object. Type in "
        "the filter box to keep entries whose actor, action or object contains the text. The "
        "trail cannot be edited; a blinded second reviewer does not see the first reviewer's "
        "screening entries."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("slash", "focus_filter", "Filter", key_display="/"),
        Binding("f5", "reload", "Reload"),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.rows: list[AuditRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Input(
                placeholder="filter: actor, action or object (press / to focus)", id="audit-filter"
            )
            yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="audit-detail", classes="panel")
        yield Footer()

    def on_mount(self) -> None:
        table: DataTable[Any] = self.query_one(DataTable)
        table.add_columns("When (UTC)", "Who", "Action", "Object", "Details")
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        self.rows = audit_entries(self.ws, limit=PAGE)
        self._fill(self.query_one("#audit-filter", Input).value)

    def action_focus_filter(self) -> None:
        self.query_one("#audit-filter", Input).focus()

    def _fill(self, text: str) -> None:
        needle = text.strip().lower()
        table: DataTable[Any] = self.query_one(DataTable)
        table.clear()
        shown = 0
        for r in self.rows:
            target = f"{r.entity or ''} {r.entity_id or ''}".strip()
            if needle and needle not in f"{r.actor} {r.action} {target}".lower():
                continue
            table.add_row(
                f"{r.at:%Y-%m-%d %H:%M:%S}",
                r.actor,
                r.action,
                target,
                r.summary()[:80],
                key=str(r.id),
            )
            shown += 1
        table.border_title = f"showing {shown} of the latest {len(self.rows)} entries"
        self._show_detail(0 if shown else None)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def _show_detail(self, row: int | None) -> None:
        detail = self.query_one("#audit-detail", Static)
        table: DataTable[Any] = self.query_one(DataTable)
        if row is None or row >= table.row_count:
            detail.update("[dim]no entry[/dim]")
            return
        key = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
        entry = next((r for r in self.rows if str(r.id) == key), None)
        if entry is None:
            return
        lines = [
            f"[b]#{entry.id}[/b] {entry.at:%Y-%m-%d %H:%M:%S} UTC  {escape(entry.actor)}  {escape(entry.action)}"
        ]
        lines += [f"  {escape(str(k))}: {escape(str(v))}" for k, v in entry.details.items()]
        detail.update("\n".join(lines))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)


@destination("t", "Audit trail", "who changed what and when", order=95)
def _open(ws: Workspace) -> Screen[None]:
    return AuditScreen(ws)
