"""`realist` stays importable without the UI or the exporters (also enforced by ruff's TID253)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

CHECK = """
import importlib, pkgutil, sys
import realist
for mod in pkgutil.walk_packages(realist.__path__, "realist."):
    if ".migrations.versions" in mod.name or mod.name == "realist.migrations.env":
        continue  # alembic scripts run only inside alembic
    importlib.import_module(mod.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {"tui", "exporters", "textual"})
print(",".join(bad))
"""


def test_importing_every_realist_module_loads_no_ui_or_exporter() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"realist imported: {result.stdout.strip()}"


def test_ruff_bans_module_level_ui_imports_in_realist() -> None:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    banned = config["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-module-level-imports"]
    assert {"tui", "exporters"} <= set(banned)
    assert "TID" in config["tool"]["ruff"]["lint"]["select"]
