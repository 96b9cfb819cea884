"""`realist decide` and `realist undo-decision`: single decisions from the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from realist.cli import cli
from realist.services import screening as sc
from tests.conftest import migrated_sqlite
from tests.factories_screening import add_batch, as_reviewer, screening_workspace


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), "--reviewer", "JF", *args])


def test_decide_and_undo_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    ws = screening_workspace(migrated_sqlite(db))
    a, b = add_batch(ws, 2, prefix="PM")
    jf = as_reviewer(ws, "JF")
    r = run(db, "decide", "PM1", "include", "--note", "relevant")
    assert r.exit_code == 0 and f"record {a}: include recorded (title/abstract)" in r.output
    r = run(db, "decide", f"#{b}", "EXCLUDE", "--reason", "lmic")
    assert r.exit_code == 0, r.output
    view = sc.record_view(jf, b, "title_abstract")
    assert view.mine is not None and (view.mine.decision, view.mine.reason, view.mine.source) == (
        "exclude",
        "lmic",
        "cli",
    )
    assert (
        run(db, "decide", "PM1", "include")
        .output.strip()
        .endswith("already recorded (title/abstract)")
    )
    r = run(db, "decide", "PM1", "exclude", "--stage", "full_text")
    assert r.exit_code == 1 and "reason is required at the full-text stage" in r.output
    r = run(db, "decide", "NOPE", "include")
    assert r.exit_code == 1 and "no record with id or source id 'NOPE'" in r.output
    r = run(db, "undo-decision")
    assert r.exit_code == 0 and f"record {b}: exclude undone, now no decision" in r.output
    assert run(db, "undo-decision").exit_code == 0
    assert run(db, "undo-decision").output.strip() == "nothing to undo"
    assert sc.record_view(jf, a, "title_abstract").mine is None
