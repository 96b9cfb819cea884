"""Screens of the app; each module registers itself with `tui.registry`."""

SCREEN_MODULES = [
    "tui.screens.studies",
    "tui.screens.cmocs",
]
