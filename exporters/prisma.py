"""The PRISMA 2020 flow diagram (Page et al., BMJ 2021;372:n71) drawn with Graphviz.

The boxes follow the PRISMA 2020 template for new reviews: identification from databases
(per database) and registers, records removed before screening, records screened and
excluded, reports sought and not retrieved, reports assessed and excluded (with each reason),
studies included. When the counts have an other-methods column (citation searching,
websites, organisations, experts) it is drawn as the template's second column. The realist
variant is the RAMESES item 12 "document flow diagram": the same boxes worded for documents,
with the other sources always shown.

Counts that do not add up (``PrismaCounts.check()``) are refused with every problem listed:
a diagram with wrong arithmetic is worse than none.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape as _html_escape
from typing import Literal

from exporters.text import clean, wrap
from realist.errors import InvalidInputError
from realist.prisma import PrismaCounts

__all__ = [
    "PRISMA_FORMATS",
    "PrismaDiagram",
    "Variant",
    "check_counts",
    "to_dot",
    "to_json",
    "to_markdown",
]

PRISMA_FORMATS = ("svg", "png", "pdf", "dot", "json", "md")
Variant = Literal["prisma", "realist"]
FONT = "Helvetica,Arial,sans-serif"
BOX_WIDTH = 40  # characters per line inside a box


@dataclass(frozen=True)
class PrismaDiagram:
    """What a flow diagram shows: the counts, a title, and a note on where they come from."""

    counts: PrismaCounts
    title: str
    note: str | None = None  # e.g. "Counts as reported in the publication"
    variant: Variant = "prisma"


def check_counts(counts: PrismaCounts) -> None:
    """Refuse counts whose arithmetic does not hold, naming every problem."""
    problems = counts.check()
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise InvalidInputError(
            "the PRISMA counts do not add up, so no diagram was drawn:\n" + listed
        )


def _n(value: int) -> str:
    return f"{value:,}"


def _count(value: int) -> str:
    """'(n = 9,859)' held together by no-break spaces, so wrapping never splits it."""
    return f"(n\u00a0=\u00a0{_n(value)})"


def _h(text: str) -> str:
    return _html_escape(clean(text), quote=True)


def _wrapped(text: str, indent: bool = False, bold: bool = False) -> list[str]:
    lines = wrap(text, BOX_WIDTH - (3 if indent else 0)) or [""]
    pad = "&#160;&#160;&#160;" if indent else ""
    return [pad + (f"<b>{_h(line)}</b>" if bold else _h(line)) for line in lines]


def _box(heading: str, items: list[tuple[str, int]] | None = None, total: int | None = None) -> str:
    """An HTML-like label: the heading (with its total) in bold, then one indented line per
    item, every line left-aligned."""
    first = heading if total is None else f"{heading} {_count(total)}"
    lines = _wrapped(first, bold=True)
    for label, value in items or []:
        lines += _wrapped(f"{label} {_count(value)}", indent=True)
    return "<" + "".join(f'{line}<br align="left"/>' for line in lines) + ">"


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _words(variant: Variant) -> dict[str, str]:
    if variant == "realist":
        return {
            "main_header": "Documents identified via database and register searches",
            "other_header": "Documents identified from other sources",
            "records": "Documents",
            "reports": "Full texts",
            "included": "Documents included in the synthesis",
            "reports_included": "Reports of included documents",
        }
    return {
        "main_header": "Identification of studies via databases and registers",
        "other_header": "Identification of studies via other methods",
        "records": "Records",
        "reports": "Reports",
        "included": "Studies included in review",
        "reports_included": "Reports of included studies",
    }


def to_dot(diagram: PrismaDiagram) -> str:
    """DOT text of the flow diagram (refuses counts that do not add up)."""
    c = diagram.counts
    check_counts(c)
    w = _words(diagram.variant)
    other = c.other_methods
    if other is None and diagram.variant == "realist":
        from realist.prisma import OtherMethods

        other = OtherMethods()
    nodes: dict[str, str] = {}
    identified_items = list(c.databases.items())
    identified_items += [(f"Register: {k}", v) for k, v in c.registers.items()]
    nodes["identified"] = _box(f"{w['records']} identified from", identified_items, c.identified)
    nodes["removed"] = _box(
        f"{w['records']} removed before screening",
        [
            ("Duplicate records removed", c.duplicates_removed),
            ("Marked as ineligible by automation tools", c.removed_by_automation),
            ("Removed for other reasons", c.removed_other_reasons),
        ],
    )
    nodes["screened"] = _box(f"{w['records']} screened", total=c.records_screened)
    nodes["excluded"] = _box(f"{w['records']} excluded", total=c.records_excluded)
    nodes["sought"] = _box(f"{w['reports']} sought for retrieval", total=c.reports_sought)
    nodes["not_retrieved"] = _box(f"{w['reports']} not retrieved", total=c.reports_not_retrieved)
    nodes["assessed"] = _box(f"{w['reports']} assessed for eligibility", total=c.reports_assessed)
    nodes["reasons"] = _box(
        f"{w['reports']} excluded", list(c.exclusion_reasons.items()), c.reports_excluded
    )
    included = (
        [(w["reports_included"], c.reports_included)] if c.reports_included is not None else []
    )
    nodes["included"] = _box(w["included"], included, c.studies_included)
    if other is not None:
        nodes["o_identified"] = _box(
            f"{w['records']} identified from", list(other.sources.items()), other.identified
        )
        nodes["o_sought"] = _box(f"{w['reports']} sought for retrieval", total=other.reports_sought)
        nodes["o_not_retrieved"] = _box(
            f"{w['reports']} not retrieved", total=other.reports_not_retrieved
        )
        nodes["o_assessed"] = _box(
            f"{w['reports']} assessed for eligibility", total=other.reports_assessed
        )
        nodes["o_reasons"] = _box(
            f"{w['reports']} excluded",
            list(other.exclusion_reasons.items()),
            other.reports_excluded,
        )

    title_lines = "<br/>".join(_h(x) for x in wrap(diagram.title, 70))
    heading = (
        "Document flow diagram" if diagram.variant == "realist" else "PRISMA 2020 flow diagram"
    )
    label = f'<<font point-size="22"><b>{heading}</b></font><br/><font point-size="15">{title_lines}</font>'
    if diagram.note:
        label += f'<br/><font point-size="14"><i>{_h(diagram.note)}</i></font>'
    label += "<br/>>"

    out = ["digraph prisma {"]
    out.append(
        f"  graph [label={label}, labelloc=t, fontname={_q(FONT)}, rankdir=TB, newrank=true, "
        'nodesep="0.5", ranksep="0.45", pad="0.4", bgcolor=white, splines=polyline]'
    )
    out.append(
        f"  node [shape=box, fontname={_q(FONT)}, fontsize=14, style=filled, fillcolor=white, "
        'color="#404040", penwidth=1.5, width=3.8, margin="0.2,0.12"]'
    )
    out.append('  edge [color="#404040", penwidth=1.5, arrowsize=0.8]')
    header_style = 'style="rounded,filled", fillcolor="#FFE8A3", color="#8C6D00", fontsize=16'
    # Column headers sit at the top of the Identification box, above their columns.
    nodes["main_header"] = f"<<b>{_h(w['main_header'])}</b>>, {header_style}"
    if other is not None:
        nodes["other_header"] = f"<<b>{_h(w['other_header'])}</b>>, {header_style}"
    phases = [
        ("identification", "Identification", ["identified", "removed", "o_identified"]),
        (
            "screening",
            "Screening",
            ["screened", "excluded", "sought", "not_retrieved", "assessed", "reasons",
             "o_sought", "o_not_retrieved", "o_assessed", "o_reasons"],
        ),
        ("included", "Included", ["included"]),
    ]  # fmt: skip
    phases[0][2][:0] = ["main_header", "other_header"]
    for key, name, members in phases:
        out.append(f"  subgraph cluster_{key} {{")
        out.append(
            f'    graph [label=<<font point-size="17"><b>{name}</b></font>>, labeljust=l, '
            'style="rounded,filled", fillcolor="#E8F1FA", color="#0072B2", penwidth=1.5, margin=16]'
        )
        for m in members:
            if m in nodes:
                out.append(f"    {m} [label={nodes[m]}]")
        out.append("  }")
    rows = [
        ["main_header", "other_header"],
        ["identified", "removed", "o_identified"],
        ["screened", "excluded"],
        ["sought", "not_retrieved", "o_sought", "o_not_retrieved"],
        ["assessed", "reasons", "o_assessed", "o_reasons"],
        ["included"],
    ]
    for row in rows:
        present = [r for r in row if r in nodes]
        if len(present) > 1:
            out.append("  {rank=same; " + "; ".join(present) + "}")
        # Left-to-right order within a row.
        for a, b in itertools.pairwise(present):
            out.append(f"  {a} -> {b} [style=invis]")
    edges = [
        ("main_header", "identified", True),
        ("identified", "removed", False),
        ("identified", "screened", False),
        ("screened", "excluded", False),
        ("screened", "sought", False),
        ("sought", "not_retrieved", False),
        ("sought", "assessed", False),
        ("assessed", "reasons", False),
        ("assessed", "included", False),
    ]
    if other is not None:
        edges += [
            ("other_header", "o_identified", True),
            ("o_identified", "o_sought", False),
            ("o_sought", "o_not_retrieved", False),
            ("o_sought", "o_assessed", False),
            ("o_assessed", "o_reasons", False),
            ("o_assessed", "included", False),
        ]
    for a, b, invisible in edges:
        if invisible:
            out.append(f"  {a} -> {b} [style=invis]")
        elif a.endswith("assessed") and b == "included":
            out.append(f"  {a} -> {b} [tailport=s, headport=n]")
        elif _same_row(rows, a, b):
            out.append(f"  {a} -> {b} [tailport=e, headport=w]")  # sideways to an exit box
        else:
            out.append(f"  {a} -> {b} [tailport=s, headport=n]")
    out.append("}")
    return "\n".join(out) + "\n"


def _same_row(rows: list[list[str]], a: str, b: str) -> bool:
    return any(a in row and b in row for row in rows)


def to_markdown(diagram: PrismaDiagram) -> str:
    """The counts as Markdown tables (refuses counts that do not add up)."""
    check_counts(diagram.counts)
    heading = "Document flow" if diagram.variant == "realist" else "PRISMA 2020 flow counts"
    text = diagram.counts.to_markdown(f"{heading}: {clean(diagram.title)}")
    if diagram.note:
        first, rest = text.split("\n", 1)
        text = f"{first}\n\n*{clean(diagram.note)}*\n{rest}"
    return text


def to_json(diagram: PrismaDiagram) -> str:
    """The counts, totals, title and note as JSON (refuses counts that do not add up)."""
    check_counts(diagram.counts)
    data: Mapping[str, object] = {
        "title": clean(diagram.title),
        "note": clean(diagram.note) if diagram.note else None,
        "variant": diagram.variant,
        "counts": diagram.counts.to_dict(),
    }
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
