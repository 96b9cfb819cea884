"""Write a review back to YAML in one canonical layout, so load -> dump reproduces the files.

Key order follows docs/yaml-schema.md; multi-line text is written as literal blocks; short lists of
plain values are written inline. The same database always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from realist.db.models import (
    Cluster,
    Cmoc,
    CmocDocument,
    CmocLink,
    CmocRevision,
    Criterion,
    Document,
    ExclusionReason,
    RamesesItem,
    Review,
    Reviewer,
    TagDef,
    as_utc,
)
from realist.db.store import Store
from realist.yamlio.schema import REVIEW_FIELDS, SCHEMA_VERSION, SOURCE, Field

if TYPE_CHECKING:
    from realist.services.context import Workspace


class _FlowList(list[Any]):
    """A list written inline: [a, b, c]."""


class CanonicalDumper(yaml.SafeDumper):
    """SafeDumper with block-literal multi-line strings and indented sequences."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key (PyYAML's default puts "- " at the key's column).
        super().increase_indent(flow, False)


# YAML 1.1 treats these as line breaks; PyYAML writes them raw in plain style and they come back as
# spaces, so such strings are forced into double quotes, where they are escaped.
_BREAKS = ("\x85", "\u2028", "\u2029", "\r")


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(b in value for b in _BREAKS):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _flow(dumper: yaml.SafeDumper, value: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(value), flow_style=True)


CanonicalDumper.add_representer(str, _str)
CanonicalDumper.add_representer(_FlowList, _flow)


def to_yaml(data: dict[str, Any]) -> str:
    """Render one document canonically."""
    return yaml.dump(
        data,
        Dumper=CanonicalDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def flow(values: list[Any]) -> list[Any]:
    """Short lists of plain values read best inline; long ones stay one per line."""
    if all(isinstance(v, str | int) for v in values) and sum(len(str(v)) + 2 for v in values) <= 70:
        return _FlowList(values)
    return list(values)


def _ordered(value: dict[str, Any] | None, spec: Field) -> dict[str, Any] | None:
    """A stored mapping with its keys back in schema order."""
    if value is None:
        return None
    return {k: value.get(k) for k in spec.fields}


def _sorted_keys(value: Any) -> Any:
    """Free-form mappings (revision changes) in sorted key order, the same on every backend."""
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def header(kind: str, source: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "kind": kind}
    if source:
        # Schema order, not storage order: PostgreSQL's JSONB does not keep key order.
        keys = list(SOURCE.fields) + sorted(k for k in source if k not in SOURCE.fields)
        out["source"] = {k: source[k] for k in keys if source.get(k) is not None}
    return out


def review_document(s: Session, review: Review) -> dict[str, Any]:
    settings = review.settings or {}
    meta: dict[str, Any] = {
        "title": review.title,
        "question": review.question,
        "registration": review.registration,
        "databases": flow(settings.get("databases") or []),
        "reported_flow": _ordered(
            settings.get("reported_flow"), REVIEW_FIELDS["review"].fields["reported_flow"]
        ),
        "highlight": None,
    }
    if settings.get("highlight") is not None:
        hl = settings["highlight"]
        meta["highlight"] = {
            "include": flow(hl.get("include") or []),
            "exclude": flow(hl.get("exclude") or []),
        }
    out = header("review", (review.sources or {}).get("review"))
    out["review"] = meta
    crit = s.scalars(
        select(Criterion)
        .where(Criterion.review_id == review.id)
        .order_by(Criterion.kind, Criterion.position)
    ).all()
    out["criteria"] = {
        "inclusion": [c.text for c in crit if c.kind == "inclusion"],
        "exclusion": [c.text for c in crit if c.kind == "exclusion"],
    }
    out["exclusion_reasons"] = [
        {"code": r.code, "label": r.label, "stages": flow(list(r.stages or []))}
        for r in s.scalars(
            select(ExclusionReason)
            .where(ExclusionReason.review_id == review.id)
            .order_by(ExclusionReason.position)
        )
    ]
    tags = select(TagDef).where(TagDef.review_id == review.id).order_by(TagDef.position)
    viewer = s.info.get(VIEWER)
    if viewer is not None:
        # a blind second reviewer's dump leaves out the custom labels their first reviewer typed
        from realist.services.visibility import label_visibility

        tags = tags.where(label_visibility(s, viewer))
    out["tags"] = [
        {
            "code": t.code,
            "label": t.label,
            "group": t.group,
            "key": t.key,
            "description": t.description,
        }
        for t in s.scalars(tags)
    ]
    out["reviewers"] = [
        {"name": r.name, "full_name": r.full_name, "role": r.role}
        for r in s.scalars(select(Reviewer).order_by(Reviewer.id))
    ]
    out["rameses"] = [
        {"item": r.item, "reported": r.reported, "pages": r.pages, "note": r.note}
        for r in s.scalars(
            select(RamesesItem).where(RamesesItem.review_id == review.id).order_by(RamesesItem.item)
        )
    ]
    return out


def studies_document(s: Session, review: Review) -> dict[str, Any]:
    # Imported here: the loader imports the YAML kinds, which import this module.
    from realist.yamlio.loader import STUDY_ATTRS as study_attrs

    out = header("studies", (review.sources or {}).get("studies"))
    studies = []
    for d in s.scalars(
        select(Document)
        .where(Document.review_id == review.id)
        .order_by(Document.position, Document.id)
    ):
        item: dict[str, Any] = {"ref": d.ref}
        for attr in study_attrs:
            value = getattr(d, attr)
            item[attr] = flow(list(value)) if attr == "progress_plus" else value
        studies.append(item)
    out["studies"] = studies
    return out


def cmocs_document(s: Session, review: Review) -> dict[str, Any]:
    out = header("cmocs", (review.sources or {}).get("cmocs"))
    clusters = s.scalars(
        select(Cluster).where(Cluster.review_id == review.id).order_by(Cluster.number)
    ).all()
    number = {c.id: c.number for c in clusters}
    out["clusters"] = [
        {"number": c.number, "name": c.name, "description": c.description} for c in clusters
    ]
    cmocs = s.scalars(
        select(Cmoc).where(Cmoc.review_id == review.id).order_by(Cmoc.position, Cmoc.id)
    ).all()
    label = {c.id: c.label for c in cmocs}
    refs: dict[int, list[str]] = {}
    rows = s.execute(
        select(CmocDocument.cmoc_id, Document.ref)
        .join(Document, Document.id == CmocDocument.document_id)
        .join(Cmoc, Cmoc.id == CmocDocument.cmoc_id)
        .where(Cmoc.review_id == review.id)
        .order_by(CmocDocument.cmoc_id, CmocDocument.position)
    )
    for cmoc_id, ref in rows:
        refs.setdefault(cmoc_id, []).append(ref)
    out["cmocs"] = [
        {
            "id": c.label,
            "cluster": number.get(c.cluster_id) if c.cluster_id else None,
            "context": c.context,
            "mechanism": c.mechanism,
            "outcome": c.outcome,
            "statement": c.statement,
            "direction": c.direction,
            "status": c.status,
            "plain_summary": c.plain_summary,
            "documents": flow(refs.get(c.id, [])),
            "notes": c.notes,
        }
        for c in cmocs
    ]
    links = s.scalars(
        select(CmocLink)
        .where(CmocLink.from_id.in_(label.keys()))
        .order_by(CmocLink.position, CmocLink.id)
    ).all()
    out["links"] = [
        {"from": label[k.from_id], "to": label[k.to_id], "kind": k.kind, "note": k.note}
        for k in links
    ]
    names = {r.id: r.name for r in s.scalars(select(Reviewer))}
    revisions = s.scalars(
        select(CmocRevision)
        .where(CmocRevision.cmoc_id.in_(label.keys()))
        .order_by(CmocRevision.at, CmocRevision.id)
    ).all()
    if revisions:
        out["revisions"] = [
            {
                "cmoc": label[r.cmoc_id],
                "at": as_utc(r.at).isoformat(),
                "reviewer": names.get(r.reviewer_id) if r.reviewer_id else None,
                "changes": _sorted_keys(r.changes),
                "rationale": r.rationale,
            }
            for r in revisions
        ]
    return out


Writer = Callable[[Session, Review], dict[str, Any] | None]
WRITERS: dict[str, Writer] = {
    "review": review_document,
    "studies": studies_document,
    "cmocs": cmocs_document,
}


def register_writer(kind: str, fn: Writer) -> None:
    """Let a later capability dump its own kind; return None from `fn` to write no file."""
    WRITERS[kind] = fn


VIEWER = "realist.yaml_viewer"
"""`session.info` key: the workspace a dump is made for (kinds that hold screening work leave
out what that reviewer may not see, as every other read path does)."""


def dump_review(
    store: Store, review_id: int, directory: Path, *, viewer: Workspace | None = None
) -> list[Path]:
    """Write every kind of the review to `directory` as <kind>.yaml; returns the files written.

    `viewer`: the workspace of whoever asked (the CLI passes it): blinding applies to them. With
    none, everything is written (the archive a lead or the database owner takes).
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    with store.read() as s:
        if viewer is not None:
            s.info[VIEWER] = viewer
        if store.engine.dialect.name == "postgresql":
            # One snapshot for every query: a dump taken while others work is one moment of the
            # review (SQLite's read transaction already is).
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        review = s.get(Review, review_id)
        if review is None:
            raise ValueError(f"no review with id {review_id}")
        documents = {kind: fn(s, review) for kind, fn in WRITERS.items()}
    for kind, data in documents.items():
        if data is None:
            continue
        path = directory / f"{kind}.yaml"
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(to_yaml(data), encoding="utf-8")
        tmp.replace(path)  # never leave a half-written file behind
        written.append(path)
    return written


def _import_kinds() -> None:
    from realist.yamlio.kinds import import_all

    import_all()


_import_kinds()
