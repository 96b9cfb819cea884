"""Team mode on PostgreSQL: each reviewer connects with their own database role, and the
database itself enforces what they may read and write, even from a raw SQL client.

Every test here connects as the roles `realist team setup --apply` created (see
tests/factories_team.py: roles are unique to the test database and dropped afterwards).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, ProgrammingError

from realist.errors import PermissionDeniedError
from realist.services import decisions_import, screening
from realist.services.context import resolve_actor
from realist.services.team import connected_reviewer
from tests.factories_team import TeamDb, draw_sample, open_comparison, team_database

pytestmark = pytest.mark.pg

TA = "title_abstract"


@pytest.fixture
def team(pg_url: str) -> Iterator[TeamDb]:
    with team_database(pg_url) as db:
        yield db


def ids(db: TeamDb) -> dict[str, int]:
    with db.raw("LEAD").connect() as c:
        return {n: i for n, i in c.execute(text("SELECT name, id FROM reviewers"))}


def records(db: TeamDb) -> list[int]:
    with db.raw("LEAD").connect() as c:
        return list(c.scalars(text("SELECT id FROM records ORDER BY id")))


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as c:
        return list(c.execute(text(sql), params))


def refused(engine: Engine, sql: str, **params: Any) -> str:
    """Run `sql`; return the database's refusal message (fails the test if it is accepted)."""
    with engine.connect() as c:
        try:
            c.execute(text(sql), params)
        except DBAPIError as exc:
            return str(exc.orig)
    raise AssertionError(f"the database accepted: {sql}")


def affected(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as c:
        return int(c.execute(text(sql), params).rowcount)


def screen_some(db: TeamDb, rec: list[int]) -> None:
    """A and B screen at title/abstract and tag; A also decides one record at full text."""
    a, b = db.ws("A"), db.ws("B")
    for rid in rec[:4]:
        screening.decide(a, rid, TA, "include", note=f"A's note on {rid}")
        screening.toggle_tag(a, rid, "race", TA)
    screening.toggle_tag(a, rec[0], "gap")  # a tag with no stage
    screening.decide(b, rec[0], TA, "exclude", note="B's note")
    screening.toggle_tag(b, rec[0], "gap", TA)


# --------------------------------------------------------------------------------------------
# The application works through each role's own connection


def test_each_reviewer_connects_as_themselves(team: TeamDb) -> None:
    for name in ("LEAD", "A", "B", "C", "O"):
        assert connected_reviewer(team.store(name)) == name
        # Without --reviewer, a connection under a reviewer's own role acts as that reviewer.
        actor = resolve_actor(team.store(name), None)
        assert actor is not None and actor.name == name
    rec = records(team)
    screen_some(team, rec)
    view = screening.record_view(team.ws("A"), rec[0], TA)
    assert view.mine is not None and view.mine.decision == "include"
    assert [o.reviewer for o in view.others] == ["B"]  # no sample yet: nobody is blinded
    assert screening.undo_last(team.ws("B"), TA) is not None


# --------------------------------------------------------------------------------------------
# Blinding, enforced by PostgreSQL


def test_blinded_second_reviewer_cannot_read_first_reviewers_work_with_raw_sql(
    team: TeamDb, tmp_path: Path
) -> None:
    rec = records(team)
    who = ids(team)
    screen_some(team, rec)
    # The lead imports decisions A made in another tool (the audit entry is the lead's, about A).
    with team.raw("LEAD").connect() as c:
        sid = c.execute(text("SELECT source_id FROM records WHERE id = :r"), {"r": rec[5]}).scalar()
    csv = tmp_path / "a.csv"
    csv.write_text(f"source_id,decision,note\n{sid},exclude,A's note via import\n")
    decisions_import.import_decisions(team.ws("LEAD"), csv, "A")
    sample = draw_sample(team.ws("LEAD"), "A", "B", rec[:2])
    # A resolution at the sample's stage, on a record outside the sample (it would give A away).
    with team.raw("LEAD").connect() as c:
        c.execute(
            text(
                "INSERT INTO resolutions (review_id, record_id, stage, decision, rationale, "
                "decided_at) VALUES (:rv, :r, 'title_abstract', 'include', 'agreed', now())"
            ),
            {"rv": team.review_id, "r": rec[3]},
        )
    b = team.raw("B")
    assert rows(b, "SELECT count(*) AS n FROM resolutions")[0].n == 0
    assert rows(team.raw("A"), "SELECT count(*) AS n FROM resolutions")[0].n == 1

    # Not one of A's title/abstract decisions, on any record (sampled or not), nor their notes.
    seen = rows(b, "SELECT reviewer_id, record_id, note FROM screening_decisions")
    assert {r.reviewer_id for r in seen} == {who["B"]}
    assert (
        rows(b, "SELECT count(*) AS n FROM screening_decisions WHERE reviewer_id = :a", a=who["A"])[
            0
        ].n
        == 0
    )
    assert not rows(b, "SELECT 1 FROM screening_decisions WHERE note LIKE 'A''s note%'")
    # ... nor A's tags at that stage or without a stage; B's own stay visible.
    tags = rows(b, "SELECT reviewer_id FROM record_tags")
    assert {t.reviewer_id for t in tags} == {who["B"]}
    # ... nor the audit entries of A's screening actions (which carry the decisions).
    audit = rows(b, "SELECT action, details FROM audit_log WHERE reviewer_id = :a", a=who["A"])
    assert not [x for x in audit if x.action.startswith("screening.")]
    assert not rows(b, "SELECT 1 FROM audit_log WHERE action = 'screening.import'")
    assert not rows(b, "SELECT 1 FROM audit_log WHERE details::text LIKE '%A''s note%'")
    # Turning row security off is refused rather than revealing anything.
    with b.connect() as c:
        c.execute(text("SET row_security = off"))
        with pytest.raises(ProgrammingError, match="row-level security"):
            c.execute(text("SELECT * FROM screening_decisions")).all()
        c.execute(text("RESET row_security"))

    # The services on B's connection see the same: A's work is absent.
    view = screening.record_view(team.ws("B"), rec[0], TA)
    assert view.others == () and all(r != "A" for r, _ in view.other_tags)

    # Others are not blinded: A sees B's decision, the lead and the observer see everything.
    a_sees = rows(team.raw("A"), "SELECT DISTINCT reviewer_id FROM screening_decisions")
    assert {r.reviewer_id for r in a_sees} == {who["A"], who["B"]}
    for name in ("LEAD", "O", "C"):
        n = rows(team.raw(name), "SELECT count(*) AS n FROM screening_decisions")[0].n
        assert n == 6, name

    # Opening the comparison lifts the blinding.
    open_comparison(team.ws("LEAD"), sample)
    seen = rows(b, "SELECT DISTINCT reviewer_id FROM screening_decisions")
    assert {r.reviewer_id for r in seen} == {who["A"], who["B"]}
    assert len(rows(b, "SELECT 1 FROM record_tags WHERE reviewer_id = :a", a=who["A"])) == 5
    assert rows(b, "SELECT count(*) AS n FROM resolutions")[0].n == 1


def test_blinding_is_per_stage_and_per_pair(team: TeamDb) -> None:
    rec = records(team)
    who = ids(team)
    screen_some(team, rec)
    lead = team.raw("LEAD")
    # A full-text decision of A (written by the owner: the stage's eligibility is not the point).
    with team.raw("LEAD").connect() as c:
        c.execute(
            text(
                "INSERT INTO screening_decisions (review_id, record_id, reviewer_id, stage, "
                "decision, source, is_current, created_at) VALUES (:rv, :r, :a, 'full_text', "
                "'include', 'cli', true, now())"
            ),
            {"rv": team.review_id, "r": rec[0], "a": who["A"]},
        )
    screening.toggle_label(team.ws("A"), rec[1], "Rural setting", TA)  # a custom label of A's
    draw_sample(team.ws("LEAD"), "A", "B", rec[:2], stage="full_text")
    b = team.raw("B")
    stages = {
        r.stage
        for r in rows(b, "SELECT stage FROM screening_decisions WHERE reviewer_id = :a", a=who["A"])
    }
    assert stages == {TA}  # A's full-text work is hidden, title/abstract is not
    # Tags of A are hidden at every stage (a tag set at title/abstract stays on at full text).
    assert not rows(b, "SELECT stage FROM record_tags WHERE reviewer_id = :a", a=who["A"])
    # ... and so are the audit entries about them and the custom labels A typed, while A's
    # title/abstract decisions stay in the audit trail as they do in the table.
    audit = rows(b, "SELECT action, details FROM audit_log WHERE reviewer_id = :a", a=who["A"])
    assert {x.action for x in audit} == {"screening.decide"}
    assert not rows(b, "SELECT 1 FROM audit_log WHERE details::text LIKE '%Rural setting%'")
    # The lead who drew the sample is never blinded, even when they are the second reviewer.
    draw_sample(team.ws("LEAD"), "A", "LEAD", rec[:2])
    assert (
        rows(
            lead, "SELECT count(*) AS n FROM screening_decisions WHERE reviewer_id = :a", a=who["A"]
        )[0].n
        == 5
    )
    # A (the first reviewer) is never blinded from B.
    assert (
        rows(
            team.raw("A"),
            "SELECT count(*) AS n FROM screening_decisions WHERE reviewer_id = :b",
            b=who["B"],
        )[0].n
        == 1
    )


def test_blinded_reviewer_cannot_lift_the_blinding_or_touch_the_sample(team: TeamDb) -> None:
    rec = records(team)
    screen_some(team, rec)
    sample = draw_sample(team.ws("LEAD"), "A", "B", rec[:2])
    b = team.raw("B")
    assert "permission denied" in refused(
        b, "UPDATE samples SET comparison_opened_at = now() WHERE id = :s", s=sample
    )
    assert "permission denied" in refused(b, "DELETE FROM samples WHERE id = :s", s=sample)
    assert "permission denied" in refused(b, "UPDATE reviewers SET role = 'lead' WHERE name = 'B'")
    assert "permission denied" in refused(b, "UPDATE reviewers SET db_role = 'x' WHERE name = 'A'")
    # Policies and their functions belong to the owner.
    assert "must be owner" in refused(
        b, "ALTER TABLE screening_decisions DISABLE ROW LEVEL SECURITY"
    )
    assert re.search(
        "must be owner|permission denied",
        refused(
            b,
            "CREATE OR REPLACE FUNCTION public.realist_reviewer_id() RETURNS integer "
            "LANGUAGE sql AS 'SELECT 1'",
        ),
    )
    # A look-alike function or table earlier on the search path changes nothing (the policies
    # name their schema).
    with b.connect() as c:
        c.execute(text("CREATE TEMP TABLE samples (id int)"))
        c.execute(text("SET search_path = pg_temp, public"))
        n = c.execute(text("SELECT count(*) FROM public.screening_decisions")).scalar_one()
    assert n == 1


# --------------------------------------------------------------------------------------------
# Writes: only under one's own reviewer id, only what the role allows


def test_reviewers_write_only_their_own_decisions_and_tags(team: TeamDb) -> None:
    rec = records(team)
    who = ids(team)
    screen_some(team, rec)
    b = team.raw("B")
    insert = (
        "INSERT INTO screening_decisions (review_id, record_id, reviewer_id, stage, decision, "
        "source, is_current, created_at) VALUES (:rv, :r, :who, 'title_abstract', 'include', "
        "'cli', true, now())"
    )
    msg = refused(b, insert, rv=team.review_id, r=rec[5], who=who["A"])
    assert "row-level security" in msg
    assert affected(b, insert, rv=team.review_id, r=rec[5], who=who["B"]) == 1
    # A's rows cannot be flipped, retracted or reassigned by B (they are not even visible).
    assert (
        affected(
            b,
            "UPDATE screening_decisions SET is_current = false WHERE reviewer_id = :a",
            a=who["A"],
        )
        == 0
    )
    assert "permission denied" in refused(
        b,
        "UPDATE screening_decisions SET reviewer_id = :a WHERE reviewer_id = :b",
        a=who["A"],
        b=who["B"],
    )
    # Decisions are appended: the decision itself is never rewritten, nor deleted.
    assert "permission denied" in refused(
        b, "UPDATE screening_decisions SET decision = 'include' WHERE reviewer_id = :b", b=who["B"]
    )
    assert "permission denied" in refused(b, "DELETE FROM screening_decisions")
    assert "permission denied" in refused(b, "TRUNCATE screening_decisions")
    tag = (
        "INSERT INTO record_tags (record_id, tag_id, reviewer_id, stage, is_current, created_at) "
        "SELECT :r, id, :who, 'title_abstract', true, now() FROM tag_defs WHERE code = 'race'"
    )
    assert "row-level security" in refused(b, tag, r=rec[5], who=who["A"])
    # Audit entries only under one's own id, and never changed or removed.
    audit = (
        "INSERT INTO audit_log (at, review_id, reviewer_id, actor, action, details) "
        "VALUES (now(), :rv, :who, 'x', 'forged', '{}')"
    )
    assert "row-level security" in refused(b, audit, rv=team.review_id, who=who["A"])
    assert affected(b, audit, rv=team.review_id, who=who["B"]) == 1
    for name in ("B", "LEAD"):
        eng = team.raw(name)
        assert "permission denied" in refused(eng, "UPDATE audit_log SET actor = 'x'")
        assert "permission denied" in refused(eng, "DELETE FROM audit_log")
        assert "permission denied" in refused(eng, "TRUNCATE audit_log")


def test_the_database_refuses_what_the_role_may_not_do_even_past_the_services(
    team: TeamDb,
) -> None:
    """A connection acting in the services as a lead it is not: the service check passes, the
    database refuses."""
    rec = records(team)
    # The observer's connection pretending to be the lead.
    fake = team.ws("O", acting_as="LEAD")
    with pytest.raises(ProgrammingError, match="permission denied"):
        screening.decide(fake, rec[0], TA, "include")
    # The coder's connection pretending to be reviewer A.
    fake = team.ws("C", acting_as="A")
    with pytest.raises(ProgrammingError, match="permission denied"):
        screening.decide(fake, rec[0], TA, "include")
    # Reviewer B's connection acting as reviewer A: writes under A's id are refused.
    fake = team.ws("B", acting_as="A")
    with pytest.raises(ProgrammingError, match="row-level security"):
        screening.decide(fake, rec[0], TA, "include")
    # The services refuse it first when the connection and the actor agree.
    with pytest.raises(PermissionDeniedError):
        screening.decide(team.ws("C"), rec[0], TA, "include")
    with team.raw("LEAD").connect() as c:
        assert c.execute(text("SELECT count(*) FROM screening_decisions")).scalar_one() == 0


ROLE_TABLE_WRITES = {
    # table: roles that may INSERT into it (besides the lead)
    "records": {"A"},
    "screening_decisions": {"A"},
    "excerpts": {"A", "C"},
    "codes": {"A", "C"},
    "cmocs": {"A"},
    "reviewers": set(),
    "samples": set(),
    "resolutions": set(),
    "criteria": set(),
}


def test_table_privileges_per_role(team: TeamDb) -> None:
    """INSERT privilege on each table per role, from the catalogue (what a raw client gets)."""
    for name in ("LEAD", "A", "C", "O"):
        with team.raw(name).connect() as c:
            for table, writers in ROLE_TABLE_WRITES.items():
                may_insert, may_read = c.execute(
                    text(
                        "SELECT has_table_privilege(current_user, :t, 'INSERT'), "
                        "has_table_privilege(current_user, :t, 'SELECT')"
                    ),
                    {"t": table},
                ).one()
                assert may_insert is (name == "LEAD" or name in writers), (name, table)
                assert may_read is True, (name, table)


def test_a_role_that_is_no_reviewer_sees_nothing_a_blind_sample_hides(team: TeamDb) -> None:
    """Someone an administrator put in a group by hand, without a reviewer of their own, is
    treated like the second reviewer of every blind sample (as the services treat a workspace
    with no reviewer)."""
    rec = records(team)
    screen_some(team, rec)
    draw_sample(team.ws("LEAD"), "A", "B", rec[:2])
    name = f"{team.plan.prefix}_stranger"
    owner = create_engine(team.owner_url, isolation_level="AUTOCOMMIT")
    try:
        with owner.connect() as c:
            c.execute(text(f"CREATE ROLE \"{name}\" LOGIN PASSWORD 'x'"))
            c.execute(text(f'GRANT "{team.plan.groups()["observer"]}" TO "{name}"'))
        url = make_url(team.owner_url).set(username=name, password="x")
        stranger = create_engine(url.render_as_string(hide_password=False))
        try:
            seen = rows(stranger, "SELECT DISTINCT reviewer_id FROM screening_decisions")
            assert {r.reviewer_id for r in seen} == {ids(team)["B"]}
            assert not rows(
                stranger, "SELECT 1 FROM record_tags WHERE reviewer_id = :a", a=ids(team)["A"]
            )
        finally:
            stranger.dispose()
    finally:
        with owner.connect() as c:
            c.execute(text(f'DROP OWNED BY "{name}"'))
            c.execute(text(f'DROP ROLE "{name}"'))
        owner.dispose()


def test_the_agreement_check_end_to_end_on_each_reviewers_own_connection(team: TeamDb) -> None:
    """The lead draws a sample of A's decisions for B; B screens it blind on B's own connection
    (the services and the database agree on what B sees); the lead opens the comparison."""
    from realist.services import samples

    rec = records(team)
    who = ids(team)
    a = team.ws("A")
    for rid in rec:
        screening.decide(a, rid, TA, "include" if rid % 2 else "exclude")
    sample = samples.draw(team.ws("LEAD"), "B", 0.5, 11, first="A")
    b = team.ws("B")
    queue = screening.open_queue(b, TA)
    assert sorted(queue.ids) == sorted(sample.record_ids)
    for rid in sample.record_ids:
        assert screening.record_view(b, rid, TA).others == ()  # blind through the services
        screening.decide(b, rid, TA, "include")
    raw = team.raw("B")
    assert {r.reviewer_id for r in rows(raw, "SELECT reviewer_id FROM screening_decisions")} == {
        who["B"]
    }
    samples.open_comparison(team.ws("LEAD"), sample.id)
    seen = rows(raw, "SELECT DISTINCT reviewer_id FROM screening_decisions")
    assert {r.reviewer_id for r in seen} == {who["A"], who["B"]}
    view = screening.record_view(team.ws("B"), sample.record_ids[0], TA)
    assert [o.reviewer for o in view.others] == ["A"]
