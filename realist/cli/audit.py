"""The audit trail on the command line."""

from __future__ import annotations

import json

import click

from realist.cli import cli
from realist.cli.common import CliState
from realist.services.audit_view import audit_entries

pass_state = click.make_pass_decorator(CliState)


@cli.command("log")
@click.option("-n", "--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--actor", metavar="NAME", help="Only entries by this reviewer.")
@click.option(
    "--action", metavar="PREFIX", help="Only actions starting with PREFIX, e.g. screening."
)
@click.option("--entity", metavar="KIND", help="Only entries about this kind of object, e.g. cmoc.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_state
def log_command(
    state: CliState, limit: int, actor: str | None, action: str | None, entity: str | None, fmt: str
) -> None:
    """Show the audit trail, newest first: who changed what and when.

    The trail is append-only (the database refuses to change or delete entries). A second
    reviewer screening a blind sample does not see the first reviewer's screening entries.

    \b
    Examples:
      realist log
      realist log --actor JF --action screening. -n 200
      realist log --entity cmoc --format json
    """
    rows = audit_entries(state.workspace(), limit=limit, actor=actor, action=action, entity=entity)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "at": r.at.isoformat(),
                        "actor": r.actor,
                        "action": r.action,
                        "entity": r.entity,
                        "entity_id": r.entity_id,
                        "details": r.details,
                    }
                    for r in rows
                ],
                indent=2,
                ensure_ascii=False,
                default=str,
            )
        )
        return
    if not rows:
        click.echo("no audit entries match")
    for r in rows:
        target = f"{r.entity} {r.entity_id}" if r.entity else ""
        click.echo(
            f"{r.at:%Y-%m-%d %H:%M:%S}  {r.actor:<10} {r.action:<24} {target:<18} {r.summary()}"
        )
