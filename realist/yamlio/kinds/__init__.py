"""Extra YAML kinds (records, screening, coding, audit, ...). Each module here registers its
schema (`register_kind`), loader (`register_applier`) and writer (`register_writer`) on import;
`realist.yamlio.loader` and `realist.yamlio.writer` import them all."""

from __future__ import annotations

import importlib
import pkgutil


def import_all() -> None:
    """Import every kind module in this package (idempotent)."""
    for mod in pkgutil.iter_modules(__path__, __name__ + "."):
        importlib.import_module(mod.name)
