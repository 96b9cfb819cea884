"""Snapshots of a shared PostgreSQL review taken while others are working: `realist backup`
(pg_dump) and the YAML dump each hold one moment of the review, never half of a transaction."""

from __future__ import annotations

import random
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from realist.cli import cli
from realist.db import migrate
from realist.db.models import AuditEntry, ImportBatch, Record, ScreeningDecision
from realist.db.store import Store
from realist.services import screening
from realist.yamlio.loader import load_paths
from realist.yamlio.writer import dump_review
from tests.factories import make_records
from tests.factories_team import as_reviewer, setup_review

pytestmark = pytest.mark.pg


@pytest.fixture
def empty_pg(pg_url: str) -> Iterator[str]:
    """A second empty database on the same server (to restore into)."""
    name = f"realist_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Busy:
    """Reviewers at work in a thread: batches of 20 records and screening decisions, each one
    transaction, as fast as they go."""

    def __init__(self, url: str, review_id: int) -> None:
        self.url, self.review_id = url, review_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.error: BaseException | None = None

    def run(self) -> None:
        store = Store(self.url)
        try:
            lead = as_reviewer(store, self.review_id, "LEAD")
            a = as_reviewer(store, self.review_id, "A")
            rng = random.Random(5)
            seed = 100
            while not self.stop.is_set():
                seed += 1
                ids = make_records(lead, 20, seed=seed)
                for rid in rng.sample(ids, 5):
                    screening.decide(a, rid, "title_abstract", rng.choice(["include", "exclude"]))
        except BaseException as exc:
            self.error = exc
        finally:
            store.dispose()

    def __enter__(self) -> Busy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        assert self.error is None, self.error


def check_consistent(store: Store) -> tuple[int, int]:
    """Whole batches, and each decision with its audit entry (written in one transaction)."""
    with store.read() as s:
        for bid, expected in s.execute(select(ImportBatch.id, ImportBatch.record_count)):
            n = s.scalar(select(func.count()).where(Record.batch_id == bid))
            assert n == expected, f"batch {bid}: {n} of {expected} records"
        decisions = s.scalar(select(func.count()).select_from(ScreeningDecision)) or 0
        logged = s.scalar(select(func.count()).where(AuditEntry.action == "screening.decide")) or 0
        records = s.scalar(select(func.count()).select_from(Record)) or 0
    assert decisions == logged
    return records, decisions


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_backup_while_others_work_is_one_consistent_moment(
    pg_url: str, empty_pg: str, tmp_path: Path
) -> None:
    owner = Store(pg_url)
    lead = setup_review(owner, records=0)
    sizes = []
    with Busy(pg_url, lead.review_id):
        for i in range(3):
            result = CliRunner().invoke(
                cli, ["--db", pg_url, "backup", "-o", str(tmp_path / f"b{i}")]
            )
            assert result.exit_code == 0, result.output
    for i in range(3):
        result = CliRunner().invoke(
            cli, ["--db", empty_pg, "restore", str(tmp_path / f"b{i}"), "--force"]
        )
        assert result.exit_code == 0, result.output
        restored = Store(empty_pg)
        sizes.append(check_consistent(restored))
        restored.dispose()
    assert sizes[-1][0] > 0 and sizes[-1][1] > 0  # the snapshots caught work in progress
    owner.dispose()


def test_yaml_dump_while_others_work_loads_back_whole(pg_url: str, tmp_path: Path) -> None:
    owner = Store(pg_url)
    lead = setup_review(owner, records=0)
    with Busy(pg_url, lead.review_id):
        folders = []
        for i in range(3):
            folder = tmp_path / f"dump{i}"
            dump_review(owner, lead.review_id, folder)
            folders.append(folder)
    for folder in folders:
        target = Store(f"sqlite:///{folder / 'restored.db'}")
        migrate.upgrade(target)
        load_paths(target, sorted(folder.glob("*.yaml")))  # references all resolve
        records, _ = check_consistent_counts(target)
        assert records % 20 == 0  # whole batches only
        target.dispose()
    owner.dispose()


def check_consistent_counts(store: Store) -> tuple[int, int]:
    with store.read() as s:
        records = s.scalar(select(func.count()).select_from(Record)) or 0
        decisions = s.scalar(select(func.count()).select_from(ScreeningDecision)) or 0
    return records, decisions
