"""Team mode commands: database roles, grants and row-level security on a shared PostgreSQL review."""

from __future__ import annotations

import click

from realist.cli import cli
from realist.cli.common import CliState
from realist.db.store import Store
from realist.errors import InvalidInputError, NotFoundError
from realist.services import team as team_service

pass_state = click.make_pass_decorator(CliState)


@cli.group()
def team() -> None:
    """Team mode on PostgreSQL: one database role per reviewer, enforced by the database."""


@team.command("setup")
@click.option(
    "--prefix", help="Prefix of the roles created (default: realist_ and the database name)."
)
@click.option("--apply", "apply_", is_flag=True, help="Run the SQL (as the database owner).")
@click.option(
    "--print", "print_", is_flag=True, help="Print the SQL (the default without --apply)."
)
@pass_state
def team_setup(state: CliState, prefix: str | None, apply_: bool, print_: bool) -> None:
    """Create or update the reviewers' database roles, grants and row-level security.

    One login role per reviewer (their `db_role`, generated as PREFIX_name when unset), a group
    role per application role (lead, reviewer, coder, observer) holding the privileges, and
    row-level security so a blinded second reviewer cannot read the first reviewer's decisions
    even with a raw SQL client. Without --apply the SQL is printed for review. Run again after
    adding reviewers, changing roles or `realist upgrade`.

    \b
    Examples:
      realist --db postgresql+psycopg://owner@host/review team setup --print
      realist --db postgresql+psycopg://owner@host/review team setup --apply
      realist team password JF   # then JF connects as postgresql+psycopg://<role>@host/review
    """
    store = Store(state.db)
    plan = team_service.plan_team(store, prefix)
    if print_ or not apply_:
        click.echo(plan.sql(), nl=False)
    if apply_:
        report = team_service.apply_team(store, plan)
        click.echo(
            f"applied {report.statements} statements; group roles: "
            + ", ".join(plan.groups().values()),
            err=print_,
        )
        for m in report.members:
            state_ = "" if m.active else " (deactivated: no login)"
            click.echo(f"  {m.name:<12} {m.role:<9} connects as {m.db_role}{state_}", err=print_)


@team.command("role")
@click.argument("name")
@click.argument("db_role")
@pass_state
def team_role(state: CliState, name: str, db_role: str) -> None:
    """Set the PostgreSQL role reviewer NAME connects with (before `team setup --apply`).

    \b
    Example:
      realist --reviewer LLJ team role JF jford
    """
    member = team_service.set_db_role(state.workspace(), name, db_role)
    click.echo(f"{member.name} connects as {member.db_role}; run `realist team setup --apply`")


@team.command("password")
@click.argument("name")
@click.password_option(help="The new password (asked for when not given).")
@pass_state
def team_password(state: CliState, name: str, password: str) -> None:
    """Set the login password of reviewer NAME's database role (as the database owner).

    \b
    Example:
      realist --db postgresql+psycopg://owner@host/review team password JF
    """
    store = Store(state.db)
    plan = team_service.plan_team(store)
    member = next((m for m in plan.members if m.name == name), None)
    if member is None:
        raise NotFoundError(f"unknown reviewer {name!r}")
    if member.assigned:
        raise InvalidInputError(
            f"{name} has no database role yet; run `realist team setup --apply` first"
        )
    team_service.set_password(store, member.db_role, password)
    click.echo(f"password set for {member.db_role} ({name})")


@team.command("whoami")
@pass_state
def team_whoami(state: CliState) -> None:
    """Say which reviewer this database connection acts as (team mode).

    \b
    Example:
      realist --db postgresql+psycopg://jford@host/review team whoami
    """
    store = Store(state.db)
    store.require_schema()
    name = team_service.connected_reviewer(store)
    if name is None:
        click.echo("this connection's database role is not a reviewer's (owner or SQLite)")
    else:
        click.echo(name)
