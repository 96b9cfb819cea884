"""The schema, migrations and the unit of work, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from realist.db import migrate
from realist.db.models import AuditEntry, Base, Record, Review, Reviewer, ScreeningDecision
from realist.db.store import SchemaMissingError, Store


def test_upgrade_from_empty_reaches_head_and_matches_models(db_url: str) -> None:
    store = Store(db_url)
    assert not store.has_schema()
    migrate.upgrade(store)
    assert migrate.current_revision(store) == migrate.head_revision()
    assert not migrate.needs_upgrade(store)
    # The migrations must create exactly what the models describe: no drift either way.
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    store.dispose()


def test_downgrade_to_base_removes_every_table(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    store = Store(db_url)
    migrate.upgrade(store)
    cfg = migrate.alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    tables = set(inspect(store.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    store.dispose()


def test_sqlite_connections_use_foreign_keys_and_wal(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_foreign_keys_are_enforced(db_url: str) -> None:
    store = Store(db_url)
    migrate.upgrade(store)
    with pytest.raises(IntegrityError), store.transaction() as s:
        s.add(Record(review_id=999, title="orphan", authors=[], keywords=[], extra={}))
    store.dispose()


def test_audit_log_refuses_update_and_delete(db_url: str) -> None:
    store = Store(db_url)
    migrate.upgrade(store)
    with store.transaction() as s:
        s.add(AuditEntry(action="test", details={"a": 1}))
    for sql in ("UPDATE audit_log SET action = 'changed'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), store.transaction() as s:
            s.execute(text(sql))
    with store.read() as s:
        assert s.scalars(select(AuditEntry.action)).all() == ["test"]
    store.dispose()


def test_only_one_current_decision_per_record_reviewer_and_stage(db_url: str) -> None:
    store = Store(db_url)
    migrate.upgrade(store)
    with store.transaction() as s:
        review = Review(title="t", settings={}, sources={})
        person = Reviewer(name="A")
        s.add_all([review, person])
        s.flush()
        rec = Record(review_id=review.id, title="x", authors=[], keywords=[], extra={})
        s.add(rec)
        s.flush()
        ids = (review.id, rec.id, person.id)

    def decide(current: bool) -> None:
        with store.transaction() as s:
            s.add(
                ScreeningDecision(
                    review_id=ids[0],
                    record_id=ids[1],
                    reviewer_id=ids[2],
                    stage="title_abstract",
                    decision="include",
                    is_current=current,
                )
            )

    decide(True)
    decide(False)  # history rows may pile up ...
    with pytest.raises(IntegrityError):
        decide(True)  # ... but never two current ones
    store.dispose()


def test_transaction_rolls_back_everything_on_error(db_url: str) -> None:
    store = Store(db_url)
    migrate.upgrade(store)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.transaction() as s:
        s.add(Review(title="first", settings={}, sources={}))
        s.flush()
        s.add(Reviewer(name="B"))
        s.flush()
        raise Boom
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Review)) == 0
        assert s.scalar(select(func.count()).select_from(Reviewer)) == 0
    store.dispose()


def test_require_schema_explains_how_to_start(sqlite_url: str) -> None:
    with pytest.raises(SchemaMissingError, match="realist init"):
        Store(sqlite_url).require_schema()
