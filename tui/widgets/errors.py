"""Errors a screen shows as a notification instead of stopping: the library's own, and database
errors (a locked SQLite file, a lost PostgreSQL connection), in the CLI's wording."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from realist.cli.common import describe_error
from realist.errors import RealistError

USER_ERRORS = (RealistError, SQLAlchemyError)


def user_message(exc: BaseException) -> str:
    """One line for the notification."""
    return describe_error(exc) or str(exc)
