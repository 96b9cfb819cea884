"""The CMOC browser and editor: clusters and their CMOCs, each with its statement, parts, the
chain of evidence beneath it (documents, excerpts with pages, PROGRESS-Plus and gap/targeted
tags) and its history; create and edit CMOCs, link evidence and link CMOCs to each other."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tree

from realist.domain import Direction
from realist.errors import RealistError
from realist.services import cmoc_edit, excerpts
from realist.services.context import Workspace
from realist.services.theory import ClusterView, CmocView, programme_theory
from realist.services.traceability import CmocTrace, cmoc_trace
from tui.registry import destination
from tui.screens.cmoc_form import CmocFormScreen, creating
from tui.screens.cmoc_history import CmocHistoryScreen
from tui.screens.cmoc_pickers import (
    ROLE_NAMES,
    CmocPickerScreen,
    ExcerptPickerScreen,
    PickedCmoc,
    PickedExcerpt,
)
from tui.screens.cmoc_rationale import TextPromptScreen

DIRECTION_MARK = {"reduces": "▲", "may_worsen": "▼"}


def _flat(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def cmoc_detail(c: CmocView, trace: CmocTrace | None = None) -> str:
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
    if trace is not None:
        lines += _evidence_lines(trace)
    if c.links_out or c.links_in:
        lines += ["", "[b]Links[/b]"]
        lines += [f"  → {escape(k.other)} ({k.kind})" for k in c.links_out]
        lines += [f"  ← {escape(k.other)} ({k.kind})" for k in c.links_in]
    if c.notes:
        lines += ["", "[b]Notes[/b]", f"[dim]{escape(c.notes)}[/dim]"]
    if trace is not None:
        lines += [
            "",
            f"[dim]{trace.revisions} revision(s) in its history (h) · version {c.version}[/dim]",
        ]
    return "\n".join(lines)


def _evidence_lines(trace: CmocTrace) -> list[str]:
    items = trace.excerpts
    lines = ["", f"[b]Evidence excerpts ({len(items)})[/b]"]
    if not items:
        lines.append("  [dim]none linked yet: v links an excerpt[/dim]")
    for d in trace.documents:
        if not d.evidence:
            continue
        lines.append(f"  {escape(d.study.ref):>3}  {escape(d.study.short)}")
        for ev in d.evidence:
            e = ev.excerpt
            role = f"[b]{ev.role}[/b]"
            page = f"p.{e.page}" if e.page else "p.?"
            drift = " [b $error]drift[/]" if e.drift else ""
            lines.append(f"       {role} {page:<5} #{e.id} “{escape(_flat(e.text, 70))}”{drift}")
            lines.append(f"              [dim]{escape(_flat(e.code_names, 70))}[/dim]")
    groups = (("PROGRESS-Plus", trace.progress_plus), ("Gap/targeted", trace.focus))
    n = len(trace.documents)
    lines += ["", f"[b]Across its {n} supporting document(s)[/b]"]
    for title, tags in groups:
        shown = ", ".join(f"{escape(t.label)} ({t.documents})" for t in tags)
        lines.append(f"  {title}: {shown or '[dim]none tagged[/dim]'}")
    record = sorted({label for d in trace.documents for label in d.record_tags})
    if record:
        lines.append(f"  [dim]incl. screening tags on records: {escape(', '.join(record))}[/dim]")
    return lines


class CmocBrowserScreen(Screen[None]):
    """Browse and edit the programme theory cluster by cluster."""

    HELP_TITLE = "CMOC browser and editor"
    HELP = (
        "The programme theory: clusters and their context-mechanism-outcome configurations. "
        "Move with the arrow keys (left/right fold a cluster); the pane on the right shows the "
        "statement, its parts, the studies it cites, the excerpts linked as evidence (with "
        "pages) and the PROGRESS-Plus and gap/targeted tags of its documents. ▲ reduces "
        "inequalities, ▼ may worsen them. e edits the CMOC and asks why; every change is kept "
        "in its history (h)."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("e", "edit", "Edit"),
        Binding("n", "new", "New CMOC"),
        Binding("v", "link_evidence", "Link excerpt"),
        Binding("u", "unlink_evidence", "Unlink excerpt", show=False),
        Binding("l", "link_cmoc", "Link CMOC"),
        Binding("g", "regenerate", "Rewrite statement", show=False),
        Binding("h", "history", "History"),
        Binding("N", "new_cluster", "New cluster", key_display="N", show=False),
        Binding("r", "reload", "Refresh", show=False),
    ]

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
        self.reload()
        tree: Tree[Any] = self.query_one("#cmoc-tree", Tree)
        tree.focus()
        if self.clusters and self.clusters[0].cmocs:
            tree.move_cursor_to_line(1)

    def reload(self, keep: str | None = None) -> None:
        """Rebuild the tree from the database, keeping the cursor on CMOC `keep`."""
        self.clusters = programme_theory(self.ws)
        tree: Tree[CmocView | ClusterView] = self.query_one("#cmoc-tree", Tree)
        tree.clear()
        tree.show_root = False
        total = 0
        line = 0
        target = None
        for cluster in self.clusters:
            branch = tree.root.add(
                f"{cluster.number}. {escape(cluster.name)}", data=cluster, expand=True
            )
            line += 1
            for c in cluster.cmocs:
                mark = DIRECTION_MARK.get(c.direction or "", "·")
                branch.add_leaf(f"{mark} {escape(c.label):<4} {escape(_short(c))}", data=c)
                if c.label == keep:
                    target = line
                line += 1
                total += 1
        tree.border_title = f"{total} CMOCs in {len(self.clusters)} clusters"
        if target is not None:
            tree.move_cursor_to_line(target)
            self.show(self.cmoc_by_label(keep))

    def cmoc_by_label(self, label: str | None) -> CmocView | None:
        for cluster in self.clusters:
            for c in cluster.cmocs:
                if c.label == label:
                    return c
        return None

    def selected(self) -> CmocView | None:
        node = self.query_one("#cmoc-tree", Tree).cursor_node
        data = node.data if node is not None else None
        return data if isinstance(data, CmocView) else None

    def selected_label(self) -> str | None:
        c = self.selected()
        return c.label if c else None

    def selected_cluster(self) -> int | None:
        node = self.query_one("#cmoc-tree", Tree).cursor_node
        data = node.data if node is not None else None
        if isinstance(data, ClusterView):
            return data.number or None
        if isinstance(data, CmocView):
            return data.cluster_number
        return None

    def show(self, c: CmocView | None) -> None:
        if c is None:
            return
        try:
            trace: CmocTrace | None = cmoc_trace(self.ws, c.id)
        except RealistError:
            trace = None
        self.query_one("#cmoc-detail", Static).update(cmoc_detail(c, trace))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[CmocView | ClusterView]) -> None:
        data = event.node.data
        box = self.query_one("#cmoc-detail", Static)
        if isinstance(data, CmocView):
            self.show(data)
        elif isinstance(data, ClusterView):
            box.update(
                f"[b]Cluster {data.number}: {escape(data.name)}[/b]\n\n"
                + (escape(data.description) + "\n\n" if data.description else "")
                + "\n".join(f"{c.label:<4} {escape(_short(c, 80))}" for c in data.cmocs)
            )

    # ------------------------------------------------------------------ actions

    def _need_cmoc(self) -> CmocView | None:
        c = self.selected()
        if c is None:
            self.notify("move to a CMOC first", severity="warning")
        return c

    def action_reload(self) -> None:
        self.reload(keep=self.selected_label())

    def action_edit(self) -> None:
        c = self._need_cmoc()
        if c is None:
            return
        version = c.version
        saved: dict[str, str] = {}

        def save(fields: dict[str, Any], why: str) -> str | None:
            try:
                view = cmoc_edit.edit_cmoc(
                    self.ws, c.id, fields, rationale=why, expected_version=version
                )
            except RealistError as exc:
                return str(exc)
            saved["label"] = view.label
            return None

        def done(ok: bool | None) -> None:
            if ok:
                self.notify(f"CMOC {saved['label']} saved")
                self.reload(keep=saved["label"])

        self.app.push_screen(
            CmocFormScreen(f"Edit CMOC {c.label}", cmoc_edit.list_clusters(self.ws), save, cmoc=c),
            done,
        )

    def action_new(self) -> None:
        saved: dict[str, str] = {}

        def done(ok: bool | None) -> None:
            if ok:
                self.notify(f"CMOC {saved['label']} created")
                self.reload(keep=saved["label"])

        self.app.push_screen(
            CmocFormScreen(
                "New CMOC",
                cmoc_edit.list_clusters(self.ws),
                creating(self.ws, saved),
                cluster=self.selected_cluster(),
            ),
            done,
        )

    def action_regenerate(self) -> None:
        c = self._need_cmoc()
        if c is None:
            return

        def regenerate(why: str | None) -> None:
            if not why:
                return
            try:
                cmoc_edit.regenerate_statement(
                    self.ws, c.id, rationale=why, expected_version=c.version
                )
            except RealistError as exc:
                self.notify(str(exc), severity="error")
                return
            self.reload(keep=c.label)

        self.app.push_screen(
            TextPromptScreen(
                f"Rewrite CMOC {c.label}'s statement from its C, M and O: why?",
                placeholder="e.g. parts refined; statement out of date",
            ),
            regenerate,
        )

    def action_link_evidence(self) -> None:
        c = self._need_cmoc()
        if c is None:
            return
        items = excerpts.list_excerpts(self.ws)
        if not items:
            self.notify("no excerpts yet: code some in the Coding screen (k)", severity="warning")
            return

        def link(picked: object) -> None:
            if not isinstance(picked, PickedExcerpt):
                return
            try:
                cmoc_edit.link_evidence(self.ws, c.id, picked.excerpt_id, picked.role)
            except RealistError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(
                f"excerpt #{picked.excerpt_id} is evidence for the "
                f"{ROLE_NAMES[picked.role]} of CMOC {c.label}"
            )
            self.reload(keep=c.label)

        self.app.push_screen(ExcerptPickerScreen(f"Evidence for CMOC {c.label}", items), link)

    def action_unlink_evidence(self) -> None:
        c = self._need_cmoc()
        if c is None:
            return
        trace = cmoc_trace(self.ws, c.id)
        items = trace.excerpts
        if not items:
            self.notify(f"CMOC {c.label} has no evidence excerpts", severity="warning")
            return

        def unlink(picked: object) -> None:
            if not isinstance(picked, PickedExcerpt):
                return
            try:
                cmoc_edit.unlink_evidence(self.ws, c.id, picked.excerpt_id, picked.role)
            except RealistError as exc:
                self.notify(str(exc), severity="error")
                return
            self.reload(keep=c.label)

        self.app.push_screen(
            ExcerptPickerScreen(
                f"Unlink evidence from CMOC {c.label}",
                [e.excerpt for e in items],
                roles=[e.role for e in items],
            ),
            unlink,
        )

    def action_link_cmoc(self) -> None:
        c = self._need_cmoc()
        if c is None:
            return
        others = [x for cl in self.clusters for x in cl.cmocs if x.id != c.id]

        def link(picked: object) -> None:
            if not isinstance(picked, PickedCmoc):
                return
            try:
                cmoc_edit.link_cmocs(self.ws, c.id, picked.label, picked.choice)
            except RealistError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"CMOC {c.label} {picked.choice.replace('_', ' ')} {picked.label}")
            self.reload(keep=c.label)

        self.app.push_screen(CmocPickerScreen(f"Link CMOC {c.label} to…", others, links=True), link)

    def action_history(self) -> None:
        c = self._need_cmoc()
        if c is None:
            return
        self.app.push_screen(CmocHistoryScreen(c.label, cmoc_edit.cmoc_history(self.ws, c.id)))

    def action_new_cluster(self) -> None:
        def add(name: str | None) -> None:
            if not name:
                return
            try:
                info = cmoc_edit.add_cluster(self.ws, name)
            except RealistError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"cluster {info.number} added: {info.name}")
            self.reload(keep=self.selected_label())

        self.app.push_screen(TextPromptScreen("Name of the new cluster"), add)


def _short(c: CmocView, width: int = 34) -> str:
    text = c.outcome or c.statement
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@destination(
    "c",
    "CMOCs",
    "the programme theory: browse and edit CMOCs, their evidence and history",
    order=70,
)
def _open(ws: Workspace) -> Screen[None]:
    return CmocBrowserScreen(ws)


CmocEditorScreen = CmocBrowserScreen  # the browser is the editor
