"""The coding commands through click's CliRunner: codes, excerpts, cmoc, coders."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from realist.cli import cli
from tests.factories import make_pdf
from tests.factories_coding import FIXTURES, PAGES


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    assert run("demo", "--path", str(path), "--no-tui").exit_code == 0
    pdf = make_pdf(tmp_path / "burkitt.pdf", PAGES)
    r = run("attach", "--ref", "24", str(pdf), db=path)
    assert r.exit_code == 0, r.output
    return path


def run(*args: str, db: Path | None = None, who: str | None = "LLJ") -> Result:
    argv = ["--db", str(db)] if db else []
    if who and db:
        argv += ["--reviewer", who]
    return CliRunner().invoke(cli, [*argv, *args], catch_exceptions=False)


def ok(*args: str, db: Path, who: str | None = "LLJ") -> str:
    r = run(*args, db=db, who=who)
    assert r.exit_code == 0, r.output
    return r.output


def test_code_tree_commands(db: Path) -> None:
    ok("codes", "load", str(FIXTURES / "initial-theory.yaml"), db=db)
    ok("codes", "add", "Staff turnover", "--parent", "Resources", db=db)
    out = ok("codes", "list", db=db)
    assert "\nResources  [D] (0)\n" in out and "\n  Staff turnover  [I] (0)\n" in out
    ok("codes", "rename", "Staff turnover", "Turnover", db=db)
    ok("codes", "move", "Turnover", "--to", "Unexpected effects", db=db)
    ok("codes", "edit", "Funding", "--description", "Money for QI", "--origin", "inductive", db=db)
    ok(
        "excerpts",
        "add",
        "24",
        "--find",
        "Staff lacked protected time",
        "--code",
        "Protected time",
        db=db,
    )
    ok(
        "excerpts",
        "add",
        "24",
        "--find",
        "Without training",
        "--code",
        "Training",
        "--code",
        "Turnover",
        db=db,
    )
    out = ok("codes", "merge", "Turnover", "Resources > Training", db=db)
    assert "1 coding(s) and 0 child code(s) moved" in out
    r = run("codes", "delete", "Protected time", db=db)
    assert r.exit_code == 1 and "used by 1 excerpt(s)" in r.output
    out = ok("codes", "delete", "Protected time", "--recode-to", "Training", db=db)
    assert "deleted Resources > Protected time (1 coding(s) moved)" in out
    r = run("codes", "move", "Resources", "--to", "Training", db=db)
    assert r.exit_code == 1 and "cannot sit below itself" in r.output
    r = run("codes", "load", str(FIXTURES.parent.parent.parent / "data" / "cmocs.yaml"), db=db)
    assert r.exit_code == 1 and "not coding; use `realist load`" in r.output


def test_excerpts_cmoc_and_coders(db: Path, tmp_path: Path) -> None:
    ok("codes", "add", "Time", "--origin", "deductive", db=db)
    ok("codes", "add", "Data", db=db)
    out = ok(
        "excerpts", "add", "24", "--find", "Staff lacked protected time", "--code", "Time",
        "--relevance", "high", "--relevance-note", "on CMOC 5", db=db,
    )  # fmt: skip
    assert "excerpt #1: document 24 p. 2" in out
    ok(
        "excerpts",
        "add",
        "24",
        "--find",
        "protected time for equity work",
        "--code",
        "Time",
        db=db,
        who="JF",
    )
    ok("excerpts", "add", "24", "--find", "Stratified dashboards", "--code", "Data", db=db)
    ok("excerpts", "edit", "1", "--memo", "time as context", "--rigour", "low", db=db)
    ok("excerpts", "code", "3", "--add", "Time", db=db)
    out = ok("excerpts", "list", "--code", "Time", db=db)
    assert out.count("#") == 3 and "3 excerpt(s) in 1 document(s)" in out
    out = ok("excerpts", "list", "--document", "24", "--coder", "JF", db=db)
    assert "protected time for equity work" in out and "1 excerpt(s)" in out
    assert "every excerpt matches" in ok("excerpts", "drift", db=db)

    out = ok(
        "cmoc", "add", "5B", "--cluster", "2", "--context", "clinics are busy",
        "--mechanism", "staff see equity work as extra", "--outcome", "equity goals are dropped",
        "--direction", "may_worsen", "--why", "from excerpts 1 and 2", db=db,
    )  # fmt: skip
    assert "When clinics are busy (C) then equity goals are dropped (O)" in out
    ok("cmoc", "link-evidence", "5B", "1", "--role", "c", "--note", "time pressure", db=db)
    ok("cmoc", "link-evidence", "5B", "2", "--role", "M", db=db)
    ok("cmoc", "link", "5B", "6", db=db)
    ok("cmoc", "cite", "5B", "23", db=db)
    r = run("cmoc", "edit", "5B", "--status", "supported", db=db)
    assert r.exit_code == 2 and "--why" in r.output
    ok(
        "cmoc",
        "edit",
        "5B",
        "--status",
        "supported",
        "--outcome",
        "goals slip",
        "--regenerate-statement",
        "--why",
        "JF agrees",
        db=db,
    )
    out = ok("cmoc", "show", "5B", db=db)
    assert "CMOC 5B  (cluster 2 Resources)  may worsen inequalities · status supported" in out
    assert "then goals slip (O)" in out
    assert "Evidence chain: 2 document(s), 2 excerpt(s)" in out
    assert "24  Burkitt et al. 2021  [excerpts for C M]" in out
    assert 'C  p. 2   #1  "Staff lacked protected time"' in out
    assert "PROGRESS-Plus across these documents: Race/ethnicity/culture/language (2)" in out
    assert "Gap/targeted across these documents: Targeted (1)" in out
    assert "History: 6 revision(s)" in out and "LLJ: JF agrees" in out
    assert "status: 'new' → 'supported'" in out
    out = ok("cmoc", "for-document", "24", db=db)
    assert "5B   [2 excerpt(s) for C M]" in out and "1A   [cited]" in out
    r = run("excerpts", "delete", "1", db=db)
    assert r.exit_code == 1 and "evidence for CMOC 5B (C)" in r.output
    out = ok("coders", "compare", "--coder", "LLJ", "--coder", "JF", "--document", "24", db=db)
    assert "Document 24 (406 characters)" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("Time"))
    assert row.split()[1:4] == ["14", "34", "16"]  # both, LLJ only (13 + excerpt 3), JF only
    r = run("coders", "compare", "--coder", "LLJ", db=db)
    assert r.exit_code == 2
    ok("dump", str(tmp_path / "out"), db=db)
    coding = yaml.safe_load((tmp_path / "out" / "coding.yaml").read_text())
    assert coding["excerpts"][0]["evidence"] == [
        {"cmoc": "5B", "role": "C", "note": "time pressure"}
    ]


def test_drift_after_a_new_text(db: Path, tmp_path: Path) -> None:
    ok("codes", "add", "Time", db=db)
    ok("excerpts", "add", "24", "--find", "Staff lacked protected time", "--code", "Time", db=db)
    pdf = make_pdf(tmp_path / "v2.pdf", ["Preface\nA new first page.", *PAGES])
    ok("attach", "--ref", "24", str(pdf), db=db)
    out = ok("excerpts", "drift", db=db)
    assert "#1 document 24" in out and "found at" in out
    out = ok("excerpts", "drift", "--fix", db=db)
    assert "1 moved" in out
    assert "every excerpt matches" in ok("excerpts", "drift", db=db)
    assert "p. 3" in ok("excerpts", "list", db=db)
