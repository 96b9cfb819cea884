"""Shared fixtures. Tests never depend on the developer's own config or database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """The reference data folder (../shared/data), or None when this checkout has none."""
    env = os.environ.get("REALIST_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture
def shared_data() -> Path:
    """Path to ../shared/data; the test is skipped (with the reason) when it is absent."""
    d = shared_data_dir()
    if d is None:
        pytest.skip("../shared/data is not present in this checkout (set REALIST_SHARED_DATA)")
    return d


@pytest.fixture(autouse=True)
def _isolate_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Hide the developer's REALIST_* settings and config so results never depend on the machine."""
    for key in list(os.environ):
        if key.startswith("REALIST_") and key not in {"REALIST_TEST_PG_URL", "REALIST_SHARED_DATA"}:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("REALIST_CONFIG_DIR", str(tmp_path / "config"))
