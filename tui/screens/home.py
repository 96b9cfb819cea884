"""The home screen: the review's status at a glance and one key to each screen."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from realist.services.context import Workspace
from realist.services.reviews import ReviewStatus, review_status
from tui.registry import ordered
from tui.widgets.prisma_panel import PrismaPanel


def status_text(st: ReviewStatus) -> str:
    """The status panel as Rich markup."""
    lines = [
        f"[b]{st.title}[/b]",
        "",
        f"Records     {st.records:>7,}  in {st.batches} import batches",
        f"Duplicates  {st.duplicates:>7,}",
        f"Decisions   {st.decisions:>7,}",
        f"Studies     {st.studies:>7,}",
        f"CMOCs       {st.cmocs:>7,}  in {len(st.clusters)} clusters",
    ]
    for c in st.clusters:
        lines.append(
            f"  {c.number}. {c.name:<26} {c.cmocs:>2} CMOCs"
            f"  ({c.reduces} reduce, {c.may_worsen} may worsen)"
        )
    return "\n".join(lines)


class HomeScreen(Screen[None]):
    """Status of the review and where to go next."""

    HELP_TITLE = "Home"
    HELP = (
        "The review's status: records imported, duplicates, screening decisions, included "
        "studies and the programme theory. Press a screen's key to open it; escape comes back here."
    )
    BINDINGS = [Binding("f5", "refresh", "Refresh counts", show=False)]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home"):
            yield Static(id="status", classes="panel")
            with VerticalScroll(id="menu", classes="panel"):
                yield Static("[b]Go to[/b]", id="menu-title")
                for d in ordered():
                    # One line per screen so a dozen of them fit beside the status panel.
                    yield Static(
                        f"[b reverse] {d.key} [/] [b]{d.name:<13}[/b] [dim]{d.description}[/dim]",
                        classes="menu-item",
                    )
        yield PrismaPanel(self.ws, id="prisma", classes="panel")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()
        actor = self.ws.actor
        self.sub_title = f"{actor.name} ({actor.role})" if actor else "read-only (no reviewer)"

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one("#status", Static).update(status_text(review_status(self.ws)))
        self.query_one(PrismaPanel).reload()

    def extra_help_rows(self) -> list[tuple[str, str]]:
        return [(d.key, d.name) for d in ordered()]

    def on_key(self, event: events.Key) -> None:
        for d in ordered():
            if event.character == d.key:
                event.stop()
                self.app.push_screen(d.factory(self.ws))
                return
