"""Writing to the append-only audit log, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from realist.db.models import AuditEntry
from realist.services.context import Workspace


def log(
    session: Session,
    ws: Workspace,
    action: str,
    entity: str | None = None,
    entity_id: object = None,
    **details: Any,
) -> None:
    """Append one audit entry: who (the workspace's actor) did `action` to `entity` `entity_id`."""
    session.add(
        AuditEntry(
            review_id=ws.review_id,
            reviewer_id=ws.actor.id if ws.actor else None,
            actor=ws.actor_name,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            details=details,
        )
    )
