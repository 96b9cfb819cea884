"""The records the engine reads and the pairs, clusters it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["CandidatePair", "DedupRecord", "DedupResult", "Tier"]

Tier = Literal["certain", "uncertain"]


@dataclass(frozen=True)
class DedupRecord:
    """One bibliographic record as imported; only `id` is required to be set and unique."""

    id: int
    title: str | None
    authors: Sequence[str] | str | None
    year: int | None
    journal: str | None
    journal_abbrev: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    abstract: str | None = None
    batch: int | None = None


@dataclass
class CandidatePair:
    """Two records judged to be the same publication, with the evidence for it.

    `a` < `b`. `evidence` maps field names to similarities in 0..1 (only fields both records
    have); `reason` is one sentence a reviewer can read.
    """

    a: int
    b: int
    score: float
    tier: Tier
    evidence: dict[str, float]
    reason: str


@dataclass
class DedupResult:
    """Certain and uncertain pairs, and the clusters the certain pairs form.

    Each cluster is sorted with its canonical record (the lowest id) first. Records in no
    cluster are unique as far as automatic merging goes.
    """

    pairs: list[CandidatePair] = field(default_factory=list)
    clusters: list[list[int]] = field(default_factory=list)

    @property
    def certain(self) -> list[CandidatePair]:
        """Pairs merged automatically."""
        return [p for p in self.pairs if p.tier == "certain"]

    @property
    def uncertain(self) -> list[CandidatePair]:
        """Pairs left for a reviewer."""
        return [p for p in self.pairs if p.tier == "uncertain"]
