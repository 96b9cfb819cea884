"""Relevance ranking for screening: TF-IDF features and a linear model refitted as decisions arrive.

The corpus is vectorised once; each refit trains only the classifier on the labelled rows (plus a
few unlabelled rows presumed irrelevant), and scoring every record is one sparse matrix-vector
product. Ranking only orders records: nothing is ever hidden, and with no include yet the original
order is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from realist.ranking.features import VectorSettings, vectorise

CLASSIFIERS = ("lr", "svm", "nb", "lr+nb", "svm+nb")
_SPREAD_SAMPLE = 5000


class RankingInputError(ValueError):
    """Labels or indices given to a ranker are not usable (the message says which and where)."""


@dataclass(frozen=True)
class ModelSettings:
    """How the ranker learns. The defaults are the configuration measured best by bench/ranking.py.

    classifier: one of ``CLASSIFIERS``; "a+b" sums the two models, each scaled by the spread of
        its scores over the corpus.
    c: inverse regularisation strength of the logistic regression / linear SVM.
    nb_alpha: additive smoothing of the naive Bayes part.
    balance_ratio: excludes get weight ``n_includes / (balance_ratio * n_excludes)`` relative to
        includes (ASReview's "balanced" sample weight); 1.0 gives both classes equal total weight.
    pseudo_negatives: unlabelled records, drawn at random at each refit, trained on as presumed
        excludes at every refit (the AutoTAR of Cormack & Grossman 2015). Measured not to help on
        the benchmark sets, so off by default.
    cold_start_negatives: presumed excludes used only while no exclude has been labelled, so that
        a single include is already enough to rank.
    max_excludes: at most this many labelled excludes (a seeded random sample) are trained on;
        every include always is. Keeps a refit under a second late in a very large review, when
        further excludes barely move a class-balanced model.
    """

    classifier: str = "lr+nb"
    c: float = 1.0
    nb_alpha: float = 0.1
    balance_ratio: float = 1.0
    pseudo_negatives: int = 0
    cold_start_negatives: int = 100
    max_excludes: int = 5000
    vector: VectorSettings = field(default_factory=VectorSettings)

    def __post_init__(self) -> None:
        if self.classifier not in CLASSIFIERS:
            raise ValueError(
                f"ModelSettings.classifier: {self.classifier!r} is not one of {CLASSIFIERS}"
            )


def _check_labels(labels: Sequence[int], where: str) -> np.ndarray:
    y = np.asarray(list(labels), dtype=np.int64)
    bad = np.flatnonzero((y != 0) & (y != 1))
    if bad.size:
        i = int(bad[0])
        raise RankingInputError(
            f"{where}: label at position {i} is {labels[i]!r}; use 1 for include, 0 for exclude"
        )
    return y


def _balanced_weights(y: np.ndarray, ratio: float) -> np.ndarray:
    """Sample weights giving the two classes comparable influence (mean weight 1)."""
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    w = np.ones(len(y), dtype=np.float64)
    if n_pos and n_neg:
        w[y == 0] = n_pos / (ratio * n_neg)
    out: np.ndarray = w * (len(y) / w.sum())
    return out


def _fit_linear(
    kind: str, x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, s: ModelSettings, seed: int
) -> tuple[np.ndarray, float]:
    """Fit one linear model; return its weight vector and bias (score = x @ coef + bias)."""
    if kind == "lr":
        lr = LogisticRegression(
            C=s.c, solver="liblinear", dual=True, random_state=seed, max_iter=1000
        )
        lr.fit(x, y, sample_weight=w)
        return np.asarray(lr.coef_[0], dtype=np.float64), float(lr.intercept_[0])
    if kind == "svm":
        svm = LinearSVC(C=s.c, random_state=seed, max_iter=5000)
        svm.fit(x, y, sample_weight=w)
        return np.asarray(svm.coef_[0], dtype=np.float64), float(svm.intercept_[0])
    nb = MultinomialNB(alpha=s.nb_alpha, fit_prior=False)
    nb.fit(x, y, sample_weight=w)
    coef = nb.feature_log_prob_[1] - nb.feature_log_prob_[0]
    return np.asarray(coef, dtype=np.float64), 0.0


class IncrementalRanker:
    """Rank one corpus again and again as screening decisions arrive.

    ``texts`` are every record of the review (title and abstract, see ``record_text``), in the
    order the records are shown without ranking; rows are referred to by their position in it.
    """

    def __init__(
        self, texts: Sequence[str], *, seed: int = 0, settings: ModelSettings | None = None
    ) -> None:
        self.seed = seed
        self.settings = settings or ModelSettings()
        self.vectorizer: TfidfVectorizer
        self.vectorizer, self.matrix = vectorise(texts, self.settings.vector)
        # (weights, bias) of the fitted model, replaced in one assignment so that a thread
        # reading scores while another refits sees either the old model or the new one.
        self._fitted: tuple[np.ndarray, float] | None = None
        self._names: np.ndarray | None = None
        self._prior: np.ndarray | None = None
        # A fixed sample of rows on which to measure each ensemble member's score spread: a full
        # pass over a large corpus per member would double the cost of a refit.
        rows = np.random.default_rng(0).permutation(self.n_records)[:_SPREAD_SAMPLE]
        self._sample = self.matrix[np.sort(rows)]

    @property
    def n_records(self) -> int:
        """Number of records in the corpus."""
        return int(self.matrix.shape[0])

    @property
    def trained(self) -> bool:
        """True once a fit had at least one include to learn from."""
        return self._fitted is not None

    def fit(self, indices: Sequence[int], labels: Sequence[int]) -> bool:
        """Refit the classifier on the labelled rows ``indices`` (1 include, 0 exclude).

        Returns whether a model was trained. With no include among the labels there is nothing to
        learn relevance from, so the ranker goes back to the original order (cold start).
        """
        idx = np.asarray(list(indices), dtype=np.int64)
        y = _check_labels(labels, "IncrementalRanker.fit")
        if len(idx) != len(y):
            raise RankingInputError(
                f"IncrementalRanker.fit: {len(idx)} indices but {len(y)} labels"
            )
        out = np.flatnonzero((idx < 0) | (idx >= self.n_records))
        if out.size:
            raise RankingInputError(
                f"IncrementalRanker.fit: index {int(idx[out[0]])} (position {int(out[0])}) is "
                f"outside the corpus of {self.n_records} records"
            )
        if len(np.unique(idx)) != len(idx):
            raise RankingInputError("IncrementalRanker.fit: an index is labelled twice")
        if not y.any():
            self._fitted = None
            return False
        idx, y = self._cap_excludes(idx, y)
        idx, y = self._add_pseudo_negatives(idx, y)
        if y.all():
            # Only includes and no unlabelled rows to contrast them with: nothing to separate.
            self._fitted = None
            return False
        x = sparse.csr_matrix(self.matrix[idx], dtype=np.float64)
        w = _balanced_weights(y, self.settings.balance_ratio)
        parts = self.settings.classifier.split("+")
        if len(parts) == 1:
            self._fitted = _fit_linear(parts[0], x, y, w, self.settings, self.seed)
            return True
        # An ensemble of linear models is still linear: sum each one's weights divided by the
        # spread of its scores over the corpus, so explain() stays exact.
        coef = np.zeros(self.matrix.shape[1], dtype=np.float64)
        bias = 0.0
        for kind in parts:
            c, b = _fit_linear(kind, x, y, w, self.settings, self.seed)
            spread = float(np.std(self._sample @ c)) or 1.0
            coef += c / spread
            bias += b / spread
        self._fitted = (coef, bias)
        return True

    def _cap_excludes(self, idx: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        neg = np.flatnonzero(y == 0)
        cap = self.settings.max_excludes
        if cap <= 0 or len(neg) <= cap:
            return idx, y
        rng = np.random.default_rng([self.seed, len(idx), 1])
        sampled = rng.choice(neg, cap, replace=False)
        keep = np.sort(np.concatenate([np.flatnonzero(y == 1), sampled]))
        return idx[keep], y[keep]

    def _add_pseudo_negatives(
        self, idx: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        k = self.settings.pseudo_negatives
        if not (y == 0).any():
            k = max(k, self.settings.cold_start_negatives)
        if k <= 0:
            return idx, y
        unlabelled = np.ones(self.n_records, dtype=bool)
        unlabelled[idx] = False
        pool = np.flatnonzero(unlabelled)
        if not pool.size:
            return idx, y
        # Seeded by the number of labels so that the same decisions always give the same model.
        rng = np.random.default_rng([self.seed, len(idx)])
        extra = rng.choice(pool, size=min(k, pool.size), replace=False)
        return np.concatenate([idx, extra]), np.concatenate([y, np.zeros(len(extra), np.int64)])

    def set_prior_terms(self, terms: Sequence[str]) -> int:
        """Keywords (e.g. from the review question) that order records before any include exists.

        Each term is analysed like the records (so "heart failure" matches the bigram and both
        words); a record's prior score is the summed TF-IDF of the matching terms. Records with no
        match keep their original order after those with one. Returns the number of corpus terms
        matched; an empty list removes the prior.
        """
        analyse = self.vectorizer.build_analyzer()
        vocab = self.vectorizer.vocabulary_
        cols = sorted({vocab[t] for term in terms for t in analyse(term) if t in vocab})
        if not cols:
            self._prior = None
            return 0
        self._prior = np.asarray(self.matrix[:, cols].sum(axis=1), dtype=np.float64).ravel()
        return len(cols)

    def scores(self) -> np.ndarray:
        """Relevance score of every record (higher is more likely relevant).

        Untrained (cold start), the scores fall from 1 to 0 in the original order, so sorting by
        score keeps that order; with prior terms set, records matching them come first (their
        score is 1 plus the match strength).
        """
        n = self.n_records
        fitted = self._fitted
        if fitted is None:
            base = 1.0 - np.arange(n, dtype=np.float64) / max(n, 1)
            if self._prior is None:
                return base
            return np.where(self._prior > 0, 1.0 + self._prior, base * 0.999)
        coef = fitted[0].astype(np.float32)
        return np.asarray(self.matrix @ coef, dtype=np.float64) + fitted[1]

    def order(self, candidates: Sequence[int] | None = None) -> list[int]:
        """``candidates`` (default: every record) sorted most likely relevant first.

        Ties keep the original order; every candidate is returned exactly once.
        """
        cand = (
            np.arange(self.n_records)
            if candidates is None
            else np.asarray(list(candidates), dtype=np.int64)
        )
        if self._fitted is None and self._prior is None:
            return [int(i) for i in np.sort(cand)]
        sc = self.scores()[cand]
        return [int(i) for i in cand[np.lexsort((cand, -sc))]]

    def explain(self, index: int, top: int = 8) -> list[tuple[str, float]]:
        """The terms of record ``index`` that pushed its score up most, with their contribution."""
        if not 0 <= index < self.n_records:
            raise RankingInputError(
                f"IncrementalRanker.explain: index {index} is outside the corpus of "
                f"{self.n_records} records"
            )
        return self._explain_row(self.matrix[index], top)

    def explain_text(self, text: str, top: int = 8) -> list[tuple[str, float]]:
        """As ``explain`` for a text that need not be in the corpus (unknown terms carry none)."""
        return self._explain_row(sparse.csr_matrix(self.vectorizer.transform([text])), top)

    def _explain_row(self, row: sparse.csr_matrix, top: int) -> list[tuple[str, float]]:
        fitted = self._fitted
        if fitted is None or top <= 0:
            return []
        contrib = row.data * fitted[0][row.indices]
        keep = np.flatnonzero(contrib > 0)
        if not keep.size:
            return []
        if self._names is None:
            self._names = self.vectorizer.get_feature_names_out()
        best = keep[np.lexsort((row.indices[keep], -contrib[keep]))][:top]
        return [(str(self._names[row.indices[j]]), float(contrib[j])) for j in best]


class Ranker:
    """Rank unlabelled texts by relevance learned from labelled ones (the simple, text-in API).

    Each ``rank`` call vectorises the labelled and unlabelled texts together; for repeated
    refits on one corpus use ``IncrementalRanker``, which vectorises once.
    """

    def __init__(self, *, seed: int = 0, settings: ModelSettings | None = None) -> None:
        self.seed = seed
        self.settings = settings or ModelSettings()
        self._texts: list[str] = []
        self._labels: list[int] = []
        self._model: IncrementalRanker | None = None

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> None:
        """Remember the labelled records (1 include, 0 exclude); the model is fitted lazily."""
        if len(texts) != len(labels):
            raise RankingInputError(f"Ranker.fit: {len(texts)} texts but {len(labels)} labels")
        y = _check_labels(labels, "Ranker.fit")
        self._texts = [t or "" for t in texts]
        self._labels = [int(v) for v in y]
        self._model = None

    def rank(self, texts: Sequence[str]) -> list[float]:
        """A relevance score for each of ``texts`` (higher first); one score per text, always.

        With no include learned yet the scores fall in the given order (cold start).
        """
        pool = [t or "" for t in texts]
        model = IncrementalRanker([*self._texts, *pool], seed=self.seed, settings=self.settings)
        model.fit(range(len(self._texts)), self._labels)
        self._model = model
        if not model.trained:
            n = len(pool)
            return [1.0 - i / max(n, 1) for i in range(n)]
        return [float(v) for v in model.scores()[len(self._texts) :]]

    def explain(self, text: str, top: int = 8) -> list[tuple[str, float]]:
        """Terms in ``text`` that pushed it up, with their positive contribution, largest first."""
        if self._model is None:
            if not self._texts:
                return []
            self._model = IncrementalRanker(self._texts, seed=self.seed, settings=self.settings)
            self._model.fit(range(len(self._texts)), self._labels)
        return self._model.explain_text(text, top)
