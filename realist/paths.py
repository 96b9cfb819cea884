"""Where the bundled files live."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_DATA = REPO_ROOT / "data"
BUNDLED_FILES = [
    BUNDLED_DATA / "review.yaml",
    BUNDLED_DATA / "studies.yaml",
    BUNDLED_DATA / "cmocs.yaml",
]
