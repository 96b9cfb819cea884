"""The prioritisation service: queue order invariants, what the model learns from (and what
blinding keeps from it), the discovery curve's order, and the vectorised-corpus cache."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from realist.db.models import Record, ScreeningDecision
from realist.domain import Stage
from realist.services import prioritise, samples
from realist.services import screening as sc
from realist.services.context import Workspace
from tests.conftest import migrated_sqlite
from tests.factories_agreement import TA, draw_for, screen_sample, screened_review
from tests.factories_screening import add_batch, as_reviewer, screening_workspace


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts and ends with an empty corpus cache (it is process-wide)."""
    prioritise.clear_cache()
    yield
    prioritise.clear_cache()


def review(tmp_path: Path, n: int = 12) -> tuple[Workspace, list[int]]:
    ws = screening_workspace(migrated_sqlite(tmp_path / "p.db"))
    return ws, add_batch(ws, n)


def decide(ws: Workspace, rid: int, decision: str, stage: str = TA) -> None:
    sc.decide(ws, rid, stage, decision, reason="not_qi" if decision == "exclude" else None)


# --------------------------------------------------------------------------------------------
# relevance_order


@st.composite
def queues(draw: st.DrawFn) -> tuple[list[int], list[float], set[int], int | None]:
    ids = draw(st.lists(st.integers(1, 10_000), min_size=0, max_size=40, unique=True))
    # Few distinct scores, so ties are common.
    scores = [draw(st.sampled_from([0.0, 0.5, 1.0, -2.0])) for _ in ids]
    done = set(draw(st.lists(st.sampled_from(ids), unique=True))) if ids else set()
    current = draw(st.one_of(st.none(), st.sampled_from(ids))) if ids else None
    return ids, scores, done, current


@given(queues())
def test_relevance_order_keeps_every_record_done_first_current_pinned_ties_in_file_order(
    q: tuple[list[int], list[float], set[int], int | None],
) -> None:
    ids, scores, done, current = q
    order = prioritise.relevance_order(ids, scores, done, current)
    assert sorted(order) == sorted(ids), "a permutation: nothing hidden, nothing doubled"
    k = len(done)
    assert order[:k] == [i for i in ids if i in done], "records dealt with first, in file order"
    rest = order[k:]
    if current is not None and current not in done:
        assert rest[0] == current, "the open current record leads the open ones"
        rest = rest[1:]
    score = dict(zip(ids, scores, strict=True))
    position = {rid: p for p, rid in enumerate(ids)}
    for a, b in pairwise(rest):
        assert score[a] > score[b] or (score[a] == score[b] and position[a] < position[b])


def test_relevance_order_refuses_scores_that_do_not_match_the_ids() -> None:
    with pytest.raises(ValueError, match="3 ids but 2 scores"):
        prioritise.relevance_order([1, 2, 3], [0.1, 0.2], set())


def test_relevance_order_ignores_a_current_record_outside_the_queue() -> None:
    assert prioritise.relevance_order([5, 6, 7], [0.0, 1.0, 0.5], {7}, current=99) == [7, 6, 5]


# --------------------------------------------------------------------------------------------
# training_labels


def test_maybe_is_relevant_exclude_is_not_and_conflicts_are_left_out(tmp_path: Path) -> None:
    ws, ids = review(tmp_path)
    jf = as_reviewer(ws, "JF")
    decide(ws, ids[0], "include")
    decide(ws, ids[1], "maybe")
    decide(ws, ids[2], "exclude")
    decide(ws, ids[3], "include")  # LLJ include, JF exclude: an unresolved conflict
    decide(jf, ids[3], "exclude")
    decide(jf, ids[4], "exclude")
    decide(jf, ids[5], "maybe")
    assert prioritise.training_labels(ws, TA) == {
        ids[0]: 1,
        ids[1]: 1,
        ids[2]: 0,
        ids[4]: 0,
        ids[5]: 1,
    }
    assert prioritise.training_labels(ws, "full_text") == {}


def test_a_blind_second_reviewer_learns_nothing_from_the_first_reviewers_decisions(
    tmp_path: Path,
) -> None:
    ws, ids = screened_review(tmp_path / "b.db", n=40)
    assert len(prioritise.training_labels(ws, TA)) == 40  # the lead sees every decision
    info = draw_for(ws, "JF")
    jf = as_reviewer(ws, "JF")
    assert prioritise.training_labels(jf, TA) == {}, "the blind sample's first reviewer leaks"
    # The corpus a blind reviewer ranks is their queue: the sample's records.
    assert set(prioritise.corpus_source(jf, TA).ids) == set(info.record_ids)
    first = info.record_ids[0]
    screen_sample(jf, info, {first: "include"})
    labels = prioritise.training_labels(jf, TA)
    assert labels == {rid: int(rid == first) for rid in info.record_ids}, "only their own"
    samples.open_comparison(ws, info.id)
    opened = prioritise.training_labels(as_reviewer(ws, "JF"), TA)
    # With the comparison open JF sees LLJ's decisions; disagreements become conflicts.
    assert len(opened) > len(info.record_ids) and set(opened) <= set(ids)


# --------------------------------------------------------------------------------------------
# discovery_curve


def test_the_discovery_curve_follows_the_first_decision_time(tmp_path: Path) -> None:
    ws, ids = review(tmp_path, n=10)
    jf = as_reviewer(ws, "JF")
    a, b, c, d = ids[:4]
    decide(ws, a, "include")
    decide(ws, b, "exclude")
    decide(ws, c, "maybe")
    decide(ws, d, "exclude")
    curve, total = prioritise.discovery_curve(ws, TA)
    assert (curve, total) == ([1, 1, 2, 2], 10)
    # Move a's decision after every other one: the curve starts with three excludes-or-maybes.
    later = datetime.now(UTC) + timedelta(days=1)
    with ws.store.transaction() as s:
        s.execute(
            update(ScreeningDecision)
            .where(ScreeningDecision.record_id == a)
            .values(created_at=later)
        )
    assert prioritise.discovery_curve(ws, TA)[0] == [0, 1, 1, 2]
    # A record stays where it was first decided and counts with its final decision: LLJ
    # changing d to include makes it an include at its old place...
    decide(ws, d, "include")
    assert prioritise.discovery_curve(ws, TA)[0] == [0, 1, 2, 3]
    # ... and JF excluding it makes it an unresolved conflict, not an include.
    decide(jf, d, "exclude")
    assert prioritise.discovery_curve(ws, TA)[0] == [0, 1, 1, 2]


def test_the_discovery_curve_skips_duplicates_and_counts_every_record_to_screen(
    tmp_path: Path,
) -> None:
    ws, ids = review(tmp_path, n=6)
    with ws.store.transaction() as s:
        s.execute(update(Record).where(Record.id == ids[5]).values(duplicate_of_id=ids[0]))
    decide(ws, ids[0], "include")
    curve, total = prioritise.discovery_curve(ws, TA)
    assert (curve, total) == ([1], 5)
    report = prioritise.stopping_report(ws, TA)
    assert (report.estimate.screened, report.estimate.found, report.n_total) == (1, 1, 5)


# --------------------------------------------------------------------------------------------
# The corpus cache and the child process


def test_build_corpus_returns_the_cached_corpus_for_the_same_source(tmp_path: Path) -> None:
    ws, ids = review(tmp_path)
    source = prioritise.corpus_source(ws, TA)
    first = prioritise.build_corpus(source, in_process=True)
    assert prioritise.build_corpus(prioritise.corpus_source(ws, TA)) is first
    assert prioritise.cached_corpus(source) is first
    with ws.store.transaction() as s:
        s.execute(update(Record).where(Record.id == ids[0]).values(title="A changed title"))
    changed = prioritise.corpus_source(ws, TA)
    assert changed.key != source.key
    assert prioritise.build_corpus(changed, in_process=True) is not first
    prioritise.clear_cache()
    assert prioritise.cached_corpus(source) is None


def test_the_child_process_builds_the_same_model_as_the_parent(tmp_path: Path) -> None:
    ws, ids = review(tmp_path, n=30)
    for rid, dec in zip(ids[:6], ["include", "exclude", "exclude", "maybe", "exclude", "exclude"],
                        strict=True):  # fmt: skip
        decide(ws, rid, dec)
    source = prioritise.corpus_source(ws, TA)
    labels = prioritise.training_labels(ws, TA)
    here = prioritise.build_corpus(source, in_process=True)
    ranked_here = prioritise.rank(here, labels)
    prioritise.clear_cache()
    child = prioritise.build_corpus(source, in_process=False)
    assert child is not here
    ranked_child = prioritise.rank(child, labels)
    assert ranked_here.trained and ranked_child.trained
    assert ranked_child.order == ranked_here.order
    np.testing.assert_array_equal(
        [ranked_child.scores[i] for i in ids], [ranked_here.scores[i] for i in ids]
    )
    assert prioritise.explain(child, ids[6]) == prioritise.explain(here, ids[6])


def test_concurrent_refits_on_one_cached_corpus_each_score_their_own_labels(
    tmp_path: Path,
) -> None:
    """The TUI's worker and a CLI-style caller may share one cached corpus: a refit from one
    must never be scored with the other's weights."""
    from concurrent.futures import ThreadPoolExecutor

    ws, ids = review(tmp_path, n=60)
    corpus = prioritise.build_corpus(prioritise.corpus_source(ws, TA), in_process=True)
    a = {ids[0]: 1, ids[1]: 0, ids[2]: 0, ids[3]: 1}
    b = {ids[10]: 1, ids[11]: 1, ids[12]: 0, ids[13]: 0, ids[14]: 0}
    want_a = prioritise.rank(corpus, a).scores
    want_b = prioritise.rank(corpus, b).scores
    assert want_a != want_b, "the two label sets must lead to different scores"

    def run(labels: dict[int, int]) -> dict[int, float]:
        return prioritise.rank(corpus, labels).scores

    jobs = [a, b] * 40
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, jobs))
    for labels, got in zip(jobs, results, strict=True):
        assert got == (want_a if labels is a else want_b)


@st.composite
def reorders(draw: st.DrawFn) -> tuple[list[int], list[int], set[int], int, bool]:
    ids = draw(st.lists(st.integers(1, 500), min_size=1, max_size=30, unique=True))
    # a permutation, or anything: unknown ids, repeats, missing ones
    perm = draw(st.permutations(ids))
    other = draw(st.lists(st.integers(1, 600), max_size=40))
    new = draw(st.sampled_from([list(perm), other]))
    mine = set(draw(st.lists(st.sampled_from(ids), unique=True)))
    position = draw(st.integers(0, len(ids) - 1))
    return ids, new, mine, position, draw(st.booleans())


@given(reorders())
def test_queue_reorder_keeps_every_record_and_the_current_one(
    case: tuple[list[int], list[int], set[int], int, bool],
) -> None:
    ids, new, mine, position, pin = case
    q = sc.Queue(Stage.TITLE_ABSTRACT, "file", None, list(ids), dict.fromkeys(mine, "exclude"))
    q.position = position
    current = q.current
    q.reorder(new, "relevance", pin_current=pin)
    assert sorted(q.ids) == sorted(ids), "nothing dropped, nothing added"
    assert q.current == current
    assert all(q.ids[q._index[r]] == r for r in ids)
    known = [i for i in dict.fromkeys(new) if i in set(ids)]
    rest = [i for i in q.ids if not (pin and i == current and current not in mine)]
    assert rest[: len(known)] == [i for i in known if i in rest], "the new order leads"
    if pin and current not in mine:
        open_ids = [i for i in q.ids if i not in mine]
        assert open_ids[0] == current, "the open current record comes before every other open one"
