"""Modal pickers for building the programme theory: a CMOC (to link an excerpt to, or to link
another CMOC to) and an excerpt (to link to a CMOC), each followed by one key for the role
(context, mechanism, outcome) or the kind of link. Linking an excerpt, the CMOC picker can also
offer "new CMOC…": the caller then opens the CMOC form and links the excerpt to what it creates."""

from __future__ import annotations

from dataclasses import dataclass

from rich.markup import escape
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from realist.services.excerpts import ExcerptView
from realist.services.theory import CmocView
from tui.screens.coding_picker import MODAL_CSS

ROLE_KEYS = {"c": "C", "m": "M", "o": "O"}
ROLE_NAMES = {"C": "context", "M": "mechanism", "O": "outcome"}
LINK_KEYS = {"l": "leads_to", "s": "supports", "x": "conflicts"}


@dataclass(frozen=True)
class PickedCmoc:
    """The CMOC chosen and the role or link kind; `new` when "new CMOC…" was chosen (the label
    is then empty: the caller creates the CMOC)."""

    label: str
    choice: str  # an evidence role (C/M/O) or a link kind
    new: bool = False


class NewCmocEntry:
    """The "new CMOC…" line of the CMOC picker (one instance, `NEW_CMOC`)."""

    PROMPT = "+    new CMOC… (create it in the form, then link)"
    HAYSTACK = "new cmoc"


NEW_CMOC = NewCmocEntry()


@dataclass(frozen=True)
class PickedExcerpt:
    excerpt_id: int
    role: str


def _flat(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class _TwoStepPicker(ModalScreen[object]):
    """Filter a list, enter picks an item, then one key picks the role or kind."""

    DEFAULT_CSS = (
        "_TwoStepPicker {" + MODAL_CSS + "}\n.picker-options { height: auto; max-height: 22; }"
    )
    BINDINGS = [
        Binding("escape", "cancel", "Cancel / back"),
        Binding("down", "to_list", "Into the list", show=False),
    ]
    CHOICES: dict[str, str] = {}
    CHOICE_NAMES: dict[str, str] = {}

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title
        self.items: list[object] = []
        self.shown: list[int] = []
        self.picked: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.title_text), classes="modal-title", id="picker-title")
            yield Input(placeholder="filter…", id="picker-search")
            yield OptionList(id="picker-options", classes="picker-options")
            yield Static(self._hint(), classes="modal-hint", id="picker-hint")

    def _hint(self) -> str:
        return "type to filter · enter choose · esc cancel"

    def prompt(self, item: object) -> str:
        raise NotImplementedError

    def haystack(self, item: object) -> str:
        raise NotImplementedError

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-search", Input).focus()

    def _fill(self, query: str) -> None:
        words = query.casefold().split()
        self.shown = [
            i for i, item in enumerate(self.items)
            if all(w in self.haystack(item).casefold() for w in words)
        ]  # fmt: skip
        box = self.query_one("#picker-options", OptionList)
        box.clear_options()
        box.add_options([Option(Text(self.prompt(self.items[i])), id=str(i)) for i in self.shown])
        box.border_title = f"{len(self.shown)} of {len(self.items)}"
        if self.shown:
            box.highlighted = 0

    @on(Input.Changed, "#picker-search")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-search")
    def _submitted(self) -> None:
        box = self.query_one("#picker-options", OptionList)
        if self.shown:
            self._pick(self.shown[box.highlighted or 0])

    @on(OptionList.OptionSelected, "#picker-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None and self.picked is None:
            self._pick(int(event.option.id))

    def _pick(self, index: int) -> None:
        if not self.CHOICES:
            self.finish(index, "")
            return
        self.picked = index
        keys = " · ".join(f"[b]{k}[/b] {name}" for k, name in self.CHOICE_NAMES.items())
        self.query_one("#picker-title", Static).update(
            f"{escape(self.title_text)}\n[b]{escape(self.prompt(self.items[index]))}[/b]"
        )
        self.query_one("#picker-hint", Static).update(f"{keys} · esc back")
        self.query_one("#picker-search", Input).display = False
        box = self.query_one("#picker-options", OptionList)
        box.display = False
        self.set_focus(None)

    def on_key(self, event: events.Key) -> None:
        if self.picked is not None and event.key in self.CHOICES:
            event.stop()
            self.finish(self.picked, self.CHOICES[event.key])

    def finish(self, index: int, choice: str) -> None:
        raise NotImplementedError

    def action_to_list(self) -> None:
        if self.picked is None:
            self.query_one("#picker-options", OptionList).focus()

    def action_cancel(self) -> None:
        if self.picked is not None:
            self.picked = None
            self.query_one("#picker-title", Static).update(escape(self.title_text))
            self.query_one("#picker-hint", Static).update(self._hint())
            search = self.query_one("#picker-search", Input)
            search.display = True
            self.query_one("#picker-options", OptionList).display = True
            search.focus()
            return
        self.dismiss(None)


class CmocPickerScreen(_TwoStepPicker):
    """Choose a CMOC, then the role of the evidence (c/m/o) or the kind of link (l/s/x)."""

    HELP_TITLE = "Choose a CMOC"
    HELP = (
        "Type to filter the CMOCs by id, cluster or words of their statement; enter chooses the "
        "highlighted one. Then press c, m or o to link the excerpt as evidence for the CMOC's "
        "context, mechanism or outcome (or l, s, x for a leads-to, supports or conflicts link). "
        "Linking an excerpt, the last line (or ctrl+n) is “new CMOC…”: choose it and the role, "
        "fill in the CMOC form, and the excerpt is linked to the new CMOC."
    )
    BINDINGS = [Binding("ctrl+n", "new_cmoc", "New CMOC, then link")]

    def __init__(
        self, title: str, cmocs: list[CmocView], *, links: bool = False, allow_new: bool = False
    ) -> None:
        super().__init__(title)
        self.allow_new = allow_new
        self.items = [*cmocs, NEW_CMOC] if allow_new else list(cmocs)
        self.CHOICES = dict(LINK_KEYS if links else ROLE_KEYS)
        self.CHOICE_NAMES = (
            {"l": "leads to", "s": "supports", "x": "conflicts with"}
            if links
            else {"c": "context", "m": "mechanism", "o": "outcome"}
        )

    def _hint(self) -> str:
        extra = " · ctrl+n new CMOC" if self.allow_new else ""
        return f"type to filter · enter choose{extra} · esc cancel"

    def prompt(self, item: object) -> str:
        if isinstance(item, NewCmocEntry):
            return item.PROMPT
        assert isinstance(item, CmocView)
        return f"{item.label:<4} {_flat(item.outcome or item.statement, 70)}"

    def haystack(self, item: object) -> str:
        if isinstance(item, NewCmocEntry):
            return item.HAYSTACK
        assert isinstance(item, CmocView)
        return f"{item.label} {item.cluster_name or ''} {item.statement}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """ctrl+n only where "new CMOC…" is offered and before the role is asked."""
        if action == "new_cmoc":
            return self.allow_new and self.picked is None
        return True

    def action_new_cmoc(self) -> None:
        """Choose "new CMOC…" whatever the filter shows; the role key comes next."""
        self._pick(self.items.index(NEW_CMOC))

    def finish(self, index: int, choice: str) -> None:
        item = self.items[index]
        if isinstance(item, NewCmocEntry):
            self.dismiss(PickedCmoc("", choice, new=True))
            return
        assert isinstance(item, CmocView)
        self.dismiss(PickedCmoc(item.label, choice))


class ExcerptPickerScreen(_TwoStepPicker):
    """Choose an excerpt, then whether it is evidence for the context, mechanism or outcome.

    With `role` given (unlinking), the choice is the excerpt alone."""

    HELP_TITLE = "Choose an excerpt"
    HELP = (
        "Type to filter excerpts by document, code, coder or words of their text; enter chooses "
        "the highlighted one; then c, m or o says which part of the CMOC it supports."
    )

    def __init__(
        self, title: str, excerpts: list[ExcerptView], *, roles: list[str] | None = None
    ) -> None:
        super().__init__(title)
        self.items = list(excerpts)
        self.roles = roles
        if roles is None:
            self.CHOICES = dict(ROLE_KEYS)
            self.CHOICE_NAMES = {"c": "context", "m": "mechanism", "o": "outcome"}

    def prompt(self, item: object) -> str:
        assert isinstance(item, ExcerptView)
        index = self.items.index(item)
        role = f"{self.roles[index]} " if self.roles else ""
        page = f"p.{item.page}" if item.page else "p.?"
        text = _flat(item.text, 56)
        return f"{role}#{item.id:<3} {item.document_ref:>4} {page:<5} {text}  · {_flat(item.code_names, 30)}"

    def haystack(self, item: object) -> str:
        assert isinstance(item, ExcerptView)
        return (
            f"#{item.id} {item.document_ref} {item.document_short} {item.code_names} "
            f"{item.coder or ''} {item.text} {item.memo or ''}"
        )

    def finish(self, index: int, choice: str) -> None:
        item = self.items[index]
        assert isinstance(item, ExcerptView)
        self.dismiss(PickedExcerpt(item.id, choice or (self.roles[index] if self.roles else "")))
