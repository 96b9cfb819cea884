"""The pack for a patient and public involvement (PPI) panel: one self-contained HTML page
and a printable PDF made from it.

The page holds a plain-words guide to reading it, the overview diagram (inline SVG), then one
section per cluster in large type: each CMOC's plain-language summary (or, when it has none,
its statement, marked as the researchers' wording), whether it reduces or may worsen
inequalities (in words and by border style, not by colour alone), numbered references to the
studies behind it, and a ruled box for the panel's comments. The studies are listed at the
end. There are no external assets and no JavaScript; every text from the review is escaped.

The PDF is printed from the same HTML by WeasyPrint, which needs no browser: it lays out
HTML and CSS itself and draws with the Pango text library. When Pango is missing the HTML is
still written and the error says how to install it.
"""

from __future__ import annotations

import html
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exporters import theory
from exporters.render import render
from exporters.text import clean
from realist.errors import RealistError
from realist.services.export_data import ReviewInfo
from realist.services.theory import ClusterView, CmocView, StudySummary

__all__ = [
    "PdfUnavailableError",
    "PpiPack",
    "build_html",
    "overview_svg",
    "write_pack",
    "write_pdf",
]

Progress = Callable[[int, int], None]

INSTALL_PANGO = (
    "the PPI pack's HTML page was written to {html}, but the PDF could not be made: "
    "WeasyPrint needs the Pango text library ({detail}). Install it with "
    "`sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0` (Debian/Ubuntu) or "
    "`brew install pango` (macOS); see "
    "https://doc.courtbouillon.org/weasyprint/stable/first_steps.html. "
    "Or print the HTML page to PDF from a web browser."
)

DIRECTION_WORDS = {
    "reduces": "Can reduce health inequalities",
    "may_worsen": "May make health inequalities worse",
    "": "The team has not said which way this goes",
}


class PdfUnavailableError(RealistError):
    """WeasyPrint or the system libraries it draws with are missing."""


@dataclass(frozen=True)
class PpiPack:
    """Where the pack was written."""

    html: Path
    pdf: Path | None


def _e(text: str | None) -> str:
    """Text from the review, escaped for HTML, line breaks kept."""
    return "<br>".join(html.escape(clean(text or ""), quote=True).split("\n"))


def overview_svg(clusters: list[ClusterView], title: str) -> str:
    """The overview diagram as an SVG element ready to sit inside an HTML page."""
    g = theory.build_graph(clusters, title, evidence=False, parts=False)
    svg = render(theory.to_dot(g, "overview"), "svg").decode("utf-8")
    svg = svg[svg.index("<svg") :]  # drop the XML declaration, DOCTYPE and comments
    # Let the page size the drawing: keep the viewBox, drop the fixed width and height.
    svg = re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg role="img"', svg, count=1)
    return svg.replace(
        "<svg", f'<svg aria-label="{_e(title)}: overview of the programme theory"', 1
    )


_CSS = """
@page { size: A4; margin: 16mm 15mm 18mm; @bottom-center { content: counter(page); font-size: 11pt; } }
@page wide { size: A4 landscape; margin: 10mm; }
html { font-family: "Helvetica Neue", Helvetica, Arial, "DejaVu Sans", sans-serif; color: #111; }
body { font-size: 15pt; line-height: 1.5; margin: 0 auto; max-width: 60em; padding: 1em 1.2em; }
h1 { font-size: 26pt; line-height: 1.2; margin: 0.2em 0 0.4em; }
h2 { font-size: 21pt; margin: 0.2em 0 0.5em; }
h3 { font-size: 17pt; margin: 0 0 0.3em; }
.kicker { font-size: 13pt; text-transform: uppercase; letter-spacing: 0.06em; color: #444; margin: 0; }
.lead { font-size: 16pt; }
.legend { list-style: none; padding: 0; }
.legend li { margin: 0.5em 0; display: flex; gap: 0.7em; align-items: center; }
.swatch { flex: 0 0 5.5em; height: 2.2em; border-radius: 0.4em; }
.swatch.reduces, .cmoc.reduces { border: 3px solid #0072B2; background: #E1EFFA; }
.swatch.may_worsen, .cmoc.may_worsen { border: 3px dashed #D55E00; background: #FBE3D3; }
.swatch.none, .cmoc.none { border: 3px dotted #595959; background: #F2F2F2; }
.swatch.arrow { border: none; background: none; font-size: 20pt; text-align: center; line-height: 2.2em; }
.overview { page: wide; break-before: page; }
.overview svg { width: 100%; height: auto; display: block; margin: 0 auto; }
.overview h2 { font-size: 16pt; margin: 0 0 0.3em; }
.cluster { break-before: page; }
.cluster-desc { font-size: 15pt; color: #222; }
.cmoc { border-radius: 0.6em; padding: 0.7em 0.9em; margin: 0 0 1em; break-inside: avoid; }
.cmoc .badge { font-size: 13pt; font-weight: normal; font-style: italic; margin-left: 0.5em; }
.cmoc .summary { font-size: 17pt; margin: 0.2em 0 0.5em; }
.cmoc .fallback-mark { display: block; font-size: 12pt; font-style: italic; color: #333; }
.cmoc .evidence { font-size: 13pt; margin: 0.3em 0; }
.comments { background: #fff; border: 2px solid #555; border-radius: 0.4em; margin-top: 0.5em;
  padding: 0.3em 0.6em; }
.comments p { margin: 0; font-size: 13pt; font-weight: bold; }
.comments .lines { height: 3.6cm;
  background: repeating-linear-gradient(to bottom, #fff 0, #fff 0.95cm, #b3b3b3 0.95cm, #b3b3b3 1cm); }
.references { break-before: page; }
.references ol { font-size: 13pt; padding-left: 2em; }
.references li { margin-bottom: 0.5em; }
.references .orig { color: #444; }
footer { font-size: 11pt; color: #444; margin-top: 2em; border-top: 1px solid #999; padding-top: 0.5em; }
a { color: #00508A; }
@media print { body { max-width: none; padding: 0; } a { color: #111; text-decoration: none; }
  .overview svg { max-height: 172mm; } }
""".strip()


def _count(n: int, one: str, many: str | None = None) -> str:
    """'1 idea', '20 ideas'."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _direction_key(c: CmocView) -> str:
    return c.direction if c.direction in ("reduces", "may_worsen") else ""


def build_html(clusters: list[ClusterView], info: ReviewInfo, svg: str) -> str:
    """The pack as one HTML page (the caller supplies the overview SVG)."""
    refs: dict[int, tuple[int, StudySummary]] = {}
    for cl in clusters:
        for c in cl.cmocs:
            for d in c.documents:
                if d.id not in refs:
                    refs[d.id] = (len(refs) + 1, d)
    cmoc_count = sum(len(cl.cmocs) for cl in clusters)
    present = {_direction_key(c) for cl in clusters for c in cl.cmocs}
    has_links = any(c.links_out for cl in clusters for c in cl.cmocs)

    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(info.title)}: pack for the public involvement panel</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        '<p class="kicker">For the patient and public involvement panel</p>',
        f"<h1>{_e(info.title)}</h1>",
        f'<p class="lead">The review team wrote down {_count(cmoc_count, "idea")} about when, '
        "for whom and why the things studied work or do not, drawing on "
        f"{_count(len(refs), 'study', 'studies')}. The ideas are sorted into "
        f"{_count(len([c for c in clusters if c.cmocs]), 'group')}. We would like to hear what "
        "you think of each idea: does it ring true, is something missing, is it put "
        "clearly?</p>",
        "</header>",
        '<section class="how-to-read">',
        "<h2>How to read this pack</h2>",
        "<p>Each idea describes a <b>situation</b>, how people <b>respond</b> to it, and what "
        "<b>happens</b> as a result. Researchers call these ideas “context-mechanism-outcome "
        "configurations”, or CMOCs, and give each one a short number such as 1A.</p>",
        '<ul class="legend">',
    ]
    legend = {
        "reduces": "A blue box with a solid border: this can <b>reduce</b> unfair differences "
        "in health between groups of people (health inequalities).",
        "may_worsen": "An orange box with a dashed border: this may make those unfair "
        "differences <b>worse</b>.",
        "": "A grey box with a dotted border: the team has not yet said which way this goes.",
    }
    for key in ("reduces", "may_worsen", ""):
        if key in present:
            css = key or "none"
            out.append(
                f'<li><span class="swatch {css}" aria-hidden="true"></span><span>{legend[key]}</span></li>'
            )
    if has_links:
        out.append(
            '<li><span class="swatch arrow" aria-hidden="true">&#8594;</span>'
            "<span>An arrow: one idea leads to another.</span></li>"
        )
    out += [
        "</ul>",
        "<p>Numbers in square brackets, like [1], point to the list of studies at the end.</p>",
        "</section>",
        '<section class="overview">',
        "<h2>The whole picture</h2>",
        svg,
        "</section>",
    ]
    for cl in clusters:
        if not cl.cmocs:
            continue
        heading = f"Group {cl.number}: {cl.name}" if cl.number else cl.name
        out.append(f'<section class="cluster" id="group-{cl.number}">')
        out.append(f"<h2>{_e(heading)}</h2>")
        if cl.description:
            out.append(f'<p class="cluster-desc">{_e(cl.description)}</p>')
        for c in cl.cmocs:
            key = _direction_key(c)
            out.append(f'<article class="cmoc {key or "none"}" id="idea-{_e(c.label)}">')
            out.append(
                f'<h3>Idea {_e(c.label)}<span class="badge">{DIRECTION_WORDS[key]}</span></h3>'
            )
            if c.plain_summary and c.plain_summary.strip():
                out.append(f'<p class="summary">{_e(c.plain_summary)}</p>')
            else:
                out.append(
                    '<p class="summary fallback"><span class="fallback-mark">In the '
                    "researchers’ words (no plain-language summary has been written yet):</span>"
                    f"{_e(c.statement or ' '.join(x for x in (c.context, c.mechanism, c.outcome) if x))}</p>"
                )
            if c.documents:
                links = " ".join(
                    f'<a href="#ref-{refs[d.id][0]}">[{refs[d.id][0]}]</a>' for d in c.documents
                )
                noun = "study" if len(c.documents) == 1 else "studies"
                out.append(f'<p class="evidence">Based on {len(c.documents)} {noun}: {links}</p>')
            else:
                out.append('<p class="evidence">No studies are linked to this idea yet.</p>')
            if c.links_out:
                nexts = ", ".join(f"idea {_e(k.other)}" for k in c.links_out)
                out.append(f'<p class="evidence">Leads to {nexts}.</p>')
            out.append(
                '<div class="comments"><p>Your comments on idea '
                f'{_e(c.label)}:</p><div class="lines"></div></div>'
            )
            out.append("</article>")
        out.append("</section>")
    out.append('<section class="references">')
    out.append("<h2>The studies behind these ideas</h2>")
    if refs:
        out.append("<ol>")
        for number, d in sorted(refs.values(), key=lambda x: x[0]):
            out.append(
                f'<li id="ref-{number}">{_e(d.citation)} '
                f'<span class="orig">(reference {_e(d.ref)} in the review)</span></li>'
            )
        out.append("</ol>")
    else:
        out.append("<p>No studies are linked to these ideas yet.</p>")
    out.append("</section>")
    footer = "Made with Realist Workbench from the review’s database."
    if info.citation:
        footer += f" Source: {_e(info.citation)}"
        if info.license:
            footer += f" ({_e(info.license)})"
    out += [f"<footer>{footer}</footer>", "</body>", "</html>", ""]
    return "\n".join(out)


def _weasyprint() -> Any:
    """The weasyprint module, or PdfUnavailableError saying what is missing."""
    try:
        return importlib.import_module("weasyprint")
    except ModuleNotFoundError as exc:
        raise PdfUnavailableError(
            "the PDF needs the WeasyPrint package (`pip install weasyprint`)"
        ) from exc
    except OSError as exc:  # cffi could not load Pango / GObject
        raise PdfUnavailableError(str(exc).splitlines()[0]) from exc


def write_pdf(html_text: str, path: Path) -> None:
    """Print the pack's HTML to a PDF with WeasyPrint."""
    weasyprint = _weasyprint()
    weasyprint.HTML(string=html_text).write_pdf(str(path))


def write_pack(
    clusters: list[ClusterView],
    info: ReviewInfo,
    directory: Path,
    *,
    pdf: bool = True,
    progress: Progress | None = None,
) -> PpiPack:
    """Write ppi-pack.html (and ppi-pack.pdf) into `directory`."""
    step = progress or (lambda done, total: None)
    total = 3 if pdf else 2
    directory.mkdir(parents=True, exist_ok=True)
    step(0, total)
    svg = overview_svg(clusters, info.title)
    step(1, total)
    page = build_html(clusters, info, svg)
    html_path = directory / "ppi-pack.html"
    html_path.write_text(page, encoding="utf-8")
    step(2, total)
    if not pdf:
        return PpiPack(html_path, None)
    pdf_path = directory / "ppi-pack.pdf"
    try:
        write_pdf(page, pdf_path)
    except PdfUnavailableError as exc:
        raise PdfUnavailableError(INSTALL_PANGO.format(html=html_path, detail=exc)) from exc
    step(3, total)
    return PpiPack(html_path, pdf_path)
