"""The programme theory graph: its shape, GraphML/GEXF/JSON round trips, deterministic DOT,
readable SVG, and clear failure without Graphviz."""

from __future__ import annotations

import io
import json
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from exporters import theory
from exporters.api import ExportRequest, produce
from exporters.render import GraphvizMissingError, render
from realist.errors import InvalidInputError
from realist.services.context import Workspace
from realist.services.theory import programme_theory
from tests.factories_exports import bundled_cmocs, set_cmoc

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
TITLE = "A review"
SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def edge_multiset(g: nx.Graph) -> Counter[tuple[str, str]]:
    return Counter((str(u), str(v)) for u, v in g.edges())


def test_graph_holds_clusters_cmocs_parts_links_and_documents(demo_ws: Workspace) -> None:
    clusters = programme_theory(demo_ws)
    g = theory.build_graph(clusters, TITLE)
    kinds = Counter(d["kind"] for _, d in g.nodes(data=True))
    source = bundled_cmocs()
    parts = sum(1 for c in source for k in ("context", "mechanism", "outcome") if c[k])
    docs = {ref for c in source for ref in c["documents"]}
    assert kinds == {
        "cluster": 4,
        "cmoc": 20,
        "context": sum(1 for c in source if c["context"]),
        "mechanism": sum(1 for c in source if c["mechanism"]),
        "outcome": sum(1 for c in source if c["outcome"]),
        "document": len(docs),
    }
    assert sum(kinds[k] for k in ("context", "mechanism", "outcome")) == parts
    for c in source:
        node = g.nodes[f"cmoc:{c['id']}"]
        assert node["statement"] == c["statement"]
        assert node["direction"] == c["direction"]
        assert g.has_edge(f"cluster:{c['cluster']}", f"cmoc:{c['id']}")
        for ref in c["documents"]:
            assert g.has_edge(f"doc:{ref}", f"cmoc:{c['id']}", key="evidence")
    leads = [(u, v) for u, v, k in g.edges(keys=True) if k == "leads_to"]
    assert sorted(leads) == [("cmoc:12", "cmoc:14"), ("cmoc:13", "cmoc:14")]


def test_one_cluster_without_evidence_or_parts(demo_ws: Workspace) -> None:
    g = theory.build_graph(programme_theory(demo_ws), TITLE, cluster=4, evidence=False, parts=False)
    assert sorted(n for n, d in g.nodes(data=True) if d["kind"] == "cmoc") == [
        "cmoc:12",
        "cmoc:13",
        "cmoc:14",
        "cmoc:15",
    ]
    assert {d["kind"] for _, d in g.nodes(data=True)} == {"cluster", "cmoc"}
    with pytest.raises(InvalidInputError, match=r"no cluster 9 .*clusters: 1, 2, 3, 4"):
        theory.build_graph(programme_theory(demo_ws), TITLE, cluster=9)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graphml_and_gexf_read_back_as_the_same_graph(demo_ws: Workspace, fmt: str) -> None:
    set_cmoc(demo_ws, "2", notes=None, status=None, plain_summary="bell\x07 & <b>tag</b>\x00")
    g = theory.build_graph(programme_theory(demo_ws), TITLE)
    buf = io.BytesIO()
    theory.write_graph(g, buf, fmt)
    buf.seek(0)
    back = nx.read_graphml(buf) if fmt == "graphml" else nx.read_gexf(buf)
    assert set(map(str, back.nodes)) == set(g.nodes)
    assert edge_multiset(back) == edge_multiset(g)
    for label in ("1A", "7B", "15"):
        node = f"cmoc:{label}"
        assert back.nodes[node]["statement"] == g.nodes[node]["statement"]
        assert back.nodes[node]["direction"] == g.nodes[node]["direction"]
    # Control characters are gone, the rest of the text is kept as is.
    assert back.nodes["cmoc:2"]["plain_summary"] == "bell & <b>tag</b>"


def test_node_link_json_reads_back(demo_ws: Workspace) -> None:
    g = theory.build_graph(programme_theory(demo_ws), TITLE)
    data = json.loads(theory.graph_to_json(g))
    back = nx.node_link_graph(data, edges="links")
    assert set(back.nodes) == set(g.nodes)
    assert edge_multiset(back) == edge_multiset(g)
    assert back.graph["title"] == TITLE


def test_attributes_are_plain_values(demo_ws: Workspace) -> None:
    g = theory.build_graph(programme_theory(demo_ws), TITLE)
    values = [v for _, d in g.nodes(data=True) for v in d.values()]
    values += [v for _, _, d in g.edges(data=True) for v in d.values()]
    assert values and all(isinstance(v, str | int | bool) for v in values)


def test_dot_is_the_same_bytes_for_the_same_review(demo_ws: Workspace, tmp_path: Path) -> None:
    from realist.cli.core import create_demo
    from realist.services.context import resolve_review_id

    first = produce(demo_ws, ExportRequest("theory", "dot", tmp_path / "a.dot"))
    again = produce(demo_ws, ExportRequest("theory", "dot", tmp_path / "b.dot"))
    # A second database with the same review (other row ids, other times) gives the same text.
    other = create_demo(tmp_path / "other.db")
    ws2 = Workspace(other, resolve_review_id(other))
    third = produce(ws2, ExportRequest("theory", "dot", tmp_path / "c.dot"))
    assert first == again == third
    set_cmoc(demo_ws, "1A", outcome="something else entirely")
    assert produce(demo_ws, ExportRequest("theory", "dot", tmp_path / "d.dot")) != first


def test_dot_escapes_text_from_the_review(demo_ws: Workspace) -> None:
    set_cmoc(demo_ws, "1A", outcome='a <b>bold</b> "quoted" & \\ claim', statement='x" ] ; y')
    g = theory.build_graph(programme_theory(demo_ws), TITLE)
    dot = theory.to_dot(g, "overview")
    assert "&lt;b&gt;bold&lt;/b&gt;" in dot and "<b>bold</b>" not in dot
    assert 'tooltip="x\\" ] ; y"' in dot


@needs_dot
@pytest.mark.parametrize("view", ["overview", "detailed"])
def test_svg_shows_every_cmoc_and_the_legend(demo_ws: Workspace, view: str) -> None:
    set_cmoc(demo_ws, "1A", outcome="<script>alert(1)</script> & more")
    g = theory.build_graph(programme_theory(demo_ws), TITLE, evidence=False, parts=False)
    svg = render(theory.to_dot(g, view), "svg")
    texts = svg_texts(svg)  # parses as XML or fails
    joined = " ".join(texts)
    for c in bundled_cmocs():
        expected = c["id"] if view == "overview" else f"CMOC {c['id']}"
        assert expected in texts, f"CMOC {c['id']} missing from the {view} SVG"
    assert "Reduces inequalities" in joined and "May worsen inequalities" in joined
    assert TITLE in joined
    assert "<script>" in joined  # shown as text ...
    assert b"<script>" not in svg  # ... never as markup
    if view == "detailed":
        assert texts.count("Mechanism (M)") == sum(1 for c in bundled_cmocs() if c["mechanism"])


@needs_dot
def test_direction_reads_in_greyscale(demo_ws: Workspace) -> None:
    """May-worsen boxes have dashed borders, reduces boxes solid ones, and say so in words."""
    g = theory.build_graph(programme_theory(demo_ws), TITLE, evidence=False, parts=False)
    root = ET.fromstring(render(theory.to_dot(g, "overview"), "svg"))
    for c in bundled_cmocs():
        node = next(
            n
            for n in root.iter(f"{SVG}g")
            if n.get("class") == "node" and (n.findtext(f"{SVG}title") or "") == f"cmoc:{c['id']}"
        )
        outline = next(node.iter(f"{SVG}path"), None)
        assert outline is not None
        dashed = outline.get("stroke-dasharray") is not None
        assert dashed == (c["direction"] == "may_worsen"), c["id"]
        words = " ".join(t.text or "" for t in node.iter(f"{SVG}text"))
        assert ("may worsen inequalities" in words) == (c["direction"] == "may_worsen")


@needs_dot
def test_evidence_view_draws_documents(demo_ws: Workspace) -> None:
    g = theory.build_graph(programme_theory(demo_ws), TITLE, cluster=4, evidence=True, parts=False)
    texts = svg_texts(render(theory.to_dot(g, "overview"), "svg"))
    refs = {ref for c in bundled_cmocs() if c["cluster"] == 4 for ref in c["documents"]}
    assert refs and refs <= set(texts)


def test_without_dot_rendered_formats_fail_and_the_rest_work(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("dot") is None
    for fmt in ("svg", "png", "pdf"):
        with pytest.raises(GraphvizMissingError) as err:
            produce(demo_ws, ExportRequest("theory", fmt, tmp_path / f"t.{fmt}"))
        message = str(err.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "https://graphviz.org/download/" in message
    for fmt in ("dot", "graphml", "gexf", "json"):
        assert produce(demo_ws, ExportRequest("theory", fmt, tmp_path / f"t.{fmt}"))


@needs_dot
def test_a_review_without_cmocs_still_draws(tmp_path: Path) -> None:
    from exporters.ppi import write_pack
    from realist.services.export_data import review_info
    from realist.services.reviews import create_review
    from tests.conftest import migrated_sqlite

    store = migrated_sqlite(tmp_path / "empty.db")
    ws = Workspace(store, create_review(store, "Nothing <yet>"))
    g = theory.build_graph(programme_theory(ws), "Nothing <yet>")
    assert g.number_of_nodes() == 0
    assert "Nothing <yet>" in svg_texts(render(theory.to_dot(g), "svg"))
    pack = write_pack(programme_theory(ws), review_info(ws), tmp_path / "pack", pdf=False)
    page = pack.html.read_text(encoding="utf-8")
    assert "wrote down 0 ideas" in page and "drawing on 0 studies" in page
    assert "No studies are linked to these ideas yet." in page
