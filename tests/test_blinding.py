"""The blind second screening, enforced in the service layer (`realist.services.visibility`).

The central proof: while the sample is blind, everything the second reviewer B can read (the
record view, the queue and progress, the tags and custom labels the screening screen and the
list's tag filter offer, the records list with every filter, search and sort and its
"showing N of M", PRISMA counts, tag summaries, the review status, the CMOC traceability of a
document, the agreement samples, and the CLI's prisma / tags / status / dump / comparison
output) is IDENTICAL to what B would read if the first reviewer A had done nothing at that stage.
So nothing of A's work can leak, whatever the path, not only the ones a test looks at directly.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, exists, select
from textual.widgets import Static

from realist.cli import cli
from realist.db.models import AuditEntry, RecordTag, Resolution, ScreeningDecision, TagDef
from realist.errors import BlindedError
from realist.services import agreement_service, resolution, samples, visibility
from realist.services import screening as sc
from realist.services.audit_view import audit_entries
from realist.services.context import Workspace
from realist.services.prisma_counts import prisma_report
from realist.services.records_query import (
    DECISION_FILTERS,
    SORTS,
    RecordQuery,
    filter_options,
    page_records,
)
from realist.services.reviews import review_status
from realist.services.tag_summary import tag_summary
from realist.services.traceability import document_trace
from tests.conftest import migrated_sqlite
from tests.factories_agreement import (
    FT,
    SECRET_NOTE,
    TA,
    draw_for,
    first_decision,
    screen_sample,
    screened_review,
)
from tests.factories_screening import (
    add_batch,
    add_document,
    add_reviewer,
    as_reviewer,
    reviewer_id,
    screening_workspace,
    workspace_at,
)
from tui.app import RealistApp
from tui.screens.screening import ScreeningScreen
from tui.widgets.prompts import TextPrompt


def build(ws: Workspace, ids: list[int]) -> dict[str, Any]:
    """Around a blind sample for JF (first reviewer LLJ): JF's own work on half of it, a third
    reviewer's decisions, a resolution, full-text work and a document standing for a record."""
    info = draw_for(ws)
    jf = as_reviewer(ws, "JF")
    for k, rid in enumerate(info.record_ids[:5]):
        sc.decide(jf, rid, TA, "include" if k % 2 else "exclude", note=f"jf note {k}")
        if k % 2:
            sc.toggle_tag(jf, rid, "ses", TA)
    mk = add_reviewer(ws, "MK")
    includes = [r for i, r in enumerate(ids) if first_decision(i) == "include"]
    sc.decide(mk, includes[0], TA, "exclude", note="mk disagrees")
    sc.decide(mk, ids[1], TA, "include")
    sc.toggle_tag(mk, includes[0], "gender", TA)
    with ws.store.transaction() as s:  # a lead's resolution of the LLJ/MK conflict
        s.add(
            Resolution(
                review_id=ws.review_id,
                record_id=includes[0],
                stage=TA,
                decision="include",
                rationale="lead resolved",
                decided_by_id=reviewer_id(ws, "LLJ"),
            )
        )
    sc.decide(ws, includes[1], FT, "include", note="llj full-text note")
    sc.decide(mk, includes[1], FT, "include")
    add_document(ws, "D1", record_id=includes[1], progress_plus=["place"])
    return {"sample": info, "jf": jf, "includes": includes}


RURAL = "Rural setting"  # a custom label the first reviewer types while screening
PRESET = "Preset label"  # a custom label the review's YAML defines


def add_preset_label(ws: Workspace) -> None:
    """A custom label of the review's own, as the review's YAML defines it (no `tag.define`)."""
    with ws.store.transaction() as s:
        s.add(
            TagDef(review_id=ws.review_id, code="preset", label=PRESET, group="custom", position=99)
        )


def as_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: as_plain(v) for k, v in dataclasses.asdict(value).items()}
    return value


def view_of(ws: Workspace, ids: list[int], db: str, tmp: Path) -> dict[str, Any]:
    """Everything `ws.actor` can read, through every path that reads decisions or tags."""
    out: dict[str, Any] = {}
    # the tags offered: the screening screen's tags pane and "labels so far", the list's filter
    out["screen tags"] = as_plain(sc.screening_context(ws).tags)
    out["filter options"] = as_plain(filter_options(ws))
    for stage in (TA, FT):
        for rid in ids:
            out[f"record {rid} {stage}"] = as_plain(sc.record_view(ws, rid, stage))
        queue = sc.open_queue(ws, stage)
        out[f"queue {stage}"] = (queue.ids, queue.mine, queue.position, queue.progress())
        out[f"progress {stage}"] = sc.reviewer_progress(ws, stage)
        for decision in (None, *DECISION_FILTERS):
            for reviewer in (None, "LLJ", "JF"):
                for tag in (None, "race", "rural_setting"):
                    q = RecordQuery(stage=stage, decision=decision, reviewer=reviewer, tag=tag)
                    page = page_records(ws, q, limit=1000)
                    out[f"list {q}"] = (page.total, [as_plain(r) for r in page.rows])
        for sort in SORTS:
            for descending in (False, True):
                q = RecordQuery(stage=stage, sort=sort, descending=descending, text="study")
                page = page_records(ws, q, limit=7, offset=3)
                out[f"list {q}"] = (page.total, [r.id for r in page.rows])
        with ws.store.read() as s:
            fd = sc.final_decisions(s, ws, stage)
            out[f"final {stage}"] = sorted(s.execute(select(fd)).all())
    out["prisma"] = prisma_report(ws).to_dict()
    out["tags"] = tag_summary(ws).to_dict()
    out["status decisions"] = review_status(ws).decisions
    out["trace"] = as_plain(document_trace(ws, "D1"))["record_tags"]
    out["samples"] = [i.to_dict() for i in samples.list_samples(ws)]
    runner = CliRunner()
    name = ws.actor.name if ws.actor else None
    base = ["--db", db] + (["--reviewer", name] if name else [])
    dump_dir = tmp / f"dump-{len(list(tmp.iterdir()))}"
    for args in (
        ["prisma", "--format", "json"],
        ["tags", "summary", "--format", "json"],
        ["status"],
        ["comparison", "status", "--format", "json"],
        ["export", "prisma", "--format", "md", "-o", "-"],
        ["dump", str(dump_dir)],
    ):
        result = runner.invoke(cli, [*base, *args], catch_exceptions=False)
        # the PRISMA export refuses while the counts do not add up: its message counts too
        assert result.exit_code == 0 or args[0] == "export", result.output
        out[f"cli {' '.join(args[:2]).replace(str(dump_dir), 'DIR')}"] = (
            result.exit_code,
            result.output.replace(str(dump_dir), "DIR"),
        )
    out["dump files"] = {p.name: p.read_text() for p in sorted(dump_dir.iterdir())}
    return out


def erase_first_reviewers_work(ws: Workspace, who: str = "LLJ", stage: str = TA) -> None:
    """What B's world would be had A done nothing at `stage`: no decisions there, no tags (tags
    are stage-less), no custom labels A typed that nobody else put on a record (had A done
    nothing, the first other reviewer to type one would have defined it), no resolutions at
    that stage. (The audit log is append-only: it is compared in the focused tests below.)"""
    a = reviewer_id(ws, who)
    with ws.store.transaction() as s:
        typed = {
            str(details["code"])
            for details in s.scalars(
                select(AuditEntry.details).where(
                    AuditEntry.action == "tag.define", AuditEntry.reviewer_id == a
                )
            )
        }
        s.execute(
            delete(ScreeningDecision).where(
                ScreeningDecision.reviewer_id == a, ScreeningDecision.stage == stage
            )
        )
        s.execute(delete(RecordTag).where(RecordTag.reviewer_id == a))
        s.execute(
            delete(TagDef).where(
                TagDef.review_id == ws.review_id,
                TagDef.code.in_(sorted(typed)),
                ~exists().where(RecordTag.tag_id == TagDef.id),
            )
        )
        s.execute(delete(Resolution).where(Resolution.stage == stage))


def test_the_second_reviewer_sees_exactly_a_world_without_the_first_reviewers_work(
    db_url: str, tmp_path: Path
) -> None:
    ws = workspace_at(db_url)
    ids = add_batch(ws, 30, prefix="MED-") + add_batch(ws, 10, source_db="Embase", seed=2)
    add_preset_label(ws)
    for i, rid in enumerate(ids):
        dec = first_decision(i)
        sc.decide(ws, rid, TA, dec, reason="not_qi" if dec == "exclude" else None, note=SECRET_NOTE)
        if dec == "include":
            sc.toggle_tag(ws, rid, "race", TA)
            sc.toggle_tag(ws, rid, "gap", TA)
            sc.toggle_label(ws, rid, RURAL, TA)  # A's own label: hidden from B
    sc.toggle_label(ws, ids[1], "Withdrawn idea", TA)  # typed, then taken off again
    sc.toggle_label(ws, ids[1], "Withdrawn idea", TA)
    sc.toggle_label(ws, ids[2], "Checked twice", FT)  # typed at the other stage
    sc.toggle_label(ws, ids[3], "Shared label", TA)  # typed by A, used by MK too: visible
    sc.toggle_tag(ws, ids[3], "preset", TA)  # the review's own label, used only by A: visible
    setup = build(ws, ids)
    sc.toggle_label(as_reviewer(ws, "MK"), ids[4], "shared label", TA)
    jf: Workspace = setup["jf"]

    blind = view_of(jf, ids, db_url, tmp_path)
    lead_before = (prisma_report(ws).to_dict(), tag_summary(ws).to_dict())
    text = json.dumps(blind, default=str)
    assert SECRET_NOTE not in text
    assert "jf note 1" in text and "llj full-text note" in text  # B's own work; A's at FT
    shown = json.dumps(list(blind.values()), default=str)  # (the keys name the tag filtered on)
    for label in (RURAL, "rural_setting", "Withdrawn idea", "Checked twice", "checked_twice"):
        assert label not in shown, label
    assert "Shared label" in text and PRESET in text
    assert blind["queue title_abstract"][0] == sorted(setup["sample"].record_ids, key=ids.index)

    erase_first_reviewers_work(ws)
    assert view_of(jf, ids, db_url, tmp_path) == blind
    # ... and the comparison is not vacuous: the lead's view did change
    assert (prisma_report(ws).to_dict(), tag_summary(ws).to_dict()) != lead_before


@pytest.fixture
def review(tmp_path: Path) -> tuple[Workspace, list[int], dict[str, Any]]:
    ws, ids = screened_review(tmp_path / "b.db", n=40)
    return ws, ids, build(ws, ids)


def test_nothing_of_the_first_reviewer_shows_on_any_record(
    review: tuple[Workspace, list[int], dict[str, Any]],
) -> None:
    ws, ids, setup = review
    jf: Workspace = setup["jf"]
    for rid in ids:
        view = sc.record_view(jf, rid, TA)
        assert all(o.reviewer != "LLJ" for o in view.others), rid
        assert all(who != "LLJ" for who, _ in view.other_tags), rid
        assert SECRET_NOTE not in repr(view)
    # MK is not the first reviewer of JF's sample: MK's work stays visible to JF
    mk_record = setup["includes"][0]
    view = sc.record_view(jf, mk_record, TA)
    assert [(o.reviewer, o.decision, o.note) for o in view.others] == [
        ("MK", "exclude", "mk disagrees")
    ]
    assert view.other_tags == (("MK", "gender"),)
    assert view.final == "exclude"  # the lead's resolution at this stage is hidden from JF
    assert sc.record_view(ws, mk_record, TA).final == "include"


def test_the_first_reviewer_the_lead_and_others_are_not_blinded(
    review: tuple[Workspace, list[int], dict[str, Any]],
) -> None:
    ws, _ids, setup = review
    rid = setup["sample"].record_ids[1]  # JF decided it
    for who in ("LLJ", "MK"):
        view = sc.record_view(as_reviewer(ws, who), rid, TA)
        reviewers = {o.reviewer for o in view.others} | (
            {view.mine.reviewer} if view.mine else set()
        )
        assert {"LLJ", "JF"} <= reviewers, who
    assert prisma_report(as_reviewer(ws, "MK")).to_dict() == prisma_report(ws).to_dict()


def test_a_reader_who_names_nobody_is_blinded_too(
    review: tuple[Workspace, list[int], dict[str, Any]],
) -> None:
    ws, _ids, setup = review
    nobody = ws.with_actor(None)
    # the same work is hidden from an unnamed reader as from JF (who sees only their own too)
    assert prisma_report(nobody).counts == prisma_report(setup["jf"]).counts
    assert prisma_report(nobody).counts != prisma_report(ws).counts
    view = sc.record_view(nobody, setup["sample"].record_ids[0], TA)
    assert [o.reviewer for o in view.others] == ["JF"]


def test_the_first_reviewers_work_at_the_other_stage_stays_visible(
    review: tuple[Workspace, list[int], dict[str, Any]],
) -> None:
    ws, _ids, setup = review
    jf: Workspace = setup["jf"]
    rid = setup["includes"][1]
    view = sc.record_view(jf, rid, FT)
    assert ("LLJ", "include") in [(o.reviewer, o.decision) for o in view.others]
    # ... but tags are stage-less: LLJ's tags stay hidden at every stage
    assert "race" in sc.record_view(ws, rid, FT).my_tags
    assert all(who != "LLJ" for who, _ in view.other_tags)


def test_the_comparison_is_refused_while_blind_to_everyone(
    review: tuple[Workspace, list[int], dict[str, Any]],
) -> None:
    ws, _ids, setup = review
    info = setup["sample"]
    for who in (ws, setup["jf"]):
        with pytest.raises(BlindedError, match=f"sample {info.id} .* is still blind"):
            agreement_service.agreement(who, reviewers=("LLJ", "JF"))
        with pytest.raises(BlindedError, match="still blind"):
            resolution.disagreements(who, sample_id=info.id)
    with pytest.raises(BlindedError, match="is in a blind sample"):
        resolution.resolve(ws, info.record_ids[0], "include", "too early")
    with pytest.raises(BlindedError, match="you may not see LLJ's decisions"):
        agreement_service.agreement(setup["jf"], reviewers=("LLJ", "MK"))


def test_blinding_lifts_when_the_lead_opens_the_comparison(
    review: tuple[Workspace, list[int], dict[str, Any]],
) -> None:
    ws, ids, setup = review
    jf: Workspace = setup["jf"]
    info = setup["sample"]
    rid = info.record_ids[0]
    assert all(o.reviewer != "LLJ" for o in sc.record_view(jf, rid, TA).others)
    screen_sample(jf, info)
    # finishing is not enough: still blind until a lead opens the comparison
    assert all(o.reviewer != "LLJ" for o in sc.record_view(jf, rid, TA).others)
    assert samples.get_sample(jf, info.id).progress.first_decided is None
    samples.open_comparison(ws, info.id)
    view = sc.record_view(jf, rid, TA)
    llj = next(o for o in view.others if o.reviewer == "LLJ")
    assert llj.note is not None and SECRET_NOTE in llj.note
    assert prisma_report(jf).to_dict() == prisma_report(ws).to_dict()
    assert samples.get_sample(jf, info.id).progress.first_decided == info.size
    with jf.store.read() as s:
        assert visibility.blinds(s, jf) == ()
        assert visibility.queue_scope(s, jf, TA) is None
    assert len(sc.open_queue(jf, TA)) == len(ids)


def test_the_seam_hides_only_what_the_rule_says(tmp_path: Path) -> None:
    """Two blind samples for JF at different stages, with different first reviewers."""
    ws = screening_workspace(migrated_sqlite(tmp_path / "x.db"))
    ids = add_batch(ws, 12)
    mk = add_reviewer(ws, "MK")
    for rid in ids:
        sc.decide(ws, rid, TA, "include")
        sc.decide(mk, rid, FT, "include")
    a = samples.draw(ws, "JF", 0.25, 1)
    b = samples.draw(ws, "JF", 0.25, 1, stage=FT, first="MK")
    jf = as_reviewer(ws, "JF")
    with jf.store.read() as s:
        assert {(x.sample_id, x.first_reviewer_id, x.stage) for x in visibility.blinds(s, jf)} == {
            (a.id, reviewer_id(ws, "LLJ"), TA),
            (b.id, reviewer_id(ws, "MK"), FT),
        }
        assert visibility.hides(s, jf, reviewer_id(ws, "LLJ"), TA)
        assert not visibility.hides(s, jf, reviewer_id(ws, "LLJ"), FT)
        assert not visibility.hides(s, jf, reviewer_id(ws, "MK"), TA)
        d = ScreeningDecision
        seen = set(
            s.execute(
                select(d.reviewer_id, d.stage).where(visibility.decision_visibility(s, jf, d))
            ).all()
        )
    assert seen == set()  # LLJ decided only at TA, MK only at FT: both hidden
    with ws.store.read() as s:
        assert visibility.blinds(s, ws) == ()
    with mk.store.read() as s:
        assert visibility.blinds(s, mk) == ()


def custom_labels(ws: Workspace) -> dict[str, set[str]]:
    """The custom label names `ws.actor` is shown: the screening screen's tags pane and "labels
    so far" hint (both from `screening_context`), the records list's tag filter, the tag
    summary, and the audit trail (the labels defined and the codes of tags toggled)."""
    entries = audit_entries(ws, limit=100_000)
    return {
        "screen": {t.label for t in sc.screening_context(ws).tags if t.group == "custom"},
        "filter": {t.label for t in filter_options(ws).tags if t.group == "custom"},
        "summary": {t.label for t in tag_summary(ws).by_group("custom")},
        "audit defined": {str(e.details["label"]) for e in entries if e.action == "tag.define"},
        "audit toggled": {str(e.details["tag"]) for e in entries if e.action == "screening.tag"},
    }


def test_the_first_reviewers_custom_labels_stay_hidden_until_the_comparison_opens(
    review: tuple[Workspace, list[int], dict[str, Any]],
) -> None:
    ws, _ids, setup = review
    jf: Workspace = setup["jf"]
    info = setup["sample"]
    rid = setup["includes"][1]
    assert sc.toggle_label(ws, rid, RURAL, TA).on  # A (LLJ) types a label at the sample's stage
    assert sc.toggle_label(ws, rid, "Checked twice", FT).on  # ... and one at the other stage
    a_labels = {RURAL, "Checked twice"}
    a_codes = {"rural_setting", "checked_twice"}

    for blind in (jf, ws.with_actor(None)):
        seen = custom_labels(blind)
        assert all(not (names & (a_labels | a_codes)) for names in seen.values()), seen
        entries = json.dumps(
            [as_plain(e) for e in audit_entries(blind, limit=100_000)], default=str
        )
        assert all(x not in entries for x in a_labels | a_codes)
        with blind.store.read() as s:
            hidden = visibility.hidden_labels(s, blind)
            assert {t.label for t in s.scalars(select(TagDef).where(TagDef.id.in_(hidden)))} == (
                a_labels
            )
        assert "rural_setting" not in as_plain(sc.record_view(blind, rid, TA))["other_tags"]

    # A, the lead and MK (not in the sample) are not blinded: they see the labels everywhere
    for who in (ws, as_reviewer(ws, "MK")):
        seen = custom_labels(who)
        for where in ("screen", "filter", "summary", "audit defined"):
            assert a_labels <= seen[where], (who.actor_name, where)
        assert a_codes <= seen["audit toggled"]

    screen_sample(jf, info)
    assert RURAL not in custom_labels(jf)["screen"]  # finishing is not enough
    samples.open_comparison(ws, info.id)
    jf = as_reviewer(ws, "JF")
    seen = custom_labels(jf)
    for where in ("screen", "filter", "summary", "audit defined"):
        assert a_labels <= seen[where], where
    assert a_codes <= seen["audit toggled"]


def test_a_label_is_hidden_only_while_it_is_the_first_reviewers_alone(
    review: tuple[Workspace, list[int], dict[str, Any]],
) -> None:
    ws, ids, setup = review
    jf: Workspace = setup["jf"]
    mk = as_reviewer(ws, "MK")
    add_preset_label(ws)
    sc.toggle_tag(ws, ids[0], "preset", TA)  # the review's own label: everyone's
    sc.toggle_label(ws, ids[0], "Shared", TA)
    sc.toggle_label(mk, ids[1], "shared", TA)  # MK's tags are visible to JF: so is the label
    sc.toggle_label(ws, ids[0], "Also mine", TA)
    sc.toggle_label(mk, ids[2], "MK only", TA)  # a label of someone JF is not blind to
    assert {PRESET, "Shared", "MK only"} <= custom_labels(jf)["screen"]
    assert "Also mine" not in custom_labels(jf)["screen"]
    # JF types the same label: it is JF's work now too, and JF sees the label they used
    change = sc.toggle_label(jf, setup["sample"].record_ids[0], "also mine", TA)
    assert change.on and change.code == "also_mine"
    seen = custom_labels(jf)
    assert "Also mine" in seen["screen"] and "Also mine" in seen["filter"]
    # ... but not A's entries about it
    assert "Also mine" not in seen["audit defined"]
    # JF's own label is JF's to see, and LLJ, never blinded, sees it too
    sc.toggle_label(jf, setup["sample"].record_ids[0], "JF's label", TA)
    assert "JF's label" in custom_labels(jf)["screen"]
    assert "JF's label" in custom_labels(ws)["screen"]


async def test_the_screening_screen_offers_a_blind_reviewer_none_of_the_first_reviewers_labels(
    review: tuple[Workspace, list[int], dict[str, Any]],
) -> None:
    """Pressed as JF: the tags pane and the custom label prompt's "labels so far"."""
    ws, ids, setup = review
    sc.toggle_label(ws, ids[0], RURAL, TA)
    sc.toggle_label(as_reviewer(ws, "MK"), ids[1], "MK only", TA)
    for who, shown in ((setup["jf"], False), (as_reviewer(ws, "MK"), True)):
        app = RealistApp(who)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("r")
            await pilot.pause()
            assert isinstance(app.screen, ScreeningScreen)
            assert (RURAL in str(app.screen.query_one("#tags", Static).render())) is shown
            await pilot.press("l")
            await pilot.pause()
            assert isinstance(app.screen, TextPrompt)
            assert app.screen.hint.startswith("labels so far:") and "MK only" in app.screen.hint
            assert (RURAL in app.screen.hint) is shown
            await pilot.press("escape")
