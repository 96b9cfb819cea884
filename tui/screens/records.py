"""The records list: every record of the review, filtered, searched and sorted in the database,
one page at a time (so it opens at once at 100,000 records), with "showing N of M" in the
table's border. Enter opens the record in the screening screen."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Select

from realist.domain import Decision, Stage
from realist.services.context import Workspace
from realist.services.records_query import (
    CONFLICT,
    UNDECIDED,
    FilterOptions,
    RecordPage,
    RecordQuery,
    filter_options,
    page_records,
)
from realist.settings import load_settings
from tui.registry import destination
from tui.widgets.errors import USER_ERRORS, user_message

SHORT = {"include": "inc", "exclude": "exc", "maybe": "may", "conflict": "CONFLICT"}
SORT_OPTIONS = [
    ("file order", "file"),
    ("record id", "id"),
    ("year, oldest first", "year"),
    ("year, newest first", "-year"),
    ("title", "title"),
    ("source id", "source_id"),
]
COLUMNS = (
    "Record",
    "Source id",
    "Year",
    "Title",
    "First author",
    "Source",
    "Final",
    "Decisions",
    "Tags",
)


def border_title(page: RecordPage) -> str:
    """'Records · title/abstract · showing 101–200 of 100,000'."""
    stage = Stage(page.query.stage).label
    if not page.total:
        return f"Records · {stage} · showing 0 of 0"
    return f"Records · {stage} · showing {page.first:,}–{page.last:,} of {page.total:,}"


def cut(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


class RecordsScreen(Screen[None]):
    """All records, filtered and paged from the database."""

    HELP_TITLE = "Records list"
    HELP = (
        "Every record of the review at a stage, read from the database one page at a time. "
        "Filter by final decision (or by one reviewer's decision when a reviewer is chosen), "
        "reviewer, tag and source; search title and abstract (every word must appear); sort. "
        "The border says which rows are shown of how many match. Tab moves between the filters "
        "and the table; enter on a row opens it in the screening screen."
    )
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("right_square_bracket", "page(1)", "Next page", key_display="]"),
        Binding("left_square_bracket", "page(-1)", "Previous page", key_display="["),
        Binding("ctrl+r", "reload", "Reload"),
    ]
    DEFAULT_CSS = """
    RecordsScreen .filters { height: auto; }
    RecordsScreen .filters Select { width: 1fr; }
    RecordsScreen #search { width: 2fr; }
    RecordsScreen #records {
        height: 1fr; border: round $primary 40%;
        border-title-color: $text; border-title-style: bold;
    }
    """

    def __init__(self, ws: Workspace, query: RecordQuery | None = None) -> None:
        super().__init__()
        self.ws = ws
        self.query_state = query or RecordQuery()
        self.page_size = load_settings().settings.page_size
        self.page: RecordPage | None = None
        self.row_offset = 0
        self.generation = 0
        self._debounce: Timer | None = None
        self.options: FilterOptions | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        self.options = filter_options(self.ws)
        o = self.options
        q = self.query_state
        with Horizontal(classes="filters"):
            yield Input(value=q.text or "", placeholder="search title/abstract  (/)", id="search")
            yield Select(
                [(s.label, s.value) for s in Stage], value=q.stage, allow_blank=False, id="stage"
            )
            yield Select(
                SORT_OPTIONS,
                value=("-" if q.descending else "") + q.sort,
                allow_blank=False,
                id="sort",
            )
        with Horizontal(classes="filters"):
            yield Select(
                [(d.value, d.value) for d in Decision]
                + [(CONFLICT, CONFLICT), (UNDECIDED, UNDECIDED)],
                prompt="any decision",
                value=q.decision or Select.NULL,
                id="decision",
            )
            yield Select(
                [(r, r) for r in o.reviewers],
                prompt="any reviewer",
                value=q.reviewer or Select.NULL,
                id="reviewer",
            )
            yield Select(
                [(t.label, t.code) for t in o.tags],
                prompt="any tag",
                value=q.tag or Select.NULL,
                id="tag",
            )
            yield Select(
                [(src, src) for src in o.sources],
                prompt="any source",
                value=q.source or Select.NULL,
                id="source",
            )
        yield DataTable(id="records", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Records"
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        # The first page in file order is cheap (an index walk): show it at once; later
        # loads (filters, searches, pages deep in the list) run in a worker thread.
        self.generation += 1
        try:
            page = page_records(self.ws, self.query_state, 0, self.page_size)
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error")
            table.border_title = "Records"
            return
        self._fill(page, self.generation, False)

    def on_screen_resume(self) -> None:
        if self.page is not None:
            self.reload(count=True, keep_cursor=True)

    # ------------------------------------------------------------------ loading

    def reload(self, count: bool = False, keep_cursor: bool = False) -> None:
        """Read the page at `self.row_offset` for the current filters (in a worker thread)."""
        self.generation += 1
        total = None if count or self.page is None else self.page.total
        self._load(self.query_state, self.row_offset, total, self.generation, keep_cursor)

    @work(thread=True, exclusive=True, group="records")
    def _load(
        self, query: RecordQuery, offset: int, total: int | None, generation: int, keep_cursor: bool
    ) -> None:
        try:
            page = page_records(self.ws, query, offset, self.page_size, total)
        except USER_ERRORS as exc:
            self.app.call_from_thread(self.notify, user_message(exc), severity="error")
            return
        self.app.call_from_thread(self._fill, page, generation, keep_cursor)

    def _fill(self, page: RecordPage, generation: int, keep_cursor: bool) -> None:
        if generation != self.generation:
            return  # an older request finished after a newer one started
        table: DataTable[Any] = self.query_one(DataTable)
        row = table.cursor_row if keep_cursor else 0
        self.page = page
        self.row_offset = page.offset
        table.clear()
        table.add_rows(
            (
                str(r.id),
                cut(r.source_id, 14),
                str(r.year or ""),
                cut(r.title, 60),
                cut(r.first_author, 18),
                cut(r.source, 14),
                SHORT.get(r.final or "", r.final or ""),
                " ".join(f"{who}:{SHORT.get(d, d)}" for who, d in r.decisions),
                ", ".join(r.tags),
            )
            for r in page.rows
        )
        table.border_title = border_title(page)
        if page.rows:
            table.move_cursor(row=min(row, len(page.rows) - 1))

    # ------------------------------------------------------------------ filters

    def _set(self, **changes: Any) -> None:
        self.query_state = self.query_state.with_(**changes)
        self.row_offset = 0
        self.reload(count=True)

    def on_select_changed(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        name = event.select.id
        if name == "sort":
            sort = value or "file"
            changes: dict[str, Any] = {"sort": sort.lstrip("-"), "descending": sort.startswith("-")}
        elif name in {"stage", "decision", "reviewer", "tag", "source"}:
            changes = {name: value if name != "stage" else (value or Stage.TITLE_ABSTRACT.value)}
        else:
            return
        if all(getattr(self.query_state, k) == v for k, v in changes.items()):
            return
        self._set(**changes)

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.35, self._search_now)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._search_now()
        self.query_one(DataTable).focus()

    def _search_now(self) -> None:
        text = self.query_one("#search", Input).value.strip() or None
        if text != self.query_state.text:
            self._set(text=text)

    # ------------------------------------------------------------------ actions

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_back(self) -> None:
        if not isinstance(self.focused, DataTable):
            self.query_one(DataTable).focus()
            return
        self.app.pop_screen()

    def action_page(self, delta: int) -> None:
        if self.page is None:
            return
        offset = self.row_offset + delta * self.page_size
        if offset < 0 or offset >= self.page.total:
            self.notify("first page" if delta < 0 else "last page")
            return
        self.row_offset = offset
        self.reload()

    def action_reload(self) -> None:
        self.reload(count=True, keep_cursor=True)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if self.page is None or not (0 <= event.cursor_row < len(self.page.rows)):
            return
        from tui.screens.screening import screening_screen

        record_id = self.page.rows[event.cursor_row].id
        self.app.push_screen(screening_screen(self.ws, self.query_state.stage, record_id))


@destination("l", "Records list", "all records: filter, search, sort; enter opens one", order=35)
def _open(ws: Workspace) -> Screen[None]:
    return RecordsScreen(ws)
