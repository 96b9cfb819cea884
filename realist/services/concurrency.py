"""Several sessions on one review: retrying a user action that lost a race it can safely re-run.

Decisions and tags are appended: a new row becomes current and the one it supersedes is flipped,
under a partial unique index that allows one current row per (record, reviewer, stage). When two
sessions of the same reviewer act on the same record at the same moment on PostgreSQL, both read
the same current row and the second insert violates the index; rolled back whole, the action is
simply run again, now seeing the first session's row, and supersedes it as it would have done one
after the other. The same goes for serialization failures and deadlocks, and for SQLite's
"database is locked" once its busy timeout has run out under heavy write load.

Edits to shared objects (CMOCs, codes, criteria) are *not* retried: their version check reports
the conflict to the user instead (`ConflictError`).
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

P = ParamSpec("P")
T = TypeVar("T")

# Unique indexes guarding "one current row" that a re-run resolves by superseding.
CURRENT_ROW_INDEXES = frozenset({"uq_decision_current", "uq_record_tag_current"})
# PostgreSQL: serialization_failure, deadlock_detected.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})
ATTEMPTS = 10


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def is_retryable(exc: BaseException) -> bool:
    """Whether `exc` is a lost race that re-running the whole action resolves."""
    if not isinstance(exc, DBAPIError):
        return False
    if _sqlstate(exc) in RETRY_SQLSTATES:
        return True
    text = str(exc.orig)
    if isinstance(exc, IntegrityError):
        return any(name in text for name in CURRENT_ROW_INDEXES) or (
            # SQLite names the columns, not the index
            "UNIQUE constraint failed: screening_decisions.record_id" in text
            or "UNIQUE constraint failed: record_tags.record_id" in text
        )
    return isinstance(exc, OperationalError) and "database is locked" in text


def retry_on_conflict(fn: Callable[P, T]) -> Callable[P, T]:
    """Run `fn` (one whole transaction) again when it lost a race (see module doc), up to
    ATTEMPTS times with a short, jittered pause; other errors pass through unchanged."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except DBAPIError as exc:
                if attempt == ATTEMPTS or not is_retryable(exc):
                    raise
                time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
