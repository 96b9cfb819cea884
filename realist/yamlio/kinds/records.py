"""YAML kind `records`: import batches, their records with provenance, and duplicate pairs.

`realist dump` writes `records.yaml` when the review holds records; `realist load` restores it
losslessly (dump -> load into an empty database -> dump gives the same bytes). Every object
carries the id it had in the database it was dumped from, and references use those ids (a
record's `batch` and `duplicate_of`, a pair's `a` and `b`); the `screening` kind refers to
records the same way.

Loading matches batches on (sha256, imported_at), records on (batch, position) and pairs on
their two records, and updates them in place; new objects keep their id when it is free in the
database (always the case when restoring into an empty one) and get a new one otherwise. The
mapping from file ids to database ids is left in `session.info[YAML_IDS]` for kinds loaded
later in the same transaction (`database_record_id`). Values that are empty (null, [] or {})
are left out of the file; a missing key reads as empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from realist.db.models import Document, DuplicatePair, ImportBatch, Record, Review, Reviewer
from realist.domain import PairStatus, SourceKind, values
from realist.yamlio.loader import register_applier
from realist.yamlio.reader import Path_, YamlDocument
from realist.yamlio.schema import E, Field, S, register_kind

YAML_IDS = "realist.yaml_ids"
CHUNK = 5_000

BATCH_FIELDS: dict[str, Field] = {
    "id": Field("int", required=True, nullable=False),
    "file_name": S(required=True, nullable=False),
    "sha256": S(required=True, nullable=False),
    "size_bytes": Field("int"),
    "format": S(required=True, nullable=False),
    "dialect": S(),
    "encoding": S(),
    "source_db": S(),
    "source_kind": E(values(SourceKind)),
    "search_string": S(),
    "search_date": S(),
    "imported_at": S(required=True, nullable=False),
    "imported_by": S(),
    "record_count": Field("int"),
    "skipped_count": Field("int"),
    "forced": Field("bool"),
    "report": Field("any"),
}

RECORD_TEXT = (
    "source_id", "title", "abstract", "journal", "journal_abbrev", "volume", "issue", "pages",
    "doi", "pmid", "issn", "url", "language", "pub_type",
)  # fmt: skip

RECORD_FIELDS: dict[str, Field] = {
    "id": Field("int", required=True, nullable=False),
    "batch": Field("int"),
    "position": Field("int"),
    "line": Field("int"),
    **{name: S() for name in RECORD_TEXT[:3]},
    "authors": Field("strs"),
    "year": Field("int"),
    **{name: S() for name in RECORD_TEXT[3:]},
    "keywords": Field("strs"),
    "extra": Field("any"),
    "duplicate_of": Field("int"),
    "document": S(),
    "created_at": S(),
}

PAIR_FIELDS: dict[str, Field] = {
    "id": Field("int", required=True, nullable=False),
    "a": Field("int", required=True, nullable=False),
    "b": Field("int", required=True, nullable=False),
    "status": E(values(PairStatus), required=True),
    "score": Field("float"),
    "reason": S(),
    "evidence": Field("any"),
    "decided_by": S(),
    "decided_at": S(),
    "created_at": S(),
}

RECORDS_FIELDS: dict[str, Field] = {
    "batches": Field("maps", fields=BATCH_FIELDS),
    "records": Field("maps", fields=RECORD_FIELDS),
    "duplicate_pairs": Field("maps", fields=PAIR_FIELDS),
}

register_kind("records", RECORDS_FIELDS)


# --------------------------------------------------------------------------------------------
# Helpers


def _utc_iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()


def _when(doc: YamlDocument, path: Path_, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise doc.error(path, f"not an ISO date-time: {value!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _sorted_keys(value: Any) -> Any:
    # PostgreSQL's JSONB does not keep key order: sort so both backends write the same bytes.
    if isinstance(value, dict):
        return {str(k): _sorted_keys(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def _mapping(doc: YamlDocument, path: Path_, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise doc.error(path, "must be a mapping (key: value)")
    return value


def _compact(item: dict[str, Any], keep: Iterable[str] = ("id",)) -> dict[str, Any]:
    """Drop empty values (None, [], {}) but the keys in `keep`."""
    kept = set(keep)
    return {k: v for k, v in item.items() if k in kept or v not in (None, [], {})}


def database_record_id(session: Session, file_id: int) -> int | None:
    """The database id of a record known in a loaded records.yaml by `file_id` (this load)."""
    ids = session.info.get(YAML_IDS, {}).get("records", {})
    found = ids.get(file_id)
    return None if found is None else int(found)


def _free(s: Session, table: Any, wanted: Iterable[int]) -> set[int]:
    """Which of the wanted ids no row of `table` uses yet."""
    wanted = set(wanted)
    taken: set[int] = set()
    items = sorted(wanted)
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        taken.update(s.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
    return wanted - taken


def _bump_sequence(s: Session, table: str) -> None:
    # Rows inserted with explicit ids leave PostgreSQL's sequence behind: move it past them.
    if s.get_bind().dialect.name == "postgresql":
        s.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        )


# --------------------------------------------------------------------------------------------
# Loading


def apply_records(
    s: Session, review: Review, doc: YamlDocument, body: dict[str, Any]
) -> dict[str, int]:
    """Load batches, records and pairs (see the module docstring for how they are matched)."""
    people = {r.name: r.id for r in s.scalars(select(Reviewer))}
    batch_ids = _apply_batches(s, review, doc, body["batches"], people)
    record_ids, created = _apply_records(s, review, doc, body["records"], batch_ids)
    pairs = _apply_pairs(s, review, doc, body["duplicate_pairs"], record_ids, people)
    s.info.setdefault(YAML_IDS, {}).update(
        {"batches": batch_ids, "records": record_ids, "duplicate_pairs": pairs}
    )
    return {
        "batches": len(body["batches"]),
        "records": len(body["records"]),
        "created": created,
        "duplicate_pairs": len(body["duplicate_pairs"]),
    }


def _person(doc: YamlDocument, path: Path_, name: str | None, people: dict[str, int]) -> int | None:
    if name is None:
        return None
    if name not in people:
        raise doc.error(
            path, f"unknown reviewer {name!r} (load the review file with its reviewers)"
        )
    return people[name]


def _keep_ids(s: Session, table: Any, new_ids: list[int]) -> bool:
    """Whether new rows can keep their file ids: only when every one of them is free, so rows
    stay in the order of the file (the earliest record is the canonical one of a cluster)."""
    return len(_free(s, table, new_ids)) == len(set(new_ids))


def _check_unique(doc: YamlDocument, items: list[dict[str, Any]], key: str, what: str) -> None:
    seen: set[int] = set()
    for i, item in enumerate(items):
        if item["id"] in seen:
            raise doc.error((key, i, "id"), f"{what} id {item['id']} appears twice")
        seen.add(item["id"])


def _apply_batches(
    s: Session,
    review: Review,
    doc: YamlDocument,
    items: list[dict[str, Any]],
    people: dict[str, int],
) -> dict[int, int]:
    _check_unique(doc, items, "batches", "batch")
    existing = {
        (b.sha256, _utc_iso(b.imported_at)): b
        for b in s.scalars(select(ImportBatch).where(ImportBatch.review_id == review.id))
    }
    times = []
    for i, item in enumerate(items):
        at = _when(doc, ("batches", i, "imported_at"), item["imported_at"])
        assert at is not None
        times.append(at)
    matches = [
        existing.get((it["sha256"], _utc_iso(at))) for it, at in zip(items, times, strict=True)
    ]
    keep = _keep_ids(
        s,
        ImportBatch.__table__,
        [it["id"] for it, m in zip(items, matches, strict=True) if m is None],
    )
    ids: dict[int, int] = {}
    for i, (item, at, batch) in enumerate(zip(items, times, matches, strict=True)):
        path: Path_ = ("batches", i)
        if batch is None:
            batch = ImportBatch(review_id=review.id, id=item["id"] if keep else None)
        batch.file_name = item["file_name"]
        batch.sha256 = item["sha256"]
        batch.size_bytes = item["size_bytes"] or 0
        batch.format = item["format"]
        batch.dialect = item["dialect"]
        batch.encoding = item["encoding"]
        batch.source_db = item["source_db"]
        batch.source_kind = item["source_kind"] or SourceKind.DATABASE.value
        batch.search_string = item["search_string"]
        batch.search_date = item["search_date"]
        batch.imported_at = at
        batch.imported_by_id = _person(doc, (*path, "imported_by"), item["imported_by"], people)
        batch.record_count = item["record_count"] or 0
        batch.skipped_count = item["skipped_count"] or 0
        batch.forced = bool(item["forced"])
        batch.report = _mapping(doc, (*path, "report"), item["report"])
        s.add(batch)
        s.flush()
        ids[item["id"]] = batch.id
    if keep:
        _bump_sequence(s, "import_batches")
    return ids


def _apply_records(
    s: Session,
    review: Review,
    doc: YamlDocument,
    items: list[dict[str, Any]],
    batch_ids: dict[int, int],
) -> tuple[dict[int, int], int]:
    _check_unique(doc, items, "records", "record")
    by_place: dict[tuple[int, int], int] = {}
    own: set[int] = set()
    for rid, batch, position in s.execute(
        select(Record.id, Record.batch_id, Record.position).where(Record.review_id == review.id)
    ):
        own.add(rid)
        if batch is not None and position is not None:
            by_place[(batch, position)] = rid
    ids: dict[int, int] = {}
    inserts: list[tuple[int, dict[str, Any]]] = []
    updates: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for i, item in enumerate(items):
        path: Path_ = ("records", i)
        batch = None
        if item["batch"] is not None:
            if item["batch"] not in batch_ids:
                raise doc.error((*path, "batch"), f"no batch with id {item['batch']} in this file")
            batch = batch_ids[item["batch"]]
        row: dict[str, Any] = {
            "review_id": review.id,
            "batch_id": batch,
            "position": item["position"],
            "source_line": item["line"],
            "authors": list(item["authors"]),
            "year": item["year"],
            "keywords": list(item["keywords"]),
            "extra": _mapping(doc, (*path, "extra"), item["extra"]),
            "created_at": _when(doc, (*path, "created_at"), item["created_at"]) or now,
        }
        for name in RECORD_TEXT:
            row[name] = item[name]
        match = by_place.get((batch, item["position"])) if batch is not None else None
        if match is None and item["id"] in own:
            match = item["id"]
        if match is not None:
            ids[item["id"]] = match
            updates.append({"id": match, **row})
        else:
            inserts.append((item["id"], row))
    keep = _keep_ids(s, Record.__table__, [file_id for file_id, _ in inserts])
    for start in range(0, len(inserts), CHUNK):
        chunk = inserts[start : start + CHUNK]
        if keep:
            s.execute(insert(Record), [{"id": file_id, **row} for file_id, row in chunk])
            ids.update((file_id, file_id) for file_id, _ in chunk)
        else:
            new = s.scalars(
                insert(Record).returning(Record.id, sort_by_parameter_order=True),
                [row for _, row in chunk],
            ).all()
            ids.update(zip((file_id for file_id, _ in chunk), new, strict=True))
    if inserts and keep:
        _bump_sequence(s, "records")
    for start in range(0, len(updates), CHUNK):
        s.execute(update(Record), updates[start : start + CHUNK])

    links: list[dict[str, Any]] = []
    documents = {
        d.ref: d for d in s.scalars(select(Document).where(Document.review_id == review.id))
    }
    for i, item in enumerate(items):
        dup = item["duplicate_of"]
        if dup is not None and dup not in ids:
            raise doc.error(("records", i, "duplicate_of"), f"no record with id {dup} in this file")
        links.append({"id": ids[item["id"]], "duplicate_of_id": None if dup is None else ids[dup]})
        if item["document"] is not None:
            document = documents.get(item["document"])
            if document is None:
                raise doc.error(
                    ("records", i, "document"),
                    f"no study with ref {item['document']!r} (load the studies file too)",
                )
            document.record_id = ids[item["id"]]
    s.flush()
    for start in range(0, len(links), CHUNK):
        s.execute(update(Record), links[start : start + CHUNK])
    return ids, len(inserts)


def _apply_pairs(
    s: Session,
    review: Review,
    doc: YamlDocument,
    items: list[dict[str, Any]],
    record_ids: dict[int, int],
    people: dict[str, int],
) -> dict[int, int]:
    _check_unique(doc, items, "duplicate_pairs", "pair")
    existing = {
        (p.record_a_id, p.record_b_id): p
        for p in s.scalars(select(DuplicatePair).where(DuplicatePair.review_id == review.id))
    }
    ends: list[tuple[int, int]] = []
    for i, item in enumerate(items):
        found = []
        for end in ("a", "b"):
            if item[end] not in record_ids:
                raise doc.error(
                    ("duplicate_pairs", i, end), f"no record with id {item[end]} in this file"
                )
            found.append(record_ids[item[end]])
        a, b = sorted(found)
        if a == b:
            raise doc.error(("duplicate_pairs", i), "a pair needs two different records")
        ends.append((a, b))
    keep = _keep_ids(
        s,
        DuplicatePair.__table__,
        [it["id"] for it, key in zip(items, ends, strict=True) if key not in existing],
    )
    ids: dict[int, int] = {}
    for i, (item, (a, b)) in enumerate(zip(items, ends, strict=True)):
        path: Path_ = ("duplicate_pairs", i)
        pair = existing.get((a, b))
        if pair is None:
            pair = DuplicatePair(
                review_id=review.id, record_a_id=a, record_b_id=b, id=item["id"] if keep else None
            )
            existing[(a, b)] = pair
        pair.status = item["status"]
        pair.score = item["score"] if item["score"] is not None else 0.0
        pair.reason = item["reason"]
        pair.evidence = _mapping(doc, (*path, "evidence"), item["evidence"])
        pair.decided_by_id = _person(doc, (*path, "decided_by"), item["decided_by"], people)
        pair.decided_at = _when(doc, (*path, "decided_at"), item["decided_at"])
        created = _when(doc, (*path, "created_at"), item["created_at"])
        if created is not None:
            pair.created_at = created
        s.add(pair)
        s.flush()
        ids[item["id"]] = pair.id
    if keep:
        _bump_sequence(s, "duplicate_pairs")
    return ids


register_applier("records", apply_records)


# --------------------------------------------------------------------------------------------
# Writing


def records_document(s: Session, review: Review) -> dict[str, Any] | None:
    """The `records` document of a review, or None when it has no batches and no records."""
    from realist.yamlio.writer import flow, header

    batches = s.scalars(
        select(ImportBatch).where(ImportBatch.review_id == review.id).order_by(ImportBatch.id)
    ).all()
    has_records = s.scalars(select(Record.id).where(Record.review_id == review.id).limit(1)).first()
    if not batches and has_records is None:
        return None
    names = {r.id: r.name for r in s.scalars(select(Reviewer))}
    refs = {
        rid: ref
        for rid, ref in s.execute(
            select(Document.record_id, Document.ref).where(
                Document.review_id == review.id, Document.record_id.is_not(None)
            )
        )
    }
    out = header("records", (review.sources or {}).get("records"))
    out["batches"] = [
        {
            "id": b.id,
            "file_name": b.file_name,
            "sha256": b.sha256,
            "size_bytes": b.size_bytes,
            "format": b.format,
            "dialect": b.dialect,
            "encoding": b.encoding,
            "source_db": b.source_db,
            "source_kind": b.source_kind,
            "search_string": b.search_string,
            "search_date": b.search_date,
            "imported_at": _utc_iso(b.imported_at),
            "imported_by": names.get(b.imported_by_id) if b.imported_by_id else None,
            "record_count": b.record_count,
            "skipped_count": b.skipped_count,
            "forced": b.forced,
            "report": _sorted_keys(b.report or {}),
        }
        for b in batches
    ]
    records = []
    for r in s.scalars(select(Record).where(Record.review_id == review.id).order_by(Record.id)):
        item: dict[str, Any] = {
            "id": r.id,
            "batch": r.batch_id,
            "position": r.position,
            "line": r.source_line,
        }
        for name in RECORD_TEXT[:3]:
            item[name] = getattr(r, name)
        item["authors"] = list(r.authors or [])
        item["year"] = r.year
        for name in RECORD_TEXT[3:]:
            item[name] = getattr(r, name)
        item["keywords"] = flow(list(r.keywords or []))
        item["extra"] = _sorted_keys(r.extra or {})
        item["duplicate_of"] = r.duplicate_of_id
        item["document"] = refs.get(r.id)
        item["created_at"] = _utc_iso(r.created_at)
        records.append(_compact(item))
    out["records"] = records
    pairs = s.scalars(
        select(DuplicatePair).where(DuplicatePair.review_id == review.id).order_by(DuplicatePair.id)
    )
    out["duplicate_pairs"] = [
        _compact(
            {
                "id": p.id,
                "a": p.record_a_id,
                "b": p.record_b_id,
                "status": p.status,
                "score": p.score,
                "reason": p.reason,
                "evidence": _sorted_keys(p.evidence or {}),
                "decided_by": names.get(p.decided_by_id) if p.decided_by_id else None,
                "decided_at": _utc_iso(p.decided_at),
                "created_at": _utc_iso(p.created_at),
            },
            keep=("id", "a", "b", "status", "score"),
        )
        for p in pairs
    ]
    return out


def _register_writer() -> None:
    # The writer imports every kind at its end, after its registry exists; a kind imported
    # first (through the loader) imports the writer whole here.
    from realist.yamlio import writer

    writer.register_writer("records", records_document)


_register_writer()
