"""`realist rank` and `realist stopping`: the relevance order and the stopping aid from the
command line."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from realist.cli import cli
from realist.db.models import Record
from realist.services import prioritise
from realist.services import screening as sc
from realist.services.context import Workspace
from tests.conftest import migrated_sqlite
from tests.factories_screening import add_batch, as_reviewer, screening_workspace

TA = "title_abstract"
INCLUDED = ("Zebrafish telomere length under thermal stress", "Telomere shortening in zebrafish.")
SIMILAR = ("Telomere attrition in farmed zebrafish", "Zebrafish telomere length was measured.")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    prioritise.clear_cache()
    yield
    prioritise.clear_cache()


def run(db: Path, *args: str, reviewer: str | None = "JF") -> Result:
    who = ["--reviewer", reviewer] if reviewer else []
    return CliRunner().invoke(cli, ["--db", str(db), *who, *args])


def set_text(ws: Workspace, rid: int, title: str, abstract: str) -> None:
    with ws.store.transaction() as s:
        s.execute(update(Record).where(Record.id == rid).values(title=title, abstract=abstract))


def review(tmp_path: Path, n: int = 30) -> tuple[Path, Workspace, list[int]]:
    """n records on the factory's health-services topics; with more than 20, record 0 and
    record 20 are about zebrafish telomeres instead."""
    db = tmp_path / "r.db"
    ws = screening_workspace(migrated_sqlite(db))
    ids = add_batch(ws, n, prefix="MED-")
    if n > 20:
        set_text(ws, ids[0], *INCLUDED)
        set_text(ws, ids[20], *SIMILAR)
    return db, ws, ids


def decide(ws: Workspace, rid: int, decision: str) -> None:
    sc.decide(ws, rid, TA, decision, reason="not_qi" if decision == "exclude" else None)


def ranked(result: Result) -> Any:
    """The JSON a command printed (it must have succeeded)."""
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --------------------------------------------------------------------------------------------
# realist rank


def test_rank_lists_only_the_reviewers_open_records(tmp_path: Path) -> None:
    db, ws, ids = review(tmp_path)
    jf = as_reviewer(ws, "JF")
    for rid in ids[1:6]:
        decide(jf, rid, "exclude")
    decide(jf, ids[0], "include")
    decide(ws, ids[7], "include")  # the lead's decision: JF still has to screen it
    data = ranked(run(db, "rank", "--top", "100", "--format", "json"))
    listed = [row["id"] for row in data["ranked"]]
    assert sorted(listed) == sorted(set(ids) - set(ids[:6]))
    assert (data["records"], data["open"]) == (30, 24)
    assert data["trained"] is True
    # LLJ's include counts for the model too (it is visible to JF): 2 relevant, 5 not.
    assert (data["relevant"], data["irrelevant"]) == (2, 5)
    short = ranked(run(db, "rank", "--top", "3", "--format", "json"))
    assert [r["id"] for r in short["ranked"]] == listed[:3]


def test_after_one_include_a_record_sharing_its_words_comes_first(tmp_path: Path) -> None:
    db, ws, ids = review(tmp_path)
    jf = as_reviewer(ws, "JF")
    decide(jf, ids[0], "include")
    decide(jf, ids[1], "exclude")
    data = ranked(run(db, "rank", "--format", "json"))
    rows = data["ranked"]
    assert rows[0]["id"] == ids[20]
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]
    text = run(db, "rank", "--top", "5")
    assert text.exit_code == 0, text.output
    assert "learned from 1 relevant and 1 irrelevant decision" in text.output
    first = next(line for line in text.output.splitlines() if re.match(r"\s*1\. ", line))
    assert f"MED-21 (#{ids[20]})" in first and "Telomere attrition in farmed zebrafish" in first
    assert "Showing 5 of 28 open records" in text.output


def test_explain_shows_the_words_that_pushed_a_record_up(tmp_path: Path) -> None:
    db, ws, ids = review(tmp_path)
    jf = as_reviewer(ws, "JF")
    decide(jf, ids[0], "maybe")  # maybe counts as relevant
    decide(jf, ids[1], "exclude")
    result = run(db, "rank", "--top", "2", "--explain")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if re.match(r"\s*1\. ", line))
    why = lines[at + 1]
    assert why.strip().startswith("up:") and "zebrafish" in why and "telomere" in why
    data = ranked(run(db, "rank", "--top", "1", "--explain", "--format", "json"))
    terms = [t for t, _ in data["ranked"][0]["terms"]]
    assert {"zebrafish", "telomere"} <= set(terms)
    assert all(w > 0 for _, w in data["ranked"][0]["terms"])


def test_before_any_include_the_file_order_is_kept_and_said(tmp_path: Path) -> None:
    db, ws, ids = review(tmp_path)
    jf = as_reviewer(ws, "JF")
    result = run(db, "rank", "--top", "4")
    assert result.exit_code == 0, result.output
    assert "no relevant decision yet: file order kept" in result.output
    listed = re.findall(r"MED-(\d+) ", result.output)
    assert listed == ["1", "2", "3", "4"]
    decide(jf, ids[0], "exclude")
    decide(jf, ids[1], "exclude")
    again = run(db, "rank", "--top", "2", "--explain", "--format", "json")
    data = ranked(again)
    assert data["trained"] is False and (data["relevant"], data["irrelevant"]) == (0, 2)
    assert [r["id"] for r in data["ranked"]] == ids[2:4]
    assert all(r["score"] is None and r["terms"] == [] for r in data["ranked"])
    text = run(db, "rank", "--top", "2")
    assert "no relevant decision yet: file order kept (learned from 0 relevant" in text.output


def test_rank_when_nothing_is_left_and_without_a_reviewer(tmp_path: Path) -> None:
    db, ws, ids = review(tmp_path, n=3)
    jf = as_reviewer(ws, "JF")
    for rid in ids:
        decide(jf, rid, "exclude")
    done = run(db, "rank")
    assert done.exit_code == 0 and "nothing left for JF at title/abstract" in done.output
    nobody = run(db, "rank", reviewer=None)
    assert nobody.exit_code == 1
    assert "this action needs a reviewer" in nobody.output and "Traceback" not in nobody.output
    bad = run(db, "rank", "--stage", "abstracts")
    assert bad.exit_code == 2 and "'abstracts' is not a stage" in bad.output
    assert run(db, "rank", "--top", "0").exit_code == 2


def test_rank_keeps_terminal_escapes_in_titles_off_the_screen(tmp_path: Path) -> None:
    db, ws, ids = review(tmp_path, n=4)
    set_text(ws, ids[1], "Red \x1b[31malert\x1b[0m title\x07", "")
    result = run(db, "rank", "--stage", "ta")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "Red [31malert [0m title" in result.output


# --------------------------------------------------------------------------------------------
# realist stopping


def screened(tmp_path: Path) -> tuple[Path, Workspace]:
    """80 records, the first 50 decided: includes early, then a run of excludes."""
    db, ws, ids = review(tmp_path, n=80)
    jf = as_reviewer(ws, "JF")
    for i, rid in enumerate(ids[:50]):
        decide(jf, rid, "include" if i in (0, 2, 3, 7, 12, 20) else "exclude")
    return db, ws


def test_stopping_prints_the_plot_and_the_figures_of_the_report(tmp_path: Path) -> None:
    db, ws = screened(tmp_path)
    report = prioritise.stopping_report(ws, TA)
    e = report.estimate
    assert (e.screened, e.found, e.since_last_include, report.n_total) == (50, 6, 29, 80)
    result = run(db, "stopping", "--width", "50", reviewer=None)
    assert result.exit_code == 0, result.output
    out = result.output
    assert report.plot(width=50) in out
    assert e.summary() in out
    assert "Records screened since the last include: 29" in out
    assert (
        f"Estimated includes remaining: {e.remaining:.1f} (95% interval {e.remaining_low} to "
        f"{e.remaining_high}) among 30 not screened"
    ) in out
    assert report.advice() in out
    assert "includes found: 6 after 50 screened (of 80)" in out


def test_stopping_json_carries_the_same_figures_and_the_curve(tmp_path: Path) -> None:
    db, ws = screened(tmp_path)
    strict = prioritise.stopping_report(ws, TA, target_recall=0.99, confidence=0.9)
    result = run(db, "stopping", "--format", "json", "--target-recall", "0.99",
                 "--confidence", "0.9")  # fmt: skip
    data = ranked(result)
    e = strict.estimate
    assert data["curve"] == strict.curve and len(strict.curve) == 50
    assert (data["screened"], data["found"], data["n_total"]) == (50, 6, 80)
    assert data["remaining"] == pytest.approx(e.remaining)
    assert (data["remaining_low"], data["remaining_high"]) == (e.remaining_low, e.remaining_high)
    assert data["p_below_target"] == pytest.approx(e.p_below_target)
    assert (data["target_recall"], data["confidence"]) == (0.99, 0.9)
    assert data["target_reached"] is e.target_reached
    assert data["advice"] == strict.advice()


def test_stopping_before_any_decision_says_there_is_no_estimate(tmp_path: Path) -> None:
    db, _, _ = review(tmp_path, n=5)
    result = run(db, "stopping")
    assert result.exit_code == 0, result.output
    assert "no estimate" in result.output and "nan" not in result.output
    data = ranked(run(db, "stopping", "--format", "json"))
    assert data["remaining"] is None and data["curve"] == [] and data["n_total"] == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--target-recall", "0"), "--target-recall: must be above 0 and at most 1"),
        (("--target-recall", "1.5"), "--target-recall: must be above 0 and at most 1"),
        (("--target-recall", "nan"), "--target-recall: must be above 0 and at most 1"),
        (("--confidence", "1"), "--confidence: must be between 0 and 1"),
        (("--confidence", "-0.2"), "--confidence: must be between 0 and 1"),
        (("--stage", "fulltext"), "'fulltext' is not a stage"),
        (("--width", "5"), "--width"),
        (("--target-recall", "high"), "'high' is not a valid float"),
    ],
)
def test_stopping_refuses_bad_settings_with_one_clear_error(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    db, _, _ = review(tmp_path, n=3)
    result = run(db, "stopping", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("Error:") == 1 and "Traceback" not in result.output


def test_target_recall_of_one_is_allowed(tmp_path: Path) -> None:
    db, _ = screened(tmp_path)
    data = ranked(run(db, "stopping", "--target-recall", "1", "--format", "json"))
    assert data["target_recall"] == 1.0 and not math.isnan(data["p_below_target"])
    assert data["target_reached"] is False  # 30 unscreened records: 100% is not shown yet
