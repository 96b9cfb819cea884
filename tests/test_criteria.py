"""Eligibility criteria edited one at a time: version-checked (a stale edit is a conflict that
names who changed the criterion and changes nothing), audited, lead-only, kept in order, still
lossless through a YAML dump and load; the conflict also on PostgreSQL with sessions racing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import delete, func, select, update

from realist.cli import cli
from realist.db.models import AuditEntry, Criterion
from realist.db.store import Store
from realist.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from realist.paths import BUNDLED_FILES
from realist.services import criteria, reviewers
from realist.services.codes import conflict_guard
from realist.services.context import Actor, Workspace, resolve_actor
from realist.services.criteria import CriterionInfo
from realist.yamlio.loader import load_paths
from realist.yamlio.writer import dump_review
from tests.conftest import migrated_sqlite
from tests.factories_team import setup_review

REVIEW_YAML = next(p for p in BUNDLED_FILES if p.name == "review.yaml")


def labels(ws: Workspace) -> list[str]:
    return [f"{c.label} {c.text}" for c in criteria.list_criteria(ws)]


def audit_count(ws: Workspace, prefix: str = "criterion.") -> int:
    with ws.store.read() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action.startswith(prefix))
            )
            or 0
        )


def entries(ws: Workspace, action: str) -> list[SimpleNamespace]:
    """The audit entries of `action`, oldest first, as plain objects."""
    with ws.store.read() as s:
        return [
            SimpleNamespace(
                entity=e.entity, entity_id=e.entity_id, actor=e.actor, details=dict(e.details)
            )
            for e in s.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        ]


@pytest.fixture
def other_lead(demo_ws: Workspace) -> Iterator[Workspace]:
    """A second lead (ANN) in a session of their own on the same review."""
    reviewers.add_reviewer(demo_ws, "ANN", role="lead")
    store = Store(demo_ws.store.url)
    yield Workspace(store, demo_ws.review_id, resolve_actor(store, "ANN"))
    store.dispose()


# --------------------------------------------------------------------------------------------
# Reading


def test_the_example_criteria_in_order_with_labels(demo_ws: Workspace) -> None:
    rows = criteria.list_criteria(demo_ws)
    assert [r.label for r in rows] == [
        *(f"I{i}" for i in range(1, 5)),
        *(f"E{i}" for i in range(1, 6)),
    ]
    assert rows[2].text == "Any study design" and rows[-1].text == "Published before 2000"
    assert all(r.version == 1 for r in rows)
    assert [r.label for r in criteria.list_criteria(demo_ws, "exclusion")][:2] == ["E1", "E2"]
    assert criteria.get_criterion(demo_ws, "e5") == rows[-1]
    assert criteria.get_criterion(demo_ws, f"#{rows[0].id}") == rows[0]
    assert criteria.get_criterion(demo_ws, rows[1].id) == rows[1]
    with pytest.raises(NotFoundError, match="no criterion I9: the review has 4 inclusion"):
        criteria.get_criterion(demo_ws, "I9")
    with pytest.raises(NotFoundError, match="no criterion #999"):
        criteria.get_criterion(demo_ws, "#999")
    with pytest.raises(InvalidInputError, match="names no criterion"):
        criteria.get_criterion(demo_ws, "Any study design")
    with pytest.raises(InvalidInputError, match="one of inclusion, exclusion"):
        criteria.list_criteria(demo_ws, "maybe")


# --------------------------------------------------------------------------------------------
# Changing


def test_edit_text_with_the_version_read_is_audited(demo_ws: Workspace) -> None:
    before = criteria.get_criterion(demo_ws, "I3")
    after = criteria.edit_criterion(
        demo_ws, before.id, expected_version=before.version, text="  Any study\tdesign,\nqual. too "
    )
    assert (after.label, after.text, after.version) == ("I3", "Any study design, qual. too", 2)
    assert criteria.get_criterion(demo_ws, "I3") == after
    (entry,) = entries(demo_ws, "criterion.edit")
    assert (entry.entity, entry.entity_id, entry.actor) == ("criterion", str(before.id), "LLJ")
    assert entry.details == {"changes": {"text": ["Any study design", after.text]}}
    # The same text again is no change: no new version, no audit entry.
    same = criteria.edit_criterion(demo_ws, before.id, expected_version=2, text=after.text)
    assert same == after and audit_count(demo_ws) == 1


def test_move_switch_add_and_remove_keep_places_and_other_versions(demo_ws: Workspace) -> None:
    i3 = criteria.get_criterion(demo_ws, "I3")
    moved = criteria.edit_criterion(demo_ws, i3.id, expected_version=1, number=1)
    assert (moved.label, moved.version) == ("I1", 2)
    assert labels(demo_ws)[:4] == [
        "I1 Any study design",
        "I2 Articles in healthcare settings describing or evaluating QI projects or initiatives",
        f"I3 {criteria.get_criterion(demo_ws, 'I3').text}",
        "I4 Any clinical topic in any healthcare setting",
    ]
    # The criteria renumbered around it keep their versions: editing them is no conflict.
    assert [c.version for c in criteria.list_criteria(demo_ws) if c.id != i3.id] == [1] * 8
    switched = criteria.edit_criterion(demo_ws, i3.id, expected_version=2, kind="exclusion")
    assert (switched.label, switched.kind, switched.version) == ("E6", "exclusion", 3)
    placed = criteria.edit_criterion(demo_ws, i3.id, expected_version=3, kind="inclusion", number=2)
    assert placed.label == "I2"
    added = criteria.add_criterion(demo_ws, "E", "  Grey   literature ", number=1)
    assert (added.label, added.text, added.version) == ("E1", "Grey literature", 1)
    assert criteria.add_criterion(demo_ws, "inclusion", "Last one").label == "I5"
    removed = criteria.remove_criterion(demo_ws, added.id, expected_version=1)
    assert removed.label == "E1" and removed.text == "Grey literature"
    assert [c.label for c in criteria.list_criteria(demo_ws, "exclusion")] == [
        f"E{i}" for i in range(1, 6)
    ]
    with demo_ws.store.read() as s:
        for kind in ("inclusion", "exclusion"):
            positions = s.scalars(
                select(Criterion.position)
                .where(Criterion.kind == kind)
                .order_by(Criterion.position)
            ).all()
            assert list(positions) == list(range(len(positions)))  # dense, as a dump writes them
    edits = entries(demo_ws, "criterion.edit")
    assert edits[0].details["changes"] == {"label": ["I3", "I1"]}
    assert edits[1].details["changes"] == {
        "kind": ["inclusion", "exclusion"],
        "label": ["I1", "E6"],
    }
    assert [e.details["text"] for e in entries(demo_ws, "criterion.add")] == [
        "Grey literature",
        "Last one",
    ]
    (gone,) = entries(demo_ws, "criterion.remove")
    assert gone.details == {"kind": "exclusion", "text": "Grey literature", "label": "E1"}


def test_bad_input_changes_nothing(demo_ws: Workspace) -> None:
    before = labels(demo_ws)
    i1 = criteria.get_criterion(demo_ws, "I1")
    with pytest.raises(InvalidInputError, match="needs some text"):
        criteria.edit_criterion(demo_ws, i1.id, text=" \n ")
    with pytest.raises(InvalidInputError, match="needs some text"):
        criteria.add_criterion(demo_ws, "inclusion", "")
    with pytest.raises(InvalidInputError, match="keep it under 2000"):
        criteria.add_criterion(demo_ws, "inclusion", "x" * 2001)
    with pytest.raises(InvalidInputError, match="places 1 to 4, not 5"):
        criteria.edit_criterion(demo_ws, i1.id, text="new words", number=5)
    with pytest.raises(InvalidInputError, match="places 1 to 6, not 0"):
        criteria.add_criterion(demo_ws, "exclusion", "x", number=0)
    with pytest.raises(InvalidInputError, match="not 'other'"):
        criteria.add_criterion(demo_ws, "other", "x")
    with pytest.raises(NotFoundError, match="no criterion #999"):
        criteria.edit_criterion(demo_ws, 999, text="x")
    assert labels(demo_ws) == before and audit_count(demo_ws) == 0


def test_stale_version_is_a_conflict_that_names_who_and_changes_nothing(
    demo_ws: Workspace, other_lead: Workspace
) -> None:
    seen = criteria.get_criterion(demo_ws, "E3")  # I read E3 ...
    criteria.edit_criterion(other_lead, seen.id, expected_version=seen.version, text="Not English")
    after_other = labels(demo_ws)
    with demo_ws.store.read() as s:
        row = s.get(Criterion, seen.id)
        assert row is not None
        version_before = row.version_id
    count = audit_count(demo_ws)
    # ... and save my change on the copy I read: refused, with who changed it.
    with pytest.raises(ConflictError) as err:
        criteria.edit_criterion(demo_ws, seen.id, expected_version=seen.version, text="Mine")
    message = str(err.value)
    assert message.startswith("criterion E3 ('Not English') was changed by ANN at ")
    assert "(now version 2, you had version 1); nothing was saved" in message
    for change in (
        lambda: criteria.edit_criterion(demo_ws, seen.id, expected_version=1, number=1),
        lambda: criteria.edit_criterion(demo_ws, seen.id, expected_version=1, kind="inclusion"),
        lambda: criteria.remove_criterion(demo_ws, seen.id, expected_version=1),
    ):
        with pytest.raises(ConflictError, match="changed by ANN"):
            change()
    # Nothing changed: texts, order, version, audit log.
    assert labels(demo_ws) == after_other
    with demo_ws.store.read() as s:
        row = s.get(Criterion, seen.id)
        assert row is not None and row.version_id == version_before
    assert audit_count(demo_ws) == count
    # With the version read again, the change goes through.
    fresh = criteria.get_criterion(demo_ws, "E3")
    assert criteria.edit_criterion(
        demo_ws, fresh.id, expected_version=fresh.version, text="Mine"
    ).text == ("Mine")


def test_removed_meanwhile_is_a_conflict_even_when_a_new_one_takes_its_place(
    demo_ws: Workspace, other_lead: Workspace
) -> None:
    e5 = criteria.get_criterion(demo_ws, "E5")  # the newest criterion: the largest id
    criteria.remove_criterion(other_lead, e5.id, expected_version=e5.version)
    new = criteria.add_criterion(other_lead, "exclusion", "Published before 2005")
    assert new.label == "E5" and new.id > e5.id  # ids are never handed out twice
    with pytest.raises(
        ConflictError,
        match=r"criterion #\d+ \('Published before 2000'\) was removed by ANN at .* since you read",
    ):
        criteria.edit_criterion(demo_ws, e5.id, expected_version=e5.version, text="x")
    with pytest.raises(NotFoundError):  # no version read: plain "not found"
        criteria.edit_criterion(demo_ws, e5.id, text="x")
    assert criteria.get_criterion(demo_ws, "E5").text == "Published before 2005"


def test_a_yaml_load_keeps_unchanged_criteria_and_reports_replaced_ones(
    demo_ws: Workspace, other_lead: Workspace, tmp_path: Path
) -> None:
    before = criteria.list_criteria(demo_ws)
    # Loading the same file again changes nothing: same ids, same versions, no audit entry.
    load_paths(other_lead.store, [REVIEW_YAML], review_id=other_lead.review_id, ws=other_lead)
    assert criteria.list_criteria(demo_ws) == before and audit_count(demo_ws) == 0
    # A file with I1 reworded and E3 dropped: those two are replaced, the rest keep their id.
    body = yaml.safe_load(REVIEW_YAML.read_text(encoding="utf-8"))
    body["criteria"]["inclusion"][0] = "QI in healthcare settings"
    del body["criteria"]["exclusion"][2]
    changed = tmp_path / "review.yaml"
    changed.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    summary = load_paths(other_lead.store, [changed], review_id=other_lead.review_id, ws=other_lead)
    assert summary.files[0].counts["criteria"] == 8
    after = {c.label: c for c in criteria.list_criteria(demo_ws)}
    assert after["I1"].text == "QI in healthcare settings" and after["I1"].id > before[-1].id
    assert [after[k].id for k in ("I2", "I3", "I4")] == [c.id for c in before[1:4]]
    assert after["E3"].id == before[7].id and after["E3"].version == 1  # moved up, unchanged
    removed = entries(demo_ws, "criterion.remove")
    assert [(e.details["label"], e.details["load"], e.actor) for e in removed] == [
        ("I1", "review.yaml", "ANN"),
        ("E3", "review.yaml", "ANN"),
    ]
    # An edit of a criterion the load replaced is a conflict naming the load ...
    with pytest.raises(ConflictError, match=r"was removed by ANN loading review\.yaml at "):
        criteria.edit_criterion(demo_ws, before[0].id, expected_version=1, text="Mine")
    # ... and of one it kept still saves.
    saved = criteria.edit_criterion(demo_ws, before[2].id, expected_version=1, text="Any design")
    assert saved.label == "I3" and saved.version == 2


def test_gone_without_a_trace_is_a_conflict_naming_the_last_load(demo_ws: Workspace) -> None:
    """A criterion deleted outside the services (e.g. by an older version's load)."""
    i2 = criteria.get_criterion(demo_ws, "I2")
    with demo_ws.store.transaction() as s:
        s.execute(delete(Criterion).where(Criterion.id == i2.id))
    with pytest.raises(
        ConflictError,
        match=r"criterion #\d+ is no longer in this review: .* last loaded from review\.yaml by ",
    ):
        criteria.edit_criterion(demo_ws, i2.id, expected_version=i2.version, text="x")


def test_a_concurrent_write_during_the_save_is_a_conflict(demo_ws: Workspace) -> None:
    """The version check in the UPDATE itself (a writer that bypassed the review lock)."""
    i1 = criteria.get_criterion(demo_ws, "I1")
    with (
        pytest.raises(ConflictError, match="while you were saving"),
        conflict_guard(f"criterion #{i1.id}"),
        demo_ws.store.transaction() as s,
    ):
        row = s.get(Criterion, i1.id)
        assert row is not None
        s.execute(
            update(Criterion)
            .where(Criterion.id == row.id)
            .values(version_id=Criterion.version_id + 1)
            .execution_options(synchronize_session=False)
        )
        row.text = "lost?"
        s.flush()
    assert criteria.get_criterion(demo_ws, "I1").text == i1.text


def test_only_a_lead_may_change_criteria(demo_ws: Workspace) -> None:
    i1 = criteria.get_criterion(demo_ws, "I1")
    before = labels(demo_ws)
    for role in ("reviewer", "coder", "observer"):
        ws = demo_ws.with_actor(Actor(99, "SOMEONE", role))
        for change in (
            lambda ws=ws: criteria.add_criterion(ws, "inclusion", "x"),
            lambda ws=ws: criteria.edit_criterion(ws, i1.id, expected_version=1, text="x"),
            lambda ws=ws: criteria.remove_criterion(ws, i1.id, expected_version=1),
        ):
            with pytest.raises(
                PermissionDeniedError,
                match=f"SOMEONE \\({role}\\) may not change the eligibility criteria; needs role lead",
            ):
                change()
    with pytest.raises(PermissionDeniedError, match="needs a reviewer"):
        criteria.add_criterion(demo_ws.with_actor(None), "inclusion", "x")
    assert labels(demo_ws) == before and audit_count(demo_ws) == 0
    assert criteria.list_criteria(demo_ws.with_actor(Actor(99, "O", "observer")))  # all may read


# --------------------------------------------------------------------------------------------
# YAML


def test_edited_criteria_survive_a_dump_and_load_losslessly(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    i4 = criteria.get_criterion(demo_ws, "I4")
    criteria.edit_criterion(demo_ws, i4.id, expected_version=1, number=1, text="Any topic")
    e2 = criteria.get_criterion(demo_ws, "E2")
    criteria.edit_criterion(demo_ws, e2.id, expected_version=1, kind="inclusion", number=2)
    criteria.remove_criterion(demo_ws, criteria.get_criterion(demo_ws, "E4").id)
    criteria.add_criterion(demo_ws, "exclusion", 'Conference abstracts: "quoted" & #hash', number=1)
    wanted = labels(demo_ws)
    first = dump_review(demo_ws.store, demo_ws.review_id, tmp_path / "one")
    dumped = yaml.safe_load((tmp_path / "one" / "review.yaml").read_text(encoding="utf-8"))
    assert dumped["criteria"] == {
        "inclusion": [c.text for c in criteria.list_criteria(demo_ws, "inclusion")],
        "exclusion": [c.text for c in criteria.list_criteria(demo_ws, "exclusion")],
    }
    store = migrated_sqlite(tmp_path / "two.db")
    rid = load_paths(store, first).review_id
    assert labels(Workspace(store, rid)) == wanted
    second = dump_review(store, rid, tmp_path / "two")
    for a, b in zip(sorted(first), sorted(second), strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    store.dispose()


# --------------------------------------------------------------------------------------------
# CLI


def test_cli_list_add_edit_remove_and_conflict(demo_store: Store, tmp_path: Path) -> None:
    db = demo_store.url

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, ["--db", db, "--reviewer", "LLJ", "criteria", *args])

    r = run("list", "--ids")
    assert r.exit_code == 0, r.output
    assert "Inclusion criteria\n  I1   Articles in healthcare" in r.output
    assert "  E5   Published before 2000  (#9 v1)" in r.output
    r = run("edit", "I3", "--text", "Any study design, qualitative too")
    assert r.exit_code == 0 and r.output == "I3 is now: Any study design, qualitative too\n"
    r = run("edit", "E5", "--at", "1")
    assert r.output == "E1 (was E5) is now: Published before 2000\n"
    r = run("edit", "#3", "--kind", "exclusion", "--expect-version", "1")
    assert r.exit_code == 1
    assert "criterion I3 ('Any study design, qualitative too') was changed by LLJ" in r.output
    r = run("add", "inclusion", "Grey literature", "--at", "1")
    assert r.exit_code == 0 and r.output.startswith("added I1 (#10): Grey literature")
    r = run("remove", "I1")
    assert r.exit_code == 0 and r.output == "removed I1 (#10): Grey literature\n"
    r = run("remove", "#10", "--expect-version", "1")
    assert r.exit_code == 1 and "was removed by LLJ" in r.output
    r = run("edit", "I2")
    assert r.exit_code == 2 and "give --text, --kind or --at" in r.output
    r = CliRunner().invoke(cli, ["--db", db, "--reviewer", "JF", "criteria", "remove", "E1"])
    assert r.exit_code == 1 and "JF (reviewer) may not change the eligibility criteria" in r.output


# --------------------------------------------------------------------------------------------
# Sessions racing, on SQLite and PostgreSQL


def race(
    url: str, review_id: int, names: list[str], body: Callable[[Workspace, int], CriterionInfo]
) -> tuple[list[CriterionInfo], list[BaseException]]:
    """Run `body(ws, i)` at once in one thread per name, each in its own session (store)."""
    barrier = threading.Barrier(len(names))
    results: list[CriterionInfo] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(i: int, name: str) -> None:
        store = Store(url)
        ws = Workspace(store, review_id, resolve_actor(store, name))
        try:
            barrier.wait()
            out = body(ws, i)
            with lock:
                results.append(out)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            store.dispose()

    threads = [threading.Thread(target=worker, args=(i, n)) for i, n in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.fixture
def two_leads(db_url: str) -> Iterator[Workspace]:
    store = Store(db_url)
    ws = setup_review(store, people={"LEAD": "lead", "ANN": "lead", "A": "reviewer"}, records=0)
    load_paths(store, [REVIEW_YAML], review_id=ws.review_id, ws=ws)
    yield ws
    store.dispose()


def test_two_leads_saving_the_same_criterion_at_once_one_gets_a_conflict(
    two_leads: Workspace,
) -> None:
    """Runs on SQLite and on PostgreSQL (REALIST_TEST_PG_URL): both sessions read version v of
    a criterion and save at the same instant, three times over; one saves, the other is told
    who saved, and nothing is lost silently."""
    ws = two_leads
    for round_ in range(3):
        seen = criteria.get_criterion(ws, "I2")

        def body(
            session: Workspace, i: int, seen: CriterionInfo = seen, r: int = round_
        ) -> CriterionInfo:
            return criteria.edit_criterion(
                session,
                seen.id,
                expected_version=seen.version,
                text=f"round {r} by {session.actor_name}",
            )

        results, errors = race(ws.store.url, ws.review_id, ["LEAD", "ANN"], body)
        assert len(results) == 1 and len(errors) == 1, errors
        assert isinstance(errors[0], ConflictError), errors
        winner = results[0].text.rsplit(" ", 1)[1]
        assert f"was changed by {winner} at" in str(errors[0])
        stored = criteria.get_criterion(ws, "I2")
        assert stored == results[0] and stored.version == seen.version + 1
    assert audit_count(ws, "criterion.edit") == 3  # one saved edit per round


def test_simultaneous_adds_keep_every_criterion_and_dense_places(two_leads: Workspace) -> None:
    ws = two_leads

    def body(session: Workspace, i: int) -> CriterionInfo:
        last = None
        for k in range(4):
            last = criteria.add_criterion(session, "exclusion", f"s{i} k{k}", number=1 + k % 2)
        assert last is not None
        return last

    results, errors = race(ws.store.url, ws.review_id, ["LEAD", "ANN", "LEAD"], body)
    assert errors == [] and len(results) == 3
    rows = criteria.list_criteria(ws, "exclusion")
    assert len(rows) == 5 + 12
    assert sorted(c.text for c in rows if c.text.startswith("s")) == sorted(
        f"s{i} k{k}" for i in range(3) for k in range(4)
    )
    with ws.store.read() as s:
        positions = s.scalars(
            select(Criterion.position)
            .where(Criterion.kind == "exclusion")
            .order_by(Criterion.position)
        ).all()
    assert list(positions) == list(range(17))
