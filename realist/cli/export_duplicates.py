"""`realist export duplicates`: one row per record with its duplicate cluster and decision.

The command joins the `export` group when the exports module (realist/cli/export.py, imported
before this one) defines it, and creates that group otherwise.
"""

from __future__ import annotations

from pathlib import Path

import click

from realist.cli import cli
from realist.cli.common import CliState
from realist.services import dedup_service

pass_state = click.make_pass_decorator(CliState)


def _export_group() -> click.Group:
    existing = cli.commands.get("export")
    if isinstance(existing, click.Group):
        return existing

    @cli.group()
    def export() -> None:
        """Export parts of the review as files.

        \b
        Example:
          realist export duplicates --format csv -o duplicates.csv
        """

    return export


@_export_group().command("duplicates")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv"]),
    default="csv",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write.",
)
@pass_state
def export_duplicates(state: CliState, fmt: str, output: Path) -> None:
    """One row per record: source_id, record_id, cluster_id, decision and the evidence.

    cluster_id is the id of the record the cluster keeps (a record's own id when it is unique);
    decision is auto or confirmed (merged), unreviewed (a pair waits in the queue) or unique.
    Further columns: role (canonical, duplicate, unique), pair_id, other_record_id, score,
    reason, batch_id, file_name, source_db, position, title, year, doi. Cells starting with
    = + - @ are prefixed with ' so spreadsheets do not run them.

    \b
    Example:
      realist export duplicates --format csv -o duplicates.csv
    """
    n = dedup_service.export_duplicates_csv(state.workspace(), output)
    click.echo(f"wrote {n:,} record(s) to {output}")
