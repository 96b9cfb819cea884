"""Builders for coding tests: a short paper attached to a document of the example review, a
small code tree, and excerpts cut from phrases of the text. Nothing here asserts anything."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from realist.db.store import Store
from realist.services.codes import add_code
from realist.services.context import Workspace, resolve_actor, resolve_review_id
from realist.services.excerpts import ExcerptView, create_excerpt
from realist.services.fulltext import AttachResult, attach_file, current_full_text
from tests.factories import make_pdf

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "coding"

_TEMPLATE: dict[str, Path] = {}


def demo_copy(directory: Path) -> Workspace:
    """The bundled example review acting as LLJ, like conftest's `demo_ws`, but copied from a
    database built once per test run (building it takes most of a second; copying, a millisecond)."""
    if "path" not in _TEMPLATE:
        from realist.cli.core import create_demo

        path = Path(tempfile.mkdtemp(prefix="realist-coding-")) / "demo.db"
        create_demo(path).dispose()
        con = sqlite3.connect(path)  # fold the WAL into the file so one copy holds everything
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        _TEMPLATE["path"] = path
    target = directory / "demo.db"
    shutil.copyfile(_TEMPLATE["path"], target)
    store = Store(f"sqlite:///{target}")
    return Workspace(store, resolve_review_id(store), resolve_actor(store, "LLJ"))


# Three pages of an invented QI report (one PDF line per text line).
PAGES = [
    "Background\n"
    "Clinic staff said equity was a core part of quality improvement.\n"
    "Leaders were vocal about racial inequity in blood pressure control.",
    "Methods\n"
    "Staff lacked protected time for equity work in busy clinics.\n"
    "Data were stratified by race and ethnicity to find gaps.",
    "Results\n"
    "Stratified dashboards showed a gap that narrowed over two years.\n"
    "Without training, teams did not act on the stratified data.",
]


def attach_pages(
    ws: Workspace, ref: str, tmp_path: Path, pages: list[str] | None = None
) -> AttachResult:
    """Attach a PDF made of `pages` (default PAGES) to the document with this ref."""
    pdf = make_pdf(tmp_path / f"doc-{ref}-{len(pages or PAGES)}.pdf", pages or PAGES)
    return attach_file(ws, pdf, document_ref=ref)


def seed_codes(ws: Workspace) -> dict[str, int]:
    """A small tree: Values > Equity as core; Resources > Time, Training; Data (inductive)."""
    ids: dict[str, int] = {}
    ids["Values"] = add_code(
        ws, "Values", origin="deductive", description="Values and understanding"
    ).id
    ids["Equity as core"] = add_code(
        ws, "Equity as core", parent_id=ids["Values"], origin="deductive"
    ).id
    ids["Resources"] = add_code(ws, "Resources", origin="deductive").id
    ids["Time"] = add_code(ws, "Time", parent_id=ids["Resources"], origin="deductive").id
    ids["Training"] = add_code(ws, "Training", parent_id=ids["Resources"]).id
    ids["Data"] = add_code(ws, "Data", description="Stratified data").id
    return ids


def span_of(ws: Workspace, document_id: int, phrase: str) -> tuple[int, int]:
    """Offsets of `phrase` in the document's current full text."""
    view = current_full_text(ws, document_id)
    assert view is not None, "attach a text first"
    start = view.text.index(phrase)
    return start, start + len(phrase)


def code_phrase(
    ws: Workspace, document_id: int, phrase: str, code_ids: list[int], **fields: str
) -> ExcerptView:
    """Code the first occurrence of `phrase` with `code_ids`."""
    start, end = span_of(ws, document_id, phrase)
    return create_excerpt(ws, document_id, start, end, code_ids, **fields)
