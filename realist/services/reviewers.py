"""Reviewers: who works on the review and in which role."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from realist.db.models import Reviewer
from realist.domain import Role
from realist.errors import InvalidInputError
from realist.services import audit
from realist.services.context import Workspace

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class ReviewerInfo:
    id: int
    name: str
    full_name: str | None
    role: str
    active: bool


def add_reviewer(
    ws: Workspace, name: str, role: str = "reviewer", full_name: str | None = None
) -> ReviewerInfo:
    """Add a reviewer. Names are short handles (letters, digits, . _ -), unique in the database."""
    if not NAME_RE.match(name):
        raise InvalidInputError(
            f"reviewer name {name!r} must start with a letter and use only letters, digits, '.', '_' or '-'"
        )
    if role not in {r.value for r in Role}:
        raise InvalidInputError(
            f"role must be one of {', '.join(r.value for r in Role)}, not {role!r}"
        )
    with ws.store.transaction() as s:
        if s.scalars(select(Reviewer).where(Reviewer.name == name)).first() is not None:
            raise InvalidInputError(f"reviewer {name!r} already exists")
        # The first reviewer of a review bootstraps it; afterwards only a lead adds people.
        if s.scalars(select(Reviewer.id).limit(1)).first() is not None:
            ws.require_role(Role.LEAD, action="add reviewers")
        person = Reviewer(name=name, role=role, full_name=full_name)
        s.add(person)
        s.flush()
        audit.log(s, ws, "reviewer.add", "reviewer", person.id, name=name, role=role)
        return ReviewerInfo(person.id, person.name, person.full_name, person.role, person.active)


def list_reviewers(ws: Workspace) -> list[ReviewerInfo]:
    """Every reviewer, in the order they were added."""
    with ws.store.read() as s:
        return [
            ReviewerInfo(r.id, r.name, r.full_name, r.role, r.active)
            for r in s.scalars(select(Reviewer).order_by(Reviewer.id))
        ]
