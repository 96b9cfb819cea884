"""Prioritised screening: rank unscreened records by learned relevance, and estimate what remains.

Pure and database-free: callers pass texts and decisions in, and get scores, orders, explanations
and stopping estimates back. Ranking only orders records; it never hides one.
"""

from realist.ranking.features import VectorSettings, record_text
from realist.ranking.metrics import (
    found_curve,
    recall_at,
    screened_to_find_all,
    screened_to_reach,
    wss,
)
from realist.ranking.model import (
    IncrementalRanker,
    ModelSettings,
    Ranker,
    RankingInputError,
)
from realist.ranking.plot import text_plot
from realist.ranking.stopping import StoppingEstimate, StoppingInputError, stopping_estimate

__all__ = [
    "IncrementalRanker",
    "ModelSettings",
    "Ranker",
    "RankingInputError",
    "StoppingEstimate",
    "StoppingInputError",
    "VectorSettings",
    "found_curve",
    "recall_at",
    "record_text",
    "screened_to_find_all",
    "screened_to_reach",
    "stopping_estimate",
    "text_plot",
    "wss",
]
