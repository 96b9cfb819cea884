"""The agreement screen: the blind samples of the dual-screening check, both reviewers' progress,
opening the comparison and the agreement report.

`a` on the home screen. The list shows every sample with who screens it, how far each reviewer
has got and whether it is blind, ready to open or open; below, the highlighted sample and, once
its comparison is open, the agreement report. A lead draws a sample with `n` (a form with a
preview that warns about too few includes and offers to oversample them), opens the comparison
with `o` and exports the report with `x`; `d` lists the disagreements; `s` screens the
sample's records. A second reviewer sees their own progress only: the first reviewer's counts,
the draw's strata and warnings stay hidden while the sample is blind.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.markdown import Markdown
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, DataTable, Footer, Header, Input, Select, Static

from realist.agreement.sample import MIN_SAMPLE_INCLUDES
from realist.domain import Role, Stage
from realist.errors import InvalidInputError
from realist.services import agreement_service, samples
from realist.services.agreement_service import AgreementResult
from realist.services.context import Workspace
from realist.services.reviewers import list_reviewers
from realist.services.samples import SampleInfo, SamplePlan
from tui.registry import destination
from tui.widgets.errors import USER_ERRORS, user_message
from tui.widgets.prompts import TextPrompt

STATUS_TEXT = {
    samples.BLIND: ("blind", "bold yellow"),
    samples.READY: ("ready to open", "bold cyan"),
    samples.OPEN: ("open", "bold green"),
}
COLUMNS = ("Sample", "Stage", "First", "Second (blind)", "Size", "First decided",
           "Second decided", "Status", "Drawn")  # fmt: skip


def _count(n: int | None, size: int) -> str:
    return "hidden" if n is None else f"{n} / {size}"


def sample_text(info: SampleInfo, viewer: str | None, describe: bool = True) -> Text:
    """What the detail pane says about one sample, for the acting reviewer."""
    label = Stage(info.stage).label
    out = Text()
    out.append(f"Sample {info.id}", style="bold")
    out.append(f" · {label} · {info.size} records · seed {info.seed} · fraction {info.fraction:g}")
    if info.stratify:
        out.append(f" · stratified by {info.stratify}")
    out.append("\n")
    out.append(
        f"First reviewer {info.first_reviewer} · second reviewer {info.second_reviewer} (screens "
        f"blind) · drawn {info.drawn_at:%Y-%m-%d %H:%M} UTC"
        + (f" by {info.drawn_by}" if info.drawn_by else "")
        + "\n",
        style="dim",
    )
    p = info.progress
    out.append("Decided: ")
    out.append(f"{info.first_reviewer} {_count(p.first_decided, p.size)}", style="bold")
    out.append(" · ")
    out.append(f"{info.second_reviewer} {_count(p.second_decided, p.size)}", style="bold")
    out.append("\n")
    text, style = STATUS_TEXT[info.status]
    out.append("Status: ")
    out.append(text, style=style)
    if info.status == samples.OPEN and info.opened_at is not None:
        out.append(
            f" since {info.opened_at:%Y-%m-%d %H:%M} UTC"
            + (f" ({info.opened_by})" if info.opened_by else "")
        )
    out.append("\n")
    if info.redacted and viewer == info.second_reviewer:
        out.append(
            f"\nYou are screening this sample blind: {info.first_reviewer}'s decisions, reasons, "
            f"tags and notes at {label} are hidden from you everywhere (screens, lists, counts, "
            "exports) until you have both decided every record and a lead opens the "
            "comparison. Press s to screen it.\n",
            style="italic",
        )
    elif info.redacted:
        out.append(
            f"\n{info.first_reviewer}'s work at {label} is hidden from you while this sample is "
            "blind.\n",
            style="italic",
        )
    elif info.status == samples.BLIND:
        out.append(
            f"\nThe comparison opens when both have decided all {info.size} records (a lead "
            "presses o).\n",
            style="italic",
        )
    elif info.status == samples.READY:
        out.append(
            "\nBoth have finished: a lead presses o to open the comparison.\n", style="italic"
        )
    if info.description and describe:
        out.append(f"\n{info.description}\n", style="dim")
    for w in info.warnings:
        out.append(f"⚠ {w}\n", style="yellow")
    return out


class AgreementScreen(Screen[None]):
    """The agreement samples and their report."""

    HELP_TITLE = "Agreement check"
    HELP = (
        "The dual-screening agreement check. A lead draws a random sample of the records the "
        "first reviewer decided (n); the second reviewer screens it blind (s, or r on the home "
        "screen: their queue is the sample) and sees nothing of the first reviewer's work at "
        "that stage anywhere. When both have decided every record, a lead opens the comparison "
        "(o): the agreement report appears below (kappa with its 95% CI by Fleiss, Cohen & "
        "Everitt 1969, PABAK, AC1, per tag), the disagreements can be resolved (d) and the "
        "report exported as md, json, csv or xlsx (x)."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("n", "new_sample", "New sample"),
        Binding("s", "screen_sample", "Screen sample"),
        Binding("o", "open_comparison", "Open comparison"),
        Binding("d", "disagreements", "Disagreements"),
        Binding("x", "export", "Export report"),
        Binding("ctrl+r", "reload", "Reload"),
    ]
    DEFAULT_CSS = """
    AgreementScreen #samples { height: auto; max-height: 12; border: round $primary 40%; }
    AgreementScreen #detail-box { height: 1fr; }
    """

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.samples: list[SampleInfo] = []
        self.report: AgreementResult | None = None
        self.generation = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="samples", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="detail-box", classes="panel"):
            yield Static(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Agreement check"
        actor = self.ws.actor
        self.sub_title = f"{actor.name} ({actor.role})" if actor else "read-only"
        table: DataTable[Any] = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.border_title = "Samples"
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    # ------------------------------------------------------------------ loading

    @property
    def current(self) -> SampleInfo | None:
        table: DataTable[Any] = self.query_one(DataTable)
        if not self.samples or not 0 <= table.cursor_row < len(self.samples):
            return None
        return self.samples[table.cursor_row]

    def load(self, select_id: int | None = None) -> None:
        """Read the samples again and show the highlighted one (or `select_id`)."""
        keep = select_id if select_id is not None else (self.current.id if self.current else None)
        try:
            self.samples = samples.list_samples(self.ws)
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error")
            return
        table: DataTable[Any] = self.query_one(DataTable)
        table.clear()
        for info in self.samples:
            text, style = STATUS_TEXT[info.status]
            table.add_row(
                str(info.id),
                Stage(info.stage).label,
                info.first_reviewer,
                info.second_reviewer,
                str(info.size),
                _count(info.progress.first_decided, info.size),
                _count(info.progress.second_decided, info.size),
                Text(text, style=style),
                f"{info.drawn_at:%Y-%m-%d}",
            )
        ids = [i.id for i in self.samples]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        elif ids:
            table.move_cursor(row=len(ids) - 1)
        self.show_current()

    def show_current(self) -> None:
        self.refresh_bindings()
        info = self.current
        detail = self.query_one("#detail", Static)
        self.report = None
        self.generation += 1
        if info is None:
            lead = self.ws.actor is not None and self.ws.actor.role == Role.LEAD.value
            detail.update(
                Text(
                    "No agreement sample yet."
                    + (" Press n to draw one." if lead else " A lead draws one."),
                    style="bold",
                )
            )
            return
        viewer = self.ws.actor.name if self.ws.actor else None
        # an open sample's report repeats how it was drawn: say it once
        head = sample_text(info, viewer, describe=info.status != samples.OPEN)
        detail.update(head)
        if info.status == samples.OPEN:
            self._load_report(info.id, self.generation, head)

    @work(thread=True, exclusive=True, group="agreement-report")
    def _load_report(self, sample_id: int, generation: int, head: Text) -> None:
        try:
            result = agreement_service.agreement(self.ws, sample_id=sample_id)
        except USER_ERRORS as exc:
            self.app.call_from_thread(self._report_failed, generation, head, user_message(exc))
            return
        self.app.call_from_thread(self._show_report, generation, head, result)

    def _show_report(self, generation: int, head: Text, result: AgreementResult) -> None:
        if generation != self.generation:
            return
        self.report = result
        self.query_one("#detail", Static).update(Group(head, Markdown(result.to_markdown())))

    def _report_failed(self, generation: int, head: Text, message: str) -> None:
        if generation != self.generation:
            return
        self.query_one("#detail", Static).update(Group(head, Text(message, style="red")))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_current()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # drawing and opening are a lead's; the footer offers them to leads only
        if action in ("new_sample", "open_comparison"):
            return self.ws.actor is not None and self.ws.actor.role == Role.LEAD.value
        # the disagreements and the report exist once the comparison is open
        if action in ("disagreements", "export"):
            return self.current is not None and self.current.status == samples.OPEN
        return True

    # ------------------------------------------------------------------ actions

    def action_reload(self) -> None:
        self.load()

    def action_new_sample(self) -> None:
        def done(info: SampleInfo | None) -> None:
            if info is not None:
                self.notify(
                    f"sample {info.id} drawn: {info.size} records for {info.second_reviewer}"
                )
                self.load(select_id=info.id)

        self.app.push_screen(DrawSampleScreen(self.ws), done)

    def action_open_comparison(self) -> None:
        info = self.current
        if info is None:
            self.notify("no sample to open", severity="warning")
            return
        try:
            opened = samples.open_comparison(self.ws, info.id)
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error", timeout=12)
            return
        self.notify(f"comparison of sample {opened.id} open: blinding lifted")
        self.load(select_id=opened.id)

    def action_screen_sample(self) -> None:
        info = self.current
        if info is None:
            return
        from tui.screens.screening import screening_screen

        self.app.push_screen(screening_screen(self.ws, info.stage))

    def action_disagreements(self) -> None:
        info = self.current
        if info is None:
            self.notify("no sample yet", severity="warning")
            return
        from tui.screens.disagreements import DisagreementsScreen

        try:
            screen = DisagreementsScreen(self.ws, sample_id=info.id)
            screen.load_items()
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error", timeout=12)
            return
        self.app.push_screen(screen)

    def action_export(self) -> None:
        info = self.current
        if info is None:
            self.notify("no sample yet", severity="warning")
            return
        try:
            result = self.report or agreement_service.agreement(self.ws, sample_id=info.id)
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error", timeout=12)
            return

        def done(text: str | None) -> None:
            if not text or not text.strip():
                return
            path = Path(text.strip()).expanduser()
            try:
                fmt = agreement_service.export_report(result, path)
            except USER_ERRORS as exc:
                self.notify(user_message(exc), severity="error")
                return
            self.notify(f"wrote the agreement report ({fmt}) to {path}")

        self.app.push_screen(
            TextPrompt(
                "Export the agreement report",
                value=f"agreement-sample-{info.id}.md",
                hint="the extension picks the format: .md, .json, .csv or .xlsx",
            ),
            done,
        )


# --------------------------------------------------------------------------------------------
# Drawing a sample


AUTO_FIRST = "__auto__"
NO_STRATA = "__none__"


class DrawSampleScreen(ModalScreen[SampleInfo | None]):
    """The form to draw a sample: reviewers, stage, fraction, seed, stratification, with a
    preview of the draw (size, includes, warnings) before it is stored."""

    DEFAULT_CSS = """
    DrawSampleScreen { align: center middle; }
    DrawSampleScreen > Vertical {
        width: 90%; max-width: 120; height: auto; max-height: 95%;
        border: thick $accent; background: $panel; padding: 1 2;
    }
    DrawSampleScreen Horizontal { height: auto; }
    DrawSampleScreen .field { width: 1fr; height: auto; }
    DrawSampleScreen .label { color: $text-muted; }
    DrawSampleScreen #preview { margin: 1 0; height: auto; }
    DrawSampleScreen Button { margin-right: 2; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "draw", "Draw and store"),
        Binding("ctrl+o", "oversample", "Oversample includes"),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.plan: SamplePlan | None = None
        people = list_reviewers(ws)
        self.first_options = [("the other reviewer who decided", AUTO_FIRST)] + [
            (p.name, p.name) for p in people if p.active and p.role in ("lead", "reviewer")
        ]
        self.second_options = [
            (p.name, p.name) for p in people if p.active and p.role == Role.REVIEWER.value
        ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Draw the second reviewer's sample[/b]")
            with Horizontal():
                with Vertical(classes="field"):
                    yield Static("Second reviewer (screens blind)", classes="label")
                    yield Select(
                        self.second_options,
                        value=self.second_options[0][1] if self.second_options else Select.NULL,
                        prompt="nobody with the reviewer role",
                        id="second",
                    )
                with Vertical(classes="field"):
                    yield Static("First reviewer (decisions checked)", classes="label")
                    yield Select(
                        self.first_options, value=AUTO_FIRST, allow_blank=False, id="first"
                    )
                with Vertical(classes="field"):
                    yield Static("Stage", classes="label")
                    yield Select(
                        [(s.label, s.value) for s in Stage],
                        value=Stage.TITLE_ABSTRACT.value,
                        allow_blank=False,
                        id="stage",
                    )
            with Horizontal():
                with Vertical(classes="field"):
                    yield Static("Fraction (0.10 = 10%)", classes="label")
                    yield Input("0.10", id="fraction")
                with Vertical(classes="field"):
                    yield Static("Seed (same seed, same sample)", classes="label")
                    yield Input(str(random.SystemRandom().randint(1, 999_999)), id="seed")
                with Vertical(classes="field"):
                    yield Static("Stratify", classes="label")
                    yield Select(
                        [("no (simple random sample)", NO_STRATA)]
                        + [(f"by {s}", s) for s in samples.STRATIFY],
                        value=NO_STRATA,
                        allow_blank=False,
                        id="stratify",
                    )
                with Vertical(classes="field"):
                    yield Static("Oversample includes: at least", classes="label")
                    yield Input("", placeholder="(none)", id="oversample")
            yield Checkbox("Replace the second reviewer's blind sample at this stage", id="replace")
            yield Static(
                "enter previews · ctrl+s draws and stores · ctrl+o oversamples includes · "
                "escape cancels",
                classes="label",
            )
            yield Static(id="preview")
            with Horizontal():
                yield Button("Preview", id="preview-button")
                yield Button("Oversample includes", id="oversample-button")
                yield Button("Draw", variant="primary", id="draw-button")
                yield Button("Cancel", id="cancel-button")

    def on_mount(self) -> None:
        self.query_one("#fraction", Input).focus()
        self.run_preview()

    # ------------------------------------------------------------------ form values

    def _value(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return None if value is Select.NULL else str(value)

    def options(self) -> dict[str, Any]:
        """The form as keyword arguments of `samples.preview` / `samples.draw`."""
        second = self._value("#second")
        if second is None:
            raise InvalidInputError("choose the second reviewer (someone with the reviewer role)")
        try:
            fraction = float(self.query_one("#fraction", Input).value.strip())
        except ValueError:
            raise InvalidInputError("the fraction must be a number such as 0.10") from None
        try:
            seed = int(self.query_one("#seed", Input).value.strip())
        except ValueError:
            raise InvalidInputError("the seed must be a whole number") from None
        over_text = self.query_one("#oversample", Input).value.strip()
        try:
            oversample = int(over_text) if over_text else None
        except ValueError:
            raise InvalidInputError("oversample includes: a whole number, or empty") from None
        first = self._value("#first")
        stratify = self._value("#stratify")
        return {
            "second": second,
            "fraction": fraction,
            "seed": seed,
            "stage": self._value("#stage") or Stage.TITLE_ABSTRACT.value,
            "first": None if first in (None, AUTO_FIRST) else first,
            "stratify": None if stratify in (None, NO_STRATA) else stratify,
            "oversample_includes": oversample,
        }

    # ------------------------------------------------------------------ preview and draw

    def run_preview(self) -> None:
        preview = self.query_one("#preview", Static)
        self.plan = None
        try:
            self.plan = samples.preview(self.ws, **self.options())
        except USER_ERRORS as exc:
            preview.update(Text(user_message(exc), style="red"))
            return
        preview.update(plan_text(self.plan))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.run_preview()

    def on_select_changed(self, event: Select.Changed) -> None:
        if self.is_mounted:
            self.run_preview()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "preview-button": self.run_preview,
            "oversample-button": self.action_oversample,
            "draw-button": self.action_draw,
            "cancel-button": self.action_cancel,
        }
        actions[event.button.id or ""]()

    def action_oversample(self) -> None:
        self.query_one("#stratify", Select).value = "decision"
        self.query_one("#oversample", Input).value = str(MIN_SAMPLE_INCLUDES)
        self.run_preview()

    def action_draw(self) -> None:
        try:
            info = samples.draw(
                self.ws, replace=self.query_one("#replace", Checkbox).value, **self.options()
            )
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error", timeout=12)
            return
        self.dismiss(info)

    def action_cancel(self) -> None:
        self.dismiss(None)


def plan_text(plan: SamplePlan) -> Text:
    """The preview of a draw: how many records, how many includes, the warnings, the ids."""
    d = plan.draw
    out = Text()
    out.append(f"{d.size} of {d.population} records", style="bold")
    out.append(
        f" {plan.first_reviewer} decided at {Stage(plan.stage).label}, for "
        f"{plan.second_reviewer} to screen blind"
    )
    if d.includes is not None:
        out.append(f" · {d.includes} include{'s' if d.includes != 1 else ''} in the sample")
    out.append("\n")
    out.append(d.describe() + "\n", style="dim")
    for w in plan.warnings:
        out.append(f"⚠ {w}\n", style="yellow")
    if plan.can_oversample:
        out.append(
            f"ctrl+o (or the button) oversamples includes: at least {MIN_SAMPLE_INCLUDES}, "
            "stratified by decision.\n",
            style="bold",
        )
    shown = ", ".join(str(i) for i in d.ids[:40]) + (" …" if d.size > 40 else "")
    out.append(f"Records: {shown}", style="dim")
    return out


@destination("a", "Agreement", "blind sample, kappa, disagreements", order=40)
def _open(ws: Workspace) -> Screen[None]:
    return AgreementScreen(ws)
