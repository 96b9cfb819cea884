"""Checks on the bundled example review (data/*.yaml).

Structure is checked against the key lists in docs/yaml-schema.md, so the data and the format
document cannot drift apart. When the reference paper's text is present (next to the shared data),
the CMOC statements, criteria and references are also compared with what the paper prints.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
SCHEMA_DOC = REPO / "docs" / "yaml-schema.md"
PAPER_NAME = "001_7a31b543e0a278f4.txt"

KeyTree = dict[tuple[str, ...], set[str]]

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


# ----------------------------------------------------------------------------- helpers


def _load(name: str) -> dict[str, Any]:
    with (DATA / name).open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    assert isinstance(doc, dict), f"data/{name}: top level must be a mapping"
    return doc


@pytest.fixture(scope="module")
def review() -> dict[str, Any]:
    return _load("review.yaml")


@pytest.fixture(scope="module")
def studies() -> dict[str, Any]:
    return _load("studies.yaml")


@pytest.fixture(scope="module")
def cmocs() -> dict[str, Any]:
    return _load("cmocs.yaml")


def _schema_trees() -> dict[str, KeyTree]:
    """Key paths per kind, read from the ```yaml blocks of docs/yaml-schema.md."""
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    source_keys = re.search(r"`source` \(mapping: ([^)]*)\)", text)
    assert source_keys, "docs/yaml-schema.md no longer lists the keys of `source`"
    trees: dict[str, KeyTree] = {}
    for m in re.finditer(r"^## kind: (\w+)\n.*?```yaml\n(.*?)```", text, flags=re.S | re.M):
        tree: KeyTree = {("source",): set(re.findall(r"`(\w+)`", source_keys.group(1)))}
        stack: list[tuple[int, str]] = []
        for raw in m.group(2).splitlines():
            body = raw.lstrip()
            indent = len(raw) - len(body)
            if body.startswith("- "):
                indent, body = indent + 2, body[2:]
            key = re.match(r"([a-z_]+):", body)
            if not key:
                continue
            while stack and stack[-1][0] >= indent:
                stack.pop()
            tree.setdefault(tuple(k for _, k in stack), set()).add(key.group(1))
            stack.append((indent, key.group(1)))
        trees[m.group(1)] = tree
    return trees


def _key_errors(node: Any, path: tuple[str, ...], tree: KeyTree) -> list[str]:
    """Keys the schema does not know, and mappings where the schema expects a plain value."""
    where = "/".join(path) or "<top>"
    if isinstance(node, list):
        return [e for item in node for e in _key_errors(item, path, tree)]
    if not isinstance(node, dict):
        return []
    allowed = tree.get(path)
    if allowed is None:
        return [f"{where}: a mapping where the schema expects a value"]
    errors = [f"{where}: unknown key {k!r}" for k in node if k not in allowed]
    for key, value in node.items():
        if key in allowed:
            errors += _key_errors(value, (*path, key), tree)
    return errors


def _strip_tags(text: str) -> str:
    return re.sub(r"</?i>", "", text)


def _table3_rows(paper: str) -> tuple[list[str], dict[str, str]]:
    """Cluster headings and CMOC rows (id -> statement) of the paper's Table 3."""
    start = paper.index("Table 3 Context-mechanism-outcome configurations")
    end = paper.index("EFQI, equity-focused quality improvement;", start)
    table = _strip_tags(paper[start:end])
    headings = re.findall(r"^Cluster \w+: (.+?)\t?$", table, flags=re.M)
    rows = dict(re.findall(r"^(\d+[A-Z]?)\t(.+)$", table, flags=re.M))
    return headings, rows


def _reference_list(paper: str) -> str:
    """The reference list as one line: list markers dropped, broken entries re-joined."""
    refs = paper[paper.index("\nREFERENCES\n") :]
    lines = [re.sub(r"^-\s+", "", ln.strip()) for ln in refs.splitlines()]
    return re.sub(r"\s+", " ", " ".join(ln for ln in lines if ln))


def _printed_reference(study: dict[str, Any]) -> str:
    """A study's entry as the paper's reference list prints it (up to volume and pages)."""
    authors = ", ".join(study["authors"]) + (", *et al.*" if study["et_al"] else ".")
    title = study["title"] if study["title"][-1] in "?!" else study["title"] + "."
    entry = f"{authors} {title} *{study['journal']}* {study['year']};{study['volume']}"
    return entry + (f":{study['pages']}" if study["pages"] else "")


def _cited_in(text: str) -> set[str]:
    """Reference numbers cited in text: ^{23 26 27}, ^{34–38} and superscript digits."""
    groups = re.findall(r"\^\{([\d\s–-]+)\}", text)
    groups += [g.translate(SUPERSCRIPTS) for g in re.findall(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+", text)]
    cited: set[str] = set()
    for group in groups:
        for part in group.split():
            lo, _, hi = part.replace("-", "–").partition("–")
            cited.update(str(n) for n in range(int(lo), int(hi or lo) + 1))
    return cited


@pytest.fixture
def paper(shared_data: Path) -> str:
    path = shared_data.parent / "docs" / "seeds" / PAPER_NAME
    if not path.is_file():
        pytest.skip(f"the reference paper's text is not present ({path})")
    return path.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- structure


@pytest.mark.parametrize(
    ("name", "kind"),
    [("review.yaml", "review"), ("studies.yaml", "studies"), ("cmocs.yaml", "cmocs")],
)
def test_files_follow_the_schema_document(name: str, kind: str) -> None:
    doc = _load(name)
    assert doc["schema_version"] == 1
    assert doc["kind"] == kind
    tree = _schema_trees()[kind]
    assert _key_errors(doc, (), tree) == []
    source = doc["source"]
    assert source["license"] == "CC BY 4.0"
    assert source["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert source["doi"] == "10.1136/bmjqs-2024-017386"
    assert source["citation"] and source["note"]


@pytest.mark.parametrize(
    ("name", "list_key"), [("studies.yaml", "studies"), ("cmocs.yaml", "cmocs")]
)
def test_every_documented_field_is_written_out(name: str, list_key: str) -> None:
    # The example states "not stated" explicitly (null / []) so readers see every field.
    documented = _schema_trees()[list_key][(list_key,)]
    for record in _load(name)[list_key]:
        assert set(record) == documented, record.get("id", record.get("ref"))


def test_review_flow_and_vocabularies(review: dict[str, Any]) -> None:
    r = review["review"]
    assert r["title"] and r["registration"] == "PROSPERO CRD42023381062"
    flow = r["reported_flow"]
    assert all(isinstance(v, int) for v in flow.values())
    assert flow["identified"] - flow["duplicates_removed"] == flow["screened"]
    assert flow["screened"] - flow["excluded_title_abstract"] == flow["full_text_assessed"]
    assert flow["full_text_assessed"] - flow["full_text_excluded"] == flow["included"]

    codes = [x["code"] for x in review["exclusion_reasons"]]
    assert len(codes) == len(set(codes))
    for reason in review["exclusion_reasons"]:
        assert reason["stages"] and set(reason["stages"]) <= {"title_abstract", "full_text"}

    tags = review["tags"]
    assert len({t["code"] for t in tags}) == len(tags)
    keys = [t["key"] for t in tags if t["key"] is not None]
    assert all(isinstance(k, str) and len(k) == 1 for k in keys)
    assert len(keys) == len(set(keys)), Counter(keys).most_common(3)
    assert {t["group"] for t in tags} <= {"progress", "plus", "focus", "custom"}
    assert Counter(t["group"] for t in tags)["progress"] == 8

    roles = {x["name"]: x["role"] for x in review["reviewers"]}
    assert roles == {"LLJ": "lead", "JF": "reviewer"}


def test_rameses_has_the_19_items_once(review: dict[str, Any]) -> None:
    items = review["rameses"]
    assert sorted(x["item"] for x in items) == list(range(1, 20))
    # 'yes'/'no' must be quoted in YAML or safe_load turns them into booleans
    assert all(x["reported"] in {"yes", "no", "unclear", None} for x in items)


def test_cmoc_counts_clusters_and_directions(cmocs: dict[str, Any]) -> None:
    items = cmocs["cmocs"]
    ids = [c["id"] for c in items]
    assert all(isinstance(i, str) for i in ids)
    assert len(ids) == 20 and len(set(ids)) == 20
    numbers = [c["number"] for c in cmocs["clusters"]]
    assert numbers == [1, 2, 3, 4]
    per_cluster = Counter(c["cluster"] for c in items)
    assert [per_cluster[n] for n in numbers] == [5, 5, 6, 4]
    assert Counter(c["direction"] for c in items) == {"reduces": 15, "may_worsen": 5}
    assert all(c["status"] in {None, "new", "supported", "refined", "refuted"} for c in items)
    assert all(c["plain_summary"] for c in items)


def test_cmoc_parts_are_inside_the_statement(cmocs: dict[str, Any]) -> None:
    for c in cmocs["cmocs"]:
        statement = c["statement"]
        assert "<i>" not in statement and "(C)" in statement and "(O)" in statement, c["id"]
        for part in ("context", "mechanism", "outcome"):
            assert c[part] and c[part] in statement, (c["id"], part)
        # the three parts do not overlap: each is a different piece of the statement
        spans = sorted(
            (statement.index(c[p]), statement.index(c[p]) + len(c[p]))
            for p in ("context", "mechanism", "outcome")
        )
        assert spans[0][1] <= spans[1][0] and spans[1][1] <= spans[2][0], c["id"]


def test_cmoc_documents_and_links_resolve(cmocs: dict[str, Any], studies: dict[str, Any]) -> None:
    refs = [s["ref"] for s in studies["studies"]]
    assert len(refs) == len(set(refs))
    cited: set[str] = set()
    for c in cmocs["cmocs"]:
        docs = c["documents"]
        assert all(isinstance(d, str) for d in docs), c["id"]
        assert len(docs) == len(set(docs)), c["id"]
        assert set(docs) <= set(refs), (c["id"], set(docs) - set(refs))
        cited.update(docs)
    assert cited == set(refs), f"studies no CMOC cites: {set(refs) - cited}"

    ids = {c["id"] for c in cmocs["cmocs"]}
    for link in cmocs["links"]:
        assert link["from"] in ids and link["to"] in ids and link["from"] != link["to"]
        assert link["kind"] in {"leads_to", "supports", "conflicts"}
        assert link["note"]


def test_study_fields_use_the_review_vocabulary(
    studies: dict[str, Any], review: dict[str, Any]
) -> None:
    equity_tags = {t["code"] for t in review["tags"] if t["group"] in {"progress", "plus"}}
    for s in studies["studies"]:
        assert set(s["progress_plus"]) <= equity_tags, (s["ref"], s["progress_plus"])
        assert s["focus"] in {None, "gap", "targeted"}, s["ref"]
        assert isinstance(s["et_al"], bool) and s["authors"] and s["title"], s["ref"]
        assert s["year"] is None or isinstance(s["year"], int), s["ref"]
        for key in ("volume", "issue", "pages", "doi", "url", "country", "setting", "notes"):
            assert s[key] is None or isinstance(s[key], str), (s["ref"], key)


# ----------------------------------------------------------------------------- against the paper


def test_statements_match_table3_verbatim(cmocs: dict[str, Any], paper: str) -> None:
    headings, rows = _table3_rows(paper)
    assert [c["name"] for c in cmocs["clusters"]] == headings
    ours = {c["id"]: c["statement"] for c in cmocs["cmocs"]}
    assert set(ours) == set(rows)
    for cmoc_id, statement in ours.items():
        assert statement == rows[cmoc_id], cmoc_id


def test_cmocs_are_in_table3_cluster_order(cmocs: dict[str, Any], paper: str) -> None:
    start = paper.index("Table 3 Context-mechanism-outcome configurations")
    table = paper[start : paper.index("EFQI, equity-focused quality improvement;", start)]
    cluster, expected = 0, {}
    for line in table.splitlines():
        if line.startswith("Cluster "):
            cluster += 1
        elif row := re.match(r"^(\d+[A-Z]?)\t", line):
            expected[row.group(1)] = cluster
    assert {c["id"]: c["cluster"] for c in cmocs["cmocs"]} == expected


def test_cited_documents_are_cited_in_the_results(cmocs: dict[str, Any], paper: str) -> None:
    results = paper[paper.index("\nRESULTS\n") : paper.index("\nDISCUSSION\n")]
    cited = _cited_in(results)
    for c in cmocs["cmocs"]:
        assert set(c["documents"]) <= cited, (c["id"], set(c["documents"]) - cited)


def test_study_titles_appear_in_the_reference_list(studies: dict[str, Any], paper: str) -> None:
    ref_list = _reference_list(paper)
    for s in studies["studies"]:
        assert s["title"] in ref_list, s["ref"]


def test_study_details_are_as_printed(studies: dict[str, Any], paper: str) -> None:
    ref_list = _reference_list(paper)
    positions = []
    for s in studies["studies"]:
        entry = _printed_reference(s)
        assert entry in ref_list, (s["ref"], entry)
        if int(s["ref"]) > 23:  # entries from 24 on carry their number in the text
            assert f"{s['ref']} {entry}" in ref_list, s["ref"]
        if s["url"]:
            assert f"<{s['url']}>" in ref_list, s["ref"]
        assert s["doi"] is None or s["doi"] in ref_list, s["ref"]
        positions.append((int(s["ref"]), ref_list.index(entry)))
    assert [p for _, p in sorted(positions)] == sorted(p for _, p in positions)


def test_criteria_are_table1_bullets(review: dict[str, Any], paper: str) -> None:
    start = paper.index("Table 1 Inclusion and exclusion criteria")
    table = paper[start : paper.index("Table 2 PROGRESS Plus criteria")].replace("²²", "")
    criteria = review["criteria"]
    assert len(criteria["inclusion"]) == table.split("\t")[-2].count("▶")
    assert len(criteria["exclusion"]) == table.split("\t")[-1].count("▶")
    for text in criteria["inclusion"] + criteria["exclusion"]:
        assert f"▶ {text}" in table, text
