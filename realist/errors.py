"""Errors a user can act on. The CLI prints their message; the TUI shows it as a notification."""

from __future__ import annotations


class RealistError(Exception):
    """Base for every error with a message meant for the user."""


class NotFoundError(RealistError):
    """Something named does not exist (reviewer, record, CMOC, ...)."""


class PermissionDeniedError(RealistError):
    """The acting reviewer's role does not allow this action."""


class ConflictError(RealistError):
    """Someone else changed the object since it was read (optimistic concurrency)."""


class InvalidInputError(RealistError):
    """The input cannot be used; the message says what and where."""


class BlindedError(RealistError):
    """The action would reveal another reviewer's decisions while a blinded sample is open."""
