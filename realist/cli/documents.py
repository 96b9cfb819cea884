"""Full-text commands: attach a file to a record or document, mark a report not retrieved."""

from __future__ import annotations

from pathlib import Path

import click

from realist.cli import cli
from realist.cli.common import CliState
from realist.services import fulltext

pass_state = click.make_pass_decorator(CliState)


@cli.command()
@click.argument("target")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--ref", "by_ref", is_flag=True, help="TARGET is a document ref (e.g. 24), not a record id."
)
@pass_state
def attach(state: CliState, target: str, file: Path, by_ref: bool) -> None:
    """Attach a full text (PDF, DOCX, TXT, MD) to record TARGET, or to a document with --ref.

    PDF page numbers are kept so excerpts can cite pages. Attaching again replaces the current
    text; earlier versions are kept.

    \b
    Examples:
      realist --reviewer LLJ attach 1234 papers/smith2019.pdf
      realist --reviewer LLJ attach --ref 24 papers/burkitt2021.pdf
    """
    ws = state.workspace()
    if by_ref:
        result = fulltext.attach_file(ws, file, document_ref=target)
    else:
        if not target.isdigit():
            raise click.BadParameter(
                f"{target!r} is not a record id (use --ref for a document ref)"
            )
        result = fulltext.attach_file(ws, file, record_id=int(target))
    click.echo(
        f"attached {file.name} to document {result.ref}: {result.pages} page(s), {result.chars:,} characters"
    )


@cli.command("not-retrieved")
@click.argument("record_id", type=int)
@click.option("--note", help="Why it could not be retrieved.")
@pass_state
def not_retrieved(state: CliState, record_id: int, note: str | None) -> None:
    """Record that the full text of RECORD_ID could not be retrieved (PRISMA counts it).

    \b
    Example:
      realist --reviewer LLJ not-retrieved 1234 --note "not held by the library"
    """
    fulltext.mark_not_retrieved(state.workspace(), record_id, note)
    click.echo(f"record {record_id}: report marked not retrieved")
