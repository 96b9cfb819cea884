"""Ranking never touches the 10% agreement sample: the draw, the second reviewer's queue and
what the second reviewer's model may learn from are the same whether or not ranking ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from realist.services import prioritise, samples
from realist.services import screening as sc
from tests.factories_agreement import TA, draw_for, screened_review
from tests.factories_screening import as_reviewer


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    prioritise.clear_cache()


def test_the_draw_is_the_same_after_screening_in_relevance_order(tmp_path: Path) -> None:
    ranked_ws, ids = screened_review(tmp_path / "ranked.db", n=60)
    plain_ws, plain_ids = screened_review(tmp_path / "plain.db", n=60)
    assert ids == plain_ids
    # The lead reopens the queue in relevance order; the model is trained on the includes.
    queue = sc.open_queue(ranked_ws, TA, "relevance")
    assert sorted(queue.ids) == sorted(ids)
    corpus = prioritise.build_corpus(prioritise.corpus_source(ranked_ws, TA))
    # every record is decided; done=set() orders them all by score, as if none were
    ranking = prioritise.rank(corpus, prioritise.training_labels(ranked_ws, TA), done=set())
    assert ranking.trained and ranking.order != sorted(ids)  # the ranking did reorder
    ranked = draw_for(ranked_ws, seed=2024, fraction=0.10)
    plain = draw_for(plain_ws, seed=2024, fraction=0.10)
    assert ranked.record_ids == plain.record_ids
    assert list(ranked.record_ids) == sorted(ranked.record_ids)  # drawn sorted, not ranked
    assert ranked.record_ids != tuple(ranking.order[: len(ranked.record_ids)])


def test_the_second_reviewer_ranks_only_the_sample_and_learns_nothing_of_the_first(
    tmp_path: Path,
) -> None:
    ws, ids = screened_review(tmp_path / "blind.db", n=60)
    info = draw_for(ws, seed=5, fraction=0.10)
    b = as_reviewer(ws, "JF")
    # Blind: the first reviewer's 60 decisions teach B's model nothing.
    assert prioritise.training_labels(b, TA) == {}
    queue = sc.open_queue(b, TA, "relevance")
    assert sorted(queue.ids) == sorted(info.record_ids)
    source = prioritise.corpus_source(b, TA)
    assert sorted(source.ids) == sorted(info.record_ids)
    first = info.record_ids[0]
    sc.decide(b, first, TA, "include")
    assert prioritise.training_labels(b, TA) == {first: 1}
    ranking = prioritise.rank(prioritise.build_corpus(source), prioritise.training_labels(b, TA))
    assert sorted(ranking.order) == sorted(info.record_ids)  # never hides or adds a record
    assert samples.get_sample(ws, info.id).record_ids == info.record_ids
    # the lead, who is not blind, learns from everyone's decisions
    assert len(prioritise.training_labels(ws, TA)) >= len(ids) - 1
