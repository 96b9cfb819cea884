"""Screening commands: PRISMA counts, tag summaries, decisions from other tools, and single
decisions / undo from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from realist.cli import cli
from realist.cli.common import CliState, output_format_option
from realist.domain import Stage
from realist.services import screening
from realist.services.context import resolve_actor
from realist.services.decisions_import import import_decisions
from realist.services.prisma_counts import prisma_report
from realist.services.tag_summary import tag_summary

pass_state = click.make_pass_decorator(CliState)
STAGES = click.Choice([s.value for s in Stage])


def _dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


@cli.command()
@output_format_option("md", "json")
@pass_state
def prisma(state: CliState, fmt: str) -> None:
    """Print the PRISMA 2020 flow counts computed from the review's data now.

    Identification per source database (other methods in their own column), duplicates
    removed, records screened and excluded, reports sought / not retrieved / assessed /
    excluded per reason, studies included; then the arithmetic checks and what is still
    waiting. JSON carries the same, with the checks under "problems".

    \b
    Examples:
      realist prisma
      realist prisma --format json > prisma.json
    """
    report = prisma_report(state.workspace())
    click.echo((_dump(report.to_dict()) if fmt == "json" else report.to_markdown()).rstrip("\n"))


@cli.group()
def tags() -> None:
    """Summaries of the PROGRESS-Plus and gap/targeted tags."""


@tags.command("summary")
@output_format_option("md", "json")
@pass_state
def tags_summary(state: CliState, fmt: str) -> None:
    """Count included documents by PROGRESS-Plus category, 'Plus' overall, and gap/targeted.

    Included documents are records finally included at the last stage they reached (tagged by
    the reviewers whose decision stands) and documents with no record (their own
    PROGRESS-Plus codes and focus).

    \b
    Examples:
      realist tags summary
      realist tags summary --format json
    """
    summary = tag_summary(state.workspace())
    click.echo(
        _dump(summary.to_dict()) if fmt == "json" else summary.to_markdown(), nl=fmt == "json"
    )


@cli.command("import-decisions")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path, exists=True))
@click.option(
    "--reviewer", "name", required=True, metavar="NAME", help="Whose decisions these are."
)
@click.option(
    "--stage",
    type=STAGES,
    default=Stage.TITLE_ABSTRACT.value,
    show_default=True,
    help="Screening stage.",
)
@click.option(
    "--skip-unmatched",
    is_flag=True,
    help="Import the rows that match and report the others (default: any unmatched id stops the import).",
)
@click.option(
    "--from-name",
    metavar="NAME",
    help="In a Rayyan export with several reviewers, whose decisions to take.",
)
@pass_state
def import_decisions_cmd(
    state: CliState,
    file: Path,
    name: str,
    stage: str,
    skip_unmatched: bool,
    from_name: str | None,
) -> None:
    """Import screening decisions made in another tool, as NAME's (source "import").

    FILE is a CSV with `source_id,decision[,reason,note]` (include, exclude, maybe or 1/0),
    an ASReview export (record_id + asreview_label / included / label_included: 1, 0, -1 or
    empty) or a Rayyan export (key + notes with RAYYAN-INCLUSION). Rows are matched on the
    record's id in its source file. All or nothing: unknown or ambiguous ids stop the import
    unless --skip-unmatched. Acts as NAME, unless --reviewer before the command names someone
    (who must then be NAME or a lead).

    \b
    Examples:
      realist import-decisions decisions.csv --reviewer JF
      realist import-decisions asreview_export.csv --reviewer JF --skip-unmatched
      realist --reviewer LLJ import-decisions rayyan.csv --reviewer JF --from-name "John"
      realist import-decisions fulltext.csv --reviewer JF --stage full_text
    """
    ws = state.workspace()
    if state.reviewer is None:
        ws = ws.with_actor(resolve_actor(ws.store, name))
    report = import_decisions(
        ws, file, name, stage, skip_unmatched=skip_unmatched, from_name=from_name
    )
    click.echo(report.summary())


@cli.command()
@click.argument("record")
@click.argument(
    "decision", type=click.Choice(["include", "exclude", "maybe"], case_sensitive=False)
)
@click.option("--stage", type=STAGES, default=Stage.TITLE_ABSTRACT.value, show_default=True)
@click.option("--reason", metavar="CODE", help="Exclusion reason code (required at full text).")
@click.option("--note", help="A note on the decision.")
@pass_state
def decide(
    state: CliState, record: str, decision: str, stage: str, reason: str | None, note: str | None
) -> None:
    """Record your decision on RECORD (a record id as #123, or its id in the source file).

    \b
    Examples:
      realist --reviewer JF decide '#42' include
      realist --reviewer JF decide PMID123 exclude --reason lmic --note "Brazil"
      realist --reviewer JF decide '#42' exclude --stage full_text --reason not_qi
    """
    ws = state.workspace()
    rid = screening.find_record(ws, record)
    change = screening.decide(
        ws,
        rid,
        stage,
        decision,
        reason=reason if reason is not None else screening.KEEP,
        note=note if note is not None else screening.KEEP,
        source="cli",
    )
    verb = "recorded" if change.changed else "already recorded"
    click.echo(f"record {rid}: {change.after} {verb} ({Stage(stage).label})")


@cli.command("undo-decision")
@click.option("--stage", type=STAGES, default=Stage.TITLE_ABSTRACT.value, show_default=True)
@pass_state
def undo_decision(state: CliState, stage: str) -> None:
    """Undo your most recent screening decision at a stage (repeat to go further back).

    \b
    Example:
      realist --reviewer JF undo-decision --stage title_abstract
    """
    change = screening.undo_last(state.workspace(), stage)
    if change is None:
        click.echo("nothing to undo")
        return
    now = change.after or "no decision"
    click.echo(f"record {change.record_id}: {change.before} undone, now {now}")
