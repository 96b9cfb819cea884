"""The import screen: import a search export as a batch, de-duplicate it, see every batch so far.

The import runs in a worker thread that posts progress messages; the screen never freezes and a
refused file changes nothing (the message says file, record, line and reason).
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
)

from realist.domain import SourceKind, values
from realist.errors import RealistError
from realist.services import dedup_service, imports
from realist.services.context import Workspace
from realist.services.dedup_service import DedupSummary
from realist.services.imports import PROGRESS_TOTAL, BatchInfo, ImportSummary
from tui.registry import destination


class ImportProgress(Message):
    """Progress of the running import (posted from the worker thread)."""

    def __init__(self, stage: str, done: int, total: int) -> None:
        super().__init__()
        self.stage = stage
        self.done = done
        self.total = total


class ImportFinished(Message):
    """The worker is done: what it imported and de-duplicated, or why it refused."""

    def __init__(
        self,
        summary: ImportSummary | None,
        dedup: DedupSummary | None = None,
        error: str | None = None,
    ) -> None:
        super().__init__()
        self.summary = summary
        self.dedup = dedup
        self.error = error


def result_text(summary: ImportSummary, dedup: DedupSummary | None) -> str:
    """What an import did, as Rich markup."""
    lines = [
        f"[b]{escape(summary.file_name)}[/b]: {summary.records:,} record(s) from "
        f"{escape(summary.source_db)} ({summary.format.upper()}"
        f"{', ' + escape(summary.dialect) if summary.dialect else ''}, {summary.encoding}) "
        f"as batch {summary.batch_id}" + (" [i](forced re-import)[/i]" if summary.forced else "")
    ]
    if summary.skipped:
        lines.append(
            f"[yellow]skipped {summary.skipped:,} invalid record(s); report: "
            f"{escape(summary.report_path or '')}[/yellow]"
        )
    lines += [f"[dim]warning: {escape(w)}[/dim]" for w in summary.warnings]
    if dedup is not None:
        lines.append(
            f"de-duplication: {dedup.certain:,} merged automatically, {dedup.uncertain:,} for "
            f"review; {dedup.queue:,} pair(s) wait in the queue (press [b]d[/b] on the home screen)"
        )
    return "\n".join(lines)


# The services word their advice for the command line; here the same options are checkboxes.
_OPTION_NAMES = {
    "use --skip-invalid": "tick 'skip invalid records'",
    "use --force": "tick 'import again (force)'",
}


def for_this_screen(message: str) -> str:
    """A service's message with command-line options named as this screen's checkboxes."""
    for option, checkbox in _OPTION_NAMES.items():
        message = message.replace(option, checkbox)
    return message


class ImportScreen(Screen[None]):
    """Import search results and list the review's import batches."""

    HELP_TITLE = "Import search results"
    HELP = (
        "Type the path of an export (RIS, PubMed/MEDLINE, Web of Science, BibTeX, CSV, TSV or "
        "XLSX; the format is detected from the content), the database it came from, and press "
        "ctrl+s or the Import button. The file is imported whole or not at all: a malformed record "
        "stops it with its record number, line and reason, unless 'skip invalid records' is on "
        "(a CSV report of the skipped ones is written next to the file). A file imported before is "
        "refused unless 'import again' is on. The new records are then de-duplicated against the "
        "review. The table lists every batch with its source, counts and duplicates."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+s", "start_import", "Import", priority=True),
    ]
    DEFAULT_CSS = """
    ImportScreen #import-form { height: auto; padding: 0 1; }
    ImportScreen .field-row { height: auto; margin-bottom: 1; }
    ImportScreen .field-row Label { width: 14; }
    ImportScreen .field-row Input { width: 1fr; }
    ImportScreen #import-kind { width: 20; margin-left: 2; }
    ImportScreen #import-options { height: auto; }
    ImportScreen #import-options Checkbox { margin-right: 3; }
    ImportScreen #import-progress { margin: 1 0 0 0; }
    ImportScreen #import-result { height: auto; min-height: 2; padding: 0 1; }
    ImportScreen #batches { height: 1fr; border: round $primary 40%; }
    """

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="import-form", classes="panel"):
            with Horizontal(classes="field-row"):
                yield Label("File")
                yield Input(compact=True, placeholder="path/to/export.ris", id="import-path")
            with Horizontal(classes="field-row"):
                yield Label("Source")
                yield Input(
                    compact=True,
                    placeholder="database, e.g. MEDLINE (blank: from the file, else unknown)",
                    id="import-source",
                )
                yield Select(
                    [(k, k) for k in values(SourceKind)],
                    value=SourceKind.DATABASE.value,
                    allow_blank=False,
                    compact=True,
                    id="import-kind",
                )
            with Horizontal(classes="field-row"):
                yield Label("Search")
                yield Input(
                    compact=True, placeholder="search string (optional)", id="import-search"
                )
            with Horizontal(classes="field-row"):
                yield Label("Search date")
                yield Input(compact=True, placeholder="YYYY-MM-DD (optional)", id="import-date")
            with Horizontal(id="import-options"):
                yield Checkbox("skip invalid records", compact=True, id="import-skip")
                yield Checkbox("import again (force)", compact=True, id="import-force")
                yield Checkbox("de-duplicate", value=True, compact=True, id="import-dedup")
                yield Button("Import", variant="primary", compact=True, id="import-go")
            yield ProgressBar(total=PROGRESS_TOTAL, show_eta=False, id="import-progress")
            yield Static("", id="import-result")
        yield DataTable(id="batches", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#batches", DataTable)
        table.add_columns(
            "Batch", "File", "Source", "Kind", "Format", "Records", "Skipped", "Duplicates",
            "Searched", "Imported",
        )  # fmt: skip
        self.refresh_batches()
        self.query_one("#import-path", Input).focus()

    def refresh_batches(self) -> None:
        """Reload the batches table from the service."""
        table = self.query_one("#batches", DataTable)
        table.clear()
        batches: list[BatchInfo] = imports.list_batches(self.ws)
        for b in batches:
            table.add_row(
                str(b.id),
                b.file_name,
                b.source_db or "",
                b.source_kind,
                b.format + (f" ({b.dialect})" if b.dialect else ""),
                f"{b.records:,}",
                f"{b.skipped:,}" if b.skipped else "",
                f"{b.duplicates:,}" if b.duplicates else "",
                b.search_date or "",
                f"{b.imported_at:%Y-%m-%d %H:%M}" + (" forced" if b.forced else ""),
                key=str(b.id),
            )
        table.border_title = f"Import batches ({len(batches)})"

    @on(Button.Pressed, "#import-go")
    def _pressed(self) -> None:
        self.action_start_import()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_start_import()

    def action_start_import(self) -> None:
        """Check the form and start the import in a worker."""
        if self.running:
            self.notify("an import is already running", severity="warning")
            return
        raw = self.query_one("#import-path", Input).value.strip()
        if not raw:
            self.notify("type the path of the file to import", severity="error")
            return
        path = Path(raw).expanduser()
        if not path.is_file():
            self.notify(f"{path}: no such file", severity="error")
            return
        kind = self.query_one("#import-kind", Select).value
        self.running = True
        self.query_one("#import-go", Button).disabled = True
        self.query_one("#import-progress", ProgressBar).update(progress=0)
        self.query_one("#import-result", Static).update(f"importing {escape(path.name)} …")
        self.run_import(
            path,
            source=self.query_one("#import-source", Input).value.strip() or None,
            source_kind=str(kind),
            search_string=self.query_one("#import-search", Input).value.strip() or None,
            search_date=self.query_one("#import-date", Input).value.strip() or None,
            skip_invalid=self.query_one("#import-skip", Checkbox).value,
            force=self.query_one("#import-force", Checkbox).value,
            dedup=self.query_one("#import-dedup", Checkbox).value,
        )

    @work(thread=True, exclusive=True, group="import")
    def run_import(
        self,
        path: Path,
        *,
        source: str | None,
        source_kind: str,
        search_string: str | None,
        search_date: str | None,
        skip_invalid: bool,
        force: bool,
        dedup: bool,
    ) -> None:
        """Import (and de-duplicate) off the UI thread; report back with messages only."""

        def progress(stage: str) -> imports.Progress:
            def report(done: int, total: int) -> None:
                self.post_message(ImportProgress(stage, done, total))

            return report

        try:
            summary = imports.import_file(
                self.ws,
                path,
                source=source,
                source_kind=source_kind,
                search_string=search_string,
                search_date=search_date,
                skip_invalid=skip_invalid,
                force=force,
                progress=progress("import"),
            )
        except RealistError as exc:
            self.post_message(ImportFinished(None, error=str(exc)))
            return
        result = None
        if dedup:
            try:
                result = dedup_service.run_dedup(
                    self.ws, batch_ids=[summary.batch_id], progress=progress("dedup")
                )
            except RealistError as exc:
                self.post_message(ImportFinished(summary, error=f"de-duplication: {exc}"))
                return
        self.post_message(ImportFinished(summary, result))

    def on_import_progress(self, message: ImportProgress) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        total = max(message.total, 1)
        # The import fills the first 80% of the bar, de-duplication the rest.
        if message.stage == "import":
            bar.update(progress=0.8 * PROGRESS_TOTAL * message.done / total)
        else:
            bar.update(progress=PROGRESS_TOTAL * (0.8 + 0.2 * message.done / total))

    def on_import_finished(self, message: ImportFinished) -> None:
        self.running = False
        self.query_one("#import-go", Button).disabled = False
        result = self.query_one("#import-result", Static)
        if message.summary is None:
            error = for_this_screen(message.error or "import failed")
            result.update(f"[red]{escape(error)}[/red]")
            self.notify(error, severity="error", timeout=10)
            self.query_one("#import-progress", ProgressBar).update(progress=0)
            return
        self.query_one("#import-progress", ProgressBar).update(progress=PROGRESS_TOTAL)
        result.update(result_text(message.summary, message.dedup))
        if message.error:
            self.notify(message.error, severity="error", timeout=10)
        else:
            self.notify(f"imported {message.summary.records:,} record(s)")
        self.refresh_batches()


@destination("i", "Import", "import search exports, list batches", order=20)
def _open(ws: Workspace) -> Screen[None]:
    return ImportScreen(ws)
