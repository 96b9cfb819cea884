"""Vocabulary of a realist review: stages, decisions, roles, directions, statuses.

Values are stored as plain strings in the database (portable between SQLite and PostgreSQL and
readable with a raw SQL client); these enums are the single place where the allowed values live.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Screening stage."""

    TITLE_ABSTRACT = "title_abstract"
    FULL_TEXT = "full_text"

    @property
    def label(self) -> str:
        return "title/abstract" if self is Stage.TITLE_ABSTRACT else "full text"


class Decision(StrEnum):
    """A reviewer's screening decision."""

    INCLUDE = "include"
    EXCLUDE = "exclude"
    MAYBE = "maybe"


class Role(StrEnum):
    """What a reviewer may do in a review."""

    LEAD = "lead"
    REVIEWER = "reviewer"
    CODER = "coder"
    OBSERVER = "observer"


class Direction(StrEnum):
    """The effect a CMOC describes on inequalities."""

    REDUCES = "reduces"
    MAY_WORSEN = "may_worsen"

    @property
    def label(self) -> str:
        return "reduces inequalities" if self is Direction.REDUCES else "may worsen inequalities"


class CmocStatus(StrEnum):
    """Where a CMOC stands in the refinement of the programme theory."""

    NEW = "new"
    SUPPORTED = "supported"
    REFINED = "refined"
    REFUTED = "refuted"


class TagGroup(StrEnum):
    """Families of tags a record or document can carry."""

    PROGRESS = "progress"
    PLUS = "plus"
    FOCUS = "focus"
    CUSTOM = "custom"


class CodeOrigin(StrEnum):
    """Whether a code came from the initial programme theory or from the data."""

    DEDUCTIVE = "deductive"
    INDUCTIVE = "inductive"


class EvidenceRole(StrEnum):
    """Which part of a CMOC an excerpt supports."""

    CONTEXT = "C"
    MECHANISM = "M"
    OUTCOME = "O"


class LinkKind(StrEnum):
    """How one CMOC relates to another."""

    LEADS_TO = "leads_to"
    SUPPORTS = "supports"
    CONFLICTS = "conflicts"


class PairStatus(StrEnum):
    """State of a candidate duplicate pair."""

    AUTO = "auto"  # certain: merged automatically
    CONFIRMED = "confirmed"  # a reviewer confirmed an uncertain pair
    UNREVIEWED = "unreviewed"  # uncertain: waiting in the review queue
    REJECTED = "rejected"  # a reviewer said the two are distinct
    UNDONE = "undone"  # an automatic merge a reviewer took back


MERGED_PAIR_STATUSES = (PairStatus.AUTO.value, PairStatus.CONFIRMED.value)


class SourceKind(StrEnum):
    """Where an import batch came from, for PRISMA's identification boxes."""

    DATABASE = "database"
    REGISTER = "register"
    OTHER = "other"  # citation searching, websites, organisations, experts


class Retrieval(StrEnum):
    """Full-text retrieval state of a document."""

    PENDING = "pending"
    RETRIEVED = "retrieved"
    NOT_RETRIEVED = "not_retrieved"


class Reported(StrEnum):
    """Whether a RAMESES item is reported."""

    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"


def values(enum: type[StrEnum]) -> list[str]:
    """The stored values of an enum, in declaration order."""
    return [m.value for m in enum]
