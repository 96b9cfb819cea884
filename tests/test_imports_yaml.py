"""The `records` YAML kind: dump archives batches, records and duplicate pairs; load restores them
losslessly, on SQLite and PostgreSQL, into empty databases and into ones whose ids are taken."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from realist.db import migrate
from realist.db.models import Document, DuplicatePair, ImportBatch, Record
from realist.db.store import Store
from realist.services import duplicates_queue as dq
from realist.services.context import Workspace, resolve_actor, resolve_review_id
from realist.services.dedup_service import run_dedup
from realist.services.imports import import_file
from realist.services.reviews import create_review
from realist.yamlio.loader import load_paths
from realist.yamlio.reader import YamlError
from realist.yamlio.writer import dump_review
from tests.conftest import migrated_sqlite
from tests.factories_ingest import MEDLINE, UPDATE, ingest_ws, record_ids


def _review_with_everything(tmp_path: Path) -> Workspace:
    ws = ingest_ws(tmp_path)
    first = import_file(ws, MEDLINE, source="MEDLINE", search_date="2023-05-01")
    second = import_file(ws, UPDATE, source="Embase", search_string='"quality improvement"/exp')
    run_dedup(ws)
    waiting = dq.queue_ids(ws)
    assert waiting
    dq.reject_pair(ws, waiting[0])
    auto = dq.list_pairs(ws, ["auto"])[0].id
    dq.undo_pair(ws, auto)
    with ws.store.transaction() as s:
        s.add(
            Document(
                review_id=ws.review_id,
                record_id=record_ids(ws, first.batch_id)[3],
                ref="R1",
                title="Language access",
                authors=[],
                progress_plus=[],
            )
        )
    assert record_ids(ws, second.batch_id)
    return ws


def _dump(ws: Workspace, folder: Path) -> dict[str, bytes]:
    paths = dump_review(ws.store, ws.review_id, folder)
    return {p.name: p.read_bytes() for p in paths}


def _load(store: Store, folder: Path) -> Workspace:
    load_paths(store, sorted(folder.glob("*.yaml")))
    rid = resolve_review_id(store)
    return Workspace(store, rid, resolve_actor(store, "LEAD"))


def test_dump_load_dump_is_byte_for_byte(tmp_path: Path) -> None:
    ws = _review_with_everything(tmp_path)
    first = _dump(ws, tmp_path / "a")
    assert "records.yaml" in first
    text = first["records.yaml"].decode()
    assert "kind: records" in text and "status: rejected" in text and "status: undone" in text
    assert "source_id: E-79" in text and "document: R1" in text and "imported_by: LEAD" in text
    restored = _load(migrated_sqlite(tmp_path / "restored.db"), tmp_path / "a")
    assert _dump(restored, tmp_path / "b") == first
    with restored.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 11
        assert s.scalar(select(Document.record_id).where(Document.ref == "R1")) == 4


def test_loading_twice_updates_in_place(tmp_path: Path) -> None:
    ws = _review_with_everything(tmp_path)
    first = _dump(ws, tmp_path / "a")
    load_paths(ws.store, sorted((tmp_path / "a").glob("*.yaml")), review_id=ws.review_id)
    with ws.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 11
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 2
    assert _dump(ws, tmp_path / "b") == first


def test_ids_taken_by_another_review_are_remapped_consistently(tmp_path: Path) -> None:
    ws = _review_with_everything(tmp_path)
    _dump(ws, tmp_path / "a")
    # A database whose first review already holds records with ids 1..6 and pair ids 1.. .
    (tmp_path / "other").mkdir()
    other = ingest_ws(tmp_path / "other")
    import_file(other, MEDLINE, source="MEDLINE")
    run_dedup(other)
    rid = create_review(other.store, "Second review")
    load_paths(other.store, sorted((tmp_path / "a").glob("*.yaml")), review_id=rid)
    with other.store.read() as s:
        rows = {r.source_id: r for r in s.scalars(select(Record).where(Record.review_id == rid))}
        assert len(rows) == 11 and min(r.id for r in rows.values()) > 6
        by_id = {r.id: r.source_id for r in rows.values()}
        # The Embase copy of MEDLINE 1002 is still a duplicate of that record, by new ids.
        assert by_id[rows["E-78"].duplicate_of_id] == "1002"  # type: ignore[index]
        pairs = s.scalars(select(DuplicatePair).where(DuplicatePair.review_id == rid)).all()
        assert len(pairs) == 3
        assert {(by_id[p.record_a_id], by_id[p.record_b_id]) for p in pairs} == {
            ("1001", "E-77"),
            ("1002", "E-78"),
            ("1003", "E-79"),
        }


def test_postgresql_restores_the_same_bytes_and_new_ids_follow(pg_url: str, tmp_path: Path) -> None:
    ws = _review_with_everything(tmp_path)
    first = _dump(ws, tmp_path / "a")
    store = Store(pg_url)
    migrate.upgrade(store)
    restored = _load(store, tmp_path / "a")
    assert _dump(restored, tmp_path / "b") == first
    # Sequences moved past the restored ids: a new import and dedup write new rows.
    extra = tmp_path / "more.ris"
    extra.write_text("TY  - JOUR\nTI  - A new record after the restore\nER  - \n", "utf-8")
    summary = import_file(restored, extra)
    assert min(record_ids(restored, summary.batch_id)) == 12
    run_dedup(restored)
    store.dispose()


def _records_yaml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "records.yaml"
    path.write_text(
        "schema_version: 1\nkind: records\n" + textwrap.dedent(body).lstrip(), encoding="utf-8"
    )
    return path


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            """
            records:
              - id: 1
                title: One
            duplicate_pairs:
              - id: 1
                a: 1
                b: 9
                status: auto
                score: 0.9
            """,
            9,
            "duplicate_pairs[0].b: no record with id 9 in this file",
        ),
        (
            """
            records:
              - id: 1
                title: One
                duplicate_of: 3
            """,
            6,
            "records[0].duplicate_of: no record with id 3",
        ),
        (
            """
            records:
              - id: 1
                batch: 4
            """,
            5,
            "records[0].batch: no batch with id 4",
        ),
        (
            """
            duplicate_pairs:
              - id: 1
                a: 1
                b: 2
                status: merged
            """,
            7,
            "'merged' is not one of auto, confirmed, unreviewed, rejected, undone",
        ),
    ],
)
def test_broken_files_name_file_line_and_problem(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    store = migrated_sqlite(tmp_path / "r.db")
    path = _records_yaml(tmp_path, body)
    with pytest.raises(YamlError) as info:
        load_paths(store, [path])
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 0
