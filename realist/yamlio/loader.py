"""Load YAML files into the database: all files in one transaction, or nothing.

Objects are matched on their natural keys (tag code, study ref, CMOC id, cluster number, reviewer
name) and updated in place; objects absent from a file are kept, never deleted silently. The
eligibility criteria are the exception: a review file sets them whole (unchanged criteria keep
their identity; each one removed is audited, see `realist.services.criteria.replace_criteria`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from realist.db.models import (
    Cluster,
    Cmoc,
    CmocDocument,
    CmocLink,
    CmocRevision,
    Document,
    ExclusionReason,
    RamesesItem,
    Review,
    Reviewer,
    TagDef,
)
from realist.db.store import Store
from realist.domain import Role
from realist.services import audit
from realist.services.context import Workspace
from realist.services.criteria import replace_criteria
from realist.yamlio.reader import YamlDocument, YamlError, read_yaml
from realist.yamlio.schema import validate_document

KIND_ORDER = ["review", "studies", "cmocs", "records", "screening", "coding", "audit"]


@dataclass
class LoadedFile:
    path: str
    kind: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class LoadSummary:
    """What a load did, per file."""

    review_id: int
    files: list[LoadedFile] = field(default_factory=list)


Applier = Callable[[Session, Review, YamlDocument, dict[str, Any]], dict[str, int]]
APPLIERS: dict[str, Applier] = {}


def register_applier(kind: str, fn: Applier) -> None:
    """Let a later capability load its own kind (records, screening, coding, audit)."""
    APPLIERS[kind] = fn


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files as given; directories expand to their *.yaml / *.yml files, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted([*p.glob("*.yaml"), *p.glob("*.yml")])
            if not found:
                raise YamlError(str(p), None, "no .yaml files in this folder")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise YamlError(str(p), None, "no such file or folder")
    return out


def read_documents(paths: Sequence[Path]) -> list[tuple[str, YamlDocument, dict[str, Any]]]:
    """Parse and validate every file before anything touches the database."""
    docs = []
    for path in expand_paths(paths):
        doc = read_yaml(path)
        kind, body = validate_document(doc)
        docs.append((kind, doc, body))
    docs.sort(key=lambda d: KIND_ORDER.index(d[0]) if d[0] in KIND_ORDER else len(KIND_ORDER))
    return docs


def load_paths(
    store: Store,
    paths: Sequence[Path],
    *,
    review_id: int | None = None,
    ws: Workspace | None = None,
) -> LoadSummary:
    """Load YAML files (or folders of them) into the review, in one transaction.

    A named reviewer must be a lead: a file can set anything, reviewers' roles included.
    """
    if ws is not None and ws.actor is not None:
        ws.require_role(Role.LEAD, action="load YAML files into the review")
    docs = read_documents(paths)
    with store.transaction() as s:
        review = _find_or_create_review(s, review_id, docs)
        work = Workspace(store, review.id, ws.actor if ws else None)
        summary = LoadSummary(review_id=review.id)
        for kind, doc, body in docs:
            applier = APPLIERS.get(kind)
            if applier is None:
                raise doc.error(
                    ("kind",), f"loading kind {kind!r} is not supported by this version"
                )
            counts = applier(s, review, doc, body)
            if kind == "review" and body["criteria"] is not None:
                # Criteria become exactly the file's; unchanged ones keep their identity so
                # edits under way elsewhere still save (realist.services.criteria).
                n = replace_criteria(s, work, body["criteria"], source=Path(doc.file).name)
                counts = {"criteria": n, **counts}
            if body.get("source"):
                review.sources = {**(review.sources or {}), kind: body["source"]}
            summary.files.append(LoadedFile(doc.file, kind, counts))
            audit.log(s, work, "load", "file", Path(doc.file).name, kind=kind, **counts)
    return summary


def _find_or_create_review(
    s: Session, review_id: int | None, docs: list[tuple[str, YamlDocument, dict[str, Any]]]
) -> Review:
    # Loads lock the review row: two sessions loading at once run one after the other, so a
    # file's criteria (set whole) never mix with another's (PostgreSQL; SQLite serialises).
    # Criteria edits take the same lock (realist.services.criteria).
    if review_id is not None:
        review = s.get(Review, review_id, with_for_update=True)
        if review is None:
            raise YamlError("<database>", None, f"no review with id {review_id}")
        return review
    review = s.scalars(select(Review).order_by(Review.id).limit(1).with_for_update()).first()
    if review is None:
        title = "Untitled review"
        for kind, _doc, body in docs:
            if kind == "review":
                title = body["review"]["title"]
        review = Review(title=title, settings={}, sources={})
        s.add(review)
        s.flush()
    return review


# --------------------------------------------------------------------------------------------
# kind: review


def apply_review(
    s: Session, review: Review, doc: YamlDocument, body: dict[str, Any]
) -> dict[str, int]:
    meta = body["review"]
    review.title = meta["title"]
    review.question = meta["question"]
    review.registration = meta["registration"]
    review.settings = {
        **(review.settings or {}),
        "databases": meta["databases"],
        "reported_flow": meta["reported_flow"],
        "highlight": meta["highlight"],
    }
    counts: dict[str, int] = {}
    # The criteria are set by `load_paths` (replace_criteria), which knows who is loading.
    existing_reasons = {
        r.code: r
        for r in s.scalars(select(ExclusionReason).where(ExclusionReason.review_id == review.id))
    }
    for i, item in enumerate(body["exclusion_reasons"]):
        reason = existing_reasons.get(item["code"]) or ExclusionReason(
            review_id=review.id, code=item["code"]
        )
        reason.label, reason.stages, reason.position = item["label"], item["stages"], i
        s.add(reason)
    counts["exclusion_reasons"] = len(body["exclusion_reasons"])
    existing_tags = {
        t.code: t for t in s.scalars(select(TagDef).where(TagDef.review_id == review.id))
    }
    keys: dict[str, int] = {}
    for i, item in enumerate(body["tags"]):
        if item["key"]:
            if item["key"] in keys:
                raise doc.error(
                    ("tags", i, "key"),
                    f"key {item['key']!r} is already used by tags[{keys[item['key']]}]",
                )
            keys[item["key"]] = i
        tag = existing_tags.get(item["code"]) or TagDef(review_id=review.id, code=item["code"])
        tag.label, tag.group, tag.key = item["label"], item["group"], item["key"]
        tag.description, tag.position = item["description"], i
        s.add(tag)
    counts["tags"] = len(body["tags"])
    for item in body["reviewers"]:
        person = s.scalars(select(Reviewer).where(Reviewer.name == item["name"])).first()
        if person is None:
            person = Reviewer(name=item["name"])
        person.full_name, person.role = item["full_name"], item["role"]
        s.add(person)
    counts["reviewers"] = len(body["reviewers"])
    existing_items = {
        r.item: r for r in s.scalars(select(RamesesItem).where(RamesesItem.review_id == review.id))
    }
    seen_items: set[int] = set()
    for i, item in enumerate(body["rameses"]):
        if not 1 <= item["item"] <= 19:
            raise doc.error(
                ("rameses", i, "item"), f"RAMESES items are numbered 1 to 19, not {item['item']}"
            )
        if item["item"] in seen_items:
            raise doc.error(("rameses", i, "item"), f"item {item['item']} appears twice")
        seen_items.add(item["item"])
        row = existing_items.get(item["item"]) or RamesesItem(
            review_id=review.id, item=item["item"]
        )
        row.reported, row.pages, row.note = item["reported"], item["pages"], item["note"]
        s.add(row)
    counts["rameses"] = len(body["rameses"])
    s.flush()
    return counts


# --------------------------------------------------------------------------------------------
# kind: studies

STUDY_ATTRS = [
    "authors", "et_al", "title", "journal", "year", "volume", "issue", "pages", "doi", "url",
    "country", "setting", "design", "document_type", "population", "intervention", "focus",
    "progress_plus", "relevance", "rigour", "notes",
]  # fmt: skip


def apply_studies(
    s: Session, review: Review, doc: YamlDocument, body: dict[str, Any]
) -> dict[str, int]:
    tag_codes = set(s.scalars(select(TagDef.code).where(TagDef.review_id == review.id)))
    existing = {
        d.ref: d for d in s.scalars(select(Document).where(Document.review_id == review.id))
    }
    max_pos = max((d.position for d in existing.values()), default=-1)
    seen: set[str] = set()
    created = 0
    for i, item in enumerate(body["studies"]):
        ref = item["ref"]
        if ref in seen:
            raise doc.error(("studies", i, "ref"), f"ref {ref!r} appears twice in this file")
        seen.add(ref)
        if tag_codes:
            for j, code in enumerate(item["progress_plus"]):
                if code not in tag_codes:
                    raise doc.error(
                        ("studies", i, "progress_plus", j),
                        f"unknown tag {code!r} (the review's tags: {', '.join(sorted(tag_codes))})",
                    )
        document = existing.get(ref)
        if document is None:
            max_pos += 1
            document = Document(review_id=review.id, ref=ref, position=max_pos)
            created += 1
        for attr in STUDY_ATTRS:
            setattr(document, attr, item[attr])
        s.add(document)
    s.flush()
    return {"studies": len(body["studies"]), "created": created}


# --------------------------------------------------------------------------------------------
# kind: cmocs

CMOC_ATTRS = [
    "context",
    "mechanism",
    "outcome",
    "statement",
    "direction",
    "status",
    "plain_summary",
    "notes",
]


def apply_cmocs(
    s: Session, review: Review, doc: YamlDocument, body: dict[str, Any]
) -> dict[str, int]:
    clusters = {
        c.number: c for c in s.scalars(select(Cluster).where(Cluster.review_id == review.id))
    }
    for i, item in enumerate(body["clusters"]):
        cluster = clusters.get(item["number"]) or Cluster(
            review_id=review.id, number=item["number"]
        )
        cluster.name, cluster.description = item["name"], item["description"]
        s.add(cluster)
        clusters[item["number"]] = cluster
        if sum(1 for c in body["clusters"] if c["number"] == item["number"]) > 1:
            raise doc.error(("clusters", i, "number"), f"cluster {item['number']} appears twice")
    s.flush()
    documents = {
        d.ref: d for d in s.scalars(select(Document).where(Document.review_id == review.id))
    }
    cmocs = {c.label: c for c in s.scalars(select(Cmoc).where(Cmoc.review_id == review.id))}
    max_pos = max((c.position for c in cmocs.values()), default=-1)
    seen: set[str] = set()
    for i, item in enumerate(body["cmocs"]):
        label = item["id"]
        if label in seen:
            raise doc.error(("cmocs", i, "id"), f"CMOC {label!r} appears twice in this file")
        seen.add(label)
        cluster_id = None
        if item["cluster"] is not None:
            if item["cluster"] not in clusters:
                raise doc.error(("cmocs", i, "cluster"), f"no cluster number {item['cluster']}")
            cluster_id = clusters[item["cluster"]].id
        cmoc = cmocs.get(label)
        if cmoc is None:
            max_pos += 1
            cmoc = Cmoc(review_id=review.id, label=label, position=max_pos)
            cmocs[label] = cmoc
        cmoc.cluster_id = cluster_id
        for attr in CMOC_ATTRS:
            value = item[attr]
            setattr(
                cmoc,
                attr,
                value
                if value is not None or attr not in {"context", "mechanism", "outcome", "statement"}
                else "",
            )
        s.add(cmoc)
        s.flush()
        s.execute(delete(CmocDocument).where(CmocDocument.cmoc_id == cmoc.id))
        for j, ref in enumerate(item["documents"]):
            if ref not in documents:
                raise doc.error(
                    ("cmocs", i, "documents", j),
                    f"no study with ref {ref!r} (load the studies file too)",
                )
            if any(r == ref for r in item["documents"][:j]):
                raise doc.error(("cmocs", i, "documents", j), f"study {ref!r} is listed twice")
            s.add(CmocDocument(cmoc_id=cmoc.id, document_id=documents[ref].id, position=j))
    s.flush()
    links = 0
    for i, item in enumerate(body["links"]):
        for end in ("from", "to"):
            if item[end] not in cmocs:
                raise doc.error(("links", i, end), f"no CMOC {item[end]!r}")
        kind = item["kind"] or "leads_to"
        a, b = cmocs[item["from"]].id, cmocs[item["to"]].id
        link = s.scalars(
            select(CmocLink).where(
                CmocLink.from_id == a, CmocLink.to_id == b, CmocLink.kind == kind
            )
        ).first() or CmocLink(from_id=a, to_id=b, kind=kind)
        link.note, link.position = item["note"], i
        s.add(link)
        links += 1
    reviewers = {r.name: r.id for r in s.scalars(select(Reviewer))}
    for i, item in enumerate(body["revisions"]):
        if item["cmoc"] not in cmocs:
            raise doc.error(("revisions", i, "cmoc"), f"no CMOC {item['cmoc']!r}")
        try:
            at = datetime.fromisoformat(item["at"])
        except ValueError:
            raise doc.error(
                ("revisions", i, "at"), f"not an ISO date-time: {item['at']!r}"
            ) from None
        cmoc_id = cmocs[item["cmoc"]].id
        dup = s.scalars(
            select(CmocRevision).where(CmocRevision.cmoc_id == cmoc_id, CmocRevision.at == at)
        ).first()
        if dup is None:
            s.add(
                CmocRevision(
                    cmoc_id=cmoc_id,
                    at=at,
                    reviewer_id=reviewers.get(item["reviewer"] or ""),
                    changes=item["changes"] or {},
                    rationale=item["rationale"],
                )
            )
    s.flush()
    return {"clusters": len(body["clusters"]), "cmocs": len(body["cmocs"]), "links": links}


register_applier("review", apply_review)
register_applier("studies", apply_studies)
register_applier("cmocs", apply_cmocs)


def _import_kinds() -> None:
    from realist.yamlio.kinds import import_all

    import_all()


_import_kinds()
