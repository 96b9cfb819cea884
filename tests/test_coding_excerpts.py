"""Excerpts: offsets, pages and the copied span; judgements; browsing by code and document;
drift when a new full text is attached."""

from __future__ import annotations

from pathlib import Path

import pytest

from realist.errors import ConflictError, InvalidInputError, NotFoundError
from realist.services.cmoc_edit import link_evidence
from realist.services.context import Workspace, resolve_actor
from realist.services.excerpts import (
    check_drift,
    coding_documents,
    create_excerpt,
    delete_excerpt,
    edit_excerpt,
    get_excerpt,
    list_excerpts,
    locate_phrase,
    reanchor,
    set_excerpt_codes,
    trim_span,
)
from realist.services.fulltext import current_full_text
from tests.factories_coding import PAGES, attach_pages, code_phrase, demo_copy, seed_codes, span_of


@pytest.fixture
def demo_ws(tmp_path: Path) -> Workspace:
    """The example review as LLJ (conftest's fixture, copied from a template to save time)."""
    return demo_copy(tmp_path)


def test_an_excerpt_keeps_offsets_page_and_the_exact_span(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    start, end = span_of(demo_ws, doc, "Stratified dashboards showed a gap")
    ex = create_excerpt(
        demo_ws,
        "24",
        start,
        end,
        [ids["Data"], ids["Time"]],
        memo="dashboard as mechanism",
        relevance="high",
        relevance_note="speaks to cluster 3",
        rigour="Moderate",
        rigour_note="single site",
    )
    text = current_full_text(demo_ws, doc)
    assert text is not None
    assert ex.text == text.text[ex.start : ex.end] == "Stratified dashboards showed a gap"
    assert ex.page == 3 and ex.document_ref == "24" and ex.coder == "LLJ"
    assert [c.path for c in ex.codes] == ["Data", "Resources > Time"]
    assert (ex.relevance, ex.rigour) == ("high", "moderate")
    # Re-opened later, it is the same span of the same text.
    again = get_excerpt(demo_ws, ex.id)
    assert (again.start, again.end, again.text, again.drift) == (start, end, ex.text, None)


def test_white_space_at_the_ends_of_a_selection_is_left_out(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    start, end = span_of(demo_ws, doc, "Methods\nStaff")
    ex = create_excerpt(demo_ws, doc, start - 3, end + 1, [ids["Time"]])
    assert ex.text.startswith("Methods") and not ex.text[-1].isspace()
    assert trim_span("  ab  ", 0, 6) == (2, 4)
    with pytest.raises(InvalidInputError, match="only white space"):
        create_excerpt(demo_ws, doc, start - 3, start - 1, [ids["Time"]])


def test_bad_spans_and_documents_are_refused(demo_ws: Workspace, tmp_path: Path) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    with pytest.raises(InvalidInputError, match="outside document 24's text"):
        create_excerpt(demo_ws, doc, 10, 10_000, [ids["Time"]])
    with pytest.raises(InvalidInputError, match="at least one code"):
        create_excerpt(demo_ws, doc, 0, 5, [])
    with pytest.raises(InvalidInputError, match="has no full text"):
        create_excerpt(demo_ws, "25", 0, 5, [ids["Time"]])
    with pytest.raises(NotFoundError, match="no document with ref '99'"):
        create_excerpt(demo_ws, "99", 0, 5, [ids["Time"]])
    with pytest.raises(InvalidInputError, match="relevance must be one of"):
        create_excerpt(demo_ws, doc, 0, 5, [ids["Time"]], relevance="very")
    with pytest.raises(InvalidInputError, match="does not occur"):
        locate_phrase(demo_ws, "24", "no such words")


def test_coding_the_same_span_again_adds_codes_to_one_excerpt(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    a = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Time"]])
    b = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Training"], ids["Time"]])
    assert a.id == b.id and len(b.codes) == 2
    jf = demo_ws.with_actor(resolve_actor(demo_ws.store, "JF"))
    c = code_phrase(jf, doc, "Staff lacked protected time", [ids["Time"]])
    assert c.id != a.id and c.coder == "JF"  # a second coder gets an excerpt of their own


def test_browse_by_code_includes_children_across_documents(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    d24 = attach_pages(demo_ws, "24", tmp_path).document_id
    d25 = attach_pages(
        demo_ws, "25", tmp_path, pages=["Training matters.", "Time too."]
    ).document_id
    e1 = code_phrase(demo_ws, d24, "Staff lacked protected time", [ids["Time"]])
    e2 = code_phrase(demo_ws, d25, "Training matters", [ids["Training"]])
    e3 = code_phrase(demo_ws, d24, "Data were stratified", [ids["Data"]])
    e4 = code_phrase(demo_ws, d24, "Background", [ids["Resources"]])
    under = list_excerpts(demo_ws, code_id=ids["Resources"])
    assert [e.id for e in under] == [e4.id, e1.id, e2.id]  # by document, then position
    assert [
        e.id for e in list_excerpts(demo_ws, code_id=ids["Resources"], include_children=False)
    ] == [e4.id]
    assert [e.id for e in list_excerpts(demo_ws, document="24")] == [e4.id, e1.id, e3.id]
    assert [e.id for e in list_excerpts(demo_ws, document="25", coder="LLJ")] == [e2.id]
    assert list_excerpts(demo_ws, coder="JF") == []
    docs = {d.ref: d for d in coding_documents(demo_ws)}
    assert (docs["24"].pages, docs["24"].excerpts) == (3, 3)
    assert docs["26"].full_text_id is None and docs["26"].excerpts == 0


def test_edit_judgements_codes_and_conflicts(demo_ws: Workspace, tmp_path: Path) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    ex = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Time"]])
    edited = edit_excerpt(
        demo_ws, ex.id, expected_version=ex.version, rigour="low", rigour_note="self-report"
    )
    assert (edited.rigour, edited.rigour_note, edited.memo) == ("low", "self-report", None)
    with pytest.raises(ConflictError, match="excerpt #"):
        edit_excerpt(demo_ws, ex.id, expected_version=ex.version, memo="lost?")
    assert get_excerpt(demo_ws, ex.id).memo is None
    recoded = set_excerpt_codes(demo_ws, ex.id, add=[ids["Training"]], remove=[ids["Time"]])
    assert [c.name for c in recoded.codes] == ["Training"]
    with pytest.raises(InvalidInputError, match="no code left"):
        set_excerpt_codes(demo_ws, ex.id, remove=[ids["Training"]])


def test_delete_is_refused_while_a_cmoc_cites_the_excerpt(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    ex = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Time"]])
    link_evidence(demo_ws, "5", ex.id, "C")
    with pytest.raises(InvalidInputError, match=r"evidence for CMOC 5 \(C\)"):
        delete_excerpt(demo_ws, ex.id)
    other = code_phrase(demo_ws, doc, "Without training", [ids["Training"]])
    delete_excerpt(demo_ws, other.id)
    with pytest.raises(NotFoundError):
        get_excerpt(demo_ws, other.id)


def test_a_new_full_text_is_checked_for_drift_and_excerpts_reanchored(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    same = code_phrase(demo_ws, doc, "Background", [ids["Values"]])  # still at offset 0 later
    moved = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Time"]])
    gone = code_phrase(demo_ws, doc, "Without training", [ids["Training"]])
    assert check_drift(demo_ws) == []
    # A corrected version: a page is inserted before Methods, and the last sentence is rewritten.
    new_pages = [PAGES[0], "Setting\nFour clinics took part.", PAGES[1], "Results\nNothing else."]
    attach_pages(demo_ws, "24", tmp_path, pages=new_pages)
    drift = {d.excerpt_id: d for d in check_drift(demo_ws, "24")}
    assert set(drift) == {moved.id, gone.id}
    assert drift[moved.id].new_start is not None and drift[gone.id].new_start is None
    assert get_excerpt(demo_ws, moved.id).drift is not None
    result = reanchor(demo_ws, "24")
    assert (result.moved, result.relinked, [d.excerpt_id for d in result.lost]) == (
        1,
        1,
        [gone.id],
    )
    view = current_full_text(demo_ws, doc)
    assert view is not None
    after = get_excerpt(demo_ws, moved.id)
    assert after.drift is None and view.text[after.start : after.end] == moved.text
    assert after.page == 3 and after.full_text_id == view.id
    assert get_excerpt(demo_ws, same.id).full_text_id == view.id
    assert [d.excerpt_id for d in check_drift(demo_ws)] == [gone.id]
