"""The CMOC form: id, cluster, direction, status, context, mechanism, outcome, statement, plain
summary and notes, with the reason for the change. The form saves through a callback and stays
open when saving fails (a conflict, a clash of ids), so no typing is lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TextArea

from realist.domain import CmocStatus, Direction
from realist.errors import RealistError
from realist.services.cmoc_edit import ClusterInfo, create_cmoc, generate_statement
from realist.services.context import Workspace
from realist.services.theory import CmocView
from tui.screens.coding_picker import MODAL_CSS

TEXTS = ("context", "mechanism", "outcome", "statement", "plain_summary", "notes")
LABELS = {
    "context": "Context (C)",
    "mechanism": "Mechanism (M)",
    "outcome": "Outcome (O)",
    "statement": "Statement (ctrl+g writes “When C then O because M”)",
    "plain_summary": "Plain-language summary for public panels",
    "notes": "Notes",
}
HEIGHTS = {"statement": 5, "plain_summary": 4, "notes": 3}

# save(fields, rationale) -> an error message, or None when saved
SaveFn = Callable[[dict[str, Any], str], str | None]


def creating(ws: Workspace, saved: dict[str, str]) -> SaveFn:
    """The save function of a "new CMOC" form: creates the CMOC through the service and puts
    its label under `saved["label"]`; a refusal (a clash of ids, a role) is the error shown."""

    def save(fields: dict[str, Any], why: str) -> str | None:
        values = dict(fields)
        label = values.pop("id", "")
        try:
            view = create_cmoc(ws, label, rationale=why or None, **values)
        except RealistError as exc:
            return str(exc)
        saved["label"] = view.label
        return None

    return save


class CmocFormScreen(ModalScreen[bool]):
    """Create or edit one CMOC; dismisses with True once saved."""

    DEFAULT_CSS = (
        "CmocFormScreen {"
        + MODAL_CSS.replace("width: 90;", "width: 110;")
        + "}\n"
        + """
    CmocFormScreen #cmoc-form { height: auto; max-height: 95%; }
    CmocFormScreen TextArea { height: 4; }
    CmocFormScreen #form-statement { height: 6; }
    CmocFormScreen #form-plain_summary { height: 4; }
    CmocFormScreen .form-row { height: auto; }
    CmocFormScreen .form-row > Vertical { width: 1fr; height: auto; }
    CmocFormScreen .form-row Input { width: 14; }
    CmocFormScreen .form-row Select { width: 1fr; }
    CmocFormScreen Label { margin-top: 1; color: $text-muted; }
    """
    )
    HELP_TITLE = "CMOC form"
    HELP = (
        "Tab and shift+tab move between fields. ctrl+g writes the statement from the context, "
        "mechanism and outcome (“When C then O because M”); an empty statement is written that "
        "way when you save. Say why in the last field: every change is kept in the CMOC's "
        "history with its reason. ctrl+s saves; escape leaves without saving."
    )
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+g", "generate", "Write statement from C, M, O"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        title: str,
        clusters: list[ClusterInfo],
        save: SaveFn,
        *,
        cmoc: CmocView | None = None,
        cluster: int | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.clusters = clusters
        self.save_fn = save
        self.cmoc = cmoc
        self.initial: dict[str, Any] = self._initial(cmoc, cluster)

    @staticmethod
    def _initial(c: CmocView | None, cluster: int | None) -> dict[str, Any]:
        if c is None:
            return {
                "id": "",
                "cluster": cluster,
                "direction": None,
                "status": CmocStatus.NEW.value,
                **{k: "" for k in TEXTS},
            }
        return {
            "id": c.label,
            "cluster": c.cluster_number,
            "direction": c.direction,
            "status": c.status,
            "context": c.context,
            "mechanism": c.mechanism,
            "outcome": c.outcome,
            "statement": c.statement,
            "plain_summary": c.plain_summary or "",
            "notes": c.notes or "",
        }

    def compose(self) -> ComposeResult:
        v = self.initial
        with VerticalScroll(id="cmoc-form"):
            yield Static(escape(self.title_text), classes="modal-title")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Id")
                    yield Input(v["id"], id="form-id", placeholder="e.g. 5B")
                with Vertical():
                    yield Label("Cluster")
                    yield Select(
                        [(f"{c.number}. {c.name}", c.number) for c in self.clusters],
                        value=v["cluster"] if v["cluster"] is not None else Select.NULL,
                        prompt="no cluster",
                        id="form-cluster",
                    )
                with Vertical():
                    yield Label("Direction")
                    yield Select(
                        [(Direction(d).label, d.value) for d in Direction],
                        value=v["direction"] or Select.NULL,
                        prompt="not stated",
                        id="form-direction",
                    )
                with Vertical():
                    yield Label("Status")
                    yield Select(
                        [(s.value, s.value) for s in CmocStatus],
                        value=v["status"] or Select.NULL,
                        prompt="not stated",
                        id="form-status",
                    )
            for name in TEXTS:
                yield Label(LABELS[name])
                yield TextArea(v[name], id=f"form-{name}", soft_wrap=True)
            yield Label("Why? (kept in the CMOC's history)")
            yield Input(id="form-why", placeholder="e.g. refined after coding Burkitt 2021")
            yield Static("ctrl+s save · ctrl+g write statement · esc cancel", classes="modal-hint")

    def on_mount(self) -> None:
        first = "#form-id" if self.cmoc is None else "#form-context"
        self.query_one(first).focus()

    def _select(self, selector: str) -> Any:
        value = self.query_one(selector, Select).value
        return None if value is Select.NULL else value

    def values(self) -> dict[str, Any]:
        """What the form holds now, by field."""
        out: dict[str, Any] = {
            "id": self.query_one("#form-id", Input).value.strip(),
            "cluster": self._select("#form-cluster"),
            "direction": self._select("#form-direction"),
            "status": self._select("#form-status"),
        }
        for name in TEXTS:
            out[name] = self.query_one(f"#form-{name}", TextArea).text.strip()
        return out

    def action_generate(self) -> None:
        v = self.values()
        self.query_one("#form-statement", TextArea).text = generate_statement(
            v["context"], v["mechanism"], v["outcome"]
        )

    def action_save(self) -> None:
        v = self.values()
        if not v["statement"]:
            v["statement"] = generate_statement(v["context"], v["mechanism"], v["outcome"])
        changed = {k: x for k, x in v.items() if x != (self.initial.get(k) or self._blank(k))}
        why = self.query_one("#form-why", Input).value.strip()
        if self.cmoc is not None:
            if not changed:
                self.notify("nothing changed", severity="warning")
                return
            if not why:
                self.notify(
                    "say why in the last field: it is kept in the history", severity="warning"
                )
                self.query_one("#form-why", Input).focus()
                return
        error = self.save_fn(changed if self.cmoc is not None else v, why)
        if error:
            self.notify(error, severity="error", timeout=8)
            return
        self.dismiss(True)

    @staticmethod
    def _blank(field: str) -> Any:
        return "" if field in TEXTS or field == "id" else None

    def action_cancel(self) -> None:
        self.dismiss(False)
