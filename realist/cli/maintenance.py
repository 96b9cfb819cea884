"""Backup and restore of a review database."""

from __future__ import annotations

from pathlib import Path

import click

from realist.cli import cli
from realist.cli.common import CliState
from realist.db.store import Store
from realist.services.backup import backup_to, restore_to

pass_state = click.make_pass_decorator(CliState)


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_state
def backup(state: CliState, output: Path) -> None:
    """Write a consistent snapshot of the review database, even while others are working.

    SQLite: a copy made with SQLite's online backup API. PostgreSQL: pg_dump (custom format).
    For a portable, human-readable archive use `realist dump DIR`.

    \b
    Examples:
      realist --db review.db backup -o backups/review-2026-11-21.db
      realist --db postgresql+psycopg://owner@host/review backup -o review.pgdump  # the owner
    """
    store = Store(state.db)
    store.require_schema()
    path = backup_to(store, output)
    click.echo(f"backup written to {path} ({path.stat().st_size:,} bytes)")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing database.")
@pass_state
def restore(state: CliState, file: Path, force: bool) -> None:
    """Restore a backup made with `realist backup` into --db (checked before anything is replaced).

    \b
    Examples:
      realist --db review.db restore backups/review-2026-11-21.db
      realist --db restored.db restore backups/review.db --force
    """
    store = Store(state.db)
    restore_to(file, store.url, force=force)
    click.echo(f"restored {file} into {store.display_url()}")
