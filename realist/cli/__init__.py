"""The `realist` command line: a thin layer over the services.

Every command opens the library, calls one service, and turns library errors into one clear
message with a non-zero exit. Bare `realist` opens the TUI on the current review.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import click

from realist import __version__
from realist.cli.common import CliState, RealistGroup


@click.group(
    cls=RealistGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="realist")
@click.option(
    "--db",
    "db",
    envvar="REALIST_DB",
    metavar="URL",
    help="Database: an SQLAlchemy URL or an SQLite file path (env REALIST_DB; default ./review.realist.db).",
)
@click.option(
    "--reviewer",
    envvar="REALIST_REVIEWER",
    metavar="NAME",
    help="Who is acting (env REALIST_REVIEWER); see `realist reviewer list`.",
)
@click.option(
    "--review",
    "review_id",
    type=int,
    metavar="ID",
    help="Review id when the database holds several.",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None, reviewer: str | None, review_id: int | None) -> None:
    """Realist Workbench: realist reviews in the terminal.

    \b
    Examples:
      realist demo                      # the bundled example review in the TUI
      realist --db review.db init --title "My review" --lead ALICE
      realist --db review.db load data/ # YAML files into the review
      realist --db review.db            # open the TUI on that review
    """
    ctx.obj = CliState(db=db, reviewer=reviewer, review_id=review_id)
    if ctx.invoked_subcommand is None:
        from realist.cli.core import open_tui

        open_tui(ctx.obj)


def main() -> Any:
    """Console-script entry point."""
    return cli()


# Every module of this package registers its commands on `cli` when imported; a new capability
# adds a module here and nothing else.
for _module in pkgutil.iter_modules(__path__, __name__ + "."):
    if _module.name != "realist.cli.common":
        importlib.import_module(_module.name)
