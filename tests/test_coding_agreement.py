"""Second-coder agreement per code, character by character (NVivo's coding comparison)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realist.errors import InvalidInputError
from realist.services.coder_agreement import CodeAgreement, compare_coders, covered, overlap, union
from realist.services.context import Workspace, resolve_actor
from tests.factories_coding import attach_pages, code_phrase, demo_copy, seed_codes


@pytest.fixture
def demo_ws(tmp_path: Path) -> Workspace:
    """The example review as LLJ (conftest's fixture, copied from a template to save time)."""
    return demo_copy(tmp_path)


def test_nvivo_worked_example() -> None:
    # NVivo 12 Help: 1000 characters, 50 coded by both, 150 by only one, 800 by neither -> 85%.
    row = CodeAgreement(1, "X", "d", 1000, 50, 100, 50, 800)
    assert row.percent_agreement == pytest.approx(0.85)
    # kappa from the same table: p_e = (150*100 + 850*900) / 1000^2 = 0.78
    assert row.kappa == pytest.approx((0.85 - 0.78) / (1 - 0.78))
    assert row.jaccard == pytest.approx(50 / 200)
    assert row.specific_agreement == pytest.approx(100 / 250)


def test_span_arithmetic() -> None:
    a = union([(10, 20), (15, 30), (40, 45), (45, 50), (5, 5)])
    assert a == [(10, 30), (40, 50)]
    assert covered(a) == 30
    assert overlap(a, union([(0, 12), (25, 42), (49, 60)])) == 2 + 5 + 2 + 1


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=8),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=8),
)
def test_overlap_matches_counting_characters(
    a: list[tuple[int, int]], b: list[tuple[int, int]]
) -> None:
    sa = {i for s, e in a for i in range(s, e)}
    sb = {i for s, e in b for i in range(s, e)}
    ua, ub = union(a), union(b)
    assert covered(ua) == len(sa) and covered(ub) == len(sb)
    assert overlap(ua, ub) == len(sa & sb)


def test_two_coders_on_one_document(demo_ws: Workspace, tmp_path: Path) -> None:
    ids = seed_codes(demo_ws)
    attached = attach_pages(demo_ws, "24", tmp_path)
    doc, n = attached.document_id, attached.chars
    jf = demo_ws.with_actor(resolve_actor(demo_ws.store, "JF"))
    # Time: LLJ and JF code overlapping phrases that share "protected time".
    code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Time"]])
    code_phrase(jf, doc, "protected time for equity work", [ids["Time"]])
    shared = len("protected time")
    a_only = len("Staff lacked protected time") - shared
    b_only = len("protected time for equity work") - shared
    code_phrase(demo_ws, doc, "Without training, teams did not act", [ids["Training"]])
    cmp = compare_coders(demo_ws, "LLJ", "JF", document="24")
    assert cmp.documents == ["24"]
    rows = {r.code: r for r in cmp.rows}
    t = rows["Resources > Time"]
    assert (t.units, t.both, t.a_only, t.b_only) == (n, shared, a_only, b_only)
    assert t.neither == n - shared - a_only - b_only
    assert t.percent_agreement == pytest.approx((n - a_only - b_only) / n)
    assert t.jaccard == pytest.approx(shared / (shared + a_only + b_only))
    tr = rows["Resources > Training"]
    assert (tr.both, tr.a_only, tr.b_only) == (0, len("Without training, teams did not act"), 0)
    assert tr.kappa == pytest.approx(0.0)  # one coder never used it: no agreement beyond chance
    assert cmp.overall is not None and cmp.overall.units == 2 * n
    # With aggregate, Resources covers both children's coding.
    agg = {
        r.code: r for r in compare_coders(demo_ws, "LLJ", "JF", document="24", aggregate=True).rows
    }
    assert agg["Resources"].both == shared
    assert agg["Resources"].a_only == a_only + tr.a_only


def test_pooled_over_documents_and_errors(demo_ws: Workspace, tmp_path: Path) -> None:
    ids = seed_codes(demo_ws)
    jf = demo_ws.with_actor(resolve_actor(demo_ws.store, "JF"))
    with pytest.raises(InvalidInputError, match="not coded a document in common"):
        compare_coders(demo_ws, "LLJ", "JF")
    with pytest.raises(InvalidInputError, match="two different coders"):
        compare_coders(demo_ws, "LLJ", "LLJ")
    sizes = []
    for ref in ("24", "25"):
        r = attach_pages(demo_ws, ref, tmp_path)
        sizes.append(r.chars)
        code_phrase(demo_ws, r.document_id, "Stratified dashboards showed a gap", [ids["Time"]])
        code_phrase(jf, r.document_id, "Stratified dashboards showed a gap", [ids["Time"]])
    cmp = compare_coders(demo_ws, "LLJ", "JF")
    assert cmp.documents == ["24", "25"]
    pooled = cmp.pooled[0]
    both = 2 * len("Stratified dashboards showed a gap")
    assert (pooled.units, pooled.both, pooled.a_only, pooled.b_only) == (sum(sizes), both, 0, 0)
    assert pooled.percent_agreement == 1.0 and pooled.kappa == pytest.approx(1.0)
