"""Builders for test data: records in a review, and small PDF / DOCX files.

Shared by every test module (import from `tests.factories`); nothing here asserts anything.
"""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import insert

from realist.db.models import ImportBatch, Record
from realist.services.context import Workspace

TOPICS = [
    "quality improvement", "health inequalities", "racial disparities", "blood pressure control",
    "diabetes care", "maternal morbidity", "depression treatment", "cancer screening",
    "primary care", "emergency department", "socioeconomic status", "rural hospitals",
]  # fmt: skip
JOURNALS = ["BMJ Qual Saf", "Pediatrics", "Health Serv Res", "Am J Med Qual", "Ann Fam Med"]
SURNAMES = ["Smith", "Jones", "Garcia", "Nguyen", "Okafor", "Müller", "Kowalski", "Chen", "Ford"]


def make_records(
    ws: Workspace,
    n: int,
    *,
    seed: int = 0,
    source_db: str = "MEDLINE",
    file_name: str = "search.ris",
) -> list[int]:
    """Insert `n` plausible records in one import batch; returns their ids in file order."""
    rng = random.Random(seed)
    with ws.store.transaction() as s:
        batch = ImportBatch(
            review_id=ws.review_id,
            file_name=file_name,
            sha256=f"{seed:064x}"[-64:],
            format="ris",
            source_db=source_db,
            record_count=n,
            report={},
        )
        s.add(batch)
        s.flush()
        rows = []
        for i in range(n):
            a, b = rng.sample(TOPICS, 2)
            rows.append(
                {
                    "review_id": ws.review_id,
                    "batch_id": batch.id,
                    "position": i + 1,
                    "source_id": f"{source_db[:3].upper()}{seed}-{i + 1}",
                    "title": f"Effect of {a} on {b}: study {i + 1}",
                    "abstract": f"We examined {a} and {b} in {rng.randint(20, 5000)} patients. "
                    f"Results suggest {rng.choice(['improvement', 'no change', 'widening gaps'])}.",
                    "authors": [
                        f"{rng.choice(SURNAMES)} {rng.choice('ABCDEFG')}{rng.choice('JKLM')}"
                        for _ in range(3)
                    ],
                    "year": rng.randint(2000, 2023),
                    "journal": rng.choice(JOURNALS),
                    "keywords": [a, b],
                    "extra": {},
                }
            )
        if rows:
            s.execute(insert(Record), rows)
        from sqlalchemy import select

        return list(
            s.scalars(
                select(Record.id).where(Record.batch_id == batch.id).order_by(Record.position)
            )
        )


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(path: Path, pages: list[str]) -> Path:
    """A minimal valid PDF with one line of Helvetica text per page (no PDF library needed)."""
    objects: list[bytes] = []
    n_pages = len(pages)
    page_ids = [3 + 2 * i for i in range(n_pages)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    font_id = 3 + 2 * n_pages
    for i, text in enumerate(pages):
        content_id = page_ids[i] + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        lines = text.split("\n")
        ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
        for line in lines:
            ops.append(f"({_pdf_escape(line)}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(bytes(out))
    return path


def make_docx(path: Path, paragraphs: list[str]) -> Path:
    """A DOCX file with the given paragraphs."""
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    document.save(str(path))
    return path
