"""`realist sample` and `realist comparison status|open` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from realist.agreement import draw_sample
from realist.cli import cli
from realist.services import samples
from tests.factories_agreement import screened_review
from tests.factories_screening import add_reviewer


def run(db: Path, *args: str, who: str | None = None) -> Result:
    base = ["--db", str(db)] + (["--reviewer", who] if who else [])
    return CliRunner().invoke(cli, [*base, *args])


def test_dry_run_json_and_options(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    ws, ids = screened_review(db, n=40)
    r = run(db, "sample", "--fraction", "0.1", "--seed", "5", "--second", "JF", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "dry run (nothing stored): 4 of 40 records LLJ decided at title/abstract" in r.output
    assert f"ids: {', '.join(map(str, draw_sample(ids, 0.1, 5).ids))}" in r.output
    assert "--oversample-includes 10" in r.output
    assert samples.list_samples(ws) == []
    dry = json.loads(
        run(db, "sample", "--fraction", "0.1", "--seed", "5", "--second", "JF", "--dry-run",
            "--format", "json", "--oversample-includes", "5").output
    )  # fmt: skip
    assert dry["dry_run"] and dry["method"] == "stratified+oversampled" and dry["includes"] == 5
    r = run(
        db, "sample", "--fraction", "0.25", "--seed", "5", "--reviewer", "JF", "--first", "LLJ",
        "--stratify", "source", "--format", "json", who="LLJ",
    )  # fmt: skip
    stored = json.loads(r.output)
    assert stored["stratify"] == "source" and stored["size"] == 10 and stored["drawn_by"] == "LLJ"
    again = run(db, "sample", "--fraction", "0.25", "--seed", "6", "--reviewer", "JF")
    assert again.exit_code == 1 and "draw again with --replace" in again.output
    replaced = run(
        db, "sample", "--fraction", "0.25", "--seed", "6", "--reviewer", "JF", "--replace"
    )
    assert replaced.exit_code == 0 and "seed 6" in replaced.output
    assert [i.seed for i in samples.list_samples(ws)] == [6]


def test_who_draws(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    ws, _ = screened_review(db, n=20)
    r = run(db, "sample", "--fraction", "0.1", "--seed", "1", "--reviewer", "JF", who="JF")
    assert r.exit_code == 1 and "JF (reviewer) may not draw an agreement sample" in r.output
    add_reviewer(ws, "ANN", role="lead")
    r = run(db, "sample", "--fraction", "0.1", "--seed", "1", "--reviewer", "JF")
    assert r.exit_code == 1 and "name yourself before the command" in r.output
    r = run(db, "sample", "--fraction", "0.1", "--seed", "1", "--reviewer", "JF", who="ANN")
    assert r.exit_code == 0 and "by ANN" in r.output


def test_status_and_open(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    screened_review(db, n=20)
    assert "no sample yet" in run(db, "comparison", "status").output
    run(db, "sample", "--fraction", "0.25", "--seed", "3", "--reviewer", "JF")
    lead = run(db, "comparison", "status", who="LLJ").output
    assert "decided: LLJ 5 of 5, JF 0 of 5" in lead and "status: blind" in lead
    blind = run(db, "comparison", "status", who="JF").output
    assert "decided: LLJ hidden (blind), JF 0 of 5" in blind and "warning" not in blind
    r = run(db, "comparison", "open")
    assert r.exit_code == 1 and "cannot open the comparison of sample 1 yet" in r.output
    assert "JF has decided 0 of 5" in r.output
