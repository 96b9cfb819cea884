"""Keyboard help on `?`: the keys of the screen underneath, and what it is for."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GLOBAL_KEYS = [
    ("?", "this help"),
    ("escape", "back / close"),
    ("q", "quit"),
    ("ctrl+p", "command palette"),
]


def _key_label(key: str) -> str:
    names = {
        "question_mark": "?",
        "escape": "esc",
        "space": "space",
        "enter": "enter",
        "slash": "/",
    }
    return ", ".join(names.get(k.strip(), k.strip()) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    """Lists the keys of the screen it was opened over."""

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close help"),
    ]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.target = screen

    def compose(self) -> ComposeResult:
        title = getattr(self.target, "HELP_TITLE", None) or self.target.__class__.__name__
        about = getattr(self.target, "HELP", "") or ""
        rows: list[str] = []
        seen: set[str] = set()
        for binding in self.target.BINDINGS:
            b = binding if isinstance(binding, Binding) else Binding(*binding)
            label = _key_label(b.key)
            if b.description and label not in seen:
                seen.add(label)
                rows.append(f"  [b]{label:<14}[/b] {b.description}")
        extra = getattr(self.target, "extra_help_rows", None)
        for key, what in extra() if callable(extra) else []:
            rows.append(f"  [b]{key:<14}[/b] {what}")
            seen.add(key)
        for key, what in GLOBAL_KEYS:
            if key not in seen:
                rows.append(f"  [b]{key:<14}[/b] {what}")
        body = f"[b]{title}[/b]\n\n{about.strip()}\n\n[b]Keys[/b]\n" + "\n".join(rows)
        with VerticalScroll(id="help-box"):
            yield Static(body, id="help-text")
