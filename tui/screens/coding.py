"""The coding screen: read a document, select a span, code it, judge it, link it to a CMOC.

Left: the documents (enter opens one) and the code tree (enter lists the excerpts under a code
and its children, across documents). Middle: the text with page markers; excerpts are
highlighted, the acting coder's in one colour and other coders' in another. Right: the excerpts
of the document or of the chosen code, and the detail of the current one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, OptionList, Static, Tree
from textual.widgets.option_list import Option

from realist.errors import RealistError
from realist.services import cmoc_edit, excerpts
from realist.services.coder_agreement import CoderComparison, compare_coders
from realist.services.codes import (
    CodeInfo,
    add_code,
    delete_code,
    list_codes,
    merge_codes,
    move_code,
    rename_code,
)
from realist.services.context import Workspace
from realist.services.excerpts import DocumentForCoding, ExcerptView
from realist.services.fulltext import FullTextView, attach_file, current_full_text
from realist.services.theory import programme_theory
from realist.services.traceability import document_trace
from tui.registry import destination
from tui.screens.cmoc_form import CmocFormScreen, creating
from tui.screens.cmoc_pickers import ROLE_NAMES, CmocPickerScreen, PickedCmoc
from tui.screens.cmoc_rationale import TextPromptScreen
from tui.screens.coding_agreement import AgreementScreen
from tui.screens.coding_attach import AttachScreen
from tui.screens.coding_confirm import ConfirmScreen
from tui.screens.coding_document import DocumentView, Highlight
from tui.screens.coding_excerpt import ExcerptFormScreen
from tui.screens.coding_picker import CodePickerScreen
from tui.screens.document_trace import DocumentTraceScreen


def _flat(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def excerpt_detail(e: ExcerptView) -> str:
    """The detail pane for one excerpt, as Rich markup."""
    lines = [
        f"[b]Excerpt #{e.id}[/b]  {escape(e.document_ref)} {escape(e.document_short)}",
        f"p. {e.page or '?'} · characters {e.start}-{e.end} · coder {escape(e.coder or '–')}",
    ]
    if e.drift:
        lines.append(f"[b $error]Drift:[/] {escape(e.drift)}")
    lines += ["", f"[i]“{escape(_flat(e.text, 600))}”[/i]", "", "[b]Codes[/b]"]
    lines += [f"  {escape(c.path)}" for c in e.codes]
    for name, rating, note in (
        ("Relevance", e.relevance, e.relevance_note),
        ("Rigour", e.rigour, e.rigour_note),
    ):
        if rating or note:
            lines.append(
                f"[b]{name}[/b] {escape(rating or '–')}" + (f": {escape(note)}" if note else "")
            )
    if e.memo:
        lines += ["", "[b]Memo[/b]", escape(e.memo)]
    if e.evidence:
        lines += ["", "[b]Evidence for[/b]"]
        lines += [f"  CMOC {escape(v.cmoc)} ({ROLE_NAMES.get(v.role, v.role)})" for v in e.evidence]
    return "\n".join(lines)


class StatusLine(Widget):
    """One line of status under the text; updating it needs no new layout (it changes on every
    cursor move)."""

    DEFAULT_CSS = "StatusLine { height: 1; width: 1fr; }"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.text = ""

    def set(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> RenderResult:
        return Content.from_markup(self.text)


class CodingScreen(Screen[None]):
    """Code excerpts of full texts."""

    HELP_TITLE = "Coding"
    HELP = (
        "Pick a document on the left (enter) and read it in the middle. Select a span with "
        "shift+arrows, or press space to drop a mark and move (space again stops), or drag with "
        "the mouse; then press c to code it. Highlighted spans are excerpts (yours in yellow, "
        "other coders' in blue); with the cursor in one, e edits its memo and relevance/rigour "
        "judgements, c changes its codes, l links it to a CMOC as evidence (or, with “new CMOC…” "
        "in the picker, to a CMOC made there and then); s lists the CMOCs "
        "the document supports (cited, or through its excerpts as C, M or O evidence). In the "
        "code tree, enter lists every excerpt under that code and its children, across "
        "documents; enter on an excerpt jumps to it. With the code tree focused (t): a adds a "
        "child code, r renames, m moves it under another code, M merges it into another, delete "
        "deletes it (re-coding its excerpts; its child codes move up a level)."
    )
    BINDINGS = [
        Binding("c", "code", "Code"),
        Binding("e", "edit_excerpt", "Memo/judge"),
        Binding("l", "link_cmoc", "Link to CMOC"),
        Binding("s", "supported_cmocs", "CMOCs the document supports", show=False),
        Binding("x", "delete_excerpt", "Delete excerpt"),
        Binding("n", "next_excerpt", "Next excerpt", show=False),
        Binding("p", "previous_excerpt", "Previous excerpt", show=False),
        Binding("d", "focus_documents", "Documents"),
        Binding("f", "focus_text", "Text", show=False),
        Binding("t", "focus_codes", "Code tree"),
        Binding("b", "by_document", "Excerpts of document", show=False),
        Binding("o", "toggle_mine", "Only my coding", show=False),
        Binding("g", "agreement", "Coder agreement", show=False),
        Binding("A", "attach", "Attach text", key_display="A"),
        Binding("a", "add_code", "Code tree: new child code", show=False),
        Binding("r", "rename_code", "Code tree: rename", show=False),
        Binding("m", "move_code", "Code tree: move under another code", show=False),
        Binding("M", "merge_code", "Code tree: merge into another code", show=False),
        Binding("delete", "delete_code", "Code tree: delete", show=False),
        Binding("escape", "back", "Clear / back"),
    ]
    DEFAULT_CSS = """
    CodingScreen #coding-left { width: 38; height: 100%; }
    CodingScreen #coding-docs { height: 1fr; border: round $primary 40%; }
    CodingScreen #coding-codes { height: 1fr; border: round $primary 40%; }
    CodingScreen #coding-main { width: 1fr; height: 100%; }
    CodingScreen #coding-text { height: 1fr; border: round $primary 40%; }
    CodingScreen #coding-text:focus { border: round $accent; }
    CodingScreen #coding-status { height: 1; padding: 0 1; color: $text-muted; }
    CodingScreen #coding-right { width: 44; height: 100%; }
    CodingScreen #coding-excerpts { height: 1fr; border: round $primary 40%; }
    CodingScreen #coding-detail-box { height: 1fr; border: round $primary 40%; padding: 0 1; }
    """

    class Attached(Message):
        """A full text was attached in the background."""

        def __init__(self, document_id: int, error: str | None, summary: str) -> None:
            super().__init__()
            self.document_id = document_id
            self.error = error
            self.summary = summary

    def extra_help_rows(self) -> list[tuple[str, str]]:
        """Keys of the text view, listed by `?` with the screen's own."""
        return [
            ("shift+arrows", "select characters and lines in the text"),
            ("ctrl+shift+←/→", "select word by word"),
            ("space", "drop a mark, then move to select; space again stops"),
            ("mouse drag", "select with the mouse (where the terminal sends mouse events)"),
            ("ctrl+←/→", "move word by word"),
            ("pgup/pgdn", "move a screen up or down"),
            ("enter", "open the highlighted document, list a code's excerpts, jump to one"),
        ]

    def __init__(self, ws: Workspace, *, document_ref: str | None = None) -> None:
        super().__init__()
        self.ws = ws
        self.start_ref = document_ref
        self.docs: list[DocumentForCoding] = []
        self.doc: DocumentForCoding | None = None
        self.full_text: FullTextView | None = None
        self.doc_excerpts: list[ExcerptView] = []
        self.panel: list[ExcerptView] = []
        self.panel_code: CodeInfo | None = None
        self.codes: list[CodeInfo] = []
        self.current: ExcerptView | None = None
        self.only_mine = False

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="coding-left"):
                yield OptionList(id="coding-docs")
                yield Tree("Codes", id="coding-codes")
            with Vertical(id="coding-main"):
                yield DocumentView(id="coding-text")
                yield StatusLine(id="coding-status")
            with Vertical(id="coding-right"):
                yield OptionList(id="coding-excerpts")
                with VerticalScroll(id="coding-detail-box"):
                    yield Static(id="coding-detail")
        yield Footer()

    def on_mount(self) -> None:
        actor = self.ws.actor
        self.sub_title = f"coding as {actor.name}" if actor else "read-only (no reviewer)"
        self.query_one("#coding-docs", OptionList).border_title = "Documents"
        tree: Tree[CodeInfo] = self.query_one("#coding-codes", Tree)
        tree.show_root = False
        tree.auto_expand = False  # enter lists a code's excerpts; space folds
        tree.border_title = "Codes"
        self.refresh_documents()
        self.refresh_codes()
        first = next(
            (d for d in self.docs if d.ref == self.start_ref),
            next((d for d in self.docs if d.full_text_id), None),
        )
        if first is not None:
            self.open_document(first.id)
            self.query_one("#coding-text", DocumentView).focus()
        else:
            self.query_one("#coding-docs", OptionList).focus()
            self._status("No document has a full text yet: highlight one and press A to attach.")

    # ------------------------------------------------------------------ data

    def refresh_documents(self) -> None:
        self.docs = excerpts.coding_documents(self.ws)
        box = self.query_one("#coding-docs", OptionList)
        keep = box.highlighted
        box.clear_options()
        for d in self.docs:
            extra = f"{d.pages}p {d.excerpts:>2}" if d.full_text_id else "   –"
            name = escape(f"{_flat(d.short, 20):<20}")
            box.add_option(
                Option(f"{escape(d.ref[:4]):>4} {name} [dim]{extra}[/dim]", id=str(d.id))
            )
        with_text = sum(1 for d in self.docs if d.full_text_id)
        box.border_title = f"Documents ({with_text}/{len(self.docs)} with text)"
        if self.docs:
            box.highlighted = keep if keep is not None and keep < len(self.docs) else 0

    def refresh_codes(self) -> None:
        self.codes = list_codes(self.ws)
        tree: Tree[CodeInfo] = self.query_one("#coding-codes", Tree)
        cursor = tree.cursor_node
        keep = cursor.data.id if cursor is not None and cursor.data is not None else None
        tree.clear()
        nodes: dict[int | None, Any] = {None: tree.root}
        for c in self.codes:
            parent = nodes.get(c.parent_id, tree.root)
            mark = "D" if c.origin == "deductive" else "I"
            label = f"{escape(c.name)} [dim]{mark}·{c.total}[/dim]"
            if c.children:
                nodes[c.id] = parent.add(label, data=c, expand=True)
            else:
                nodes[c.id] = parent.add_leaf(label, data=c)
        tree.border_title = f"Codes ({len(self.codes)})"
        if keep in nodes:
            tree.call_after_refresh(tree.move_cursor, nodes[keep])

    def open_document(self, document_id: int) -> None:
        self.doc = next((d for d in self.docs if d.id == document_id), None)
        view = self.query_one("#coding-text", DocumentView)
        if self.doc is None:
            return
        self.query_one("#coding-docs", OptionList).highlighted = self.docs.index(self.doc)
        self.full_text = current_full_text(self.ws, document_id)
        if self.full_text is None:
            view.load("")
            view.border_title = f"{self.doc.ref} · {self.doc.short} · no full text (A to attach)"
            self.doc_excerpts = []
        else:
            view.load(self.full_text.text, self.full_text.page_starts)
            pages = len(self.full_text.page_starts)
            view.border_title = (
                f"{self.doc.ref} · {self.doc.short} · {self.full_text.file_name} · "
                f"{pages} page{'s' if pages != 1 else ''}"
            )
        self.panel_code = None
        self.reload_excerpts()

    def reload_excerpts(self, keep: int | None = None) -> None:
        """Fetch the document's excerpts (and the code panel's) and redraw highlights."""
        if self.doc is not None:
            self.doc_excerpts = excerpts.list_excerpts(self.ws, document=self.doc.id)
        if self.panel_code is not None:
            self.panel = excerpts.list_excerpts(self.ws, code_id=self.panel_code.id)
        else:
            self.panel = list(self.doc_excerpts)
        if keep is not None:
            self.current = next((e for e in self.doc_excerpts if e.id == keep), self.current)
        elif self.current is not None:
            self.current = next((e for e in self.doc_excerpts if e.id == self.current.id), None)
        self._draw_highlights()
        self._fill_panel()
        self._show_current()

    def _visible(self) -> list[ExcerptView]:
        me = self.ws.actor.name if self.ws.actor else None
        if self.only_mine:
            return [e for e in self.doc_excerpts if e.coder == me]
        return self.doc_excerpts

    def _draw_highlights(self) -> None:
        me = self.ws.actor.name if self.ws.actor else None
        view = self.query_one("#coding-text", DocumentView)
        view.set_highlights(
            [
                Highlight(e.start, e.end, e.id, e.coder == me)
                for e in self._visible()
                if not e.drift
            ],
            self.current.id if self.current else None,
        )

    def _fill_panel(self) -> None:
        box = self.query_one("#coding-excerpts", OptionList)
        box.clear_options()
        for e in self.panel:
            where = f"{e.document_ref} p.{e.page or '?'}"
            flag = " [b $error]drift[/]" if e.drift else ""
            ev = f" [dim]→{','.join(v.cmoc for v in e.evidence)}[/dim]" if e.evidence else ""
            box.add_option(
                Option(
                    f"[b]#{e.id}[/b] {escape(where)}{ev}{flag}\n"
                    f"  {escape(_flat(e.text, 36))}\n  [dim]{escape(_flat(e.code_names, 36))}[/dim]",
                    id=str(e.id),
                )
            )
        if self.panel_code is not None:
            docs = len({e.document_ref for e in self.panel})
            box.border_title = (
                f"Under {self.panel_code.name}: {len(self.panel)} in {docs} doc(s) (b: back)"
            )
        elif self.doc is not None:
            box.border_title = f"Excerpts in {self.doc.ref} ({len(self.panel)})"
        else:
            box.border_title = "Excerpts"

    def _show_current(self) -> None:
        detail = self.query_one("#coding-detail", Static)
        if self.current is None:
            detail.update(
                "[dim]No excerpt here. Select a span (shift+arrows, space to mark, or drag) "
                "and press c to code it.[/dim]"
            )
        else:
            detail.update(excerpt_detail(self.current))

    def _status(self, text: str) -> None:
        self.query_one("#coding-status", StatusLine).set(text)

    # ------------------------------------------------------------------ events

    @on(OptionList.OptionSelected, "#coding-docs")
    def _doc_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.open_document(int(event.option.id))
            self.query_one("#coding-text", DocumentView).focus()

    @on(OptionList.OptionHighlighted, "#coding-excerpts")
    def _excerpt_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is None:
            return
        found = next((e for e in self.panel if e.id == int(event.option.id)), None)
        if found is not None and self.query_one("#coding-excerpts", OptionList).has_focus:
            self.current = found
            self._draw_highlights()
            self._show_current()

    @on(OptionList.OptionSelected, "#coding-excerpts")
    def _excerpt_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is None:
            return
        found = next((e for e in self.panel if e.id == int(event.option.id)), None)
        if found is not None:
            self.jump_to(found)

    @on(Tree.NodeSelected, "#coding-codes")
    def _code_chosen(self, event: Tree.NodeSelected[CodeInfo]) -> None:
        if event.node.data is not None:
            self.panel_code = event.node.data
            self.reload_excerpts()
            box = self.query_one("#coding-excerpts", OptionList)
            box.focus()
            if self.panel:
                box.highlighted = 0

    @on(DocumentView.CursorMoved)
    def _cursor_moved(self, event: DocumentView.CursorMoved) -> None:
        view = event.view
        if view.has_focus:
            inside = [e for e in self._visible() if e.start <= event.cursor < e.end and not e.drift]
            best = min(inside, key=lambda e: e.end - e.start) if inside else None
            if (best.id if best else None) != (self.current.id if self.current else None):
                self.current = best
                self._draw_highlights()
                self._show_current()
        parts = [f"p. {view.page}", f"offset {event.cursor}"]
        if event.selection:
            a, b = event.selection
            parts.append(f"[b]selected {a}-{b} ({b - a} characters)[/b]: c to code")
        elif view.marking:
            parts.append("[b]mark set[/b]: move to select, space to stop")
        if self.current is not None:
            codes = escape(_flat(self.current.code_names, 30))
            parts.append(f"in excerpt #{self.current.id} ({codes})")
        self._status(" · ".join(parts))

    def jump_to(self, e: ExcerptView) -> None:
        """Open the excerpt's document, select its span, focus the text."""
        if self.doc is None or self.doc.id != e.document_id:
            keep_code = self.panel_code
            self.open_document(e.document_id)
            if keep_code is not None:
                self.panel_code = keep_code
                self.reload_excerpts()
        self.current = e
        view = self.query_one("#coding-text", DocumentView)
        view.focus()
        view.move_to(e.start)
        self._draw_highlights()
        self._show_current()

    # ------------------------------------------------------------------ actions

    def _fail(self, exc: RealistError) -> None:
        self.notify(str(exc), severity="error")

    def action_code(self) -> None:
        view = self.query_one("#coding-text", DocumentView)
        if self.doc is None or self.full_text is None:
            self.notify("open a document with a full text first", severity="warning")
            return
        selection = view.selection
        if selection is None and self.current is None:
            self.notify(
                "select a span first (shift+arrows, space then move, or drag)", severity="warning"
            )
            return
        if selection is not None:
            start, end = selection
            snippet = _flat(self.full_text.text[start:end], 60)

            def code_new(ids: list[int] | None) -> None:
                if not ids:
                    return
                try:
                    made = excerpts.create_excerpt(
                        self.ws, self.doc.id if self.doc else 0, start, end, ids
                    )
                except RealistError as exc:
                    self._fail(exc)
                    return
                self.notify(f"excerpt #{made.id} coded: {made.code_names}")
                self.current = made
                self.refresh_documents()
                self.refresh_codes()
                self.reload_excerpts(keep=made.id)
                view.move_to(made.start)  # the cursor in the new excerpt: e, l act on it

            self.app.push_screen(CodePickerScreen(self.ws, title=f"Code “{snippet}”"), code_new)
            return
        current = self.current
        assert current is not None
        have = {c.id for c in current.codes}

        def recode(ids: list[int] | None) -> None:
            if ids is None:
                return
            chosen = set(ids)
            try:
                excerpts.set_excerpt_codes(
                    self.ws, current.id, add=sorted(chosen - have), remove=sorted(have - chosen)
                )
            except RealistError as exc:
                self._fail(exc)
                return
            self.refresh_codes()
            self.reload_excerpts(keep=current.id)

        self.app.push_screen(
            CodePickerScreen(self.ws, selected=have, title=f"Codes of excerpt #{current.id}"),
            recode,
        )

    def action_edit_excerpt(self) -> None:
        current = self.current
        if current is None:
            self.notify("put the cursor in an excerpt first", severity="warning")
            return

        def save(fields: dict[str, Any] | None) -> None:
            if fields is None:
                return
            try:
                excerpts.edit_excerpt(
                    self.ws, current.id, expected_version=current.version, **fields
                )
            except RealistError as exc:
                self._fail(exc)
                return
            self.notify(f"excerpt #{current.id} saved")
            self.reload_excerpts(keep=current.id)

        self.app.push_screen(ExcerptFormScreen(current), save)

    def action_link_cmoc(self) -> None:
        current = self.current
        if current is None:
            self.notify("put the cursor in an excerpt first", severity="warning")
            return
        cmocs = [c for cluster in programme_theory(self.ws) for c in cluster.cmocs]

        def link(picked: object) -> None:
            if not isinstance(picked, PickedCmoc):
                return
            if picked.new:
                self._new_cmoc_for(current, picked.choice)
            else:
                self._link(current, picked.label, picked.choice)

        self.app.push_screen(
            CmocPickerScreen(f"Link excerpt #{current.id} to a CMOC", cmocs, allow_new=True),
            link,
        )

    def _link(self, excerpt: ExcerptView, label: str, role: str) -> None:
        """Link `excerpt` to CMOC `label` as evidence for `role` (C, M or O) and say so."""
        try:
            cmoc_edit.link_evidence(self.ws, label, excerpt.id, role)
        except RealistError as exc:
            self._fail(exc)
            return
        self.notify(f"excerpt #{excerpt.id} is evidence for the {ROLE_NAMES[role]} of CMOC {label}")
        self.reload_excerpts(keep=excerpt.id)

    def _new_cmoc_for(self, excerpt: ExcerptView, role: str) -> None:
        """Open the CMOC form for a new CMOC; once it is created, link `excerpt` to it as
        evidence for `role`. Cancelling the form creates and links nothing."""
        saved: dict[str, str] = {}

        def done(ok: bool | None) -> None:
            if ok and "label" in saved:
                self.notify(f"CMOC {saved['label']} created")
                self._link(excerpt, saved["label"], role)

        self.app.push_screen(
            CmocFormScreen(
                f"New CMOC: excerpt #{excerpt.id} becomes evidence for its {ROLE_NAMES[role]}",
                cmoc_edit.list_clusters(self.ws),
                creating(self.ws, saved),
            ),
            done,
        )

    def action_supported_cmocs(self) -> None:
        """Show the CMOCs the open document supports (the highlighted one in the list, when the
        document list has focus), with the excerpts behind each."""
        box = self.query_one("#coding-docs", OptionList)
        target = self.doc
        if box.has_focus and box.highlighted is not None and box.highlighted < len(self.docs):
            target = self.docs[box.highlighted]
        if target is None:
            self.notify("open a document first", severity="warning")
            return
        try:
            trace = document_trace(self.ws, target.id)
        except RealistError as exc:
            self._fail(exc)
            return
        self.app.push_screen(DocumentTraceScreen(trace))

    def action_delete_excerpt(self) -> None:
        current = self.current
        if current is None:
            self.notify("put the cursor in an excerpt first", severity="warning")
            return

        def delete(yes: bool | None) -> None:
            if not yes:
                return
            try:
                excerpts.delete_excerpt(self.ws, current.id)
            except RealistError as exc:
                self._fail(exc)
                return
            self.notify(f"excerpt #{current.id} deleted")
            self.current = None
            self.refresh_documents()
            self.refresh_codes()
            self.reload_excerpts()

        self.app.push_screen(
            ConfirmScreen(f"Delete excerpt #{current.id} ({current.code_names})?"), delete
        )

    def _step(self, direction: int) -> None:
        items = sorted(self._visible(), key=lambda e: (e.start, e.end))
        if not items:
            self.notify("this document has no excerpts yet", severity="warning")
            return
        view = self.query_one("#coding-text", DocumentView)
        here = view.cursor
        if direction > 0:
            nxt = next((e for e in items if e.start > here), items[0])
        else:
            nxt = next((e for e in reversed(items) if e.start < here), items[-1])
        self.current = nxt
        view.focus()
        view.move_to(nxt.start)
        self._draw_highlights()
        self._show_current()

    def action_next_excerpt(self) -> None:
        self._step(1)

    def action_previous_excerpt(self) -> None:
        self._step(-1)

    def action_focus_documents(self) -> None:
        self.query_one("#coding-docs", OptionList).focus()

    def action_focus_text(self) -> None:
        self.query_one("#coding-text", DocumentView).focus()

    def action_focus_codes(self) -> None:
        self.query_one("#coding-codes", Tree).focus()

    # ------------------------------------------------------------------ the code tree

    def _tree_code(self) -> CodeInfo | None:
        """The highlighted code when the code tree has focus (tree keys act only there)."""
        tree: Tree[CodeInfo] = self.query_one("#coding-codes", Tree)
        if not tree.has_focus:
            self.notify("press t to go to the code tree first", severity="warning")
            return None
        node = tree.cursor_node
        return node.data if node is not None else None

    def _tree_changed(self, message: str) -> None:
        self.notify(message)
        self.refresh_codes()
        self.reload_excerpts()

    def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RealistError as exc:
            self._fail(exc)
            return None

    def action_add_code(self) -> None:
        tree: Tree[CodeInfo] = self.query_one("#coding-codes", Tree)
        if not tree.has_focus:
            self.notify("press t to go to the code tree first", severity="warning")
            return
        node = tree.cursor_node
        parent = node.data if node is not None and node.data is not None else None
        where = f"under {parent.path}" if parent else "at the top level"

        def add(name: str | None) -> None:
            if not name:
                return
            top = name.startswith("/")
            info = self._run(
                add_code,
                self.ws,
                name.lstrip("/"),
                parent_id=None if top or not parent else parent.id,
            )
            if info is not None:
                self._tree_changed(f"new code {info.path}")

        self.app.push_screen(
            TextPromptScreen(f"New inductive code {where} (start with / for the top level)"), add
        )

    def action_rename_code(self) -> None:
        code = self._tree_code()
        if code is None:
            return

        def rename(name: str | None) -> None:
            if name and name != code.name:
                info = self._run(rename_code, self.ws, code.id, name, expected_version=code.version)
                if info is not None:
                    self._tree_changed(f"renamed to {info.path}")

        self.app.push_screen(TextPromptScreen(f"Rename {code.path}", value=code.name), rename)

    def _pick_one(self, title: str, then: Any) -> None:
        def picked(ids: list[int] | None) -> None:
            if not ids:
                return
            if len(ids) > 1:
                self.notify("tick one code only", severity="warning")
                return
            then(ids[0])

        self.app.push_screen(CodePickerScreen(self.ws, title=title), picked)

    def action_move_code(self) -> None:
        code = self._tree_code()
        if code is None:
            return

        def move(parent_id: int) -> None:
            info = self._run(move_code, self.ws, code.id, parent_id, expected_version=code.version)
            if info is not None:
                self._tree_changed(f"moved to {info.path}")

        self._pick_one(f"Move {code.path} under… (the CLI moves to the top level)", move)

    def action_merge_code(self) -> None:
        code = self._tree_code()
        if code is None:
            return

        def merge(target: int) -> None:
            result = self._run(merge_codes, self.ws, code.id, target)
            if result is not None:
                self._tree_changed(
                    f"merged {result.source_path} into {result.target.path}: "
                    f"{result.excerpts_moved} coding(s) moved"
                )

        self._pick_one(f"Merge {code.path} into…", merge)

    def action_delete_code(self) -> None:
        code = self._tree_code()
        if code is None:
            return
        if code.excerpts:

            def recode(target: int) -> None:
                result = self._run(
                    delete_code, self.ws, code.id, recode_to=target, expected_version=code.version
                )
                if result is not None:
                    self._tree_changed(f"deleted {result.path}; {result.recoded} coding(s) moved")

            self._pick_one(
                f"{code.path} codes {code.excerpts} excerpt(s): re-code them to…", recode
            )
            return

        def confirm(yes: bool | None) -> None:
            if yes:
                result = self._run(delete_code, self.ws, code.id, expected_version=code.version)
                if result is not None:
                    self._tree_changed(f"deleted {result.path}")

        kids = " (its child codes move up a level)" if code.children else ""
        self.app.push_screen(ConfirmScreen(f"Delete code {code.path}{kids}?"), confirm)

    def action_by_document(self) -> None:
        self.panel_code = None
        self.reload_excerpts()

    def action_toggle_mine(self) -> None:
        self.only_mine = not self.only_mine
        self.notify(
            "showing only your coding" if self.only_mine else "showing every coder's coding"
        )
        self._draw_highlights()

    def action_agreement(self) -> None:
        if self.doc is None:
            return
        coders = sorted({e.coder for e in self.doc_excerpts if e.coder})
        me = self.ws.actor.name if self.ws.actor else None
        pairs: list[tuple[str, str]] = []
        first = me if me in coders else (coders[0] if coders else None)
        if first is not None:
            pairs = [(first, other) for other in coders if other != first]
        results: list[CoderComparison] = []
        try:
            for a, b in pairs:
                results.append(compare_coders(self.ws, a, b, document=self.doc.id))
        except RealistError as exc:
            self._fail(exc)
            return
        self.app.push_screen(
            AgreementScreen(f"Coder agreement on {self.doc.ref} {self.doc.short}", results)
        )

    def action_attach(self) -> None:
        box = self.query_one("#coding-docs", OptionList)
        target = self.doc
        if box.has_focus and box.highlighted is not None and box.highlighted < len(self.docs):
            target = self.docs[box.highlighted]
        if target is None:
            self.notify("highlight a document first", severity="warning")
            return
        chosen = target

        def attach(path: Path | None) -> None:
            if path is not None:
                self._status(f"extracting {path.name}…")
                self._attach_worker(chosen.id, chosen.ref, path)

        self.app.push_screen(AttachScreen(f"{chosen.ref} {chosen.short}"), attach)

    @work(thread=True, exclusive=True, group="attach")
    def _attach_worker(self, document_id: int, ref: str, path: Path) -> None:
        try:
            result = attach_file(self.ws, path, document_ref=ref)
        except RealistError as exc:
            self.post_message(self.Attached(document_id, str(exc), ""))
            return
        drift = len(excerpts.check_drift(self.ws, document_id))
        summary = f"attached {path.name}: {result.pages} page(s), {result.chars:,} characters"
        if drift:
            summary += f"; {drift} excerpt(s) no longer match (see `realist excerpts drift`)"
        self.post_message(self.Attached(document_id, None, summary))

    def on_coding_screen_attached(self, message: Attached) -> None:
        if message.error:
            self.notify(message.error, severity="error")
            self._status(message.error)
            return
        self.notify(message.summary)
        self._status(message.summary)
        self.refresh_documents()
        self.open_document(message.document_id)
        self.query_one("#coding-text", DocumentView).focus()

    def action_back(self) -> None:
        view = self.query_one("#coding-text", DocumentView)
        if view.clear_selection():
            return
        if self.panel_code is not None:
            self.action_by_document()
            return
        self.app.pop_screen()


@destination("k", "Coding", "code excerpts of full texts; browse by code and by document", order=65)
def _open(ws: Workspace) -> Screen[None]:
    return CodingScreen(ws)
