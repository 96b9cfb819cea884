"""Every real export under ../shared/data/formats through the import service: the review stores
exactly the records the parser gives, or nothing when the file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from realist.db.models import ImportBatch, Record
from realist.importing import ImportFileError, parse_file
from realist.services.imports import ImportRefusedError, import_file
from tests.conftest import shared_data_dir
from tests.factories_ingest import ingest_ws

pytestmark = pytest.mark.shared


def _files() -> list[str]:
    base = shared_data_dir()
    if base is None:
        return ["(no shared data)"]
    root = base / "formats"
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.suffix != ".md"
    )


def _stored(ws: object, batch_id: int | None = None) -> list[tuple[int | None, str | None]]:
    with ws.store.read() as s:  # type: ignore[attr-defined]
        stmt = select(Record.position, Record.source_id).order_by(Record.position)
        if batch_id is not None:
            stmt = stmt.where(Record.batch_id == batch_id)
        return [tuple(r) for r in s.execute(stmt)]  # type: ignore[misc]


@pytest.mark.parametrize("name", _files())
def test_shared_export_stores_the_parsers_records(
    shared_data: Path, tmp_path: Path, name: str
) -> None:
    path = shared_data / "formats" / name
    ws = ingest_ws(tmp_path)
    try:
        parsed = parse_file(path)
    except ImportFileError as refusal:
        with pytest.raises(ImportRefusedError) as info:
            import_file(ws, path)
        assert str(info.value) == str(refusal)
        with ws.store.read() as s:
            assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
            assert s.scalar(select(func.count()).select_from(Record)) == 0
        kept = parse_file(path, skip_invalid=True)
        if not kept.records:
            with pytest.raises(ImportRefusedError, match=r"none of its .* can be imported"):
                import_file(ws, path, skip_invalid=True, report_dir=tmp_path)
            assert (tmp_path / f"{path.name}.skipped.csv").is_file()
            assert _stored(ws) == []
            return
        summary = import_file(ws, path, skip_invalid=True, report_dir=tmp_path)
        assert (summary.records, summary.skipped) == (len(kept.records), len(kept.skipped))
        assert (tmp_path / f"{path.name}.skipped.csv").is_file()
        parsed = kept
    else:
        summary = import_file(ws, path)
    assert summary.records == len(parsed.records)
    assert _stored(ws, summary.batch_id) == [(r.position, r.source_id) for r in parsed.records]
    with ws.store.read() as s:
        batch = s.get(ImportBatch, summary.batch_id)
        assert batch is not None
        assert (batch.format, batch.dialect, batch.encoding) == (
            parsed.format,
            parsed.dialect,
            parsed.encoding,
        )
        assert batch.record_count == len(parsed.records)
