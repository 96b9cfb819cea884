"""Turning records into the TF-IDF matrix the ranking model learns from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer


def record_text(title: str | None, abstract: str | None) -> str:
    """The text a record is ranked on: its title and abstract joined (missing parts are empty)."""
    return f"{title or ''} {abstract or ''}".strip()


@dataclass(frozen=True)
class VectorSettings:
    """TF-IDF settings: word uni/bigrams with sublinear term frequency.

    ``min_df`` is a document count; terms in more than ``max_df`` of the documents are dropped
    because they cannot separate includes from excludes.
    """

    ngram_max: int = 2
    min_df: int = 1
    max_df: float = 0.95
    stop_words: bool = False


def make_vectorizer(settings: VectorSettings | None = None) -> TfidfVectorizer:
    """A fresh, unfitted vectoriser for ``settings`` (defaults when None)."""
    s = settings or VectorSettings()
    return TfidfVectorizer(
        ngram_range=(1, s.ngram_max),
        sublinear_tf=True,
        min_df=s.min_df,
        max_df=s.max_df,
        stop_words="english" if s.stop_words else None,
        strip_accents="unicode",
        dtype=np.float32,
    )


def vectorise(
    texts: Sequence[str], settings: VectorSettings | None = None
) -> tuple[TfidfVectorizer, sparse.csr_matrix]:
    """Fit a vectoriser on the whole corpus and return it with the document-term matrix.

    A corpus too small or too uniform for ``max_df``/``min_df`` falls back to keeping every term,
    so a tiny review still gets a model rather than an error.
    """
    vec = make_vectorizer(settings)
    docs = [t or "" for t in texts]
    try:
        matrix = vec.fit_transform(docs)
    except ValueError:
        vec = TfidfVectorizer(
            ngram_range=vec.ngram_range, sublinear_tf=True, strip_accents="unicode", min_df=1
        )
        try:
            matrix = vec.fit_transform(docs)
        except ValueError:
            # Nothing but empty texts or stop words: keep a one-column matrix of zeros.
            vec = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b|\S")
            vec.fit(["empty"])
            matrix = sparse.csr_matrix((len(docs), 1), dtype=np.float32)
    # Single precision halves the memory traffic of scoring, which is a matrix-vector product
    # over the whole corpus at every refit; the classifiers get float64 copies of their rows.
    out = sparse.csr_matrix(matrix, dtype=np.float32)
    # Sorted indices once here spare every refit a check-and-sort of its slice.
    out.sort_indices()
    return vec, out
