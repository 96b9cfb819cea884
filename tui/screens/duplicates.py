"""The duplicates screen: uncertain pairs side by side, one key per verdict.

Each pair shows both records field by field (title, authors, year, journal, volume, pages, DOI,
PMID, abstract) with the words that differ highlighted, the score, the engine's similarity per
field and its reason. `y` confirms (the records merge), `n` rejects (they stay distinct), `s`
skips, `u` undoes the last key. `tab` switches to the merged pairs (automatic and confirmed), to
check them and un-merge one with `x`. Decisions are saved at once, one transaction each.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from realist.domain import PairStatus
from realist.errors import RealistError
from realist.services import duplicates_queue as dq
from realist.services.context import Workspace
from realist.services.duplicates_queue import FieldDiff, PairChange, PairDetail, RecordSide
from tui.registry import destination

QUEUE = "queue"
MERGED = "merged"
DIFF_STYLE = "bold black on yellow"
MISSING = "—"


@dataclass(frozen=True)
class Step:
    """One key the reviewer pressed, so `u` can take it back."""

    pair_id: int
    action: str  # confirm | reject | skip | unmerge
    index: int  # position in the list when the key was pressed


class DecisionDone(Message):
    """A decision was saved (or refused) by the worker."""

    def __init__(self, step: Step, change: PairChange | None, error: str | None) -> None:
        super().__init__()
        self.step = step
        self.change = change
        self.error = error


def field_texts(f: FieldDiff) -> tuple[Text, Text]:
    """Both values of a field with the words the other record lacks highlighted."""
    if not f.a or not f.b:
        a = Text(f.a or MISSING, style="" if f.a else "dim")
        b = Text(f.b or MISSING, style="" if f.b else "dim")
        if f.a and not f.b:
            a.stylize(DIFF_STYLE)
        if f.b and not f.a:
            b.stylize(DIFF_STYLE)
        return a, b
    if f.same:
        return Text(f.a), Text(f.b)
    segments_a, segments_b = dq.word_diff(f.a, f.b)

    def build(segments: list[dq.Segment]) -> Text:
        out = Text()
        for i, seg in enumerate(segments):
            if i:
                out.append(" ")
            out.append(seg.text, style="" if seg.same else DIFF_STYLE)
        return out

    return build(segments_a), build(segments_b)


def side_title(label: str, r: RecordSide) -> Text:
    """The heading of one record's column: id, source and where it came from."""
    where = f"{r.file_name} #{r.position}" if r.file_name else "no import batch"
    text = Text(f"{label}: record {r.id}", style="bold")
    text.append(f"  {r.source_db or 'unknown source'} · {where}", style="dim")
    if r.source_id:
        text.append(f" · id {r.source_id}", style="dim")
    if r.has_work:
        text.append("  screened", style="bold green")
    return text


def evidence_text(d: PairDetail) -> Text:
    """Score, the engine's similarity per field, and its reason."""
    text = Text()
    text.append(f"Score {d.score:.3f}", style="bold")
    text.append(f"  ·  status {d.status}")
    if d.decided_by:
        text.append(f" by {d.decided_by}")
    text.append("\nSimilarity  ")
    for i, (name, value) in enumerate(sorted(d.evidence.items())):
        if i:
            text.append("  ")
        style = "green" if value >= 0.95 else ("yellow" if value >= 0.7 else "red")
        text.append(f"{name} {value:.2f}", style=style)
    if d.reason:
        text.append("\nWhy  ")
        text.append(d.reason, style="italic")
    return text


class DuplicatesScreen(Screen[None]):
    """Review uncertain duplicate pairs, or check the merged ones."""

    HELP_TITLE = "Duplicates"
    HELP = (
        "Pairs of records that may be the same publication, side by side. Words that differ "
        "between the two records are highlighted; the bottom panel gives the score, the "
        "similarity of each field and why the pair was found. In the queue (uncertain pairs), "
        "press y if they are one publication (the later record becomes a duplicate of the "
        "earlier one, or of the one already screened), n if they are different, s to decide "
        "later. u undoes the last key. tab shows the merged pairs instead (automatic and "
        "confirmed): x un-merges one. Records are never deleted: a merge only links them."
    )
    BINDINGS = [
        Binding("y", "confirm", "Same: merge"),
        Binding("n", "reject", "Different"),
        Binding("s", "skip", "Skip"),
        Binding("u", "undo", "Undo last"),
        Binding("x", "unmerge", "Un-merge"),
        Binding("tab", "switch", "Queue / merged", priority=True),
        Binding("escape", "app.pop_screen", "Back"),
    ]
    DEFAULT_CSS = """
    DuplicatesScreen #dup-status { height: auto; padding: 0 1; background: $boost; }
    DuplicatesScreen #dup-fields { height: 1fr; border: round $primary 40%; }
    DuplicatesScreen .dup-row { height: auto; margin-bottom: 1; }
    DuplicatesScreen .dup-label { width: 10; text-style: bold; }
    DuplicatesScreen .dup-label.differs { color: $warning; }
    DuplicatesScreen .dup-a, DuplicatesScreen .dup-b { width: 1fr; padding: 0 1; }
    DuplicatesScreen .dup-head { margin-bottom: 1; }
    DuplicatesScreen #dup-evidence { height: auto; max-height: 8; border: round $primary 40%; padding: 0 1; }
    DuplicatesScreen #dup-empty { padding: 1 2; }
    """

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.mode = QUEUE
        self.pair_ids: list[int] = []
        self.index = 0
        self.history: list[Step] = []
        self.busy = False
        self.current: PairDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="dup-status")
        yield VerticalScroll(id="dup-fields")
        yield Static(id="dup-evidence")
        yield Footer()

    async def on_mount(self) -> None:
        await self.load_list()

    # ---------------------------------------------------------------------------------------
    # Showing

    async def load_list(self, keep: int | None = None) -> None:
        """Read the pair ids of the current mode; show `keep` if given and still listed."""
        if self.mode == QUEUE:
            self.pair_ids = dq.queue_ids(self.ws)
        else:
            self.pair_ids = dq.pair_ids(self.ws, [PairStatus.CONFIRMED, PairStatus.AUTO])
        if keep is not None and keep in self.pair_ids:
            self.index = self.pair_ids.index(keep)
        self.index = min(self.index, max(len(self.pair_ids) - 1, 0))
        await self.show()

    def status_line(self) -> Text:
        progress = dq.queue_progress(self.ws)
        text = Text()
        if self.mode == QUEUE:
            text.append("Review queue", style="bold")
        else:
            text.append("Merged pairs", style="bold")
        if self.pair_ids:
            text.append(f"  ·  pair {self.index + 1} of {len(self.pair_ids)}")
        text.append(
            f"  ·  {progress.reviewed} of {progress.total} pairs reviewed",
            style="bold green" if progress.waiting == 0 else "",
        )
        if self.mode == QUEUE:
            text.append("   y same · n different · s skip · u undo · tab merged pairs", style="dim")
        else:
            text.append("   x un-merge · s next · u undo · tab review queue", style="dim")
        return text

    async def show(self) -> None:
        """Render the current pair (or say there is none)."""
        box = self.query_one("#dup-fields", VerticalScroll)
        await box.remove_children()
        self.current = None
        if not self.pair_ids:
            empty = (
                "No pairs wait for review. Import a search or run `realist dedup` to find more."
                if self.mode == QUEUE
                else "No merged pairs yet."
            )
            await box.mount(Static(empty, id="dup-empty"))
            self.query_one("#dup-evidence", Static).update("")
        else:
            try:
                detail = dq.pair_detail(self.ws, self.pair_ids[self.index])
            except RealistError as exc:
                self.notify(str(exc), severity="error")
                return
            self.current = detail
            head = Horizontal(
                Static("", classes="dup-label"),
                Static(side_title("A", detail.a), classes="dup-a"),
                Static(side_title("B", detail.b), classes="dup-b"),
                classes="dup-row dup-head",
            )
            rows = [head]
            for f in detail.fields:
                a, b = field_texts(f)
                label = Static(f.label, classes="dup-label" + ("" if f.same else " differs"))
                rows.append(
                    Horizontal(
                        label,
                        Static(a, classes="dup-a"),
                        Static(b, classes="dup-b"),
                        classes="dup-row",
                        id=f"dup-{f.name}",
                    )
                )
            await box.mount_all(rows)
            box.scroll_home(animate=False)
            self.query_one("#dup-evidence", Static).update(evidence_text(detail))
        self.query_one("#dup-status", Static).update(self.status_line())

    # ---------------------------------------------------------------------------------------
    # Keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer (and show in the footer) only the verdicts that fit the list on screen."""
        if action in ("confirm", "reject"):
            return self.mode == QUEUE
        if action == "unmerge":
            return self.mode == MERGED
        return True

    async def _decide(self, action: str) -> None:
        if self.busy or self.current is None:
            return
        if self.mode == QUEUE and action == "unmerge":
            self.notify("x un-merges a merged pair: press tab to see them", severity="warning")
            return
        if self.mode == MERGED and action in ("confirm", "reject"):
            self.notify("these pairs are merged: x un-merges one", severity="warning")
            return
        step = Step(self.current.id, action, self.index)
        if action == "skip":
            self.history.append(step)
            if self.pair_ids:
                self.index = (self.index + 1) % len(self.pair_ids)
            await self.show()
            return
        self.busy = True
        self.save(step)

    @work(thread=True, exclusive=True, group="duplicates")
    def save(self, step: Step) -> None:
        """Save one decision off the UI thread; report back with a message."""
        actions = {
            "confirm": dq.confirm_pair,
            "reject": dq.reject_pair,
            "unmerge": dq.undo_pair,
            "reopen": dq.reopen_pair,
            "remerge": dq.confirm_pair,
        }
        try:
            change = actions[step.action](self.ws, step.pair_id)
        except RealistError as exc:
            self.post_message(DecisionDone(step, None, str(exc)))
            return
        self.post_message(DecisionDone(step, change, None))

    async def on_decision_done(self, message: DecisionDone) -> None:
        self.busy = False
        step = message.step
        if message.error is not None:
            self.notify(message.error, severity="error", timeout=8)
            return
        change = message.change
        assert change is not None
        if step.action in ("reopen", "remerge"):  # an undo: show that pair again
            await self.load_list(keep=step.pair_id)
            self.notify(f"pair {step.pair_id}: back to {change.after}")
            return
        self.history.append(step)
        if change.demoted:
            self.notify(
                f"{len(change.demoted)} automatic link(s) sent to the queue so the records stay apart",
                severity="warning",
            )
        self.index = step.index
        await self.load_list()

    async def action_confirm(self) -> None:
        await self._decide("confirm")

    async def action_reject(self) -> None:
        await self._decide("reject")

    async def action_skip(self) -> None:
        await self._decide("skip")

    async def action_unmerge(self) -> None:
        await self._decide("unmerge")

    async def action_undo(self) -> None:
        """Take back the last key: a skip goes back, a verdict returns the pair to its list."""
        if self.busy:
            return
        if not self.history:
            self.notify("nothing to undo", severity="warning")
            return
        step = self.history.pop()
        if step.action == "skip":
            if step.pair_id in self.pair_ids:
                self.index = self.pair_ids.index(step.pair_id)
            await self.show()
            return
        self.busy = True
        self.save(
            Step(step.pair_id, "remerge" if step.action == "unmerge" else "reopen", step.index)
        )

    async def action_switch(self) -> None:
        if self.busy:
            return
        self.mode = MERGED if self.mode == QUEUE else QUEUE
        self.index = 0
        self.history.clear()
        self.refresh_bindings()
        await self.load_list()


@destination("d", "Duplicates", "review uncertain duplicate pairs", order=30)
def _open(ws: Workspace) -> Screen[None]:
    return DuplicatesScreen(ws)
