"""The review's eligibility criteria: list, add, edit, move and remove them one at a time.

Criteria are shared by the whole team and shown while screening. Each one carries a version
(optimistic concurrency): the caller passes the version it read, and when someone else changed
or removed the criterion in between, nothing is written and `ConflictError` says who did it and
when (from the audit log), so a second lead's edit never silently replaces the first's.

A criterion is inclusion or exclusion and has a place in its list, shown as a label: `I2` is
the second inclusion criterion, `E1` the first exclusion criterion. Places stay 1..n in each
list (what `realist dump` writes, in that order). Moving or removing one criterion renumbers the
others of its list without changing their versions: only the criterion acted on counts as
changed, so editing one criterion never conflicts with someone else's edit of another.

Only a lead may change criteria (as only a lead may load `review.yaml`, which replaces them
whole). Every change is one transaction that locks the review row, so changes to the list and
YAML loads run one after the other, and writes one audit entry (`criterion.add`,
`criterion.edit`, `criterion.remove`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Integer, Table, func, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from realist.db.models import AuditEntry, Criterion, Review, as_utc
from realist.domain import Role
from realist.errors import ConflictError, InvalidInputError, NotFoundError
from realist.services import audit
from realist.services.codes import conflict_guard
from realist.services.context import Workspace

__all__ = [
    "EDITORS",
    "KINDS",
    "MAX_LENGTH",
    "CriterionInfo",
    "add_criterion",
    "clean_text",
    "edit_criterion",
    "get_criterion",
    "list_criteria",
    "remove_criterion",
    "replace_criteria",
]

EDITORS = (Role.LEAD,)  # who may change criteria: as for loading review.yaml
KINDS: tuple[str, ...] = ("inclusion", "exclusion")
MAX_LENGTH = 2000
_PREFIX = {"inclusion": "I", "exclusion": "E"}
_LABEL_RE = re.compile(r"^([IiEe])\s*(\d+)$")
_ID_RE = re.compile(r"^#?(\d+)$")


@dataclass(frozen=True)
class CriterionInfo:
    """One criterion as the CLI and the TUI show it.

    ``number`` is its place in its list, 1 first; pass ``version`` back to the edits.
    """

    id: int
    kind: str
    text: str
    number: int
    version: int

    @property
    def label(self) -> str:
        """`I2` for the second inclusion criterion, `E1` for the first exclusion criterion."""
        return f"{_PREFIX.get(self.kind, '?')}{self.number}"

    @property
    def kind_label(self) -> str:
        """'Inclusion' or 'Exclusion'."""
        return self.kind.capitalize()


# --------------------------------------------------------------------------------------------
# Helpers


def check_kind(kind: str) -> str:
    """`kind` when it is inclusion or exclusion (any case, or just I / E)."""
    value = kind.strip().lower() if isinstance(kind, str) else ""
    for k in KINDS:
        if value in (k, k[0]):
            return k
    raise InvalidInputError(f"a criterion is one of {', '.join(KINDS)}, not {kind!r}")


def clean_text(text: str) -> str:
    """A criterion's text as stored: one line, spaces collapsed, no control characters."""
    if not isinstance(text, str):
        raise InvalidInputError("a criterion's text must be text")
    cleaned = " ".join("".join(ch if ord(ch) >= 32 else " " for ch in text).split())
    if not cleaned:
        raise InvalidInputError("a criterion needs some text")
    if len(cleaned) > MAX_LENGTH:
        raise InvalidInputError(
            f"the criterion is {len(cleaned)} characters long; keep it under {MAX_LENGTH}"
        )
    return cleaned


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _ordered(rows: list[Criterion], kind: str) -> list[Criterion]:
    return sorted((c for c in rows if c.kind == kind), key=lambda c: (c.position, c.id))


def _infos(rows: list[Criterion]) -> list[CriterionInfo]:
    out: list[CriterionInfo] = []
    for kind in KINDS:
        for i, c in enumerate(_ordered(rows, kind), start=1):
            out.append(CriterionInfo(c.id, c.kind, c.text, i, c.version_id))
    # Kinds a YAML file cannot hold still show, after the two lists.
    others = sorted((c for c in rows if c.kind not in KINDS), key=lambda c: (c.kind, c.position))
    out.extend(CriterionInfo(c.id, c.kind, c.text, c.position + 1, c.version_id) for c in others)
    return out


def _load(s: Session, review_id: int) -> list[Criterion]:
    return list(s.scalars(select(Criterion).where(Criterion.review_id == review_id)))


def _info_of(s: Session, review_id: int, criterion_id: int) -> CriterionInfo:
    return next(i for i in _infos(_load(s, review_id)) if i.id == criterion_id)


def _lock_review(s: Session, ws: Workspace) -> None:
    """Take the review row lock: criteria changes and YAML loads run one after the other."""
    if s.get(Review, ws.review_id, with_for_update=True) is None:
        raise NotFoundError(f"no review with id {ws.review_id}")


def _renumber(s: Session, ordered: list[Criterion], *, skip: int | None = None) -> None:
    """Store places 0..n-1 for `ordered`, leaving versions alone (only the criterion acted on,
    `skip`, is versioned: the ORM writes it)."""
    table = cast(Table, Criterion.__table__)
    for position, c in enumerate(ordered):
        if c.id == skip:
            continue
        if c.position != position:
            s.execute(update(table).where(table.c.id == c.id).values(position=position))
            s.expire(c, ["position"])


def _new_id(s: Session) -> int | None:
    """The id for a new criterion on SQLite; None (the sequence's next) on PostgreSQL.

    SQLite hands out the largest id plus one, so a new criterion would take the id of one just
    removed, at version 1, and a stale edit of the removed one would land on it. Here ids only
    grow: above every current id and every removed one (each removal is audited)."""
    if s.get_bind().dialect.name != "sqlite":
        return None  # a sequence never hands an id out twice
    current = s.scalar(select(func.max(Criterion.id))) or 0
    removed = (
        s.scalar(
            select(func.max(sql_cast(AuditEntry.entity_id, Integer))).where(
                AuditEntry.entity == "criterion", AuditEntry.action == "criterion.remove"
            )
        )
        or 0
    )
    return max(int(current), int(removed)) + 1


def _audit_removal(
    s: Session, ws: Workspace, row: Criterion, label: str, source: str | None = None
) -> None:
    details: dict[str, object] = {"kind": row.kind, "text": row.text, "label": label}
    if source is not None:
        details["load"] = source
    audit.log(s, ws, "criterion.remove", "criterion", row.id, **details)


def _when(at: datetime) -> str:
    return as_utc(at).strftime("%Y-%m-%d %H:%M UTC")


def _last_change(s: Session, review_id: int, criterion_id: int) -> str:
    """' by NAME at TIME' for the newest audit entry about the criterion, or '' if none."""
    entry = s.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.review_id == review_id,
            AuditEntry.entity == "criterion",
            AuditEntry.entity_id == str(criterion_id),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None:
        return ""
    return f" by {entry.actor or 'someone'} at {_when(entry.at)}"


def _last_load(s: Session, review_id: int) -> str:
    """'; the criteria were last loaded ... by NAME at TIME' for the newest review file load,
    or ''. (Loads audit each criterion they remove; this covers rows gone without a trace.)"""
    for entry in s.scalars(
        select(AuditEntry)
        .where(AuditEntry.review_id == review_id, AuditEntry.action == "load")
        .order_by(AuditEntry.id.desc())
        .limit(20)
    ):
        if (entry.details or {}).get("kind") == "review":
            return (
                f"; the criteria were last loaded from {entry.entity_id} by "
                f"{entry.actor or 'someone'} at {_when(entry.at)}"
            )
    return ""


def _get_for_update(
    s: Session, ws: Workspace, criterion_id: int, expected_version: int | None
) -> Criterion:
    """The criterion to change, after the version check; ConflictError when it is stale or
    was removed since the caller read it, NotFoundError when the caller read no version."""
    row = s.get(Criterion, criterion_id, populate_existing=True)
    if row is None or row.review_id != ws.review_id:
        if expected_version is None:
            raise NotFoundError(
                f"no criterion #{criterion_id} in this review (see `realist criteria list`)"
            )
        removed = s.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.review_id == ws.review_id,
                AuditEntry.entity == "criterion",
                AuditEntry.entity_id == str(criterion_id),
                AuditEntry.action == "criterion.remove",
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).first()
        if removed is not None:
            details = removed.details or {}
            how = f" loading {details['load']}" if details.get("load") else ""
            raise ConflictError(
                f"criterion #{criterion_id} ({_short(str(details.get('text') or ''))!r}) was "
                f"removed by {removed.actor or 'someone'}{how} at {_when(removed.at)} since you "
                "read it; nothing was saved: reload the criteria"
            )
        raise ConflictError(
            f"criterion #{criterion_id} is no longer in this review: someone else removed or "
            f"replaced it since you read it{_last_load(s, ws.review_id)}; nothing was saved: "
            "reload the criteria"
        )
    if expected_version is not None and row.version_id != expected_version:
        info = _info_of(s, ws.review_id, row.id)
        raise ConflictError(
            f"criterion {info.label} ({_short(row.text)!r}) was changed"
            f"{_last_change(s, ws.review_id, row.id) or ' by someone else'} since you read it "
            f"(now version {row.version_id}, you had version {expected_version}); nothing was "
            "saved: reload it and apply your change again"
        )
    return row


def _place(number: int | None, size: int, what: str) -> int:
    """A 1-based place (None: the end) as a 0-based index into a list that will hold `size`."""
    if number is None:
        return size - 1
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= size:
        raise InvalidInputError(f"{what} has places 1 to {size}, not {number!r}")
    return number - 1


# --------------------------------------------------------------------------------------------
# Reading


def list_criteria(ws: Workspace, kind: str | None = None) -> list[CriterionInfo]:
    """The criteria: inclusion first, then exclusion, each in order (or only `kind`)."""
    wanted = check_kind(kind) if kind is not None else None
    with ws.store.read() as s:
        infos = _infos(_load(s, ws.review_id))
    return [i for i in infos if wanted is None or i.kind == wanted]


def get_criterion(ws: Workspace, ref: str | int) -> CriterionInfo:
    """One criterion by id (int, `#12` or `12`) or by label (`I2`, `E1`)."""
    with ws.store.read() as s:
        infos = _infos(_load(s, ws.review_id))
    if isinstance(ref, int):
        found = [i for i in infos if i.id == ref]
        if found:
            return found[0]
        raise NotFoundError(f"no criterion #{ref} in this review (see `realist criteria list`)")
    text = ref.strip()
    by_label = _LABEL_RE.match(text)
    if by_label:
        kind = "inclusion" if by_label.group(1).upper() == "I" else "exclusion"
        number = int(by_label.group(2))
        found = [i for i in infos if i.kind == kind and i.number == number]
        if found:
            return found[0]
        count = sum(1 for i in infos if i.kind == kind)
        raise NotFoundError(
            f"no criterion {text.upper()}: the review has {count} {kind} criteria "
            "(see `realist criteria list`)"
        )
    by_id = _ID_RE.match(text)
    if by_id:
        return get_criterion(ws, int(by_id.group(1)))
    raise InvalidInputError(f"{ref!r} names no criterion: give its label (I2, E1) or its id (#12)")


# --------------------------------------------------------------------------------------------
# Changing


def add_criterion(
    ws: Workspace, kind: str, text: str, *, number: int | None = None
) -> CriterionInfo:
    """Add a criterion to the inclusion or exclusion list, at place `number` (1 first; the
    criteria from there on move down one) or at the end."""
    ws.require_role(*EDITORS, action="change the eligibility criteria")
    kind = check_kind(kind)
    text = clean_text(text)
    with ws.store.transaction() as s:
        _lock_review(s, ws)
        siblings = _ordered(_load(s, ws.review_id), kind)
        at = _place(number, len(siblings) + 1, f"the {kind} list")
        row = Criterion(id=_new_id(s), review_id=ws.review_id, kind=kind, text=text, position=at)
        s.add(row)
        s.flush()
        siblings.insert(at, row)
        _renumber(s, siblings, skip=row.id)
        info = _info_of(s, ws.review_id, row.id)
        audit.log(s, ws, "criterion.add", "criterion", row.id, kind=kind, text=text, number=at + 1)
        return info


def edit_criterion(
    ws: Workspace,
    criterion_id: int,
    *,
    expected_version: int | None = None,
    text: str | None = None,
    kind: str | None = None,
    number: int | None = None,
) -> CriterionInfo:
    """Change a criterion's text, its kind (it moves to the other list, at the end unless
    `number` says where) or its place in its list (`number`, 1 first).

    ``expected_version`` is the ``version`` the caller read: when someone changed or removed
    the criterion since, nothing is written and ConflictError says who and when. None skips
    the check. Giving nothing new is not an error: the criterion comes back unchanged.
    """
    ws.require_role(*EDITORS, action="change the eligibility criteria")
    new_text = clean_text(text) if text is not None else None
    new_kind = check_kind(kind) if kind is not None else None
    with conflict_guard(f"criterion #{criterion_id}"), ws.store.transaction() as s:
        _lock_review(s, ws)
        row = _get_for_update(s, ws, criterion_id, expected_version)
        rows = _load(s, ws.review_id)
        before = _info_of(s, ws.review_id, row.id)
        changes: dict[str, list[object]] = {}
        if new_text is not None and new_text != row.text:
            changes["text"] = [row.text, new_text]
            row.text = new_text
        target_kind = new_kind or row.kind
        moving = target_kind != row.kind or (number is not None and number != before.number)
        if moving:
            old_list = [c for c in _ordered(rows, row.kind) if c.id != row.id]
            new_list = (
                old_list
                if target_kind == row.kind
                else [c for c in _ordered(rows, target_kind) if c.id != row.id]
            )
            at = _place(number, len(new_list) + 1, f"the {target_kind} list")
            new_list.insert(at, row)
            if target_kind != row.kind:
                changes["kind"] = [row.kind, target_kind]
                row.kind = target_kind
            row.position = at
            s.flush()  # one UPDATE of the row, checked against its version
            if new_list is not old_list:
                _renumber(s, old_list)
            _renumber(s, new_list, skip=row.id)
        if not changes and not moving:
            return before
        after = _info_of(s, ws.review_id, row.id)  # flushes the row: its version moves on
        if after.label != before.label:
            changes["label"] = [before.label, after.label]
        if not changes:
            return after
        audit.log(s, ws, "criterion.edit", "criterion", row.id, changes=changes)
        return after


def remove_criterion(
    ws: Workspace, criterion_id: int, *, expected_version: int | None = None
) -> CriterionInfo:
    """Remove a criterion (the later ones of its list move up one); returns it as it was.

    A stale ``expected_version`` (someone changed it since) raises ConflictError and removes
    nothing."""
    ws.require_role(*EDITORS, action="change the eligibility criteria")
    with conflict_guard(f"criterion #{criterion_id}"), ws.store.transaction() as s:
        _lock_review(s, ws)
        row = _get_for_update(s, ws, criterion_id, expected_version)
        info = _info_of(s, ws.review_id, row.id)
        rest = [c for c in _ordered(_load(s, ws.review_id), row.kind) if c.id != row.id]
        s.delete(row)
        s.flush()
        _renumber(s, rest)
        _audit_removal(s, ws, row, info.label)
        return info


def replace_criteria(
    s: Session, ws: Workspace, lists: dict[str, list[str] | None], *, source: str | None = None
) -> int:
    """Make the review's criteria exactly `lists` ({"inclusion": [...], "exclusion": [...]}),
    inside the caller's transaction (the YAML loader's, which checked the role and locked the
    review row); returns how many criteria there are.

    A criterion whose text is still in its list keeps its id and version (only its place may
    change), so loading the file again changes nothing and an edit under way in another
    session still saves. The others are removed (audited, naming the file `source`, so a stale
    edit of one is a conflict that says who loaded what) and the new texts added. Texts are
    stored exactly as given: a dump writes them back byte for byte.
    """
    rows = _load(s, ws.review_id)
    labels = {i.id: i.label for i in _infos(rows)}
    keep: dict[str, list[Criterion]] = {}
    add: list[tuple[str, int, str]] = []
    for kind in KINDS:
        pool = _ordered(rows, kind)
        wanted: list[Criterion] = []
        for position, text in enumerate(lists.get(kind) or []):
            match = next((c for c in pool if c.text == text), None)
            if match is None:
                add.append((kind, position, text))
            else:
                pool.remove(match)
                wanted.append(match)
        keep[kind] = wanted
    kept = {c.id for kind_rows in keep.values() for c in kind_rows}
    for row in sorted(rows, key=lambda c: c.id):
        if row.id not in kept:
            _audit_removal(s, ws, row, labels[row.id], source)
            s.delete(row)
    s.flush()
    next_id = _new_id(s) if add else None
    for kind, position, text in add:
        row = Criterion(id=next_id, review_id=ws.review_id, kind=kind, text=text, position=-1)
        s.add(row)
        s.flush()
        keep[kind].insert(position, row)
        next_id = None if next_id is None else next_id + 1
    for kind_rows in keep.values():
        _renumber(s, kind_rows)
    return sum(len(kind_rows) for kind_rows in keep.values())
