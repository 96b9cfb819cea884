"""Every export the export screen offers, driven by the keys a user presses, read back.

Each case opens the screen (`x`), moves to the kind with the arrow keys, tabs to the format,
opens it and picks the format with the arrow keys, tabs to the path, types it and presses
ctrl+e; then the file written is opened with the library a reader would use.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from docx import Document
from openpyxl import load_workbook
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, ProgressBar, Select, Static

from exporters.api import EXPORTS
from realist.cli.core import create_demo
from realist.db.store import Store
from realist.services.context import Workspace, resolve_actor, resolve_review_id
from tui.app import RealistApp
from tui.screens.export import ORDER, ExportProgress, ExportScreen

TITLE = (
    "A realist review of how, why, for whom and in which contexts quality improvement in "
    "healthcare impacts inequalities"
)
# Table 3 of the reference review: 20 CMOCs in 4 clusters.
CMOC_IDS = frozenset(
    "1A 1B 2 3 4 5 6 7A 7B 8 9 10A 10B 10C 11A 11B 12 13 14 15".split()  # noqa: SIM905
)
SVG = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` not installed (rendered formats)"
)


# ------------------------------------------------------------------------------ setup


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example review built once for the module (about a second); each test copies it."""
    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    create_demo(path).dispose()
    con = sqlite3.connect(path)  # fold the WAL into the main file so one file copies whole
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return path


@pytest.fixture
def ws(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """A private copy of the example review (outside tmp_path, which the tests list)."""
    target = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(demo_template, target)
    store = Store(str(target))
    yield Workspace(store, resolve_review_id(store), resolve_actor(store, "LLJ"))
    store.dispose()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths are typed relative to the working folder (short to type): the test's own folder."""
    monkeypatch.chdir(tmp_path)


# ------------------------------------------------------------------------------ the keys


async def tab_to(pilot: Pilot[Any], widget_id: str) -> None:
    """Press tab (shift+tab when the widget comes earlier) until the widget has the focus."""
    for _ in range(8):
        focused = pilot.app.focused
        if focused is not None and focused.id == widget_id:
            return
        chain = pilot.app.screen.focus_chain
        target = next(i for i, w in enumerate(chain) if w.id == widget_id)
        here = chain.index(focused) if focused in chain else -1
        await pilot.press("tab" if target > here else "shift+tab")
    raise AssertionError(f"tab never reached #{widget_id} (focus: {pilot.app.focused})")


async def open_export(pilot: Pilot[Any], what: str) -> ExportScreen:
    """From the home screen: x, then the arrow keys down (or up) the menu to `what`."""
    await pilot.press("x")
    screen = pilot.app.screen
    assert isinstance(screen, ExportScreen)
    menu = screen.query_one("#export-what", OptionList)
    assert pilot.app.focused is menu  # the menu has the focus when the screen opens
    index = ORDER.index(what)
    if index > len(ORDER) // 2:  # nearer the end of the menu: end, then up
        await pilot.press("end")
        assert screen.what == ORDER[-1]
    steps = index - (menu.highlighted or 0)
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps))
    assert screen.what == what
    return screen


async def export_as(pilot: Pilot[Any], screen: ExportScreen, fmt: str, typed: str) -> None:
    """Tab to the format and pick it from its list, tab to the path, type it, ctrl+e."""
    formats = EXPORTS[screen.what].formats
    select = screen.query_one("#export-format", Select)
    await tab_to(pilot, "export-format")
    steps = formats.index(fmt) - formats.index(str(select.value))
    await pilot.press("enter", *(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    assert select.value == fmt
    await tab_to(pilot, "export-path")  # focusing the field selects its text: typing replaces it
    await pilot.press(*typed)
    assert screen.query_one("#export-path", Input).value == typed
    await pilot.press("ctrl+e")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def export_with_keys(pilot: Pilot[Any], what: str, fmt: str, typed: str) -> ExportScreen:
    """From the home screen, one export of `what` as `fmt` to the path typed."""
    screen = await open_export(pilot, what)
    assert screen.query_one("#export-format", Select).value == EXPORTS[what].formats[0]
    await export_as(pilot, screen, fmt, typed)
    return screen


def result_text(screen: ExportScreen) -> str:
    return str(screen.query_one("#export-result", Static).render())


# ------------------------------------------------------------------------------ readers


def svg_texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def check_theory_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    titles = {t.text or "" for t in root.iter(f"{SVG}title")}
    drawn = {t.removeprefix("cmoc:") for t in titles if t.startswith("cmoc:") and "->" not in t}
    assert drawn == CMOC_IDS
    texts = svg_texts(path)
    assert "1A" in texts and "4. Design" in texts
    assert "20 context-mechanism-outcome configurations (CMOCs) in 4 clusters" in texts


def check_png(path: Path) -> None:
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def check_pdf(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1000


def check_theory_graphml(path: Path) -> None:
    graph = nx.read_graphml(path)
    cmocs = {d["label"] for _, d in graph.nodes(data=True) if d.get("kind") == "cmoc"}
    assert cmocs == CMOC_IDS
    assert graph.nodes["cmoc:1A"]["cluster_name"] == "Values and Understanding"
    assert graph.has_edge("cmoc:12", "cmoc:14") and graph.has_edge("cmoc:13", "cmoc:14")


def check_theory_json(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    cmocs = {n["label"] for n in data["nodes"] if n["kind"] == "cmoc"}
    assert cmocs == CMOC_IDS
    clusters = [n for n in data["nodes"] if n["kind"] == "cluster"]
    assert len(clusters) == 4


def check_ppi_pack(folder: Path) -> None:
    assert folder.is_dir()
    page = (folder / "ppi-pack.html").read_text(encoding="utf-8")
    assert TITLE in page
    assert all(f"cmoc:{c}</title>" in page for c in CMOC_IDS)  # the embedded overview
    assert "http://" not in page.replace("http://www.w3.org", "")  # self-contained
    check_pdf(folder / "ppi-pack.pdf")


def check_ppi_html_only(folder: Path) -> None:
    assert TITLE in (folder / "ppi-pack.html").read_text(encoding="utf-8")
    assert not (folder / "ppi-pack.pdf").exists()


def check_cmocs_docx(path: Path) -> None:
    (table,) = Document(str(path)).tables
    assert [c.text for c in table.rows[0].cells] == ["CMOC Number", "CMOC"]
    numbers = [row.cells[0].text for row in table.rows[1:]]
    assert {n for n in numbers if n in CMOC_IDS} == CMOC_IDS
    assert len([n for n in numbers if n in CMOC_IDS]) == 20
    assert sum(n.startswith("Cluster ") for n in numbers) == 4  # the cluster headings
    row_1a = next(r for r in table.rows if r.cells[0].text == "1A")
    assert "(C)" in row_1a.cells[1].text and "(M)" in row_1a.cells[1].text


def check_cmocs_tex(path: Path) -> None:
    tex = path.read_text(encoding="utf-8")
    assert "\\toprule" in tex and "\\bottomrule" in tex
    assert all(f"\n{c} &" in tex for c in CMOC_IDS)


def check_studies_xlsx(path: Path) -> None:
    sheet = load_workbook(path)["Documents"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Ref", "Author", "Year", "Title"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 27
    by_author = {r[1]: r for r in rows}
    assert by_author["Burkitt et al."][2] in (2021, "2021")


def check_appraisal_html(path: Path) -> None:
    page = path.read_text(encoding="utf-8")
    assert "<title>Relevance and rigour appraisal" in page
    assert page.count("<tr") >= 28  # the header and one row per document
    assert "Cené et al." in page


def check_evidence_csv(path: Path) -> None:
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert {r["CMOC"] for r in rows} == CMOC_IDS
    assert any(r["CMOC"] == "1A" and r["Document"] == "Burkitt et al. 2021" for r in rows)


def check_rameses_md(path: Path) -> None:
    md = path.read_text(encoding="utf-8")
    assert md.startswith("## RAMESES publication standards")
    numbered = [line.split("|")[1].strip() for line in md.splitlines() if line.startswith("| ")]
    assert [n for n in numbered if n.isdigit()] == [str(i) for i in range(1, 20)]


def check_tables_xlsx(path: Path) -> None:
    book = load_workbook(path)
    assert book.sheetnames == ["CMOCs", "Documents", "Appraisal", "Evidence", "RAMESES"]
    cmocs = list(book["CMOCs"].iter_rows(min_row=2, values_only=True))
    assert len(cmocs) == 20 and {str(r[1]) for r in cmocs} == CMOC_IDS
    assert book["RAMESES"].max_row == 20  # header and 19 items


def check_tables_html(path: Path) -> None:
    page = path.read_text(encoding="utf-8")
    assert f"<title>{TITLE}" in page
    assert "Context-mechanism-outcome configurations (CMOCs)" in page and "RAMESES" in page


def check_prisma_svg(path: Path) -> None:
    texts = svg_texts(path)
    assert "PRISMA 2020 flow diagram" in texts
    assert "Records identified from (n\u00a0=\u00a09,859)" in texts  # no-break spaces
    assert "Studies included in review (n\u00a0=\u00a036)" in texts
    assert any(t.startswith("Counts as reported in the publication") for t in texts)


def check_prisma_json(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    counts = data["counts"]
    assert counts["identified"] == 9859 and counts["studies_included"] == 36
    assert counts["problems"] == []
    assert data["note"].startswith("Counts as reported in the publication")


def check_stopping_html(path: Path) -> None:
    page = path.read_text(encoding="utf-8")
    assert TITLE in page and "<title>Stopping aid" in page


def check_stopping_json(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["title"] == TITLE and data["stage"] == "title_abstract"
    assert data["screened"] == 0  # the example review holds no imported records


Check = Callable[[Path], None]
Steps = tuple[tuple[str, str, Check], ...]  # (format, path typed into the field, reader)

# One app session per group: the kind is chosen once, then each format is exported in turn
# (the screen stays usable after an export). Paths go into folders that do not exist yet: the
# export makes them, as it does for the suggested exports/<what>.<format>.
GROUPS: list[Any] = [
    pytest.param(
        "theory",
        (
            ("svg", "o/t.svg", check_theory_svg),
            ("png", "o/t.png", check_png),
            ("pdf", "o/t.pdf", check_pdf),
        ),
        marks=needs_dot,
        id="theory-svg-png-pdf",
    ),
    pytest.param(
        "theory",
        (("graphml", "o/t.graphml", check_theory_graphml), ("json", "o/t.json", check_theory_json)),
        id="theory-graphml-json",
    ),
    pytest.param(
        "ppi",
        (("html+pdf", "o/ppi", check_ppi_pack), ("html", "ppi/", check_ppi_html_only)),
        marks=needs_dot,  # the pack embeds the rendered overview
        id="ppi-html+pdf-html",
    ),
    pytest.param(
        "cmocs",
        (("docx", "o/c.docx", check_cmocs_docx), ("tex", "o/c.tex", check_cmocs_tex)),
        id="cmocs-docx-tex",
    ),
    pytest.param("studies", (("xlsx", "o/s.xlsx", check_studies_xlsx),), id="studies-xlsx"),
    pytest.param("appraisal", (("html", "o/a.html", check_appraisal_html),), id="appraisal-html"),
    pytest.param("evidence", (("csv", "o/e.csv", check_evidence_csv),), id="evidence-csv"),
    pytest.param("rameses", (("md", "o/r.md", check_rameses_md),), id="rameses-md"),
    pytest.param(
        "tables",
        (("xlsx", "o/all.xlsx", check_tables_xlsx), ("html", "o/all.html", check_tables_html)),
        id="tables-xlsx-html",
    ),
    pytest.param(
        "prisma",
        (("svg", "o/p.svg", check_prisma_svg), ("pdf", "o/p.pdf", check_pdf)),
        marks=needs_dot,
        id="prisma-svg-pdf",
    ),
    pytest.param("prisma", (("json", "o/p.json", check_prisma_json),), id="prisma-json"),
    pytest.param(
        "stopping",
        (("html", "o/st.html", check_stopping_html), ("json", "o/st.json", check_stopping_json)),
        id="stopping-html-json",
    ),
]


def test_every_kind_on_the_screen_is_covered() -> None:
    """A kind added to the screen's menu must get a group here."""
    assert set(ORDER) == set(EXPORTS)
    assert {p.values[0] for p in GROUPS} == set(ORDER)


# ------------------------------------------------------------------------------ tests


@pytest.mark.parametrize(("what", "steps"), GROUPS)
async def test_export_every_kind_with_the_keys(
    ws: Workspace, tmp_path: Path, what: str, steps: Steps
) -> None:
    app = RealistApp(ws)
    written: list[Path] = []
    async with app.run_test(size=(130, 42)) as pilot:
        screen = await open_export(pilot, what)
        for n, (fmt, typed, check) in enumerate(steps, start=1):
            await export_as(pilot, screen, fmt, typed)
            # Success as the user sees it: a full bar, "Written" and the path, a notification.
            assert screen.query_one("#export-progress", ProgressBar).percentage == 1.0
            shown = result_text(screen)
            assert shown.startswith("Written") and not screen.running
            notes = [x for x in app._notifications if x.title == "Exported"]
            assert len(notes) == n and notes[-1].severity == "information"
            assert not [x for x in app._notifications if x.severity == "error"]
            paths = [Path(p) for p in notes[-1].message.removeprefix("wrote ").splitlines()]
            assert paths and all(str(p) in shown and p.is_file() for p in paths)
            assert all(p == Path(typed) or p.parent == Path(typed) for p in paths)
            written += paths
            check(tmp_path / typed)
    # Exactly what the notifications named is on disk: no temporary file is left behind.
    on_disk = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert on_disk == sorted(tmp_path / p for p in written)


async def test_progress_steps_reach_the_bar(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's steps arrive in order and the bar ends full; the PRISMA note is shown."""
    steps: list[tuple[int, int]] = []
    original = ExportScreen.on_export_progress

    def record(self: ExportScreen, message: ExportProgress) -> None:
        steps.append((message.done, message.total))
        original(self, message)

    monkeypatch.setattr(ExportScreen, "on_export_progress", record)
    app = RealistApp(ws)
    async with app.run_test(size=(130, 42)) as pilot:
        screen = await export_with_keys(pilot, "prisma", "md", "prisma.md")
        bar = screen.query_one("#export-progress", ProgressBar)
        assert steps == [(0, 2), (1, 2), (2, 2)]
        assert (bar.progress, bar.total, bar.percentage) == (2, 2, 1.0)
        shown = result_text(screen)
        assert "Written" in shown and str(Path("prisma.md")) in shown
        assert "Counts as reported in the publication" in shown  # the result's note
        assert [n.message for n in app._notifications] == ["wrote prisma.md"]
    assert (tmp_path / "prisma.md").read_text(encoding="utf-8").startswith("## PRISMA 2020")


BAD_PATHS = [
    # a "folder" that is a file: it cannot hold one
    ("afile/c.csv", "Not exported"),
    # a folder that does not exist, typed as one: refused (it was once written as a file "missing")
    ("missing/", "missing/ is a folder; give a file name"),
]
if Path("/proc/self").is_dir():  # a folder that cannot be made, even by root
    BAD_PATHS.append(("/proc/nope/c.csv", "Not exported"))


async def test_bad_paths_are_notified_and_nothing_is_written(ws: Workspace, tmp_path: Path) -> None:
    """Each bad path gives one error notification, an empty bar and no file; then a good
    path in the same session works."""
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    app = RealistApp(ws)
    async with app.run_test(size=(130, 42)) as pilot:
        screen = await open_export(pilot, "cmocs")
        for n, (typed, shown) in enumerate(BAD_PATHS, start=1):
            await export_as(pilot, screen, "csv", typed)
            errors = [x for x in app._notifications if x.severity == "error"]
            assert len(errors) == n, typed
            assert shown in result_text(screen) or shown in errors[-1].message, typed
            folder = typed.rstrip("/").rpartition("/")[0] or typed.rstrip("/")
            assert folder in errors[-1].message, typed  # it names the folder at fault
            assert screen.query_one("#export-progress", ProgressBar).percentage == 0.0, typed
            assert not [x for x in app._notifications if x.title == "Exported"]
            assert not screen.running
        assert sorted(tmp_path.rglob("*")) == before
        assert not Path("/proc/nope").exists()
        await export_as(pilot, screen, "csv", "missing/c.csv")  # the screen stays usable
        assert [n.message for n in app._notifications if n.title == "Exported"] == [
            f"wrote {Path('missing/c.csv')}"
        ]
    assert (tmp_path / "missing" / "c.csv").read_text(encoding="utf-8-sig").startswith("Cluster,")
