"""The agreement report from the database: which records are compared, the statistics against
the worked examples, per-tag agreement, decisions frozen when the comparison opens, imported
decisions, and the exports (md, json, csv, xlsx) with spreadsheet formulas escaped."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from realist.db.models import TagDef
from realist.errors import BlindedError, InvalidInputError
from realist.services import agreement_service, samples
from realist.services import screening as sc
from realist.services.agreement_service import agreement, export_report
from realist.services.context import Workspace
from realist.services.decisions_import import import_decisions
from tests.conftest import migrated_sqlite
from tests.factories_agreement import TA, compared_sample, pairs_for
from tests.factories_screening import (
    add_batch,
    add_reviewer,
    add_source_ids,
    as_reviewer,
    mark_duplicates,
    screening_workspace,
    workspace_at,
)

STATPSYCH = [[31, 12], [4, 58]]  # ci.kappa(.05, 31, 12, 4, 58): methods.md section 5
JSON_KEYS = {"n", "table", "percent_agreement", "kappa", "kappa_se", "kappa_ci_low",
             "kappa_ci_high", "pabak", "ac1", "band", "warnings", "per_tag"}  # fmt: skip


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return screening_workspace(migrated_sqlite(tmp_path / "a.db"))


def test_the_worked_example_from_the_database(db_url: str) -> None:
    ws = workspace_at(db_url)
    info, _ = compared_sample(ws, STATPSYCH)
    result = agreement(ws, reviewers=("LLJ", "JF"))
    r = result.report
    assert result.comparison.sample_id == info.id and r.n == 105
    assert r.categories == ["include", "exclude"] and r.table == STATPSYCH
    assert r.kappa == pytest.approx(0.6756757, abs=5e-8)
    assert r.kappa_se == pytest.approx(0.07344761, abs=5e-9)
    assert (r.kappa_ci_low, r.kappa_ci_high) == (
        pytest.approx(0.5317210, abs=5e-8),
        pytest.approx(0.8196303, abs=5e-8),
    )
    assert r.percent_agreement == pytest.approx(0.84762, abs=5e-6)
    assert r.pabak == pytest.approx(0.69524, abs=5e-6)
    assert r.ac1 == pytest.approx(0.71414, abs=5e-6)
    assert r.band == "substantial" and len(result.disagreements) == 16
    data = json.loads(result.to_json())
    assert set(data) >= JSON_KEYS and data["table"] == STATPSYCH and data["n"] == 105
    assert data["reviewers"] == {"a": "LLJ", "b": "JF"} and data["sample_id"] == info.id
    assert "Fleiss, Cohen & Everitt (1969)" in data["ci_method"]
    assert data["sample"]["seed"] == 1 and data["sample"]["size"] == 105
    md = result.to_markdown()
    assert "Fleiss, Cohen & Everitt (1969)" in md and "| **include** | 31 | 12 | 43 |" in md
    assert "0.676 (SE 0.073; 95% CI 0.532 to 0.820)" in md


def test_rows_are_the_first_reviewer_named(ws: Workspace) -> None:
    compared_sample(ws, STATPSYCH)
    swapped = agreement(ws, reviewers=("JF", "LLJ")).report
    assert swapped.table == [[31, 4], [12, 58]]
    assert swapped.kappa == pytest.approx(agreement(ws).report.kappa)  # latest open sample


def test_maybe_makes_a_three_by_three_table(ws: Workspace) -> None:
    table = [[5, 1, 1], [0, 20, 2], [1, 0, 2]]
    compared_sample(ws, table, ["include", "exclude", "maybe"])
    r = agreement(ws, reviewers=("LLJ", "JF")).report
    assert r.categories == ["include", "exclude", "maybe"] and r.table == table
    assert r.pabak == pytest.approx((3 * 27 / 32 - 1) / 2)


def test_kappa_undefined_is_null_with_a_warning(ws: Workspace) -> None:
    compared_sample(ws, [[0, 0], [0, 12]])
    result = agreement(ws, reviewers=("LLJ", "JF"))
    data = json.loads(result.to_json())
    assert data["kappa"] is None and data["kappa_se"] is None and data["kappa_ci_low"] is None
    assert data["percent_agreement"] == 1.0
    assert any("kappa is undefined" in w for w in data["warnings"])
    assert "undefined (see warnings)" in result.to_markdown()


def test_decisions_count_as_they_stood_when_the_comparison_opened(ws: Workspace) -> None:
    info, ids = compared_sample(ws, [[4, 2], [1, 13]])
    before = agreement(ws, sample_id=info.id)
    jf = as_reviewer(ws, "JF")
    # after seeing LLJ's work, JF changes a decision, undoes another, and LLJ changes one
    sc.decide(jf, ids[4], TA, "include")  # was exclude: a disagreement JF now "fixes"
    sc.decide(jf, ids[0], TA, "exclude")
    sc.undo_last(jf, TA)
    sc.decide(ws, ids[6], TA, "include")
    after = agreement(ws, sample_id=info.id)
    assert after.report.table == before.report.table == [[4, 2], [1, 13]]
    assert after.disagreements == before.disagreements
    assert sc.record_view(jf, ids[4], TA).mine.decision == "include"  # type: ignore[union-attr]


def test_per_tag_agreement_on_records_both_included(ws: Workspace) -> None:
    ids = add_batch(ws, 8)
    jf = as_reviewer(ws, "JF")
    for rid in ids:
        sc.decide(ws, rid, TA, "include" if rid in ids[:6] else "exclude")
    sample = samples.draw(ws, "JF", 1.0, 1)
    for rid in ids:
        sc.decide(jf, rid, TA, "include" if rid in ids[:6] else "exclude")
    for k, rid in enumerate(ids[:6]):
        if k < 4:
            sc.toggle_tag(ws, rid, "race")
        if k in (0, 1, 2, 4):
            sc.toggle_tag(jf, rid, "race")
        sc.toggle_tag(ws, rid, "gap" if k < 3 else "targeted")
        sc.toggle_tag(jf, rid, "gap" if k < 2 else "targeted")
    sc.toggle_tag(ws, ids[7], "ses")  # on a record both excluded: not counted
    samples.open_comparison(ws, sample.id)
    sc.toggle_tag(jf, ids[5], "race")  # after the opening: does not count
    result = agreement(ws, sample_id=sample.id)
    assert result.both_included == 6
    race = result.per_tag["Race/ethnicity/culture/language"]
    assert race.categories == ["tagged", "not tagged"] and race.table == [[3, 1], [1, 1]]
    assert result.per_tag["Socioeconomic status"].table == [[0, 0], [0, 6]]
    focus = result.per_tag["Gap/Targeted"]
    assert focus.categories == ["Gap", "Targeted", "neither"]
    assert focus.table == [[2, 1, 0], [0, 3, 0], [0, 0, 0]]
    codes = result.to_dict()["per_tag_basis"]["tags"]
    assert codes["Gap/Targeted"] == "gap/targeted" and codes["Place of residence"] == "place"
    # the PROGRESS (8) and Plus (4) categories, then the focus
    assert len(result.per_tag) == 13 and list(result.per_tag)[-1] == "Gap/Targeted"
    assert "over the 6 records both reviewers included" in result.to_markdown()


def test_two_reviewers_without_a_sample_compare_every_record_both_decided(ws: Workspace) -> None:
    pairs = pairs_for([[3, 1], [2, 6]], ["include", "exclude"])
    ids = add_batch(ws, len(pairs) + 2)
    jf = as_reviewer(ws, "JF")
    for rid, (a, b) in zip(ids, pairs, strict=False):
        sc.decide(ws, rid, TA, a)
        sc.decide(jf, rid, TA, b)
    sc.decide(ws, ids[-1], TA, "include")  # only one of them: not compared
    sc.decide(ws, ids[-2], TA, "include")
    sc.decide(jf, ids[-2], TA, "exclude")
    mark_duplicates(ws, [(ids[-2], ids[0])])  # a duplicate is not compared
    result = agreement(ws, reviewers=("LLJ", "JF"))
    assert result.comparison.sample_id is None and result.comparison.as_of is None
    assert result.report.table == [[3, 1], [2, 6]] and result.sample is None
    assert "every record both reviewers decided" in result.to_markdown()


def test_which_comparison(ws: Workspace) -> None:
    with pytest.raises(InvalidInputError, match="no sample has its comparison open"):
        agreement(ws)
    with pytest.raises(InvalidInputError, match="name two reviewers"):
        agreement(ws, reviewers=("LLJ",))
    with pytest.raises(InvalidInputError, match="two different reviewers"):
        agreement(ws, reviewers=("JF", "JF"))
    info, _ = compared_sample(ws, [[2, 1], [1, 4]])
    add_reviewer(ws, "MK")
    with pytest.raises(InvalidInputError, match="compares LLJ and JF, not LLJ and MK"):
        agreement(ws, reviewers=("LLJ", "MK"), sample_id=info.id)
    with pytest.raises(InvalidInputError, match="is at the title/abstract stage"):
        agreement(ws, sample_id=info.id, stage="full_text")


def test_a_blind_sample_is_refused_with_how_it_opens(ws: Workspace) -> None:
    ids = add_batch(ws, 10)
    for rid in ids:
        sc.decide(ws, rid, TA, "exclude")
    info = samples.draw(ws, "JF", 0.5, 1)
    with pytest.raises(BlindedError) as err:
        agreement(ws, reviewers=("LLJ", "JF"))
    assert f"realist comparison open --sample {info.id}" in str(err.value)
    assert "all 5 records" in str(err.value)


def test_imported_decisions_take_part(ws: Workspace, tmp_path: Path) -> None:
    """Both reviewers' decisions made in other tools (realist import-decisions)."""
    ids = add_source_ids(ws, [f"R{i}" for i in range(1, 13)])
    a_file, b_file = tmp_path / "a.csv", tmp_path / "b.csv"
    a_dec = ["include"] * 4 + ["exclude"] * 8
    b_dec = ["include"] * 3 + ["exclude"] * 8 + ["include"]
    for path, decisions in ((a_file, a_dec), (b_file, b_dec)):
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["source_id", "decision"])
            w.writerows([f"R{i}", d] for i, d in enumerate(decisions, start=1))
    import_decisions(ws, a_file, "LLJ")
    info = samples.draw(ws, "JF", 1.0, 9)
    assert sorted(info.record_ids) == sorted(ids)
    import_decisions(as_reviewer(ws, "JF"), b_file, "JF")
    samples.open_comparison(ws)
    result = agreement(ws)
    assert result.report.table == [[3, 1], [1, 7]]
    assert result.disagreements == (ids[3], ids[11])


def test_exports(ws: Workspace, tmp_path: Path) -> None:
    compared_sample(ws, [[2, 5], [4, 9]])  # kappa is negative: numbers stay numbers
    with ws.store.transaction() as s:  # a hostile label must not run in a spreadsheet
        s.execute(update(TagDef).where(TagDef.code == "gap").values(label="=HYPERLINK(1)"))
    result = agreement(ws)
    assert result.report.kappa is not None and result.report.kappa < 0

    md = tmp_path / "a.md"
    assert export_report(result, md) == "md"
    assert md.read_text().startswith("## Dual-screening agreement")
    js = tmp_path / "a.json"
    export_report(result, js)
    assert json.loads(js.read_text())["table"] == [[2, 5], [4, 9]]

    out = tmp_path / "a.csv"
    export_report(result, out)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["scope", "statistic", "value"]
    got = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert got[("screening decision", "A include / B exclude")] == "5"
    assert float(got[("screening decision", "kappa")]) == pytest.approx(result.report.kappa)
    focus = ("tag: =HYPERLINK(1)/Targeted", "categories")
    assert got[focus] == "'=HYPERLINK(1), Targeted, neither"
    assert "Fleiss, Cohen & Everitt (1969)" in got[("screening decision", "ci_method")]

    xlsx = tmp_path / "a.xlsx"
    export_report(result, xlsx)
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["Agreement", "Per tag", "Warnings", "Sample"]
    cells = {row[0]: row[1:] for row in wb["Agreement"].iter_rows(values_only=True) if row[0]}
    assert cells["include"][:3] == (2, 5, 7) and cells["exclude"][:3] == (4, 9, 13)
    assert isinstance(cells["kappa"][0], float) and cells["kappa"][0] < 0
    tags = [row[0] for row in wb["Per tag"].iter_rows(values_only=True)]
    assert "'=HYPERLINK(1)/Targeted" in tags and "=HYPERLINK(1)/Targeted" not in tags
    assert not (tmp_path / "a.xlsx.tmp").exists()

    with pytest.raises(InvalidInputError, match="cannot tell the format"):
        export_report(result, tmp_path / "a.txt")
    with pytest.raises(InvalidInputError, match="does not exist"):
        export_report(result, tmp_path / "missing" / "a.md")


def test_safe_cell() -> None:
    assert agreement_service.safe_cell("=1+1") == "'=1+1"
    assert agreement_service.safe_cell("@x") == "'@x" and agreement_service.safe_cell("-x") == "'-x"
    assert agreement_service.safe_cell(-0.5) == -0.5 and agreement_service.safe_cell("ok") == "ok"
