"""The RAMESES checklist: the 19 reporting items, whether each is reported, where, and notes."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from realist.errors import ConflictError, RealistError
from realist.services import rameses
from realist.services.context import Workspace
from realist.services.rameses import RamesesRow
from tui.registry import destination

REPORTED_STYLE = {"yes": "bold green", "no": "bold red", "unclear": "bold yellow"}


def reported_cell(value: str | None) -> Text:
    """The Reported column: Yes / No / Unclear in colour, or a dim dash when not judged."""
    if not value:
        return Text("–", style="dim")
    return Text(value.capitalize(), style=REPORTED_STYLE.get(value, ""))


def item_detail(row: RamesesRow) -> str:
    """The detail pane for one item, as Rich markup (text from the data is escaped)."""
    lines = [
        f"[b]Item {row.number}. {escape(row.name)}[/b]  [dim]{row.section}[/dim]",
        "",
        escape(row.description),
        "",
        f"[b]Reported[/b]  {row.reported_label}",
        f"[b]Page(s)[/b]   {escape(row.pages) if row.pages else '[dim]not given[/dim]'}",
        "",
        "[b]Note[/b]",
        escape(row.note) if row.note else "[dim]no note[/dim]",
    ]
    return "\n".join(lines)


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text; enter keeps it, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical { width: 80; height: auto; border: round $primary; padding: 1 2;
        background: $surface; }
    TextPrompt Label { margin-bottom: 1; }
    """

    def __init__(self, prompt: str, value: str | None) -> None:
        super().__init__()
        self.prompt = prompt
        self.value = value or ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.prompt)
            yield Input(self.value, id="prompt-input")
            yield Label("[dim]enter: save · escape: cancel · empty: clear[/dim]")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RamesesScreen(Screen[None]):
    """Record how the review reports each RAMESES item."""

    HELP_TITLE = "RAMESES checklist"
    HELP = (
        "The RAMESES publication standards for realist syntheses (Wong et al. 2013): 19 items "
        "a report should cover. Move with the arrow keys; space cycles Reported through yes, "
        "no, unclear and not judged (or press y, n, u); p edits the page(s), e the note. Every "
        "change is saved at once. Export the checklist with `realist export rameses` or the "
        "export screen."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("space", "cycle", "Cycle reported"),
        Binding("y", "set_reported('yes')", "Yes", show=False),
        Binding("n", "set_reported('no')", "No", show=False),
        Binding("u", "set_reported('unclear')", "Unclear", show=False),
        Binding("p", "edit('pages')", "Pages"),
        Binding("e", "edit('note')", "Note"),
    ]
    DEFAULT_CSS = """
    #rameses-table { width: 3fr; height: 100%; border: round $primary 40%; }
    #rameses-detail-box { width: 2fr; height: 100%; }
    """

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.rows: list[RamesesRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield DataTable(id="rameses-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="rameses-detail-box", classes="panel"):
                yield Static(id="rameses-detail")
        yield Footer()

    def on_mount(self) -> None:
        table: DataTable[object] = self.query_one(DataTable)
        # The item name goes last so narrow terminals cut it, not the judgement.
        table.add_column("#", key="number")
        table.add_column("Reported", key="reported")
        table.add_column("Page(s)", key="pages")
        table.add_column("Item", key="name")
        self.reload()
        table.focus()

    def reload(self) -> None:
        """Read the checklist again and redraw the table, keeping the cursor."""
        table: DataTable[object] = self.query_one(DataTable)
        cursor = table.cursor_row
        self.rows = rameses.checklist(self.ws)
        table.clear()
        for row in self.rows:
            table.add_row(*self._cells(row), key=str(row.number))
        judged = sum(1 for r in self.rows if r.reported)
        table.border_title = f"RAMESES checklist: {judged} of {len(self.rows)} items judged"
        table.move_cursor(row=min(max(cursor, 0), len(self.rows) - 1))
        self._show(table.cursor_row)

    def _cells(self, row: RamesesRow) -> tuple[object, ...]:
        return (row.number, reported_cell(row.reported), row.pages or "", row.name)

    def _current(self) -> RamesesRow | None:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _show(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            self.query_one("#rameses-detail", Static).update(item_detail(self.rows[index]))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    def _save(self, row: RamesesRow, **changes: object) -> None:
        try:
            updated = rameses.update_item(
                self.ws,
                row.number,
                expected_version=row.version,
                **changes,  # type: ignore[arg-type]
            )
        except ConflictError as exc:
            self.notify(str(exc), severity="error")
            self.reload()
            return
        except RealistError as exc:
            self.notify(str(exc), severity="error")
            return
        index = updated.number - 1
        self.rows[index] = updated
        table: DataTable[object] = self.query_one(DataTable)
        for key, value in zip(
            ("number", "reported", "pages", "name"), self._cells(updated), strict=True
        ):
            table.update_cell(str(updated.number), key, value)
        judged = sum(1 for r in self.rows if r.reported)
        table.border_title = f"RAMESES checklist: {judged} of {len(self.rows)} items judged"
        self._show(index)

    def action_cycle(self) -> None:
        row = self._current()
        if row is not None:
            self._save(row, reported=rameses.cycle_reported(row.reported))

    def action_set_reported(self, value: str) -> None:
        row = self._current()
        if row is not None:
            self._save(row, reported=value)

    def action_edit(self, field: str) -> None:
        row = self._current()
        if row is None:
            return
        prompt = (
            f"Page(s) where item {row.number} ({row.name}) is reported, e.g. 3-4, 7"
            if field == "pages"
            else f"Note on item {row.number} ({row.name})"
        )

        def done(value: str | None) -> None:
            if value is not None:
                self._save(row, **{field: value})

        self.app.push_screen(TextPrompt(prompt, getattr(row, field)), done)


@destination("m", "RAMESES", "the RAMESES reporting checklist: reported, pages, notes", order=90)
def _open(ws: Workspace) -> Screen[None]:
    return RamesesScreen(ws)
