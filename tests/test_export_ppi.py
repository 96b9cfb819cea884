"""The PPI panel pack: a self-contained, escaped HTML page and a printable PDF."""

from __future__ import annotations

import html
import importlib
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from exporters import ppi
from realist.services.context import Workspace
from realist.services.export_data import review_info
from realist.services.theory import programme_theory
from tests.factories_exports import add_document, bundled_cmocs, set_cmoc

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


class Page(HTMLParser):
    """Tags, attributes and text of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def pack(ws: Workspace, out: Path, pdf: bool = False) -> ppi.PpiPack:
    return ppi.write_pack(programme_theory(ws), review_info(ws), out, pdf=pdf)


def test_html_is_self_contained(demo_ws: Workspace, tmp_path: Path) -> None:
    result = pack(demo_ws, tmp_path / "pack")
    assert result.pdf is None
    page = Page(result.html.read_text(encoding="utf-8"))
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert "svg" in page.tags  # the overview diagram is inline
    for name, value in page.attrs:
        if name in {"src", "href", "xlink:href"}:
            assert value.startswith("#"), f"external reference {name}={value!r}"
        assert not name.startswith("on"), f"event handler attribute {name}"
    assert "@import" not in result.html.read_text() and "url(" not in result.html.read_text()


def test_one_section_per_cluster_with_summaries_refs_and_comment_boxes(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    text = pack(demo_ws, tmp_path / "pack").html.read_text(encoding="utf-8")
    page = Page(text)
    words = page.words
    for heading in (
        "Group 1: Values and Understanding",
        "Group 2: Resources",
        "Group 3: Data",
        "Group 4: Design",
    ):
        assert heading in words
    assert text.count('<section class="cluster"') == 4
    for c in bundled_cmocs():
        assert f"Idea {c['id']}" in words
        assert " ".join(c["plain_summary"].split()) in words
        assert f"Your comments on idea {c['id']}:" in words
    assert text.count('class="comments"') == 20
    cited = {ref for c in bundled_cmocs() for ref in c["documents"]}
    assert text.count('<li id="ref-') == len(cited)
    # CMOC 15 cites only reference 39 (Brown et al.), listed under its pack number.
    assert (
        "Can reduce health inequalities" in words and "May make health inequalities worse" in words
    )
    assert "Brown" in words and "(reference 39 in the review)" in words
    assert (
        "A blue box with a solid border" in words and "An orange box with a dashed border" in words
    )


def test_missing_summary_falls_back_to_the_statement_marked(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    set_cmoc(demo_ws, "7B", plain_summary=None)
    words = Page(pack(demo_ws, tmp_path / "p").html.read_text(encoding="utf-8")).words
    statement = next(c["statement"] for c in bundled_cmocs() if c["id"] == "7B")
    assert "In the researchers’ words (no plain-language summary has been written yet):" in words
    assert statement in words
    assert words.count("In the researchers’ words") == 1  # the other 19 have summaries


def test_markup_in_the_review_is_shown_not_run(demo_ws: Workspace, tmp_path: Path) -> None:
    set_cmoc(demo_ws, "1A", plain_summary="<script>alert('pwned')</script> & <b>bold</b>")
    add_document(
        demo_ws,
        "X9",
        title='<img src=x onerror="alert(1)"> Study',
        authors=["O'Neill J"],
        cited_by=("1A",),
    )
    from realist.db.models import Review

    with demo_ws.store.transaction() as s:
        review = s.get(Review, demo_ws.review_id)
        assert review is not None
        review.title = "Review <script>document.write('x')</script>"
    text = pack(demo_ws, tmp_path / "p").html.read_text(encoding="utf-8")
    page = Page(text)
    assert "script" not in page.tags and "img" not in page.tags
    assert "<b>bold</b>" not in text and "&lt;b&gt;bold&lt;/b&gt;" in text
    assert html.escape("<script>alert('pwned')</script>", quote=True) in text
    assert "<script>alert('pwned')</script> & <b>bold</b>" in page.words
    assert '<img src=x onerror="alert(1)"> Study' in page.words
    assert not any(name.startswith("on") for name, _ in page.attrs)


def test_printable_pdf(demo_ws: Workspace, tmp_path: Path) -> None:
    result = pack(demo_ws, tmp_path / "pack", pdf=True)
    assert result.pdf is not None and result.pdf.read_bytes().startswith(b"%PDF")
    reader = PdfReader(str(result.pdf))
    assert len(reader.pages) >= 2 + 4 + 1  # guide, overview, clusters, references
    first, second = reader.pages[0], reader.pages[1]
    assert float(second.mediabox.width) > float(second.mediabox.height)  # overview: landscape
    assert float(first.mediabox.width) < float(first.mediabox.height)
    text = " ".join(p.extract_text() for p in reader.pages)
    for c in bundled_cmocs():
        assert f"Idea {c['id']}" in text
    assert "Your comments on idea 15" in text


def test_missing_pango_gives_one_clear_message(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.import_module

    def fake_import(name: str, *args: Any) -> Any:
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': no such file")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(ppi.PdfUnavailableError) as err:
        pack(demo_ws, tmp_path / "pack", pdf=True)
    message = str(err.value)
    assert (
        "libpango" in message and "apt-get install" in message and "brew install pango" in message
    )
    assert str(tmp_path / "pack" / "ppi-pack.html") in message
    assert (tmp_path / "pack" / "ppi-pack.html").exists()
    assert not (tmp_path / "pack" / "ppi-pack.pdf").exists()
