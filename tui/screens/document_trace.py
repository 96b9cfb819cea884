"""The evidence chain read upwards: the CMOCs one document supports, in a modal.

A document supports a CMOC when the CMOC cites it or when one of its excerpts is linked to the
CMOC as evidence for its context, mechanism or outcome (`traceability.document_trace`). Opened
with `s` from the coding screen (the open document) and from the studies list (the highlighted
study).
"""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from realist.domain import Direction
from realist.services.traceability import DocumentTrace, EvidenceItem, SupportedCmoc
from tui.screens.cmoc_pickers import ROLE_NAMES
from tui.screens.coding_picker import MODAL_CSS

ROLE_STYLE = {"C": "$success", "M": "$warning", "O": "$accent"}  # as the CMOC editor's parts


def _flat(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def cmoc_heading(c: SupportedCmoc) -> str:
    """CMOC id, cluster, direction and how the document supports it, as Rich markup."""
    if c.cluster_number is not None:
        cluster = f"cluster {c.cluster_number}. {c.cluster_name or ''}".rstrip()
    else:
        cluster = "unclustered"
    how = []
    if c.cited:
        how.append("cited")
    if c.evidence:
        how.append(f"{c.excerpts} excerpt{'s' if c.excerpts != 1 else ''} for {' '.join(c.roles)}")
    direction = f"  [i]{Direction(c.direction).label}[/i]" if c.direction else ""
    line = f"[b]CMOC {escape(c.label)}[/b]  {escape(cluster)}{direction}"
    return line + (f"  [dim]· {escape('; '.join(how))}[/dim]" if how else "")


def evidence_line(item: EvidenceItem) -> str:
    """One excerpt behind a CMOC: the part it supports, its page, its text and codes."""
    e = item.excerpt
    style = ROLE_STYLE.get(item.role, "$text")
    role = f"[b {style}]{item.role}[/] {ROLE_NAMES.get(item.role, ''):<9}"
    page = f"p.{e.page}" if e.page else "p.?"
    drift = " [b $error]drift[/]" if e.drift else ""
    line = f"{role} {page:<5} #{e.id} “{escape(_flat(e.text, 60))}”{drift}"
    if e.codes:
        line += f"  [dim]{escape(_flat(e.code_names, 30))}[/dim]"
    if item.note:
        line += f"\n                [dim]{escape(_flat(item.note, 70))}[/dim]"
    return line


def evidence_text(c: SupportedCmoc) -> str:
    """The document's excerpts behind one CMOC, a line each, as Rich markup."""
    if not c.evidence:
        return "[dim]no excerpt of this document linked to it yet[/dim]"
    return "\n".join(evidence_line(item) for item in c.evidence)


def trace_summary(trace: DocumentTrace) -> str:
    """The line under the title: the document's tags and how many CMOCs it supports."""
    n = len(trace.cmocs)
    parts = [f"supports {n} CMOC{'s' if n != 1 else ''}" if n else "supports no CMOC yet"]
    if trace.tag_labels:
        parts.append(f"tags: {'; '.join(trace.tag_labels)}")
    return escape(" · ".join(parts))


class DocumentTraceScreen(ModalScreen[None]):
    """The CMOCs a document supports, with the excerpts behind each as C, M or O."""

    DEFAULT_CSS = (
        "DocumentTraceScreen {"
        + MODAL_CSS.replace("width: 90;", "width: 110;")
        + """}
    #trace-box { height: auto; max-height: 90%; }
    .trace-cmoc { margin-top: 1; }
    .trace-statement { padding: 0 1 0 4; }
    .trace-evidence { padding-left: 4; }
    """
    )
    HELP_TITLE = "CMOCs this document supports"
    HELP = (
        "The evidence chain read upwards: each CMOC that cites this document or has one of its "
        "excerpts linked as evidence, with its cluster and statement, and the excerpts behind it "
        "as context (C), mechanism (M) or outcome (O), with their pages. Link an excerpt with l "
        "in the coding screen or v in the CMOC editor."
    )
    BINDINGS = [Binding("escape,enter,s", "close", "Close")]

    def __init__(self, trace: DocumentTrace) -> None:
        super().__init__()
        self.trace = trace

    def compose(self) -> ComposeResult:
        study = self.trace.study
        with VerticalScroll(id="trace-box"):
            yield Static(
                f"CMOCs supported by {escape(study.ref)} {escape(study.short)}",
                classes="modal-title",
            )
            yield Static(trace_summary(self.trace), classes="modal-hint", id="trace-summary")
            if not self.trace.cmocs:
                yield Static(
                    "\nNo CMOC cites this document and none of its excerpts is linked to a CMOC. "
                    "In the coding screen (k), put the cursor in an excerpt and press l.",
                    id="trace-empty",
                )
            for c in self.trace.cmocs:
                yield Static(cmoc_heading(c), classes="trace-cmoc")
                yield Static(escape(c.statement), classes="trace-statement")
                yield Static(evidence_text(c), classes="trace-evidence")

    def on_mount(self) -> None:
        box = self.query_one("#trace-box", VerticalScroll)
        box.border_subtitle = "escape closes · ↑↓ scroll"
        box.focus()

    def action_close(self) -> None:
        self.dismiss(None)
