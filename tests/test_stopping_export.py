"""`realist export stopping`: the stopping aid as HTML with an SVG chart, Markdown, text and JSON,
with the figures of `stopping_report` and the review's title escaped."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from exporters.api import EXPORTS, ExportRequest, run_export
from exporters.stopping import CITATION, DOI_URL, curve_vertices, figure_rows, to_dict
from realist.cli import cli
from realist.db.models import Review
from realist.errors import InvalidInputError
from realist.services import prioritise
from realist.services import screening as sc
from realist.services.context import Workspace
from realist.services.prioritise import StoppingReport
from tests.conftest import migrated_sqlite
from tests.factories_screening import add_batch, as_reviewer, screening_workspace

TA = "title_abstract"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)> | *bold* `code` & co"
INCLUDES = (0, 1, 4, 9, 15, 30)
NAN = re.compile(r"\bnan\b", re.I)  # positions (in decision order) of the includes


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    prioritise.clear_cache()
    yield
    prioritise.clear_cache()


@pytest.fixture
def screened(tmp_path: Path) -> tuple[Path, Workspace]:
    """120 records, 70 decided by JF (six includes, the last at position 31), the review's
    title hostile markup."""
    db = tmp_path / "s.db"
    ws = screening_workspace(migrated_sqlite(db))
    ids = add_batch(ws, 120)
    with ws.store.transaction() as s:
        s.execute(update(Review).where(Review.id == ws.review_id).values(title=HOSTILE))
    jf = as_reviewer(ws, "JF")
    for i, rid in enumerate(ids[:70]):
        include = i in INCLUDES
        sc.decide(jf, rid, TA, "include" if include else "exclude",
                  reason=None if include else "not_qi")  # fmt: skip
    return db, ws


def export(ws: Workspace, tmp_path: Path, fmt: str, **options: object) -> str:
    path = tmp_path / "out" / f"stopping.{fmt}"
    result = run_export(ws, ExportRequest("stopping", fmt, path, **options))  # type: ignore[arg-type]
    assert result.paths == (path,)
    return path.read_text(encoding="utf-8")


class Page(HTMLParser):
    """Tags, the table's cells by row, and the inline SVG's source."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.title = ""
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.cell = []
        self.in_title = tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        if tag == "h1":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        if self.in_title:
            self.title += data


def chart(page: str) -> ElementTree.Element:
    match = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert match, "no inline SVG"
    return ElementTree.fromstring(match.group(0))  # well formed, or this raises


def points(svg: ElementTree.Element) -> list[tuple[float, float]]:
    line = svg.find(f".//{SVG}polyline[@class='found']")
    assert line is not None, "no curve"
    pairs = line.attrib["points"].split()
    return [(float(x), float(y)) for x, y in (p.split(",") for p in pairs)]


def value_at(vertices: list[tuple[float, float]], x: float) -> float:
    """The polyline's height at x (linear between vertices)."""
    for (x0, y0), (x1, y1) in pairwise(vertices):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    raise AssertionError(f"x = {x} is off the curve")


# --------------------------------------------------------------------------------------------


def test_the_kind_is_listed_with_its_formats() -> None:
    kind = EXPORTS["stopping"]
    assert (kind.name, kind.formats, kind.directory) == (
        "Stopping aid",
        ("html", "md", "txt", "json"),
        False,
    )


def test_curve_vertices_keep_only_the_corners() -> None:
    assert curve_vertices([1, 1, 2, 2, 2, 3]) == [(0, 0), (1, 1), (2, 1), (3, 2), (5, 2), (6, 3)]
    assert curve_vertices([0, 0, 0]) == [(0, 0), (3, 0)]
    assert curve_vertices([1, 2, 3]) == [(0, 0), (3, 3)]
    assert curve_vertices([]) == [(0, 0)]


def test_the_html_page_draws_the_curve_exactly_and_holds_the_figures(
    screened: tuple[Path, Workspace], tmp_path: Path
) -> None:
    _, ws = screened
    report = prioritise.stopping_report(ws, TA)
    e = report.estimate
    assert (e.screened, e.found, e.since_last_include, report.n_total) == (70, 6, 39, 120)
    page = export(ws, tmp_path, "html")
    parsed = Page()
    parsed.feed(page)
    parsed.close()

    svg = chart(page)
    vertices = points(svg)
    # Only the corners: the includes at records 1 and 2 make one straight rise, each later
    # include a step between flat runs, and the line ends at the last record screened.
    corners = [(0, 0), (2, 2), (4, 2), (5, 3), (9, 3), (10, 4), (15, 4), (16, 5), (30, 5),
               (31, 6), (70, 6)]  # fmt: skip
    assert vertices == corners == curve_vertices(report.curve)
    for i, found in enumerate(report.curve, 1):
        assert value_at(vertices, i) == pytest.approx(found), f"record {i}"
    # The x axis runs to every record to screen; the dashed diagonal to the estimated total.
    diagonal = svg.find(f".//{SVG}line[@class='expected']")
    assert diagonal is not None and "stroke-dasharray" in diagonal.attrib
    assert float(diagonal.attrib["x2"]) == 120
    assert float(diagonal.attrib["y2"]) == pytest.approx(e.found + e.remaining, abs=0.01)
    labels = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert "Records screened (of 120)" in labels and "Includes found" in labels
    xticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "xtick"]
    assert xticks[0] == "0" and xticks[-1] == "120"
    assert svg.find(f"{SVG}title") is not None

    table = {row[0]: row[1] for row in parsed.rows if len(row) == 2}
    for label, value in figure_rows(report):
        assert table[label] == value
    assert table["Records screened"] == "70" and table["Includes found (include or maybe)"] == "6"
    assert table["Records screened since the last include"] == "39"
    assert table["Estimated includes remaining"] == f"{e.remaining:.1f}"
    assert table["95% interval of includes remaining"] == (
        f"{e.remaining_low} to {e.remaining_high}"
    )
    assert report.advice() in page
    assert "Callaghan" in page and DOI_URL in page


def test_the_review_title_cannot_inject_markup(
    screened: tuple[Path, Workspace], tmp_path: Path
) -> None:
    _, ws = screened
    page = export(ws, tmp_path, "html")
    parsed = Page()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert "<script" not in page and "onerror=alert(1)>" not in page
    assert parsed.title == f"Stopping aid: {HOSTILE}"  # shown as text, all of it
    md = export(ws, tmp_path, "md")
    assert "<script" not in md and "<img" not in md
    assert md.splitlines()[0].startswith("## Stopping aid: &lt;script&gt;")
    assert "\\| \\*bold\\* \\`code\\`" in md  # no table cell break, no emphasis, no code
    data = json.loads(export(ws, tmp_path, "json"))
    assert data["title"] == HOSTILE  # JSON keeps the text as it is


def test_markdown_holds_the_figures_table_and_the_plot(
    screened: tuple[Path, Workspace], tmp_path: Path
) -> None:
    _, ws = screened
    report = prioritise.stopping_report(ws, TA)
    md = export(ws, tmp_path, "md")
    lines = md.splitlines()
    start = lines.index("| Figure | Value |")
    assert lines[start + 1] == "|---|--:|"
    rows = lines[start + 2 : start + 2 + len(figure_rows(report))]
    assert all(r.startswith("| ") and r.endswith(" |") for r in rows)
    assert "| Records screened | 70 |" in rows
    assert "| Records screened since the last include | 39 |" in rows
    assert f"| Estimated includes remaining | {report.estimate.remaining:.1f} |" in rows
    fence = md.index("```text\n")
    assert md[fence:].startswith(f"```text\n{report.plot()}\n```\n")
    assert CITATION in md


def test_text_holds_the_plot_and_the_figures(
    screened: tuple[Path, Workspace], tmp_path: Path
) -> None:
    _, ws = screened
    report = prioritise.stopping_report(ws, TA)
    txt = export(ws, tmp_path, "txt")
    assert report.plot() in txt
    assert re.search(r"^Records screened since the last include: +39$", txt, re.M)
    assert re.search(
        rf"^Estimated includes remaining: +{report.estimate.remaining:.1f}$", txt, re.M
    )
    assert "Advice: " in txt and not re.search("[\x00-\x08\x0b-\x1f]", txt)


def test_json_round_trips_the_figures_and_the_curve(
    screened: tuple[Path, Workspace], tmp_path: Path
) -> None:
    _, ws = screened
    text = export(ws, tmp_path, "json", target_recall=0.9, confidence=0.8)
    data = json.loads(text)
    report = prioritise.stopping_report(ws, TA, target_recall=0.9, confidence=0.8)
    assert data == json.loads(json.dumps(to_dict(report, HOSTILE)))
    assert data["curve"] == report.curve and len(data["curve"]) == 70
    assert (data["target_recall"], data["confidence"]) == (0.9, 0.8)
    assert data["since_last_include"] == 39 and data["stage"] == TA


def test_full_text_stage_and_an_empty_curve(
    screened: tuple[Path, Workspace], tmp_path: Path
) -> None:
    """At full text nothing is decided yet: no curve, no diagonal, no NaN anywhere."""
    _, ws = screened
    page = export(ws, tmp_path, "html", stage="full_text")
    svg = chart(page)
    assert svg.find(f".//{SVG}polyline") is None
    assert svg.find(f".//{SVG}line[@class='expected']") is None
    assert "full text" in page and not NAN.search(page)
    data = json.loads(export(ws, tmp_path, "json", stage="full_text"))
    assert (data["n_total"], data["screened"], data["remaining"], data["curve"]) == (6, 0, None, [])
    assert not NAN.search(export(ws, tmp_path, "md", stage="full_text"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"target_recall": 0.0}, "target recall must be above 0 and at most 1"),
        ({"target_recall": math.nan}, "target recall must be above 0 and at most 1"),
        ({"confidence": 1.0}, "confidence must be between 0 and 1"),
        ({"stage": "everything"}, "unknown stage 'everything'"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_written(
    screened: tuple[Path, Workspace], tmp_path: Path, options: dict[str, object], message: str
) -> None:
    _, ws = screened
    path = tmp_path / "bad.html"
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        run_export(ws, ExportRequest("stopping", "html", path, **options))  # type: ignore[arg-type]
    assert not path.exists()


def test_the_export_command(screened: tuple[Path, Workspace], tmp_path: Path) -> None:
    db, ws = screened
    out = tmp_path / "aid.md"
    run = CliRunner().invoke(cli, ["--db", str(db), "export", "stopping", "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert run.output.strip() == f"wrote {out}"
    assert out.read_text(encoding="utf-8").startswith("## Stopping aid:")
    piped = CliRunner().invoke(
        cli, ["--db", str(db), "export", "stopping", "--stage", "ta", "--format", "json", "-o", "-"]
    )
    assert piped.exit_code == 0, piped.output
    report: StoppingReport = prioritise.stopping_report(ws, TA)
    assert json.loads(piped.output)["curve"] == report.curve
    bad = CliRunner().invoke(
        cli, ["--db", str(db), "export", "stopping", "--target-recall", "2", "-o", str(out)]
    )
    assert bad.exit_code == 1
    assert "Error: the target recall must be above 0 and at most 1" in bad.output
    unknown = CliRunner().invoke(cli, ["--db", str(db), "export", "stopping", "-o", "aid.pdf"])
    assert unknown.exit_code == 1 and "cannot tell the format" in unknown.output


async def test_the_export_screen_offers_the_stopping_aid(
    screened: tuple[Path, Workspace], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Input, OptionList, Select

    from tui.app import RealistApp
    from tui.screens.export import ExportScreen

    monkeypatch.chdir(tmp_path)
    _, ws = screened
    out = tmp_path / "aid.html"
    app = RealistApp(ws)
    async with app.run_test(size=(130, 42)) as pilot:
        await pilot.press("x")
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        menu = screen.query_one(OptionList)
        ids = [menu.get_option_at_index(i).id for i in range(menu.option_count)]
        assert ids[-1] == "stopping"
        menu.focus()
        await pilot.press(*["down"] * (len(ids) - 1))
        assert screen.what == "stopping"
        assert screen.query_one("#export-format", Select).value == "html"
        screen.query_one("#export-path", Input).value = str(out)
        await pilot.press("ctrl+e")
        await app.workers.wait_for_complete()
        await pilot.pause()
    page = out.read_text(encoding="utf-8")
    assert "<svg" in page and "Records screened since the last include" in page
