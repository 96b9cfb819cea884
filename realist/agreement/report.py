"""Render an agreement report as JSON (for tools) and Markdown (for a methods section).

Pure string building: callers write the result wherever they need it.

JSON keys (always present): ``n``, ``table``, ``percent_agreement``, ``kappa``, ``kappa_se``,
``kappa_ci_low``, ``kappa_ci_high``, ``pabak``, ``ac1``, ``band``, ``warnings``, ``per_tag``;
and also ``categories``, ``expected_agreement``, ``positive_agreement``,
``negative_agreement``, ``positive_category``, ``negative_category``, ``specific_agreement``,
``prevalence_index``, ``bias_index``, ``ci_level``, ``ci_method``, ``reviewers``, ``stage`` and
``sample``. ``table`` rows are reviewer A and columns reviewer B, in ``categories`` order.
Undefined statistics are ``null``, never NaN. Proportions stay unrounded in JSON; Markdown
rounds coefficients to three decimals and percent agreement to one decimal of a percent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from realist.agreement.sample import SampleDraw
from realist.agreement.stats import AgreementReport

__all__ = ["render_json", "render_markdown", "report_to_dict", "stats_to_dict"]


def stats_to_dict(report: AgreementReport) -> dict[str, object]:
    """The statistics of one report as a JSON-ready dict (no per-tag, reviewer or sample keys)."""
    return {
        "n": report.n,
        "categories": list(report.categories),
        "table": [list(row) for row in report.table],
        "percent_agreement": report.percent_agreement,
        "expected_agreement": report.expected_agreement,
        "kappa": report.kappa,
        "kappa_se": report.kappa_se,
        "kappa_ci_low": report.kappa_ci_low,
        "kappa_ci_high": report.kappa_ci_high,
        "ci_level": report.ci_level,
        "ci_method": report.ci_method,
        "pabak": report.pabak,
        "ac1": report.ac1,
        "positive_category": report.positive_category,
        "positive_agreement": report.positive_agreement,
        "negative_category": report.negative_category,
        "negative_agreement": report.negative_agreement,
        "specific_agreement": dict(report.specific_agreement),
        "prevalence_index": report.prevalence_index,
        "bias_index": report.bias_index,
        "band": report.band,
        "warnings": list(report.warnings),
    }


def report_to_dict(
    report: AgreementReport,
    *,
    per_tag: Mapping[str, AgreementReport] | None = None,
    reviewers: Sequence[str] | None = None,
    stage: str | None = None,
    sample: SampleDraw | None = None,
) -> dict[str, object]:
    """The whole report as a JSON-ready dict.

    ``per_tag`` maps a tag label (a PROGRESS-Plus category, 'gap/targeted', ...) to its own
    report and becomes an object of the same statistics keyed by tag, in the given order.
    ``reviewers`` is (reviewer A, reviewer B).
    """
    out = stats_to_dict(report)
    out["per_tag"] = {tag: stats_to_dict(r) for tag, r in (per_tag or {}).items()}
    out["reviewers"] = _reviewer_pair(reviewers)
    out["stage"] = stage
    out["sample"] = sample.to_dict() if sample is not None else None
    return out


def render_json(
    report: AgreementReport,
    *,
    per_tag: Mapping[str, AgreementReport] | None = None,
    reviewers: Sequence[str] | None = None,
    stage: str | None = None,
    sample: SampleDraw | None = None,
) -> str:
    """The report as indented JSON text (UTF-8 names kept; never NaN or Infinity)."""
    data = report_to_dict(report, per_tag=per_tag, reviewers=reviewers, stage=stage, sample=sample)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_markdown(
    report: AgreementReport,
    *,
    per_tag: Mapping[str, AgreementReport] | None = None,
    reviewers: Sequence[str] | None = None,
    stage: str | None = None,
    sample: SampleDraw | None = None,
    title: str = "Dual-screening agreement",
) -> str:
    """The report as Markdown for a methods or results section.

    Holds: who compared what (reviewers, stage, sample), the agreement table with reviewer A
    in rows and reviewer B in columns, every statistic (the CI method named), a sentence ready
    to adapt, the warnings, and a per-tag table when ``per_tag`` is given.
    """
    names = _reviewer_pair(reviewers)
    name_a = names["a"] if names else "reviewer A"
    name_b = names["b"] if names else "reviewer B"
    lines: list[str] = [f"## {_md(title)}", ""]
    context = []
    if stage:
        context.append(f"Stage: {_md(stage)}.")
    context.append(
        f"Rows: reviewer A ({_md(name_a)}); columns: reviewer B ({_md(name_b)})."
        if names
        else "Rows: reviewer A; columns: reviewer B."
    )
    lines.append(" ".join(context))
    if sample is not None:
        lines += ["", f"Sample: {_md(sample.describe())}"]
    lines += ["", *_table_lines(report), ""]
    lines += _statistics_lines(report)
    lines += ["", f"Confidence interval: {_md(report.ci_method)}."]
    sentence = _summary_sentence(report)
    if sentence:
        lines += ["", f"Summary: {sentence}"]
    if report.warnings:
        lines += ["", "### Warnings", ""]
        lines += [f"- {_md(w)}" for w in report.warnings]
    if per_tag:
        lines += ["", *_per_tag_lines(per_tag)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- pieces


def _reviewer_pair(reviewers: Sequence[str] | None) -> dict[str, str] | None:
    if reviewers is None:
        return None
    if isinstance(reviewers, str) or len(reviewers) != 2:
        raise ValueError(f"reviewers must be a pair (reviewer A, reviewer B), got {reviewers!r}")
    return {"a": reviewers[0], "b": reviewers[1]}


def _md(text: str) -> str:
    """Keep user text (names, tags) from breaking a Markdown table."""
    return text.replace("|", "\\|").replace("\n", " ")


def _num(value: float | None, digits: int = 3) -> str:
    return "undefined" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.1%}"


def _table_lines(report: AgreementReport) -> list[str]:
    cats = [_md(c) for c in report.categories]
    q = len(cats)
    header = "| A \\ B | " + " | ".join(cats) + " | Total |"
    rule = "|---|" + "---:|" * (q + 1)
    rows = []
    for cat, row in zip(cats, report.table, strict=True):
        rows.append(f"| **{cat}** | " + " | ".join(str(v) for v in row) + f" | {sum(row)} |")
    col_totals = [sum(report.table[i][j] for i in range(q)) for j in range(q)]
    rows.append("| **Total** | " + " | ".join(str(v) for v in col_totals) + f" | {report.n} |")
    return [header, rule, *rows]


def _kappa_cell(report: AgreementReport) -> str:
    if report.kappa is None:
        return "undefined (see warnings)"
    text = _num(report.kappa)
    if report.kappa_se is not None:
        text += f" (SE {_num(report.kappa_se)}"
        if report.kappa_ci_low is not None and report.kappa_ci_high is not None:
            text += (
                f"; {report.ci_level:.0%} CI {_num(report.kappa_ci_low)} to "
                f"{_num(report.kappa_ci_high)}"
            )
        text += ")"
    return text


def _statistics_lines(report: AgreementReport) -> list[str]:
    rows: list[tuple[str, str]] = [
        ("Records compared (n)", str(report.n)),
        (
            "Observed agreement (p_o)",
            "undefined"
            if report.percent_agreement is None
            else f"{_pct(report.percent_agreement)} ({_num(report.percent_agreement)})",
        ),
        ("Chance agreement for kappa (p_e)", _num(report.expected_agreement)),
        ("Cohen's kappa", _kappa_cell(report)),
        (
            "Landis & Koch (1977) band",
            report.band if report.band is not None else "undefined",
        ),
        ("PABAK", _num(report.pabak)),
        ("Gwet's AC1", _num(report.ac1)),
    ]
    if report.positive_category is not None:
        rows.append(
            (
                f"Positive agreement ({_md(report.positive_category)})",
                _num(report.positive_agreement),
            )
        )
    if report.negative_category is not None:
        rows.append(
            (
                f"Negative agreement ({_md(report.negative_category)})",
                _num(report.negative_agreement),
            )
        )
    for cat, value in report.specific_agreement.items():
        if cat not in (report.positive_category, report.negative_category):
            rows.append((f"Specific agreement ({_md(cat)})", _num(value)))
    if report.prevalence_index is not None and report.bias_index is not None:
        rows.append(
            (
                "Prevalence index / bias index",
                f"{_num(report.prevalence_index)} / {_num(report.bias_index)}",
            )
        )
    return ["| Statistic | Value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def _summary_sentence(report: AgreementReport) -> str:
    if report.n == 0 or report.percent_agreement is None:
        return ""
    parts = [
        f"Two reviewers independently screened {report.n} records and agreed on "
        f"{_pct(report.percent_agreement)} of them"
    ]
    stats = []
    if report.kappa is not None:
        kappa = f"Cohen's kappa {_num(report.kappa)}"
        if report.kappa_ci_low is not None and report.kappa_ci_high is not None:
            kappa += f", 95% CI {_num(report.kappa_ci_low)} to {_num(report.kappa_ci_high)}"
        if report.band:
            kappa += f", {report.band} agreement"
        stats.append(kappa)
    else:
        stats.append("Cohen's kappa undefined")
    stats.append(f"PABAK {_num(report.pabak)}")
    stats.append(f"AC1 {_num(report.ac1)}")
    return parts[0] + " (" + "; ".join(stats) + ")."


def _per_tag_lines(per_tag: Mapping[str, AgreementReport]) -> list[str]:
    lines = [
        "### Agreement per tag",
        "",
        "| Tag | n | Agreement | Kappa (95% CI) | PABAK | AC1 | Band |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    notes: list[str] = []
    for tag, r in per_tag.items():
        if r.kappa is None:
            kappa = "undefined"
        elif r.kappa_ci_low is not None and r.kappa_ci_high is not None:
            kappa = f"{_num(r.kappa)} ({_num(r.kappa_ci_low)} to {_num(r.kappa_ci_high)})"
        else:
            kappa = _num(r.kappa)
        lines.append(
            f"| {_md(tag)} | {r.n} | {_pct(r.percent_agreement)} | {kappa} | "
            f"{_num(r.pabak)} | {_num(r.ac1)} | {r.band or 'undefined'} |"
        )
        notes += [f"- {_md(tag)}: {_md(w)}" for w in r.warnings]
    if notes:
        lines += ["", "Per-tag warnings:", "", *notes]
    return lines
