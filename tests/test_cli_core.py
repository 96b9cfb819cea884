"""The core commands through click's CliRunner: init, load, dump, reviewer, status, demo."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from realist.cli import cli
from realist.db.engine import sqlite_path
from realist.paths import BUNDLED_FILES
from realist.services.context import Workspace
from realist.services.reviews import review_status


def run(*args: str, db: Path | str | None = None, env: dict[str, str] | None = None) -> Result:
    argv = ["--db", str(db), *args] if db is not None else list(args)
    return CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)


def test_init_load_status_dump(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    r = run("init", "--title", "QI and inequalities", "--lead", "LLJ", db=db)
    assert r.exit_code == 0, r.output
    assert "created schema" in r.output and "added reviewer LLJ (lead)" in r.output
    r = run("load", *map(str, BUNDLED_FILES), db=db)
    assert r.exit_code == 0, r.output
    assert "20 cmocs" in r.output and "27 studies" in r.output
    r = run("status", db=db)
    assert "CMOCs      20 in 4 clusters" in r.output
    assert "1. Values and Understanding: 5" in r.output
    r = run("dump", str(tmp_path / "out"), db=db)
    assert r.exit_code == 0
    cmocs = yaml.safe_load((tmp_path / "out" / "cmocs.yaml").read_text())
    assert [c["id"] for c in cmocs["cmocs"]][:3] == ["1A", "1B", "2"]


def test_init_on_postgresql(pg_url: str) -> None:
    r = run("init", "--title", "Shared review", "--lead", "LEAD", db=pg_url)
    assert r.exit_code == 0, r.output
    r = run("--reviewer", "LEAD", "reviewer", "add", "B2", "--role", "reviewer", db=pg_url)
    assert r.exit_code == 0, r.output
    r = run("reviewer", "list", db=pg_url)
    assert "LEAD" in r.output and "B2" in r.output


def test_reviewers_add_and_list_with_roles(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    run("init", "--title", "T", "--lead", "ANN", db=db)
    r = run(
        "--reviewer",
        "ANN",
        "reviewer",
        "add",
        "BOB",
        "--role",
        "coder",
        "--full-name",
        "Bob B",
        db=db,
    )
    assert r.exit_code == 0, r.output
    listing = run("reviewer", "list", db=db).output
    assert "ANN" in listing and "lead" in listing
    assert "BOB" in listing and "coder" in listing and "Bob B" in listing


def test_only_a_lead_adds_reviewers(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    run("init", "--title", "T", "--lead", "ANN", db=db)
    run("--reviewer", "ANN", "reviewer", "add", "BOB", db=db)
    r = run("--reviewer", "BOB", "reviewer", "add", "EVE", db=db)
    assert r.exit_code == 1
    assert "BOB (reviewer) may not add reviewers" in r.output


def test_unknown_reviewer_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    run("init", "--title", "T", "--lead", "ANN", db=db)
    r = run("--reviewer", "NOBODY", "status", db=db)
    assert r.exit_code == 1
    assert "unknown reviewer 'NOBODY' (known reviewers: ANN)" in r.output
    assert "Traceback" not in r.output


def test_missing_database_says_how_to_start(tmp_path: Path) -> None:
    r = run("status", db=tmp_path / "nothing.db")
    assert r.exit_code == 1
    assert "realist init" in r.output and "realist demo" in r.output
    assert list(tmp_path.iterdir()) == [], "a mistyped --db leaves no empty database behind"


def test_bad_database_url(tmp_path: Path) -> None:
    r = run("status", db="nonsense://x/y")
    assert r.exit_code == 1
    assert "Error:" in r.output and "Traceback" not in r.output


def test_broken_yaml_exits_non_zero_and_loads_nothing(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    run("init", "--title", "T", db=db)
    bad = tmp_path / "cmocs.yaml"
    bad.write_text("schema_version: 1\nkind: cmocs\ncmocs:\n  - id: 1A\n    direction: sideways\n")
    r = run("load", str(BUNDLED_FILES[1]), str(bad), db=db)
    assert r.exit_code == 1
    assert f"{bad}:5: cmocs[0].direction: 'sideways' is not one of reduces, may_worsen" in r.output
    assert "studies    0" in run("status", db=db).output


def test_demo_without_tui_creates_the_example(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    r = run("demo", "--path", str(path), "--no-tui")
    assert r.exit_code == 0, r.output
    status = run("status", db=path).output
    assert "CMOCs      20 in 4 clusters" in status and "studies    27" in status
    # Running the demo again starts fresh rather than loading twice.
    run("demo", "--path", str(path), "--no-tui")
    assert "studies    27" in run("status", db=path).output


def test_upgrade_reports_when_already_current(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    run("init", "--title", "T", db=db)
    r = run("upgrade", db=db)
    assert r.exit_code == 0 and "already at the newest schema" in r.output


def test_env_var_selects_database_and_reviewer(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    run("init", "--title", "T", "--lead", "ANN", db=db)
    r = run("reviewer", "add", "BOB", env={"REALIST_DB": str(db), "REALIST_REVIEWER": "ANN"})
    assert r.exit_code == 0, r.output


def test_db_may_follow_the_command(tmp_path: Path) -> None:
    """`realist init --db URL`, as the team-mode docs and people write it, works like
    `realist --db URL init`, for nested commands and with `--db=URL` too."""
    db = tmp_path / "after.db"
    r = run("init", "--db", str(db), "--title", "T", "--lead", "ANN")
    assert r.exit_code == 0, r.output
    assert db.exists()
    r = run("--reviewer", "ANN", "reviewer", "add", "BOB", f"--db={db}")
    assert r.exit_code == 0, r.output
    r = run("reviewer", "list", "--db", str(db))
    assert "BOB" in r.output and "ANN" in r.output


def test_hoisting_db_stops_at_the_separator_and_needs_a_command() -> None:
    from realist.cli.common import hoist_db_option

    commands = {"init", "decide"}
    assert hoist_db_option(["decide", "1", "--db", "x.db"], commands) == [
        "--db",
        "x.db",
        "decide",
        "1",
    ]
    assert hoist_db_option(["decide", "--", "--db", "x"], commands) == ["decide", "--", "--db", "x"]
    assert hoist_db_option(["--db", "a.db", "init"], commands) == ["--db", "a.db", "init"]
    assert hoist_db_option(["--version"], commands) == ["--version"]


def _all_commands() -> list[list[str]]:
    out: list[list[str]] = []

    def walk(group: object, prefix: list[str]) -> None:
        for name, cmd in getattr(group, "commands", {}).items():
            out.append([*prefix, name])
            walk(cmd, [*prefix, name])

    walk(cli, [])
    return out


@pytest.mark.parametrize("command", _all_commands(), ids=lambda c: " ".join(c))
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    r = run(*command, "-h")
    assert r.exit_code == 0
    assert "Usage:" in r.output
    sub = getattr(cli.commands.get(command[0]), "commands", None)
    if not (sub and len(command) == 1):  # groups list their subcommands instead
        assert "Example" in r.output, f"`realist {' '.join(command)} -h` shows no example"


# --------------------------------------------------------------------------------------------
# Opening the TUI: `realist demo` and bare `realist`, with the TUI's entry point replaced.


@pytest.fixture
def tui_calls(monkeypatch: pytest.MonkeyPatch) -> list[Workspace]:
    """Workspaces the CLI hands to the TUI; the TUI itself never starts."""
    import tui.app

    calls: list[Workspace] = []
    monkeypatch.setattr(tui.app, "run_app", calls.append)
    return calls


def _on_file(ws: Workspace) -> Path:
    path = sqlite_path(ws.store.url)
    assert path is not None
    return path.resolve()


def test_demo_opens_the_tui_on_the_example_as_its_lead(
    tmp_path: Path, tui_calls: list[Workspace]
) -> None:
    path = tmp_path / "demo.db"
    r = run("demo", "--path", str(path))
    assert r.exit_code == 0, r.output
    assert f"example review written to {path}" in r.output
    [ws] = tui_calls
    assert _on_file(ws) == path.resolve()
    assert ws.actor is not None and (ws.actor.name, ws.actor.role) == ("LLJ", "lead")
    st = review_status(ws)
    assert (st.cmocs, len(st.clusters), st.studies) == (20, 4, 27)


def test_demo_by_default_writes_realist_demo_db_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tui_calls: list[Workspace]
) -> None:
    monkeypatch.chdir(tmp_path)
    r = run("demo")
    assert r.exit_code == 0, r.output
    [ws] = tui_calls
    assert _on_file(ws) == (tmp_path / "realist-demo.db").resolve()


def test_bare_realist_opens_the_tui_on_the_review_as_the_reviewer(
    tmp_path: Path, tui_calls: list[Workspace]
) -> None:
    db = tmp_path / "r.db"
    run("init", "--title", "Opened", "--lead", "ANN", db=db)
    run("--reviewer", "ANN", "reviewer", "add", "BOB", db=db)
    r = run("--reviewer", "BOB", db=db)
    assert r.exit_code == 0, r.output
    [ws] = tui_calls
    assert _on_file(ws) == db.resolve()
    assert ws.actor is not None and (ws.actor.name, ws.actor.role) == ("BOB", "reviewer")
    assert review_status(ws).title == "Opened"
    # Without --reviewer and with two people, the TUI opens for reading, as nobody in particular.
    assert run(db=db).exit_code == 0
    assert tui_calls[1].actor is None and _on_file(tui_calls[1]) == db.resolve()


@pytest.mark.parametrize("where", ["--db", "cwd"])
def test_bare_realist_on_a_missing_database_says_how_to_start(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tui_calls: list[Workspace]
) -> None:
    monkeypatch.chdir(tmp_path)
    r = run(db=tmp_path / "nothing.db") if where == "--db" else run()
    assert r.exit_code == 1
    assert "no review database at" in r.output
    assert "realist demo" in r.output and "realist init --title" in r.output
    assert "Traceback" not in r.output
    assert tui_calls == []
    assert list(tmp_path.iterdir()) == [], "no empty database file left behind"
