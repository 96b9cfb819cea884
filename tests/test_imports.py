"""The import service: one batch per file with provenance, all or nothing, refusals, reports."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from realist.db.models import AuditEntry, ImportBatch, Record
from realist.errors import InvalidInputError, PermissionDeniedError
from realist.importing import parse_file
from realist.services import imports
from realist.services.imports import (
    EXTRA_TOTAL_MAX,
    EXTRA_VALUE_MAX,
    PROGRESS_TOTAL,
    AlreadyImportedError,
    ImportRefusedError,
    bound_extra,
    import_file,
)
from tests.factories_ingest import BROKEN, MEDLINE, UPDATE, as_reviewer, ingest_ws, write_ris


def _count(ws: object, model: type) -> int:
    store = ws.store  # type: ignore[attr-defined]
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_import_writes_one_batch_with_provenance(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    summary = import_file(
        ws,
        MEDLINE,
        source="MEDLINE",
        search_string="quality improvement AND inequalit*",
        search_date="2023-05-01",
    )
    parsed = parse_file(MEDLINE)
    assert summary.records == len(parsed.records) == 6
    assert summary.sha256 == hashlib.sha256(MEDLINE.read_bytes()).hexdigest()
    with ws.store.read() as s:
        batch = s.get(ImportBatch, summary.batch_id)
        assert batch is not None
        assert (batch.file_name, batch.format, batch.source_db, batch.source_kind) == (
            "medline_2023.ris",
            "ris",
            "MEDLINE",
            "database",
        )
        assert batch.size_bytes == MEDLINE.stat().st_size
        assert batch.search_string == "quality improvement AND inequalit*"
        assert batch.search_date == "2023-05-01"
        assert batch.record_count == 6 and batch.skipped_count == 0 and not batch.forced
        assert batch.imported_by_id == ws.actor.id  # type: ignore[union-attr]
        rows = s.scalars(
            select(Record).where(Record.batch_id == batch.id).order_by(Record.position)
        ).all()
        assert [r.position for r in rows] == [p.position for p in parsed.records]
        assert [r.source_line for r in rows] == [p.line for p in parsed.records]
        assert [r.source_id for r in rows] == ["1001", "1002", "1003", "1004", "1005", "1006"]
        first = rows[0]
        assert first.title == parsed.records[0].title
        assert first.authors == ["Okafor, Chinedu A.", "Smith, Jane", "Garcia, Luis"]
        assert (first.year, first.volume, first.issue, first.pages) == (2019, "28", "4", "301-310")
        assert first.doi == "10.1136/bmjqs-2018-008123"
        assert all(r.duplicate_of_id is None for r in rows)
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "import.file")).one()
        assert audit.entity_id == str(batch.id) and audit.details["records"] == 6


def test_reimport_is_refused_with_the_first_import_and_force_allows_it(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    first = import_file(ws, MEDLINE, source="MEDLINE")
    copy = tmp_path / "renamed.ris"
    copy.write_bytes(MEDLINE.read_bytes())  # same content under another name: same file
    with pytest.raises(AlreadyImportedError) as info:
        import_file(ws, copy, source="MEDLINE")
    message = str(info.value)
    assert f"as batch {first.batch_id}" in message and "medline_2023.ris" in message
    assert "--force" in message and "6 records from MEDLINE" in message
    assert _count(ws, ImportBatch) == 1 and _count(ws, Record) == 6
    again = import_file(ws, copy, source="MEDLINE", force=True)
    assert again.forced and again.batch_id != first.batch_id
    assert _count(ws, ImportBatch) == 2 and _count(ws, Record) == 12


def test_a_malformed_record_refuses_the_file_and_writes_nothing(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    audits = _count(ws, AuditEntry)
    with pytest.raises(ImportRefusedError) as info:
        import_file(ws, BROKEN, source="MEDLINE")
    message = str(info.value)
    assert message.startswith(f"{BROKEN}: record 2 (line 7): no title, abstract, DOI or PMID")
    assert "--skip-invalid" in message
    assert [(p.record, p.line) for p in info.value.problems] == [(2, 7), (4, 17)]
    assert _count(ws, ImportBatch) == 0 and _count(ws, Record) == 0
    assert _count(ws, AuditEntry) == audits
    assert not (BROKEN.parent / "broken.ris.skipped.csv").exists()


def test_skip_invalid_imports_the_rest_and_reports_what_was_skipped(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    src = tmp_path / "broken.ris"
    src.write_bytes(BROKEN.read_bytes())
    summary = import_file(ws, src, source="Embase", skip_invalid=True)
    assert (summary.records, summary.skipped) == (2, 2)
    report = tmp_path / "broken.ris.skipped.csv"
    assert summary.report_path == str(report)
    with report.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["record"], r["line"]) for r in rows] == [("2", "7"), ("4", "17")]
    assert all("nothing identifies the record" in r["reason"] for r in rows)
    assert {r["file"] for r in rows} == {"broken.ris"}
    with ws.store.read() as s:
        batch = s.get(ImportBatch, summary.batch_id)
        assert batch is not None and batch.skipped_count == 2
        assert batch.report["skipped_total"] == 2
        assert [x["record"] for x in batch.report["skipped"]] == [2, 4]
        positions = s.scalars(select(Record.position).where(Record.batch_id == batch.id)).all()
        assert sorted(positions) == [1, 3]  # positions in the file, gaps where records were skipped


def test_skip_report_goes_to_report_dir(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    out = tmp_path / "reports"
    out.mkdir()
    summary = import_file(ws, BROKEN, skip_invalid=True, report_dir=out)
    assert summary.report_path == str(out / "broken.ris.skipped.csv")
    assert (out / "broken.ris.skipped.csv").is_file()
    with pytest.raises(InvalidInputError, match="does not exist"):
        import_file(ws, BROKEN, skip_invalid=True, force=True, report_dir=tmp_path / "nope")


def test_source_comes_from_option_dialect_question_or_unknown(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    embase = write_ris(
        tmp_path / "embase.ris",
        [{"TI": "Embase record on equity", "DB": "Embase", "U2": "L2012345678", "PY": "2020"}],
    )
    assert import_file(ws, embase).source_db == "Embase"  # from the dialect
    plain = write_ris(tmp_path / "plain.ris", [{"TI": "A record from somewhere", "PY": "2020"}])
    asked: list[tuple[Path, str | None]] = []

    def ask(path: Path, dialect: str | None) -> str:
        asked.append((path, dialect))
        return " CINAHL "

    assert import_file(ws, plain, ask_source=ask).source_db == "CINAHL"
    assert asked == [(plain, None)]
    other = write_ris(tmp_path / "other.ris", [{"TI": "Another record", "PY": "2021"}])
    assert import_file(ws, other).source_db == imports.UNKNOWN_SOURCE
    cites = write_ris(tmp_path / "cites.ris", [{"TI": "Found by citation searching"}])
    summary = import_file(ws, cites, source="citation searching", source_kind="other")
    assert (summary.source_db, summary.source_kind) == ("citation searching", "other")


def test_bad_options_are_clear_errors(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    with pytest.raises(InvalidInputError, match="search date '1 May 2023' is not a date"):
        import_file(ws, MEDLINE, search_date="1 May 2023")
    with pytest.raises(InvalidInputError, match="not a real date"):
        import_file(ws, MEDLINE, search_date="2023-02-30")
    with pytest.raises(InvalidInputError, match="source kind must be one of"):
        import_file(ws, MEDLINE, source_kind="website")
    with pytest.raises(ImportRefusedError, match="no such file"):
        import_file(ws, tmp_path / "missing.ris")
    assert _count(ws, ImportBatch) == 0


def test_only_leads_and_reviewers_import(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    with pytest.raises(PermissionDeniedError, match="OBS"):
        import_file(as_reviewer(ws, "OBS"), MEDLINE)
    assert import_file(as_reviewer(ws, "REV"), MEDLINE).records == 6


def test_progress_rises_to_the_total(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    seen: list[tuple[int, int]] = []
    import_file(ws, UPDATE, progress=lambda d, t: seen.append((d, t)))
    assert seen and {t for _, t in seen} == {PROGRESS_TOTAL}
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == PROGRESS_TOTAL


def test_wide_tables_keep_bounded_extra_and_labels(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    columns = ["title", "abstract", "notes"] + [f"col{i:03d}" for i in range(150)]
    long = "x" * (EXTRA_VALUE_MAX * 3)
    path = tmp_path / "wide.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerow(
            ["A wide record", "Abstract text", 'RAYYAN-INCLUSION: {"Ann"=>"Included"}']
            + [long if i % 10 == 0 else f"value {i}" for i in range(150)]
        )
    summary = import_file(ws, path)
    assert summary.extra_truncated == 1
    with ws.store.read() as s:
        extra = s.scalars(select(Record.extra)).one()
    assert extra["_labels"] == {"RAYYAN-INCLUSION": '{"Ann"=>"Included"}'}
    plain = {k: v for k, v in extra.items() if not k.startswith("_")}
    assert sum(len(k) + len(v) for k, v in plain.items()) <= EXTRA_TOTAL_MAX
    assert all(len(v) <= EXTRA_VALUE_MAX + 20 for v in plain.values())
    assert extra["col000"].startswith("x" * EXTRA_VALUE_MAX) and "more]" in extra["col000"]
    assert extra["_truncated"]["cut"] >= 1
    parsed = parse_file(path).records[0].extra
    assert extra["_truncated"]["dropped"] == len(parsed) - len(plain)


def test_bound_extra_drops_empty_values_and_keeps_small_ones_whole() -> None:
    extra, cut = bound_extra({"A": "", "B": "short", "C": "  "}, {})
    assert extra == {"B": "short", "C": "  "} and not cut


def test_values_too_long_for_their_column_are_clipped_and_kept_whole_in_extra(
    tmp_path: Path,
) -> None:
    ws = ingest_ws(tmp_path)
    volume = "Supplement " * 12  # longer than the 64 characters the volume column holds
    path = write_ris(tmp_path / "long.ris", [{"TI": "Odd volume", "VL": volume.strip()}])
    import_file(ws, path)
    with ws.store.read() as s:
        stored, extra = s.execute(select(Record.volume, Record.extra)).one()
    assert stored == volume.strip()[:64]
    assert extra["volume"] == volume.strip()


def test_database_backends_store_the_same(db_url: str, tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path, db_url)
    # PostgreSQL refuses a value longer than a VARCHAR column: the importer clips it first.
    odd = write_ris(tmp_path / "odd.ris", [{"TI": "Überlänge ✓", "VL": "v" * 80, "SN": "9" * 90}])
    import_file(ws, MEDLINE, source="MEDLINE")
    import_file(ws, odd)
    with ws.store.read() as s:
        rows = s.execute(select(Record.title, Record.volume).order_by(Record.id)).all()
    assert len(rows) == 7 and rows[-1] == ("Überlänge ✓", "v" * 64)
    ws.store.dispose()


def test_workbooks_and_declared_encodings_import(tmp_path: Path) -> None:
    from openpyxl import Workbook

    ws = ingest_ws(tmp_path)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Title", "Authors", "Year", "DOI"])
    sheet.append(["Equity in primary care", "Smith, J; Okafor, C", 2021, "10.1000/xyz1"])
    sheet.append(["Quality and access", "Chen, W", 2019, None])
    book.save(tmp_path / "export.xlsx")
    summary = import_file(ws, tmp_path / "export.xlsx", source="Scopus")
    assert (summary.format, summary.encoding, summary.records) == ("xlsx", "xlsx", 2)
    latin1 = tmp_path / "latin1.ris"
    latin1.write_bytes("TY  - JOUR\nTI  - Qualité des soins\nER  - \n".encode("latin-1"))
    declared = import_file(ws, latin1, encoding="latin-1")
    assert declared.encoding in ("latin-1", "iso8859-1") and declared.warnings == ()
    with ws.store.read() as s:
        titles = set(s.scalars(select(Record.title)))
    assert {"Equity in primary care", "Qualité des soins"} <= titles
