"""Team load: 8 reviewer processes making 2,000 screening decisions each at the same time.

    .venv/bin/python bench/team_load.py                      # SQLite (WAL) and PostgreSQL
    .venv/bin/python bench/team_load.py --backend sqlite --processes 4 --decisions 500
    REALIST_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1/postgres .venv/bin/python bench/team_load.py

For each backend: a fresh review with N records and one reviewer per process; every process opens
its own session (its own connection pool) as its reviewer and calls `screening.decide` for each
of its decisions, as the TUI does on a keypress: 90% first decisions on the records in a shuffled
order, 10% changes of an earlier decision (a new row superseding the current one). On PostgreSQL
it runs twice: as the database owner, and in team mode (`realist team setup --apply`, each
process connected as its reviewer's own role, row-level security checking every row).

Afterwards it checks that nothing was lost or duplicated: every decision id a process got back is
in the database, rows = decisions made, exactly one current row per (record, reviewer, stage),
and each reviewer's current decisions equal the records they decided. The baseline, in the same
run, is one process making the same decisions one after the other.

Prints decisions per second, concurrent and serial, and their ratio.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from realist.db import migrate  # noqa: E402
from realist.db.models import ScreeningDecision  # noqa: E402
from realist.db.store import Store  # noqa: E402
from realist.services import reviewers, screening, team  # noqa: E402
from realist.services.context import Workspace, resolve_actor  # noqa: E402
from realist.services.reviews import create_review  # noqa: E402
from tests.factories import make_records  # noqa: E402

TA = "title_abstract"
CHOICES = ("include", "exclude", "maybe")


# --------------------------------------------------------------------------------------------
# The work of one reviewer


def plan(records: list[int], decisions: int, seed: int) -> list[tuple[int, str]]:
    """(record, decision) pairs: first decisions in a shuffled order, 10% changing earlier ones."""
    rng = random.Random(seed)
    order = records[:]
    rng.shuffle(order)
    firsts = order[: max(1, decisions - decisions // 10)]
    out: list[tuple[int, str]] = []
    decided: list[int] = []
    it = iter(firsts)
    while len(out) < decisions:
        if decided and (len(decided) == len(firsts) or rng.random() < 0.1):
            rid = rng.choice(decided)
        else:
            rid = next(it)
            decided.append(rid)
        out.append((rid, rng.choice(CHOICES)))
    return out


def work(url: str, review_id: int, name: str, todo: list[tuple[int, str]]) -> list[int]:
    """Decide every (record, decision) as reviewer `name`; returns the decision ids committed."""
    store = Store(url)
    ws = Workspace(store, review_id, resolve_actor(store, name))
    ids = []
    try:
        for k, (rid, decision) in enumerate(todo):
            change = screening.decide(ws, rid, TA, decision, note=f"{name} {k}")
            assert change.decision_id is not None
            ids.append(change.decision_id)
    finally:
        store.dispose()
    return ids


def _worker(args: tuple[str, int, str, list[tuple[int, str]], Any]) -> tuple[list[int], float]:
    url, review_id, name, todo, barrier = args
    barrier.wait()
    started = time.perf_counter()
    ids = work(url, review_id, name, todo)
    return ids, time.perf_counter() - started


# --------------------------------------------------------------------------------------------
# Setting up, checking


@dataclass
class Review:
    url: str  # the owner's connection
    review_id: int
    records: list[int]
    names: list[str]
    urls: dict[str, str]  # the URL each reviewer's process connects with


def prepare(url: str, processes: int, records: int) -> Review:
    store = Store(url)
    migrate.upgrade(store)
    review_id = create_review(store, "Team load")
    ws = Workspace(store, review_id)
    names = [f"R{i + 1}" for i in range(processes)]
    reviewers.add_reviewer(ws, "LEAD", role="lead")
    ws = ws.with_actor(resolve_actor(store, "LEAD"))
    for name in names:
        reviewers.add_reviewer(ws, name, role="reviewer")
    ids = make_records(ws, records, seed=1)
    store.dispose()
    return Review(url, review_id, ids, names, {n: url for n in names})


def check(
    review: Review, plans: dict[str, list[tuple[int, str]]], got: dict[str, list[int]]
) -> str:
    """Zero lost or duplicated decisions, or an AssertionError saying what is wrong."""
    store = Store(review.url)
    d = ScreeningDecision
    with store.read() as s:
        rows = s.execute(select(d.id, d.record_id, d.reviewer_id, d.is_current)).all()
        people = dict(s.execute(text("SELECT name, id FROM reviewers")).all())
    store.dispose()
    ids = {r.id for r in rows}
    returned = [i for name in review.names for i in got[name]]
    made = sum(len(p) for p in plans.values())
    assert len(returned) == made, f"{made - len(returned)} decisions not acknowledged"
    lost = set(returned) - ids
    assert not lost, f"{len(lost)} committed decisions missing"
    assert len(rows) == made, f"{len(rows)} rows for {made} decisions (duplicated or extra)"
    current = Counter((r.record_id, r.reviewer_id) for r in rows if r.is_current)
    assert all(n == 1 for n in current.values()), "two current rows for one record and reviewer"
    for name in review.names:
        decided = {rid for rid, _ in plans[name]}
        mine = {rec for rec, rev in current if rev == people[name]}
        assert mine == decided, f"{name}: current decisions differ from the records decided"
    return f"{len(rows):,} rows, all {made:,} decisions present, none duplicated"


# --------------------------------------------------------------------------------------------
# PostgreSQL databases and team mode


def pg_database(base: str) -> tuple[str, str]:
    name = f"realist_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(base: str, name: str, plan_: team.TeamPlan | None) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if plan_ is not None:
            url = make_url(base).set(database=name).render_as_string(hide_password=False)
            owner = create_engine(url, isolation_level="AUTOCOMMIT")
            with owner.connect() as oc:
                for st in team.drop_statements(plan_):
                    oc.execute(text(st))
            owner.dispose()
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def team_mode(review: Review) -> team.TeamPlan:
    """Roles, grants and row-level security; each reviewer connects as their own role."""
    store = Store(review.url)
    plan_ = team.plan_team(store)
    team.apply_team(store, plan_)
    for m in plan_.members:
        password = secrets.token_urlsafe(12)
        team.set_password(store, m.db_role, password)
        review.urls[m.name] = (
            make_url(review.url)
            .set(username=m.db_role, password=password)
            .render_as_string(hide_password=False)
        )
    store.dispose()
    return plan_


# --------------------------------------------------------------------------------------------
# Running


@dataclass
class Result:
    label: str
    decisions: int
    seconds: float
    check: str

    @property
    def rate(self) -> float:
        return self.decisions / self.seconds


def run_concurrent(
    review: Review, plans: dict[str, list[tuple[int, str]]]
) -> tuple[float, dict[str, list[int]]]:
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(len(review.names) + 1)
        with ctx.Pool(len(review.names)) as pool:
            jobs = [
                pool.apply_async(
                    _worker, ((review.urls[n], review.review_id, n, plans[n], barrier),)
                )
                for n in review.names
            ]
            barrier.wait()
            started = time.perf_counter()
            results = [j.get(timeout=3600) for j in jobs]
            elapsed = time.perf_counter() - started
    return elapsed, {n: r[0] for n, r in zip(review.names, results, strict=True)}


def run_serial(
    review: Review, plans: dict[str, list[tuple[int, str]]]
) -> tuple[float, dict[str, list[int]]]:
    """The baseline: one process, the same decisions one after the other (round robin)."""
    stores = {n: Store(review.urls[n]) for n in review.names}
    wss = {
        n: Workspace(stores[n], review.review_id, resolve_actor(stores[n], n)) for n in review.names
    }
    got: dict[str, list[int]] = {n: [] for n in review.names}
    started = time.perf_counter()
    for k in range(max(len(p) for p in plans.values())):
        for n in review.names:
            if k < len(plans[n]):
                rid, decision = plans[n][k]
                change = screening.decide(wss[n], rid, TA, decision, note=f"{n} {k}")
                assert change.decision_id is not None
                got[n].append(change.decision_id)
    elapsed = time.perf_counter() - started
    for st in stores.values():
        st.dispose()
    return elapsed, got


Maker = Callable[[], tuple["Review", Callable[[], None]]]


def bench(label: str, make: Maker, processes: int, decisions: int, records: int) -> list[Result]:
    out = []
    for mode in ("concurrent", "serial"):
        review, cleanup = make()
        try:
            plans = {n: plan(review.records, decisions, seed=i) for i, n in enumerate(review.names)}
            runner = run_concurrent if mode == "concurrent" else run_serial
            seconds, got = runner(review, plans)
            verdict = check(review, plans, got)
        finally:
            cleanup()
        made = sum(len(p) for p in plans.values())
        out.append(Result(f"{label}, {mode}", made, seconds, verdict))
        print(
            f"  {out[-1].label:<42} {made:>7,} decisions {seconds:8.1f} s "
            f"{out[-1].rate:8.0f} /s   {verdict}",
            flush=True,
        )
    conc, serial = out
    print(f"  {label}: concurrent / serial throughput = {conc.rate / serial.rate:.2f}x", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--decisions", type=int, default=2000, help="per process")
    parser.add_argument("--records", type=int, default=None, help="default: --decisions")
    args = parser.parse_args()
    records = args.records or args.decisions
    cores = os.cpu_count()
    print(
        f"team load: {args.processes} processes x {args.decisions:,} decisions, "
        f"{records:,} records, {cores} cores, load average {os.getloadavg()[0]:.1f}"
    )
    results: list[Result] = []
    if args.backend in ("sqlite", "both"):

        def make_sqlite() -> tuple[Review, Callable[[], None]]:
            folder = tempfile.mkdtemp(prefix="realist-load-")
            review = prepare(f"sqlite:///{folder}/load.db", args.processes, records)
            return review, lambda: None

        results += bench("SQLite (WAL)", make_sqlite, args.processes, args.decisions, records)
    if args.backend in ("postgresql", "both"):
        base = os.environ.get("REALIST_BENCH_PG_URL") or os.environ.get("REALIST_TEST_PG_URL")
        if not base:
            print(
                "PostgreSQL skipped: set REALIST_BENCH_PG_URL (e.g. "
                "postgresql+psycopg://postgres@127.0.0.1/postgres)"
            )
        else:
            for label, teamed in (("PostgreSQL", False), ("PostgreSQL team mode (RLS)", True)):

                def make_pg(teamed: bool = teamed) -> tuple[Review, Callable[[], None]]:
                    name, url = pg_database(base)
                    review = prepare(url, args.processes, records)
                    plan_ = team_mode(review) if teamed else None
                    return review, lambda: drop_pg_database(base, name, plan_)

                results += bench(label, make_pg, args.processes, args.decisions, records)
    print("\n| backend, mode | decisions | seconds | decisions/s |")
    print("|---|---:|---:|---:|")
    for r in results:
        print(f"| {r.label} | {r.decisions:,} | {r.seconds:.1f} | {r.rate:,.0f} |")


if __name__ == "__main__":
    main()
