"""The methods tables, read back from every format: Table 3 wording, headings, escaping."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from openpyxl import load_workbook

from exporters import tables
from exporters.api import ExportRequest, build_tables, produce
from exporters.table_writers import latex_escape
from realist.services.context import Workspace
from realist.services.export_data import cluster_heading, evidence_rows, number_words
from tests.factories_exports import add_document, add_excerpt, bundled_clusters, bundled_cmocs

HEADINGS = [
    "Cluster One: Values and Understanding",
    "Cluster Two: Resources",
    "Cluster Three: Data",
    "Cluster Four: Design",
]


def export(ws: Workspace, what: str, fmt: str, tmp_path: Path, **kw: object) -> bytes:
    return produce(ws, ExportRequest(what, fmt, tmp_path / f"{what}.{fmt}", **kw))  # type: ignore[arg-type]


def docx_rows(data: bytes, table: int = 0) -> list[list[str]]:
    doc = DocxDocument(io.BytesIO(data))
    rows = []
    for row in doc.tables[table].rows:
        texts: list[str] = []
        for cell in row.cells:  # merged cells repeat: keep one
            if not texts or cell.text != texts[-1] or len(row.cells) == 1:
                texts.append(cell.text)
        rows.append(texts)
    return rows


def test_number_words_and_headings() -> None:
    assert [number_words(n) for n in (1, 4, 12, 20, 21)] == [
        "One",
        "Four",
        "Twelve",
        "Twenty",
        "21",
    ]
    assert cluster_heading(2, "Resources") == "Cluster Two: Resources"
    assert cluster_heading(None, None) == "Unclustered"


def test_cmoc_docx_reproduces_table_3(demo_ws: Workspace, tmp_path: Path) -> None:
    data = export(demo_ws, "cmocs", "docx", tmp_path)
    rows = docx_rows(data)
    assert rows[0] == ["CMOC Number", "CMOC"]
    headings = [r[0] for r in rows[1:] if len(r) == 1]
    assert headings == HEADINGS
    statements = {r[0]: r[1] for r in rows[1:] if len(r) == 2}
    source = bundled_cmocs()
    assert len(statements) == 20
    assert statements == {c["id"]: c["statement"] for c in source}
    # The header row repeats on every page.
    doc = DocxDocument(io.BytesIO(data))
    header = doc.tables[0].rows[0]._tr
    assert header.trPr is not None and header.trPr.find(qn("w:tblHeader")) is not None


def test_cmoc_headings_follow_the_clusters(demo_ws: Workspace) -> None:
    [table] = build_tables(demo_ws, "cmocs")
    expected = [f"Cluster {number_words(c['number'])}: {c['name']}" for c in bundled_clusters()]
    assert [s.heading for s in table.sections] == expected == HEADINGS
    per_cluster = [len(s.rows) for s in table.sections]
    source = bundled_cmocs()
    assert per_cluster == [sum(1 for c in source if c["cluster"] == n) for n in (1, 2, 3, 4)]


def test_table_3_matches_the_published_paper(demo_ws: Workspace, shared_data: Path) -> None:
    paper = shared_data.parent / "docs" / "seeds" / "001_7a31b543e0a278f4.txt"
    if not paper.exists():
        pytest.skip(f"{paper} is not present")
    text = paper.read_text(encoding="utf-8")
    block = text[text.index("Table 3 Context-mechanism-outcome") :]
    block = block[: block.index("EFQI, equity-focused quality improvement")]
    printed_headings: list[str] = []
    printed: dict[str, str] = {}
    for line in block.splitlines()[1:]:
        line = line.rstrip("\t")
        if line.startswith("Cluster "):
            printed_headings.append(line)
        elif "\t" in line and not line.startswith("CMOC Number"):
            label, statement = line.split("\t", 1)
            printed[label] = re.sub(r"</?i>", "", statement)  # the paper italicises two words
    [table] = build_tables(demo_ws, "cmocs")
    assert [s.heading for s in table.sections] == printed_headings
    exported = {str(r[0]): str(r[1]) for s in table.sections for r in s.rows}
    assert exported == printed
    assert len(exported) == 20


def test_cmoc_xlsx_one_sheet_frozen_header_widths(demo_ws: Workspace, tmp_path: Path) -> None:
    wb = load_workbook(io.BytesIO(export(demo_ws, "cmocs", "xlsx", tmp_path, full=True)))
    assert wb.sheetnames == ["CMOCs"]
    ws = wb["CMOCs"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Cluster", "CMOC Number", "CMOC"]
    assert "Supporting documents" in header and "Mechanism" in header
    assert ws.column_dimensions["C"].width > ws.column_dimensions["B"].width > 0
    assert ws["C2"].alignment.wrap_text
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert {r[1]: r[2] for r in rows} == {c["id"]: c["statement"] for c in bundled_cmocs()}
    assert [r[0] for r in rows if r[1] == "5"] == ["Cluster Two: Resources"]
    supporting = {r[1]: r[header.index("Supporting documents")] for r in rows}
    assert supporting["15"] == "39 Brown et al. 2016"
    assert supporting["5"] == "none cited"


def test_cmoc_csv_and_markdown(demo_ws: Workspace, tmp_path: Path) -> None:
    raw = export(demo_ws, "cmocs", "csv", tmp_path)
    assert raw.startswith(b"\xef\xbb\xbf")  # byte-order mark for spreadsheets
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Cluster", "CMOC Number", "CMOC"]
    assert {r[1]: r[2] for r in rows[1:]} == {c["id"]: c["statement"] for c in bundled_cmocs()}
    md = export(demo_ws, "cmocs", "md", tmp_path).decode("utf-8")
    for heading in HEADINGS:
        assert f"| **{heading}** | |" in md
    assert md.count("\n| ") == 1 + 4 + 20  # header, headings, CMOCs


def test_formulas_are_escaped_in_spreadsheets(demo_ws: Workspace, tmp_path: Path) -> None:
    add_document(
        demo_ws,
        "X1",
        title='=HYPERLINK("http://evil.example","click")',
        authors=["@Attacker A"],
        country="+44 land",
        setting="-1+1",
        design="\tcmd",
        cited_by=("1A",),
    )
    rows = list(
        csv.reader(io.StringIO(export(demo_ws, "studies", "csv", tmp_path).decode("utf-8-sig")))
    )
    header, row = rows[0], next(r for r in rows if r[0] == "X1")
    cell = dict(zip(header, row, strict=True))
    assert cell["Title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert cell["Author"] == "'@Attacker"  # the short citation: family name only
    assert cell["Country"] == "'+44 land" and cell["Setting"] == "'-1+1"
    assert cell["Design"] == "'\tcmd"
    wb = load_workbook(io.BytesIO(export(demo_ws, "studies", "xlsx", tmp_path)))
    ws = wb["Documents"]
    titles = [c.value for c in ws["D"]]
    assert titles[0] == "Title"
    assert '\'=HYPERLINK("http://evil.example","click")' in titles
    assert all(c.data_type != "f" for row_cells in ws.iter_rows() for c in row_cells)


def test_documents_table_says_not_stated(demo_ws: Workspace, tmp_path: Path) -> None:
    [table] = build_tables(demo_ws, "studies")
    names = [c.name for c in table.columns]
    for required in ("Author", "Year", "Country", "Setting", "Design", "Gap/targeted"):
        assert required in names
    assert {"PROGRESS-Plus", "Relevance", "Rigour"} <= set(names)
    rows = [r for s in table.sections for r in s.rows]
    assert len(rows) == 27
    first = dict(zip(names, rows[0], strict=True))
    assert first["Ref"] == "23" and first["Author"] == "Behling et al." and first["Year"] == 2023
    assert first["Country"] == tables.NOT_STATED and first["Relevance"] == tables.NOT_STATED
    assert first["PROGRESS-Plus"] == "Race/ethnicity/culture/language"
    assert table.landscape


def test_wide_tables_get_landscape_word_sections(demo_ws: Workspace, tmp_path: Path) -> None:
    doc = DocxDocument(io.BytesIO(export(demo_ws, "tables", "docx", tmp_path)))
    assert len(doc.tables) == len(tables.TABLE_KINDS)
    orientations = [s.orientation for s in doc.sections]
    assert orientations[0] == WD_ORIENT.PORTRAIT  # the Table 3 layout fits a portrait page
    assert WD_ORIENT.LANDSCAPE in orientations
    for s in doc.sections:
        if s.orientation == WD_ORIENT.LANDSCAPE:
            assert s.page_width > s.page_height


def test_all_tables_one_sheet_each(demo_ws: Workspace, tmp_path: Path) -> None:
    wb = load_workbook(io.BytesIO(export(demo_ws, "tables", "xlsx", tmp_path)))
    assert wb.sheetnames == ["CMOCs", "Documents", "Appraisal", "Evidence", "RAMESES"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.max_row > 1


def test_control_characters_do_not_break_office_files(demo_ws: Workspace, tmp_path: Path) -> None:
    add_document(demo_ws, "X2", title="bell\x07 form\x0cfeed \x1b[31m", cited_by=("2",))
    wb = load_workbook(io.BytesIO(export(demo_ws, "studies", "xlsx", tmp_path)))
    assert "bell formfeed [31m" in [c.value for c in wb["Documents"]["D"]]
    rows = docx_rows(export(demo_ws, "studies", "docx", tmp_path))
    assert any("bell formfeed [31m" in r for r in rows)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_text(demo_ws: Workspace, tmp_path: Path) -> None:
    add_document(demo_ws, "X3", title="<script>alert('x')</script> & co", cited_by=("1A",))
    page = export(demo_ws, "studies", "html", tmp_path).decode("utf-8")
    parser = _Collect()
    parser.feed(page)
    assert "script" not in parser.tags
    assert "<script>alert('x')</script> & co" in "".join(parser.text)
    assert parser.tags.count("tr") == 1 + 28


def test_latex_escapes_specials_and_uses_booktabs(demo_ws: Workspace, tmp_path: Path) -> None:
    assert latex_escape(r"& % $ # _ { } ~ ^ \ ") == (
        r"\& \% \$ \# \_ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{} "
    )
    add_document(demo_ws, "X4", title="50% of R&D costs $3 #1 a_b {x} ~y ^z \\end", cited_by=("3",))
    tex = export(demo_ws, "tables", "tex", tmp_path).decode("utf-8")
    assert (
        r"50\% of R\&D costs \$3 \#1 a\_b \{x\} \textasciitilde{}y \textasciicircum{}z \textbackslash{}end"
        in tex
    )
    assert r"\usepackage{booktabs,longtable,array,pdflscape}" in tex
    assert tex.count(r"\begin{longtable}") == len(tables.TABLE_KINDS)
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert tex.count(r"\begin{landscape}") == tex.count(r"\end{landscape}") >= 1
    assert r"\textbf{Cluster One: Values and Understanding}" in tex
    # Every row of a table has one cell per column.
    body = tex[tex.index(r"\endfoot") : tex.index(r"\end{longtable}")]
    rows = [
        line for line in body.splitlines() if line.endswith(r"\\") and "multicolumn" not in line
    ]
    assert rows and all(re.sub(r"\\&", "", r).count("&") == 1 for r in rows)


def test_rameses_table(demo_ws: Workspace, tmp_path: Path) -> None:
    rows = docx_rows(export(demo_ws, "rameses", "docx", tmp_path))
    assert rows[0] == ["Item #", "Item", "Description", "Reported (Y/N/Unclear)", "Page(s)", "Note"]
    sections = [r[0] for r in rows[1:] if len(r) == 1]
    assert sections == ["Title", "Abstract", "Introduction", "Methods", "Results", "Discussion"]
    items = [r for r in rows[1:] if len(r) > 1]
    assert [int(r[0]) for r in items] == list(range(1, 20))
    assert items[11][1] == "Document flow diagram"
    assert items[4][3] == "Unclear" and items[0][3] == "Yes"  # as data/review.yaml says


def test_evidence_table_documents_then_excerpts(demo_ws: Workspace, tmp_path: Path) -> None:
    rows = evidence_rows(demo_ws)
    source = bundled_cmocs()
    assert len(rows) == sum(max(1, len(c["documents"])) for c in source)
    assert all(r.excerpt is None for r in rows)  # the bundled example has no coded excerpts
    assert [r.ref for r in rows if r.cmoc == "3"] == source[3]["documents"]
    assert [r.document for r in rows if r.cmoc == "5"] == [None]
    add_excerpt(
        demo_ws, "39", "same-day appointments were harder to reach", page=7, cmoc="15", role="M"
    )
    rows = evidence_rows(demo_ws)
    [r15] = [r for r in rows if r.cmoc == "15"]
    assert (r15.ref, r15.page, r15.role) == ("39", 7, "M")
    assert r15.excerpt == "same-day appointments were harder to reach"
    wb = load_workbook(io.BytesIO(export(demo_ws, "evidence", "xlsx", tmp_path)))
    values = [list(r) for r in wb["Evidence"].iter_rows(values_only=True)]
    assert values[0] == ["Cluster", "CMOC", "Ref", "Document", "Excerpt", "Page", "Part", "Note"]
    assert values[-1][:4] == ["Cluster Four: Design", "15", "39", "Brown et al. 2016"]
    assert values[-1][5] == 7


def test_appraisal_per_document_and_excerpt(demo_ws: Workspace, tmp_path: Path) -> None:
    add_excerpt(
        demo_ws,
        "24",
        "staff questioned targeting",
        page=3,
        cmoc="2",
        role="C",
        relevance="high",
        relevance_note="speaks to the context of CMOC 2",
        rigour="moderate",
    )
    [table] = build_tables(demo_ws, "appraisal")
    names = [c.name for c in table.columns]
    rows = [dict(zip(names, r, strict=True)) for s in table.sections for r in s.rows]
    assert sum(1 for r in rows if r["Judged"] == "whole document") == 27
    [ex] = [r for r in rows if r["Judged"] == "excerpt"]
    assert ex["Ref"] == "24" and ex["Page"] == 3 and ex["Part of the theory"] == "CMOC 2 (C)"
    assert ex["Relevance"] == "high" and ex["Rigour"] == "moderate"
    assert ex["Rationale"] == "Relevance: speaks to the context of CMOC 2"
    # The excerpt row follows its document's own row.
    index = rows.index(ex)
    assert rows[index - 1]["Ref"] == "24" and rows[index - 1]["Judged"] == "whole document"
