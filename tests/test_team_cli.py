"""`realist team setup / role / password / whoami` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from realist.cli import cli
from realist.db.store import Store
from realist.services import team


def run(db: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", db, *args], input=stdin)


def test_team_setup_needs_postgresql(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    assert run(db, "init", "--title", "Solo", "--lead", "ME").exit_code == 0
    result = run(db, "team", "setup", "--print")
    assert result.exit_code == 1
    assert "team mode needs a shared PostgreSQL database" in result.output
    assert run(db, "team", "whoami").output.startswith("this connection's database role is not")


def test_role_names_are_checked_before_any_sql_is_made() -> None:
    for bad in ("Robert'); DROP TABLE reviews; --", "UPPER", "pg_admin", "a" * 64, ""):
        with pytest.raises(Exception, match="database role"):
            team.check_role_name(bad)
    assert team.default_prefix("My Review-2026") == "realist_my_review_2026"
    assert team.default_db_role("realist_x", "J.F-2") == "realist_x_j_f_2"
    assert team.quote_literal("it's") == "'it''s'"


@pytest.mark.pg
def test_setup_print_apply_role_password_whoami(pg_url: str) -> None:
    assert run(pg_url, "init", "--title", "Shared", "--lead", "LLJ").exit_code == 0
    assert run(pg_url, "--reviewer", "LLJ", "reviewer", "add", "JF").exit_code == 0
    assert (
        run(pg_url, "--reviewer", "LLJ", "reviewer", "add", "SAM", "--role", "coder").exit_code == 0
    )
    owner = Store(pg_url)
    database = make_url(pg_url).database
    prefix = team.default_prefix(database or "")
    try:
        # --print changes nothing
        printed = run(pg_url, "team", "setup")
        assert printed.exit_code == 0, printed.output
        assert "CREATE POLICY realist_read ON" in printed.output
        assert "ENABLE ROW LEVEL SECURITY" in printed.output and printed.output.endswith(
            "COMMIT;\n"
        )
        with owner.engine.connect() as c:
            assert (
                c.execute(
                    text("SELECT count(*) FROM pg_roles WHERE rolname LIKE :p"), {"p": f"{prefix}%"}
                ).scalar_one()
                == 0
            )
        # a reviewer maps to a role of our choosing (a lead's action)
        custom = f"{prefix}_john"
        mapped = run(pg_url, "--reviewer", "LLJ", "team", "role", "JF", custom)
        assert mapped.exit_code == 0 and f"JF connects as {custom}" in mapped.output
        refused = run(pg_url, "--reviewer", "JF", "team", "role", "JF", "x")
        assert refused.exit_code == 1 and "may not map reviewers" in refused.output
        applied = run(pg_url, "team", "setup", "--apply")
        assert applied.exit_code == 0, applied.output
        assert f"JF           reviewer  connects as {custom}" in applied.output
        assert f"SAM          coder     connects as {prefix}_sam" in applied.output
        again = run(pg_url, "team", "setup", "--apply")  # idempotent
        assert again.exit_code == 0, again.output
        result = run(pg_url, "team", "password", "JF", stdin="x :pass %s'word\nx :pass %s'word\n")
        assert result.exit_code == 0, result.output
        jf_url = make_url(pg_url).set(username=custom, password="x :pass %s'word")
        jf = jf_url.render_as_string(hide_password=False)
        who = run(jf, "team", "whoami")
        assert who.exit_code == 0 and who.output.strip() == "JF"
        status = run(jf, "--reviewer", "JF", "status")
        assert status.exit_code == 0 and "Shared" in status.output
        # a reviewer's connection cannot run the setup (not the owner of the tables)
        denied = run(jf, "team", "setup", "--apply")
        assert denied.exit_code == 1 and "nothing was changed" in denied.output
    finally:
        plan = team.plan_team(owner)
        owner.dispose()
        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            for st in team.drop_statements(plan):
                c.execute(text(st))
        admin.dispose()
