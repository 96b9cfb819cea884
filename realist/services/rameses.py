"""The RAMESES publication standards checklist (Wong et al., BMC Med 2013;11:21), per review.

The 19 item names are those of the standard as listed in docs/methods.md section 2. The
descriptions are this project's short paraphrases of what each item asks for, not quotations:
check the published standard before quoting an item's wording in a paper.

Each item of a review has whether it is reported (yes / no / unclear, or not yet judged), the
page(s) where it is, and a note. Edits use optimistic concurrency: the caller passes the
version it read, and a change made by someone else in between is refused (ConflictError).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from realist.db.models import RamesesItem, utcnow
from realist.domain import Reported, Role
from realist.errors import ConflictError, InvalidInputError, NotFoundError
from realist.services import audit
from realist.services.context import Workspace

__all__ = [
    "RAMESES_ITEMS",
    "RAMESES_SECTIONS",
    "UNSET",
    "RamesesItemDef",
    "RamesesRow",
    "checklist",
    "cycle_reported",
    "get_item",
    "update_item",
]


@dataclass(frozen=True)
class RamesesItemDef:
    """One item of the standard: its number, name, report section and what it asks for."""

    number: int
    name: str
    section: str
    description: str


RAMESES_SECTIONS: tuple[tuple[str, range], ...] = (
    ("Title", range(1, 2)),
    ("Abstract", range(2, 3)),
    ("Introduction", range(3, 5)),
    ("Methods", range(5, 12)),
    ("Results", range(12, 15)),
    ("Discussion", range(15, 20)),
)


def _section(number: int) -> str:
    return next(name for name, numbers in RAMESES_SECTIONS if number in numbers)


_ITEMS: tuple[tuple[str, str], ...] = (
    ("Title", "The title identifies the document as a realist synthesis or review."),
    (
        "Abstract",
        "A summary giving the background, the review question or objectives, the search, "
        "selection, appraisal, analysis and synthesis methods, the main results, and the "
        "conclusions and implications for practice.",
    ),
    (
        "Rationale for review",
        "Why the review is needed: what is already known and why a realist approach to the "
        "question adds to it.",
    ),
    (
        "Objectives and focus of review",
        "The objectives of the review and its focus: the programme or intervention, the "
        "question and the scope.",
    ),
    (
        "Changes in the review process",
        "Any change from the planned review process (e.g. the registered protocol), with the "
        "reasons for it.",
    ),
    (
        "Rationale for using realist synthesis",
        "Why realist synthesis suits the review question and the nature of the intervention.",
    ),
    (
        "Scoping the literature",
        "How the literature was scoped and how the initial programme theory was developed.",
    ),
    (
        "Searching processes",
        "How and where documents were searched for (sources, dates, terms), including any "
        "searches added as the review went on.",
    ),
    (
        "Selection and appraisal of documents",
        "How documents were selected, and how their relevance and rigour were judged.",
    ),
    (
        "Data extraction",
        "What data were extracted from the documents, how, and by whom.",
    ),
    (
        "Analysis and synthesis processes",
        "How the data were analysed and synthesised to develop and refine the programme "
        "theory (context-mechanism-outcome configurations), with enough detail to follow "
        "the reasoning.",
    ),
    (
        "Document flow diagram",
        "How many documents were assessed, included and excluded at each stage, and where they "
        "came from (databases, citation searching, experts), ideally as a flow diagram.",
    ),
    (
        "Document characteristics",
        "The characteristics of the included documents (e.g. country, setting, design, "
        "population).",
    ),
    (
        "Main findings",
        "The main findings, with the evidence from the documents that supports each part of "
        "the programme theory.",
    ),
    (
        "Summary of findings",
        "A summary of the main findings in relation to the review's objectives and question.",
    ),
    (
        "Strengths, limitations and future research directions",
        "The strengths and limitations of the review, and what future research should address.",
    ),
    (
        "Comparison with existing literature",
        "How the findings compare with, add to or contradict existing literature.",
    ),
    (
        "Conclusion and recommendations",
        "The conclusions, and recommendations for policy, practice or research that follow "
        "from them.",
    ),
    ("Funding", "Who funded the review and what role, if any, the funders had."),
)

RAMESES_ITEMS: tuple[RamesesItemDef, ...] = tuple(
    RamesesItemDef(i, name, _section(i), description)
    for i, (name, description) in enumerate(_ITEMS, start=1)
)


@dataclass(frozen=True)
class RamesesRow:
    """One checklist item of a review as the UI and the exports show it.

    ``version`` is 0 while nothing is stored for the item; pass it back to ``update_item``.
    """

    number: int
    name: str
    section: str
    description: str
    reported: str | None
    pages: str | None
    note: str | None
    version: int
    updated_at: datetime | None

    @property
    def reported_label(self) -> str:
        """'Yes', 'No', 'Unclear' or 'Not judged'."""
        return self.reported.capitalize() if self.reported else "Not judged"


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()
"""Leave a field unchanged in ``update_item``."""

_CYCLE: tuple[str | None, ...] = (None, *(r.value for r in Reported))


def cycle_reported(value: str | None) -> str | None:
    """The next judgement in the order not judged -> yes -> no -> unclear -> not judged."""
    index = _CYCLE.index(value) if value in _CYCLE else 0
    return _CYCLE[(index + 1) % len(_CYCLE)]


def _definition(number: int) -> RamesesItemDef:
    if not 1 <= number <= len(RAMESES_ITEMS):
        raise NotFoundError(f"RAMESES items are numbered 1 to 19, not {number}")
    return RAMESES_ITEMS[number - 1]


def _row(d: RamesesItemDef, stored: RamesesItem | None) -> RamesesRow:
    return RamesesRow(
        number=d.number,
        name=d.name,
        section=d.section,
        description=d.description,
        reported=stored.reported if stored else None,
        pages=stored.pages if stored else None,
        note=stored.note if stored else None,
        version=stored.version_id if stored else 0,
        updated_at=stored.updated_at if stored else None,
    )


def _stored(s: Session, review_id: int) -> dict[int, RamesesItem]:
    rows = s.scalars(select(RamesesItem).where(RamesesItem.review_id == review_id))
    return {r.item: r for r in rows}


def checklist(ws: Workspace) -> list[RamesesRow]:
    """All 19 items of the review's checklist, in order (items never judged included)."""
    with ws.store.read() as s:
        stored = _stored(s, ws.review_id)
        return [_row(d, stored.get(d.number)) for d in RAMESES_ITEMS]


def get_item(ws: Workspace, number: int) -> RamesesRow:
    """One item of the review's checklist."""
    d = _definition(number)
    with ws.store.read() as s:
        return _row(d, _stored(s, ws.review_id).get(number))


def _text(value: str | None, what: str, number: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"RAMESES item {number}: {what} must be text")
    cleaned = "".join(ch for ch in value if ch in "\n\t" or ord(ch) >= 32).strip()
    return cleaned or None


def update_item(
    ws: Workspace,
    number: int,
    *,
    reported: str | _Unset | None = UNSET,
    pages: str | _Unset | None = UNSET,
    note: str | _Unset | None = UNSET,
    expected_version: int | None = None,
) -> RamesesRow:
    """Change what the review says about item `number`; returns the item as stored.

    ``expected_version`` is the ``version`` the caller read; when someone changed the item
    since, nothing is written and ConflictError says so. None skips the check (CLI use).
    """
    ws.require_role(Role.LEAD, Role.REVIEWER, action="edit the RAMESES checklist")
    d = _definition(number)
    if not isinstance(reported, _Unset) and reported is not None:
        allowed = [r.value for r in Reported]
        if reported not in allowed:
            raise InvalidInputError(
                f"RAMESES item {number}: reported must be one of {', '.join(allowed)} "
                f"(or empty), not {reported!r}"
            )
    with ws.store.transaction() as s:
        row = _stored(s, ws.review_id).get(number)
        current = row.version_id if row else 0
        if expected_version is not None and expected_version != current:
            raise ConflictError(
                f"RAMESES item {number} ({d.name}) was changed by someone else since you read "
                "it; reload and try again"
            )
        if row is None:
            row = RamesesItem(review_id=ws.review_id, item=number)
        changes: dict[str, list[str | None]] = {}
        for field, value in (("reported", reported), ("pages", pages), ("note", note)):
            if isinstance(value, _Unset):
                continue
            new = value if field == "reported" else _text(value, field, number)
            old = getattr(row, field)
            if new != old:
                changes[field] = [old, new]
                setattr(row, field, new)
        if changes:
            row.updated_at = utcnow()
            s.add(row)
            s.flush()
            s.refresh(row)  # return what a later read returns (e.g. SQLite's naive times)
            audit.log(s, ws, "rameses.update", "rameses_item", number, changes=changes)
        elif current == 0:
            return _row(d, None)  # nothing stored and nothing to store
        return _row(d, row)
