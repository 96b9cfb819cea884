"""Screens of the app. Each module registers itself with `tui.registry` when imported;
`import_all()` imports every module of this package, so a new screen is one new file."""

from __future__ import annotations

import importlib
import pkgutil


def import_all() -> None:
    """Import every screen module (idempotent)."""
    for mod in pkgutil.iter_modules(__path__, __name__ + "."):
        importlib.import_module(mod.name)
