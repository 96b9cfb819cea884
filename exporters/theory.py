"""The programme theory as a graph: built with networkx, drawn with Graphviz.

``build_graph`` turns the review's clusters into a ``networkx.MultiDiGraph``:

* ``cluster:N`` nodes (kind ``cluster``) with ``contains`` edges to their CMOCs;
* ``cmoc:LABEL`` nodes (kind ``cmoc``) with the statement, parts, direction and status;
* ``cmoc:LABEL:C|M|O`` nodes (kind ``context|mechanism|outcome``) for the parts;
* CMOC-to-CMOC edges (kind ``leads_to``, ``supports``, ``conflicts``) with their notes;
* ``doc:REF`` nodes (kind ``document``) with ``evidence`` edges to the CMOCs citing them.

Every attribute is a plain string, int or bool (never None, lists or dicts) and free of
control characters, so GraphML and GEXF writers accept it and Gephi and yEd open the files.

``to_dot`` draws the graph for people: clusters as boxed groups side by side, direction shown
by colour (Okabe-Ito, safe for colour-blind readers) and by line style (solid: reduces
inequalities, dashed: may worsen them) and spelt out in each box, so it reads in greyscale,
long text wrapped, the review title and a legend on top. The DOT text depends only on the
review's content and order: the same review gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape as _html_escape
from pathlib import Path
from typing import IO, Any, Literal

import networkx as nx

from exporters.text import clean, one_line, wrap
from realist.errors import InvalidInputError
from realist.services.theory import ClusterView

__all__ = [
    "DIRECTION_STYLES",
    "GRAPH_FORMATS",
    "LINK_STYLES",
    "THEORY_FORMATS",
    "DirectionStyle",
    "View",
    "build_graph",
    "graph_to_json",
    "to_dot",
    "write_graph",
]

View = Literal["overview", "detailed"]
GRAPH_FORMATS = ("graphml", "gexf", "json")
THEORY_FORMATS = ("dot", "svg", "png", "pdf", *GRAPH_FORMATS)

FONT = "Helvetica,Arial,sans-serif"


@dataclass(frozen=True)
class DirectionStyle:
    """How a CMOC's direction is drawn: Okabe-Ito colour plus a line style for greyscale."""

    label: str  # plain words, printed in every box and in the legend
    border: str
    fill: str
    style: str  # Graphviz node style
    penwidth: str


# Okabe & Ito (2008) colours: blue #0072B2 and vermillion #D55E00 stay distinct for every
# common colour-vision deficiency; the light fills keep black text at high contrast.
DIRECTION_STYLES: dict[str, DirectionStyle] = {
    "reduces": DirectionStyle(
        "reduces inequalities", "#0072B2", "#E1EFFA", "rounded,filled", "2.5"
    ),
    "may_worsen": DirectionStyle(
        "may worsen inequalities", "#D55E00", "#FBE3D3", "rounded,filled,dashed", "3"
    ),
    "": DirectionStyle("direction not stated", "#595959", "#F2F2F2", "rounded,filled,dotted", "2"),
}

LINK_STYLES: dict[str, dict[str, str]] = {
    "leads_to": {"label": "leads to", "color": "#000000", "style": "solid", "arrowhead": "normal"},
    "supports": {"label": "supports", "color": "#009E73", "style": "dashed", "arrowhead": "normal"},
    "conflicts": {
        "label": "conflicts with",
        "color": "#CC79A7",
        "style": "dotted",
        "arrowhead": "tee",
    },
}
_OTHER_LINK = {"color": "#595959", "style": "solid", "arrowhead": "normal"}

PART_KINDS = (
    ("C", "context", "Context"),
    ("M", "mechanism", "Mechanism"),
    ("O", "outcome", "Outcome"),
)


# ------------------------------------------------------------------------------ the graph


def _s(value: object) -> str:
    return clean(str(value)) if value is not None else ""


def build_graph(
    clusters: Iterable[ClusterView],
    title: str,
    *,
    cluster: int | None = None,
    evidence: bool = True,
    parts: bool = True,
) -> nx.MultiDiGraph:
    """The programme theory as a MultiDiGraph (see the module docstring for its shape).

    ``cluster`` keeps one cluster (links to CMOCs outside it are dropped); ``evidence`` adds
    the cited documents; ``parts`` adds the C/M/O nodes.
    """
    chosen = list(clusters)
    if cluster is not None:
        numbers = [c.number for c in chosen]
        chosen = [c for c in chosen if c.number == cluster]
        if not chosen:
            known = ", ".join(str(n) for n in numbers) or "none"
            raise InvalidInputError(f"no cluster {cluster} in this review (clusters: {known})")
    g = nx.MultiDiGraph(title=_s(title), name="programme theory")
    present: dict[str, str] = {}
    for cl in chosen:
        cid = f"cluster:{cl.number}"
        g.add_node(
            cid,
            kind="cluster",
            label=_s(f"Cluster {cl.number}: {cl.name}" if cl.number else cl.name),
            number=cl.number,
            name=_s(cl.name),
            description=_s(cl.description),
        )
        for c in cl.cmocs:
            nid = f"cmoc:{c.label}"
            present[c.label] = nid
            g.add_node(
                nid,
                kind="cmoc",
                label=_s(c.label),
                cluster=cl.number,
                cluster_name=_s(cl.name),
                statement=_s(c.statement),
                context=_s(c.context),
                mechanism=_s(c.mechanism),
                outcome=_s(c.outcome),
                direction=_s(c.direction),
                status=_s(c.status),
                plain_summary=_s(c.plain_summary),
                documents=len(c.documents),
                excerpts=c.evidence_count,
            )
            g.add_edge(cid, nid, key="contains", kind="contains")
            if parts:
                for letter, kind, _ in PART_KINDS:
                    text = _s(getattr(c, kind))
                    if text:
                        pid = f"{nid}:{letter}"
                        g.add_node(pid, kind=kind, label=text, cmoc=_s(c.label))
                        g.add_edge(nid, pid, key=kind, kind=kind)
    for cl in chosen:
        for c in cl.cmocs:
            for link in c.links_out:
                if link.other in present:
                    g.add_edge(
                        present[c.label],
                        present[link.other],
                        key=link.kind,
                        kind=_s(link.kind),
                        note=_s(link.note),
                    )
    if evidence:
        for cl in chosen:
            for c in cl.cmocs:
                for d in c.documents:
                    did = f"doc:{d.ref}"
                    if did not in g:
                        g.add_node(
                            did,
                            kind="document",
                            label=_s(d.ref),
                            short=_s(d.short),
                            citation=_s(d.citation),
                            year=d.year if d.year is not None else 0,
                            focus=_s(d.focus),
                            progress_plus=_s("; ".join(d.progress_labels)),
                        )
                    g.add_edge(did, present[c.label], key="evidence", kind="evidence")
    return g


def graph_to_json(g: nx.MultiDiGraph) -> str:
    """networkx node-link JSON, keys sorted, ending with a newline."""
    data = nx.node_link_data(g, edges="links")
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_graph(g: nx.MultiDiGraph, target: Path | IO[bytes], fmt: str) -> None:
    """Write `g` as GraphML, GEXF or node-link JSON to a path or a binary file."""
    if fmt not in GRAPH_FORMATS:
        raise InvalidInputError(f"{fmt!r} is not a graph format ({', '.join(GRAPH_FORMATS)})")
    if fmt == "json":
        data = graph_to_json(g).encode("utf-8")
        if isinstance(target, Path):
            target.write_bytes(data)
        else:
            target.write(data)
        return
    where = str(target) if isinstance(target, Path) else target
    if fmt == "graphml":
        nx.write_graphml(g, where, encoding="utf-8", prettyprint=True)
    else:
        nx.write_gexf(g, where, encoding="utf-8", prettyprint=True)


# ------------------------------------------------------------------------------ drawing


def _h(text: str) -> str:
    """Escape text for a Graphviz HTML-like label."""
    return _html_escape(text, quote=True)


def _lines(text: str, width: int) -> str:
    return "<br/>".join(_h(line) for line in wrap(text, width))


def _q(value: str) -> str:
    """A DOT ID: always double-quoted, so no value can break out of it."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


class _Html(str):
    """An HTML-like label built here from escaped text: written to DOT as is."""


def _attrs(**attrs: str) -> str:
    parts = []
    for key, value in attrs.items():
        if isinstance(value, _Html):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={_q(value)}")
    return "[" + ", ".join(parts) + "]"


def _overview_label(data: dict[str, Any], style: DirectionStyle, width: int) -> str:
    text = data.get("outcome") or data.get("statement") or ""
    text = text[:1].upper() + text[1:]  # a box label reads as a sentence
    return _Html(
        f'<<font point-size="18"><b>{_h(data["label"])}</b></font>'
        f'<br/><font point-size="13"><i>{_h(style.label)}</i></font>'
        f"<br/>{_lines(text, width)}>"
    )


def _detailed_label(data: dict[str, Any], style: DirectionStyle, width: int) -> str:
    rows = [
        f'<tr><td align="left"><font point-size="18"><b>CMOC {_h(data["label"])}</b></font>'
        f'  <font point-size="13"><i>{_h(style.label)}</i></font></td></tr>'
    ]
    for letter, kind, name in PART_KINDS:
        text = data.get(kind) or ""
        if not text:
            continue
        rows.append(
            f'<tr><td align="left" balign="left"><b>{name} ({letter})</b><br/>'
            f"{_lines(text, width)}</td></tr>"
        )
    if len(rows) == 1:
        rows.append(
            f'<tr><td align="left" balign="left">{_lines(data.get("statement") or "", width)}</td></tr>'
        )
    return _Html(
        '<<table border="0" cellborder="0" cellspacing="0" cellpadding="4">'
        + "".join(rows)
        + "</table>>"
    )


def _legend_label(
    title: str, subtitle: str, directions: list[str], links: list[str], documents: bool
) -> str:
    cells = []
    for key in directions:
        st = DIRECTION_STYLES[key]
        line = {"reduces": "solid border", "may_worsen": "dashed border"}.get(key, "dotted border")
        cell_style = {"may_worsen": ' style="dashed"', "": ' style="dotted"'}.get(key, "")
        cells.append(
            f'<td border="2" color="{st.border}" bgcolor="{st.fill}"{cell_style} cellpadding="6">'
            f"<b>{_h(st.label.capitalize())}</b><br/>{line}</td>"
        )
    for kind in links:
        ls = LINK_STYLES.get(kind, {"label": kind.replace("_", " ")})
        cells.append(
            f'<td cellpadding="6"><font point-size="20"><b>A &#8594; B</b></font>'
            f"<br/>A&#160;{_h(ls['label'])}&#160;B</td>"
        )
    if documents:
        cells.append(
            '<td border="1" color="#8C6D00" bgcolor="#FFF4CC" cellpadding="6">'
            "<b>Included document</b><br/>(reference number)</td>"
        )
    title_lines = "<br/>".join(_h(x) for x in wrap(title, 80)) or "Programme theory"
    legend = (
        '<tr><td><table border="0" cellspacing="10" cellpadding="2">'
        f"<tr>{''.join(cells)}</tr></table></td></tr>"
        if cells
        else ""  # nothing drawn yet, nothing to explain (an empty row is a syntax error)
    )
    return _Html(
        '<<table border="0" cellspacing="8" cellpadding="2">'
        f'<tr><td><font point-size="26"><b>{title_lines}</b></font></td></tr>'
        f'<tr><td><font point-size="16">{_h(subtitle)}</font></td></tr>'
        f"{legend}</table>>"
    )


def to_dot(g: nx.MultiDiGraph, view: View = "overview", *, width: int | None = None) -> str:
    """DOT text drawing `g` (from ``build_graph``) for people.

    ``overview`` shows each CMOC's id, direction and outcome; ``detailed`` its full context,
    mechanism and outcome. Document nodes in `g` are drawn with edges to the CMOCs they
    support. Deterministic: depends only on the graph's content and insertion order.
    """
    if view not in ("overview", "detailed"):
        raise InvalidInputError(f"view must be overview or detailed, not {view!r}")
    wrap_at = width or (30 if view == "overview" else 44)
    label_of: Callable[[dict[str, Any], DirectionStyle, int], str] = (
        _overview_label if view == "overview" else _detailed_label
    )
    nodes = dict(g.nodes(data=True))
    clusters = [n for n, d in nodes.items() if d["kind"] == "cluster"]
    docs = [n for n, d in nodes.items() if d["kind"] == "document"]
    members: dict[str, list[str]] = {
        c: [v for _, v, k in g.out_edges(c, keys=True) if k == "contains"] for c in clusters
    }
    cmocs = [m for c in clusters for m in members[c]]
    directions = sorted(
        {nodes[m]["direction"] if nodes[m]["direction"] in DIRECTION_STYLES else "" for m in cmocs},
        key=list(DIRECTION_STYLES).index,
    )
    link_edges = [(u, v, d) for u, v, d in g.edges(data=True) if u in cmocs and v in cmocs]
    link_kinds = sorted({d["kind"] for _, _, d in link_edges})
    n_clusters = sum(1 for c in clusters if nodes[c]["number"])
    subtitle = f"{len(cmocs)} context-mechanism-outcome configurations (CMOCs)"
    if len(clusters) == 1:
        subtitle = f"{nodes[clusters[0]]['label']} · {subtitle}"
    else:
        subtitle += f" in {n_clusters} clusters"

    out = ["digraph programme_theory {"]
    out.append(
        "  graph "
        + _attrs(
            label=_legend_label(
                g.graph.get("title", ""), subtitle, directions, link_kinds, bool(docs)
            ),
            labelloc="t",
            labeljust="c",
            fontname=FONT,
            rankdir="LR" if docs else "TB",
            newrank="true",
            nodesep="0.35",
            ranksep="0.45",
            pad="0.4",
            bgcolor="white",
        )
    )
    out.append(
        "  node "
        + _attrs(shape="box", fontname=FONT, fontsize="15", margin="0.18,0.12", color="#595959")
    )
    out.append("  edge " + _attrs(fontname=FONT, fontsize="13", penwidth="2"))
    for c in clusters:
        cd = nodes[c]
        number = cd["number"]
        name = cd["name"]
        heading = f"{number}. {name}" if number else name
        out.append(f"  subgraph cluster_{number} {{")
        out.append(
            "    graph "
            + _attrs(
                label=_Html(f'<<font point-size="21"><b>{_h(heading)}</b></font>>'),
                style="rounded,filled",
                fillcolor="#FAFAFA",
                color="#8C8C8C",
                penwidth="1.5",
                margin="14",
            )
        )
        for m in members[c]:
            md = nodes[m]
            st = DIRECTION_STYLES.get(md["direction"], DIRECTION_STYLES[""])
            out.append(
                f"    {_q(m)} "
                + _attrs(
                    label=label_of(md, st, wrap_at),
                    style=st.style,
                    color=st.border,
                    fillcolor=st.fill,
                    penwidth=st.penwidth,
                    tooltip=one_line(md["statement"]),
                )
            )
        if docs:
            # Left to right: a column of CMOCs, then a column of the documents they cite.
            out.append("    {rank=same; " + "; ".join(_q(m) for m in members[c]) + "}")
        else:
            # Clusters side by side, each stacking its CMOCs in a column in the review's order.
            for a, b in zip(members[c], members[c][1:], strict=False):
                out.append(f"    {_q(a)} -> {_q(b)} [style=invis, weight=10]")
        out.append("  }")
    for u, v, d in link_edges:
        ls = LINK_STYLES.get(d["kind"], {**_OTHER_LINK, "label": d["kind"].replace("_", " ")})
        out.append(
            f"  {_q(u)} -> {_q(v)} "
            + _attrs(
                label=f" {ls['label']} ",
                color=ls["color"],
                fontcolor=ls["color"],
                style=ls["style"],
                arrowhead=ls["arrowhead"],
                penwidth="2.5",
                constraint="false",
                tooltip=one_line(d.get("note", "")),
            )
        )
    if docs:
        out += _document_rows(g, nodes, docs)
    out.append("}")
    return "\n".join(out) + "\n"


def _document_rows(
    g: nx.MultiDiGraph, nodes: dict[str, dict[str, Any]], docs: list[str]
) -> list[str]:
    """Documents in one column right of the CMOCs, with grey edges to the CMOCs they support."""
    out = ["  {rank=same; " + "; ".join(_q(d) for d in docs) + "}"]
    for d in docs:
        dd = nodes[d]
        out.append(
            f"  {_q(d)} "
            + _attrs(
                label=_Html(f"<<b>{_h(dd['label'])}</b>  {_h(dd['short'])}>"),
                shape="note",
                style="filled",
                fillcolor="#FFF4CC",
                color="#8C6D00",
                fontsize="14",
                tooltip=one_line(dd["citation"]),
            )
        )
    # Drawn from the CMOC back to the document, so dot ranks documents after the CMOCs.
    for u, v, k in g.edges(keys=True):
        if k == "evidence":
            out.append(
                f'  {_q(v)} -> {_q(u)} [dir=back, color="#7F7F7F", penwidth=1.2, arrowsize=0.7]'
            )
    return out
