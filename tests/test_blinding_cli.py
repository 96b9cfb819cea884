"""The agreement check end to end from the command line: sample -> blind screening as the
second reviewer (who sees nothing of the first reviewer's work) -> the lead opens the
comparison -> report -> disagreements -> resolution."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from realist.cli import cli
from realist.services.context import Workspace
from tests.factories_agreement import SECRET_NOTE, screened_review


def run(db: Path, *args: str, who: str | None = None) -> Result:
    base = ["--db", str(db)] + (["--reviewer", who] if who else [])
    return CliRunner().invoke(cli, [*base, *args])


def test_sample_blind_screening_comparison_report_resolution(tmp_path: Path) -> None:
    db = tmp_path / "flow.db"
    ws: Workspace
    ws, _ids = screened_review(db, n=40)
    ws.store.dispose()

    # the issue's own syntax: --reviewer after `sample` names the second reviewer; the review's
    # only lead draws it
    r = run(db, "sample", "--fraction", "0.25", "--seed", "11", "--reviewer", "JF")
    assert r.exit_code == 0, r.output
    assert "sample 1 · title/abstract · LLJ (first) / JF (second, blind) · 10 records" in r.output
    assert "warning: The sample holds only" in r.output and "--oversample-includes 10" in r.output
    status = json.loads(run(db, "comparison", "status", "--format", "json", who="JF").output)
    ids = status[0]["record_ids"]
    assert status[0]["first_decided"] is None and status[0]["population"] is None

    # JF, blind: nothing of LLJ's anywhere in what the CLI prints
    prisma_b = json.loads(run(db, "prisma", "--format", "json", who="JF").output)
    assert prisma_b["records_screened"] == 0
    refused = run(db, "agreement", "--reviewer", "LLJ", "--reviewer", "JF", who="JF")
    assert refused.exit_code == 1 and "is still blind" in refused.output
    assert "Traceback" not in refused.output
    for k, rid in enumerate(ids):
        decision = "include" if k < 3 else "exclude"
        r = run(db, "decide", f"#{rid}", decision, who="JF")
        assert r.exit_code == 0, r.output
    for args in (["prisma"], ["tags", "summary"], ["status"], ["comparison", "status"]):
        out = run(db, *args, who="JF").output
        assert SECRET_NOTE not in out and "LLJ 10 of 10" not in out, args
    assert json.loads(run(db, "prisma", "--format", "json", who="JF").output)[
        "records_screened"
    ] == len(ids)

    # only a lead opens it, and only once both have finished
    r = run(db, "comparison", "open", who="JF")
    assert r.exit_code == 1 and "may not open the comparison" in r.output
    r = run(db, "comparison", "open", who="LLJ")
    assert r.exit_code == 0 and "comparison open since" in r.output

    report = json.loads(
        run(db, "agreement", "--reviewer", "LLJ", "--reviewer", "JF", "--format", "json").output
    )
    assert report["n"] == len(ids) and report["sample_id"] == 1
    assert sum(map(sum, report["table"])) == len(ids)
    assert "Fleiss, Cohen & Everitt (1969)" in report["ci_method"]
    md = run(db, "agreement", "--reviewer", "LLJ", "--reviewer", "JF", "--format", "md").output
    assert md.startswith("## Dual-screening agreement") and "Confidence interval: Wald" in md

    listed = json.loads(run(db, "disagreements", "--format", "json", who="JF").output)
    assert listed["disagreements"] == len(report["disagreements"]) > 0
    first = listed["records"][0]
    assert first["a"]["reviewer"] == "LLJ" and SECRET_NOTE in first["a"]["note"]
    rid = first["record_id"]
    r = run(db, "resolve", f"#{rid}", "include", "--rationale", "discussed", who="JF")
    assert r.exit_code == 1 and "may not resolve" in r.output
    r = run(db, "resolve", f"#{rid}", "include", "--rationale", "discussed: meets criteria")
    assert r.exit_code == 0 and f"record {rid}: resolved as include" in r.output
    after = json.loads(run(db, "disagreements", "--format", "json").output)
    assert after["unresolved"] == listed["unresolved"] - 1
    assert after["records"][0]["resolution"]["rationale"] == "discussed: meets criteria"
