"""YAML kind `screening`: every screening decision (current, superseded and retracted), every
record tag, the agreement samples with their records, and the resolutions.

`realist dump` writes `screening.yaml` when the review holds any of them; `realist load` restores it
losslessly (dump -> load into an empty database -> dump gives the same bytes). Records are named by
the ids of `records.yaml` (translated when that file is loaded in the same run, taken as database
ids otherwise), reviewers by name, tags by code. History is kept whole: a decision's `current`
flag and `retracted_at` say where it stands, so undo keeps working after a restore.

Loading matches decisions on (record, reviewer, stage, created_at), tags on (record, tag,
reviewer, created_at), samples on (stage, seed, first and second reviewer, drawn_at) and
resolutions on (record, stage, decided_at), and updates them in place: loading the same file twice
changes nothing. When a file's current decision meets a different current one already in the
database, the later of the two stays current (one current row per record, reviewer and stage).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, true, update
from sqlalchemy.orm import Session

from realist.db.models import (
    Record,
    RecordTag,
    Resolution,
    Review,
    Reviewer,
    Sample,
    SampleRecord,
    ScreeningDecision,
    TagDef,
    as_utc,
)
from realist.domain import Decision, Stage, values
from realist.yamlio.kinds.records import (
    CHUNK,
    _bump_sequence,
    _check_unique,
    _compact,
    _keep_ids,
    _mapping,
    _sorted_keys,
    _utc_iso,
    _when,
    database_record_id,
)
from realist.yamlio.loader import register_applier
from realist.yamlio.reader import Path_, YamlDocument
from realist.yamlio.schema import E, Field, S, register_kind

STAGES = values(Stage)
FINAL = [*values(Decision), "conflict"]

DECISION_FIELDS: dict[str, Field] = {
    "id": Field("int", required=True, nullable=False),
    "record": Field("int", required=True, nullable=False),
    "reviewer": S(required=True, nullable=False),
    "stage": E(STAGES, required=True),
    "decision": E(values(Decision), required=True),
    "reason": S(),
    "note": S(),
    "source": S(),
    "current": Field("bool"),
    "retracted_at": S(),
    "created_at": S(required=True, nullable=False),
}
TAG_FIELDS: dict[str, Field] = {
    "id": Field("int", required=True, nullable=False),
    "record": Field("int", required=True, nullable=False),
    "tag": S(required=True, nullable=False),
    "reviewer": S(required=True, nullable=False),
    "stage": E(STAGES),
    "current": Field("bool"),
    "created_at": S(required=True, nullable=False),
    "removed_at": S(),
}
SAMPLE_FIELDS: dict[str, Field] = {
    "id": Field("int", required=True, nullable=False),
    "stage": E(STAGES, required=True),
    "fraction": Field("float", required=True, nullable=False),
    "seed": Field("int", required=True, nullable=False),
    "stratify": S(),
    "params": Field("any"),
    "first_reviewer": S(required=True, nullable=False),
    "second_reviewer": S(required=True, nullable=False),
    "drawn_by": S(),
    "drawn_at": S(required=True, nullable=False),
    "size": Field("int"),
    "comparison_opened_at": S(),
    "comparison_opened_by": S(),
    "closed_at": S(),
    "records": Field("any"),  # record ids, in order
    "strata": Field("any"),  # record id -> stratum, for stratified samples
}
RESOLUTION_FIELDS: dict[str, Field] = {
    "id": Field("int", required=True, nullable=False),
    "sample": Field("int"),
    "record": Field("int", required=True, nullable=False),
    "stage": E(STAGES, required=True),
    "decision": E(FINAL, required=True),
    "rationale": S(),
    "decided_by": S(),
    "decided_at": S(required=True, nullable=False),
}
SCREENING_FIELDS: dict[str, Field] = {
    "decisions": Field("maps", fields=DECISION_FIELDS),
    "tags": Field("maps", fields=TAG_FIELDS),
    "samples": Field("maps", fields=SAMPLE_FIELDS),
    "resolutions": Field("maps", fields=RESOLUTION_FIELDS),
}

register_kind("screening", SCREENING_FIELDS)


# --------------------------------------------------------------------------------------------
# Loading


class _Refs:
    """Translating the file's references (record ids, reviewer names, tag codes) to rows."""

    def __init__(self, s: Session, review: Review, doc: YamlDocument) -> None:
        self.s, self.doc = s, doc
        self.people = {r.name: r.id for r in s.scalars(select(Reviewer))}
        self.tags = {
            t.code: t.id for t in s.scalars(select(TagDef).where(TagDef.review_id == review.id))
        }
        self.records = set(s.scalars(select(Record.id).where(Record.review_id == review.id)))

    def record(self, path: Path_, file_id: int) -> int:
        rid = database_record_id(self.s, file_id)
        rid = file_id if rid is None else rid
        if rid not in self.records:
            raise self.doc.error(path, f"no record with id {file_id} in this review")
        return rid

    def person(self, path: Path_, name: str | None) -> int | None:
        if name is None:
            return None
        if name not in self.people:
            raise self.doc.error(
                path, f"unknown reviewer {name!r} (load the review file with its reviewers)"
            )
        return self.people[name]

    def tag(self, path: Path_, code: str) -> int:
        if code not in self.tags:
            raise self.doc.error(path, f"unknown tag {code!r} (load the review file with its tags)")
        return self.tags[code]

    def when(self, path: Path_, value: str | None) -> datetime | None:
        return _when(self.doc, path, value)

    def at(self, path: Path_, value: str) -> datetime:
        """A required time (validated as present)."""
        at = _when(self.doc, path, value)
        if at is None:
            raise self.doc.error(path, "is required and cannot be empty")
        return at


Key = tuple[Any, ...]


def _upsert(
    s: Session,
    table: Any,
    model: type[Any],
    items: list[dict[str, Any]],
    keys: list[Key],
    existing: dict[Key, Any],
    fill: Callable[[Any, int], None],
) -> dict[int, int]:
    """Create or update one row per item (matched on its key); new rows keep their file ids when
    every one of them is free. Returns file id -> database id."""
    keep = _keep_ids(
        s, table, [it["id"] for it, k in zip(items, keys, strict=True) if k not in existing]
    )
    ids: dict[int, int] = {}
    for i, (item, key) in enumerate(zip(items, keys, strict=True)):
        row = existing.get(key)
        if row is None:
            row = model(id=item["id"] if keep else None)
            existing[key] = row
        fill(row, i)
        s.add(row)
        s.flush()
        ids[item["id"]] = row.id
    if keep and items:
        _bump_sequence(s, table.name)
    return ids


def apply_screening(
    s: Session, review: Review, doc: YamlDocument, body: dict[str, Any]
) -> dict[str, int]:
    """Load decisions, tags, samples and resolutions (see the module docstring)."""
    refs = _Refs(s, review, doc)
    _apply_decisions(s, review, doc, body["decisions"], refs)
    _apply_tags(s, review, doc, body["tags"], refs)
    samples = _apply_samples(s, review, doc, body["samples"], refs)
    _apply_resolutions(s, review, doc, body["resolutions"], refs, samples)
    return {k: len(body[k]) for k in ("decisions", "tags", "samples", "resolutions")}


def _apply_decisions(
    s: Session, review: Review, doc: YamlDocument, items: list[dict[str, Any]], refs: _Refs
) -> None:
    _check_unique(doc, items, "decisions", "decision")
    d = ScreeningDecision
    keys: list[Key] = []
    for i, item in enumerate(items):
        path: Path_ = ("decisions", i)
        keys.append(
            (
                refs.record((*path, "record"), item["record"]),
                refs.person((*path, "reviewer"), item["reviewer"]),
                item["stage"],
                _utc_iso(refs.when((*path, "created_at"), item["created_at"])),
            )
        )
    existing = {
        (r.record_id, r.reviewer_id, r.stage, _utc_iso(r.created_at)): r
        for r in s.scalars(select(d).where(d.review_id == review.id))
    }

    def fill(row: ScreeningDecision, i: int) -> None:
        item, path = items[i], ("decisions", i)
        row.review_id = review.id
        row.record_id, row.reviewer_id, row.stage = keys[i][0], keys[i][1], keys[i][2]
        row.decision, row.reason_code, row.note = item["decision"], item["reason"], item["note"]
        row.source = item["source"] or "import"
        row.is_current = False  # settled below, once every row is in
        row.retracted_at = refs.when((*path, "retracted_at"), item["retracted_at"])
        row.created_at = refs.at((*path, "created_at"), item["created_at"])

    ids = _upsert(s, d.__table__, d, items, keys, existing, fill)
    _mark_current(s, d, items, ids, ("record_id", "reviewer_id", "stage"))


def _mark_current(
    s: Session, model: Any, items: list[dict[str, Any]], ids: dict[int, int], group: tuple[str, ...]
) -> None:
    """Make the file's current rows current again, leaving one current row per key."""
    current = [ids[it["id"]] for it in items if it["current"]]
    if not current:
        return
    rows = _in_chunks(s, model, model.id, current)
    touched = {tuple(getattr(r, c) for c in group) for r in rows}
    # the rows the file marks current compete with the database's current ones
    others = [
        r
        for r in _in_chunks(s, model, model.record_id, sorted({k[0] for k in touched}))
        if r.is_current
    ]
    best: dict[Key, Any] = {}
    for row in [*others, *rows]:
        key = tuple(getattr(row, c) for c in group)
        if key in touched and (
            key not in best or as_utc(row.created_at) > as_utc(best[key].created_at)
        ):
            best[key] = row
    keep = {r.id for r in best.values()}
    drop = [
        r.id for r in others if r.id not in keep and tuple(getattr(r, c) for c in group) in touched
    ]
    if drop:
        s.execute(update(model).where(model.id.in_(drop)).values(is_current=False))
        s.expire_all()
    if keep:
        s.execute(update(model).where(model.id.in_(sorted(keep))).values(is_current=True))
        s.expire_all()


def _in_chunks(s: Session, model: Any, column: Any, ids: list[int]) -> list[Any]:
    out: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        out += s.scalars(select(model).where(column.in_(ids[start : start + CHUNK]))).all()
    return out


def _apply_tags(
    s: Session, review: Review, doc: YamlDocument, items: list[dict[str, Any]], refs: _Refs
) -> None:
    _check_unique(doc, items, "tags", "tag")
    t = RecordTag
    keys: list[Key] = []
    for i, item in enumerate(items):
        path: Path_ = ("tags", i)
        keys.append(
            (
                refs.record((*path, "record"), item["record"]),
                refs.tag((*path, "tag"), item["tag"]),
                refs.person((*path, "reviewer"), item["reviewer"]),
                _utc_iso(refs.when((*path, "created_at"), item["created_at"])),
            )
        )
    mine = select(Record.id).where(Record.review_id == review.id)
    existing = {
        (r.record_id, r.tag_id, r.reviewer_id, _utc_iso(r.created_at)): r
        for r in s.scalars(select(t).where(t.record_id.in_(mine)))
    }

    def fill(row: RecordTag, i: int) -> None:
        item, path = items[i], ("tags", i)
        row.record_id, row.tag_id, row.reviewer_id = keys[i][0], keys[i][1], keys[i][2]
        row.stage = item["stage"]
        row.is_current = False
        row.created_at = refs.at((*path, "created_at"), item["created_at"])
        row.removed_at = refs.when((*path, "removed_at"), item["removed_at"])

    ids = _upsert(s, t.__table__, t, items, keys, existing, fill)
    _mark_current(s, t, items, ids, ("record_id", "tag_id", "reviewer_id"))


def _apply_samples(
    s: Session, review: Review, doc: YamlDocument, items: list[dict[str, Any]], refs: _Refs
) -> dict[int, int]:
    _check_unique(doc, items, "samples", "sample")
    keys: list[Key] = []
    members: list[list[tuple[int, str | None]]] = []
    for i, item in enumerate(items):
        path: Path_ = ("samples", i)
        keys.append(
            (
                item["stage"],
                item["seed"],
                refs.person((*path, "first_reviewer"), item["first_reviewer"]),
                refs.person((*path, "second_reviewer"), item["second_reviewer"]),
                _utc_iso(refs.when((*path, "drawn_at"), item["drawn_at"])),
            )
        )
        listed = item["records"] if item["records"] is not None else []
        if not isinstance(listed, list) or not all(
            isinstance(x, int) and not isinstance(x, bool) for x in listed
        ):
            raise doc.error((*path, "records"), "must be a list of record ids")
        strata = _mapping(doc, (*path, "strata"), item["strata"])
        rows = []
        for j, file_id in enumerate(listed):
            stratum = strata.get(file_id, strata.get(str(file_id)))
            rows.append((refs.record((*path, "records", j), file_id), stratum))
        if len({r for r, _ in rows}) != len(rows):
            raise doc.error((*path, "records"), "a record is listed twice")
        members.append(rows)
    existing = {
        (x.stage, x.seed, x.first_reviewer_id, x.second_reviewer_id, _utc_iso(x.drawn_at)): x
        for x in s.scalars(select(Sample).where(Sample.review_id == review.id))
    }

    def fill(row: Sample, i: int) -> None:
        item, path = items[i], ("samples", i)
        row.review_id = review.id
        row.stage, row.seed = item["stage"], item["seed"]
        row.first_reviewer_id, row.second_reviewer_id = keys[i][2], keys[i][3]
        row.fraction, row.stratify = item["fraction"], item["stratify"]
        row.params = _mapping(doc, (*path, "params"), item["params"])
        row.drawn_by_id = refs.person((*path, "drawn_by"), item["drawn_by"])
        row.drawn_at = refs.at((*path, "drawn_at"), item["drawn_at"])
        row.size = item["size"] if item["size"] is not None else len(members[i])
        row.comparison_opened_at = refs.when(
            (*path, "comparison_opened_at"), item["comparison_opened_at"]
        )
        row.comparison_opened_by_id = refs.person(
            (*path, "comparison_opened_by"), item["comparison_opened_by"]
        )
        row.closed_at = refs.when((*path, "closed_at"), item["closed_at"])

    ids = _upsert(s, Sample.__table__, Sample, items, keys, existing, fill)
    for item, rows in zip(items, members, strict=True):
        sid = ids[item["id"]]
        have = {
            sr.record_id: sr
            for sr in s.scalars(select(SampleRecord).where(SampleRecord.sample_id == sid))
        }
        for rid, stratum in rows:
            sr = have.get(rid) or SampleRecord(sample_id=sid, record_id=rid)
            sr.stratum = None if stratum is None else str(stratum)
            s.add(sr)
    s.flush()
    return ids


def _apply_resolutions(
    s: Session,
    review: Review,
    doc: YamlDocument,
    items: list[dict[str, Any]],
    refs: _Refs,
    samples: dict[int, int],
) -> None:
    _check_unique(doc, items, "resolutions", "resolution")
    keys: list[Key] = []
    for i, item in enumerate(items):
        path: Path_ = ("resolutions", i)
        keys.append(
            (
                refs.record((*path, "record"), item["record"]),
                item["stage"],
                _utc_iso(refs.when((*path, "decided_at"), item["decided_at"])),
            )
        )
        if item["sample"] is not None and item["sample"] not in samples:
            raise doc.error((*path, "sample"), f"no sample with id {item['sample']} in this file")
    existing = {
        (r.record_id, r.stage, _utc_iso(r.decided_at)): r
        for r in s.scalars(select(Resolution).where(Resolution.review_id == review.id))
    }

    def fill(row: Resolution, i: int) -> None:
        item, path = items[i], ("resolutions", i)
        row.review_id = review.id
        row.sample_id = None if item["sample"] is None else samples[item["sample"]]
        row.record_id, row.stage = keys[i][0], keys[i][1]
        row.decision, row.rationale = item["decision"], item["rationale"]
        row.decided_by_id = refs.person((*path, "decided_by"), item["decided_by"])
        row.decided_at = refs.at((*path, "decided_at"), item["decided_at"])

    _upsert(s, Resolution.__table__, Resolution, items, keys, existing, fill)


register_applier("screening", apply_screening)


# --------------------------------------------------------------------------------------------
# Writing


def screening_document(s: Session, review: Review) -> dict[str, Any] | None:
    """The `screening` document of a review, or None when nothing was screened or sampled."""
    from realist.services import visibility
    from realist.yamlio.writer import VIEWER, flow, header

    viewer = s.info.get(VIEWER)

    def visible(entity: Any) -> Any:
        # what the viewer may see, as on every read path (everything when nobody is named)
        return true() if viewer is None else visibility.decision_visibility(s, viewer, entity)

    blind_samples = set() if viewer is None else {b.sample_id for b in visibility.blinds(s, viewer)}
    names = {r.id: r.name for r in s.scalars(select(Reviewer))}
    codes = {t.id: t.code for t in s.scalars(select(TagDef).where(TagDef.review_id == review.id))}
    d = ScreeningDecision
    decisions = [
        _compact(
            {
                "id": r.id,
                "record": r.record_id,
                "reviewer": names.get(r.reviewer_id),
                "stage": r.stage,
                "decision": r.decision,
                "reason": r.reason_code,
                "note": r.note,
                "source": r.source,
                "current": r.is_current,
                "retracted_at": _utc_iso(r.retracted_at),
                "created_at": _utc_iso(r.created_at),
            },
            keep=("id", "record", "reviewer", "stage", "decision", "current", "created_at"),
        )
        for r in s.scalars(select(d).where(d.review_id == review.id, visible(d)).order_by(d.id))
    ]
    mine = select(Record.id).where(Record.review_id == review.id)
    tags = [
        _compact(
            {
                "id": t.id,
                "record": t.record_id,
                "tag": codes.get(t.tag_id),
                "reviewer": names.get(t.reviewer_id),
                "stage": t.stage,
                "current": t.is_current,
                "created_at": _utc_iso(t.created_at),
                "removed_at": _utc_iso(t.removed_at),
            },
            keep=("id", "record", "tag", "reviewer", "current", "created_at"),
        )
        for t in s.scalars(
            select(RecordTag)
            .where(RecordTag.record_id.in_(mine), visible(RecordTag))
            .order_by(RecordTag.id)
        )
    ]
    samples = []
    for x in s.scalars(select(Sample).where(Sample.review_id == review.id).order_by(Sample.id)):
        # a blind viewer gets no strata and no draw details (they derive from the first
        # reviewer's decisions), as the samples service redacts them
        redacted = x.id in blind_samples
        members = s.execute(
            select(SampleRecord.record_id, SampleRecord.stratum)
            .where(SampleRecord.sample_id == x.id)
            .order_by(SampleRecord.record_id)
        ).all()
        samples.append(
            _compact(
                {
                    "id": x.id,
                    "stage": x.stage,
                    "fraction": x.fraction,
                    "seed": x.seed,
                    "stratify": x.stratify,
                    "params": {} if redacted else _sorted_keys(x.params or {}),
                    "first_reviewer": names.get(x.first_reviewer_id),
                    "second_reviewer": names.get(x.second_reviewer_id),
                    "drawn_by": names.get(x.drawn_by_id) if x.drawn_by_id else None,
                    "drawn_at": _utc_iso(x.drawn_at),
                    "size": x.size,
                    "comparison_opened_at": _utc_iso(x.comparison_opened_at),
                    "comparison_opened_by": names.get(x.comparison_opened_by_id)
                    if x.comparison_opened_by_id
                    else None,
                    "closed_at": _utc_iso(x.closed_at),
                    "records": flow([rid for rid, _ in members]),
                    "strata": {}
                    if redacted
                    else {rid: st for rid, st in members if st is not None},
                },
                keep=(
                    "id",
                    "stage",
                    "fraction",
                    "seed",
                    "first_reviewer",
                    "second_reviewer",
                    "drawn_at",
                    "size",
                    "records",
                ),
            )
        )
    resolutions = [
        _compact(
            {
                "id": r.id,
                "sample": r.sample_id,
                "record": r.record_id,
                "stage": r.stage,
                "decision": r.decision,
                "rationale": r.rationale,
                "decided_by": names.get(r.decided_by_id) if r.decided_by_id else None,
                "decided_at": _utc_iso(r.decided_at),
            },
            keep=("id", "record", "stage", "decision", "decided_at"),
        )
        for r in s.scalars(
            select(Resolution)
            .where(Resolution.review_id == review.id, visible(Resolution))
            .order_by(Resolution.id)
        )
    ]
    if not (decisions or tags or samples or resolutions):
        return None
    out = header("screening", (review.sources or {}).get("screening"))
    out.update(decisions=decisions, tags=tags, samples=samples, resolutions=resolutions)
    return out


def _register_writer() -> None:
    from realist.yamlio import writer

    writer.register_writer("screening", screening_document)


_register_writer()
