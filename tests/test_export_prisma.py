"""The PRISMA 2020 flow diagram: boxes and numbers, other methods, refusal of bad counts,
and where the counts come from (live, reported, a JSON file)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from exporters import prisma
from exporters.api import ExportRequest, build_prisma, produce
from exporters.render import render
from realist.errors import InvalidInputError, RealistError
from realist.prisma import PrismaCounts
from realist.services.context import Workspace
from realist.services.export_data import counts_from_reported_flow
from realist.services.screening import decide
from tests.factories import make_records
from tests.factories_exports import full_counts, set_review

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
SVG = "{http://www.w3.org/2000/svg}"


def svg_text(svg: bytes) -> str:
    root = ET.fromstring(svg)
    joined = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    return " ".join(joined.split())  # wrapped lines and indents become single spaces


def test_reported_flow_becomes_counts_that_add_up() -> None:
    flow = {
        "identified": 9859,
        "duplicates_removed": 3600,
        "screened": 6259,
        "excluded_title_abstract": 6212,
        "full_text_assessed": 47,
        "full_text_excluded": 11,
        "included": 36,
    }
    counts = counts_from_reported_flow(flow, ("MEDLINE", "Embase"))
    assert counts is not None and counts.check() == []
    assert counts.identified == 9859 and counts.studies_included == 36
    assert counts.exclusion_reasons == {"Reasons not reported": 11}
    assert list(counts.databases) == ["MEDLINE, Embase (per-database counts not reported)"]
    assert counts_from_reported_flow({}) is None


@needs_dot
def test_demo_diagram_from_the_reported_flow(demo_ws: Workspace, tmp_path: Path) -> None:
    diagram = build_prisma(demo_ws)
    assert diagram.note and "as reported in the publication" in diagram.note
    text = svg_text(render(prisma.to_dot(diagram), "svg"))
    for number in ("9,859", "3,600", "6,259", "6,212", "47", "11", "36"):
        assert f"(n = {number})" in text, number
    for box in ("Records screened", "Reports sought for retrieval", "Studies included in review"):
        assert box in text
    assert "MEDLINE, Embase, CINAHL, PsycINFO" in text
    assert "Counts as reported in the publication" in text


@needs_dot
def test_every_box_and_the_other_methods_column() -> None:
    diagram = prisma.PrismaDiagram(full_counts(), "Synthetic review")
    text = svg_text(render(prisma.to_dot(diagram), "svg"))
    for label, n in [
        ("MEDLINE", 500),
        ("Embase", 400),
        ("Register: ClinicalTrials.gov", 20),
        ("Duplicate records removed", 200),
        ("Marked as ineligible by automation tools", 10),
        ("Removed for other reasons", 10),
        ("Not a QI project", 12),
        ("No inequality data", 8),
        ("Citation searching", 12),
        ("Experts", 4),
        ("Reports of included studies", 43),
    ]:
        assert f"{label} (n = {n})" in text, label
    assert "Identification of studies via other methods" in text
    assert text.count("Reports sought for retrieval") == 2  # one per column
    dot = prisma.to_dot(diagram)
    assert "o_assessed -> included" in dot and "assessed -> included" in dot


def test_realist_variant_names_documents_and_other_sources() -> None:
    counts = replace(full_counts(), other_methods=None, reports_included=None, studies_included=35)
    dot = prisma.to_dot(prisma.PrismaDiagram(counts, "T", variant="realist"))
    assert "Document flow diagram" in dot
    assert "Documents identified from other sources" in dot  # shown even with no such column
    assert "Documents included in the synthesis" in dot


def test_counts_that_do_not_add_up_are_refused(demo_ws: Workspace, tmp_path: Path) -> None:
    bad = replace(full_counts(), records_screened=699, exclusion_reasons={"Not a QI project": 3})
    for render_fn in (prisma.to_dot, prisma.to_markdown, prisma.to_json):
        with pytest.raises(InvalidInputError) as err:
            render_fn(prisma.PrismaDiagram(bad, "T"))
        message = str(err.value)
        assert "do not add up" in message
        assert "Records screened (699)" in message and "exclusion reasons add up to 3" in message
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad.to_dict()))
    with pytest.raises(InvalidInputError, match="do not add up"):
        produce(demo_ws, ExportRequest("prisma", "dot", tmp_path / "x.dot", counts_json=path))


def test_json_and_markdown_outputs(tmp_path: Path) -> None:
    diagram = prisma.PrismaDiagram(full_counts(), "Synthetic <review>", note="from a test")
    data = json.loads(prisma.to_json(diagram))
    assert PrismaCounts.from_dict(data["counts"]) == full_counts()
    assert data["title"] == "Synthetic <review>" and data["note"] == "from a test"
    assert data["counts"]["problems"] == []
    md = prisma.to_markdown(diagram)
    assert md.startswith("## PRISMA 2020 flow counts: Synthetic <review>\n\n*from a test*")
    assert "| Records screened | 700 |" in md


def test_counts_from_a_json_file(demo_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "counts.json"
    path.write_text(prisma.to_json(prisma.PrismaDiagram(full_counts(), "T")))
    diagram = build_prisma(demo_ws, counts_json=path)
    assert diagram.counts == full_counts()
    assert diagram.note == "Counts from counts.json"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InvalidInputError, match=r"broken\.json: not PRISMA counts JSON"):
        build_prisma(demo_ws, counts_json=broken)


def test_live_counts_are_used_once_records_exist(demo_ws: Workspace) -> None:
    # Nothing imported yet: the flow the publication reports stands in, labelled as such.
    diagram = build_prisma(demo_ws)
    assert diagram.counts.identified == 9859
    assert diagram.note and "holds no imported records yet" in diagram.note
    assert build_prisma(demo_ws, source="live").counts.identified == 0
    # Once records are imported and screened, the live counts are drawn.
    ids = make_records(demo_ws, 6, source_db="Embase")
    for rid in ids[:4]:
        decide(demo_ws, rid, "title_abstract", "exclude")
    diagram = build_prisma(demo_ws)
    assert diagram.note is None
    assert diagram.counts.identified == 6 and diagram.counts.databases == {"Embase": 6}
    assert diagram.counts.records_screened == 4 and diagram.counts.records_excluded == 4


def test_no_counts_anywhere_says_so(demo_ws: Workspace) -> None:
    set_review(demo_ws, settings={})
    with pytest.raises(RealistError, match="nothing to draw yet"):
        build_prisma(demo_ws)
