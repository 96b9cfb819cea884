"""`realist criteria`: the eligibility criteria, edited one at a time with conflict detection."""

from __future__ import annotations

import click

from realist.cli import cli
from realist.cli.common import CliState
from realist.errors import NotFoundError
from realist.services import criteria
from realist.services.context import Workspace
from realist.services.criteria import KINDS, CriterionInfo

pass_state = click.make_pass_decorator(CliState)

KIND_CHOICE = click.Choice(KINDS, case_sensitive=False)
EXPECT_HELP = (
    "The version you read (`criteria list --ids` shows it): refuse the change if the criterion "
    "changed since. By default, the version read just before saving."
)


def _line(c: CriterionInfo, ids: bool) -> str:
    ident = f"  (#{c.id} v{c.version})" if ids else ""
    return f"  {c.label:<4} {c.text}{ident}"


def _target(ws: Workspace, ref: str, expect_version: int | None) -> tuple[int, int, str | None]:
    """(id, version to check, label as read) of the criterion `ref` names.

    With --expect-version, an id that is gone is still handed to the service, which reports
    who removed it (a conflict) rather than "not found"."""
    try:
        current = criteria.get_criterion(ws, ref)
    except NotFoundError:
        digits = ref.strip().lstrip("#")
        if expect_version is None or not digits.isdigit():
            raise
        return int(digits), expect_version, None
    version = current.version if expect_version is None else expect_version
    return current.id, version, current.label


@cli.group("criteria")
def criteria_group() -> None:
    """Eligibility criteria: list, add, edit, remove (leads; edits detect conflicts)."""


@criteria_group.command("list")
@click.option("--kind", type=KIND_CHOICE, help="Only inclusion or only exclusion criteria.")
@click.option("--ids", is_flag=True, help="Show each criterion's #id and version.")
@pass_state
def criteria_list(state: CliState, kind: str | None, ids: bool) -> None:
    """List the eligibility criteria with their labels (I1, I2, ... E1, E2, ...).

    \b
    Examples:
      realist criteria list
      realist criteria list --kind exclusion --ids
    """
    rows = criteria.list_criteria(state.workspace(), kind.lower() if kind else None)
    if not rows:
        click.echo(
            "no criteria yet; add one with `realist criteria add inclusion TEXT` or load "
            "review.yaml"
        )
        return
    shown: str | None = None
    for c in rows:
        if c.kind != shown:
            shown = c.kind
            click.echo(f"{c.kind_label} criteria")
        click.echo(_line(c, ids))


@criteria_group.command("add")
@click.argument("kind", type=KIND_CHOICE)
@click.argument("text")
@click.option("--at", "number", type=int, metavar="N", help="Place in its list (1 first).")
@pass_state
def criteria_add(state: CliState, kind: str, text: str, number: int | None) -> None:
    """Add an inclusion or exclusion criterion, at the end of its list or at --at N.

    \b
    Examples:
      realist --reviewer LLJ criteria add inclusion "Any study design"
      realist --reviewer LLJ criteria add exclusion "Published before 2000" --at 1
    """
    info = criteria.add_criterion(state.workspace(), kind.lower(), text, number=number)
    click.echo(f"added {info.label} (#{info.id}): {info.text}")


@criteria_group.command("edit")
@click.argument("criterion")
@click.option("--text", help="New text.")
@click.option("--kind", type=KIND_CHOICE, help="Move it to the other list (at the end).")
@click.option("--at", "number", type=int, metavar="N", help="New place in its list (1 first).")
@click.option("--expect-version", type=int, metavar="V", help=EXPECT_HELP)
@pass_state
def criteria_edit(
    state: CliState,
    criterion: str,
    text: str | None,
    kind: str | None,
    number: int | None,
    expect_version: int | None,
) -> None:
    """Change a criterion's text, kind or place. CRITERION is its label (I2, E1) or #id.

    If someone else changed it since the version you read, nothing is saved and the
    command says who changed it and when (exit code 1).

    \b
    Examples:
      realist --reviewer LLJ criteria edit I3 --text "Any study design, qualitative included"
      realist --reviewer LLJ criteria edit E5 --at 1
      realist --reviewer LLJ criteria edit '#7' --kind inclusion --expect-version 2
    """
    if text is None and kind is None and number is None:
        raise click.UsageError("give --text, --kind or --at")
    ws = state.workspace()
    cid, version, label = _target(ws, criterion, expect_version)
    info = criteria.edit_criterion(
        ws,
        cid,
        expected_version=version,
        text=text,
        kind=kind.lower() if kind else None,
        number=number,
    )
    if info.version == version:
        click.echo(f"{info.label} unchanged: {info.text}")
        return
    moved = f" (was {label})" if label and info.label != label else ""
    click.echo(f"{info.label}{moved} is now: {info.text}")


@criteria_group.command("remove")
@click.argument("criterion")
@click.option("--expect-version", type=int, metavar="V", help=EXPECT_HELP)
@pass_state
def criteria_remove(state: CliState, criterion: str, expect_version: int | None) -> None:
    """Remove a criterion; the later ones of its list move up. CRITERION is a label or #id.

    \b
    Examples:
      realist --reviewer LLJ criteria remove E3
      realist --reviewer LLJ criteria remove '#7' --expect-version 2
    """
    ws = state.workspace()
    cid, version, _label = _target(ws, criterion, expect_version)
    info = criteria.remove_criterion(ws, cid, expected_version=version)
    click.echo(f"removed {info.label} (#{info.id}): {info.text}")
