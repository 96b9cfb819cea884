"""Disagreements side by side and the lead's resolution: the final decision changes, the
reviewers' decisions stay, the audit log has both."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from realist.db.models import AuditEntry, Resolution, ScreeningDecision
from realist.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from realist.services import resolution, samples
from realist.services import screening as sc
from realist.services.context import Workspace
from realist.services.prisma_counts import prisma_report
from tests.conftest import migrated_sqlite
from tests.factories_agreement import TA, compared_sample
from tests.factories_screening import (
    add_batch,
    add_reviewer,
    as_reviewer,
    screening_workspace,
    workspace_at,
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return screening_workspace(migrated_sqlite(tmp_path / "r.db"))


def decisions_of(ws: Workspace, record_id: int) -> list[tuple[int, str, bool]]:
    d = ScreeningDecision
    with ws.store.read() as s:
        return [
            (r.reviewer_id, r.decision, r.is_current)
            for r in s.scalars(select(d).where(d.record_id == record_id).order_by(d.id))
        ]


def test_disagreements_side_by_side(ws: Workspace) -> None:
    ids = add_batch(ws, 6)
    jf = as_reviewer(ws, "JF")
    plan = {ids[0]: ("include", "exclude"), ids[1]: ("exclude", "include")}
    for rid in ids:
        a, _ = plan.get(rid, ("exclude", "exclude"))
        sc.decide(ws, rid, TA, a, reason="lmic" if a == "exclude" else None, note=f"llj {rid}")
    sc.toggle_tag(ws, ids[0], "race")
    info = samples.draw(ws, "JF", 1.0, 4)
    for rid in ids:
        _, b = plan.get(rid, ("exclude", "exclude"))
        sc.decide(jf, rid, TA, b, note="jf thinks so" if rid == ids[0] else None)
    sc.toggle_tag(jf, ids[1], "gender")
    sc.toggle_tag(jf, ids[1], "targeted")
    samples.open_comparison(ws)

    found = resolution.disagreements(ws)
    assert found.comparison.sample_id == info.id and found.compared == 6
    assert [p.record_id for p in found.items] == [ids[0], ids[1]] and found.unresolved == 2
    first, second = found.items
    assert (first.a.reviewer, first.a.decision, first.a.note, first.a.tags) == (
        "LLJ", "include", f"llj {ids[0]}", ("race",)
    )  # fmt: skip
    assert (first.b.decision, first.b.reason, first.b.note) == ("exclude", None, "jf thinks so")
    assert (second.a.reason, second.a.reason_label) == (
        "lmic",
        "Undertaken in a low-income or middle-income country (OECD definition)",
    )
    assert second.b.tags == ("gender", "targeted") and second.b.source == "tui"
    md = found.to_markdown()
    assert "2 disagreements, 2 unresolved" in md and "tags: gender, targeted" in md
    assert found.summary() == resolution.ResolutionSummary(2, 0, 2, {"include": 0, "exclude": 0})
    assert found.summary().describe() == "resolved 0 of 2"
    everything = resolution.disagreements(ws, include_agreements=True)
    assert len(everything.items) == 6 and everything.summary().disagreements == 2
    assert resolution.side_by_side(ws, ids[3]).differs is False
    with pytest.raises(InvalidInputError, match="was not decided by both"):
        resolution.side_by_side(ws, 999)


def test_the_lead_resolves_and_the_decisions_stay(db_url: str) -> None:
    ws = workspace_at(db_url)
    info, ids = compared_sample(ws, [[3, 1], [1, 5]])
    a_incl_b_excl, a_excl_b_incl = ids[3], ids[4]
    before = decisions_of(ws, a_incl_b_excl)
    screened = prisma_report(ws).counts.records_screened
    assert screened == 8  # two conflicts await resolution

    with pytest.raises(PermissionDeniedError, match="may not resolve disagreements"):
        resolution.resolve(as_reviewer(ws, "JF"), a_incl_b_excl, "include", "mine")
    with pytest.raises(InvalidInputError, match="needs a rationale"):
        resolution.resolve(ws, a_incl_b_excl, "include", "   ")
    with pytest.raises(InvalidInputError, match="unknown decision"):
        resolution.resolve(ws, a_incl_b_excl, "perhaps", "x")

    res = resolution.resolve(ws, a_incl_b_excl, "exclude", "  discussed:\n not QI ")
    assert (res.decision, res.rationale, res.decided_by, res.sample_id, res.stage) == (
        "exclude", "discussed: not QI", "LLJ", info.id, TA
    )  # fmt: skip
    assert decisions_of(ws, a_incl_b_excl) == before  # the reviewers' decisions stay
    with ws.store.read() as s:
        assert sc.final_decision_of(s, ws, a_incl_b_excl, TA) == "exclude"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "agreement.resolve")).one()
        assert entry.entity_id == str(a_incl_b_excl) and entry.actor == "LLJ"
        assert entry.details["decisions"] == {
            "JF": {"decision": "exclude", "reason": None, "note": None, "source": "tui"},
            "LLJ": {"decision": "include", "reason": None, "note": None, "source": "tui"},
        }
        assert entry.details["rationale"] == "discussed: not QI"
    assert prisma_report(ws).counts.records_screened == 9

    again = resolution.resolve(ws, a_incl_b_excl, "include", "second thoughts")
    history = resolution.resolution_history(ws, a_incl_b_excl, TA)
    assert [h.decision for h in history] == ["exclude", "include"] and history[-1] == again
    found = resolution.disagreements(ws)
    resolved = {p.record_id: p.resolution for p in found.items}
    assert resolved[a_incl_b_excl] == again and resolved[a_excl_b_incl] is None
    assert found.unresolved == 1
    assert found.summary().describe() == "resolved 1 of 2: 1 include"  # the latest counts
    with ws.store.read() as s:
        assert sc.final_decision_of(s, ws, a_incl_b_excl, TA) == "include"
        assert len(s.scalars(select(Resolution)).all()) == 2


def test_a_conflict_outside_any_sample(ws: Workspace) -> None:
    ids = add_batch(ws, 3)
    mk = add_reviewer(ws, "MK")
    sc.decide(ws, ids[0], TA, "include")
    sc.decide(mk, ids[0], TA, "exclude")
    res = resolution.resolve(ws, ids[0], "include", "lead's call")
    assert res.sample_id is None
    with pytest.raises(InvalidInputError, match="has no decision at the title/abstract stage"):
        resolution.resolve(ws, ids[1], "include", "nothing to resolve")
    with pytest.raises(InvalidInputError, match="is not in sample 7"):
        resolution.resolve(ws, ids[0], "include", "x", sample_id=7)
    with pytest.raises(NotFoundError, match="no record 999"):
        resolution.resolve(ws, 999, "include", "x")
