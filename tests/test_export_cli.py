"""`realist export ...` from the command line: every command, formats, stdout, errors."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from realist.cli import cli
from realist.db.store import Store
from tests.factories_exports import bundled_cmocs

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


@pytest.fixture
def db(demo_store: Store) -> str:
    return demo_store.display_url()


def run(db: str, *args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, ["--db", db, "--reviewer", "LLJ", "export", *args])


def test_group_is_importable_for_other_modules() -> None:
    from realist.cli.export import export

    assert isinstance(export, click.Group)
    assert cli.commands["export"] is export


def test_every_command_has_help_with_examples() -> None:
    from realist.cli.export import export

    runner = CliRunner()
    for name in export.commands:
        result = runner.invoke(cli, ["export", name, "-h"])
        assert result.exit_code == 0, name
        assert "Example" in result.output, name


@needs_dot
def test_theory_formats(db: str, tmp_path: Path) -> None:
    for fmt in ("svg", "png", "pdf", "dot", "graphml", "gexf", "json"):
        out = tmp_path / f"theory.{fmt}"
        result = run(db, "theory", "-o", str(out))
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    assert (tmp_path / "theory.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "theory.pdf").read_bytes().startswith(b"%PDF")
    data = json.loads((tmp_path / "theory.json").read_text())
    assert {n["id"] for n in data["nodes"]} >= {f"cmoc:{c['id']}" for c in bundled_cmocs()}
    result = run(
        db,
        "theory",
        "--view",
        "detailed",
        "--cluster",
        "3",
        "--evidence",
        "-o",
        str(tmp_path / "c3.dot"),
    )
    assert result.exit_code == 0, result.output
    dot = (tmp_path / "c3.dot").read_text()
    assert "Mechanism (M)" in dot and '"cmoc:9"' in dot and '"cmoc:1A"' not in dot
    assert '"doc:25"' in dot


def test_text_to_stdout(db: str) -> None:
    result = run(db, "cmocs", "--format", "md", "-o", "-")
    assert result.exit_code == 0
    assert "| **Cluster Four: Design** | |" in result.output
    result = run(db, "theory", "--format", "dot", "-o", "-")
    assert result.output.startswith("digraph programme_theory {")
    result = run(db, "studies", "--format", "xlsx", "-o", "-")
    assert result.exit_code != 0 and "binary" in result.output


def test_table_commands_write_files(db: str, tmp_path: Path) -> None:
    for what, fmt in [
        ("cmocs", "docx"),
        ("studies", "csv"),
        ("appraisal", "html"),
        ("evidence", "tex"),
        ("rameses", "md"),
        ("tables", "xlsx"),
    ]:
        out = tmp_path / f"{what}.{fmt}"
        result = run(db, what, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"wrote {out}"
    wb = load_workbook(io.BytesIO((tmp_path / "tables.xlsx").read_bytes()))
    assert len(wb.sheetnames) == 5


def test_format_option_overrides_the_suffix(db: str, tmp_path: Path) -> None:
    out = tmp_path / "table.txt"
    assert run(db, "cmocs", "--format", "csv", "-o", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8-sig").startswith("Cluster,CMOC Number,CMOC")


def test_unknown_suffix_is_one_clear_error(db: str, tmp_path: Path) -> None:
    result = run(db, "cmocs", "-o", str(tmp_path / "table.xyz"))
    assert result.exit_code == 1
    assert "cannot tell the format from" in result.output and "--format" in result.output
    assert "Traceback" not in result.output


@needs_dot
def test_prisma_and_ppi(db: str, tmp_path: Path) -> None:
    result = run(db, "prisma", "-o", str(tmp_path / "prisma.svg"))
    assert result.exit_code == 0, result.output
    assert "as reported in the publication" in result.output  # the note, on stderr
    result = run(db, "prisma", "--format", "json", "-o", "-")
    assert json.loads(result.stdout)["counts"]["studies_included"] == 36
    result = run(db, "ppi", "--no-pdf", "-o", str(tmp_path / "panel"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "panel" / "ppi-pack.html").exists()
    assert not (tmp_path / "panel" / "ppi-pack.pdf").exists()


def test_bad_prisma_counts_exit_1(db: str, tmp_path: Path) -> None:
    path = tmp_path / "counts.json"
    path.write_text(json.dumps({"databases": {"MEDLINE": 10}, "records_screened": 12}))
    result = run(db, "prisma", "--counts", str(path), "-o", str(tmp_path / "p.svg"))
    assert result.exit_code == 1
    assert "do not add up" in result.output and "Records screened (12)" in result.output
    assert not (tmp_path / "p.svg").exists()


def test_without_dot(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    result = run(db, "theory", "-o", str(tmp_path / "t.svg"))
    assert result.exit_code == 1
    assert (
        "sudo apt-get install graphviz" in result.output
        and "brew install graphviz" in result.output
    )
    assert "Traceback" not in result.output and not (tmp_path / "t.svg").exists()
    for name in ("t.dot", "t.graphml", "t.gexf", "t.json"):
        assert run(db, "theory", "-o", str(tmp_path / name)).exit_code == 0, name
    assert run(db, "prisma", "-o", str(tmp_path / "p.md")).exit_code == 0


def test_a_folder_for_a_one_file_export_is_refused_and_nothing_written(
    db: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    r = run(db, "cmocs", "--format", "csv", "-o", f"{out}/")
    assert r.exit_code == 2
    assert "is a folder; give a file name" in r.output
    assert not out.exists(), "no file named like the folder"


def test_a_file_in_the_way_of_the_folder_is_one_clear_error(db: str, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("keep me")
    r = run(db, "cmocs", "-o", str(blocker / "sub" / "c.csv"))
    assert r.exit_code == 1
    assert f"{blocker} is a file, not a folder" in r.output
    assert "Errno" not in r.output and "Traceback" not in r.output
    assert blocker.read_text() == "keep me"
