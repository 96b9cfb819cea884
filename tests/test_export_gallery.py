"""The committed gallery (docs/gallery) is what `python -m exporters.gallery` makes today."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from exporters.gallery import VERSION_FILE, build_gallery
from exporters.render import dot_version
from tests.conftest import REPO

GALLERY = REPO / "docs" / "gallery"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
def test_committed_gallery_is_current(tmp_path: Path) -> None:
    fresh = tmp_path / "gallery"
    written = build_gallery(fresh)
    names = sorted(p.name for p in written)
    assert {"theory-overview.svg", "theory-cluster-4-detailed.svg", "prisma.svg"} <= set(names)
    same_graphviz = (GALLERY / VERSION_FILE).read_text().strip() == dot_version()
    stale = []
    for name in names:
        if name == VERSION_FILE:
            continue
        committed = GALLERY / name
        assert committed.exists(), f"docs/gallery/{name} is missing"
        if name.endswith(".svg") and not same_graphviz:
            # Another Graphviz lays out differently: the DOT comparison covers the content.
            ET.fromstring(committed.read_bytes())
            continue
        if committed.read_bytes() != (fresh / name).read_bytes():
            stale.append(name)
    assert not stale, (
        f"docs/gallery is out of date ({', '.join(stale)}): run `python -m exporters.gallery`"
    )


def test_gallery_svgs_show_the_example() -> None:
    overview = " ".join(
        t.text or ""
        for t in ET.fromstring((GALLERY / "theory-overview.svg").read_bytes()).iter(f"{SVG}text")
    )
    for label in ("1A", "1B", "5", "9", "10C", "11B", "12", "15"):
        assert f" {label} " in f" {overview} "
    prisma = " ".join(
        (t.text or "")
        for t in ET.fromstring((GALLERY / "prisma.svg").read_bytes()).iter(f"{SVG}text")
    )
    assert "Counts as reported in the publication" in prisma
    assert "9,859" in prisma and "36" in prisma
