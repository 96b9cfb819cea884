"""Decisions from other tools: generic CSV, ASReview and Rayyan exports, all or nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from realist.cli import cli
from realist.db.models import AuditEntry, ScreeningDecision
from realist.errors import InvalidInputError, PermissionDeniedError
from realist.services import screening as sc
from realist.services.context import Workspace
from realist.services.decisions_import import import_decisions, parse_rows
from tests.conftest import migrated_sqlite
from tests.factories_screening import (
    add_batch,
    add_source_ids,
    as_reviewer,
    mark_duplicates,
    reviewer_id,
    screening_workspace,
    workspace_at,
)

FIXTURES = Path(__file__).parent / "fixtures" / "screening"
TA, FT = "title_abstract", "full_text"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return screening_workspace(migrated_sqlite(tmp_path / "i.db"))


def current(
    ws: Workspace, reviewer: str = "JF", stage: str = TA
) -> dict[int, tuple[str, str | None, str | None, str]]:
    who = reviewer_id(ws, reviewer)
    d = ScreeningDecision
    with ws.store.read() as s:
        return {
            r.record_id: (r.decision, r.reason_code, r.note, r.source)
            for r in s.scalars(
                select(d).where(d.reviewer_id == who, d.stage == stage, d.is_current)
            )
        }


def test_generic_csv_with_bom_semicolons_and_mixed_values(db_url: str) -> None:
    ws = workspace_at(db_url)
    ids = add_batch(ws, 6, prefix="MED-")
    report = import_decisions(ws, FIXTURES / "generic_semicolon_bom.csv", "JF")
    assert report.layout == "generic" and report.rows == 6 and report.unlabelled == 1
    assert report.imported == 5 and report.decisions == {"include": 2, "exclude": 2, "maybe": 1}
    got = current(ws)
    assert got[ids[0]] == ("include", None, "strong QI focus", "import")
    assert got[ids[1]] == ("exclude", "lmic", None, "import")
    assert got[ids[2]][:3] == ("exclude", "not_healthcare", "school programme")  # reason by label
    assert got[ids[3]][0] == "maybe" and got[ids[5]][0] == "include" and ids[4] not in got
    with ws.store.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "screening.import")).one()
        assert entry.actor == "LLJ" and entry.details["imported"] == 5
    again = import_decisions(ws, FIXTURES / "generic_semicolon_bom.csv", "JF")
    assert (again.imported, again.unchanged) == (0, 5)  # importing twice changes nothing


def test_imported_decisions_supersede_and_can_be_undone(ws: Workspace) -> None:
    ids = add_batch(ws, 6, prefix="MED-")
    jf = as_reviewer(ws, "JF")
    sc.decide(jf, ids[0], TA, "exclude")
    import_decisions(jf, FIXTURES / "generic_semicolon_bom.csv", "JF")
    assert current(ws)[ids[0]][0] == "include"
    change = sc.undo_last(jf, TA)  # the latest imported row
    assert change is not None and change.before in {"include", "exclude", "maybe"}


def test_unknown_ids_stop_the_import_and_name_the_lines(ws: Workspace) -> None:
    add_batch(ws, 3, prefix="MED-")
    with pytest.raises(InvalidInputError) as err:
        import_decisions(ws, FIXTURES / "unknown_ids.csv", "JF")
    message = str(err.value)
    assert "2 id(s) match no record" in message
    assert "line 3: 'NOPE-1'" in message and "line 5: 'NOPE-2'" in message
    assert "nothing was imported" in message
    assert current(ws) == {}
    report = import_decisions(ws, FIXTURES / "unknown_ids.csv", "JF", skip_unmatched=True)
    assert report.imported == 2 and report.unmatched == ((3, "NOPE-1"), (5, "NOPE-2"))
    assert "rows with ids matching no record, skipped: 2" in report.summary()


def test_ambiguous_ids_and_duplicates(ws: Workspace, tmp_path: Path) -> None:
    a = add_batch(ws, 2, prefix="X-", source_db="MEDLINE", seed=1)
    b = add_batch(ws, 2, prefix="X-", source_db="Embase", seed=2)
    c = add_batch(ws, 1, prefix="Y-", source_db="Scopus", seed=3)
    mark_duplicates(ws, [(b[0], a[0]), (c[0], a[1])])
    f = tmp_path / "d.csv"
    f.write_text("source_id,decision\nX-1,include\nX-2,exclude\nY-1,include\n")
    with pytest.raises(
        InvalidInputError, match=r"1 id\(s\) match several records \(line 3: 'X-2'\)"
    ):
        import_decisions(ws, f, "JF")
    report = import_decisions(ws, f, "JF", skip_unmatched=True)
    # X-1 is in both files, one a duplicate: the canonical record gets it. Y-1 duplicates a[1].
    assert current(ws) == {
        a[0]: ("include", None, None, "import"),
        a[1]: ("include", None, None, "import"),
    }
    assert report.redirected == 1 and report.ambiguous == ((3, "X-2"),)


def test_contradictory_rows_are_refused(ws: Workspace, shared_data: Path) -> None:
    # ASReview's generic_labels.csv repeats id 12345 with labels 1 and 0
    add_source_ids(ws, ["12345"])
    with pytest.raises(InvalidInputError, match="contradict an earlier row"):
        import_decisions(ws, shared_data / "formats/asreview-demo-data/generic_labels.csv", "JF")
    assert current(ws) == {}


def test_asreview_export_labels(ws: Workspace) -> None:
    ids = add_source_ids(ws, ["A1", "A2", "A3", "A4", "A5"])
    report = import_decisions(ws, FIXTURES / "asreview_labels.csv", "JF")
    assert report.layout == "asreview" and report.unlabelled == 2
    got = current(ws)
    assert {k: v[0] for k, v in got.items()} == {
        ids[0]: "include",
        ids[1]: "exclude",
        ids[4]: "include",
    }


def test_asreview_real_export(ws: Workspace, shared_data: Path) -> None:
    path = shared_data / "formats/asreview-demo-data/record_id.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        source_ids = [row["record_id"] for row in csv.DictReader(fh)]
    ids = dict(zip(source_ids, add_source_ids(ws, source_ids), strict=True))
    report = import_decisions(ws, path, "JF")
    assert report.imported == 2 and report.unlabelled == len(source_ids) - 2
    assert {k: v[0] for k, v in current(ws).items()} == {ids["12"]: "include", ids["11"]: "exclude"}


def test_rayyan_real_export(ws: Workspace, shared_data: Path) -> None:
    path = shared_data / "formats/asreview-citation-file-formatting/CSV/_baseline_rayyan.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = dict(
        zip([r["key"] for r in rows], add_source_ids(ws, [r["key"] for r in rows]), strict=True)
    )
    report = import_decisions(ws, path, "JF")  # one Rayyan reviewer ("Emily") in the file
    assert report.layout == "rayyan"
    words = {"Included": "include", "Excluded": "exclude", "Maybe": "maybe"}
    expected = {
        ids[r["key"]]: words[w] for r in rows for w in words if f'"Emily"=>"{w}"' in r["notes"]
    }
    assert expected and {k: v[0] for k, v in current(ws).items()} == expected
    assert report.unlabelled == len(rows) - len(expected)


def test_rayyan_with_two_reviewers_needs_a_name(ws: Workspace) -> None:
    ids = add_source_ids(ws, [f"rayyan-{i}" for i in range(101, 106)])
    path = FIXTURES / "rayyan_two_reviewers.csv"
    with pytest.raises(InvalidInputError, match="Ann, Ben; choose whose"):
        import_decisions(ws, path, "JF")
    report = import_decisions(ws, path, "JF", from_name="Ann")
    got = current(ws)
    assert got[ids[0]] == (
        "include",
        None,
        "gap between groups; Rayyan labels: equity,QI",
        "import",
    )
    assert got[ids[1]][:2] == ("exclude", "lmic")  # reason matched by label
    assert got[ids[1]][2] == "reason: wrong setting"  # the unmatched reason is kept
    assert got[ids[2]][0] == "maybe" and ids[3] not in got and ids[4] not in got
    assert report.unknown_reasons == {"wrong setting": 1} and report.unlabelled == 2
    with pytest.raises(InvalidInputError, match="no Rayyan decisions by 'Cy'"):
        import_decisions(ws, path, "JF", from_name="Cy")


def test_full_text_imports_need_kept_records_and_reasons(ws: Workspace, tmp_path: Path) -> None:
    ids = add_batch(ws, 3, prefix="MED-")
    sc.decide(ws, ids[0], TA, "include")
    sc.decide(ws, ids[1], TA, "include")
    f = tmp_path / "ft.csv"
    f.write_text("source_id,decision,reason\nMED-1,exclude,\nMED-2,include,\n")
    with pytest.raises(
        InvalidInputError, match=r"full-text exclusion.*without one of the review's reasons.*line 2"
    ):
        import_decisions(ws, f, "JF", FT)
    f.write_text("source_id,decision,reason\nMED-1,exclude,lmic\nMED-3,include,\n")
    with pytest.raises(InvalidInputError, match=r"not at the full-text stage.*line 3: 'MED-3'"):
        import_decisions(ws, f, "JF", FT)
    report = import_decisions(ws, f, "JF", FT, skip_unmatched=True)
    assert report.imported == 1 and current(ws, stage=FT) == {
        ids[0]: ("exclude", "lmic", None, "import")
    }


def test_who_may_import_for_whom(ws: Workspace) -> None:
    add_batch(ws, 6, prefix="MED-")
    jf = as_reviewer(ws, "JF")
    with pytest.raises(PermissionDeniedError, match="import decisions for LLJ"):
        import_decisions(jf, FIXTURES / "generic_semicolon_bom.csv", "LLJ")
    assert import_decisions(jf, FIXTURES / "generic_semicolon_bom.csv", "JF").imported == 5


def test_unreadable_values_and_layouts(ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("source_id,decision\nA,include\nB,perhaps\nC,nah\n")
    with pytest.raises(
        InvalidInputError, match=r"2 row\(s\) cannot be read \(line 3: decision 'perhaps'; line 4"
    ):
        parse_rows(bad)
    other = tmp_path / "other.csv"
    other.write_text("title,abstract\nx,y\n")
    with pytest.raises(InvalidInputError, match=r"other\.csv:1: no decision column"):
        parse_rows(other)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InvalidInputError, match="empty"):
        parse_rows(empty)
    tsv = tmp_path / "t.tsv"
    tsv.write_text("source_id\tdecision\nA\tinclude\n")
    assert parse_rows(tsv)[1][0].decision == "include"


def test_cli_import_decisions(ws: Workspace, tmp_path: Path) -> None:
    add_batch(ws, 3, prefix="MED-")
    db = str(tmp_path / "i.db")
    r = CliRunner().invoke(
        cli,
        ["--db", db, "import-decisions", str(FIXTURES / "unknown_ids.csv"), "--reviewer", "JF"],
    )
    assert r.exit_code == 1 and "NOPE-1" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(
        cli,
        [
            "--db",
            db,
            "import-decisions",
            str(FIXTURES / "unknown_ids.csv"),
            "--reviewer",
            "JF",
            "--skip-unmatched",
        ],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    assert "2 decisions imported for JF at the title/abstract stage" in r.output
    assert current(ws)  # acted as JF (no --reviewer before the command)


def test_asreview_newer_export_prefers_asreview_label_and_keeps_notes(ws: Workspace) -> None:
    ids = add_source_ids(ws, ["0", "1", "2"])
    report = import_decisions(ws, FIXTURES / "asreview_v2_export.csv", "JF")
    assert report.layout == "asreview" and report.unlabelled == 1
    got = current(ws)
    assert got[ids[0]][:3] == ("include", None, "clear equity focus")
    assert got[ids[1]][0] == "exclude"  # asreview_label wins over the input file's 'included'
    assert ids[2] not in got
