"""The `coding` YAML kind: codes, excerpts and evidence links load and dump losslessly, an initial
code tree loads from a file, and broken files are refused with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from realist.db import migrate
from realist.db.models import CmocEvidence, CmocRevision, Code, Excerpt, ExcerptCode
from realist.db.store import Store
from realist.paths import BUNDLED_FILES
from realist.services.cmoc_edit import create_cmoc, edit_cmoc, link_cmocs, link_evidence
from realist.services.codes import list_codes, rename_code
from realist.services.context import Workspace, resolve_actor, resolve_review_id
from realist.services.excerpts import list_excerpts
from realist.yamlio.loader import load_paths
from realist.yamlio.reader import YamlError
from realist.yamlio.writer import dump_review
from tests.conftest import migrated_sqlite
from tests.factories_coding import FIXTURES, attach_pages, code_phrase, seed_codes
from tests.test_bundled_data import _key_errors, _schema_trees

INITIAL = FIXTURES / "initial-theory.yaml"


def build_review(store: Store, tmp_path: Path) -> Workspace:
    """The example review with codes, two coders' excerpts, evidence, a new CMOC and revisions."""
    load_paths(store, BUNDLED_FILES)
    ws = Workspace(store, resolve_review_id(store), resolve_actor(store, "LLJ"))
    jf = ws.with_actor(resolve_actor(store, "JF"))
    ids = seed_codes(ws)
    doc = attach_pages(ws, "24", tmp_path).document_id
    e1 = code_phrase(
        ws,
        doc,
        "Staff lacked protected time",
        [ids["Time"], ids["Training"]],
        memo="time as context\nsecond line: “quoted”",
        relevance="high",
        relevance_note="speaks to CMOC 5",
        rigour="low",
        rigour_note="one site",
    )
    e2 = code_phrase(jf, doc, "protected time for equity work", [ids["Time"]])
    code_phrase(ws, doc, "Stratified dashboards", [ids["Data"]])
    create_cmoc(ws, "5B", cluster=2, context="busy clinics", mechanism="m", outcome="o")
    link_evidence(ws, "5B", e1.id, "C", note="time pressure")
    link_evidence(ws, "5", e2.id, "M")
    link_evidence(ws, "5", e1.id, "C")
    link_cmocs(ws, "5B", "6")
    edit_cmoc(ws, "5", {"status": "refined"}, rationale="coded 24")
    return ws


def fresh_like(url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    """An empty migrated database on the same backend as `url` (on PostgreSQL a sibling database,
    dropped when the test ends)."""
    if url.startswith("sqlite"):
        return migrated_sqlite(tmp_path / "copy.db")
    import os
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"realist_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(os.environ["REALIST_TEST_PG_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(make_url(url).set(database=name).render_as_string(hide_password=False))

    def drop() -> None:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(drop)
    migrate.upgrade(store)
    return store


def dump_bytes(store: Store, review_id: int, out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in dump_review(store, review_id, out)}


def test_dump_load_dump_is_byte_identical(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source = Store(db_url)
    migrate.upgrade(source)
    ws = build_review(source, tmp_path)
    first = dump_bytes(source, ws.review_id, tmp_path / "one")
    assert set(first) == {"review.yaml", "studies.yaml", "cmocs.yaml", "coding.yaml"}
    coding = yaml.safe_load(first["coding.yaml"])
    assert [c["name"] for c in coding["codes"]] == ["Values", "Resources", "Data"]
    assert [c["name"] for c in coding["codes"][1]["children"]] == ["Time", "Training"]
    assert len(coding["excerpts"]) == 3
    assert _key_errors(coding, (), _schema_trees()["coding"]) == []  # as docs/yaml-schema.md says
    first_excerpt = coding["excerpts"][0]
    assert first_excerpt["codes"] == ["Resources > Time", "Resources > Training"]
    assert first_excerpt["page"] == 2 and first_excerpt["coder"] == "LLJ"
    assert [(e["cmoc"], e["role"]) for e in first_excerpt["evidence"]] == [("5", "C"), ("5B", "C")]
    # Into a fresh database of the same kind (with no full texts) and out again: the same bytes.
    target = fresh_like(db_url, tmp_path, request)
    summary = load_paths(target, [tmp_path / "one"])
    second = dump_bytes(target, summary.review_id, tmp_path / "two")
    assert second == first
    with target.read() as s:
        assert s.scalar(select(func.count()).select_from(Excerpt)) == 3
        assert s.scalar(select(func.count()).select_from(CmocEvidence)) == 3
        assert s.scalar(select(func.count()).select_from(CmocRevision)) == 6
    # Loading the same files again changes nothing (matched on natural keys).
    load_paths(target, [tmp_path / "one"])
    assert dump_bytes(target, summary.review_id, tmp_path / "three") == first
    with target.read() as s:
        assert s.scalar(select(func.count()).select_from(ExcerptCode)) == 4
    source.dispose()


def test_initial_code_tree_loads_with_origins(tmp_path: Path) -> None:
    store = migrated_sqlite(tmp_path / "r.db")
    load_paths(store, BUNDLED_FILES)
    ws = Workspace(store, resolve_review_id(store), resolve_actor(store, "LLJ"))
    summary = load_paths(store, [INITIAL], ws=ws)
    assert summary.files[0].counts == {"codes": 16, "excerpts": 0, "evidence": 0}
    codes = {c.path: c for c in list_codes(ws)}
    assert (
        codes[
            "Values and understanding > Knowledge of inequity > Wider determinants of health"
        ].origin
        == "deductive"
    )
    assert codes["Unexpected effects"].origin == "inductive"
    assert codes["Values and understanding"].description.startswith("What QI staff believe")
    rename_code(ws, codes["Data > Qualitative data"].id, "Interviews")
    load_paths(store, [INITIAL], ws=ws)  # again: matched by path, nothing doubled
    paths = [c.path for c in list_codes(ws)]
    assert len(paths) == 17 and paths.count("Data > Qualitative data") == 1
    assert "Data > Interviews" in paths  # codes absent from the file are kept


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "coding.yaml"
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


EXCERPT = """
schema_version: 1
kind: coding
codes:
  - name: Resources
    children:
      - name: Time
excerpts:
  - document: '24'
    start: 10
    end: 15
    codes: [{code}]
    text: {text}
    evidence:
      - cmoc: {cmoc}
        role: C
"""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"code": "Resources > Money"},
            r"coding.yaml:11: excerpts\[0\].codes\[0\]: no code 'Resources > Money'",
        ),
        (
            {"text": "abc"},
            r"coding.yaml:12: excerpts\[0\].text: text has 3 characters but the span 10-15 has 5",
        ),
        ({"cmoc": "99"}, r"coding.yaml:14: excerpts\[0\].evidence\[0\].cmoc: no CMOC '99'"),
    ],
)
def test_broken_excerpts_are_refused_with_line_and_nothing_loads(
    demo_store: Store, tmp_path: Path, fields: dict[str, str], message: str
) -> None:
    values = {"code": "Resources > Time", "text": "abcde", "cmoc": "5", **fields}
    path = write(tmp_path, EXCERPT.format(**values))
    with pytest.raises(YamlError, match=message):
        load_paths(demo_store, [path])
    with demo_store.read() as s:
        assert s.scalar(select(func.count()).select_from(Code)) == 0  # the codes did not land


def test_other_mistakes(demo_store: Store, tmp_path: Path) -> None:
    dup = write(
        tmp_path,
        """
        schema_version: 1
        kind: coding
        codes:
          - name: Time
          - name: time
        """,
    )
    with pytest.raises(YamlError, match=r"codes\[1\].name: code 'time' appears twice"):
        load_paths(demo_store, [dup])
    doc = write(
        tmp_path, EXCERPT.format(code="Time", text="abcde", cmoc="5").replace("'24'", "'99'")
    )
    with pytest.raises(YamlError, match="no study with ref '99'"):
        load_paths(demo_store, [doc])
    origin = write(
        tmp_path, "schema_version: 1\nkind: coding\ncodes:\n  - {name: A, origin: sideways}\n"
    )
    with pytest.raises(YamlError, match="'sideways' is not one of deductive, inductive"):
        load_paths(demo_store, [origin])


def test_loaded_excerpts_match_a_current_text_and_report_drift_otherwise(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    attached = attach_pages(demo_ws, "24", tmp_path)
    text = "Background"
    good = write(tmp_path, EXCERPT.format(code="Time", text="abcde", cmoc="5"))
    body = yaml.safe_load(good.read_text())
    body["excerpts"][0].update({"start": 0, "end": len(text), "text": text, "page": None})
    body["excerpts"].append(
        {**body["excerpts"][0], "start": 1, "end": 6, "text": "XXXXX", "evidence": []}
    )
    good.write_text(yaml.safe_dump(body), encoding="utf-8")
    load_paths(demo_ws.store, [good], review_id=demo_ws.review_id)
    loaded = {e.start: e for e in list_excerpts(demo_ws, document="24")}
    assert loaded[0].drift is None and loaded[0].page == 1
    assert loaded[0].full_text_id == attached.full_text_id
    assert loaded[1].drift is not None and loaded[1].full_text_id is None
