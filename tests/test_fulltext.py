"""Full texts: extraction with page numbers, attaching to records and documents, not retrieved."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from realist.db.models import AuditEntry, Document, FullText
from realist.errors import InvalidInputError, PermissionDeniedError
from realist.services.context import Actor, Workspace
from realist.services.fulltext import (
    attach_file,
    current_full_text,
    extract,
    mark_not_retrieved,
    page_of,
)
from tests.factories import make_docx, make_pdf, make_records


def test_pdf_pages_are_kept(tmp_path: Path) -> None:
    pdf = make_pdf(
        tmp_path / "a.pdf", ["First page text", "Second page (with parentheses)", "Third"]
    )
    ex = extract(pdf)
    assert ex.format == "pdf"
    assert len(ex.page_starts) == 3
    second = ex.text.index("Second page")
    assert page_of(ex.page_starts, second) == 2
    assert page_of(ex.page_starts, 0) == 1
    assert page_of(ex.page_starts, ex.text.index("Third")) == 3
    assert ex.text[ex.page_starts[1] :].startswith("Second page (with parentheses)")


def test_docx_and_text_files(tmp_path: Path) -> None:
    docx = make_docx(tmp_path / "a.docx", ["Heading", "Staff lacked time for equity work."])
    assert "Staff lacked time" in extract(docx).text
    latin = tmp_path / "notes.txt"
    latin.write_bytes(
        "Café résumé naïve façade — staff noted the São Paulo site.\r\n".encode("cp1252")
    )
    text = extract(latin).text
    assert "Café résumé" in text and "\r" not in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.odt", b"x", "unsupported file type .odt"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("empty.txt", b"   \n", "empty"),
        ("bad.docx", b"not a zip", "not a readable DOCX"),
    ],
)
def test_bad_files_get_a_clear_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInputError, match=message):
        extract(path)


def test_attach_to_record_creates_its_document(demo_ws: Workspace, tmp_path: Path) -> None:
    rid = make_records(demo_ws, 3)[1]
    pdf = make_pdf(tmp_path / "full.pdf", ["Intro", "Methods: interviews with staff"])
    result = attach_file(demo_ws, pdf, record_id=rid)
    assert result.pages == 2 and result.ref == f"R{rid}"
    view = current_full_text(demo_ws, result.document_id)
    assert view is not None and "interviews with staff" in view.text
    assert view.page_of(view.text.index("Methods")) == 2
    # A second attach replaces the current text but keeps the old one.
    result2 = attach_file(demo_ws, make_docx(tmp_path / "v2.docx", ["Version two"]), record_id=rid)
    assert result2.document_id == result.document_id
    with demo_ws.store.read() as s:
        texts = s.scalars(select(FullText).where(FullText.document_id == result.document_id)).all()
        assert [t.is_current for t in texts] == [False, True]
        assert s.get(Document, result.document_id).retrieval == "retrieved"
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("fulltext.%"))
        ).all()
        assert actions == ["fulltext.attach", "fulltext.attach"]


def test_attach_to_bundled_study_by_ref(demo_ws: Workspace, tmp_path: Path) -> None:
    txt = tmp_path / "burkitt.txt"
    txt.write_text("Some staff questioned targeting resources at black veterans.")
    result = attach_file(demo_ws, txt, document_ref="24")
    assert result.ref == "24"


def test_bad_file_changes_nothing(demo_ws: Workspace, tmp_path: Path) -> None:
    rid = make_records(demo_ws, 1)[0]
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"garbage")
    with pytest.raises(InvalidInputError):
        attach_file(demo_ws, bad, record_id=rid)
    with demo_ws.store.read() as s:
        assert (
            s.scalar(select(func.count()).select_from(Document).where(Document.record_id == rid))
            == 0
        )


def test_not_retrieved_is_recorded(demo_ws: Workspace) -> None:
    rid = make_records(demo_ws, 1)[0]
    doc_id = mark_not_retrieved(demo_ws, rid, note="library could not supply")
    with demo_ws.store.read() as s:
        assert s.get(Document, doc_id).retrieval == "not_retrieved"


def test_observers_cannot_attach(demo_ws: Workspace, tmp_path: Path) -> None:
    observer = demo_ws.with_actor(Actor(99, "OBS", "observer"))
    txt = tmp_path / "a.txt"
    txt.write_text("text")
    with pytest.raises(PermissionDeniedError, match="OBS \\(observer\\) may not attach"):
        attach_file(observer, txt, document_ref="23")
