"""The screening screen: one record at a time, decided, tagged and annotated with single keys.

Keys come from the user's config (`realist.settings`, remappable) and the review's tag keys.
The screen holds a `Queue` (the reviewer's records at the stage, their own decisions, where
they are); every action calls one service and applies the change it returns to the queue, so
moving on never needs a count or a search in the database.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from realist.domain import Decision, Retrieval, Stage, TagGroup
from realist.services import fulltext, live, prioritise, screening
from realist.services.context import Workspace
from realist.services.screening import (
    KEEP,
    DecisionChange,
    Keep,
    Queue,
    RecordView,
    ScreeningContext,
    TagInfo,
)
from realist.settings import ACTIONS, LoadedSettings, Settings, load_settings
from tui.registry import destination
from tui.screens.screening_rank import StoppingDialog, WhyDialog, explain_text
from tui.widgets.errors import USER_ERRORS, user_message
from tui.widgets.prompts import ChoicePicker, TextPrompt

DECISION_STYLE = {
    "include": "bold green",
    "exclude": "bold red",
    "maybe": "bold yellow",
    "conflict": "bold magenta",
}
GROUP_TITLES = [
    (TagGroup.PROGRESS.value, "PROGRESS"),
    (TagGroup.PLUS.value, "Plus"),
    (TagGroup.FOCUS.value, "Focus"),
    (TagGroup.CUSTOM.value, "Labels"),
]
ACTION_CALLS = {
    "include": "decide('include')",
    "exclude": "decide('exclude')",
    "maybe": "decide('maybe')",
    "undo": "undo",
    "next": "step(1)",
    "prev": "step(-1)",
    "skip": "skip",
    "jump": "jump",
    "reason": "reason",
    "note": "note",
    "criteria": "criteria",
    "attach": "attach",
    "not_retrieved": "not_retrieved",
    "label": "label",
    "stage": "switch_stage",
    "order": "cycle_order",
    "why": "why",
    "stopping": "stopping",
}
FOOTER_ACTIONS = {"include", "exclude", "maybe", "undo", "skip", "reason", "note", "jump",
                  "stage", "attach", "not_retrieved", "order", "why", "stopping"}  # fmt: skip
ORDERS = ("file", "random", "relevance")
FULL_TEXT_ACTIONS = {ACTION_CALLS["attach"], ACTION_CALLS["not_retrieved"]}


def tag_key(tag: TagInfo, settings: Settings) -> str | None:
    """The key toggling `tag`: the user's override, else the review's own key."""
    return settings.tag_keys.get(tag.code) or tag.key


def build_bindings(
    settings: Settings, tags: tuple[TagInfo, ...]
) -> tuple[list[Binding], list[str]]:
    """The screen's bindings from the settings and the review's tags, and any key clashes."""
    out: list[Binding] = [Binding("escape", "app.pop_screen", "Back")]
    taken: dict[str, str] = {}
    for action in ACTIONS:
        keys = settings.keys_for(action)
        if not keys:
            continue  # its default key went to another action in the user's config
        for k in keys:
            taken[k] = action
        out.append(
            Binding(
                ",".join(keys),
                ACTION_CALLS[action],
                Settings.description(action),
                show=action in FOOTER_ACTIONS,
                key_display=keys[0],
            )
        )
    warnings = []
    for tag in tags:
        key = tag_key(tag, settings)
        if not key:
            continue
        if key in taken:
            warnings.append(
                f"key {key!r} of tag {tag.label!r} is already bound to {taken[key]}; "
                "give the tag another key in config.yaml (tag_keys)"
            )
            continue
        taken[key] = tag.code
        out.append(Binding(key, f"tag('{tag.code}')", f"Tag: {tag.label}", show=False))
    for key, action in (
        ("down", "scroll_record(1)"),
        ("up", "scroll_record(-1)"),
        ("pagedown", "scroll_record(10)"),
        ("pageup", "scroll_record(-10)"),
    ):
        if key not in taken:
            out.append(Binding(key, action, "Scroll", show=False))
    return out, warnings


# --------------------------------------------------------------------------------------------
# Rendering (pure functions of what the services return)


def highlighted(text: str, ctx: ScreeningContext, colours: dict[str, str], style: str = "") -> Text:
    """`text` with the review's include / exclude keywords in the configured colours."""
    out = Text(text, style=style)
    for start, end, kind in ctx.highlight.spans(text):
        out.stylize(colours.get(kind, "reverse"), start, end)
    return out


def record_text(
    view: RecordView, ctx: ScreeningContext, colours: dict[str, str], pending_note: str | None
) -> Text:
    """The record pane: where it came from, title, authors, venue, abstract, decisions."""
    out = Text()
    meta = [f"#{view.id}"]
    if view.source_id:
        meta.append(f"id {view.source_id}")
    if view.source:
        meta.append(view.source)
    if view.position:
        meta.append(f"record {view.position} in its file")
    out.append(" · ".join(meta) + "\n", style="dim")
    out.append_text(highlighted(view.title or "(no title)", ctx, colours, "bold"))
    out.append("\n")
    if view.authors:
        names = "; ".join(view.authors[:8]) + (" et al." if len(view.authors) > 8 else "")
        out.append(names + "\n", style="italic")
    venue = " · ".join(
        x
        for x in (
            str(view.year) if view.year else None,
            view.journal,
            view.doi and f"doi:{view.doi}",
        )
        if x
    )
    if venue:
        out.append(venue + "\n", style="dim")
    out.append("\n")
    if view.abstract:
        out.append_text(highlighted(view.abstract, ctx, colours))
    else:
        out.append("(no abstract)", style="dim italic")
    out.append("\n")
    if view.keywords:
        out.append("\nKeywords: ", style="dim bold")
        out.append_text(highlighted("; ".join(view.keywords), ctx, colours, "dim"))
        out.append("\n")
    if view.stage == Stage.FULL_TEXT.value:
        out.append("\n")
        out.append_text(full_text_lines(view))
    out.append("\n")
    out.append_text(decision_lines(view, pending_note))
    return out


def full_text_lines(view: RecordView) -> Text:
    """The full-text state of the record: the attached file and its first lines, or why not."""
    out = Text()
    if view.full_text is not None:
        ft = view.full_text
        out.append("Full text ", style="bold")
        out.append(f"{ft.file_name} ({ft.format}, {ft.pages} page(s), {ft.chars:,} characters)\n")
        preview = " ".join(ft.preview.split())[:600]
        if preview:
            out.append(preview + ("…" if ft.chars > len(preview) else "") + "\n", style="dim")
    elif view.retrieval == Retrieval.NOT_RETRIEVED.value:
        out.append("Full text ", style="bold")
        out.append("not retrieved", style="bold red")
        out.append(" (attach a file to assess it)\n", style="dim")
    else:
        out.append("Full text ", style="bold")
        out.append("not attached yet: attach a file, or mark it not retrieved\n", style="dim")
    return out


def decision_lines(view: RecordView, pending_note: str | None) -> Text:
    """Your decision and note, the other reviewers' (when visible) and the final decision."""
    out = Text()
    out.append("Your decision ", style="bold")
    if view.mine is None:
        out.append("none yet", style="dim")
    else:
        out.append(view.mine.decision.upper(), style=DECISION_STYLE.get(view.mine.decision, ""))
        if view.mine.reason_label:
            out.append(f" · {view.mine.reason_label}")
        if view.mine.source != "tui":
            out.append(f" · from {view.mine.source}", style="dim")
    out.append("\n")
    note = pending_note if pending_note is not None else (view.mine.note if view.mine else None)
    if note:
        out.append("Note ", style="bold")
        out.append(
            note + (" (saved with your decision)" if pending_note is not None else "") + "\n"
        )
    for other in view.others:
        out.append(f"{other.reviewer} ", style="bold dim")
        out.append(other.decision, style=DECISION_STYLE.get(other.decision, ""))
        if other.reason_label:
            out.append(f" · {other.reason_label}", style="dim")
        if other.note:
            out.append(f" · {other.note}", style="dim")
        out.append("\n")
    if view.others and view.final is not None:
        out.append("Final ", style="bold")
        out.append(view.final, style=DECISION_STYLE.get(view.final, ""))
        out.append("\n")
    return out


def tags_text(view: RecordView | None, ctx: ScreeningContext, settings: Settings) -> Text:
    """The tags pane: each tag with its key and whether you put it on this record; then the
    tags other reviewers put on it (when visible)."""
    out = Text(no_wrap=True, overflow="ellipsis")
    mine = view.my_tags if view is not None else frozenset()
    for group, title in GROUP_TITLES:
        tags = [t for t in ctx.tags if t.group == group]
        if not tags and group != TagGroup.CUSTOM.value:
            continue
        out.append(f"{title}\n", style="bold")
        for t in tags:
            on = t.code in mine
            key = tag_key(t, settings) or ""
            out.append(" [x] " if on else " [ ] ", style="bold green" if on else "dim")
            out.append(f"{key:>2} ", style="bold")
            out.append(t.label + "\n", style="" if on else "dim")
    keys = ", ".join(settings.keys_for("label"))
    out.append(f"     {keys:>2} ", style="bold")
    out.append("new or other label…\n", style="dim")
    if view is not None and view.other_tags:
        labels = {t.code: t.label for t in ctx.tags}
        by: dict[str, list[str]] = {}
        for who, code in view.other_tags:
            by.setdefault(who, []).append(labels.get(code, code))
        out.append("Others' tags\n", style="bold")
        for who, names in by.items():
            out.append(f" {who}: {', '.join(names)}\n", style="dim")
    return out


def criteria_text(ctx: ScreeningContext, settings: Settings, show: bool) -> Text:
    """The eligibility criteria, or a hint that they are on a toggle."""
    key = next(iter(settings.keys_for("criteria")), "its key")
    if not show:
        return Text(f"criteria hidden ({key} shows them)", style="dim")
    out = Text()
    out.append("Inclusion criteria\n", style="bold green")
    for c in ctx.inclusion:
        out.append(f" • {c}\n")
    out.append("Exclusion criteria\n", style="bold red")
    for c in ctx.exclusion:
        out.append(f" • {c}\n")
    out.append(f"({key} hides them)", style="dim")
    return out


def progress_text(
    queue: Queue, actor: str, view: RecordView | None, status: str = "", order: str | None = None
) -> Text:
    """The always-visible progress line for this reviewer and stage (`status`: the ranking's;
    `order`: the order chosen, when the queue shows another until the ranking arrives)."""
    p = queue.progress()
    out = Text()
    out.append(f" {queue.stage.label.capitalize()} ", style="bold reverse")
    out.append(f" {actor} ", style="bold")
    if queue.current is not None:
        # the ranking's status takes the place of "order": one line must hold it all
        chosen = order or queue.order
        how = f"{chosen}: {status}" if status else f"{chosen} order"
        out.append(f"· {queue.position + 1:,} of {len(queue):,} ({how}) ")
    out.append("│ ", style="dim")
    for label, n, style in (
        ("screened", p.screened, "bold"),
        ("remaining", p.remaining, "bold"),
        ("included", p.include, DECISION_STYLE["include"]),
        ("excluded", p.exclude, DECISION_STYLE["exclude"]),
        ("maybe", p.maybe, DECISION_STYLE["maybe"]),
    ):
        out.append(f"{label} ")
        out.append(f"{n:,}", style=style)
        out.append("  ")
    if queue.stage is Stage.FULL_TEXT:
        out.append("not retrieved ")
        out.append(f"{p.not_retrieved:,}", style="bold")
    return out


# --------------------------------------------------------------------------------------------
# The screen


class ScreeningScreen(Screen[None]):
    """Screen records one at a time (build it with `screening_screen`, which sets the keys)."""

    HELP_TITLE = "Screening"
    HELP = (
        "One record at a time, for you, at the current stage. Decide with single keys; the next "
        "record waiting for your decision follows. Tags (PROGRESS-Plus categories, gap / "
        "targeted) toggle with their keys, several at once. Excluding at full text asks for a "
        "reason; at title/abstract the reason key excludes with a reason. Undo takes back your "
        "last decisions one by one. Skip moves on without deciding; next/previous walk the "
        "queue in order; jump goes to a record by its source id (or #id). Keys are remappable "
        "in config.yaml (see docs/screening.md). Up/down scroll the record. Order (O) cycles file, "
        "random and relevance order: relevance puts the records most likely to be kept first, "
        "learning from the decisions in a background worker after each one (nothing is ever "
        "hidden; the agreement sample is always drawn at random). Why here? (Y) shows the terms "
        "that pushed the record up; the stopping aid (S) charts includes found against records "
        "screened and estimates the includes still unscreened. Screening never stops by itself."
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]
    SWAP_WINDOW = 0.5  # seconds; see _auto_since
    DEFAULT_CSS = """
    ScreeningScreen #progress { height: 1; background: $boost; }
    ScreeningScreen #screening { height: 1fr; }
    ScreeningScreen #record-box { width: 2fr; height: 100%; }
    ScreeningScreen #side-box { width: 1fr; min-width: 36; max-width: 60; height: 100%; }
    ScreeningScreen #criteria { margin-top: 1; }
    ScreeningScreen #tags { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(
        self,
        ws: Workspace,
        ctx: ScreeningContext,
        loaded: LoadedSettings,
        stage: Stage,
        record_id: int | None = None,
        warnings: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.ws = ws
        self.ctx = ctx
        self.loaded = loaded
        self.settings = loaded.settings
        self.stage = stage
        self.start_record = record_id
        self.warnings = warnings
        self.queue: Queue | None = None
        self.view: RecordView | None = None
        self.show_criteria = False
        self.pending_notes: dict[int, str] = {}
        self._shown: dict[str, Text] = {}
        self._watcher = live.Watcher(ws)
        self.order = self.settings.queue_order
        self.rank_status = ""
        self.corpus: prioritise.Corpus | None = None
        self.ranking: prioritise.Ranking | None = None
        self._rank_dirty = False
        self._rank_running = False
        # When the current record was put on screen by the queue itself (after a decision, or on
        # opening) this long ago at most, a ranking that arrives may replace it with the new best
        # record: the reviewer has hardly started reading. Later, it stays put.
        self._auto_since: float | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="progress")
        with Horizontal(id="screening"):
            with VerticalScroll(id="record-box", classes="panel", can_focus=False):
                yield Static(id="record")
            with VerticalScroll(id="side-box", classes="panel", can_focus=False):
                yield Static(id="tags")
                yield Static(id="criteria")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.ctx.title
        if self.loaded.problem:
            self.notify(self.loaded.problem, severity="warning", timeout=12)
        for warning in self.warnings:
            self.notify(warning, severity="warning", timeout=12)
        self.load_queue(self.start_record)
        self._watcher.prime()
        self.set_interval(live.REFRESH_SECONDS, self._poll_changes)

    def _poll_changes(self) -> None:
        """Another session committed something: show the record's decisions and tags afresh
        (your queue and progress follow your own actions; the home screen recounts all)."""
        if not self.is_current:
            return
        try:
            if self._watcher.changed():
                self._refresh_view()
                self.request_rank()  # colleagues' decisions teach the model too
        except USER_ERRORS:
            return  # a lost connection: the next key says so; try again at the next tick

    # ---------------------------------------------------------------- state and rendering

    @property
    def actor_name(self) -> str:
        return self.ws.actor.name if self.ws.actor else "read-only"

    def load_queue(self, record_id: int | None = None) -> None:
        """(Re)build the queue at the current stage and show a record."""
        self.title = f"Screening · {self.stage.label}"
        try:
            if self.order not in screening.ORDERINGS:
                self.notify(
                    f"unknown queue order {self.order!r} in config.yaml; using file order",
                    severity="warning",
                )
                self.order = "file"
            # Relevance order starts from file order and is applied by the ranking worker, so
            # that opening the screen never waits for the model.
            base = "file" if self.order == "relevance" else self.order
            self.queue = screening.open_queue(self.ws, self.stage, base, self.settings.queue_seed)
        except USER_ERRORS as exc:
            self.queue = None
            self.notify(user_message(exc), severity="error")
            self.render_all()
            return
        if record_id is not None and not self.queue.goto(record_id):
            self.notify(
                f"record {record_id} is not in your queue at the {self.stage.label} stage",
                severity="warning",
            )
        self.rank_status = ""
        self.ranking = None
        self.show_current()
        if self.order == "relevance":
            self._auto_since = time.monotonic() if record_id is None else None
            self.request_rank()

    def show_current(self) -> None:
        self._auto_since = None
        rid = self.queue.current if self.queue else None
        self.view = screening.record_view(self.ws, rid, self.stage) if rid is not None else None
        self.render_all()
        self.query_one("#record-box", VerticalScroll).scroll_home(animate=False)

    def render_all(self) -> None:
        if self.queue is None:
            self._put("#progress", Text(" no queue", style="dim"))
            self._put("#record", Text(""))
            self._put("#tags", Text(""))
            self._put("#criteria", Text(""))
            return
        self._put(
            "#progress",
            progress_text(self.queue, self.actor_name, self.view, self.rank_status, self.order),
            layout=False,
        )
        if self.view is None:
            message = (
                "Nothing to screen at this stage yet."
                if not len(self.queue)
                else "Every record at this stage has your decision."
            )
            self._put("#record", Text(message, style="bold"))
        else:
            pending = self.pending_notes.get(self.view.id)
            self._put("#record", record_text(self.view, self.ctx, self.settings.colours, pending))
        self._put("#tags", tags_text(self.view, self.ctx, self.settings))
        self._put("#criteria", criteria_text(self.ctx, self.settings, self.show_criteria))

    def _put(self, selector: str, content: Text, layout: bool = True) -> None:
        """Update a pane only when its content changed (a layout pass is the costly part)."""
        if self._shown.get(selector) == content:
            return
        self._shown[selector] = content
        self.query_one(selector, Static).update(content, layout=layout)

    def _refresh_view(self) -> None:
        if self.view is not None:
            self.view = screening.record_view(self.ws, self.view.id, self.stage)
        self.render_all()

    def _apply(self, change: DecisionChange) -> None:
        if self.queue is not None:
            self.queue.apply(change)

    def _advance(self) -> None:
        """Go to the next record waiting for this reviewer's decision."""
        if self.queue is None:
            return
        nxt = self.queue.next_open()
        if nxt is None:
            if self.queue.current is not None and self.queue.is_open(self.queue.current):
                self.show_current()
                return
            self.notify(f"every record at the {self.stage.label} stage has your decision")
            self.show_current()
            return
        self.queue.goto(nxt)
        self.show_current()
        self._auto_since = time.monotonic()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # full-text actions only at the full-text stage
        return action not in FULL_TEXT_ACTIONS or self.stage is Stage.FULL_TEXT

    # ---------------------------------------------------------------- actions

    def _record_id(self) -> int | None:
        if self.view is None:
            self.notify("no record on screen", severity="warning")
            return None
        return self.view.id

    def action_decide(self, decision: str) -> None:
        rid = self._record_id()
        if rid is None:
            return
        if decision == Decision.EXCLUDE.value and self.stage is Stage.FULL_TEXT:
            self._pick_reason(rid, required=True)
            return
        self._decide(rid, decision, KEEP)

    def _decide(self, rid: int, decision: str, reason: str | Keep | None) -> None:
        note = self.pending_notes.get(rid)
        try:
            change = screening.decide(
                self.ws,
                rid,
                self.stage,
                decision,
                reason=reason,
                note=note if note is not None else KEEP,
            )
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error")
            return
        self.pending_notes.pop(rid, None)
        self._apply(change)
        self._advance()
        self.request_rank()

    def action_reason(self) -> None:
        rid = self._record_id()
        if rid is not None:
            self._pick_reason(rid, required=self.stage is Stage.FULL_TEXT)

    def _pick_reason(self, rid: int, required: bool) -> None:
        reasons = self.ctx.reasons_for(self.stage)
        if not reasons:
            if required:
                self.notify(
                    "the review has no exclusion reasons for this stage; add them to review.yaml",
                    severity="error",
                )
            else:
                self._decide(rid, Decision.EXCLUDE.value, None)
            return
        current = self.view.mine.reason if self.view and self.view.mine else None
        title = "Exclude: why?" + (" (required at full text)" if required else "")

        def chosen(code: str | None) -> None:
            if code is not None:
                self._decide(rid, Decision.EXCLUDE.value, code)

        self.app.push_screen(
            ChoicePicker(
                title,
                [(r.code, r.label) for r in reasons],
                selected=current,
                hint="enter or a number chooses · escape cancels (nothing is recorded)",
            ),
            chosen,
        )

    def action_note(self) -> None:
        rid = self._record_id()
        if rid is None or self.view is None:
            return
        current = (
            self.pending_notes.get(rid) or (self.view.mine.note if self.view.mine else "") or ""
        )

        def done(text: str | None) -> None:
            if text is None or self.view is None or self.view.id != rid:
                return
            if self.view.mine is None:
                self.pending_notes[rid] = text.strip()
                self.render_all()
                return
            try:
                change = screening.annotate(self.ws, rid, self.stage, text)
            except USER_ERRORS as exc:
                self.notify(user_message(exc), severity="error")
                return
            self._apply(change)
            self._refresh_view()

        self.app.push_screen(
            TextPrompt(
                "Note on this record",
                current,
                hint="saved with your decision (before you decide: with the decision you make)",
            ),
            done,
        )

    def action_undo(self) -> None:
        try:
            change = screening.undo_last(self.ws, self.stage)
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error")
            return
        if change is None:
            self.notify(f"nothing to undo at the {self.stage.label} stage")
            return
        self._apply(change)
        self.request_rank()
        if self.queue is not None and self.queue.goto(change.record_id):
            self.show_current()
        else:
            self.render_all()
        now = change.after or "no decision"
        self.notify(f"undone: record {change.record_id} {change.before} → {now}")

    def action_step(self, delta: int) -> None:
        if self.queue is None or not len(self.queue):
            return
        before = self.queue.position
        self.queue.step(delta)
        if self.queue.position == before:
            self.notify("start of the queue" if delta < 0 else "end of the queue")
            return
        self.show_current()

    def action_skip(self) -> None:
        if self.queue is None or self.queue.current is None:
            return
        nxt = self.queue.next_open()
        if nxt is None:
            self.notify("no other record is waiting for your decision")
            return
        self.queue.goto(nxt)
        self.show_current()

    def action_jump(self) -> None:
        def done(text: str | None) -> None:
            if not text or self.queue is None:
                return
            try:
                rid = screening.find_record(self.ws, text)
            except USER_ERRORS as exc:
                self.notify(user_message(exc), severity="error")
                return
            if not self.queue.goto(rid):
                self.notify(
                    f"record {rid} is not in your queue at the {self.stage.label} stage",
                    severity="warning",
                )
                return
            self.show_current()

        self.app.push_screen(
            TextPrompt(
                "Jump to record",
                placeholder="id in the source file, or #record-id",
            ),
            done,
        )

    def action_criteria(self) -> None:
        self.show_criteria = not self.show_criteria
        self.render_all()

    def action_tag(self, code: str) -> None:
        rid = self._record_id()
        if rid is None:
            return
        try:
            change = screening.toggle_tag(self.ws, rid, code, self.stage)
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error")
            return
        self._refresh_view()
        self.notify(f"{change.label}: {'on' if change.on else 'off'}", timeout=2)

    def action_label(self) -> None:
        rid = self._record_id()
        if rid is None:
            return
        custom = [t.label for t in self.ctx.tags if t.group == TagGroup.CUSTOM.value]

        def done(text: str | None) -> None:
            if not text or not text.strip():
                return
            try:
                change = screening.toggle_label(self.ws, rid, text, self.stage)
            except USER_ERRORS as exc:
                self.notify(user_message(exc), severity="error")
                return
            self.ctx = screening.screening_context(self.ws)
            self._refresh_view()
            self.notify(f"{change.label}: {'on' if change.on else 'off'}", timeout=2)

        self.app.push_screen(
            TextPrompt(
                "Custom label (toggles it on this record)",
                placeholder="e.g. check with team",
                hint=("labels so far: " + ", ".join(custom)) if custom else "",
            ),
            done,
        )

    def action_attach(self) -> None:
        rid = self._record_id()
        if rid is None:
            return

        def done(text: str | None) -> None:
            if text and text.strip():
                self._attach_file(rid, Path(text.strip()).expanduser())

        self.app.push_screen(
            TextPrompt(
                "Attach the full text (PDF, DOCX, TXT or MD)", placeholder="path to the file"
            ),
            done,
        )

    @work(thread=True, exclusive=True, group="attach")
    def _attach_file(self, rid: int, path: Path) -> None:
        try:
            result = fulltext.attach_file(self.ws, path, record_id=rid)
        except USER_ERRORS as exc:
            self.app.call_from_thread(self.notify, user_message(exc), severity="error")
            return
        except OSError as exc:
            self.app.call_from_thread(
                self.notify, f"{path}: {exc.strerror or exc}", severity="error"
            )
            return
        self.app.call_from_thread(self._attached, rid, result)

    def _attached(self, rid: int, result: fulltext.AttachResult) -> None:
        if self.queue is not None:
            self.queue.set_closed(rid, False)
        self.notify(f"attached: {result.pages} page(s), {result.chars:,} characters")
        if self.view is not None and self.view.id == rid:
            self._refresh_view()

    def action_not_retrieved(self) -> None:
        rid = self._record_id()
        if rid is None:
            return
        try:
            fulltext.mark_not_retrieved(self.ws, rid)
        except USER_ERRORS as exc:
            self.notify(user_message(exc), severity="error")
            return
        if self.queue is not None:
            self.queue.set_closed(rid, True)
        self.notify(f"record {rid}: report not retrieved")
        if self.view is not None and self.view.mine is None:
            self._advance()
        else:
            self._refresh_view()

    def action_switch_stage(self) -> None:
        self.stage = Stage.FULL_TEXT if self.stage is Stage.TITLE_ABSTRACT else Stage.TITLE_ABSTRACT
        self.load_queue()
        self.refresh_bindings()

    # ---------------------------------------------------------------- relevance order

    def request_rank(self) -> None:
        """Ask for a refit in the background (relevance order only); requests made while one
        runs are folded into one more refit, so a burst of decisions never queues up work."""
        if self.order != "relevance" or self.queue is None:
            return
        self._rank_dirty = True
        if not self._rank_running:
            self._rank_running = True
            self._rank_worker()

    def _done_snapshot(self) -> set[int]:
        if self.queue is None:
            return set()
        return set(self.queue.mine) | self.queue.closed

    @work(thread=True, group="rank")
    def _rank_worker(self) -> None:
        worker = get_current_worker()
        try:
            while self._rank_dirty and not worker.is_cancelled:
                self._rank_dirty = False
                stage = self.stage  # read each round: the reviewer may have switched stage
                corpus = self.corpus
                if corpus is None or corpus.source.stage is not stage:
                    self.app.call_from_thread(self._rank_note, "building the model…")
                    corpus = prioritise.build_corpus(prioritise.corpus_source(self.ws, stage))
                    self.corpus = corpus
                started = time.perf_counter()
                labels = prioritise.training_labels(self.ws, stage)
                # The current record is pinned by the screen when the order arrives (it may
                # have moved on by then), not here.
                done = self.app.call_from_thread(self._done_snapshot)
                ranking = prioritise.rank(corpus, labels, done=done)
                took = time.perf_counter() - started
                if not worker.is_cancelled:
                    self.app.call_from_thread(self._ranked, stage, ranking, took)
        except USER_ERRORS as exc:
            self.app.call_from_thread(self.notify, user_message(exc), severity="error")
        except Exception as exc:  # an optional order must never take the screen down
            self.app.call_from_thread(
                self.notify,
                f"relevance order unavailable, the queue keeps its order: {exc}",
                severity="error",
            )
            self.app.call_from_thread(self._rank_note, "unavailable, file order")
        finally:
            with contextlib.suppress(RuntimeError):  # the app is closing
                self.app.call_from_thread(self._rank_finished)

    def _rank_finished(self) -> None:
        self._rank_running = False
        if self._rank_dirty:
            self.request_rank()

    def _rank_note(self, text: str) -> None:
        self.rank_status = text
        self.render_all()

    def _ranked(self, stage: Stage, ranking: prioritise.Ranking, took: float) -> None:
        if self.queue is None or stage is not self.stage or self.order != "relevance":
            return  # the reviewer switched stage or order meanwhile
        since = self._auto_since
        jump = since is not None and time.monotonic() - since <= self.SWAP_WINDOW
        self.ranking = ranking
        self.queue.reorder(ranking.order, "relevance", pin_current=not jump)
        if ranking.trained:
            # short: the progress line is shared with the counts on an 80-140 column terminal
            self.rank_status = (
                f"{ranking.relevant:,} kept, {ranking.irrelevant:,} excluded, refit {took:.1f} s"
            )
        else:
            self.rank_status = "no include yet, file order"
        if jump:
            best = self.queue.first_open()
            if best is not None and best != self.queue.current:
                self.queue.goto(best)
                self.show_current()
                return
        self.render_all()

    def action_cycle_order(self) -> None:
        at = ORDERS.index(self.order) if self.order in ORDERS else -1
        self.order = ORDERS[(at + 1) % len(ORDERS)]
        current = self.queue.current if self.queue else None
        self.load_queue(current)  # stays on the record the reviewer is looking at
        described = {
            "file": "file order (as imported)",
            "random": "random order (reproducible per reviewer)",
            "relevance": "relevance order: most likely kept first, relearned after each decision",
        }
        self.notify(f"queue in {described[self.order]}", timeout=4)

    def action_why(self) -> None:
        rid = self._record_id()
        if rid is None:
            return
        if self.order != "relevance":
            self.notify("why here? explains the relevance order: press O to switch to it")
            return
        if self.corpus is None or self.ranking is None:
            self.notify("the relevance model is still being built; try again in a moment")
            return
        self.app.push_screen(WhyDialog(explain_text(self.corpus, self.ranking, rid, self.queue)))

    def action_stopping(self) -> None:
        self.app.push_screen(StoppingDialog(self.ws, self.stage))

    def action_scroll_record(self, lines: int) -> None:
        box = self.query_one("#record-box", VerticalScroll)
        box.scroll_relative(y=lines, animate=False)


def screening_screen(
    ws: Workspace,
    stage: Stage | str = Stage.TITLE_ABSTRACT,
    record_id: int | None = None,
    loaded: LoadedSettings | None = None,
) -> ScreeningScreen:
    """A screening screen with the keys of the user's config and the review's tags."""
    loaded = loaded or load_settings()
    ctx = screening.screening_context(ws)
    bindings, warnings = build_bindings(loaded.settings, ctx.tags)
    cls = cast(
        type[ScreeningScreen], type("ScreeningScreen", (ScreeningScreen,), {"BINDINGS": bindings})
    )
    return cls(ws, ctx, loaded, screening.parse_stage(stage), record_id, tuple(warnings))


@destination("r", "Screen", "decide on records one at a time, with tags and notes", order=30)
def _open(ws: Workspace) -> Screen[None]:
    return screening_screen(ws)
