"""De-duplication of bibliographic records: pure, database-free.

`find_duplicates(records)` normalises each record, blocks candidate pairs on several keys, compares
them field by field with rapidfuzz, sorts each pair into a tier (certain: merge automatically;
uncertain: ask a reviewer) and clusters the certain pairs with networkx. Records are only linked,
never changed; every pair carries the evidence behind it.
"""

from realist.dedup.engine import (
    DuplicateIdError,
    InvalidRecordError,
    UnknownIdError,
    find_duplicates,
)
from realist.dedup.model import CandidatePair, DedupRecord, DedupResult, Tier
from realist.dedup.scoring import DEFAULT_THRESHOLDS, Thresholds

__all__ = [
    "DEFAULT_THRESHOLDS",
    "CandidatePair",
    "DedupRecord",
    "DedupResult",
    "DuplicateIdError",
    "InvalidRecordError",
    "Thresholds",
    "Tier",
    "UnknownIdError",
    "find_duplicates",
]
