"""The disagreements screen: the records two reviewers decided differently, each side by side,
and the lead's resolution.

Opened with `d` from the agreement screen, for one sample whose comparison is open. On the left
the records where the two decisions differ (`a` shows every compared record); on the right the
highlighted record with both reviewers' decision, exclusion reason, note and tags next to each
other, and the resolution when there is one. `i` / `e` / `m` record the lead's final decision
(include / exclude / maybe) after asking for the rationale. The reviewers' own decisions are
never changed; every resolution is in the audit log.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from realist.domain import Role, Stage
from realist.services import resolution, screening
from realist.services.agreement_service import Side
from realist.services.context import Workspace
from realist.services.resolution import DisagreementList, RecordPair
from tui.widgets.errors import USER_ERRORS, user_message
from tui.widgets.prompts import TextPrompt

STYLE = {"include": "bold green", "exclude": "bold red", "maybe": "bold yellow"}


def side_text(side: Side, role: str, labels: dict[str, str]) -> Text:
    """One reviewer's side: decision, reason, note, tags."""
    out = Text()
    out.append(f"{role} · {side.reviewer}\n", style="bold underline")
    out.append(side.decision.upper(), style=STYLE.get(side.decision, "bold"))
    if side.source != "tui":
        out.append(f"  from {side.source}", style="dim")
    out.append("\n")
    out.append("Reason ", style="bold")
    out.append((side.reason_label or "—") + "\n", style="" if side.reason_label else "dim")
    out.append("Note ", style="bold")
    out.append((side.note or "—") + "\n", style="" if side.note else "dim")
    out.append("Tags\n", style="bold")
    if side.tags:
        for code in side.tags:
            out.append(f" • {labels.get(code, code)}\n")
    else:
        out.append(" —\n", style="dim")
    out.append(f"decided {side.at:%Y-%m-%d %H:%M} UTC", style="dim")
    return out


def record_head(pair: RecordPair) -> Text:
    """The record: id, title, authors, venue, abstract."""
    out = Text()
    meta = [f"#{pair.record_id}"] + ([f"id {pair.source_id}"] if pair.source_id else [])
    out.append(" · ".join(meta) + "\n", style="dim")
    out.append((pair.title or "(no title)") + "\n", style="bold")
    if pair.authors:
        names = "; ".join(pair.authors[:6]) + (" et al." if len(pair.authors) > 6 else "")
        out.append(names + "\n", style="italic")
    venue = " · ".join(x for x in (str(pair.year) if pair.year else None, pair.journal) if x)
    if venue:
        out.append(venue + "\n", style="dim")
    if pair.abstract:
        abstract = " ".join(pair.abstract.split())
        out.append("\n" + (abstract[:900] + ("…" if len(abstract) > 900 else "")) + "\n")
    return out


def resolution_text(pair: RecordPair) -> Text:
    """The standing resolution and the earlier ones, or what to press."""
    out = Text()
    res = pair.resolution
    if res is None:
        out.append("Not resolved. ", style="bold magenta" if pair.differs else "dim")
        out.append("i / e / m records the final decision (you will be asked why).", style="dim")
        return out
    out.append("Resolved: ", style="bold")
    out.append(res.decision.upper(), style=STYLE.get(res.decision, "bold"))
    out.append(f" by {res.decided_by or '?'} on {res.decided_at:%Y-%m-%d %H:%M} UTC\n")
    out.append("Rationale ", style="bold")
    out.append((res.rationale or "—") + "\n")
    for old in pair.history[:-1]:
        out.append(
            f"earlier: {old.decision} by {old.decided_by or '?'} ({old.decided_at:%Y-%m-%d}): "
            f"{old.rationale or ''}\n",
            style="dim",
        )
    return out


class DisagreementsScreen(Screen[None]):
    """Records two reviewers decided differently, side by side, and their resolution."""

    HELP_TITLE = "Disagreements"
    HELP = (
        "The records of the comparison on which the two reviewers' decisions differ. The "
        "highlighted one is shown side by side: each reviewer's decision, exclusion reason, note "
        "and tags, as they stood when the comparison was opened. The lead records the final "
        "decision with i / e / m and a rationale; the reviewers' own decisions stay, the audit "
        "log keeps everything, and PRISMA counts use the resolution from then on."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("i", "resolve('include')", "Resolve: include"),
        Binding("e", "resolve('exclude')", "Resolve: exclude"),
        Binding("m", "resolve('maybe')", "Resolve: maybe"),
        Binding("a", "toggle_all", "All records / disagreements"),
        Binding("ctrl+r", "reload", "Reload"),
    ]
    DEFAULT_CSS = """
    DisagreementsScreen #body { height: 1fr; }
    DisagreementsScreen #pairs { width: 5fr; height: 100%; border: round $primary 40%; }
    DisagreementsScreen #pair-box { width: 6fr; height: 100%; }
    DisagreementsScreen #sides { height: auto; margin: 1 0; }
    DisagreementsScreen .side { width: 1fr; height: auto; border: round $primary 30%; padding: 0 1; }
    """

    def __init__(
        self,
        ws: Workspace,
        *,
        sample_id: int | None = None,
        reviewers: tuple[str, ...] = (),
        stage: str | None = None,
    ) -> None:
        super().__init__()
        self.ws = ws
        self.sample_id = sample_id
        self.reviewers = reviewers
        self.stage = stage
        self.show_all = False
        self.found: DisagreementList | None = None
        self.labels = {t.code: t.label for t in screening.screening_context(ws).tags}

    def load_items(self) -> DisagreementList:
        """Read the comparison's records (raises the service's error, e.g. while blind)."""
        self.found = resolution.disagreements(
            self.ws,
            reviewers=self.reviewers,
            stage=self.stage,
            sample_id=self.sample_id,
            include_agreements=self.show_all,
        )
        return self.found

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield DataTable(id="pairs", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="pair-box", classes="panel"):
                yield Static(id="record")
                with Horizontal(id="sides"):
                    with Vertical(classes="side"):
                        yield Static(id="side-a")
                    with Vertical(classes="side"):
                        yield Static(id="side-b")
                yield Static(id="resolution")
        yield Footer()

    def on_mount(self) -> None:
        table: DataTable[Any] = self.query_one(DataTable)
        table.add_columns("Record", "Title", "A", "B", "Resolved")
        table.focus()
        self.fill()

    # ------------------------------------------------------------------ showing

    def fill(self, keep: int | None = None) -> None:
        if self.found is None:
            try:
                self.load_items()
            except USER_ERRORS as exc:
                self.notify(user_message(exc), severity="error", timeout=12)
                return
        found = self.found
        assert found is not None
        cmp = found.comparison
        self.title = "Disagreements"
        self.sub_title = (
            f"{cmp.first} (A) / {cmp.second} (B) · {Stage(cmp.stage).label} · {cmp.scope}"
        )
        table: DataTable[Any] = self.query_one(DataTable)
        table.clear()
        for p in found.items:
            res = p.resolution
            table.add_row(
                str(p.record_id),
                _cut(p.title, 26),
                Text(p.a.decision, style=STYLE.get(p.a.decision, "")),
                Text(p.b.decision, style=STYLE.get(p.b.decision, "")),
                Text(res.decision, style=STYLE.get(res.decision, "")) if res else Text("—", "dim"),
            )
        n = sum(1 for p in found.items if p.differs)
        what = "every compared record" if self.show_all else "disagreements"
        table.border_title = (
            f"{what} · {n} of {found.compared} differ · {found.unresolved} unresolved"
        )
        ids = [p.record_id for p in found.items]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        self.show_current()

    @property
    def current(self) -> RecordPair | None:
        if self.found is None:
            return None
        row = self.query_one(DataTable).cursor_row
        items = self.found.items
        return items[row] if 0 <= row < len(items) else None

    def show_current(self) -> None:
        pair = self.current
        if pair is None:
            empty = "No disagreement: the two reviewers decided every record alike."
            self.query_one("#record", Static).update(Text(empty, style="bold"))
            self.query_one("#side-a", Static).update("")
            self.query_one("#side-b", Static).update("")
            self.query_one("#resolution", Static).update("")
            return
        self.query_one("#record", Static).update(record_head(pair))
        self.query_one("#side-a", Static).update(side_text(pair.a, "A", self.labels))
        self.query_one("#side-b", Static).update(side_text(pair.b, "B", self.labels))
        self.query_one("#resolution", Static).update(resolution_text(pair))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_current()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # resolving is a lead's; the footer offers it to leads only
        if action == "resolve":
            return self.ws.actor is not None and self.ws.actor.role == Role.LEAD.value
        return True

    # ------------------------------------------------------------------ actions

    def action_reload(self) -> None:
        keep = self.current.record_id if self.current else None
        self.found = None
        self.fill(keep)

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.action_reload()

    def action_resolve(self, decision: str) -> None:
        pair = self.current
        if pair is None:
            self.notify("no record to resolve", severity="warning")
            return
        cmp = self.found.comparison if self.found else None

        def done(text: str | None) -> None:
            if text is None:
                return
            try:
                resolution.resolve(
                    self.ws,
                    pair.record_id,
                    decision,
                    text,
                    stage=cmp.stage if cmp else None,
                    sample_id=cmp.sample_id if cmp else None,
                )
            except USER_ERRORS as exc:
                self.notify(user_message(exc), severity="error", timeout=12)
                return
            self.notify(f"record {pair.record_id}: resolved as {decision}")
            self.found = None
            self.fill(pair.record_id)

        self.app.push_screen(
            TextPrompt(
                f"Resolve record {pair.record_id} as {decision.upper()}: why?",
                placeholder="the rationale (required), e.g. discussed: not a QI intervention",
                hint=f"A: {pair.a.decision} ({pair.a.reviewer}) · B: {pair.b.decision} "
                f"({pair.b.reviewer}) · enter saves, escape cancels",
            ),
            done,
        )


def _cut(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"
