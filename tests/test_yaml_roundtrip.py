"""YAML -> database -> YAML is lossless, and broken files are refused with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from realist.db import migrate
from realist.db.models import AuditEntry, Cmoc, Document
from realist.db.store import Store
from realist.paths import BUNDLED_FILES
from realist.yamlio.loader import load_paths
from realist.yamlio.reader import YamlError
from realist.yamlio.writer import dump_review, to_yaml
from tests.conftest import migrated_sqlite


def fresh_store(tmp_path: Path, name: str = "r.db") -> Store:
    return migrated_sqlite(tmp_path / name)


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def test_bundled_files_round_trip_byte_for_byte(tmp_path: Path) -> None:
    store = fresh_store(tmp_path)
    summary = load_paths(store, BUNDLED_FILES)
    out = dump_review(store, summary.review_id, tmp_path / "out")
    assert {p.name for p in out} == {"review.yaml", "studies.yaml", "cmocs.yaml"}
    for original in BUNDLED_FILES:
        dumped = tmp_path / "out" / original.name
        assert yaml.safe_load(dumped.read_text()) == yaml.safe_load(original.read_text()), (
            original.name
        )
        assert dumped.read_bytes() == original.read_bytes(), (
            f"{original.name} is not in canonical layout"
        )


def test_round_trip_is_stable_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    store = Store(pg_url)
    migrate.upgrade(store)
    summary = load_paths(store, BUNDLED_FILES)
    dump_review(store, summary.review_id, tmp_path / "pg")
    for original in BUNDLED_FILES:
        assert (tmp_path / "pg" / original.name).read_bytes() == original.read_bytes()
    store.dispose()


EDGE_REVIEW = """
schema_version: 1
kind: review
review:
  title: "Ünïcødé review: 健康の公平性 — ‘quotes’ & \\"double\\" #not-a-comment"
  question: |
    First line,
      indented second line with trailing colon:
    third line — emoji 🧪
  registration: ''
  databases: ['yes', 'no', '1e3', 'null', 'true']
criteria:
  inclusion: []
  exclusion: ["  leading and trailing spaces  "]
tags:
  - {code: race, label: Race/ethnicity/culture/language, group: progress, key: '2', description: null}
reviewers:
  - {name: Zoë, full_name: "Zoë O'Neill", role: lead}
"""

EDGE_STUDIES = """
schema_version: 1
kind: studies
studies:
  - ref: '007'
    authors: ["Ng A", "Ó Súilleabháin B"]
    et_al: true
    title: "<b>Bold</b> & <script>alert(1)</script> titles"
    year: 2001
    volume: 12
    pages: e123
    progress_plus: [race]
    notes: ""
  - ref: '8'
"""

EDGE_CMOCS = """
schema_version: 1
kind: cmocs
clusters:
  - {number: 1, name: Ein Cluster}
cmocs:
  - id: '10'
    cluster: 1
    context: ""
    mechanism: "multi\\nline\\n\\nwith blank line\\n"
    outcome: "tab\\there"
    statement: "When X (C) then Y (O) because Z (M)"
    documents: ['007', '8']
  - id: 1A
links:
  - {from: '10', to: 1A}
"""


def test_edge_cases_round_trip(tmp_path: Path) -> None:
    files = [
        write(tmp_path, "review.yaml", EDGE_REVIEW),
        write(tmp_path, "studies.yaml", EDGE_STUDIES),
        write(tmp_path, "cmocs.yaml", EDGE_CMOCS),
    ]
    store = fresh_store(tmp_path)
    rid = load_paths(store, files).review_id
    first = dump_review(store, rid, tmp_path / "one")
    data = {p.name: yaml.safe_load(p.read_text()) for p in first}
    review = data["review.yaml"]["review"]
    assert review["title"].startswith("Ünïcødé review: 健康の公平性")
    assert (
        review["question"]
        == "First line,\n  indented second line with trailing colon:\nthird line — emoji 🧪\n"
    )
    assert review["databases"] == ["yes", "no", "1e3", "null", "true"]  # still strings
    assert data["review.yaml"]["criteria"]["exclusion"] == ["  leading and trailing spaces  "]
    study = data["studies.yaml"]["studies"][0]
    assert study["ref"] == "007" and study["volume"] == "12" and study["notes"] == ""
    assert study["title"] == "<b>Bold</b> & <script>alert(1)</script> titles"
    cmoc = data["cmocs.yaml"]["cmocs"][0]
    assert (
        cmoc["mechanism"] == "multi\nline\n\nwith blank line\n" and cmoc["outcome"] == "tab\there"
    )
    assert cmoc["documents"] == ["007", "8"]
    assert data["cmocs.yaml"]["links"] == [
        {"from": "10", "to": "1A", "kind": "leads_to", "note": None}
    ]
    # Loading the dump into a fresh database and dumping again gives the same bytes.
    store2 = fresh_store(tmp_path, "r2.db")
    rid2 = load_paths(store2, first).review_id
    second = dump_review(store2, rid2, tmp_path / "two")
    for a, b in zip(sorted(first), sorted(second), strict=True):
        assert a.read_bytes() == b.read_bytes()


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=200,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(statement=texts, notes=texts, summary=texts)
def test_any_text_survives_the_round_trip(
    tmp_path_factory: pytest.TempPathFactory, statement: str, notes: str, summary: str
) -> None:
    tmp = tmp_path_factory.mktemp("rt")
    doc = {
        "schema_version": 1,
        "kind": "cmocs",
        "clusters": [],
        "cmocs": [{"id": "X1", "statement": statement, "notes": notes, "plain_summary": summary}],
    }
    src = tmp / "cmocs.yaml"
    # The input is compared with the original Python strings at the end, so writing it with our own
    # writer still catches any loss (PyYAML's plain dumper writes U+0085 raw and reads back a space).
    src.write_text(to_yaml(doc), encoding="utf-8")
    store = fresh_store(tmp)
    rid = load_paths(store, [src]).review_id
    out = dump_review(store, rid, tmp / "out")
    back = yaml.safe_load((tmp / "out" / "cmocs.yaml").read_text(encoding="utf-8"))["cmocs"][0]
    assert (back["statement"], back["notes"], back["plain_summary"]) == (statement, notes, summary)
    assert out


BROKEN = [
    (
        "syntax.yaml",
        "schema_version: 1\nkind: cmocs\ncmocs:\n  - id: 1A\n   statement: bad indent\n",
        5,
        "invalid YAML at column 4",
    ),
    (
        "tag.yaml",
        "schema_version: 1\nkind: cmocs\ncmocs:\n  - id: !!python/object/apply:os.system ['echo hacked']\n",
        4,
        "unsupported tag",
    ),
    (
        "dupkey.yaml",
        "schema_version: 1\nkind: cmocs\ncmocs: []\ncmocs: []\n",
        4,
        "duplicate key 'cmocs'",
    ),
    (
        "unknown.yaml",
        "schema_version: 1\nkind: cmocs\ncmocs:\n  - id: 1A\n    stament: typo\n",
        5,
        "unknown key",
    ),
    (
        "enum.yaml",
        "schema_version: 1\nkind: cmocs\ncmocs:\n  - id: 1A\n    direction: worse\n",
        5,
        "'worse' is not one of",
    ),
    ("version.yaml", "schema_version: 9\nkind: cmocs\ncmocs: []\n", 1, "newer than this tool"),
    ("nokind.yaml", "schema_version: 1\nkind: recipes\n", 2, "kind must be one of"),
    (
        "noid.yaml",
        "schema_version: 1\nkind: cmocs\ncmocs:\n  - statement: no id\n",
        4,
        "missing required key 'id'",
    ),
    (
        "ref.yaml",
        "schema_version: 1\nkind: cmocs\ncmocs:\n  - id: 1A\n    documents: ['99']\n",
        5,
        "no study with ref '99'",
    ),
    ("empty.yaml", "", None, "empty"),
    ("list.yaml", "- just\n- a list\n", 1, "must be a mapping"),
]


@pytest.mark.parametrize(("name", "body", "line", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_files_get_file_line_and_reason_and_load_nothing(
    tmp_path: Path, name: str, body: str, line: int | None, message: str
) -> None:
    store = fresh_store(tmp_path)
    good = write(tmp_path, "studies.yaml", EDGE_STUDIES)
    bad = tmp_path / name
    bad.write_text(body, encoding="utf-8")
    with pytest.raises(YamlError) as info:
        load_paths(store, [good, bad])
    err = info.value
    assert err.file == str(bad)
    assert err.line == line
    assert message in str(err)
    assert str(err).startswith(f"{bad}:{line}: " if line else f"{bad}: ")
    # Nothing from the good file was written either: one transaction per load.
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_python_tags_never_execute(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bad = write(
        tmp_path,
        "evil.yaml",
        f"""
        schema_version: 1
        kind: cmocs
        cmocs: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path ['{marker}']]
        """,
    )
    with pytest.raises(YamlError, match="unsupported tag"):
        load_paths(fresh_store(tmp_path), [bad])
    assert not marker.exists()


def test_loading_twice_updates_in_place(tmp_path: Path) -> None:
    store = fresh_store(tmp_path)
    load_paths(store, BUNDLED_FILES)
    load_paths(store, BUNDLED_FILES)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Cmoc)) == 20
        assert s.scalar(select(func.count()).select_from(Document)) == 27


def test_lone_surrogates_are_refused_with_the_line(tmp_path: Path) -> None:
    bad = write(tmp_path, "s.yaml", 'schema_version: 1\nkind: cmocs\ncmocs:\n  - id: "A\\ud83e"\n')
    with pytest.raises(YamlError, match=r"s.yaml:4: cmocs\[0\]\.id: contains an invalid character"):
        load_paths(fresh_store(tmp_path), [bad])
