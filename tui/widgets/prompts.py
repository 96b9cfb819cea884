"""Small modal dialogs: one line of text, or one choice from a list (exclusion reasons)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text; enter returns it, escape returns None."""

    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical {
        width: 80%; max-width: 100; height: auto;
        border: thick $accent; background: $panel; padding: 1 2;
    }
    TextPrompt .prompt-help { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{self.title_text}[/b]")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            if self.hint:
                yield Static(self.hint, classes="prompt-help")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoicePicker(ModalScreen[str | None]):
    """Pick one of (id, label) choices with the arrows (or its number) and enter; escape
    returns None."""

    DEFAULT_CSS = """
    ChoicePicker { align: center middle; }
    ChoicePicker > Vertical {
        width: 80%; max-width: 110; height: auto; max-height: 80%;
        border: thick $accent; background: $panel; padding: 1 2;
    }
    ChoicePicker OptionList { height: auto; max-height: 20; }
    ChoicePicker .prompt-help { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        choices: list[tuple[str, str]],
        selected: str | None = None,
        hint: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.selected = selected
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{self.title_text}[/b]")
            yield OptionList(
                *[
                    Option(f"{i + 1:>2}. {label}" if i < 9 else f"    {label}", id=cid)
                    for i, (cid, label) in enumerate(self.choices)
                ],
                id="choices",
            )
            if self.hint:
                yield Static(self.hint, classes="prompt-help")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [cid for cid, _ in self.choices]
        options.highlighted = ids.index(self.selected) if self.selected in ids else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        char = event.character
        if char and char.isdigit() and char != "0" and int(char) <= len(self.choices):
            event.stop()
            self.dismiss(self.choices[int(char) - 1][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
