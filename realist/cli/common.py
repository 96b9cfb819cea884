"""What every command shares: the state from global options and error reporting."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from realist.db.engine import DatabaseUrlError
from realist.db.store import SchemaMissingError
from realist.errors import RealistError
from realist.services.context import Workspace, open_workspace
from realist.yamlio.reader import YamlError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    """Global options, and the workspace opened from them on first use."""

    db: str | None = None
    reviewer: str | None = None
    review_id: int | None = None
    _ws: Workspace | None = field(default=None, repr=False)

    def workspace(self) -> Workspace:
        if self._ws is None:
            self._ws = open_workspace(self.db, self.reviewer, self.review_id)
        return self._ws


def describe_error(exc: BaseException) -> str | None:
    """A one-line message for errors users can act on; None for real bugs."""
    if isinstance(exc, RealistError | YamlError | SchemaMissingError | DatabaseUrlError):
        return str(exc)
    if isinstance(exc, StaleDataError):
        return "someone else changed this while you were editing; reload and try again"
    if isinstance(exc, OperationalError):
        text = str(exc.orig) if exc.orig is not None else str(exc)
        return f"database error: {text.strip().splitlines()[0]}"
    if isinstance(exc, SQLAlchemyError):
        return f"database error: {str(exc).strip().splitlines()[0]}"
    return None


class RealistGroup(click.Group):
    """A click group that turns library errors into one clear message and exit code 1.

    `--db` may also follow the command (`realist init --db URL`, as people type it): it is moved
    in front of the command before parsing. No command has a `--db` of its own.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_db_option(args, set(self.commands)))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo(
                "interrupted; nothing was half-written (each action is one transaction)", err=True
            )
            sys.exit(130)
        except Exception as exc:
            message = describe_error(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc


def hoist_db_option(args: list[str], commands: set[str]) -> list[str]:
    """`args` with a `--db URL` (or `--db=URL`) that follows the command name moved before it.

    Only up to a `--` separator, and only when a command name has been seen, so a value such as
    a note text is never taken for the option.
    """
    try:
        at = next(i for i, a in enumerate(args) if a in commands)
    except StopIteration:
        return args
    head, tail = list(args[:at]), list(args[at:])
    moved: list[str] = []
    i = 1
    while i < len(tail) and tail[i] != "--":
        if tail[i] == "--db" and i + 1 < len(tail):
            moved += tail[i : i + 2]
            del tail[i : i + 2]
        elif tail[i].startswith("--db="):
            moved.append(tail.pop(i))
        else:
            i += 1
    return head + moved + tail


@contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A click progress bar driven by (done, total) callbacks from a service."""
    if not enabled:
        yield lambda done, total: None
        return
    state: dict[str, Any] = {"bar": None, "done": 0}
    try:

        def update(done: int, total: int) -> None:
            if state["bar"] is None:
                bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
                bar.__enter__()
                state["bar"] = bar
            bar = state["bar"]
            bar.update(done - state["done"])
            state["done"] = done

        yield update
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)


def output_format_option(*choices: str, default: str | None = None) -> Callable[[F], F]:
    """The shared --format option."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default or choices[0],
        show_default=True,
        help="Output format.",
    )
