"""The gallery of the bundled example's outputs, committed under docs/gallery.

    python -m exporters.gallery [DIR]      # or: realist export gallery [DIR]

Builds the example review in a temporary database and writes the overview diagram, one
cluster in detail, the PRISMA flow diagram and the CMOC table. The example holds no imported
records, so the PRISMA diagram is drawn from the flow the paper reports, and says so.
The DOT and Markdown files are byte-for-byte reproducible; the SVGs are too with the same
Graphviz version (recorded in graphviz-version.txt). tests/test_export_gallery.py checks
that the committed gallery is current.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from exporters import prisma, render, table_writers, tables, theory
from realist.services.context import Workspace

__all__ = ["GALLERY_CLUSTER", "build_gallery", "gallery_files"]

GALLERY_CLUSTER = 4  # Design: the cluster whose CMOCs link to each other
VERSION_FILE = "graphviz-version.txt"
EXAMPLE_NOTE = (
    "Counts as reported in the publication (the example review holds no imported records)"
)


def gallery_files(ws: Workspace) -> dict[str, bytes]:
    """The gallery's text files (DOT, Markdown) by file name, from the review in `ws`."""
    from exporters.api import build_prisma
    from realist.services.export_data import cmoc_rows, review_info
    from realist.services.theory import programme_theory

    info = review_info(ws)
    clusters = programme_theory(ws)
    overview = theory.build_graph(clusters, info.title, evidence=False, parts=False)
    detail = theory.build_graph(
        clusters, info.title, cluster=GALLERY_CLUSTER, evidence=False, parts=False
    )
    flow = build_prisma(ws, source="auto")
    if flow.note:  # the example's live counts are empty: the paper's flow, said plainly
        flow = replace(flow, note=EXAMPLE_NOTE)
    return {
        "theory-overview.dot": theory.to_dot(overview, "overview").encode("utf-8"),
        f"theory-cluster-{GALLERY_CLUSTER}-detailed.dot": theory.to_dot(detail, "detailed").encode(
            "utf-8"
        ),
        "prisma.dot": prisma.to_dot(flow).encode("utf-8"),
        "prisma.md": prisma.to_markdown(flow).encode("utf-8"),
        "cmocs.md": table_writers.to_markdown([tables.cmoc_table(cmoc_rows(ws))]).encode("utf-8"),
    }


def build_gallery(directory: Path) -> list[Path]:
    """Write the gallery into `directory`; returns the files written."""
    from realist.cli.core import create_demo
    from realist.services.context import resolve_review_id

    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="realist-gallery-") as tmp:
        store = create_demo(Path(tmp) / "demo.db")
        try:
            ws = Workspace(store, resolve_review_id(store))
            files = gallery_files(ws)
        finally:
            store.dispose()
    for name, data in files.items():
        path = directory / name
        path.write_bytes(data)
        written.append(path)
        if name.endswith(".dot"):
            svg = directory / name.replace(".dot", ".svg")
            svg.write_bytes(render.render(data.decode("utf-8"), "svg"))
            written.append(svg)
    version = directory / VERSION_FILE
    version.write_text(f"{render.dot_version() or 'unknown'}\n", encoding="utf-8")
    written.append(version)
    return written


def main(argv: list[str]) -> int:
    """Command-line entry: python -m exporters.gallery [DIR] (default docs/gallery)."""
    target = Path(argv[0]) if argv else Path("docs/gallery")
    for path in build_gallery(target):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
