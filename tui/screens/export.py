"""The export screen: choose what to export, the format and where; it runs in the background."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    ProgressBar,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from realist.cli.common import describe_error
from realist.services.context import Workspace
from tui.registry import destination

if TYPE_CHECKING:
    from exporters.api import ExportRequest

# The export kinds, mirrored from exporters.api.EXPORTS when the screen opens (the TUI may
# import exporters; the list here only orders the menu).
ORDER = (
    "theory",
    "ppi",
    "cmocs",
    "studies",
    "appraisal",
    "evidence",
    "rameses",
    "tables",
    "prisma",
    "stopping",
)


def default_path(what: str, fmt: str, folder: Path = Path("exports")) -> Path:
    """Where an export goes unless the user says otherwise: exports/<what>.<format>."""
    if what == "ppi":
        return folder / "ppi-pack"
    suffix = fmt.split("+")[0]
    return folder / f"{'theory-overview' if what == 'theory' else what}.{suffix}"


class ExportProgress(Message):
    """A step of the running export."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done, self.total = done, total


class ExportFinished(Message):
    """The export was written (paths) or failed (error)."""

    def __init__(self, paths: tuple[Path, ...], note: str | None, error: str | None) -> None:
        super().__init__()
        self.paths, self.note, self.error = paths, note, error


class ExportScreen(Screen[None]):
    """Every export of the CLI, from the keyboard."""

    HELP_TITLE = "Export"
    HELP = (
        "Export the review: the programme theory diagram, the PPI panel pack, the methods "
        "tables (CMOCs as Table 3, document characteristics, appraisal, evidence, RAMESES) and "
        "the PRISMA flow diagram. Choose what on the left (arrow keys), then the format and "
        "the file (tab moves between fields), and press ctrl+e (or the Export button). The "
        "export runs in the background; a notification gives the path or the error."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+e", "run_export", "Export", priority=True),
    ]
    DEFAULT_CSS = """
    #export-what { width: 2fr; height: 100%; border: round $primary 40%; }
    #export-form { width: 3fr; height: 100%; padding: 0 1; }
    #export-form Label { margin-top: 1; }
    #export-form Select, #export-form Input { width: 100%; }
    #export-options { height: auto; }
    #export-progress { margin-top: 1; }
    #export-run { margin-top: 1; }
    #export-result { margin-top: 1; }
    """

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.what = ORDER[0]
        self.path_edited = False
        self.running = False

    def compose(self) -> ComposeResult:
        from exporters.api import EXPORTS

        yield Header()
        with Horizontal():
            yield OptionList(*[Option(f"{EXPORTS[k].name}", id=k) for k in ORDER], id="export-what")
            with VerticalScroll(id="export-form", classes="panel"):
                yield Static(id="export-about")
                yield Label("Format")
                first = EXPORTS[ORDER[0]].formats
                yield Select[str](
                    [(f, f) for f in first], value=first[0], id="export-format", allow_blank=False
                )
                yield Label("Save to (file, or folder for the PPI pack)")
                yield Input(id="export-path")
                with Vertical(id="export-options"):
                    yield Label("Diagram", classes="theory-only")
                    yield Select[str](
                        [
                            ("overview: ids and outcomes", "overview"),
                            ("detailed: full C, M, O", "detailed"),
                        ],
                        value="overview",
                        allow_blank=False,
                        id="export-view",
                        classes="theory-only",
                    )
                    yield Label("Cluster (empty: all)", classes="theory-only")
                    yield Input(id="export-cluster", type="integer", classes="theory-only")
                    yield Checkbox(
                        "Documents as nodes (evidence)", id="export-evidence", classes="theory-only"
                    )
                    yield Checkbox(
                        "Add parts, direction, status and documents",
                        id="export-full",
                        classes="cmocs-only",
                    )
                    yield Label("Counts", classes="prisma-only")
                    yield Select[str](
                        [
                            ("live, or as reported before any import", "auto"),
                            ("live counts", "live"),
                            ("as the review reports them", "reported"),
                        ],
                        value="auto",
                        allow_blank=False,
                        id="export-source",
                        classes="prisma-only",
                    )
                    yield Checkbox(
                        "Realist document flow wording", id="export-variant", classes="prisma-only"
                    )
                yield Button("Export (ctrl+e)", id="export-run", variant="primary")
                yield ProgressBar(id="export-progress", show_eta=False)
                yield Static(id="export-result")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ProgressBar).update(total=1, progress=0)
        menu = self.query_one(OptionList)
        menu.highlighted = 0
        menu.focus()
        self._choose(ORDER[0])

    # -------------------------------------------------------------------- form state

    def _choose(self, what: str) -> None:
        from exporters.api import EXPORTS

        self.what = what
        kind = EXPORTS[what]
        self.query_one("#export-about", Static).update(
            f"[b]{escape(kind.name)}[/b]\n{escape(kind.description)}"
        )
        select: Select[str] = self.query_one("#export-format", Select)
        select.set_options([(f, f) for f in kind.formats])
        select.value = kind.formats[0]
        for css, shown in (("theory-only", what == "theory"), ("cmocs-only", what == "cmocs"),
                           ("prisma-only", what == "prisma")):  # fmt: skip
            for widget in self.query(f".{css}"):
                widget.display = shown
        self._suggest_path()

    def _suggest_path(self) -> None:
        if self.path_edited:
            return
        fmt = self.query_one("#export-format", Select).value
        path = default_path(self.what, str(fmt) if isinstance(fmt, str) else "")
        field = self.query_one("#export-path", Input)
        with field.prevent(Input.Changed):
            field.value = str(path)

    @on(OptionList.OptionHighlighted, "#export-what")
    def what_changed(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._choose(event.option.id)

    @on(Select.Changed, "#export-format")
    def format_changed(self) -> None:
        self._suggest_path()

    @on(Input.Changed, "#export-path")
    def path_changed(self) -> None:
        self.path_edited = True

    @on(Button.Pressed, "#export-run")
    def button(self) -> None:
        self.action_run_export()

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_run_export()

    # -------------------------------------------------------------------- running

    def request(self) -> ExportRequest:
        """The ExportRequest the form describes (raises RealistError on bad input)."""
        from exporters.api import EXPORTS, ExportRequest
        from realist.errors import InvalidInputError

        fmt = self.query_one("#export-format", Select).value
        path_text = self.query_one("#export-path", Input).value.strip()
        if not path_text:
            raise InvalidInputError("say where to save the export")
        if path_text.endswith(("/", os.sep)) and not EXPORTS[self.what].directory:
            # Path() drops the separator: "out/" would become a file called out.
            raise InvalidInputError(f"{path_text} is a folder; give a file name")
        cluster_text = self.query_one("#export-cluster", Input).value.strip()
        view = self.query_one("#export-view", Select).value
        source = self.query_one("#export-source", Select).value
        return ExportRequest(
            what=self.what,
            fmt=str(fmt),
            path=Path(path_text).expanduser(),
            view="detailed" if view == "detailed" else "overview",
            cluster=int(cluster_text) if self.what == "theory" and cluster_text else None,
            evidence=self.what == "theory" and self.query_one("#export-evidence", Checkbox).value,
            full=self.what == "cmocs" and self.query_one("#export-full", Checkbox).value,
            source=str(source),
            variant="realist" if self.query_one("#export-variant", Checkbox).value else "prisma",
        )

    def action_run_export(self) -> None:
        if self.running:
            self.notify("an export is already running", severity="warning")
            return
        try:
            req = self.request()
        except Exception as exc:
            self.notify(describe_error(exc) or str(exc), severity="error")
            return
        self.running = True
        self.query_one(ProgressBar).update(total=1, progress=0)
        self.query_one("#export-result", Static).update("[dim]exporting…[/dim]")
        self.export_worker(req)

    @work(thread=True, exclusive=True, group="export")
    def export_worker(self, req: ExportRequest) -> None:
        """Runs the export off the UI thread; reports through messages only."""
        from exporters.api import run_export

        def progress(done: int, total: int) -> None:
            self.post_message(ExportProgress(done, total))

        try:
            result = run_export(self.ws, req, progress=progress)
        except Exception as exc:  # reported to the user; nothing half-written stays
            message = describe_error(exc) or f"the export failed: {type(exc).__name__}: {exc}"
            self.post_message(ExportFinished((), None, message))
            return
        self.post_message(ExportFinished(result.paths, result.note, None))

    def on_export_progress(self, message: ExportProgress) -> None:
        self.query_one(ProgressBar).update(total=max(message.total, 1), progress=message.done)

    def on_export_finished(self, message: ExportFinished) -> None:
        self.running = False
        result = self.query_one("#export-result", Static)
        if message.error:
            self.query_one(ProgressBar).update(progress=0)  # not left part-full by a failure
            result.update(f"[b red]Not exported[/b red]\n{escape(message.error)}")
            self.notify(message.error, title="Export failed", severity="error", timeout=10)
            return
        bar = self.query_one(ProgressBar)
        bar.update(progress=bar.total or 1)
        written = "\n".join(str(p) for p in message.paths)
        text = f"[b green]Written[/b green]\n{escape(written)}"
        if message.note:
            text += f"\n[i]{escape(message.note)}[/i]"
        result.update(text)
        self.notify(f"wrote {written}", title="Exported", timeout=8)


@destination("x", "Export", "diagrams, tables, the PPI pack and the PRISMA flow diagram", order=95)
def _open(ws: Workspace) -> Screen[None]:
    return ExportScreen(ws)
