"""Building CMOCs: create, edit with revisions and rationale, conflicts, evidence and links, and
the traceability from record tags to CMOC and from document to CMOCs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from realist.db.models import RecordTag, TagDef
from realist.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from realist.services.cmoc_edit import (
    add_cluster,
    cite_document,
    cmoc_history,
    create_cmoc,
    edit_cmoc,
    generate_statement,
    link_cmocs,
    link_evidence,
    list_clusters,
    regenerate_statement,
    unlink_cmocs,
    unlink_evidence,
)
from realist.services.context import Actor, Workspace, resolve_actor
from realist.services.fulltext import attach_file
from realist.services.theory import get_cmoc
from realist.services.traceability import cmoc_trace, document_trace
from tests.factories import make_pdf, make_records
from tests.factories_coding import PAGES, attach_pages, code_phrase, demo_copy, seed_codes


@pytest.fixture
def demo_ws(tmp_path: Path) -> Workspace:
    """The example review as LLJ (conftest's fixture, copied from a template to save time)."""
    return demo_copy(tmp_path)


def test_statement_is_generated_from_the_parts() -> None:
    assert (
        generate_statement("clinics are busy.", "staff see it as extra", "goals are dropped")
        == "When clinics are busy (C) then goals are dropped (O) because staff see it as extra (M)"
    )
    assert generate_statement("A", "", "B") == "When A (C) then B (O)"
    assert generate_statement("", "M", "O", marks=False) == "O because M"
    assert generate_statement("", "", "") == ""


def test_create_generates_the_statement_and_records_the_first_revision(
    demo_ws: Workspace,
) -> None:
    view = create_cmoc(
        demo_ws,
        "5B",
        cluster=2,
        context="clinics are busy",
        mechanism="staff see equity work as extra",
        outcome="equity goals are dropped",
        direction="may_worsen",
    )
    assert view.statement.startswith("When clinics are busy (C) then equity goals")
    assert (view.cluster_name, view.status, view.direction) == ("Resources", "new", "may_worsen")
    history = cmoc_history(demo_ws, "5B")
    assert len(history) == 1 and history[0].reviewer == "LLJ" and history[0].rationale == "created"
    assert history[0].changes["context"] == (None, "clinics are busy")
    with pytest.raises(InvalidInputError, match="already exists"):
        create_cmoc(demo_ws, "5B")
    with pytest.raises(InvalidInputError, match="must be 1-32 letters"):
        create_cmoc(demo_ws, "5 B")
    with pytest.raises(NotFoundError, match="no cluster 9"):
        create_cmoc(demo_ws, "5C", cluster=9)
    with pytest.raises(InvalidInputError, match="direction must be one of"):
        create_cmoc(demo_ws, "5C", direction="sideways")


def test_every_edit_is_a_revision_with_its_rationale(demo_ws: Workspace) -> None:
    before = get_cmoc(demo_ws, "5")
    after = edit_cmoc(
        demo_ws,
        "5",
        {"status": "refined", "cluster": 3, "context": before.context + " in small practices"},
        rationale="Burkitt 2021 adds practice size",
        expected_version=before.version,
    )
    assert after.status == "refined" and after.cluster_number == 3
    assert after.version == before.version + 1
    last = cmoc_history(demo_ws, "5")[-1]
    assert last.rationale == "Burkitt 2021 adds practice size"
    assert last.changes["status"] == (None, "refined")
    assert last.changes["cluster"] == (2, 3)
    assert set(last.changes) == {"status", "cluster", "context"}
    with pytest.raises(InvalidInputError, match="say why"):
        edit_cmoc(demo_ws, "5", {"status": "supported"}, rationale="  ")
    with pytest.raises(InvalidInputError, match="nothing to change"):
        edit_cmoc(demo_ws, "5", {"status": "refined"}, rationale="again")
    with pytest.raises(InvalidInputError, match="unknown CMOC field 'colour'"):
        edit_cmoc(demo_ws, "5", {"colour": "red"}, rationale="x")


def test_a_stale_edit_is_refused_and_loses_nothing(demo_ws: Workspace) -> None:
    seen = get_cmoc(demo_ws, "6")
    jf = demo_ws.with_actor(resolve_actor(demo_ws.store, "JF"))
    edit_cmoc(jf, "6", {"status": "supported"}, rationale="JF first", expected_version=seen.version)
    with pytest.raises(ConflictError, match="CMOC 6 was changed by someone else"):
        edit_cmoc(
            demo_ws, "6", {"status": "refuted"}, rationale="LLJ late", expected_version=seen.version
        )
    assert get_cmoc(demo_ws, "6").status == "supported"
    assert [r.rationale for r in cmoc_history(demo_ws, "6")] == ["JF first"]


def test_rename_regenerate_and_cluster(demo_ws: Workspace) -> None:
    add_cluster(demo_ws, "Leadership", description="Who leads QI")
    with pytest.raises(InvalidInputError, match="cluster 5 already exists"):
        add_cluster(demo_ws, "Again", number=5)
    assert [c.number for c in list_clusters(demo_ws)] == [1, 2, 3, 4, 5]
    view = edit_cmoc(demo_ws, "15", {"id": "15A", "cluster": 5}, rationale="split 15")
    assert view.label == "15A" and view.cluster_name == "Leadership"
    edit_cmoc(demo_ws, "15A", {"context": "leaders are present"}, rationale="narrowed")
    regenerated = regenerate_statement(demo_ws, "15A", rationale="statement out of date")
    assert regenerated.statement.startswith("When leaders are present (C) then")
    assert [r.rationale for r in cmoc_history(demo_ws, "15A")][-1] == "statement out of date"


def test_evidence_and_links_are_revisions_too(demo_ws: Workspace, tmp_path: Path) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    ex = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Time"]])
    view = link_evidence(demo_ws, "5", ex.id, "c", note="time pressure")
    assert view.evidence_count == 1
    with pytest.raises(InvalidInputError, match="already evidence for the context"):
        link_evidence(demo_ws, "5", ex.id, "C")
    with pytest.raises(InvalidInputError, match="C \\(context\\), M"):
        link_evidence(demo_ws, "5", ex.id, "X")
    link_evidence(demo_ws, "5", ex.id, "O")
    unlink_evidence(demo_ws, "5", ex.id, "O", rationale="outcome elsewhere")
    with pytest.raises(NotFoundError):
        unlink_evidence(demo_ws, "5", ex.id, "O")
    link_cmocs(demo_ws, "5", "7A", "leads_to", note="time frees staff")
    assert [k.other for k in get_cmoc(demo_ws, "5").links_out] == ["7A"]
    with pytest.raises(InvalidInputError, match="cannot be linked to itself"):
        link_cmocs(demo_ws, "5", "5")
    with pytest.raises(InvalidInputError, match="already leads to"):
        link_cmocs(demo_ws, "5", "7A")
    unlink_cmocs(demo_ws, "5", "7A")
    cite_document(demo_ws, "5", "24")
    with pytest.raises(InvalidInputError, match="already cites document 24"):
        cite_document(demo_ws, "5", "24")
    changes = [set(r.changes) for r in cmoc_history(demo_ws, "5")]
    assert changes == [
        {"evidence C"},
        {"evidence O"},
        {"evidence O"},
        {"links"},
        {"links"},
        {"documents"},
    ]
    last_evidence = cmoc_history(demo_ws, "5")[2]
    assert last_evidence.rationale == "outcome elsewhere"
    assert last_evidence.changes["evidence O"][1] is None
    assert "Staff lacked protected time" in str(last_evidence.changes["evidence O"][0])


def test_roles_for_theory_building(demo_ws: Workspace) -> None:
    coder = demo_ws.with_actor(Actor(demo_ws.actor.id if demo_ws.actor else 0, "C1", "coder"))
    with pytest.raises(PermissionDeniedError, match="may not edit CMOCs"):
        edit_cmoc(coder, "5", {"status": "new"}, rationale="x")


def test_trace_from_record_tags_to_cmoc_and_back(demo_ws: Workspace, tmp_path: Path) -> None:
    ids = seed_codes(demo_ws)
    # A screened record becomes a document when its full text is attached; reviewers tagged the
    # record while screening (SES, targeted).
    record_id = make_records(demo_ws, 1, seed=3)[0]
    attached = attach_file(demo_ws, make_pdf(tmp_path / "r.pdf", PAGES), record_id=record_id)
    me = demo_ws.actor.id if demo_ws.actor else 0
    with demo_ws.store.transaction() as s:
        tags = {t.code: t.id for t in s.scalars(select(TagDef))}
        for code in ("ses", "targeted"):
            s.add(RecordTag(record_id=record_id, tag_id=tags[code], reviewer_id=me))
        s.add(
            RecordTag(record_id=record_id, tag_id=tags["place"], reviewer_id=me, is_current=False)
        )
    d24 = attach_pages(demo_ws, "24", tmp_path).document_id
    e1 = code_phrase(demo_ws, attached.document_id, "Staff lacked protected time", [ids["Time"]])
    e2 = code_phrase(demo_ws, attached.document_id, "Without training", [ids["Training"]])
    e3 = code_phrase(demo_ws, d24, "Data were stratified by race", [ids["Data"]])
    create_cmoc(demo_ws, "16", cluster=2, context="c", mechanism="m", outcome="o")
    link_evidence(demo_ws, "16", e1.id, "C")
    link_evidence(demo_ws, "16", e2.id, "O")
    link_evidence(demo_ws, "16", e3.id, "M")
    cite_document(demo_ws, "16", "23")
    trace = cmoc_trace(demo_ws, "16")
    refs = [d.study.ref for d in trace.documents]
    assert refs == ["23", "24", attached.ref]  # cited and evidence documents, in review order
    by_ref = {d.study.ref: d for d in trace.documents}
    assert by_ref["23"].cited and not by_ref["23"].evidence
    assert by_ref[attached.ref].roles == "C O" and not by_ref[attached.ref].cited
    assert by_ref[attached.ref].record_tags == ("Socioeconomic status", "Targeted")
    assert [(e.role, e.excerpt.page) for e in by_ref[attached.ref].evidence] == [("C", 2), ("O", 3)]
    counts = {t.code: t.documents for t in trace.tags}
    # 23 and 24 both carry race (their own tags); 24 is targeted; the record adds ses + targeted
    # (the removed 'place' tag does not count).
    assert counts["race"] == 2 and counts["targeted"] == 2 and counts["ses"] == 1
    assert "place" not in counts
    assert {t.group for t in trace.focus} == {"focus"}
    assert [t.code for t in trace.progress_plus][:1] == ["race"]
    back = document_trace(demo_ws, attached.ref)
    assert [(c.label, c.cited, c.roles, c.excerpts) for c in back.cmocs] == [
        ("16", False, ("C", "O"), 2)
    ]
    assert back.record_tags == ("Socioeconomic status", "Targeted")
    assert "1A" in [c.label for c in document_trace(demo_ws, "24").cmocs]
