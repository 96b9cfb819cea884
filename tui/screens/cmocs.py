"""The CMOC browser: clusters and their CMOCs, each with its statement, parts and evidence."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tree

from realist.domain import Direction
from realist.services.context import Workspace
from realist.services.theory import ClusterView, CmocView, programme_theory
from tui.registry import destination

DIRECTION_MARK = {"reduces": "▲", "may_worsen": "▼"}


def cmoc_detail(c: CmocView) -> str:
    """The detail pane for one CMOC as Rich markup (text from the data is escaped)."""
    direction = Direction(c.direction).label if c.direction else "direction not stated"
    lines = [
        f"[b]CMOC {escape(c.label)}[/b]  {escape(c.cluster_name or 'Unclustered')}",
        f"[i]{direction}[/i]" + (f"  ·  status: {c.status}" if c.status else ""),
        "",
        escape(c.statement),
        "",
        f"[b $success]Context[/]    {escape(c.context)}",
        f"[b $warning]Mechanism[/]  {escape(c.mechanism)}",
        f"[b $accent]Outcome[/]    {escape(c.outcome)}",
    ]
    if c.plain_summary:
        lines += ["", "[b]In plain words[/b]", escape(c.plain_summary)]
    lines += ["", f"[b]Cited studies ({len(c.documents)})[/b]"]
    if not c.documents:
        lines.append("  [dim]none cited[/dim]")
    for d in c.documents:
        tags = ", ".join(d.progress_labels)
        extra = " · ".join(x for x in (d.focus, tags) if x)
        lines.append(
            f"  {escape(d.ref):>3}  {escape(d.short)}"
            + (f"  [dim]{escape(extra)}[/dim]" if extra else "")
        )
    if c.links_out or c.links_in:
        lines += ["", "[b]Links[/b]"]
        lines += [f"  → {escape(k.other)} ({k.kind})" for k in c.links_out]
        lines += [f"  ← {escape(k.other)} ({k.kind})" for k in c.links_in]
    if c.evidence_count:
        lines += ["", f"[b]Coded excerpts[/b] {c.evidence_count}"]
    if c.notes:
        lines += ["", "[b]Notes[/b]", f"[dim]{escape(c.notes)}[/dim]"]
    return "\n".join(lines)


class CmocBrowserScreen(Screen[None]):
    """Browse the programme theory cluster by cluster."""

    HELP_TITLE = "CMOC browser"
    HELP = (
        "The programme theory: clusters and their context-mechanism-outcome configurations. "
        "Move with the arrow keys (left/right fold a cluster); the pane on the right shows the "
        "statement, its parts, the studies it cites and its links. ▲ reduces inequalities, "
        "▼ may worsen them."
    )
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.clusters: list[ClusterView] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield Tree("Programme theory", id="cmoc-tree")
            with VerticalScroll(id="cmoc-detail-box", classes="panel"):
                yield Static(id="cmoc-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.clusters = programme_theory(self.ws)
        tree: Tree[CmocView | ClusterView] = self.query_one("#cmoc-tree", Tree)
        tree.show_root = False
        total = 0
        for cluster in self.clusters:
            branch = tree.root.add(
                f"{cluster.number}. {escape(cluster.name)}", data=cluster, expand=True
            )
            for c in cluster.cmocs:
                mark = DIRECTION_MARK.get(c.direction or "", "·")
                branch.add_leaf(f"{mark} {escape(c.label):<4} {escape(_short(c))}", data=c)
                total += 1
        tree.border_title = f"{total} CMOCs in {len(self.clusters)} clusters"
        tree.focus()
        if self.clusters and self.clusters[0].cmocs:
            tree.move_cursor_to_line(1)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[CmocView | ClusterView]) -> None:
        data = event.node.data
        box = self.query_one("#cmoc-detail", Static)
        if isinstance(data, CmocView):
            box.update(cmoc_detail(data))
        elif isinstance(data, ClusterView):
            box.update(
                f"[b]Cluster {data.number}: {escape(data.name)}[/b]\n\n"
                + (escape(data.description) + "\n\n" if data.description else "")
                + "\n".join(f"{c.label:<4} {escape(_short(c, 80))}" for c in data.cmocs)
            )


def _short(c: CmocView, width: int = 34) -> str:
    text = c.outcome or c.statement
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@destination(
    "c", "CMOCs", "the programme theory: clusters, CMOCs and their cited studies", order=70
)
def _open(ws: Workspace) -> Screen[None]:
    return CmocBrowserScreen(ws)
