"""The ranking model: order, explanations, determinism, cold start and bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from realist.ranking import (
    IncrementalRanker,
    ModelSettings,
    Ranker,
    RankingInputError,
    metrics,
    record_text,
)

INCLUDE_WORDS = "randomised trial insulin glycaemic control diabetes adults"
EXCLUDE_WORDS = "protein crystal structure mouse kidney enzyme assay"


def _corpus(n: int = 60, seed: int = 0) -> tuple[list[str], list[int]]:
    """Records whose topic word-pool decides their label, padded with shared filler words."""
    rng = np.random.default_rng(seed)
    inc, exc = INCLUDE_WORDS.split(), EXCLUDE_WORDS.split()
    filler = [
        "the", "of", "study", "patients", "results", "method", "analysis", "data", "group",
        "effect",
    ]
    texts, labels = [], []
    for i in range(n):
        pos = i % 5 == 0
        pool = inc if pos else exc
        words = list(rng.choice(pool, 5)) + list(rng.choice(filler, 6))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(1 if pos else 0)
    return texts, labels


def test_fitted_ranker_puts_obvious_includes_above_obvious_excludes() -> None:
    texts, labels = _corpus()
    ranker = Ranker(seed=1)
    ranker.fit(texts[:20], labels[:20])
    scores = ranker.rank(texts[20:])
    truth = labels[20:]
    lowest_include = min(s for s, y in zip(scores, truth, strict=True) if y)
    highest_exclude = max(s for s, y in zip(scores, truth, strict=True) if not y)
    assert lowest_include > highest_exclude


def test_explain_returns_terms_of_the_text_with_positive_weight() -> None:
    texts, labels = _corpus()
    ranker = Ranker()
    ranker.fit(texts, labels)
    text = "insulin trial for glycaemic control in adults with kidney disease"
    terms = ranker.explain(text, top=5)
    assert terms, "an include-like text should have terms pushing it up"
    assert len(terms) <= 5
    for term, weight in terms:
        assert weight > 0
        assert term in text.lower()
    assert [w for _, w in terms] == sorted((w for _, w in terms), reverse=True)
    assert "kidney" not in {t for t, _ in terms}, "an exclude word must not push a record up"


def test_refit_is_deterministic_for_a_seed() -> None:
    texts, labels = _corpus(80)
    idx = list(range(30))
    a = IncrementalRanker(texts, seed=7)
    b = IncrementalRanker(texts, seed=7)
    a.fit(idx, labels[:30])
    b.fit(idx, labels[:30])
    assert np.array_equal(a.scores(), b.scores())
    first = a.scores().copy()
    a.fit(idx, labels[:30])
    assert np.array_equal(first, a.scores()), "refitting the same decisions changes nothing"


def test_cold_start_keeps_every_record_in_original_order() -> None:
    texts, _ = _corpus(30)
    model = IncrementalRanker(texts)
    assert model.order() == list(range(30))
    assert model.fit([3, 4, 6], [0, 0, 0]) is False  # excludes only: nothing to learn
    assert model.order() == list(range(30))
    pool = [i for i in range(30) if i not in {3, 4, 6}]
    assert model.order(pool) == pool
    assert model.explain(0) == []

    ranker = Ranker()
    ranker.fit([], [])
    scores = ranker.rank(texts)
    assert len(scores) == len(texts)
    assert sorted(range(len(texts)), key=lambda i: -scores[i]) == list(range(len(texts)))


def test_prior_terms_order_the_cold_start_without_hiding_records() -> None:
    texts = ["kidney enzyme assay", "insulin trial in adults", "mouse protein", "insulin dose"]
    model = IncrementalRanker(texts)
    assert model.set_prior_terms(["insulin", "no-such-word"]) == 1
    order = model.order()
    assert set(order[:2]) == {1, 3}, "records with the keyword come first"
    assert order[2:] == [0, 2], "the rest keep their original order"
    assert model.order([0, 2, 3]) == [3, 0, 2]
    assert model.set_prior_terms([]) == 0
    assert model.order() == [0, 1, 2, 3]


def test_trained_order_is_a_permutation_of_the_candidates() -> None:
    texts, labels = _corpus(50)
    model = IncrementalRanker(texts, seed=3)
    assert model.fit([0, 1, 2], [1, 0, 0]) is True
    pool = list(range(3, 50))
    order = model.order(pool)
    assert sorted(order) == pool, "ranking must never hide or duplicate a record"
    first_five = order[:5]
    assert sum(labels[i] for i in first_five) >= 3


def test_excludes_beyond_the_cap_are_sampled_deterministically() -> None:
    texts, labels = _corpus(120, seed=4)
    capped = ModelSettings(max_excludes=20)
    a = IncrementalRanker(texts, seed=5, settings=capped)
    b = IncrementalRanker(texts, seed=5, settings=capped)
    full = IncrementalRanker(texts, seed=5)
    idx = list(range(80))
    for m in (a, b, full):
        m.fit(idx, labels[:80])
    assert np.array_equal(a.scores(), b.scores())
    assert not np.array_equal(a.scores(), full.scores()), "the cap must change the training set"
    n_inc = sum(labels[80:])
    top = a.order(range(80, 120))[:n_inc]
    assert sum(labels[i] for i in top) == n_inc


def test_one_include_and_no_exclude_still_trains_against_unscreened_records() -> None:
    texts, labels = _corpus(50)
    model = IncrementalRanker(texts, seed=0)
    assert model.fit([0], [1]) is True
    order = model.order(range(1, 50))
    top = order[:8]
    assert sum(labels[i] for i in top) >= 6


@pytest.mark.parametrize("classifier", ["lr", "svm", "nb", "lr+nb", "svm+nb"])
def test_every_classifier_ranks_includes_first(classifier: str) -> None:
    texts, labels = _corpus(60, seed=2)
    # No presumed-exclude rows here: in a 60-record corpus they would be mostly real includes.
    settings = ModelSettings(classifier=classifier, pseudo_negatives=0)
    model = IncrementalRanker(texts, settings=settings)
    model.fit(range(20), labels[:20])
    order = model.order(range(20, 60))
    n_inc = sum(labels[20:])
    assert {i for i in order[:n_inc]} == {i for i in range(20, 60) if labels[i]}


def test_bad_input_names_what_and_where() -> None:
    texts, _ = _corpus(10)
    model = IncrementalRanker(texts)
    with pytest.raises(RankingInputError, match="position 1 is 2"):
        model.fit([0, 1], [1, 2])
    with pytest.raises(RankingInputError, match="index 10"):
        model.fit([0, 10], [1, 0])
    with pytest.raises(RankingInputError, match="2 indices but 1 labels"):
        model.fit([0, 1], [1])
    with pytest.raises(RankingInputError, match="labelled twice"):
        model.fit([1, 1], [1, 0])
    with pytest.raises(RankingInputError, match="3 texts but 2 labels"):
        Ranker().fit(texts[:3], [1, 0])
    with pytest.raises(ValueError, match="classifier"):
        ModelSettings(classifier="forest")


def test_empty_and_missing_texts_do_not_break_the_ranker() -> None:
    model = IncrementalRanker(["", "", "insulin"])
    model.fit([2], [1])
    assert sorted(model.order([0, 1])) == [0, 1]
    assert record_text(None, "abstract only") == "abstract only"
    assert record_text("Title.", None) == "Title."


def _slice_of_shared_set(shared: Path, n: int = 600) -> tuple[list[str], list[int]]:
    path = shared / "screening" / "Cohen_2006_online" / "NSAIDS.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:n]
    texts = [record_text(r["title"], r["abstract"]) for r in rows]
    return texts, [int(float(r["label_included"] or 0)) for r in rows]


@pytest.mark.shared
def test_active_ranking_beats_random_order_on_a_real_set(shared_data: Path) -> None:
    texts, labels = _slice_of_shared_set(shared_data)
    y = np.array(labels)
    prior = [int(np.flatnonzero(y == 1)[0]), int(np.flatnonzero(y == 0)[0])]
    model = IncrementalRanker(texts, seed=0)
    order = list(prior)
    while len(order) < len(y) and y[order].sum() < y.sum():
        model.fit(order, y[order])
        order.extend(model.order(sorted(set(range(len(y))) - set(order)))[:5])
    rest = [i for i in range(len(y)) if i not in set(order)]
    ranked = [labels[i] for i in order + rest]
    # Random order has an expected WSS@95 near zero; learning must save a clear share of work.
    assert metrics.wss(ranked, 0.95) > 0.3
