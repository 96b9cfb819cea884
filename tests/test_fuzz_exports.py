"""Every export escapes everything that comes from the review: hostile text is put in every field
that reaches an export (records and their source, reasons, documents, CMOCs, clusters, excerpts,
RAMESES notes, the review title), then every export is written in every text, markup and
spreadsheet format through the same entry point as the CLI and the TUI, and each output is
checked the way its reader would be attacked: markup must not gain elements or event attributes,
LaTeX must not gain commands, spreadsheets must not gain formulas, XML must stay well formed."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from exporters.api import EXPORTS, ExportRequest, run_export
from realist.db.models import Cluster, ExclusionReason, ImportBatch, RamesesItem, Record
from realist.services import fulltext, screening
from realist.services.context import Workspace
from tests.factories import make_records
from tests.factories_exports import add_document, add_excerpt, set_cmoc, set_review

# Each starts differently: markup, a spreadsheet formula (= + - @), TeX and DOT specials.
SCRIPT = "<script>alert('x')</script><img src=x onerror=alert(1)> & \"quoted\" 'single'"
FORMULA = '=HYPERLINK("http://evil.example","click") ' + SCRIPT
PLUS = "+cmd|' /C calc'!A0 <b onmouseover=alert(2)>"
MINUS = "-2+3 <svg onload=alert(3)> ]]> <!-- -->"
AT = "@SUM(1+1) <iframe src=javascript:alert(4)>"
TEX = r"\input{/etc/passwd} \write18{rm -rf} $x^2$ 100% #1 a_b {c} ~d \\ \end{document}"
DOT = 'close" ]; evil [label="x"]; a -> b; </TD></TR></TABLE>> {} \\" \\'
CONTROL = "bell\x07 esc\x1b[31m rtl\u202e nul-ish\x0b end"
PAYLOADS = (SCRIPT, FORMULA, PLUS, MINUS, AT, TEX, DOT, CONTROL)
ALL = " | ".join(PAYLOADS)


def hostile_review(ws: Workspace, tmp_path: Path) -> None:
    """Put the payloads in every field an export reads."""
    set_review(ws, title=FORMULA + " " + TEX)
    rec = make_records(ws, 6, seed=3, source_db=PLUS + " " + DOT)
    with ws.store.transaction() as s:
        s.execute(update(Record).where(Record.id.in_(rec)).values(title=FORMULA, journal=TEX))
        s.execute(update(ImportBatch).values(search_string=SCRIPT))
        reason = s.scalars(select(ExclusionReason).where(ExclusionReason.code == "not_qi")).one()
        reason.label = MINUS + " " + TEX
        reason.stages = []
        for cluster in s.scalars(select(Cluster)):
            cluster.name, cluster.description = AT + " " + DOT, SCRIPT
        for item in s.scalars(select(RamesesItem)):
            item.note, item.pages = FORMULA, TEX
    # A record through screening to a full-text exclusion with the hostile reason (PRISMA).
    for i, rid in enumerate(rec):
        screening.decide(ws, rid, "title_abstract", "include" if i < 3 else "exclude")
    screening.decide(ws, rec[0], "full_text", "exclude", reason="not_qi")
    fulltext.mark_not_retrieved(ws, rec[1])
    screening.decide(ws, rec[2], "full_text", "include")
    fields = {
        "title": FORMULA,
        "authors": [PLUS, AT, SCRIPT],
        "journal": TEX,
        "country": MINUS,
        "setting": DOT,
        "design": SCRIPT,
        "document_type": CONTROL,
        "population": AT,
        "intervention": TEX,
        "relevance": FORMULA,
        "rigour": PLUS,
        "notes": ALL,
        "doi": SCRIPT,
        "url": "javascript:alert(5)",
    }
    add_document(ws, "EVIL", cited_by=("1A", "2"), year=2020, **fields)
    add_excerpt(ws, "EVIL", ALL, page=3, cmoc="1A", memo=FORMULA)
    set_cmoc(
        ws,
        "1A",
        context=SCRIPT,
        mechanism=TEX,
        outcome=DOT,
        statement=FORMULA,
        plain_summary=ALL,
        notes=PLUS,
    )
    set_cmoc(ws, "2", context=AT, mechanism=MINUS, outcome=CONTROL, statement=SCRIPT)


# --------------------------------------------------------------------------------------------
# What each reader must not get


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            if value and value.strip().lower().startswith("javascript:"):
                self.urls.append(f"{tag} {name}={value}")


def check_html(text: str, where: str) -> None:
    parser = Tags()
    parser.feed(text)
    injected = [t for t in parser.tags if t in {"script", "img", "iframe"}]
    assert not injected, f"{where}: elements from the review: {injected}"
    assert not parser.handlers, f"{where}: event attributes: {parser.handlers}"
    assert not parser.urls, f"{where}: javascript: URLs: {parser.urls}"
    assert "<script" not in text.lower()


def check_xml(data: bytes, where: str) -> None:
    root = ElementTree.fromstring(data)  # well formed, or this raises
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1].lower()
        assert tag not in {"script", "iframe", "foreignobject"}, f"{where}: <{tag}> element"
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            assert not local.startswith("on"), f"{where}: {local} attribute"
            assert not value.strip().lower().startswith("javascript:"), f"{where}: {value}"


def check_tex(text: str, where: str) -> None:
    for command in (r"\input{", r"\write18", r"\end{document} \\"):
        assert command not in text, f"{where}: {command} from the review is live"
    # every % that comes from the review is escaped (a bare one would comment out the line)
    assert "100%" not in text.replace(r"100\%", ""), f"{where}: bare %"
    assert text.count(r"\end{document}") <= 1, f"{where}: the document was ended early"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def check_cells(values: list[str], where: str) -> None:
    bad = [
        v for v in values if v.startswith(FORMULA_START) and not re.fullmatch(r"-?\d+(\.\d+)?", v)
    ]
    assert not bad, f"{where}: cells a spreadsheet would run: {bad[:3]}"


def check_output(path: Path, fmt: str, where: str) -> None:
    data = path.read_bytes()
    if fmt in ("html", "svg", "graphml", "gexf"):
        text = data.decode("utf-8")
        check_html(text, where)
        if fmt != "html":
            check_xml(data, where)
    elif fmt == "md":
        text = data.decode("utf-8")
        assert "<script" not in text.lower() and "<img" not in text.lower(), where
    elif fmt == "tex":
        check_tex(data.decode("utf-8"), where)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        check_cells([c for row in rows for c in row], where)
    elif fmt == "xlsx":
        book = load_workbook(io.BytesIO(data))
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (
                        f"{where}: formula in {sheet.title}!{cell.coordinate}"
                    )
            check_cells([str(c.value) for r in sheet.iter_rows() for c in r if c.value], where)
    elif fmt == "docx":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            ElementTree.fromstring(z.read("word/document.xml"))
    elif fmt == "txt":  # read in a terminal: no escape sequence may come through
        text = data.decode("utf-8")
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), f"{where}: control character"
    elif fmt == "json":
        json.loads(data)
    elif fmt == "dot":
        text = data.decode("utf-8")
        if shutil.which("dot"):
            import subprocess

            out = subprocess.run(["dot", "-Tsvg"], input=data, capture_output=True, check=False)
            assert out.returncode == 0, f"{where}: dot refused the file: {out.stderr[:300]!r}"
            check_xml(out.stdout, where + " (rendered)")
            # the payload's `evil` node and `a -> b` edge must stay text inside a label
            titles = re.findall(r"<title>(.*?)</title>", out.stdout.decode("utf-8"))
            assert "evil" not in titles and "a&#45;&gt;b" not in titles, f"{where}: DOT injected"
        assert text.startswith(("digraph", "strict digraph")) and text.rstrip().endswith("}")
    else:
        raise AssertionError(f"no check for {fmt}")


SKIP = {"png", "pdf", "html+pdf"}  # binary renderings of the same sources checked here


def test_every_export_in_every_format_escapes_what_comes_from_the_review(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    hostile_review(demo_ws, tmp_path)
    written = 0
    for what, kind in EXPORTS.items():
        for fmt in kind.formats:
            if fmt in SKIP or (fmt == "svg" and not shutil.which("dot")):
                continue
            target = tmp_path / "out" / f"{what}.{fmt}"
            req = ExportRequest(what, fmt, target, full=True, evidence=True)
            result = run_export(demo_ws, req)
            for path in result.paths:
                check_output(path, fmt if what != "ppi" else "html", f"{what}.{fmt}")
                written += 1
            if what == "theory" and fmt in ("svg", "dot"):
                detailed = tmp_path / "out" / f"theory-detailed.{fmt}"
                run_export(demo_ws, ExportRequest(what, fmt, detailed, view="detailed"))
                check_output(detailed, fmt, f"theory detailed .{fmt}")
    assert written >= 30


def test_the_duplicates_csv_neutralises_formulas_from_records(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    from realist.services.dedup_service import export_duplicates_csv

    rec = make_records(demo_ws, 4, seed=2, source_db=AT)
    with demo_ws.store.transaction() as s:
        s.execute(update(Record).where(Record.id.in_(rec)).values(title=FORMULA, source_id=PLUS))
    out = tmp_path / "dups.csv"
    export_duplicates_csv(demo_ws, out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    check_cells([c for row in rows for c in row], "duplicates.csv")
    assert any(FORMULA in c for row in rows for c in row)  # kept, as text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_json_keeps_the_text_exactly(demo_ws: Workspace, tmp_path: Path, payload: str) -> None:
    """Escaping is for the reader's sake: the data itself is never altered (but for control
    characters, which no export carries)."""
    set_cmoc(demo_ws, "1A", context=payload)
    target = tmp_path / "theory.json"
    run_export(demo_ws, ExportRequest("theory", "json", target))
    text = target.read_text(encoding="utf-8")
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", payload)
    strings: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(json.loads(text))
    assert expected in strings
