"""`realist agreement` from the command line: json, md, csv, xlsx."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner, Result
from openpyxl import load_workbook

from realist.cli import cli
from tests.conftest import migrated_sqlite
from tests.factories_agreement import compared_sample
from tests.factories_screening import screening_workspace


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args])


def test_formats(tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    ws = screening_workspace(migrated_sqlite(db))
    compared_sample(ws, [[40, 9], [6, 45]])  # Feinstein & Cicchetti, balanced
    pair = ["agreement", "--reviewer", "LLJ", "--reviewer", "JF"]
    data = json.loads(run(db, *pair, "--format", "json").output)
    assert data["percent_agreement"] == 0.85 and round(data["kappa"], 2) == 0.70
    assert round(data["ac1"], 5) == 0.70075 and data["band"] == "substantial"
    assert len(data["per_tag"]) == 13
    assert data["resolution"]["unresolved"] == 15 and len(data["resolution"]["records"]) == 15
    assert "| **exclude** | 6 | 45 | 51 |" in run(db, *pair).output  # md by default
    rows = list(csv.reader(io.StringIO(run(db, *pair, "--format", "csv").output)))
    assert rows[0] == ["scope", "statistic", "value"]
    assert ["screening decision", "pabak", "0.7"] in [[a, b, c[:3]] for a, b, c in rows[1:]]
    assert ["resolution", "summary", "resolved 0 of 15"] in rows
    r = run(db, *pair, "--format", "xlsx")
    assert r.exit_code == 1 and "add -o FILE.xlsx" in r.output
    out = tmp_path / "agreement.xlsx"
    r = run(db, "agreement", "--sample", "1", "-o", str(out))
    assert r.exit_code == 0 and "wrote the agreement report (xlsx)" in r.output
    book = load_workbook(out)
    assert book["Agreement"]["A1"].value == "Dual-screening agreement"
    assert book["Disagreements"].max_row == 16  # the header and 15 unresolved
    md = tmp_path / "methods.txt"
    assert run(db, *pair, "--format", "md", "-o", str(md)).exit_code == 0
    assert "Fleiss, Cohen & Everitt (1969)" in md.read_text()
