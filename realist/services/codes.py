"""The code tree: parent and child codes, deductive (from the initial programme theory) or
inductive (from the data), with the actions a coding team needs on it.

Codes are named uniquely among their siblings, so a code is addressed by its path
(`Resources > Time`), by its name when that is unique in the tree, or by `#id`. Every change
checks the version the caller read (optimistic concurrency): a stale edit raises
`ConflictError` and changes nothing.

Deleting a code refuses while excerpts use it, unless they are re-coded to another code; its
child codes are lifted to the deleted code's parent, so no part of the tree is lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from realist.db.models import Code, ExcerptCode
from realist.domain import CodeOrigin, Role, values
from realist.errors import ConflictError, InvalidInputError, NotFoundError
from realist.services import audit
from realist.services.context import Workspace

PATH_SEP = " > "
EDITORS = (Role.LEAD, Role.REVIEWER, Role.CODER)  # may add, rename and move codes
CURATORS = (Role.LEAD, Role.REVIEWER)  # may merge and delete codes


@dataclass(frozen=True)
class CodeInfo:
    """One node of the code tree, with how much coding hangs on it."""

    id: int
    name: str
    path: str  # "Resources > Time"
    parent_id: int | None
    origin: str
    description: str | None
    depth: int  # 0 for top-level codes
    position: int
    version: int
    excerpts: int  # excerpts coded at this code itself
    total: int  # distinct excerpts coded at this code or any code below it
    children: tuple[int, ...] = ()


# --------------------------------------------------------------------------------------------
# Concurrency


def check_version(what: str, current: int, expected: int | None) -> None:
    """Raise ConflictError when the caller's copy (`expected`) is older than the stored row."""
    if expected is not None and current != expected:
        raise ConflictError(
            f"{what} was changed by someone else since you opened it (now version {current}, "
            f"you had version {expected}); nothing was saved: reload it and apply your change again"
        )


@contextmanager
def conflict_guard(what: str) -> Iterator[None]:
    """Turn SQLAlchemy's stale-row error (a concurrent write won the race) into ConflictError."""
    try:
        yield
    except StaleDataError:
        raise ConflictError(
            f"{what} was changed by someone else while you were saving; nothing was saved: "
            "reload it and apply your change again"
        ) from None


# --------------------------------------------------------------------------------------------
# The tree in memory


class CodeTree:
    """The review's codes as a tree, loaded once inside a session."""

    def __init__(self, codes: Iterable[Code]) -> None:
        self.by_id: dict[int, Code] = {c.id: c for c in codes}
        self.children: dict[int | None, list[Code]] = defaultdict(list)
        for c in self.by_id.values():
            self.children[c.parent_id].append(c)
        for kids in self.children.values():
            kids.sort(key=lambda c: (c.position, c.id))

    @classmethod
    def load(cls, s: Session, review_id: int) -> CodeTree:
        return cls(s.scalars(select(Code).where(Code.review_id == review_id)))

    def path(self, code_id: int) -> str:
        names: list[str] = []
        seen: set[int] = set()
        current: int | None = code_id
        while current is not None and current not in seen:
            seen.add(current)
            code = self.by_id[current]
            names.append(code.name)
            current = code.parent_id
        return PATH_SEP.join(reversed(names))

    def depth(self, code_id: int) -> int:
        return self.path(code_id).count(PATH_SEP)

    def walk(self, parent: int | None = None) -> Iterator[Code]:
        """Depth-first, siblings in display order."""
        for c in self.children.get(parent, []):
            yield c
            yield from self.walk(c.id)

    def descendants(self, code_id: int) -> list[int]:
        return [c.id for c in self.walk(code_id)]

    def subtree(self, code_id: int) -> list[int]:
        """The code and every code below it."""
        return [code_id, *self.descendants(code_id)]

    def sibling_named(
        self, parent_id: int | None, name: str, *, exclude: int | None = None
    ) -> Code | None:
        key = name.casefold()
        for c in self.children.get(parent_id, []):
            if c.name.casefold() == key and c.id != exclude:
                return c
        return None

    def resolve(self, ref: str) -> Code:
        """A code from `#id`, a path (`Parent > Child`) or a name unique in the tree."""
        ref = ref.strip()
        if ref.startswith("#") and ref[1:].isdigit():
            code = self.by_id.get(int(ref[1:]))
            if code is None:
                raise NotFoundError(f"no code #{ref[1:]} in this review")
            return code
        by_path = self._resolve_path(None, ref)
        if len(by_path) == 1:
            return self.by_id[by_path[0]]
        if len(by_path) > 1:
            raise InvalidInputError(f"code path {ref!r} is ambiguous; use #id")
        named = [c for c in self.by_id.values() if c.name.casefold() == ref.casefold()]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            paths = ", ".join(sorted(f"{self.path(c.id)!r} (#{c.id})" for c in named))
            raise InvalidInputError(f"{len(named)} codes are named {ref!r}: {paths}; give the path")
        hint = ""
        if self.by_id:
            near = sorted(
                self.path(c.id) for c in self.by_id.values() if ref.casefold() in c.name.casefold()
            )[:5]
            hint = f" (similar: {', '.join(near)})" if near else " (see `realist codes list`)"
        raise NotFoundError(f"no code {ref!r} in this review{hint}")

    def _resolve_path(self, parent: int | None, rest: str) -> list[int]:
        # Backtracking match, so a name that happens to end in '>' still resolves.
        found: list[int] = []
        for c in self.children.get(parent, []):
            if rest.casefold() == c.name.casefold():
                found.append(c.id)
            elif rest.casefold().startswith(c.name.casefold() + PATH_SEP.casefold()):
                found.extend(self._resolve_path(c.id, rest[len(c.name) + len(PATH_SEP) :]))
        return found

    def resolve_path(self, path: str) -> int | None:
        """The id of the code at exactly this path, or None."""
        found = self._resolve_path(None, path.strip())
        return found[0] if len(found) == 1 else None


def clean_name(name: str) -> str:
    """A code name as stored: trimmed, one line, without the path separator."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInputError("a code needs a name")
    if PATH_SEP in cleaned:
        raise InvalidInputError(
            f"code name {cleaned!r} contains {PATH_SEP.strip()!r} between spaces, which "
            "separates the levels of a code path; choose another name"
        )
    if len(cleaned) > 200:
        raise InvalidInputError(f"code name is {len(cleaned)} characters long; keep it under 200")
    return cleaned


def check_origin(origin: str) -> str:
    if origin not in values(CodeOrigin):
        raise InvalidInputError(
            f"origin must be one of {', '.join(values(CodeOrigin))}, not {origin!r}"
        )
    return origin


def _get(s: Session, ws: Workspace, code_id: int) -> Code:
    code = s.get(Code, code_id)
    if code is None or code.review_id != ws.review_id:
        raise NotFoundError(f"no code #{code_id} in this review")
    return code


def _info(tree: CodeTree, counts: dict[int, set[int]], code: Code) -> CodeInfo:
    below: set[int] = set()
    for cid in tree.subtree(code.id):
        below |= counts.get(cid, set())
    return CodeInfo(
        id=code.id,
        name=code.name,
        path=tree.path(code.id),
        parent_id=code.parent_id,
        origin=code.origin,
        description=code.description,
        depth=tree.depth(code.id),
        position=code.position,
        version=code.version_id,
        excerpts=len(counts.get(code.id, set())),
        total=len(below),
        children=tuple(c.id for c in tree.children.get(code.id, [])),
    )


def _excerpts_by_code(s: Session, code_ids: Iterable[int]) -> dict[int, set[int]]:
    ids = list(code_ids)
    out: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return out
    for code_id, excerpt_id in s.execute(
        select(ExcerptCode.code_id, ExcerptCode.excerpt_id).where(ExcerptCode.code_id.in_(ids))
    ):
        out[code_id].add(excerpt_id)
    return out


def _tree_infos(s: Session, review_id: int) -> list[CodeInfo]:
    tree = CodeTree.load(s, review_id)
    counts = _excerpts_by_code(s, tree.by_id)
    return [_info(tree, counts, c) for c in tree.walk()]


# --------------------------------------------------------------------------------------------
# Reading


def list_codes(ws: Workspace) -> list[CodeInfo]:
    """Every code, depth-first in display order, with its excerpt counts."""
    with ws.store.read() as s:
        return _tree_infos(s, ws.review_id)


def get_code(ws: Workspace, ref: str | int) -> CodeInfo:
    """One code by id, `#id`, path or unique name."""
    with ws.store.read() as s:
        tree = CodeTree.load(s, ws.review_id)
        if isinstance(ref, int):
            code = tree.by_id.get(ref)
            if code is None:
                raise NotFoundError(f"no code #{ref} in this review")
        else:
            code = tree.resolve(ref)
        counts = _excerpts_by_code(s, tree.subtree(code.id))
        return _info(tree, counts, code)


# --------------------------------------------------------------------------------------------
# Changing


def _next_position(tree: CodeTree, parent_id: int | None) -> int:
    return max((c.position for c in tree.children.get(parent_id, [])), default=-1) + 1


def add_code(
    ws: Workspace,
    name: str,
    *,
    parent_id: int | None = None,
    origin: str = CodeOrigin.INDUCTIVE.value,
    description: str | None = None,
) -> CodeInfo:
    """Add a code at the top of the tree or under `parent_id`."""
    ws.require_role(*EDITORS, action="add codes")
    name = clean_name(name)
    check_origin(origin)
    with ws.store.transaction() as s:
        tree = CodeTree.load(s, ws.review_id)
        if parent_id is not None:
            _get(s, ws, parent_id)
        clash = tree.sibling_named(parent_id, name)
        if clash is not None:
            where = f"under {tree.path(parent_id)!r}" if parent_id else "at the top level"
            raise InvalidInputError(f"a code named {clash.name!r} already exists {where}")
        code = Code(
            review_id=ws.review_id,
            parent_id=parent_id,
            name=name,
            origin=origin,
            description=(description or "").strip() or None,
            position=_next_position(tree, parent_id),
        )
        s.add(code)
        s.flush()
        tree = CodeTree.load(s, ws.review_id)
        audit.log(s, ws, "code.add", "code", code.id, path=tree.path(code.id), origin=origin)
        return _info(tree, {}, code)


_UNSET: Any = object()


def edit_code(
    ws: Workspace,
    code_id: int,
    *,
    expected_version: int | None = None,
    name: str | None = None,
    description: str | None = _UNSET,
    origin: str | None = None,
) -> CodeInfo:
    """Rename a code, or change its description or origin."""
    ws.require_role(*EDITORS, action="edit codes")
    with conflict_guard(f"code #{code_id}"), ws.store.transaction() as s:
        code = _get(s, ws, code_id)
        tree = CodeTree.load(s, ws.review_id)
        check_version(f"code {tree.path(code.id)!r}", code.version_id, expected_version)
        changes: dict[str, list[str | None]] = {}
        if name is not None:
            new = clean_name(name)
            if new != code.name:
                clash = tree.sibling_named(code.parent_id, new, exclude=code.id)
                if clash is not None:
                    raise InvalidInputError(
                        f"a code named {clash.name!r} already exists next to {code.name!r}"
                    )
                changes["name"] = [code.name, new]
                code.name = new
        if description is not _UNSET:
            new_desc = (description or "").strip() or None
            if new_desc != code.description:
                changes["description"] = [code.description, new_desc]
                code.description = new_desc
        if origin is not None and origin != code.origin:
            check_origin(origin)
            changes["origin"] = [code.origin, origin]
            code.origin = origin
        if changes:
            s.flush()
            audit.log(s, ws, "code.edit", "code", code.id, changes=changes)
        counts = _excerpts_by_code(s, tree.subtree(code.id))
        return _info(CodeTree.load(s, ws.review_id), counts, code)


def rename_code(
    ws: Workspace, code_id: int, name: str, *, expected_version: int | None = None
) -> CodeInfo:
    """Rename a code (its siblings must not already use the name)."""
    return edit_code(ws, code_id, name=name, expected_version=expected_version)


def move_code(
    ws: Workspace,
    code_id: int,
    parent_id: int | None,
    *,
    expected_version: int | None = None,
) -> CodeInfo:
    """Put a code (with everything below it) under another parent, or at the top level."""
    ws.require_role(*EDITORS, action="move codes")
    with conflict_guard(f"code #{code_id}"), ws.store.transaction() as s:
        code = _get(s, ws, code_id)
        tree = CodeTree.load(s, ws.review_id)
        path = tree.path(code.id)
        check_version(f"code {path!r}", code.version_id, expected_version)
        if parent_id is not None:
            _get(s, ws, parent_id)
            if parent_id in tree.subtree(code.id):
                raise InvalidInputError(
                    f"cannot move {path!r} under {tree.path(parent_id)!r}: "
                    "a code cannot sit below itself"
                )
        if parent_id == code.parent_id:
            return _info(tree, _excerpts_by_code(s, tree.subtree(code.id)), code)
        clash = tree.sibling_named(parent_id, code.name, exclude=code.id)
        if clash is not None:
            where = f"under {tree.path(parent_id)!r}" if parent_id else "at the top level"
            raise InvalidInputError(
                f"a code named {clash.name!r} already exists {where}; rename one or merge them"
            )
        code.parent_id = parent_id
        code.position = _next_position(tree, parent_id)
        s.flush()
        tree = CodeTree.load(s, ws.review_id)
        audit.log(s, ws, "code.move", "code", code.id, old=path, new=tree.path(code.id))
        return _info(tree, _excerpts_by_code(s, tree.subtree(code.id)), code)


def _recode(s: Session, source_id: int, target_id: int) -> int:
    """Move every excerpt of `source_id` to `target_id` without duplicate rows; returns how many."""
    already = select(ExcerptCode.excerpt_id).where(ExcerptCode.code_id == target_id)
    moved = s.scalar(
        select(func.count()).select_from(ExcerptCode).where(ExcerptCode.code_id == source_id)
    )
    s.execute(
        delete(ExcerptCode).where(
            ExcerptCode.code_id == source_id, ExcerptCode.excerpt_id.in_(already)
        )
    )
    s.execute(update(ExcerptCode).where(ExcerptCode.code_id == source_id).values(code_id=target_id))
    return int(moved or 0)


@dataclass(frozen=True)
class MergeResult:
    target: CodeInfo
    source_path: str
    excerpts_moved: int
    children_moved: int


def merge_codes(
    ws: Workspace,
    source_id: int,
    target_id: int,
    *,
    expected_versions: tuple[int | None, int | None] = (None, None),
) -> MergeResult:
    """Merge `source` into `target`: its excerpts and child codes move to `target`, then it goes.

    An excerpt coded at both keeps one link to `target`. Merging into a code below the source
    is refused (move that code out first).
    """
    ws.require_role(*CURATORS, action="merge codes")
    if source_id == target_id:
        raise InvalidInputError("a code cannot be merged into itself")
    with conflict_guard("the codes"), ws.store.transaction() as s:
        source, target = _get(s, ws, source_id), _get(s, ws, target_id)
        tree = CodeTree.load(s, ws.review_id)
        src_path, tgt_path = tree.path(source.id), tree.path(target.id)
        check_version(f"code {src_path!r}", source.version_id, expected_versions[0])
        check_version(f"code {tgt_path!r}", target.version_id, expected_versions[1])
        if target.id in tree.descendants(source.id):
            raise InvalidInputError(
                f"cannot merge {src_path!r} into {tgt_path!r}, which sits below it; "
                "move it out first or merge the other way round"
            )
        moved = _recode(s, source.id, target.id)
        position = _next_position(tree, target.id)
        kids = list(tree.children.get(source.id, []))
        for kid in kids:
            clash = tree.sibling_named(target.id, kid.name)
            if clash is not None:
                raise InvalidInputError(
                    f"both {src_path!r} and {tgt_path!r} have a child code named {kid.name!r}; "
                    "merge or rename those first"
                )
            kid.parent_id = target.id
            kid.position = position
            position += 1
        s.flush()
        s.delete(source)
        s.flush()
        audit.log(
            s,
            ws,
            "code.merge",
            "code",
            target.id,
            source=src_path,
            target=tgt_path,
            excerpts=moved,
            children=len(kids),
        )
        tree = CodeTree.load(s, ws.review_id)
        info = _info(tree, _excerpts_by_code(s, tree.subtree(target.id)), target)
        return MergeResult(info, src_path, moved, len(kids))


@dataclass(frozen=True)
class DeleteResult:
    path: str
    recoded: int
    children_lifted: int


def delete_code(
    ws: Workspace,
    code_id: int,
    *,
    recode_to: int | None = None,
    expected_version: int | None = None,
) -> DeleteResult:
    """Delete a code. Refused while excerpts use it, unless `recode_to` names the code they move
    to. Child codes are lifted to the deleted code's parent."""
    ws.require_role(*CURATORS, action="delete codes")
    with conflict_guard(f"code #{code_id}"), ws.store.transaction() as s:
        code = _get(s, ws, code_id)
        tree = CodeTree.load(s, ws.review_id)
        path = tree.path(code.id)
        check_version(f"code {path!r}", code.version_id, expected_version)
        used = s.scalar(
            select(func.count()).select_from(ExcerptCode).where(ExcerptCode.code_id == code.id)
        )
        recoded = 0
        if used:
            if recode_to is None:
                raise InvalidInputError(
                    f"code {path!r} is used by {used} excerpt(s); re-code them to another code "
                    "first (--recode-to CODE) or merge it into another code"
                )
            if recode_to == code.id:
                raise InvalidInputError("re-code the excerpts to a different code")
            _get(s, ws, recode_to)
            recoded = _recode(s, code.id, recode_to)
        elif recode_to is not None:
            _get(s, ws, recode_to)
        kids = list(tree.children.get(code.id, []))
        position = _next_position(tree, code.parent_id)
        for kid in kids:
            clash = tree.sibling_named(code.parent_id, kid.name, exclude=code.id)
            if clash is not None:
                raise InvalidInputError(
                    f"cannot lift child code {kid.name!r} of {path!r}: its parent already has a "
                    "code of that name; merge or rename it first"
                )
            kid.parent_id = code.parent_id
            kid.position = position
            position += 1
        s.flush()
        s.delete(code)
        s.flush()
        audit.log(
            s,
            ws,
            "code.delete",
            "code",
            code_id,
            path=path,
            recoded=recoded,
            recode_to=tree.path(recode_to) if recode_to else None,
            children=len(kids),
        )
        return DeleteResult(path, recoded, len(kids))
