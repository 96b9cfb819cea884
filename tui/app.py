"""The Textual application: a home screen, registered screens, keyboard help on `?`."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from realist.services.context import Workspace
from tui.registry import ordered
from tui.screens import import_all
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen

import_all()


class RealistApp(App[None]):
    """Realist Workbench in the terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "Realist Workbench"
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws

    def on_mount(self) -> None:
        self.push_screen(HomeScreen(self.ws))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for d in ordered():
            yield SystemCommand(
                f"Go to {d.name}", d.description, lambda d=d: self.push_screen(d.factory(self.ws))
            )


def run_app(ws: Workspace) -> None:
    """Run the TUI on a workspace until the user quits."""
    RealistApp(ws).run()
