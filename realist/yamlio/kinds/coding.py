"""YAML kind `coding`: the code tree (nested), the excerpts coded with it, and the CMOC evidence
links of each excerpt. See docs/yaml-schema.md.

Codes are matched by their path (parent names and name), excerpts by document, offsets and coder,
evidence by CMOC, excerpt and role; all are updated in place and nothing absent is deleted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from realist.db.models import (
    Cmoc,
    CmocEvidence,
    Code,
    Document,
    Excerpt,
    ExcerptCode,
    FullText,
    Review,
    Reviewer,
    as_utc,
    utcnow,
)
from realist.domain import CodeOrigin, EvidenceRole, values
from realist.errors import RealistError
from realist.services.codes import CodeTree, check_origin, clean_name
from realist.services.excerpts import RATINGS
from realist.services.fulltext import page_of
from realist.yamlio.loader import register_applier
from realist.yamlio.reader import Path_, YamlDocument
from realist.yamlio.schema import E, Field, S, register_kind

CODE_FIELDS: dict[str, Field] = {
    "name": S(required=True, nullable=False),
    "origin": E(values(CodeOrigin)),
    "description": S(),
}
CODE_FIELDS["children"] = Field("maps", fields=CODE_FIELDS)  # codes nest to any depth

EVIDENCE_FIELDS: dict[str, Field] = {
    "cmoc": S(required=True, nullable=False),
    "role": E(values(EvidenceRole), required=True),
    "note": S(),
}

EXCERPT_FIELDS: dict[str, Field] = {
    "document": S(required=True, nullable=False),
    "start": Field("int", required=True, nullable=False),
    "end": Field("int", required=True, nullable=False),
    "page": Field("int"),
    "coder": S(),
    "codes": Field("strs"),
    "text": S(required=True, nullable=False),
    "memo": S(),
    "relevance": E(list(RATINGS)),
    "relevance_note": S(),
    "rigour": E(list(RATINGS)),
    "rigour_note": S(),
    "evidence": Field("maps", fields=EVIDENCE_FIELDS),
    "created_at": S(),
}

CODING_FIELDS: dict[str, Field] = {
    "codes": Field("maps", fields=CODE_FIELDS),
    "excerpts": Field("maps", fields=EXCERPT_FIELDS),
}

register_kind("coding", CODING_FIELDS)


# --------------------------------------------------------------------------------------------
# Loading


def _iso(doc: YamlDocument, path: Path_, value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise doc.error(path, f"not an ISO date-time: {value!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _apply_codes(
    s: Session,
    review: Review,
    doc: YamlDocument,
    items: list[dict[str, Any]],
    parent: Code | None,
    parent_origin: str,
    path: Path_,
) -> int:
    under = Code.parent_id == parent.id if parent else Code.parent_id.is_(None)
    existing = {
        c.name.casefold(): c
        for c in s.scalars(select(Code).where(Code.review_id == review.id, under))
    }
    seen: dict[str, int] = {}
    count = 0
    for i, item in enumerate(items):
        here = (*path, i)
        try:
            name = clean_name(item["name"])
            origin = check_origin(item["origin"] or parent_origin)
        except RealistError as exc:
            raise doc.error((*here, "name"), str(exc)) from None
        key = name.casefold()
        if key in seen:
            raise doc.error(
                (*here, "name"), f"code {name!r} appears twice here (also item {seen[key]})"
            )
        seen[key] = i
        code = existing.get(key)
        if code is None:
            code = Code(review_id=review.id, parent_id=parent.id if parent else None, name=name)
            s.add(code)
        code.name, code.origin, code.position = name, origin, i
        code.description = item["description"]
        s.flush()
        count += 1 + _apply_codes(
            s, review, doc, item["children"], code, origin, (*here, "children")
        )
    return count


def apply_coding(
    s: Session, review: Review, doc: YamlDocument, body: dict[str, Any]
) -> dict[str, int]:
    codes = _apply_codes(
        s, review, doc, body["codes"], None, CodeOrigin.DEDUCTIVE.value, ("codes",)
    )
    tree = CodeTree.load(s, review.id)
    documents = {
        d.ref: d for d in s.scalars(select(Document).where(Document.review_id == review.id))
    }
    reviewers = {r.name: r for r in s.scalars(select(Reviewer))}
    cmocs = {c.label: c for c in s.scalars(select(Cmoc).where(Cmoc.review_id == review.id))}
    texts: dict[int, FullText | None] = {}
    seen: dict[tuple[str, int, int, str | None], int] = {}
    evidence = 0
    for i, item in enumerate(body["excerpts"]):
        here: Path_ = ("excerpts", i)
        ref = item["document"]
        document = documents.get(ref)
        if document is None:
            raise doc.error(
                (*here, "document"), f"no study with ref {ref!r} (load the studies file too)"
            )
        start, end = item["start"], item["end"]
        if not 0 <= start < end:
            raise doc.error((*here, "end"), f"span {start}-{end} is empty or negative")
        if len(item["text"]) != end - start:
            raise doc.error(
                (*here, "text"),
                f"text has {len(item['text'])} characters but the span {start}-{end} has {end - start}",
            )
        key = (ref, start, end, item["coder"])
        if key in seen:
            raise doc.error(here, f"the same span and coder as excerpts[{seen[key]}]")
        seen[key] = i
        coder = None
        if item["coder"] is not None:
            coder = reviewers.get(item["coder"])
            if coder is None:
                raise doc.error(
                    (*here, "coder"), f"no reviewer {item['coder']!r} (load the review file too)"
                )
        code_ids = []
        for j, code_ref in enumerate(item["codes"]):
            try:
                code_ids.append(tree.resolve(code_ref).id)
            except RealistError as exc:
                raise doc.error((*here, "codes", j), str(exc)) from None
        if not code_ids:
            raise doc.error((*here, "codes"), "an excerpt needs at least one code")
        if document.id not in texts:
            texts[document.id] = s.scalars(
                select(FullText).where(FullText.document_id == document.id, FullText.is_current)
            ).first()
        ft = texts[document.id]
        matches = ft is not None and ft.text[start:end] == item["text"]
        by = Excerpt.coder_id == coder.id if coder else Excerpt.coder_id.is_(None)
        ex = s.scalars(
            select(Excerpt).where(
                Excerpt.document_id == document.id,
                Excerpt.start == start,
                Excerpt.end == end,
                by,
            )
        ).first()
        if ex is None:
            ex = Excerpt(document_id=document.id, start=start, end=end)
            s.add(ex)
        ex.coder_id = coder.id if coder else None
        ex.text = item["text"]
        if matches and ft is not None:
            ex.full_text_id = ft.id
        page = item["page"]
        if page is None and matches and ft is not None:
            page = page_of(list(ft.page_starts or []), start)
        ex.page = page
        for attr in ("memo", "relevance", "relevance_note", "rigour", "rigour_note"):
            setattr(ex, attr, item[attr])
        ex.created_at = (
            _iso(doc, (*here, "created_at"), item["created_at"]) if item["created_at"] else utcnow()
        )
        s.flush()
        have = {
            row.code_id: row
            for row in s.scalars(select(ExcerptCode).where(ExcerptCode.excerpt_id == ex.id))
        }
        for cid, row in have.items():
            if cid not in code_ids:
                s.delete(row)
        for cid in dict.fromkeys(code_ids):
            if cid not in have:
                s.add(ExcerptCode(excerpt_id=ex.id, code_id=cid, created_by_id=ex.coder_id))
        for j, link in enumerate(item["evidence"]):
            cmoc = cmocs.get(link["cmoc"])
            if cmoc is None:
                raise doc.error(
                    (*here, "evidence", j, "cmoc"),
                    f"no CMOC {link['cmoc']!r} (load the cmocs file too)",
                )
            link_row = s.scalars(
                select(CmocEvidence).where(
                    CmocEvidence.cmoc_id == cmoc.id,
                    CmocEvidence.excerpt_id == ex.id,
                    CmocEvidence.role == link["role"],
                )
            ).first()
            if link_row is None:
                link_row = CmocEvidence(
                    cmoc_id=cmoc.id, excerpt_id=ex.id, role=link["role"], created_by_id=ex.coder_id
                )
                s.add(link_row)
            link_row.note = link["note"]
            evidence += 1
        s.flush()
    return {"codes": codes, "excerpts": len(body["excerpts"]), "evidence": evidence}


register_applier("coding", apply_coding)


# --------------------------------------------------------------------------------------------
# Writing


def _utc_iso(at: datetime) -> str:
    # SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones in the session zone.
    return as_utc(at).isoformat()


def coding_document(s: Session, review: Review) -> dict[str, Any] | None:
    """The `coding` document of a review, or None when it has no codes and no excerpts."""
    from realist.yamlio.writer import flow, header

    tree = CodeTree.load(s, review.id)

    def nested(parent: int | None) -> list[dict[str, Any]]:
        return [
            {
                "name": c.name,
                "origin": c.origin,
                "description": c.description,
                "children": nested(c.id),
            }
            for c in tree.children.get(parent, [])
        ]

    rows = s.execute(
        select(Excerpt, Document)
        .join(Document, Document.id == Excerpt.document_id)
        .where(Document.review_id == review.id)
    ).all()
    if not tree.by_id and not rows:
        return None
    names = {r.id: r.name for r in s.scalars(select(Reviewer))}
    ids = [ex.id for ex, _d in rows]
    codes: dict[int, list[str]] = defaultdict(list)
    evidence: dict[int, list[tuple[int, int, str, str, str | None]]] = defaultdict(list)
    if ids:
        for excerpt_id, code_id in s.execute(
            select(ExcerptCode.excerpt_id, ExcerptCode.code_id).where(
                ExcerptCode.excerpt_id.in_(ids)
            )
        ):
            codes[excerpt_id].append(tree.path(code_id))
        for ev, cmoc in s.execute(
            select(CmocEvidence, Cmoc)
            .join(Cmoc, Cmoc.id == CmocEvidence.cmoc_id)
            .where(CmocEvidence.excerpt_id.in_(ids))
        ):
            evidence[ev.excerpt_id].append((cmoc.position, cmoc.id, ev.role, cmoc.label, ev.note))

    def order(row: tuple[Excerpt, Document]) -> tuple[Any, ...]:
        ex, d = row
        return (d.position, d.ref, ex.start, ex.end, names.get(ex.coder_id or -1, ""), ex.id)

    excerpts = []
    for ex, d in sorted(rows, key=order):
        excerpts.append(
            {
                "document": d.ref,
                "start": ex.start,
                "end": ex.end,
                "page": ex.page,
                "coder": names.get(ex.coder_id) if ex.coder_id else None,
                "codes": flow(sorted(codes.get(ex.id, []), key=str.casefold)),
                "text": ex.text,
                "memo": ex.memo,
                "relevance": ex.relevance,
                "relevance_note": ex.relevance_note,
                "rigour": ex.rigour,
                "rigour_note": ex.rigour_note,
                "evidence": [
                    {"cmoc": label, "role": role, "note": note}
                    for _p, _i, role, label, note in sorted(
                        evidence.get(ex.id, []), key=lambda e: e[:3]
                    )
                ],
                "created_at": _utc_iso(ex.created_at),
            }
        )
    out = header("coding", (review.sources or {}).get("coding"))
    out["codes"] = nested(None)
    out["excerpts"] = excerpts
    return out


def _register_writer() -> None:
    from realist.yamlio import writer

    if not hasattr(writer, "register_writer"):
        # writer.py imports the loader before defining its registry, and the loader imports the
        # kinds: importing the writer before the loader lands here with the writer half-built.
        raise ImportError(
            "import realist.yamlio.loader before realist.yamlio.writer (the writer imports the "
            "loader, which imports the YAML kinds, which register themselves with the writer)"
        )
    writer.register_writer("coding", coding_document)


_register_writer()
