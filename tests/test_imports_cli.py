"""`realist import`, `dedup`, `duplicates ...` and `export duplicates` through click's CliRunner."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import click
import click._termui_impl
import pytest
from click.testing import CliRunner, Result

from realist.cli import cli
from realist.cli import imports as imports_cli
from tests.factories_ingest import BROKEN, MEDLINE, UPDATE


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def new_review(tmp_path: Path) -> Path:
    db = tmp_path / "r.db"
    assert run(db, "init", "--title", "CLI review", "--lead", "LLJ").exit_code == 0
    return db


def test_import_two_searches_then_review_the_queue(tmp_path: Path) -> None:
    db = new_review(tmp_path)
    r = run(
        db, "--reviewer", "LLJ", "import", str(MEDLINE), "--source", "MEDLINE",
        "--search-date", "2023-05-01", "--search-string", "quality improvement",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "medline_2023.ris: 6 record(s) from MEDLINE (RIS, utf-8) -> batch 1" in r.output
    r = run(db, "--reviewer", "LLJ", "import", str(UPDATE), "--source", "Embase")
    assert r.exit_code == 0, r.output
    assert "5 record(s) from Embase" in r.output
    assert "2 certain pair(s) merged automatically, 1 uncertain pair(s) for review" in r.output
    assert "2 duplicate record(s)" in r.output and "1 pair(s) wait in the queue" in r.output

    r = run(db, "duplicates", "list", "--status", "unreviewed")
    assert r.exit_code == 0 and "unreviewed 1" in r.output
    pid = re.search(r"^\s*(\d+)\s+unreviewed", r.output, re.M)
    assert pid is not None
    r = run(db, "dedup", "--explain", pid.group(1))
    assert r.exit_code == 0
    assert "why: title" in r.output and "source id 1003" in r.output and "E-79" in r.output
    assert re.search(r"Title\s+NO", r.output) and re.search(r"Year\s+yes", r.output)

    r = run(db, "--reviewer", "LLJ", "duplicates", "confirm", pid.group(1))
    assert r.exit_code == 0 and "unreviewed -> confirmed" in r.output
    assert "3 duplicate record(s)" in r.output
    r = run(db, "--reviewer", "LLJ", "duplicates", "undo", pid.group(1))
    assert "confirmed -> undone" in r.output and "2 duplicate record(s)" in r.output
    r = run(db, "--reviewer", "LLJ", "duplicates", "reject", pid.group(1))
    assert r.exit_code == 0 and "undone -> rejected" in r.output

    r = run(db, "--reviewer", "LLJ", "dedup")
    assert r.exit_code == 0 and "whole review, 11 records" in r.output

    out = tmp_path / "dups.csv"
    r = run(db, "export", "duplicates", "--format", "csv", "-o", str(out))
    assert r.exit_code == 0 and "wrote 11 record(s)" in r.output
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["decision"] for r in rows} == {"auto", "unique"}
    assert sum(r["role"] == "duplicate" for r in rows) == 2


def test_a_refused_file_is_reported_and_the_others_still_import(tmp_path: Path) -> None:
    db = new_review(tmp_path)
    r = run(db, "--reviewer", "LLJ", "import", str(BROKEN), str(MEDLINE), "--no-dedup")
    assert r.exit_code == 1
    assert f"error: {BROKEN}: record 2 (line 7): no title, abstract, DOI or PMID" in r.output
    assert "also record 4 (line 17)" in r.output
    assert "medline_2023.ris: 6 record(s)" in r.output
    assert "1 of 2 file(s) not imported (nothing of them was written)" in r.output
    assert "de-duplication" not in r.output
    r = run(db, "status")
    assert "records    6 imported in 1 batches" in r.output, r.output


def test_reimport_refused_unless_forced_and_skip_report(tmp_path: Path) -> None:
    db = new_review(tmp_path)
    assert run(db, "--reviewer", "LLJ", "import", str(MEDLINE)).exit_code == 0
    r = run(db, "--reviewer", "LLJ", "import", str(MEDLINE))
    assert r.exit_code == 1 and "already imported on" in r.output and "as batch 1" in r.output
    r = run(db, "--reviewer", "LLJ", "import", str(MEDLINE), "--force", "--no-dedup")
    assert r.exit_code == 0 and "(forced re-import)" in r.output
    reports = tmp_path / "reports"
    reports.mkdir()
    r = run(
        db, "--reviewer", "LLJ", "import", str(BROKEN), "--skip-invalid",
        "--report-dir", str(reports),
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "skipped 2 invalid record(s); report:" in r.output
    assert (reports / "broken.ris.skipped.csv").is_file()


def test_import_needs_a_reviewer_who_may_import(tmp_path: Path) -> None:
    db = new_review(tmp_path)
    assert (
        run(db, "--reviewer", "LLJ", "reviewer", "add", "OB", "--role", "observer").exit_code == 0
    )
    r = run(db, "--reviewer", "OB", "import", str(MEDLINE))
    assert r.exit_code == 1 and "OB (observer) may not import search results" in r.output


def test_duplicates_errors_are_one_line(tmp_path: Path) -> None:
    db = new_review(tmp_path)
    r = run(db, "--reviewer", "LLJ", "duplicates", "confirm", "12")
    assert r.exit_code == 1 and "no duplicate pair 12 in this review" in r.output
    assert "Traceback" not in r.output


# --------------------------------------------------------------------------------------------
# The progress bar of `realist import`: files of BIG_FILE bytes and more get one, smaller do not.


def _import(tmp_path: Path) -> Result:
    """Import MEDLINE (about 4 kB) into a fresh review, stdout and stderr kept apart."""
    db = new_review(tmp_path)
    return CliRunner().invoke(
        cli, ["--db", str(db), "--reviewer", "LLJ", "import", str(MEDLINE), "--no-dedup"],
        catch_exceptions=False,
    )  # fmt: skip


def test_a_big_file_draws_a_bar_that_reaches_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MEDLINE.stat().st_size < imports_cli.BIG_FILE  # so the threshold must come down
    monkeypatch.setattr(imports_cli, "BIG_FILE", MEDLINE.stat().st_size)
    # CliRunner's stderr is no terminal, where click prints only the label; draw it as on one.
    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)
    r = _import(tmp_path)
    assert r.exit_code == 0, r.output
    assert "medline_2023.ris: 6 record(s)" in r.stdout
    drawn = re.sub(r"\x1b\[\?25[lh]", "", r.stderr)  # hide and show the cursor
    frames = [f.rstrip() for f in drawn.split("\r") if f.strip()]
    assert frames and all(f.startswith("Importing medline_2023.ris  [") for f in frames), frames
    assert frames[0].endswith("]    0%")  # drawn from the start ...
    assert frames[-1] == "Importing medline_2023.ris  [" + "#" * 36 + "]  100%"  # ... to the end
    assert drawn.endswith("\n")  # and the line is left before the next output
    assert "Importing" not in r.stdout  # the bar stays off the output scripts read


def test_a_big_file_off_a_terminal_prints_the_label_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports_cli, "BIG_FILE", 1)
    r = _import(tmp_path)
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == ["Importing medline_2023.ris"]


def test_a_file_below_the_threshold_gets_no_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports_cli, "BIG_FILE", MEDLINE.stat().st_size + 1)
    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)
    r = _import(tmp_path)
    assert r.exit_code == 0, r.output
    assert "medline_2023.ris: 6 record(s)" in r.stdout
    assert "Importing" not in r.output and "[" not in r.stderr and "%" not in r.stderr
