"""The blinding seam: every read of decisions, reasons, notes, tags and resolutions goes through
`visibility.decision_visibility`, and what a reviewer screens through `visibility.queue_scope`.

Each test swaps the seam for one that hides everything (as a blinded reviewer would see the
other reviewer's work) and checks that every read path then shows nothing, and called it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Select, false, inspect, select

from realist.db.models import Record, Resolution
from realist.services import screening as sc
from realist.services import visibility
from realist.services.context import Workspace
from realist.services.prisma_counts import prisma_report
from realist.services.records_query import RecordQuery, count_records, page_records
from realist.services.tag_summary import tag_summary
from tests.conftest import migrated_sqlite
from tests.factories_screening import add_batch, add_document, as_reviewer, screening_workspace

TA, FT = "title_abstract", "full_text"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """Two reviewers' decisions, reasons, notes, tags and a resolution on six records."""
    ws = screening_workspace(migrated_sqlite(tmp_path / "v.db"))
    jf = as_reviewer(ws, "JF")
    ids = add_batch(ws, 6)
    for r in ids[:4]:
        sc.decide(ws, r, TA, "include", note="looks relevant")
        sc.decide(jf, r, TA, "include")
        sc.toggle_tag(ws, r, "race")
        sc.toggle_tag(jf, r, "gap")
    sc.decide(ws, ids[4], TA, "exclude", reason="lmic")
    sc.decide(ws, ids[0], FT, "include")
    sc.decide(ws, ids[1], FT, "exclude", reason="not_qi")
    with ws.store.transaction() as s:
        s.add(Resolution(review_id=ws.review_id, record_id=ids[5], stage=TA, decision="include"))
    add_document(ws, "D1", progress_plus=["ses"], focus="targeted")
    return ws


def hide_everything(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()

    def blind(s: Any, ws: Workspace, entity: Any) -> ColumnElement[bool]:
        calls[inspect(entity).mapper.class_.__name__] += 1
        return false()

    monkeypatch.setattr(visibility, "decision_visibility", blind)
    return calls


def called(calls: Counter[str], fn: Callable[[], Any]) -> Any:
    before = sum(calls.values())
    result = fn()
    assert sum(calls.values()) > before, f"{fn} read decisions without the visibility seam"
    return result


def test_the_seam_shows_everything_by_default(ws: Workspace) -> None:
    view = sc.record_view(ws, 1, TA)
    assert view.mine is not None and view.others and view.my_tags and view.other_tags
    assert prisma_report(ws).counts.records_screened == 6


def test_hiding_everything_empties_every_read_path(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = hide_everything(monkeypatch)

    queue = called(calls, lambda: sc.open_queue(ws, TA))
    assert queue.mine == {} and queue.progress().screened == 0
    assert called(calls, lambda: sc.open_queue(ws, FT)).ids == []  # nothing kept at TA
    assert called(calls, lambda: sc.reviewer_progress(ws, TA)).screened == 0

    view = called(calls, lambda: sc.record_view(ws, 1, TA))
    assert view.mine is None and view.others == ()
    assert view.my_tags == frozenset() and view.other_tags == () and view.final is None

    with ws.store.read() as s:
        fd = called(calls, lambda: sc.final_decisions(s, ws, TA))
        assert s.execute(select(fd)).all() == []
        assert called(calls, lambda: sc.final_decision_of(s, ws, 6, TA)) is None
        assert list(s.scalars(called(calls, lambda: sc.eligible_records(s, ws, FT)))) == []

    q = RecordQuery()
    page = called(calls, lambda: page_records(ws, q))
    assert page.total == 6
    assert all(r.final is None and r.decisions == () and r.tags == () for r in page.rows)
    assert called(calls, lambda: count_records(ws, q.with_(decision="include"))) == 0
    assert called(calls, lambda: count_records(ws, q.with_(decision="undecided"))) == 6
    assert called(calls, lambda: count_records(ws, q.with_(reviewer="JF"))) == 0
    assert (
        called(calls, lambda: count_records(ws, q.with_(reviewer="JF", decision="undecided"))) == 6
    )
    assert called(calls, lambda: count_records(ws, q.with_(tag="race"))) == 0

    report = called(calls, lambda: prisma_report(ws))
    c = report.counts
    assert (c.records_screened, c.reports_sought, c.studies_included) == (0, 0, 0)
    assert c.exclusion_reasons == {} and report.backlog.awaiting_screening == 6

    summary = called(calls, lambda: tag_summary(ws))
    assert (summary.documents, summary.from_records) == (1, 0)  # only the document without a record
    assert {t.code: t.documents for t in summary.tags}["race"] == 0

    assert set(calls) == {"ScreeningDecision", "RecordTag", "Resolution"}


def test_queue_scope_limits_what_a_reviewer_screens(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sample_only(s: Any, w: Workspace, stage: Any) -> Select[Any]:
        return select(Record.id).where(Record.id.in_([2, 5]))

    monkeypatch.setattr(visibility, "queue_scope", sample_only)
    jf = as_reviewer(ws, "JF")
    queue = sc.open_queue(jf, TA)
    assert queue.ids == [2, 5]
    progress = sc.reviewer_progress(jf, TA)
    assert (progress.total, progress.screened) == (2, 1)
