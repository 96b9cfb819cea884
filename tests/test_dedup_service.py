"""The de-duplication service: pairs stored with their evidence, clusters materialised from the
merged pairs, search updates that keep every decision, and reviewer decisions that stick."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from realist.db.models import AuditEntry, DuplicatePair, Record, ScreeningDecision
from realist.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from realist.services import duplicates_queue as dq
from realist.services.context import Workspace
from realist.services.dedup_service import (
    EXPORT_COLUMNS,
    duplicate_rows,
    export_duplicates_csv,
    run_dedup,
    safe_cell,
)
from realist.services.imports import import_file
from tests.factories_ingest import (
    MEDLINE,
    UPDATE,
    add_decision,
    as_reviewer,
    duplicate_links,
    ingest_ws,
    record_ids,
    write_ris,
)


def _pairs(ws: Workspace) -> dict[tuple[int, int], str]:
    with ws.store.read() as s:
        return {
            (a, b): st
            for a, b, st in s.execute(
                select(DuplicatePair.record_a_id, DuplicatePair.record_b_id, DuplicatePair.status)
            )
        }


def _pair_id(ws: Workspace, a: int, b: int) -> int:
    with ws.store.read() as s:
        return int(
            s.scalars(
                select(DuplicatePair.id).where(
                    DuplicatePair.record_a_id == min(a, b), DuplicatePair.record_b_id == max(a, b)
                )
            ).one()
        )


def record_batch(ws: Workspace, record_id: int) -> int:
    with ws.store.read() as s:
        batch = s.get(Record, record_id)
        assert batch is not None and batch.batch_id is not None
        return batch.batch_id


def _update_search(tmp_path: Path) -> tuple[Workspace, list[int], list[int]]:
    """MEDLINE imported and de-duplicated, then the Embase update imported (not yet deduped)."""
    ws = ingest_ws(tmp_path)
    first = import_file(ws, MEDLINE, source="MEDLINE")
    run_dedup(ws, batch_ids=[first.batch_id])
    second = import_file(ws, UPDATE, source="Embase")
    return ws, record_ids(ws, first.batch_id), record_ids(ws, second.batch_id)


def test_search_update_links_the_new_batch_to_the_review(tmp_path: Path) -> None:
    ws, old, new = _update_search(tmp_path)
    summary = run_dedup(ws, batch_ids=[record_batch(ws, new[0])])
    assert summary.incremental and summary.new_records == 5 and summary.records == 11
    pairs = _pairs(ws)
    # Same DOI / same title, authors and year: certain. A shorter, venue-less title: uncertain.
    assert pairs == {
        (old[0], new[0]): "auto",
        (old[1], new[1]): "auto",
        (old[2], new[2]): "unreviewed",
    }
    assert duplicate_links(ws) == {new[0]: old[0], new[1]: old[1]}  # the earlier record is kept
    assert (summary.certain, summary.uncertain, summary.duplicates, summary.queue) == (2, 1, 2, 1)
    with ws.store.read() as s:
        pair = s.scalars(select(DuplicatePair).where(DuplicatePair.status == "auto")).first()
        assert pair is not None and pair.score > 0.9
        assert pair.evidence["title"] > 0.9 and pair.reason and "title" in pair.reason
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "dedup.run")).all()[-1]
        assert entry.details["mode"] == "incremental" and entry.details["certain"] == 2


def test_a_decided_record_stays_canonical_and_decisions_are_untouched(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    # The update comes first this time; its records get screened before MEDLINE arrives.
    early = import_file(ws, UPDATE, source="Embase")
    decided = record_ids(ws, early.batch_id)
    run_dedup(ws, batch_ids=[early.batch_id])
    decision = add_decision(ws, decided[0], "include")
    with ws.store.read() as s:
        before = [
            (d.id, d.record_id, d.decision, d.is_current)
            for d in s.scalars(select(ScreeningDecision))
        ]
    late = import_file(ws, MEDLINE, source="MEDLINE")
    fresh = record_ids(ws, late.batch_id)
    run_dedup(ws, batch_ids=[late.batch_id])
    links = duplicate_links(ws)
    # E-77 (screened) and MEDLINE 1001 are one paper: the screened record is kept.
    assert links[fresh[0]] == decided[0] and decided[0] not in links
    # E-78 was not screened: the earlier record (lower id) is kept as usual.
    assert links[fresh[1]] == decided[1]
    with ws.store.read() as s:
        after = [
            (d.id, d.record_id, d.decision, d.is_current)
            for d in s.scalars(select(ScreeningDecision))
        ]
    assert after == before and before[0][0] == decision


def test_work_on_the_later_record_makes_it_canonical_on_a_full_run(tmp_path: Path) -> None:
    ws, old, new = _update_search(tmp_path)
    add_decision(ws, new[0], "exclude")  # screened the Embase copy before de-duplicating
    summary = run_dedup(ws)
    assert not summary.incremental
    links = duplicate_links(ws)
    assert links[old[0]] == new[0] and new[0] not in links
    assert links[new[1]] == old[1]


def test_rejected_pairs_stay_distinct_on_every_later_run(tmp_path: Path) -> None:
    ws, old, new = _update_search(tmp_path)
    run_dedup(ws, batch_ids=[record_batch(ws, new[0])])
    pid = _pair_id(ws, old[0], new[0])
    change = dq.reject_pair(ws, pid)
    assert (change.before, change.after) == ("auto", "rejected")
    assert new[0] not in duplicate_links(ws)
    dq.confirm_pair(ws, _pair_id(ws, old[2], new[2]))
    summary = run_dedup(ws)  # the rejected pair is not sought; the confirmed one is found again
    assert _pairs(ws)[(old[0], new[0])] == "rejected"
    assert _pairs(ws)[(old[2], new[2])] == "confirmed" and summary.kept_decisions == 1
    assert new[0] not in duplicate_links(ws) and duplicate_links(ws)[new[2]] == old[2]


def test_distinct_records_within_one_batch_stay_distinct(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    base = {"AU": ["Smith, Jane", "Okafor, C."], "PY": "2020", "JO": "BMJ Open", "VL": "10"}
    path = write_ris(
        tmp_path / "one.ris",
        [
            {**base, "TI": "Equity audit of primary care: protocol for a mixed methods study"},
            {**base, "TI": "Equity audit of primary care: a mixed methods study"},
            {"TI": "Something else entirely about hospital discharge", "PY": "2001"},
        ],
    )
    batch = import_file(ws, path).batch_id
    a, b, _ = record_ids(ws, batch)
    run_dedup(ws, batch_ids=[batch])
    assert (a, b) in _pairs(ws)
    pid = _pair_id(ws, a, b)
    if _pairs(ws)[(a, b)] == "auto":  # either tier: the reviewer's verdict is what counts
        dq.undo_pair(ws, pid)
    else:
        dq.reject_pair(ws, pid)
    run_dedup(ws)
    run_dedup(ws, batch_ids=[batch])
    assert _pairs(ws)[(a, b)] in ("rejected", "undone")
    assert duplicate_links(ws) == {}


def test_confirm_merges_and_undo_takes_it_back(tmp_path: Path) -> None:
    ws, old, new = _update_search(tmp_path)
    run_dedup(ws, batch_ids=[record_batch(ws, new[0])])
    pid = _pair_id(ws, old[2], new[2])
    assert [p.id for p in dq.list_pairs(ws, ["unreviewed"])] == [pid]
    assert dq.queue_progress(ws) == dq.QueueProgress(0, 1, 1)
    change = dq.confirm_pair(as_reviewer(ws, "REV"), pid)
    assert change.after == "confirmed" and duplicate_links(ws)[new[2]] == old[2]
    assert dq.queue_progress(ws) == dq.QueueProgress(1, 1, 0)
    detail = dq.pair_detail(ws, pid)
    assert detail.decided_by == "REV" and detail.decided_at is not None
    with pytest.raises(InvalidInputError, match="already merged"):
        dq.confirm_pair(ws, pid)
    undone = dq.undo_pair(ws, pid)
    assert (undone.before, undone.after) == ("confirmed", "undone")
    assert new[2] not in duplicate_links(ws)
    auto = _pair_id(ws, old[0], new[0])
    dq.undo_pair(ws, auto)
    assert new[0] not in duplicate_links(ws)
    run_dedup(ws)  # an undone merge never comes back
    assert _pairs(ws)[(old[0], new[0])] == "undone" and new[0] not in duplicate_links(ws)
    with pytest.raises(InvalidInputError, match="no merge or rejection"):
        dq.undo_pair(ws, auto)
    with ws.store.read() as s:
        actions = [a for (a,) in s.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions.count("duplicates.confirm") == 1 and actions.count("duplicates.undo") == 2


def test_undoing_a_rejection_puts_the_pair_back_in_the_queue(tmp_path: Path) -> None:
    ws, old, new = _update_search(tmp_path)
    run_dedup(ws, batch_ids=[record_batch(ws, new[0])])
    pid = _pair_id(ws, old[2], new[2])
    dq.reject_pair(ws, pid)
    assert dq.queue_ids(ws) == []
    change = dq.undo_pair(ws, pid)
    assert (change.before, change.after) == ("rejected", "unreviewed")
    assert dq.queue_ids(ws) == [pid]
    assert dq.pair_detail(ws, pid).decided_by is None
    dq.confirm_pair(ws, pid)
    assert dq.reopen_pair(ws, pid).after == "unreviewed"
    with pytest.raises(InvalidInputError, match="already waiting"):
        dq.reopen_pair(ws, pid)


def _chain(tmp_path: Path) -> tuple[Workspace, list[int]]:
    """Three copies of one paper: every pair between them certain."""
    ws = ingest_ws(tmp_path)
    rec = {
        "AU": ["Garcia, Luis", "Smith, Jane"],
        "PY": "2016",
        "JO": "Medical Care",
        "VL": "54",
        "SP": "100",
        "EP": "108",
        "TI": "Hospital star ratings and the quality of care for minority patients",
    }
    ids = []
    for i, variant in enumerate(
        (rec, {**rec, "TI": rec["TI"].upper()}, {**rec, "AU": ["Garcia L"]})
    ):
        batch = import_file(ws, write_ris(tmp_path / f"c{i}.ris", [variant])).batch_id
        ids += record_ids(ws, batch)
    run_dedup(ws)
    return ws, ids


def test_rejecting_a_pair_inside_a_cluster_demotes_the_weakest_links(tmp_path: Path) -> None:
    ws, (a, b, c) = _chain(tmp_path)
    assert set(_pairs(ws).values()) == {"auto"} and len(_pairs(ws)) == 3
    assert duplicate_links(ws) == {b: a, c: a}
    change = dq.reject_pair(ws, _pair_id(ws, a, c))
    # a and c are still joined through b: one of the two other links goes back to the queue.
    assert len(change.demoted) == 1
    assert list(_pairs(ws).values()).count("unreviewed") == 1
    links = duplicate_links(ws)
    assert not (links.get(c) == a or links.get(a) == c)
    assert len(links) == 1
    with ws.store.read() as s:
        demoted = s.get(DuplicatePair, change.demoted[0])
        assert demoted is not None and "marked distinct" in (demoted.reason or "")


def test_confirmations_cannot_join_records_marked_distinct(tmp_path: Path) -> None:
    ws, (a, b, c) = _chain(tmp_path)
    ab, bc, ac = _pair_id(ws, a, b), _pair_id(ws, b, c), _pair_id(ws, a, c)
    dq.reject_pair(ws, ac)
    waiting = [p for p in (ab, bc) if dq.pair_detail(ws, p).status == "unreviewed"]
    assert len(waiting) == 1
    with pytest.raises(ConflictError, match=f"pair {ac}"):
        dq.confirm_pair(ws, waiting[0])
    # Confirmed links are never cut silently: rejecting across them is refused.
    dq.undo_pair(ws, ac)  # back in the queue
    dq.confirm_pair(ws, ac)
    other = ab if waiting[0] == bc else bc
    dq.confirm_pair(ws, waiting[0])
    with pytest.raises(ConflictError, match="confirmed pair"):
        dq.reject_pair(ws, other)
    assert len(duplicate_links(ws)) == 2


def test_a_full_run_drops_stale_machine_pairs_and_keeps_human_ones(tmp_path: Path) -> None:
    ws, old, _ = _update_search(tmp_path)
    with ws.store.transaction() as s:  # a suggestion of an older engine that no longer holds
        s.add(
            DuplicatePair(
                review_id=ws.review_id,
                record_a_id=old[3],
                record_b_id=old[4],
                score=0.5,
                evidence={},
                reason="old",
                status="unreviewed",
            )
        )
        s.add(
            DuplicatePair(
                review_id=ws.review_id,
                record_a_id=old[4],
                record_b_id=old[5],
                score=0.5,
                evidence={},
                reason="old",
                status="rejected",
            )
        )
    summary = run_dedup(ws)
    pairs = _pairs(ws)
    assert (old[3], old[4]) not in pairs and pairs[(old[4], old[5])] == "rejected"
    assert summary.removed == 1


def test_permissions_and_unknown_ids(tmp_path: Path) -> None:
    ws, old, new = _update_search(tmp_path)
    with pytest.raises(PermissionDeniedError):
        run_dedup(as_reviewer(ws, "OBS"))
    run_dedup(ws)
    pid = _pair_id(ws, old[2], new[2])
    with pytest.raises(PermissionDeniedError):
        dq.confirm_pair(as_reviewer(ws, "OBS"), pid)
    with pytest.raises(NotFoundError, match="no duplicate pair 999"):
        dq.confirm_pair(ws, 999)
    with pytest.raises(NotFoundError, match="no import batch 77"):
        run_dedup(ws, batch_ids=[77])
    with pytest.raises(InvalidInputError, match="unknown status"):
        dq.list_pairs(ws, ["maybe"])


def test_export_has_one_row_per_record_with_cluster_and_decision(tmp_path: Path) -> None:
    ws, old, new = _update_search(tmp_path)
    run_dedup(ws, batch_ids=[record_batch(ws, new[0])])
    dq.confirm_pair(ws, _pair_id(ws, old[2], new[2]))
    out = tmp_path / "dups.csv"
    assert export_duplicates_csv(ws, out) == 11
    with out.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
        rows = {int(r["record_id"]): r for r in reader}
    assert set(rows) == set(old + new)
    assert rows[new[0]]["cluster_id"] == str(old[0]) and rows[new[0]]["decision"] == "auto"
    assert rows[old[0]]["role"] == "canonical" and rows[new[0]]["role"] == "duplicate"
    assert rows[new[2]]["decision"] == "confirmed" and rows[new[2]]["source_id"] == "E-79"
    assert rows[new[3]]["decision"] == "unique" and rows[new[3]]["cluster_id"] == str(new[3])
    assert rows[new[0]]["source_db"] == "Embase" and rows[new[0]]["file_name"] == UPDATE.name
    assert float(rows[new[0]]["score"]) > 0.9 and rows[new[0]]["reason"]
    dq.reopen_pair(ws, _pair_id(ws, old[2], new[2]))
    decisions = {r.record_id: r.decision for r in duplicate_rows(ws)}
    assert decisions[new[2]] == decisions[old[2]] == "unreviewed"


def test_export_escapes_formula_cells(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    path = write_ris(tmp_path / "f.ris", [{"TI": '=HYPERLINK("http://x")', "ID": "+1 2"}])
    import_file(ws, path)
    out = tmp_path / "dups.csv"
    export_duplicates_csv(ws, out)
    with out.open(newline="", encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    assert row["title"] == '\'=HYPERLINK("http://x")' and row["source_id"] == "'+1 2"
    assert [safe_cell(v) for v in ("-3", "@x", "ok", 5)] == ["'-3", "'@x", "ok", 5]
    with pytest.raises(InvalidInputError, match="does not exist"):
        export_duplicates_csv(ws, tmp_path / "nope" / "d.csv")


def test_dedup_of_an_empty_batch_list_changes_nothing(tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path)
    summary = run_dedup(ws)
    assert (summary.records, summary.certain, summary.duplicates) == (0, 0, 0)
    with ws.store.read() as s:
        assert s.scalar(select(func.count()).select_from(DuplicatePair)) == 0


def test_the_whole_flow_on_both_backends(db_url: str, tmp_path: Path) -> None:
    ws = ingest_ws(tmp_path, db_url)
    first = import_file(ws, MEDLINE, source="MEDLINE")
    add_decision(ws, record_ids(ws, first.batch_id)[1], "include")
    second = import_file(ws, UPDATE, source="Embase")
    summary = run_dedup(ws, batch_ids=[second.batch_id])
    assert (summary.certain, summary.uncertain) == (2, 1)
    old, new = record_ids(ws, first.batch_id), record_ids(ws, second.batch_id)
    assert duplicate_links(ws) == {new[0]: old[0], new[1]: old[1]}
    queued = dq.queue_ids(ws)[0]
    dq.confirm_pair(ws, queued)
    dq.reject_pair(ws, _pair_id(ws, old[0], new[0]))
    run_dedup(ws)
    assert duplicate_links(ws) == {new[1]: old[1], new[2]: old[2]}
    detail = dq.pair_detail(ws, queued)
    assert detail.status == "confirmed" and detail.a.has_work is False
    assert dq.pair_detail(ws, _pair_id(ws, old[1], new[1])).a.has_work is True
    out = tmp_path / "d.csv"
    assert export_duplicates_csv(ws, out) == 11
    ws.store.dispose()
