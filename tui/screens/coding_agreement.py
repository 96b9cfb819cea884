"""Second-coder agreement on a document, per code, in a modal."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from realist.services.coder_agreement import CodeAgreement, CoderComparison
from tui.screens.coding_picker import MODAL_CSS


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def comparison_text(results: list[CoderComparison]) -> str:
    """The comparison tables as Rich markup."""
    if not results:
        return "Only one coder has coded this document: there is nothing to compare yet."
    out: list[str] = []
    for r in results:
        out.append(f"[b]{escape(r.coder_a)} (A) and {escape(r.coder_b)} (B)[/b]")
        width = max([20, *(min(len(x.code), 36) for x in r.rows)])
        out.append(
            f"[dim]{'code':<{width}} {'both':>6} {'A only':>6} {'B only':>6} "
            f"{'agree':>7} {'kappa':>6} {'Jaccard':>7}[/dim]"
        )
        rows: list[CodeAgreement] = list(r.rows)
        if r.overall is not None:
            rows.append(r.overall)
        for x in rows:
            code = x.code if len(x.code) <= width else x.code[: width - 1] + "…"
            out.append(
                f"{escape(code):<{width}} {x.both:>6} {x.a_only:>6} {x.b_only:>6} "
                f"{_pct(x.percent_agreement):>7} {_num(x.kappa):>6} {_num(x.jaccard):>7}"
            )
        out.extend(f"[$warning]{escape(w)}[/]" for w in r.warnings)
        out.append("")
    out.append(
        "[dim]Units are characters of the full text, as in NVivo's coding comparison: agreement = "
        "(both + neither) / characters; kappa = Cohen's kappa on that table; Jaccard = both / "
        "(both + A only + B only).[/dim]"
    )
    return "\n".join(out)


class AgreementScreen(ModalScreen[None]):
    """Shows how two coders' codes overlap on one document."""

    DEFAULT_CSS = (
        "AgreementScreen {" + MODAL_CSS + "}\n#agreement-box { height: auto; max-height: 90%; }"
    )
    HELP_TITLE = "Coder agreement"
    HELP = (
        "Per-code agreement between two reviewers who coded the same document, character by "
        "character: characters both coded, only one coded, percentage agreement, Cohen's kappa "
        "and Jaccard overlap."
    )
    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, title: str, results: list[CoderComparison]) -> None:
        super().__init__()
        self.title_text = title
        self.results = results

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="agreement-box"):
            yield Static(escape(self.title_text), classes="modal-title")
            yield Static(comparison_text(self.results), id="agreement-text")

    def action_close(self) -> None:
        self.dismiss(None)
