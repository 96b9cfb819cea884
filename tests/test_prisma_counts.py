"""PRISMA 2020 counts computed from records, decisions and documents, and `realist prisma`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from realist.cli import cli
from realist.services import screening as sc
from realist.services.context import Workspace
from realist.services.fulltext import mark_not_retrieved
from realist.services.prisma_counts import prisma_counts, prisma_report
from tests.conftest import migrated_sqlite
from tests.factories_screening import (
    add_batch,
    add_document,
    as_reviewer,
    mark_duplicates,
    screening_workspace,
    workspace_at,
)

TA, FT = "title_abstract", "full_text"
LMIC = "Undertaken in a low-income or middle-income country (OECD definition)"
NOT_QI = "Not a QI project or initiative (the authors must identify it as QI)"


def flow(ws: Workspace, complete: bool) -> dict[str, list[int]]:
    """Records from two databases, a register and citation searching, screened by LLJ (and JF on
    some). With `complete`, every record gets its final decision."""
    medline = add_batch(ws, 10, source_db="MEDLINE", seed=1)
    embase = add_batch(ws, 6, source_db="Embase", seed=2)
    trials = add_batch(ws, 2, source_db="ClinicalTrials.gov", source_kind="register", seed=3)
    citations = add_batch(ws, 3, source_db="citation searching", source_kind="other", seed=4)
    mark_duplicates(ws, [(embase[0], medline[0]), (embase[1], medline[1])])
    main = [r for r in medline + embase + trials if r not in embase[:2]]  # 16 to screen
    kept, dropped = main[:7], main[7:]  # 7 kept (include or maybe), 9 excluded
    for i, r in enumerate(kept):
        sc.decide(ws, r, TA, "maybe" if i == 6 else "include")
    for r in dropped if complete else dropped[:6]:
        sc.decide(ws, r, TA, "exclude")
    jf = as_reviewer(ws, "JF")
    sc.decide(jf, kept[0], TA, "include")  # agrees
    if not complete:
        sc.decide(jf, dropped[0], TA, "include")  # disagrees: awaiting resolution
    # Full text (main column): 1 not retrieved, 2 excluded (lmic, not_qi), the rest included
    mark_not_retrieved(ws, kept[1])
    sc.decide(ws, kept[2], FT, "exclude", reason="lmic")
    sc.decide(ws, kept[3], FT, "exclude", reason="not_qi")
    for r in kept[4:] if complete else kept[4:5]:
        sc.decide(ws, r, FT, "include")
    sc.decide(ws, kept[0], FT, "include")
    # Other methods: one excluded at title/abstract, two sought; one included, one excluded
    sc.decide(ws, citations[0], TA, "exclude")
    sc.decide(ws, citations[1], TA, "include")
    sc.decide(ws, citations[2], TA, "include")
    sc.decide(ws, citations[1], FT, "include")
    sc.decide(ws, citations[2], FT, "exclude", reason="lmic")
    add_document(ws, "outside", progress_plus=["race"])
    return {"main": main, "kept": kept, "dropped": dropped, "citations": citations}


def test_complete_flow_passes_every_check(db_url: str) -> None:
    ws = workspace_at(db_url)
    f = flow(ws, complete=True)
    c = prisma_counts(ws)
    assert c.databases == {"MEDLINE": 10, "Embase": 6}
    assert c.registers == {"ClinicalTrials.gov": 2}
    assert c.duplicates_removed == 2
    assert c.records_screened == len(f["main"]) == 16
    assert c.records_excluded == len(f["dropped"]) == 9
    assert (c.reports_sought, c.reports_not_retrieved, c.reports_assessed) == (7, 1, 6)
    assert c.reports_excluded == 2 and c.exclusion_reasons == {NOT_QI: 1, LMIC: 1}
    other = c.other_methods
    assert other is not None and other.sources == {"citation searching": 3}
    assert (other.reports_sought, other.reports_assessed, other.reports_excluded) == (2, 2, 1)
    assert other.exclusion_reasons == {LMIC: 1}
    assert c.studies_included == 4 + 1  # main: 6 assessed - 2 excluded; other: 1
    assert c.check() == [] and c.check(strict=True) == []
    assert prisma_report(ws).backlog.documents_outside_flow == 1


def test_flow_in_progress_says_what_is_waiting(tmp_path: Path) -> None:
    ws = screening_workspace(migrated_sqlite(tmp_path / "p.db"))
    flow(ws, complete=False)
    report = prisma_report(ws)
    c, b = report.counts, report.backlog
    # 16 to screen: 7 kept, 6 excluded, of which one now conflicts; 3 not decided yet
    assert (c.records_screened, c.records_excluded) == (12, 5)
    assert (b.awaiting_screening, b.awaiting_resolution_title_abstract) == (3, 1)
    # full text: kept[5] not decided, kept[6] (maybe at TA) not decided
    assert (c.reports_sought, c.reports_assessed, b.awaiting_full_text) == (7, 4, 2)
    problems = c.check()
    assert len(problems) == 2
    assert "Records screened (12) should equal" in problems[0] and "4 fewer" in problems[0]
    assert "Reports assessed for eligibility (4)" in problems[1]


def test_full_text_maybe_and_conflicts_are_not_assessed(tmp_path: Path) -> None:
    ws = screening_workspace(migrated_sqlite(tmp_path / "m.db"))
    a, b = add_batch(ws, 2)
    for r in (a, b):
        sc.decide(ws, r, TA, "include")
    sc.decide(ws, a, FT, "maybe")
    sc.decide(ws, b, FT, "include")
    sc.decide(as_reviewer(ws, "JF"), b, FT, "exclude", reason="lmic")
    report = prisma_report(ws)
    assert report.counts.reports_assessed == 0 and report.counts.studies_included == 0
    assert report.backlog.awaiting_resolution_full_text == 2


def test_empty_review_has_zero_counts(tmp_path: Path) -> None:
    ws = screening_workspace(migrated_sqlite(tmp_path / "e.db"))
    c = prisma_counts(ws)
    assert c.identified == 0 and c.other_methods is None and c.check() == []


def test_cli_prints_json_with_problems_and_markdown(tmp_path: Path) -> None:
    ws = screening_workspace(migrated_sqlite(tmp_path / "c.db"))
    flow(ws, complete=False)
    runner = CliRunner()
    db = str(tmp_path / "c.db")
    r = runner.invoke(cli, ["--db", db, "prisma", "--format", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["records_screened"] == 12 and data["databases"]["Embase"] == 6
    assert len(data["problems"]) == 2 and data["backlog"]["awaiting_screening"] == 3
    assert data["other_methods"]["identified"] == 3
    r = runner.invoke(cli, ["--db", db, "prisma"], catch_exceptions=False)
    assert r.exit_code == 0
    assert "| Records screened | 12 |" in r.output and "### Arithmetic checks" in r.output
    assert "### Still waiting" in r.output


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_cli_on_the_bundled_review(demo_store: object, tmp_path: Path, fmt: str) -> None:
    db = str(tmp_path / "demo.db")
    r = CliRunner().invoke(cli, ["--db", db, "prisma", "--format", fmt], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert ("27" in r.output) if fmt == "json" else ("documents outside flow: 27" in r.output)
