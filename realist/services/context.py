"""Who is acting on which review: the `Workspace` every service receives."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select

from realist.db.models import Review, Reviewer
from realist.db.store import Store
from realist.domain import Role
from realist.errors import NotFoundError, PermissionDeniedError, RealistError

SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """The reviewer performing an action."""

    id: int
    name: str
    role: str


@dataclass
class Workspace:
    """A review database, the review in it, and the acting reviewer (None for read-only use)."""

    store: Store
    review_id: int
    actor: Actor | None = None

    @property
    def actor_name(self) -> str:
        return self.actor.name if self.actor else SYSTEM

    def require_actor(self) -> Actor:
        """The acting reviewer, or a clear error saying how to name one."""
        if self.actor is None:
            raise PermissionDeniedError(
                "this action needs a reviewer: pass --reviewer NAME or set REALIST_REVIEWER "
                "(see `realist reviewer list`)"
            )
        return self.actor

    def require_role(self, *roles: Role | str, action: str) -> Actor:
        """The acting reviewer, if their role allows `action`."""
        actor = self.require_actor()
        allowed = {str(r) for r in roles}
        if actor.role not in allowed:
            raise PermissionDeniedError(
                f"{actor.name} ({actor.role}) may not {action}; needs role {' or '.join(sorted(allowed))}"
            )
        return actor

    def with_actor(self, actor: Actor | None) -> Workspace:
        return Workspace(self.store, self.review_id, actor)


class NoReviewError(RealistError):
    """The database holds no review yet."""


def resolve_review_id(store: Store, review_id: int | None = None) -> int:
    """The review to work on: the one given, or the only/first review in the database."""
    with store.read() as s:
        if review_id is not None:
            if s.get(Review, review_id) is None:
                raise NotFoundError(f"no review with id {review_id} in {store.display_url()}")
            return review_id
        first = s.scalars(select(Review.id).order_by(Review.id).limit(1)).first()
    if first is None:
        raise NoReviewError(
            f"{store.display_url()} holds no review yet; load one with `realist load FILE...`"
        )
    return int(first)


def resolve_actor(store: Store, name: str | None) -> Actor | None:
    """The named reviewer (or REALIST_REVIEWER); with no name, the only reviewer if there is one."""
    name = name or os.environ.get("REALIST_REVIEWER") or None
    if name is None and store.engine.dialect.name == "postgresql":
        # Team mode: a reviewer who connects with their own database role is that reviewer.
        from realist.services.team import connected_reviewer

        name = connected_reviewer(store)
    with store.read() as s:
        if name is None:
            people = s.scalars(select(Reviewer).where(Reviewer.active).limit(2)).all()
            if len(people) == 1:
                return Actor(people[0].id, people[0].name, people[0].role)
            return None
        person = s.scalars(select(Reviewer).where(Reviewer.name == name)).first()
        if person is None:
            known = s.scalars(select(Reviewer.name).order_by(Reviewer.name)).all()
            hint = f"known reviewers: {', '.join(known)}" if known else "no reviewers yet"
            raise NotFoundError(
                f"unknown reviewer {name!r} ({hint}); add one with `realist reviewer add {name}`"
            )
        if not person.active:
            raise PermissionDeniedError(f"reviewer {name!r} is deactivated")
        return Actor(person.id, person.name, person.role)


def open_workspace(
    url: str | None = None, reviewer: str | None = None, review_id: int | None = None
) -> Workspace:
    """Open the review database at `url` for `reviewer`; clear errors when anything is missing."""
    from realist.db.migrate import current_revision, head_revision

    store = Store(url)
    store.require_schema()
    current = current_revision(store)
    if current != head_revision():
        raise RealistError(
            f"the database schema is at revision {current}, this version needs {head_revision()}; "
            "run `realist upgrade` (a backup is taken first)"
        )
    rid = resolve_review_id(store, review_id)
    return Workspace(store, rid, resolve_actor(store, reviewer))
