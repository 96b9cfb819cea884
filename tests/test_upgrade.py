"""Migrations: a review database made by the first schema version opens in this version after
`realist upgrade`, which takes a backup first; a failed migration changes nothing.

`tests/fixtures/team/review-0001.sql` is the SQL dump (sqlite3 `iterdump`, so it stays text in
git) of a database built at revision 0001, the first schema, by `python -m tests.test_upgrade
--build`: the bundled example review, 20 imported records, two reviewers' screening decisions (one
superseded, one retracted) and tags. Its content is listed in FIXTURE_COUNTS; the tests check every
count survives.

The upgrade path itself is exercised with a probe migration added on top of the newest real one
(in a copy of the migrations folder), so the test means the same thing whatever head is.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from realist.cli import cli
from realist.db import migrate
from realist.db.store import Store
from realist.errors import RealistError
from realist.services import screening
from realist.services.context import open_workspace

FIXTURE = Path(__file__).parent / "fixtures" / "team" / "review-0001.sql"
FIRST_REVISION = "0001"
FIXTURE_COUNTS = {
    "reviews": 1,
    "reviewers": 2,
    "documents": 27,
    "cmocs": 20,
    "clusters": 4,
    "import_batches": 1,
    "records": 20,
    "screening_decisions": 6,
    "record_tags": 3,
    "audit_log": 13,
}


def counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in FIXTURE_COUNTS}
    finally:
        con.close()


def revision(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return str(con.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        con.close()


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args])


def copy_fixture(tmp_path: Path) -> Path:
    """The first-version database, made from its dump."""
    db = tmp_path / "old-review.db"
    con = sqlite3.connect(db)
    try:
        con.executescript(FIXTURE.read_text(encoding="utf-8"))
    finally:
        con.close()
    return db


def test_the_fixture_was_made_by_the_first_schema_version(tmp_path: Path) -> None:
    db = copy_fixture(tmp_path)
    assert revision(db) == FIRST_REVISION
    assert counts(db) == FIXTURE_COUNTS


def test_a_first_version_database_opens_after_upgrade(tmp_path: Path) -> None:
    db = copy_fixture(tmp_path)
    result = run(db, "upgrade")
    assert result.exit_code == 0, result.output
    if migrate.head_revision() == FIRST_REVISION:
        assert "already at the newest schema" in result.output
    else:
        assert "backup written to" in result.output
        backups = list(tmp_path.glob("old-review.before-upgrade-*.db"))
        assert len(backups) == 1 and revision(backups[0]) == FIRST_REVISION
    assert revision(db) == migrate.head_revision()
    assert counts(db) == FIXTURE_COUNTS
    ws = open_workspace(str(db), "LLJ")
    view = screening.record_view(ws, 1, "title_abstract")
    assert view.mine is not None and view.mine.decision == "maybe" and view.mine.note
    status = run(db, "status")
    assert status.exit_code == 0 and "CMOCs      20 in 4 clusters" in status.output
    ws.store.dispose()


PROBE = '''"""probe migration added by tests/test_upgrade.py"""
from alembic import op
import sqlalchemy as sa

revision = "9999probe"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("upgrade_probe", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("INSERT INTO upgrade_probe (id) SELECT id FROM records")
    {fail}


def downgrade() -> None:
    op.drop_table("upgrade_probe")
'''


@pytest.fixture
def newer_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This code with one more migration: a copy of the migrations folder plus a probe."""
    folder = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "MIGRATIONS", folder)
    return folder


def add_probe(folder: Path, *, fail: bool) -> None:
    down = migrate.head_revision()
    failing = 'op.execute("INSERT INTO no_such_table VALUES (1)")' if fail else "pass"
    (folder / "versions" / "9999_probe.py").write_text(
        PROBE.format(down=down, fail=failing), encoding="utf-8"
    )


def test_upgrade_takes_a_backup_then_migrates_and_the_review_opens(
    tmp_path: Path, newer_version: Path
) -> None:
    db = copy_fixture(tmp_path)
    run(db, "upgrade")  # to the real head first
    add_probe(newer_version, fail=False)
    before = revision(db)
    with pytest.raises(RealistError, match="run `realist upgrade`"):
        open_workspace(str(db), "LLJ")  # an older database is refused until upgraded
    result = run(db, "upgrade")
    assert result.exit_code == 0, result.output
    assert f"upgraded schema {before} -> 9999probe" in result.output
    backups = sorted(tmp_path.glob("old-review.before-upgrade-*.db"))
    assert backups and revision(backups[-1]) == before
    assert counts(backups[-1]) == FIXTURE_COUNTS  # the backup holds everything
    assert revision(db) == "9999probe"
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM upgrade_probe").fetchone()[0] == 20
    con.close()
    ws = open_workspace(str(db), "LLJ")
    assert screening.record_view(ws, 1, "title_abstract").mine is not None
    ws.store.dispose()
    # The backup restores into a working database of the old version.
    restored = tmp_path / "restored.db"
    assert run(restored, "restore", str(backups[-1])).exit_code == 0
    assert revision(restored) == before and counts(restored) == FIXTURE_COUNTS


def test_a_failed_migration_changes_nothing_and_the_backup_is_there(
    tmp_path: Path, newer_version: Path
) -> None:
    db = copy_fixture(tmp_path)
    run(db, "upgrade")
    add_probe(newer_version, fail=True)
    before, data = revision(db), counts(db)
    result = run(db, "upgrade")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "no_such_table" in result.output
    assert revision(db) == before and counts(db) == data
    con = sqlite3.connect(db)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert "upgrade_probe" not in tables  # the migration's first step was rolled back too
    assert list(tmp_path.glob("old-review.before-upgrade-*.db"))


# --------------------------------------------------------------------------------------------
# Building the fixture (at revision 0001, whatever head is)


def build(dump: Path) -> None:
    """Write the fixture: a database at revision 0001, dumped as SQL."""
    import tempfile

    from realist.paths import BUNDLED_FILES
    from realist.services.context import Workspace, resolve_actor, resolve_review_id
    from realist.yamlio.loader import load_paths
    from tests.factories import make_records

    target = Path(tempfile.mkdtemp()) / "review-0001.db"
    store = Store(f"sqlite:///{target}")
    migrate.upgrade(store, FIRST_REVISION)
    load_paths(store, BUNDLED_FILES)
    rid = resolve_review_id(store)
    llj = Workspace(store, rid, resolve_actor(store, "LLJ"))
    jf = llj.with_actor(resolve_actor(store, "JF"))
    rec = make_records(llj, 20, seed=11)
    screening.decide(llj, rec[0], "title_abstract", "include", note="QI with an equity focus")
    screening.decide(llj, rec[0], "title_abstract", "maybe")
    screening.decide(llj, rec[1], "title_abstract", "exclude", reason="lmic")
    screening.decide(llj, rec[2], "title_abstract", "include")
    screening.undo_last(llj, "title_abstract")
    screening.decide(jf, rec[0], "title_abstract", "include")
    screening.decide(jf, rec[1], "title_abstract", "exclude", reason="lmic")
    screening.toggle_tag(llj, rec[0], "race", "title_abstract")
    screening.toggle_tag(jf, rec[0], "race", "title_abstract")
    screening.toggle_tag(jf, rec[0], "gap")
    store.dispose()
    con = sqlite3.connect(target)
    dump.write_text("\n".join(con.iterdump()) + "\n", encoding="utf-8")
    con.close()


if __name__ == "__main__" and sys.argv[1:] == ["--build"]:
    build(FIXTURE)
    print(f"wrote {FIXTURE}")
