"""What the acting reviewer may see of other people's screening work: the blinding seam.

Every read of screening decisions (with their reasons and notes), record tags and resolutions goes
through `decision_visibility`: the queue, the progress counts, the record view, the records list
and its filters and search, the final-decision expression behind PRISMA counts and tag summaries,
and the exports built on them. Today it lets everyone see everything. The blind second screening
(issue 5) fills it in: while a sample is open, it hides the first reviewer's decisions, reasons,
tags and notes on the sample's records from the second reviewer, everywhere at once.

`queue_scope` is the matching hook for what a reviewer is asked to screen (a second reviewer
screens only the sample).

Writes are not filtered: a service that supersedes or retracts a decision acts on the acting
reviewer's own rows, which are always visible to them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, true
from sqlalchemy.orm import Session

from realist.domain import Stage
from realist.services.context import Workspace


def decision_visibility(s: Session, ws: Workspace, entity: Any) -> ColumnElement[bool]:
    """The condition a row of `entity` must meet to be shown to `ws.actor`.

    `entity` is `ScreeningDecision`, `RecordTag` or `Resolution`, or an alias of one (each has
    `record_id`; decisions and tags also `reviewer_id`). Add the result to the WHERE clause of
    every query that reads them, so one change here blinds every path.
    """
    del s, ws, entity  # everyone sees everything until blinding is switched on
    return true()


def queue_scope(s: Session, ws: Workspace, stage: Stage | str) -> Select[Any] | None:
    """The record ids `ws.actor` is asked to screen at `stage`, or None for every eligible record.

    A blinded second reviewer screens only the sample drawn for them (issue 5).
    """
    del s, ws, stage
    return None
