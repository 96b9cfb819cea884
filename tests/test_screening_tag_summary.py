"""Tag summaries: included documents counted by PROGRESS-Plus category and gap / targeted."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from realist.cli import cli
from realist.db.models import Resolution, Reviewer
from realist.services import screening as sc
from realist.services.context import Workspace
from realist.services.fulltext import mark_not_retrieved
from realist.services.tag_summary import included_tag_sets, tag_summary
from tests.conftest import migrated_sqlite
from tests.factories_screening import (
    add_batch,
    add_document,
    as_reviewer,
    screening_workspace,
    workspace_at,
)

TA, FT = "title_abstract", "full_text"


def resolve(ws: Workspace, record: int, stage: str, decision: str, by: str = "LLJ") -> None:
    with ws.store.transaction() as s:
        who = s.query(Reviewer.id).filter(Reviewer.name == by).scalar()
        s.add(
            Resolution(
                review_id=ws.review_id,
                record_id=record,
                stage=stage,
                decision=decision,
                decided_by_id=who,
            )
        )


def build(ws: Workspace) -> list[int]:
    llj, jf = ws, as_reviewer(ws, "JF")
    r = add_batch(ws, 7)
    for x in r:
        sc.decide(llj, x, TA, "include")
    # r0: both include at full text; tags are the union of both reviewers'
    sc.decide(llj, r[0], FT, "include")
    sc.decide(jf, r[0], FT, "include")
    sc.toggle_tag(llj, r[0], "race")
    sc.toggle_tag(jf, r[0], "ses")
    sc.toggle_tag(llj, r[0], "gap")
    # r1: LLJ include, JF exclude, resolved include: only LLJ's decision stands
    sc.decide(llj, r[1], FT, "include")
    sc.decide(jf, r[1], FT, "exclude", reason="lmic")
    sc.toggle_tag(llj, r[1], "gender")
    sc.toggle_tag(jf, r[1], "religion")
    resolve(ws, r[1], FT, "include")
    # r2: maybe vs exclude, resolved include by the lead: everyone who decided, and the lead
    sc.decide(llj, r[2], FT, "exclude", reason="lmic")
    sc.decide(jf, r[2], FT, "maybe")
    sc.toggle_tag(jf, r[2], "plus_personal")
    resolve(ws, r[2], FT, "include")
    # r3: excluded at full text: not included, whatever its tags
    sc.decide(llj, r[3], FT, "exclude", reason="not_qi")
    sc.toggle_tag(llj, r[3], "race")
    # r4: included at title/abstract only so far (provisional), tagged targeted
    sc.toggle_tag(llj, r[4], "targeted")
    # r5: not retrieved: not included
    mark_not_retrieved(ws, r[5])
    sc.toggle_tag(llj, r[5], "race")
    # r6: tag put on then taken off
    sc.toggle_tag(llj, r[6], "place")
    sc.toggle_tag(llj, r[6], "place")
    # documents: one standing for r6 adds its own codes; one with no record
    add_document(ws, "linked", record_id=r[6], progress_plus=["education"], focus="gap")
    add_document(ws, "outside", progress_plus=["race", "plus_relationships"], focus="targeted")
    return r


def test_included_documents_and_their_tags(db_url: str) -> None:
    ws = workspace_at(db_url)
    build(ws)
    sets, provisional, from_records = included_tag_sets(ws)
    expected = [
        {"race", "plus_relationships", "targeted"},  # the document without a record
        {"race", "ses", "gap"},  # r0
        {"gender"},  # r1 (JF's religion tag does not stand)
        {"plus_personal"},  # r2
        {"targeted"},  # r4
        {"education", "gap"},  # r6 (its tag was taken off; the document's codes count)
    ]
    assert sorted(sets, key=sorted) == sorted(expected, key=sorted)
    assert (provisional, from_records) == (2, 5)  # r4 and r6 are title/abstract includes


def test_summary_counts_and_renderings(tmp_path: Path) -> None:
    ws = screening_workspace(migrated_sqlite(tmp_path / "t.db"))
    build(ws)
    summary = tag_summary(ws)
    counts = {t.code: t.documents for t in summary.tags}
    assert (summary.documents, summary.from_records, summary.from_documents) == (6, 5, 1)
    assert counts["race"] == 2 and counts["ses"] == 1 and counts["gender"] == 1
    assert counts["religion"] == 0 and counts["place"] == 0
    assert (counts["gap"], counts["targeted"]) == (2, 2)
    assert summary.plus_any == 2 and summary.no_focus == 2
    data = summary.to_dict()
    assert data["progress"]["Race/ethnicity/culture/language"] == 2
    assert data["plus_any"] == 2 and data["focus"] == {"Gap": 2, "Targeted": 2, "neither": 2}
    md = summary.to_markdown()
    assert "| Race/ethnicity/culture/language | 2 | 33 |" in md
    assert "| Plus (any) | 2 | 33 |" in md and "| Neither | 2 | 33 |" in md


def test_bundled_studies_count_as_included_documents(demo_ws: Workspace) -> None:
    summary = tag_summary(demo_ws)
    assert summary.documents == 27 and summary.from_records == 0
    # studies.yaml: 12 [race], 1 [race, ses], 1 [race, gender, ses], 3 [plus_personal]
    by = {t.code: t.documents for t in summary.tags}
    assert (by["race"], by["ses"], by["gender"], summary.plus_any) == (14, 2, 1, 3)


def test_cli_tags_summary(tmp_path: Path) -> None:
    ws = screening_workspace(migrated_sqlite(tmp_path / "c.db"))
    build(ws)
    db = str(tmp_path / "c.db")
    r = CliRunner().invoke(
        cli, ["--db", db, "tags", "summary", "--format", "json"], catch_exceptions=False
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["by_code"]["race"] == 2
    r = CliRunner().invoke(cli, ["--db", db, "tags", "summary"], catch_exceptions=False)
    assert "Included documents by PROGRESS-Plus" in r.output
