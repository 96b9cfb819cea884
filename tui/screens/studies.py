"""The studies list: included documents, what is known of them, and the CMOCs citing each."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from realist.errors import RealistError
from realist.services.context import Workspace
from realist.services.theory import StudySummary, list_studies
from realist.services.traceability import document_trace
from tui.registry import destination
from tui.screens.document_trace import DocumentTraceScreen


def study_detail(st: StudySummary) -> str:
    """The detail pane for one study, as Rich markup (text from the data is escaped)."""

    def field(name: str, value: object) -> str:
        return (
            f"[b]{name}[/b] {escape(str(value))}"
            if value not in (None, "", ())
            else f"[b]{name}[/b] [dim]not stated[/dim]"
        )

    lines = [
        f"[b]Ref {escape(st.ref)}[/b]  {escape(st.short)}",
        "",
        escape(st.citation),
        "",
        field("Country", st.country),
        field("Setting", st.setting),
        field("Design", st.design),
        field("Focus", st.focus),
        field("PROGRESS-Plus", ", ".join(st.progress_labels)),
        field("Relevance", st.relevance),
        field("Rigour", st.rigour),
        field("Cited by CMOCs", ", ".join(st.cmocs)),
    ]
    if st.notes:
        lines += ["", "[b]Notes[/b]", escape(st.notes)]
    return "\n".join(lines)


class StudiesScreen(Screen[None]):
    """Every included document with its characteristics."""

    HELP_TITLE = "Studies"
    HELP = (
        "The documents the review includes, as cited. Move with the arrow keys; the pane on the "
        "right shows the full reference, what the review states about the document and which "
        "CMOCs cite it. s lists every CMOC the highlighted document supports, whether the CMOC "
        "cites it or one of its coded excerpts is linked as evidence for a context, mechanism or "
        "outcome."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("s", "supported_cmocs", "CMOCs supported"),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.studies: list[StudySummary] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield DataTable(id="studies-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="study-detail-box", classes="panel"):
                yield Static(id="study-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.studies = list_studies(self.ws)
        table = self.query_one(DataTable)
        table.add_columns("Ref", "Study", "Focus", "CMOCs")
        for st in self.studies:
            table.add_row(st.ref, st.short, st.focus or "", ", ".join(st.cmocs), key=st.ref)
        table.border_title = f"Studies ({len(self.studies)})"
        table.focus()
        if self.studies:
            self._show(0)

    def _show(self, row: int) -> None:
        if 0 <= row < len(self.studies):
            self.query_one("#study-detail", Static).update(study_detail(self.studies[row]))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    def action_supported_cmocs(self) -> None:
        """Show the CMOCs the highlighted study supports, with the excerpts behind each."""
        row = self.query_one(DataTable).cursor_row
        if not 0 <= row < len(self.studies):
            self.notify("no study here", severity="warning")
            return
        try:
            trace = document_trace(self.ws, self.studies[row].id)
        except RealistError as exc:
            self.notify(str(exc), severity="error")
            return
        self.app.push_screen(DocumentTraceScreen(trace))


@destination("s", "Studies", "included documents and the CMOCs citing them", order=60)
def _open(ws: Workspace) -> Screen[None]:
    return StudiesScreen(ws)
