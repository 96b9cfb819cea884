"""Reading the audit trail: who changed what and when, newest first, respecting blinding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from realist.db.models import AuditEntry, as_utc
from realist.services.context import Workspace
from realist.services.visibility import LABEL_DEFINED, blinds

# Actions whose entries carry a reviewer's screening work (decisions, reasons, notes, tags, the
# custom labels they typed).
SCREENING_ACTIONS = ("screening.", "agreement.resolve", LABEL_DEFINED)
# ... of which those about tags: hidden at every stage, as the tags are (they are stage-less in
# use, `realist.services.visibility`).
TAG_ACTIONS = frozenset({"screening.tag", LABEL_DEFINED})


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str | None
    entity_id: str | None
    details: dict[str, Any]

    def summary(self) -> str:
        """The details as `key=value` pairs, for one-line listings."""
        return ", ".join(f"{k}={v}" for k, v in self.details.items() if v not in (None, "", [], {}))


def _hidden(entry: AuditEntry, hidden: dict[int, set[str]]) -> bool:
    """Whether a blinded reviewer may not see this entry (it records the first reviewer's work)."""
    if not entry.action.startswith(SCREENING_ACTIONS):
        return False
    owners = {entry.reviewer_id}
    if entry.entity == "reviewer" and entry.entity_id and entry.entity_id.isdigit():
        owners.add(int(entry.entity_id))  # e.g. decisions imported for that reviewer by a lead
    stage = None if entry.action in TAG_ACTIONS else (entry.details or {}).get("stage")
    for owner in owners:
        stages = hidden.get(owner or -1)
        if stages and (stage is None or stage in stages):
            return True
    return False


def audit_entries(
    ws: Workspace,
    *,
    limit: int = 200,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    before_id: int | None = None,
) -> list[AuditRow]:
    """The newest audit entries (up to `limit`), optionally filtered by actor name, action prefix
    and entity; entries about a blinded first reviewer's screening are left out for the second
    reviewer, as everywhere else."""
    with ws.store.read() as s:
        hidden: dict[int, set[str]] = {}
        for b in blinds(s, ws):
            hidden.setdefault(b.first_reviewer_id, set()).add(b.stage)
        stmt = select(AuditEntry).where(AuditEntry.review_id == ws.review_id)
        if actor:
            stmt = stmt.where(AuditEntry.actor == actor)
        if action:
            stmt = stmt.where(AuditEntry.action.startswith(action))
        if entity:
            stmt = stmt.where(AuditEntry.entity == entity)
        if before_id is not None:
            stmt = stmt.where(AuditEntry.id < before_id)
        stmt = stmt.order_by(AuditEntry.id.desc())
        rows: list[AuditRow] = []
        # Read in pages so hidden entries never shorten the answer below `limit`.
        offset = 0
        page = max(limit, 100)
        while len(rows) < limit:
            batch = list(s.scalars(stmt.offset(offset).limit(page)))
            if not batch:
                break
            offset += len(batch)
            for e in batch:
                if hidden and _hidden(e, hidden):
                    continue
                rows.append(
                    AuditRow(
                        e.id,
                        as_utc(e.at),
                        e.actor or "system",
                        e.action,
                        e.entity,
                        e.entity_id,
                        dict(e.details or {}),
                    )
                )
                if len(rows) == limit:
                    break
        return rows
