"""The stopping aid as a report: includes found against records screened, and what is left.

One HTML page with the chart drawn as inline SVG (no script, no external file), Markdown (the
figures as a table and the terminal plot in a text fence), plain text (the plot and the figures)
and JSON (the figures and the whole curve). The figures come from
`realist.services.prioritise.stopping_report`; the only text taken from the review is its title,
escaped for each format.

The chart's curve is drawn in data units (records screened, includes found) inside a scaled
group, with only the points where the curve changes direction kept: the polyline is exact at
every record screened, and small even at 100,000 records.
"""

from __future__ import annotations

import html
import json
import math
import textwrap
from typing import TYPE_CHECKING, Any

from exporters.text import clean, one_line
from realist.errors import InvalidInputError

if TYPE_CHECKING:
    from realist.services.context import Workspace
    from realist.services.prioritise import StoppingReport

__all__ = [
    "CITATION",
    "DOI_URL",
    "STOPPING_FORMATS",
    "build_report",
    "curve_vertices",
    "figure_rows",
    "render",
    "summary",
    "svg_chart",
    "to_dict",
    "to_html",
    "to_markdown",
    "to_text",
]

STOPPING_FORMATS = ("html", "md", "txt", "json")

# The method as realist.ranking.stopping describes it.
CITATION = (
    "Callaghan MW, Müller-Hansen F (2020). Statistical stopping criteria for automated "
    "screening in systematic reviews. Systematic Reviews 9:273."
)
DOI_URL = "https://doi.org/10.1186/s13643-020-01521-4"
METHOD_NOTE = (
    "The most recently screened records are treated as a random draw from an urn holding them "
    "and the records not yet screened. Records screened in relevance order are richer in "
    "includes than the rest, so the estimate errs on the side of caution: it over-estimates "
    "what remains. The tool never stops screening on its own; these figures are advice."
)


def build_report(
    ws: Workspace,
    stage: str = "title_abstract",
    *,
    target_recall: float = 0.95,
    confidence: float = 0.95,
) -> StoppingReport:
    """The stopping report for `stage`, with bad settings as one clear error."""
    from realist.ranking import StoppingInputError
    from realist.services.prioritise import stopping_report

    if not 0.0 < target_recall <= 1.0:
        raise InvalidInputError(
            f"the target recall must be above 0 and at most 1 (e.g. 0.95), not {target_recall}"
        )
    if not 0.0 < confidence < 1.0:
        raise InvalidInputError(
            f"the confidence must be between 0 and 1 (e.g. 0.95), not {confidence}"
        )
    try:
        return stopping_report(ws, stage, target_recall=target_recall, confidence=confidence)
    except StoppingInputError as exc:
        raise InvalidInputError(str(exc)) from None


# ------------------------------------------------------------------------------ figures


def _expected_total(report: StoppingReport) -> float | None:
    """Includes found plus the estimate of those remaining (None before any screening)."""
    e = report.estimate
    if math.isnan(e.remaining):
        return None
    return e.found + e.remaining


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def summary(report: StoppingReport) -> str:
    """The estimate's one-line summary; before any screening, what there is instead of it."""
    e = report.estimate
    if math.isnan(e.remaining):
        return f"0 of {e.n_total:,} screened: no estimate before the first decision"
    return e.summary()


def _pct(value: float) -> str:
    return f"{value:.1%}"


def figure_rows(report: StoppingReport) -> list[tuple[str, str]]:
    """(label, value) pairs for the figures table, in reading order."""
    e = report.estimate
    rows = [
        ("Stage", report.stage.label),
        ("Records to screen", f"{e.n_total:,}"),
        ("Records screened", f"{e.screened:,}"),
        ("Not screened yet", f"{e.unscreened:,}"),
        ("Includes found (include or maybe)", f"{e.found:,}"),
        ("Records screened since the last include", f"{e.since_last_include:,}"),
    ]
    if math.isnan(e.remaining):
        rows.append(("Estimated includes remaining", "no estimate (nothing screened)"))
    else:
        rows += [
            ("Estimated includes remaining", f"{e.remaining:.1f}"),
            (
                f"{e.confidence:.0%} interval of includes remaining",
                f"{e.remaining_low:,} to {e.remaining_high:,}",
            ),
            ("Estimated recall", _pct(e.estimated_recall)),
            ("Recall at the upper end of the interval", _pct(e.recall_low)),
        ]
    rows += [
        (f"P(recall < {e.target_recall:.0%})", f"{e.p_below_target:.3f}"),
        (
            f"Target recall reached at {e.confidence:.0%} confidence",
            "yes" if e.target_reached else "no",
        ),
        (
            "Window of recent records the estimate uses",
            f"last {e.window:,} screened, {_n(e.window_includes, 'include')}",
        ),
    ]
    return rows


def to_dict(report: StoppingReport, title: str | None = None) -> dict[str, Any]:
    """The figures, the advice, the method and the curve, as plain JSON-ready values."""
    e = report.estimate
    data: dict[str, Any] = {}
    if title is not None:
        data["title"] = clean(title)
    data.update(
        {
            "stage": report.stage.value,
            "n_total": e.n_total,
            "screened": e.screened,
            "unscreened": e.unscreened,
            "found": e.found,
            "since_last_include": e.since_last_include,
            "remaining": None if math.isnan(e.remaining) else e.remaining,
            "remaining_low": e.remaining_low,
            "remaining_high": e.remaining_high,
            "estimated_recall": None if math.isnan(e.remaining) else e.estimated_recall,
            "recall_low": e.recall_low,
            "confidence": e.confidence,
            "target_recall": e.target_recall,
            "p_below_target": e.p_below_target,
            "target_reached": e.target_reached,
            "window": e.window,
            "window_includes": e.window_includes,
            "summary": summary(report),
            "advice": report.advice(),
            "method": e.method,
            "citation": CITATION,
            "doi": DOI_URL,
            "curve": list(report.curve),
        }
    )
    return data


# ------------------------------------------------------------------------------ SVG chart

SVG_W, SVG_H = 760, 430
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 30, 68, 62


def curve_vertices(curve: list[int]) -> list[tuple[int, int]]:
    """(records screened, includes found) from (0, 0) to the last record screened, keeping only
    the points where the line through every record changes slope: the same line, exactly."""
    values = [0, *curve]
    last = len(values) - 1
    points = [(0, 0)]
    for i in range(1, last):
        if values[i] - values[i - 1] != values[i + 1] - values[i]:
            points.append((i, values[i]))
    if last > 0:
        points.append((last, values[last]))
    return points


def _nice_step(span: float, ticks: int = 6) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` intervals."""
    raw = max(span / ticks, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return int(m * power)
    return int(10 * power)  # pragma: no cover


def _ticks(top: float) -> tuple[list[int], int]:
    """Tick values from 0 and the axis end (a whole number of steps covering `top`)."""
    step = _nice_step(top)
    end = max(step, math.ceil(top / step) * step)
    return list(range(0, end + 1, step)), end


def svg_chart(report: StoppingReport) -> str:
    """The chart as an inline <svg> element (no script, every text from us, none from the review)."""
    e = report.estimate
    x_top = max(report.n_total, e.screened, 1)
    expected = _expected_total(report)
    y_ticks, y_end = _ticks(max(e.found, expected or 0.0, 1.0))
    x_ticks, x_end = _ticks(x_top)
    pw, ph = SVG_W - _LEFT - _RIGHT, SVG_H - _TOP - _BOTTOM
    sx, sy = pw / x_end, ph / y_end

    def px(x: float) -> str:
        return f"{_LEFT + x * sx:.1f}"

    def py(y: float) -> str:
        return f"{_TOP + ph - y * sy:.1f}"

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_W} {SVG_H}" '
        f'width="{SVG_W}" height="{SVG_H}" role="img" aria-labelledby="chart-title chart-desc" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        '<title id="chart-title">Includes found against records screened</title>',
        f'<desc id="chart-desc">{html.escape(summary(report))}</desc>',
        f'<text x="{SVG_W / 2:.0f}" y="22" text-anchor="middle" font-size="15" '
        f'font-weight="bold">Includes found against records screened '
        f"({html.escape(report.stage.label)})</text>",
    ]
    # The records not screened yet, shaded.
    if e.screened < x_top:
        out.append(
            f'<rect class="unscreened" x="{px(e.screened)}" y="{_TOP}" '
            f'width="{(x_top - e.screened) * sx:.1f}" height="{ph}" fill="#f1f1f1"/>'
        )
        mid = e.screened + (x_top - e.screened) / 2
        out.append(
            f'<text x="{px(mid)}" y="{_TOP + 16}" text-anchor="middle" fill="#777">'
            "not screened yet</text>"
        )
    # Grid and ticks.
    for v in y_ticks:
        out.append(
            f'<line x1="{_LEFT}" y1="{py(v)}" x2="{_LEFT + pw}" y2="{py(v)}" '
            'stroke="#ddd" stroke-width="1"/>'
        )
        out.append(
            f'<text class="ytick" x="{_LEFT - 8}" y="{py(v)}" text-anchor="end" '
            f'dominant-baseline="middle">{v:,}</text>'
        )
    for v in x_ticks:
        out.append(
            f'<line x1="{px(v)}" y1="{_TOP + ph}" x2="{px(v)}" y2="{_TOP + ph + 5}" '
            'stroke="#333" stroke-width="1"/>'
        )
        out.append(
            f'<text class="xtick" x="{px(v)}" y="{_TOP + ph + 19}" '
            f'text-anchor="middle">{v:,}</text>'
        )
    out += [
        f'<line x1="{_LEFT}" y1="{_TOP + ph}" x2="{_LEFT + pw}" y2="{_TOP + ph}" '
        'stroke="#333" stroke-width="1"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + ph}" '
        'stroke="#333" stroke-width="1"/>',
        f'<text x="{_LEFT + pw / 2:.0f}" y="{SVG_H - 16}" text-anchor="middle">'
        f"Records screened (of {x_top:,})</text>",
        f'<text x="18" y="{_TOP + ph / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 18 {_TOP + ph / 2:.0f})">Includes found</text>',
    ]
    # Curve and diagonal in data units: x records screened, y includes found.
    data = f"translate({_LEFT} {_TOP + ph}) scale({sx:.6g} {-sy:.6g})"
    out.append(f'<g class="data" transform="{data}">')
    if expected is not None:
        out.append(
            f'<line class="expected" x1="0" y1="0" x2="{x_top}" y2="{expected:.4g}" '
            'stroke="#888" stroke-width="1.5" stroke-dasharray="6 4" '
            'vector-effect="non-scaling-stroke"/>'
        )
    if e.screened:
        points = " ".join(f"{x},{y}" for x, y in curve_vertices(report.curve))
        out.append(
            f'<polyline class="found" points="{points}" fill="none" stroke="#1f5fa8" '
            'stroke-width="2.2" stroke-linejoin="round" vector-effect="non-scaling-stroke"/>'
        )
    out.append("</g>")
    # Legend: one row between the title and the plot, where no line can run under it.
    lx, ly = _LEFT, 46
    out.append(
        f'<line x1="{lx}" y1="{ly}" x2="{lx + 26}" y2="{ly}" stroke="#1f5fa8" stroke-width="2.2"/>'
    )
    out.append(
        f'<text x="{lx + 32}" y="{ly}" dominant-baseline="middle">includes found '
        f"({e.found:,} after {e.screened:,} screened)</text>"
    )
    if expected is not None:
        lx += 300
        out.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 26}" y2="{ly}" stroke="#888" '
            'stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text x="{lx + 32}" y="{ly}" dominant-baseline="middle">random order towards '
            f"the estimated total ({expected:.1f})</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


# ------------------------------------------------------------------------------ HTML

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 52em;
       padding: 0 1em; color: #111; line-height: 1.4; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
p.stage { color: #444; margin-top: 0; }
figure { margin: 1.5em 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #333; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.95em; }
th, td { border: 1px solid #999; padding: 0.3em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
p.advice { border-left: 4px solid #1f5fa8; padding: 0.4em 0.8em; background: #f2f6fb; }
p.method { font-size: 0.92em; }
""".strip()


def to_html(report: StoppingReport, title: str) -> str:
    """A self-contained page: chart, figures, advice and method (every review text escaped)."""
    name = html.escape(one_line(title), quote=True)
    e = report.estimate
    rows = "\n".join(
        f'<tr><th scope="row">{html.escape(label)}</th>'
        f'<td class="num">{html.escape(value)}</td></tr>'
        for label, value in figure_rows(report)
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Stopping aid: {name}</title>",
            f"<style>\n{_CSS}\n</style>",
            "</head>",
            "<body>",
            f"<h1>Stopping aid: {name}</h1>",
            f'<p class="stage">Screening stage: {html.escape(report.stage.label)}. '
            f"{html.escape(summary(report))}</p>",
            "<figure>",
            svg_chart(report),
            "<figcaption>Includes found (records whose final decision is include or maybe) "
            "against records screened, in the order they were first decided. The dashed line "
            "is the course random order would take towards the estimated total of includes; "
            "the shaded part is not screened yet.</figcaption>",
            "</figure>",
            '<table class="figures">',
            '<thead><tr><th scope="col">Figure</th><th scope="col">Value</th></tr></thead>',
            f"<tbody>\n{rows}\n</tbody>",
            "</table>",
            f'<p class="advice"><strong>Advice:</strong> {html.escape(report.advice())}</p>',
            "<h2>Method</h2>",
            f'<p class="method">Method: {html.escape(e.method)}. {html.escape(METHOD_NOTE)}</p>',
            f'<p class="method">{html.escape(CITATION)} '
            f'<a href="{DOI_URL}">{html.escape(DOI_URL)}</a></p>',
            "</body>",
            "</html>",
            "",
        ]
    )


# ------------------------------------------------------------------------------ Markdown, text

_MD_ESCAPES = str.maketrans(
    {"\\": "\\\\", "|": "\\|", "*": "\\*", "_": "\\_", "`": "\\`", "<": "&lt;", ">": "&gt;",
     "[": "\\[", "]": "\\]", "#": "\\#"}
)  # fmt: skip


def _md(text: str) -> str:
    return one_line(text).translate(_MD_ESCAPES)


def to_markdown(report: StoppingReport, title: str, *, width: int = 60) -> str:
    """The figures as a table, the advice, the plot in a text fence and the method."""
    out = [f"## Stopping aid: {_md(title)}", "", "| Figure | Value |", "|---|--:|"]
    out += [f"| {_md(label)} | {_md(value)} |" for label, value in figure_rows(report)]
    out += [
        "",
        f"**Advice:** {_md(report.advice())}",
        "",
        "```text",
        report.plot(width=width),
        "```",
        "",
        f"Method: {_md(report.estimate.method)}. {_md(METHOD_NOTE)}",
        "",
        f"{_md(CITATION)} <{DOI_URL}>",
        "",
    ]
    return "\n".join(out)


def to_text(report: StoppingReport, title: str, *, width: int = 60) -> str:
    """The plot, the figures one per line, the advice and the method, as plain text."""
    rows = figure_rows(report)
    label_w = max(len(label) for label, _ in rows)
    out = [f"Stopping aid: {one_line(title)}", "", report.plot(width=width), ""]
    out += [f"{label + ':':<{label_w + 1}} {value}" for label, value in rows]
    out += ["", *textwrap.wrap(f"Advice: {report.advice()}", 78), ""]
    out += textwrap.wrap(f"Method: {report.estimate.method}. {METHOD_NOTE}", 78)
    out += [*textwrap.wrap(CITATION, 78), DOI_URL, ""]
    return "\n".join(out)


def render(report: StoppingReport, title: str, fmt: str) -> bytes:
    """The report in `fmt` (html, md, txt or json), as UTF-8 bytes."""
    if fmt == "html":
        text = to_html(report, title)
    elif fmt == "md":
        text = to_markdown(report, title)
    elif fmt == "txt":
        text = to_text(report, title)
    elif fmt == "json":
        text = json.dumps(to_dict(report, title), ensure_ascii=False, indent=2) + "\n"
    else:
        raise InvalidInputError(
            f"the stopping aid cannot be written as {fmt!r}; choose {', '.join(STOPPING_FORMATS)}"
        )
    return text.encode("utf-8")
