"""Several sessions on one review at once, on SQLite and PostgreSQL: appended decisions and tags
never end with two current rows nor lose a committed one; edits to shared objects report a
conflict instead of overwriting; YAML loads never mix."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from realist.db.models import CmocRevision, Criterion, Record, RecordTag, ScreeningDecision
from realist.db.store import Store
from realist.errors import ConflictError
from realist.services import cmoc_edit, screening, theory
from realist.services.context import Workspace, resolve_actor
from realist.yamlio.loader import load_paths
from tests.factories_team import setup_review

TA = "title_abstract"


@pytest.fixture
def lead(db_url: str) -> Iterator[Workspace]:
    store = Store(db_url)
    ws = setup_review(store, records=4)
    yield ws
    store.dispose()


def run_sessions(
    url: str, review_id: int, name: str, n: int, body: Callable[[Workspace, int], Any]
) -> tuple[list[Any], list[BaseException]]:
    """Run `body(ws, i)` in `n` threads at once, each its own session (store) acting as `name`."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        store = Store(url)
        ws = Workspace(store, review_id, resolve_actor(store, name))
        try:
            barrier.wait()
            out = body(ws, i)
            with lock:
                results.append(out)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            store.dispose()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_racing_decisions_of_one_reviewer_keep_one_current_row_and_lose_none(
    lead: Workspace,
) -> None:
    """Four sessions of reviewer A decide the same two records over and over."""
    with lead.store.read() as s:
        rec = list(s.scalars(select(Record.id).order_by(Record.id).limit(2)))
    choices = ["include", "exclude", "maybe"]

    def body(ws: Workspace, i: int) -> list[screening.DecisionChange]:
        return [
            screening.decide(ws, rec[k % 2], TA, choices[(i + k) % 3], note=f"s{i} k{k}")
            for k in range(15)
        ]

    results, errors = run_sessions(lead.store.url, lead.review_id, "A", 4, body)
    assert errors == []
    changes = [c for batch in results for c in batch]
    assert len(changes) == 60 and all(c.changed for c in changes)  # every note differs
    d = ScreeningDecision
    with lead.store.read() as s:
        rows = s.execute(select(d.id, d.record_id, d.is_current).order_by(d.id)).all()
    # Every committed decision is there, once; appended, none overwritten.
    assert sorted(r.id for r in rows) == sorted(c.decision_id for c in changes if c.decision_id)
    for rid in rec:
        mine = [r for r in rows if r.record_id == rid]
        current = [r for r in mine if r.is_current]
        assert len(current) == 1
        assert current[0].id == max(r.id for r in mine)  # the last committed one stands


def test_racing_tag_toggles_end_consistent(lead: Workspace) -> None:
    with lead.store.read() as s:
        rid = s.scalars(select(Record.id).limit(1)).one()

    def body(ws: Workspace, i: int) -> list[bool]:
        return [screening.toggle_tag(ws, rid, "race", TA).on for _ in range(10)]

    results, errors = run_sessions(lead.store.url, lead.review_id, "A", 3, body)
    assert errors == []
    ons = sum(on for batch in results for on in batch)
    with lead.store.read() as s:
        tags = s.execute(select(RecordTag.id, RecordTag.is_current)).all()
    assert len(tags) == ons  # each "on" inserted one row
    assert sum(t.is_current for t in tags) == 0  # 30 toggles: back off
    assert ons == 15


def test_simultaneous_cmoc_edits_one_saves_the_other_gets_a_conflict(lead: Workspace) -> None:
    """Two sessions open the same CMOC version and save at once, three times over."""
    cmoc_edit.create_cmoc(lead, "9", context="c", mechanism="m", outcome="o")
    for round_ in range(3):
        version = theory.get_cmoc(lead, "9").version

        def body(ws: Workspace, i: int, version: int = version, round_: int = round_) -> int:
            change = {"notes": f"round {round_} by {i}"}
            view = cmoc_edit.edit_cmoc(
                ws, "9", change, rationale=f"session {i}", expected_version=version
            )
            return view.version

        results, errors = run_sessions(lead.store.url, lead.review_id, "LEAD", 2, body)
        assert len(results) == 1 and len(errors) == 1, errors
        assert isinstance(errors[0], ConflictError), errors
        assert theory.get_cmoc(lead, "9").version == results[0]
    with lead.store.read() as s:
        revisions = s.scalar(select(func.count()).select_from(CmocRevision))
    assert revisions == 1 + 3  # the creation and one saved edit per round; nothing lost silently


def test_simultaneous_yaml_loads_never_mix_criteria(lead: Workspace, tmp_path: Path) -> None:
    files = []
    for i in range(2):
        path = tmp_path / f"review-{i}.yaml"
        path.write_text(
            "schema_version: 1\nkind: review\nreview:\n  title: Team review\ncriteria:\n"
            f"  inclusion: [inclusion {i} a, inclusion {i} b]\n  exclusion: [exclusion {i}]\n",
            encoding="utf-8",
        )
        files.append(path)

    def body(ws: Workspace, i: int) -> None:
        for _ in range(5):
            load_paths(ws.store, [files[i]], review_id=ws.review_id, ws=ws)

    _, errors = run_sessions(lead.store.url, lead.review_id, "LEAD", 2, body)
    assert errors == []
    with lead.store.read() as s:
        texts = s.scalars(select(Criterion.text).order_by(Criterion.kind, Criterion.position)).all()
    assert texts in (
        ["exclusion 0", "inclusion 0 a", "inclusion 0 b"],
        ["exclusion 1", "inclusion 1 a", "inclusion 1 b"],
    )


def test_reviewer_processes_deciding_at_once_lose_and_duplicate_nothing(db_url: str) -> None:
    """The load benchmark in small: three reviewer processes at once, then its own check."""
    from bench.team_load import check, plan, prepare, run_concurrent

    review = prepare(db_url, processes=3, records=40)
    plans = {n: plan(review.records, 40, seed=i) for i, n in enumerate(review.names)}
    _, got = run_concurrent(review, plans)
    assert check(review, plans, got) == "120 rows, all 120 decisions present, none duplicated"
