"""Building the programme theory: create and edit CMOCs, link excerpts to them as evidence for
their context, mechanism or outcome, link CMOCs to each other, and keep every change.

Each change to a CMOC appends a `CmocRevision` (who, when, field -> [old, new], why), so a
reviewer can show how the theory was refined, as RAMESES asks. Edits carry the version the
editor read: a stale edit raises `ConflictError` and saves nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from realist.db.models import (
    Cluster,
    Cmoc,
    CmocDocument,
    CmocEvidence,
    CmocLink,
    CmocRevision,
    Document,
    Excerpt,
    Reviewer,
    as_utc,
    utcnow,
)
from realist.domain import CmocStatus, Direction, EvidenceRole, LinkKind, Role, values
from realist.errors import InvalidInputError, NotFoundError
from realist.services import audit
from realist.services.codes import check_version, conflict_guard
from realist.services.context import Workspace
from realist.services.excerpts import find_document
from realist.services.theory import CmocView, cmoc_view

BUILDERS = (Role.LEAD, Role.REVIEWER)  # may create and edit CMOCs
LINKERS = (Role.LEAD, Role.REVIEWER, Role.CODER)  # may link excerpts as evidence
TEXT_FIELDS = ("context", "mechanism", "outcome", "statement", "plain_summary", "notes")
FIELDS = ("id", "cluster", *TEXT_FIELDS[:4], "plain_summary", "direction", "status", "notes")
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
ROLE_NAMES = {"C": "context", "M": "mechanism", "O": "outcome"}


def generate_statement(context: str, mechanism: str, outcome: str, *, marks: bool = True) -> str:
    """ "When [C] then [O] because [M]", with the (C) (O) (M) marks the review's tables use.

    A part left empty is left out rather than written as a placeholder."""

    def part(text: str, mark: str) -> str:
        text = " ".join(text.split()).rstrip(" .;,")
        return f"{text} ({mark})" if marks else text

    c, m, o = (x.strip() for x in (context, mechanism, outcome))
    pieces = []
    if c:
        pieces.append(f"When {part(c, 'C')}")
    if o:
        pieces.append(f"then {part(o, 'O')}" if pieces else part(o, "O"))
    if m:
        pieces.append(f"because {part(m, 'M')}")
    text = " ".join(pieces)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class ClusterInfo:
    id: int
    number: int
    name: str
    description: str | None
    cmocs: int
    version: int


@dataclass(frozen=True)
class RevisionView:
    """One change to a CMOC."""

    id: int
    cmoc: str
    at: datetime
    reviewer: str | None
    changes: dict[str, tuple[Any, Any]]
    rationale: str | None


# --------------------------------------------------------------------------------------------
# Helpers


def find_cmoc(s: Session, ws: Workspace, label: str | int) -> Cmoc:
    """A CMOC of this review by label ('1A') or id (int)."""
    if isinstance(label, int):
        cmoc = s.get(Cmoc, label)
        if cmoc is None or cmoc.review_id != ws.review_id:
            raise NotFoundError(f"no CMOC #{label} in this review")
        return cmoc
    cmoc = s.scalars(
        select(Cmoc).where(Cmoc.review_id == ws.review_id, Cmoc.label == label.strip())
    ).first()
    if cmoc is None:
        raise NotFoundError(f"no CMOC {label!r} in this review")
    return cmoc


def _cluster(s: Session, ws: Workspace, number: int | None) -> Cluster | None:
    if number is None:
        return None
    cluster = s.scalars(
        select(Cluster).where(Cluster.review_id == ws.review_id, Cluster.number == number)
    ).first()
    if cluster is None:
        known = s.scalars(
            select(Cluster.number).where(Cluster.review_id == ws.review_id).order_by(Cluster.number)
        ).all()
        raise NotFoundError(
            f"no cluster {number} (clusters: {', '.join(map(str, known)) or 'none yet'}); "
            "add one with `realist cmoc cluster-add NAME`"
        )
    return cluster


def _label(s: Session, ws: Workspace, label: str, *, exclude: int | None = None) -> str:
    label = label.strip()
    if not LABEL_RE.match(label):
        raise InvalidInputError(
            f"CMOC id {label!r} must be 1-32 letters, digits, '.', '_' or '-' (e.g. 1A, 15)"
        )
    clash = s.scalars(
        select(Cmoc.id).where(Cmoc.review_id == ws.review_id, Cmoc.label == label)
    ).first()
    if clash is not None and clash != exclude:
        raise InvalidInputError(f"CMOC {label!r} already exists")
    return label


def _choice(field: str, value: Any, allowed: list[str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    v = str(value).strip()
    if v not in allowed:
        raise InvalidInputError(f"{field} must be one of {', '.join(allowed)}, not {value!r}")
    return v


def _normalise(
    s: Session, ws: Workspace, cmoc: Cmoc | None, changes: dict[str, Any]
) -> dict[str, Any]:
    """Check each requested field; return field -> new stored value (cluster as its number)."""
    out: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in FIELDS:
            raise InvalidInputError(f"unknown CMOC field {field!r}; fields are {', '.join(FIELDS)}")
        if field == "id":
            out[field] = _label(s, ws, str(value or ""), exclude=cmoc.id if cmoc else None)
        elif field == "cluster":
            if value is None or value == "":
                out[field] = None
            else:
                try:
                    number = int(value)
                except (TypeError, ValueError):
                    raise InvalidInputError(f"cluster must be a number, not {value!r}") from None
                _cluster(s, ws, number)
                out[field] = number
        elif field == "direction":
            out[field] = _choice("direction", value, values(Direction))
        elif field == "status":
            out[field] = _choice("status", value, values(CmocStatus))
        elif field in {"context", "mechanism", "outcome", "statement"}:
            out[field] = (str(value) if value is not None else "").strip()
        else:
            out[field] = (str(value) if value is not None else "").strip() or None
    return out


def _current(s: Session, cmoc: Cmoc) -> dict[str, Any]:
    number = None
    if cmoc.cluster_id is not None:
        cluster = s.get(Cluster, cmoc.cluster_id)
        number = cluster.number if cluster else None
    return {
        "id": cmoc.label,
        "cluster": number,
        "context": cmoc.context,
        "mechanism": cmoc.mechanism,
        "outcome": cmoc.outcome,
        "statement": cmoc.statement,
        "plain_summary": cmoc.plain_summary,
        "direction": cmoc.direction,
        "status": cmoc.status,
        "notes": cmoc.notes,
    }


def _apply(s: Session, ws: Workspace, cmoc: Cmoc, values_: dict[str, Any]) -> None:
    for field, value in values_.items():
        if field == "id":
            cmoc.label = value
        elif field == "cluster":
            cluster = _cluster(s, ws, value)
            cmoc.cluster_id = cluster.id if cluster else None
        else:
            setattr(cmoc, field, value)


def _revise(
    s: Session, ws: Workspace, cmoc: Cmoc, changes: dict[str, list[Any]], rationale: str | None
) -> None:
    s.add(
        CmocRevision(
            cmoc_id=cmoc.id,
            reviewer_id=ws.actor.id if ws.actor else None,
            at=utcnow(),
            changes=changes,
            rationale=rationale,
        )
    )


def _view(s: Session, ws: Workspace, cmoc_id: int) -> CmocView:
    return cmoc_view(s, ws.review_id, cmoc_id)


# --------------------------------------------------------------------------------------------
# CMOCs


def create_cmoc(
    ws: Workspace,
    label: str,
    *,
    rationale: str | None = None,
    **fields: Any,
) -> CmocView:
    """Create a CMOC. Fields: cluster (number), context, mechanism, outcome, statement,
    plain_summary, direction, status (default 'new'), notes. An empty statement is generated
    from the parts. The creation is the CMOC's first revision."""
    ws.require_role(*BUILDERS, action="create CMOCs")
    fields = {k: v for k, v in fields.items() if v is not None}
    fields.setdefault("status", CmocStatus.NEW.value)
    with ws.store.transaction() as s:
        wanted = _normalise(s, ws, None, {"id": label, **fields})
        if not wanted.get("statement"):
            wanted["statement"] = generate_statement(
                wanted.get("context", ""), wanted.get("mechanism", ""), wanted.get("outcome", "")
            )
        position = s.scalar(select(func.max(Cmoc.position)).where(Cmoc.review_id == ws.review_id))
        cmoc = Cmoc(
            review_id=ws.review_id,
            label=wanted["id"],
            position=(position if position is not None else -1) + 1,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        _apply(s, ws, cmoc, wanted)
        s.add(cmoc)
        s.flush()
        changes = {k: [None, v] for k, v in wanted.items() if v not in (None, "")}
        _revise(s, ws, cmoc, changes, (rationale or "").strip() or "created")
        audit.log(s, ws, "cmoc.create", "cmoc", cmoc.id, label=cmoc.label)
        s.flush()
        return _view(s, ws, cmoc.id)


def edit_cmoc(
    ws: Workspace,
    label: str | int,
    changes: dict[str, Any],
    *,
    rationale: str,
    expected_version: int | None = None,
) -> CmocView:
    """Change fields of a CMOC (field names as in the YAML: id, cluster, context, mechanism,
    outcome, statement, plain_summary, direction, status, notes) and keep the revision with its
    rationale. Fields whose value does not change are ignored; no change at all is refused."""
    ws.require_role(*BUILDERS, action="edit CMOCs")
    why = (rationale or "").strip()
    if not why:
        raise InvalidInputError("say why this CMOC changes (the rationale is kept in its history)")
    with conflict_guard(f"CMOC {label}"), ws.store.transaction() as s:
        cmoc = find_cmoc(s, ws, label)
        check_version(f"CMOC {cmoc.label}", cmoc.version_id, expected_version)
        wanted = _normalise(s, ws, cmoc, changes)
        before = _current(s, cmoc)
        diff = {k: [before[k], v] for k, v in wanted.items() if before[k] != v}
        if not diff:
            raise InvalidInputError(f"nothing to change in CMOC {cmoc.label}")
        with s.no_autoflush:  # one UPDATE per edit, so the version moves by one
            _apply(s, ws, cmoc, {k: wanted[k] for k in diff})
            cmoc.updated_at = utcnow()
        s.flush()
        _revise(s, ws, cmoc, diff, why)
        audit.log(s, ws, "cmoc.edit", "cmoc", cmoc.id, label=cmoc.label, fields=sorted(diff))
        s.flush()
        return _view(s, ws, cmoc.id)


def regenerate_statement(
    ws: Workspace, label: str | int, *, rationale: str, expected_version: int | None = None
) -> CmocView:
    """Rewrite the statement from the CMOC's context, mechanism and outcome."""
    with ws.store.read() as s:
        cmoc = find_cmoc(s, ws, label)
        statement = generate_statement(cmoc.context, cmoc.mechanism, cmoc.outcome)
    return edit_cmoc(
        ws, label, {"statement": statement}, rationale=rationale, expected_version=expected_version
    )


def cmoc_history(ws: Workspace, label: str | int) -> list[RevisionView]:
    """Every revision of a CMOC, oldest first."""
    with ws.store.read() as s:
        cmoc = find_cmoc(s, ws, label)
        names = {r.id: r.name for r in s.scalars(select(Reviewer))}
        return [
            RevisionView(
                r.id,
                cmoc.label,
                as_utc(r.at),
                names.get(r.reviewer_id) if r.reviewer_id else None,
                {
                    k: (v[0], v[1]) if isinstance(v, list) and len(v) == 2 else (None, v)
                    for k, v in sorted((r.changes or {}).items())
                },
                r.rationale,
            )
            for r in s.scalars(
                select(CmocRevision)
                .where(CmocRevision.cmoc_id == cmoc.id)
                .order_by(CmocRevision.at, CmocRevision.id)
            )
        ]


# --------------------------------------------------------------------------------------------
# Clusters


def list_clusters(ws: Workspace) -> list[ClusterInfo]:
    """The review's clusters in order, with how many CMOCs each holds."""
    with ws.store.read() as s:
        counts = dict(
            s.execute(
                select(Cmoc.cluster_id, func.count())
                .where(Cmoc.review_id == ws.review_id)
                .group_by(Cmoc.cluster_id)
            ).all()
        )
        return [
            ClusterInfo(c.id, c.number, c.name, c.description, counts.get(c.id, 0), c.version_id)
            for c in s.scalars(
                select(Cluster).where(Cluster.review_id == ws.review_id).order_by(Cluster.number)
            )
        ]


def add_cluster(
    ws: Workspace, name: str, *, number: int | None = None, description: str | None = None
) -> ClusterInfo:
    """Add a cluster of CMOCs (numbered after the last one unless `number` is given)."""
    ws.require_role(*BUILDERS, action="add clusters")
    if not name.strip():
        raise InvalidInputError("a cluster needs a name")
    with ws.store.transaction() as s:
        last = s.scalar(select(func.max(Cluster.number)).where(Cluster.review_id == ws.review_id))
        if number is None:
            number = (last or 0) + 1
        elif number < 1:
            raise InvalidInputError("cluster numbers start at 1")
        elif s.scalars(
            select(Cluster).where(Cluster.review_id == ws.review_id, Cluster.number == number)
        ).first():
            raise InvalidInputError(f"cluster {number} already exists")
        cluster = Cluster(
            review_id=ws.review_id,
            number=number,
            name=" ".join(name.split()),
            description=(description or "").strip() or None,
        )
        s.add(cluster)
        s.flush()
        audit.log(s, ws, "cluster.add", "cluster", cluster.id, number=number, name=cluster.name)
        return ClusterInfo(
            cluster.id, number, cluster.name, cluster.description, 0, cluster.version_id
        )


# --------------------------------------------------------------------------------------------
# Evidence: excerpts and documents


def describe_excerpt(s: Session, ex: Excerpt, width: int = 60) -> str:
    """'24 p. 3 #12 "Staff lacked time…"': how a revision names an excerpt."""
    doc = s.get(Document, ex.document_id)
    text = " ".join(ex.text.split())
    if len(text) > width:
        text = text[: width - 1].rstrip() + "…"
    page = f" p. {ex.page}" if ex.page else ""
    return f'{doc.ref if doc else "?"}{page} #{ex.id} "{text}"'


def _role(role: str) -> str:
    r = role.strip().upper()[:1] if role else ""
    if r not in values(EvidenceRole):
        raise InvalidInputError(
            f"evidence role must be C (context), M (mechanism) or O (outcome), not {role!r}"
        )
    return r


def _excerpt(s: Session, ws: Workspace, excerpt_id: int) -> Excerpt:
    ex = s.get(Excerpt, excerpt_id)
    doc = s.get(Document, ex.document_id) if ex else None
    if ex is None or doc is None or doc.review_id != ws.review_id:
        raise NotFoundError(f"no excerpt #{excerpt_id} in this review")
    return ex


def link_evidence(
    ws: Workspace,
    label: str | int,
    excerpt_id: int,
    role: str,
    *,
    note: str | None = None,
) -> CmocView:
    """Link an excerpt to a CMOC as evidence for its context (C), mechanism (M) or outcome (O)."""
    ws.require_role(*LINKERS, action="link evidence to CMOCs")
    r = _role(role)
    with ws.store.transaction() as s:
        cmoc = find_cmoc(s, ws, label)
        ex = _excerpt(s, ws, excerpt_id)
        existing = s.scalars(
            select(CmocEvidence).where(
                CmocEvidence.cmoc_id == cmoc.id,
                CmocEvidence.excerpt_id == ex.id,
                CmocEvidence.role == r,
            )
        ).first()
        if existing is not None:
            raise InvalidInputError(
                f"excerpt #{ex.id} is already evidence for the {ROLE_NAMES[r]} of CMOC {cmoc.label}"
            )
        s.add(
            CmocEvidence(
                cmoc_id=cmoc.id,
                excerpt_id=ex.id,
                role=r,
                note=(note or "").strip() or None,
                created_by_id=ws.actor.id if ws.actor else None,
            )
        )
        _revise(
            s,
            ws,
            cmoc,
            {f"evidence {r}": [None, describe_excerpt(s, ex)]},
            (note or "").strip() or None,
        )
        audit.log(s, ws, "cmoc.evidence.link", "cmoc", cmoc.id, excerpt=ex.id, role=r)
        s.flush()
        return _view(s, ws, cmoc.id)


def unlink_evidence(
    ws: Workspace, label: str | int, excerpt_id: int, role: str, *, rationale: str | None = None
) -> CmocView:
    """Take an excerpt off a CMOC's evidence for one role."""
    ws.require_role(*LINKERS, action="unlink evidence from CMOCs")
    r = _role(role)
    with ws.store.transaction() as s:
        cmoc = find_cmoc(s, ws, label)
        ex = _excerpt(s, ws, excerpt_id)
        row = s.scalars(
            select(CmocEvidence).where(
                CmocEvidence.cmoc_id == cmoc.id,
                CmocEvidence.excerpt_id == ex.id,
                CmocEvidence.role == r,
            )
        ).first()
        if row is None:
            raise NotFoundError(
                f"excerpt #{ex.id} is not evidence for the {ROLE_NAMES[r]} of CMOC {cmoc.label}"
            )
        s.delete(row)
        _revise(s, ws, cmoc, {f"evidence {r}": [describe_excerpt(s, ex), None]}, rationale)
        audit.log(s, ws, "cmoc.evidence.unlink", "cmoc", cmoc.id, excerpt=ex.id, role=r)
        s.flush()
        return _view(s, ws, cmoc.id)


def cite_document(
    ws: Workspace, label: str | int, document: str | int, *, note: str | None = None
) -> CmocView:
    """Add a document to the studies a CMOC cites as supporting evidence."""
    ws.require_role(*BUILDERS, action="edit CMOCs")
    with ws.store.transaction() as s:
        cmoc = find_cmoc(s, ws, label)
        doc = find_document(s, ws, document)
        if s.scalars(
            select(CmocDocument).where(
                CmocDocument.cmoc_id == cmoc.id, CmocDocument.document_id == doc.id
            )
        ).first():
            raise InvalidInputError(f"CMOC {cmoc.label} already cites document {doc.ref}")
        position = s.scalar(
            select(func.max(CmocDocument.position)).where(CmocDocument.cmoc_id == cmoc.id)
        )
        s.add(
            CmocDocument(
                cmoc_id=cmoc.id,
                document_id=doc.id,
                position=(position if position is not None else -1) + 1,
                note=(note or "").strip() or None,
            )
        )
        _revise(s, ws, cmoc, {"documents": [None, doc.ref]}, note)
        audit.log(s, ws, "cmoc.cite", "cmoc", cmoc.id, document=doc.ref)
        s.flush()
        return _view(s, ws, cmoc.id)


# --------------------------------------------------------------------------------------------
# CMOC-to-CMOC links


def link_cmocs(
    ws: Workspace,
    from_label: str | int,
    to_label: str | int,
    kind: str = LinkKind.LEADS_TO.value,
    *,
    note: str | None = None,
) -> CmocView:
    """Link one CMOC to another (leads_to: its outcome is the next one's context)."""
    ws.require_role(*BUILDERS, action="link CMOCs")
    if kind not in values(LinkKind):
        raise InvalidInputError(
            f"link kind must be one of {', '.join(values(LinkKind))}, not {kind!r}"
        )
    with ws.store.transaction() as s:
        a, b = find_cmoc(s, ws, from_label), find_cmoc(s, ws, to_label)
        if a.id == b.id:
            raise InvalidInputError(f"CMOC {a.label} cannot be linked to itself")
        if s.scalars(
            select(CmocLink).where(
                CmocLink.from_id == a.id, CmocLink.to_id == b.id, CmocLink.kind == kind
            )
        ).first():
            raise InvalidInputError(f"CMOC {a.label} already {kind.replace('_', ' ')} {b.label}")
        position = s.scalar(select(func.max(CmocLink.position)))
        s.add(
            CmocLink(
                from_id=a.id,
                to_id=b.id,
                kind=kind,
                note=(note or "").strip() or None,
                position=(position if position is not None else -1) + 1,
            )
        )
        _revise(s, ws, a, {"links": [None, f"{kind} {b.label}"]}, note)
        audit.log(s, ws, "cmoc.link", "cmoc", a.id, to=b.label, kind=kind)
        s.flush()
        return _view(s, ws, a.id)


def unlink_cmocs(
    ws: Workspace,
    from_label: str | int,
    to_label: str | int,
    kind: str = LinkKind.LEADS_TO.value,
    *,
    rationale: str | None = None,
) -> CmocView:
    """Remove a link between two CMOCs."""
    ws.require_role(*BUILDERS, action="unlink CMOCs")
    with ws.store.transaction() as s:
        a, b = find_cmoc(s, ws, from_label), find_cmoc(s, ws, to_label)
        row = s.scalars(
            select(CmocLink).where(
                CmocLink.from_id == a.id, CmocLink.to_id == b.id, CmocLink.kind == kind
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no {kind} link from CMOC {a.label} to {b.label}")
        s.delete(row)
        _revise(s, ws, a, {"links": [f"{kind} {b.label}", None]}, rationale)
        audit.log(s, ws, "cmoc.unlink", "cmoc", a.id, to=b.label, kind=kind)
        s.flush()
        return _view(s, ws, a.id)
