"""Full texts: extract text (with page boundaries) from PDF, DOCX, TXT/MD and attach it to a
document, or record that a report could not be retrieved (PRISMA counts it)."""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from realist.db.models import Document, FullText, Record
from realist.domain import Retrieval, Role
from realist.errors import InvalidInputError, NotFoundError
from realist.services import audit
from realist.services.context import Workspace

PAGE_BREAK = "\n\f\n"  # between pages in the stored text; offsets of page starts are kept too
FORMATS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".text": "txt",
}


@dataclass(frozen=True)
class Extracted:
    """Text pulled out of a file, with the offset where each page starts (PDF) or [0]."""

    text: str
    page_starts: list[int]
    format: str


def _extract_pdf(path: Path) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise InvalidInputError(
                    f"{path}: the PDF is encrypted; save an unlocked copy"
                ) from None
        pages = [(page.extract_text() or "").strip("\n") for page in reader.pages]
    except PdfReadError as exc:
        raise InvalidInputError(f"{path}: not a readable PDF ({exc})") from None
    except InvalidInputError:
        raise
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise InvalidInputError(
            f"{path}: the PDF could not be read ({type(exc).__name__}: {exc})"
        ) from None
    if not any(p.strip() for p in pages):
        raise InvalidInputError(
            f"{path}: no text could be extracted from {len(pages)} page(s) (a scanned PDF? run OCR first)"
        )
    starts, chunks, offset = [], [], 0
    for i, page in enumerate(pages):
        if i:
            chunks.append(PAGE_BREAK)
            offset += len(PAGE_BREAK)
        starts.append(offset)
        chunks.append(page)
        offset += len(page)
    return Extracted("".join(chunks), starts, "pdf")


def _extract_docx(path: Path) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise InvalidInputError(f"{path}: not a readable DOCX file ({exc})") from None
    except Exception as exc:
        raise InvalidInputError(
            f"{path}: the DOCX could not be read ({type(exc).__name__})"
        ) from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    text = "\n".join(parts).strip("\n")
    if not text.strip():
        raise InvalidInputError(f"{path}: the document holds no text")
    return Extracted(text, [0], "docx")


def _extract_text(path: Path, fmt: str) -> Extracted:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise InvalidInputError(f"{path}: not text in any encoding we recognise") from None
        text = str(best)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidInputError(f"{path}: the file is empty")
    return Extracted(text, [0], fmt)


def extract(path: Path) -> Extracted:
    """Text of a PDF (page by page), DOCX, TXT or Markdown file."""
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInputError(
            f"{path}: unsupported file type {path.suffix or '(none)'}; use PDF, DOCX, TXT or MD"
        )
    if fmt == "pdf":
        return _extract_pdf(path)
    if fmt == "docx":
        return _extract_docx(path)
    return _extract_text(path, fmt)


def page_of(page_starts: list[int], offset: int) -> int:
    """1-based page number holding the character at `offset`."""
    if not page_starts:
        return 1
    return max(1, bisect.bisect_right(page_starts, offset))


@dataclass(frozen=True)
class AttachResult:
    document_id: int
    ref: str
    full_text_id: int
    pages: int
    chars: int
    format: str


def document_for_record(s: Session, ws: Workspace, record_id: int) -> Document:
    """The document standing for a record (created from its bibliographic fields if missing)."""
    record = s.get(Record, record_id)
    if record is None or record.review_id != ws.review_id:
        raise NotFoundError(f"no record {record_id} in this review")
    doc = s.scalars(select(Document).where(Document.record_id == record_id)).first()
    if doc is None:
        position = len(
            list(s.scalars(select(Document.id).where(Document.review_id == ws.review_id)))
        )
        doc = Document(
            review_id=ws.review_id,
            record_id=record_id,
            ref=f"R{record_id}",
            authors=list(record.authors or []),
            title=record.title,
            journal=record.journal,
            year=record.year,
            volume=record.volume,
            issue=record.issue,
            pages=record.pages,
            doi=record.doi,
            url=record.url,
            position=position,
            progress_plus=[],
        )
        s.add(doc)
        s.flush()
    return doc


def _document(s: Session, ws: Workspace, record_id: int | None, ref: str | None) -> Document:
    if record_id is not None:
        return document_for_record(s, ws, record_id)
    doc = s.scalars(
        select(Document).where(Document.review_id == ws.review_id, Document.ref == ref)
    ).first()
    if doc is None:
        raise NotFoundError(f"no document with ref {ref!r} in this review")
    return doc


def attach_file(
    ws: Workspace, path: Path, *, record_id: int | None = None, document_ref: str | None = None
) -> AttachResult:
    """Extract `path` and make it the current full text of a record's (or a document's) document."""
    if (record_id is None) == (document_ref is None):
        raise InvalidInputError("attach to either a record or a document ref")
    ws.require_role(Role.LEAD, Role.REVIEWER, Role.CODER, action="attach full texts")
    extracted = extract(path)  # before the transaction: a bad file changes nothing
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with ws.store.transaction() as s:
        doc = _document(s, ws, record_id, document_ref)
        s.execute(update(FullText).where(FullText.document_id == doc.id).values(is_current=False))
        ft = FullText(
            document_id=doc.id,
            file_name=path.name,
            sha256=digest,
            format=extracted.format,
            text=extracted.text,
            page_starts=extracted.page_starts,
            added_by_id=ws.actor.id if ws.actor else None,
        )
        s.add(ft)
        doc.retrieval = Retrieval.RETRIEVED.value
        s.flush()
        audit.log(
            s,
            ws,
            "fulltext.attach",
            "document",
            doc.id,
            file=path.name,
            sha256=digest,
            pages=len(extracted.page_starts),
        )
        return AttachResult(
            doc.id,
            doc.ref,
            ft.id,
            len(extracted.page_starts),
            len(extracted.text),
            extracted.format,
        )


def mark_not_retrieved(ws: Workspace, record_id: int, note: str | None = None) -> int:
    """Record that a report sought for retrieval could not be obtained; returns the document id."""
    ws.require_role(Role.LEAD, Role.REVIEWER, action="mark reports not retrieved")
    with ws.store.transaction() as s:
        doc = document_for_record(s, ws, record_id)
        doc.retrieval = Retrieval.NOT_RETRIEVED.value
        audit.log(s, ws, "fulltext.not_retrieved", "document", doc.id, record=record_id, note=note)
        return doc.id


@dataclass(frozen=True)
class FullTextView:
    id: int
    document_id: int
    file_name: str
    format: str
    text: str
    page_starts: list[int]

    def page_of(self, offset: int) -> int:
        return page_of(self.page_starts, offset)


def current_full_text(ws: Workspace, document_id: int) -> FullTextView | None:
    """The current full text of a document, or None when none is attached."""
    with ws.store.read() as s:
        ft = s.scalars(
            select(FullText).where(FullText.document_id == document_id, FullText.is_current)
        ).first()
        if ft is None:
            return None
        return FullTextView(
            ft.id, ft.document_id, ft.file_name, ft.format, ft.text, list(ft.page_starts or [])
        )
