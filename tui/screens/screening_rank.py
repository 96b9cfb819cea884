"""Dialogs of prioritised screening: why a record ranks where it does, and the stopping aid."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from realist.domain import Stage
from realist.services import prioritise
from realist.services.context import Workspace
from realist.services.screening import Queue
from tui.widgets.errors import USER_ERRORS, user_message

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90%; max-width: 96; height: auto; max-height: 90%;
    border: thick $accent; background: $panel; padding: 1 2;
}}
{name} .dialog-help {{ color: $text-muted; }}
"""


def explain_text(
    corpus: prioritise.Corpus, ranking: prioritise.Ranking, record_id: int, queue: Queue | None
) -> Text:
    """Why `record_id` sits where it does in the relevance order."""
    out = Text()
    out.append(f"Record {record_id}\n\n", style="bold")
    if not ranking.trained:
        out.append(
            "No record has been kept (include or maybe) yet, so there is nothing to learn from: "
            "the queue keeps file order. Rank order starts with the first include.\n"
        )
        return out
    score = ranking.scores.get(record_id)
    open_ids = [i for i in queue.ids if queue.is_open(i)] if queue is not None else []
    if score is not None:
        out.append(f"score {score:+.3f}")
        if record_id in open_ids:
            better = sum(1 for i in open_ids if ranking.scores.get(i, score) > score)
            out.append(f" · {better + 1:,} of {len(open_ids):,} records still open")
        out.append("\n")
    out.append(
        f"learned from {ranking.relevant:,} kept and {ranking.irrelevant:,} excluded records\n\n"
    )
    terms = prioritise.explain(corpus, record_id, top=10)
    if not terms:
        out.append("None of this record's words pushed it up: it ranks by what it lacks.\n")
        return out
    out.append("Terms that pushed it up\n", style="bold")
    width = max(len(t) for t, _ in terms)
    top = terms[0][1]
    for term, weight in terms:
        bar = "█" * max(1, round(20 * weight / top))
        out.append(f"  {term:<{width}}  ")
        out.append(bar, style="green")
        out.append(f" {weight:.3f}\n")
    return out


class WhyDialog(ModalScreen[None]):
    """The model's reason for a record's place: its score and the terms that raised it."""

    DEFAULT_CSS = DIALOG_CSS.format(name="WhyDialog")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,Y,enter", "dismiss", "Close"),
    ]

    def __init__(self, body: Text) -> None:
        super().__init__()
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Why here?[/b]")
            yield Static(self.body, id="why-body")
            yield Static("escape closes", classes="dialog-help")


class StoppingDialog(ModalScreen[None]):
    """Includes found against records screened, and the estimate of includes remaining."""

    DEFAULT_CSS = DIALOG_CSS.format(name="StoppingDialog")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,S,enter", "dismiss", "Close"),
        Binding("t", "target", "Target recall"),
    ]
    TARGETS = (0.95, 0.90, 0.99, 1.0)

    def __init__(self, ws: Workspace, stage: Stage) -> None:
        super().__init__()
        self.ws = ws
        self.stage = stage
        self.target = self.TARGETS[0]
        self.report: prioritise.StoppingReport | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]Stopping aid · {self.stage.label}[/b]")
            with VerticalScroll():
                yield Static("computing…", id="stopping-body")
            yield Static(
                "t changes the target recall · escape closes · screening never stops by itself",
                classes="dialog-help",
            )

    def on_mount(self) -> None:
        self._load()

    def action_target(self) -> None:
        at = self.TARGETS.index(self.target)
        self.target = self.TARGETS[(at + 1) % len(self.TARGETS)]
        self._load()

    @work(thread=True, exclusive=True, group="stopping")
    def _load(self) -> None:
        try:
            report = prioritise.stopping_report(self.ws, self.stage, target_recall=self.target)
        except USER_ERRORS as exc:
            self.app.call_from_thread(self.notify, user_message(exc), severity="error")
            return
        self.app.call_from_thread(self._show, report)

    def _show(self, report: prioritise.StoppingReport) -> None:
        self.report = report
        self.query_one("#stopping-body", Static).update(stopping_text(report))


def stopping_text(report: prioritise.StoppingReport, width: int = 60) -> Text:
    """The stopping aid as the dialog shows it: chart, figures and advice."""
    e = report.estimate
    out = Text()
    out.append(report.plot(width=width, height=12) + "\n\n")
    out.append("• = includes and maybes found; · = the pace random order would need\n\n", "dim")
    rows = [
        ("screened", f"{e.screened:,} of {e.n_total:,} ({e.unscreened:,} left)"),
        ("kept (include or maybe)", f"{e.found:,}"),
        ("screened since the last one", f"{e.since_last_include:,}"),
    ]
    if e.screened and e.unscreened:
        rows.append(
            (
                "kept still to find (estimate)",
                f"{e.remaining:.1f} ({e.confidence:.0%} interval "
                f"{e.remaining_low}-{e.remaining_high})",
            )
        )
        rows.append(
            (
                f"P(recall < {e.target_recall:.0%})",
                f"{e.p_below_target:.3f} (estimated recall {e.estimated_recall:.1%})",
            )
        )
    for label, value in rows:
        out.append(f"{label:<30}", style="bold")
        out.append(f"{value}\n")
    out.append("\n")
    out.append(report.advice() + "\n", style="bold green" if e.target_reached else "bold")
    out.append(f"\nMethod: {e.method}.", style="dim")
    return out
