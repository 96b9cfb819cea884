"""Cheap change detection, so several sessions on one review see each other's progress.

Every change a service makes appends an audit entry in the same transaction, so the audit log of a
review changes exactly when something committed. `change_mark` reads its newest id and its length
(two index look-ups); the TUI polls it on a timer (`Watcher.changed`) and recounts only when the
mark moved. Both numbers are needed on PostgreSQL: ids come from a sequence, so a transaction that
took its id earlier can commit after a later one (the newest id is then unchanged, the count is
not). In team mode the database shows each role only the entries it may read, so a blinded second
reviewer's screen does not even learn that the first reviewer decided something.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from realist.db.models import AuditEntry
from realist.services.context import Workspace

REFRESH_SECONDS = 2.0
"""How often the TUI looks for other sessions' changes."""


@dataclass(frozen=True)
class ChangeMark:
    """Where the review's audit log stands: its newest entry and how many there are."""

    last_id: int
    entries: int


def change_mark(ws: Workspace) -> ChangeMark:
    """The review's change mark now (read-only, a few milliseconds even on large reviews)."""
    with ws.store.read() as s:
        last_id, entries = s.execute(
            select(func.max(AuditEntry.id), func.count()).where(
                AuditEntry.review_id == ws.review_id
            )
        ).one()
    return ChangeMark(int(last_id or 0), int(entries or 0))


class Watcher:
    """Remembers the last mark seen; `changed()` says whether anything committed since."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.mark: ChangeMark | None = None

    def prime(self) -> ChangeMark:
        """Take the current mark as seen (call after showing fresh figures)."""
        self.mark = change_mark(self.ws)
        return self.mark

    def changed(self) -> bool:
        """Whether the review changed since the last call (or `prime`); the first call primes."""
        now = change_mark(self.ws)
        before, self.mark = self.mark, now
        return before is not None and now != before
