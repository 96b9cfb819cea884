"""Core commands: init, upgrade, load, dump, reviewer, status, demo, and opening the TUI."""

from __future__ import annotations

from pathlib import Path

import click

from realist.cli import cli
from realist.cli.common import CliState
from realist.db import migrate
from realist.db.engine import resolve_url, sqlite_path
from realist.db.store import Store
from realist.errors import InvalidInputError
from realist.paths import BUNDLED_FILES
from realist.services import reviewers as reviewer_service
from realist.services.context import NoReviewError, Workspace, resolve_actor, resolve_review_id
from realist.services.reviews import create_review, review_status
from realist.yamlio.loader import load_paths
from realist.yamlio.writer import dump_review

pass_state = click.make_pass_decorator(CliState)


def open_tui(state: CliState) -> None:
    """Open the TUI on the current review (bare `realist`)."""
    store = Store(state.db)
    if not store.has_schema():
        raise click.ClickException(
            f"no review database at {store.display_url()}.\n"
            "  Try the bundled example:  realist demo\n"
            "  Or start a review:        realist init --title 'My review' --lead YOURNAME"
        )
    ws = state.workspace()
    from tui.app import run_app

    run_app(ws)


@cli.command()
@click.option(
    "--title", help="Title of the new review (a review is created when the database has none)."
)
@click.option("--question", help="The review question.")
@click.option("--lead", metavar="NAME", help="Add this reviewer as the review's lead.")
@pass_state
def init(state: CliState, title: str | None, question: str | None, lead: str | None) -> None:
    """Create the review database schema at --db (or REALIST_DB).

    \b
    Examples:
      realist --db review.db init --title "QI and inequalities" --lead LLJ
      realist --db postgresql+psycopg://me@host/review init --title "Shared review"
    """
    store = Store(state.db)
    existed = store.has_schema()
    if existed and migrate.needs_upgrade(store):
        raise click.ClickException(
            "this database has an older schema; run `realist upgrade` instead"
        )
    migrate.upgrade(store)
    click.echo(f"{'schema up to date' if existed else 'created schema'} in {store.display_url()}")
    try:
        review_id = resolve_review_id(store, state.review_id)
        if title:
            click.echo(f"the database already holds review {review_id}; --title ignored", err=True)
    except NoReviewError:
        review_id = create_review(store, title or "Untitled review", question)
        click.echo(f"created review {review_id}: {title or 'Untitled review'}")
    if lead:
        ws = Workspace(store, review_id)
        info = reviewer_service.add_reviewer(ws, lead, role="lead")
        click.echo(f"added reviewer {info.name} (lead)")


@cli.command()
@click.option(
    "--no-backup", is_flag=True, help="Skip the backup taken before migrating (not advised)."
)
@pass_state
def upgrade(state: CliState, no_backup: bool) -> None:
    """Bring an older review database up to this version's schema (a backup is taken first).

    \b
    Example:
      realist --db review.db upgrade
    """
    store = Store(state.db)
    store.require_schema()
    before = migrate.current_revision(store)
    if not migrate.needs_upgrade(store):
        click.echo(f"already at the newest schema ({before})")
        return
    if not no_backup:
        from realist.services.backup import backup_before_upgrade

        path = backup_before_upgrade(store)
        click.echo(f"backup written to {path}")
    migrate.upgrade(store)
    click.echo(f"upgraded schema {before} -> {migrate.current_revision(store)}")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_state
def load(state: CliState, paths: tuple[Path, ...]) -> None:
    """Load YAML files (or folders of them) into the review, all or nothing.

    Objects are matched by their keys (study ref, CMOC id, tag code, reviewer name) and updated;
    nothing absent from the files is deleted. See docs/yaml-schema.md for the format.

    \b
    Examples:
      realist --db review.db load data/review.yaml data/studies.yaml data/cmocs.yaml
      realist --db review.db load exported/
    """
    store = Store(state.db)
    store.require_schema()
    try:
        review_id: int | None = resolve_review_id(store, state.review_id)
    except NoReviewError:
        review_id = None
    actor = resolve_actor(store, state.reviewer) if review_id is not None else None
    ws = Workspace(store, review_id or 0, actor)
    summary = load_paths(store, list(paths), review_id=review_id, ws=ws)
    for f in summary.files:
        counts = ", ".join(f"{v} {k}" for k, v in f.counts.items())
        click.echo(f"loaded {f.path} ({f.kind}): {counts}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@pass_state
def dump(state: CliState, directory: Path) -> None:
    """Write the review to DIRECTORY as YAML (review.yaml, studies.yaml, cmocs.yaml, ...).

    \b
    Example:
      realist --db review.db dump snapshot/
    """
    ws = state.workspace()
    for path in dump_review(ws.store, ws.review_id, directory, viewer=ws):
        click.echo(f"wrote {path}")


@cli.group()
def reviewer() -> None:
    """Add and list reviewers."""


@reviewer.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["lead", "reviewer", "coder", "observer"]),
    default="reviewer",
    show_default=True,
)
@click.option("--full-name", help="The reviewer's full name, for reports.")
@pass_state
def reviewer_add(state: CliState, name: str, role: str, full_name: str | None) -> None:
    """Add a reviewer (only a lead may add people once the review has any).

    \b
    Examples:
      realist reviewer add JF --role reviewer --full-name "John Ford"
      realist --reviewer LLJ reviewer add SAM --role coder
    """
    ws = state.workspace()
    info = reviewer_service.add_reviewer(ws, name, role=role, full_name=full_name)
    click.echo(f"added reviewer {info.name} ({info.role})")


@reviewer.command("list")
@pass_state
def reviewer_list(state: CliState) -> None:
    """List reviewers and their roles.

    \b
    Example:
      realist reviewer list
    """
    people = reviewer_service.list_reviewers(state.workspace())
    if not people:
        click.echo("no reviewers yet; add one with `realist reviewer add NAME --role lead`")
    for p in people:
        flag = "" if p.active else "  (deactivated)"
        click.echo(f"{p.name:<12} {p.role:<9} {p.full_name or ''}{flag}")


@cli.command()
@pass_state
def status(state: CliState) -> None:
    """Print what the review holds: records, decisions, studies, CMOCs per cluster.

    \b
    Example:
      realist --db review.db status
    """
    st = review_status(state.workspace())
    click.echo(st.title)
    click.echo(f"  database   {st.database}")
    click.echo(
        f"  records    {st.records} imported in {st.batches} batches, {st.duplicates} duplicates"
    )
    click.echo(f"  decisions  {st.decisions}")
    click.echo(f"  studies    {st.studies}")
    click.echo(f"  CMOCs      {st.cmocs} in {len(st.clusters)} clusters")
    for c in st.clusters:
        click.echo(
            f"    {c.number}. {c.name}: {c.cmocs} ({c.reduces} reduce, {c.may_worsen} may worsen)"
        )


def create_demo(path: Path) -> Store:
    """A fresh SQLite review at `path` holding the bundled example review."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = Store(str(path))
    migrate.upgrade(store)
    load_paths(store, BUNDLED_FILES)
    return store


@cli.command()
@click.option(
    "--path",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="realist-demo.db",
    show_default=True,
    help="Where to write the demo database (replaced if it exists).",
)
@click.option("--no-tui", is_flag=True, help="Only create the database; do not open the TUI.")
@pass_state
def demo(state: CliState, path: Path, no_tui: bool) -> None:
    """Copy the bundled example review into a fresh SQLite file and open the TUI on it.

    The example is Johnson et al., BMJ Qual Saf 2025 (CC BY 4.0): 20 CMOCs in 4 clusters and the
    studies they cite.

    \b
    Examples:
      realist demo
      realist demo --path /tmp/example.db --no-tui
    """
    if state.db and sqlite_path(resolve_url(state.db)) != path.resolve():
        raise InvalidInputError("use --path to choose where the demo database goes (not --db)")
    store = create_demo(path)
    click.echo(f"example review written to {path} (open it again with: realist --db {path})")
    if no_tui:
        return
    ws = Workspace(store, resolve_review_id(store), resolve_actor(store, state.reviewer or "LLJ"))
    from tui.app import run_app

    run_app(ws)
