"""The agreement report from the database: which records are compared, the statistics against
the worked examples, per-tag agreement, decisions frozen when the comparison opens, imported
decisions, and the exports (md, json, csv, xlsx) with the resolution of the disagreements and
spreadsheet formulas escaped."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from realist.db.models import TagDef
from realist.errors import BlindedError, InvalidInputError
from realist.services import agreement_service, resolution, samples
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
    assert data["resolution"] == {
        "disagreements": 0, "resolved": 0, "unresolved": 0,
        "final_decisions": {"include": 0, "exclude": 0}, "summary": "no disagreements",
        "records": [],
    }  # fmt: skip
    assert "No disagreements to resolve." in result.to_markdown()


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
    assert wb.sheetnames == ["Agreement", "Disagreements", "Per tag", "Warnings", "Sample"]
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


HOSTILE = '=HYPERLINK("http://evil.example","click")'


def test_exports_carry_the_resolution(ws: Workspace, tmp_path: Path) -> None:
    """Every format has the resolution summary and, but the CSV's long form aside, one row per
    disagreement: both decisions, the final one, the rationale (a formula stays text in a
    spreadsheet), who resolved it and when; unresolved ones say so."""
    _, ids = compared_sample(ws, [[2, 5], [4, 9]])  # ids[2:7] A include / B exclude, ids[7:11]
    disagreeing = ids[2:11]
    resolution.resolve(ws, ids[2], "include", HOSTILE)
    resolution.resolve(ws, ids[3], "exclude", "first thoughts")
    resolution.resolve(ws, ids[3], "include", "+1 on second thoughts")  # the latest stands
    resolution.resolve(ws, ids[4], "include", "@LLJ: QI with equity outcomes")
    resolution.resolve(ws, ids[5], "include", "discussed | agreed")
    for rid in ids[7:10]:
        resolution.resolve(ws, rid, "exclude", "-not QI")
    unresolved = {ids[6], ids[10]}
    result = agreement(ws)
    assert result.disagreements == tuple(disagreeing)
    summary = result.resolution_summary()
    assert summary is not None and summary.describe() == "resolved 7 of 9: 4 include, 3 exclude"

    md = tmp_path / "r.md"
    export_report(result, md)
    text = md.read_text(encoding="utf-8")
    section = text[text.index("### Resolution of disagreements") :]
    assert "Disagreements: 9; resolved 7 of 9: 4 include, 3 exclude; 2 unresolved." in section
    table = [line for line in section.splitlines() if line.startswith("| #")]
    assert [line.split(" | ")[0] for line in table] == [f"| #{r}" for r in disagreeing]
    first = table[0].split(" | ")
    assert first[1:] == [
        "MED-3", first[2], "include", "exclude", "include", HOSTILE, "LLJ", first[8]
    ]  # fmt: skip
    assert first[8].endswith(" UTC |")
    assert "discussed \\| agreed" in section  # a pipe does not break the table
    assert "| include | exclude | unresolved |  |  |  |" in table[4]
    assert "| A (LLJ) | B (JF) | Final decision | Rationale |" in section

    js = tmp_path / "r.json"
    export_report(result, js)
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["disagreements"] == disagreeing
    res = data["resolution"]
    assert (res["disagreements"], res["resolved"], res["unresolved"]) == (9, 7, 2)
    assert res["final_decisions"] == {"include": 4, "exclude": 3}
    assert res["summary"] == "resolved 7 of 9: 4 include, 3 exclude"
    by_id = {r["record_id"]: r for r in res["records"]}
    assert list(by_id) == disagreeing
    assert by_id[ids[2]]["rationale"] == HOSTILE  # JSON is data: no escaping
    assert by_id[ids[3]] | {"resolved_at": None} == {
        "record_id": ids[3], "source_id": "MED-4", "title": by_id[ids[3]]["title"],
        "a_decision": "include", "b_decision": "exclude", "final_decision": "include",
        "rationale": "+1 on second thoughts", "resolved_by": "LLJ", "resolved_at": None,
    }  # fmt: skip
    assert datetime.fromisoformat(by_id[ids[3]]["resolved_at"]).tzinfo is not None
    assert by_id[ids[8]]["a_decision"] == "exclude" and by_id[ids[8]]["b_decision"] == "include"
    for rid in unresolved:
        assert [by_id[rid][k] for k in ("final_decision", "rationale", "resolved_by",
                                        "resolved_at")] == [None] * 4  # fmt: skip

    out = tmp_path / "r.csv"
    export_report(result, out)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["scope", "statistic", "value"] and {len(r) for r in rows} == {3}
    got = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert [(stat, got[("resolution", stat)]) for stat in (
        "disagreements", "resolved", "unresolved", "final include", "final exclude", "summary"
    )] == [
        ("disagreements", "9"), ("resolved", "7"), ("unresolved", "2"), ("final include", "4"),
        ("final exclude", "3"), ("summary", "resolved 7 of 9: 4 include, 3 exclude"),
    ]  # fmt: skip
    assert got[(f"record #{ids[2]}", "rationale")] == "'" + HOSTILE
    assert got[(f"record #{ids[3]}", "rationale")] == "'+1 on second thoughts"
    assert got[(f"record #{ids[4]}", "rationale")] == "'@LLJ: QI with equity outcomes"
    assert got[(f"record #{ids[7]}", "rationale")] == "'-not QI"
    assert got[(f"record #{ids[2]}", "A decision (LLJ)")] == "include"
    assert got[(f"record #{ids[2]}", "B decision (JF)")] == "exclude"
    assert got[(f"record #{ids[2]}", "final decision")] == "include"
    assert got[(f"record #{ids[2]}", "resolved by")] == "LLJ"
    assert got[(f"record #{ids[6]}", "final decision")] == ""
    texts = [r[2] for r in rows if r[0].startswith("record #")]
    assert texts and not any(v.startswith(("=", "+", "-", "@")) for v in texts)

    xlsx = tmp_path / "r.xlsx"
    export_report(result, xlsx)
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["Agreement", "Disagreements", "Per tag", "Warnings", "Sample"]
    cells = {row[0]: row[1] for row in wb["Agreement"].iter_rows(values_only=True) if row[0]}
    assert (cells["Disagreements"], cells["Resolved"], cells["Unresolved"]) == (9, 7, 2)
    assert (cells["Final include"], cells["Final exclude"]) == (4, 3)
    assert cells["Resolution"] == "resolved 7 of 9: 4 include, 3 exclude"
    sheet = wb["Disagreements"]
    assert sheet.freeze_panes == "A2"
    head, *body = list(sheet.iter_rows(values_only=True))
    assert head == ("Record", "Source id", "Title", "A (LLJ)", "B (JF)", "Final decision",
                    "Rationale", "Resolved by", "Resolved at (UTC)")  # fmt: skip
    assert all(c.font.bold for c in sheet[1])
    assert [row[0] for row in body] == disagreeing  # record ids stay numbers
    rows_by_id = {row[0]: row for row in body}
    hostile = rows_by_id[ids[2]]
    assert hostile[1:6] == ("MED-3", hostile[2], "include", "exclude", "include")
    assert hostile[6] == "'" + HOSTILE and hostile[7] == "LLJ"
    assert isinstance(hostile[8], datetime)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert [rows_by_id[r][6] for r in ids[3:5]] == [
        "'+1 on second thoughts", "'@LLJ: QI with equity outcomes"
    ]  # fmt: skip
    assert rows_by_id[ids[7]][5:8] == ("exclude", "'-not QI", "LLJ")
    for rid in unresolved:
        assert rows_by_id[rid][5:] == ("unresolved", None, None, None)


def test_the_report_follows_new_resolutions(ws: Workspace) -> None:
    """The report reads resolutions through the resolution service: a new one is in it at once
    (a blind sample's report, and so its resolutions, is refused: see the test above)."""
    _, ids = compared_sample(ws, [[1, 1], [0, 2]])
    assert agreement(ws).resolution_records()[0]["final_decision"] is None
    resolution.resolve(ws, ids[1], "exclude", "discussed")
    (row,) = agreement(ws).resolution_records()
    assert (row["record_id"], row["final_decision"], row["rationale"]) == (
        ids[1], "exclude", "discussed"
    )  # fmt: skip
