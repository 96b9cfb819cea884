"""The dual-screening agreement check from the command line: draw the second reviewer's sample,
follow and open the comparison, report agreement, list disagreements and resolve them."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from realist.cli import cli
from realist.cli.common import CliState
from realist.db.models import Reviewer
from realist.domain import Role, Stage
from realist.errors import InvalidInputError
from realist.services import agreement_service, resolution, samples, screening
from realist.services.context import Actor, Workspace
from realist.services.samples import SampleInfo, SamplePlan

pass_state = click.make_pass_decorator(CliState)
STAGES = click.Choice([s.value for s in Stage])


def lead_workspace(state: CliState) -> Workspace:
    """The workspace acting as the named reviewer, or, when nobody was named, as the review's
    lead if it has exactly one (the lead draws samples, opens comparisons and resolves)."""
    ws = state.workspace()
    if ws.actor is not None:
        return ws
    with ws.store.read() as s:
        leads = s.execute(
            select(Reviewer.id, Reviewer.name, Reviewer.role)
            .where(Reviewer.role == Role.LEAD.value, Reviewer.active)
            .limit(2)
        ).all()
    if len(leads) != 1:
        raise InvalidInputError(
            "this needs a lead: name yourself before the command, e.g. "
            "`realist --reviewer LEAD sample ...` (see `realist reviewer list`)"
        )
    lead_id, name, role = leads[0]
    return ws.with_actor(Actor(int(lead_id), str(name), str(role)))


def _progress(info: SampleInfo) -> str:
    p = info.progress

    def n(x: int | None) -> str:
        return "hidden (blind)" if x is None else f"{x} of {p.size}"

    return (
        f"{info.first_reviewer} {n(p.first_decided)}, {info.second_reviewer} {n(p.second_decided)}"
    )


def _sample_lines(info: SampleInfo) -> list[str]:
    label = Stage(info.stage).label
    if info.status == samples.OPEN and info.opened_at is not None:
        status = f"comparison open since {info.opened_at:%Y-%m-%d %H:%M} UTC" + (
            f" ({info.opened_by})" if info.opened_by else ""
        )
    elif info.status == samples.READY:
        status = "blind, both finished: a lead may open the comparison"
    else:
        status = (
            f"blind: {info.second_reviewer} screens it without seeing {info.first_reviewer}'s "
            f"work at {label}"
        )
    lines = [
        f"sample {info.id} · {label} · {info.first_reviewer} (first) / "
        f"{info.second_reviewer} (second, blind) · {info.size} records · seed {info.seed}, "
        f"fraction {info.fraction:g}"
        + (f", stratified by {info.stratify}" if info.stratify else ""),
        f"  drawn {info.drawn_at:%Y-%m-%d %H:%M} UTC"
        + (f" by {info.drawn_by}" if info.drawn_by else ""),
        f"  decided: {_progress(info)}",
        f"  status: {status}",
    ]
    if info.description:
        lines.append(f"  {info.description}")
    lines += [f"  warning: {w}" for w in info.warnings]
    return lines


def _redraw_hint(plan: SamplePlan, fraction: float, seed: int, stage: str) -> str:
    first = f" --first {plan.first_reviewer}"
    return (
        f"to oversample includes: realist sample --fraction {fraction:g} --seed {seed} "
        f"--reviewer {plan.second_reviewer}{first} --stage {stage} --oversample-includes 10"
    )


@cli.command("sample")
@click.option(
    "--fraction",
    type=float,
    required=True,
    help="Share of the first reviewer's decided records to sample, in (0, 1] (0.10 = 10%).",
)
@click.option(
    "--seed",
    type=int,
    required=True,
    help="Seed of the random draw (the same seed, the same sample).",
)
@click.option(
    "--second",
    "--reviewer",
    "second",
    required=True,
    metavar="NAME",
    help="The second reviewer, who screens the sample blind (--reviewer after `sample` means "
    "the same; --reviewer before it names who is drawing).",
)
@click.option(
    "--first",
    metavar="NAME",
    help="The first reviewer, whose decisions are checked (default: the only other reviewer "
    "with decisions at the stage).",
)
@click.option("--stage", type=STAGES, default=Stage.TITLE_ABSTRACT.value, show_default=True)
@click.option(
    "--stratify",
    type=click.Choice(samples.STRATIFY),
    help="Allocate the sample in proportion to the first reviewer's decisions or to the "
    "records' sources.",
)
@click.option(
    "--oversample-includes",
    type=int,
    metavar="K",
    help="Draw at least K of the first reviewer's includes (stratifies by decision).",
)
@click.option("--dry-run", is_flag=True, help="Show the sample without storing it.")
@click.option(
    "--replace",
    is_flag=True,
    help="Discard the second reviewer's blind sample at this stage and draw a new one.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_state
def sample_cmd(
    state: CliState,
    fraction: float,
    seed: int,
    second: str,
    first: str | None,
    stage: str,
    stratify: str | None,
    oversample_includes: int | None,
    dry_run: bool,
    replace: bool,
    fmt: str,
) -> None:
    """Draw the random sample a second reviewer screens blind, for the agreement check.

    A simple random sample without replacement of the records the first reviewer decided at
    the stage, reproducible from --seed (never drawn from any queue or ranking order); stored
    with the seed, fraction, stratification, ids, who drew it and when. The second reviewer
    then screens only these records and sees nothing of the first reviewer's work at that
    stage anywhere, until both have finished and a lead runs `realist comparison open`.
    Warns when the sample holds too few includes for a stable kappa; --oversample-includes K
    then draws at least K of them. Acts as the lead named before the command (or the review's
    only lead).

    \b
    Examples:
      realist sample --fraction 0.10 --seed 2024 --reviewer JF
      realist --reviewer LLJ sample --fraction 0.10 --seed 7 --second JF --first LLJ
      realist sample --fraction 0.10 --seed 7 --reviewer JF --stratify decision
      realist sample --fraction 0.10 --seed 7 --reviewer JF --oversample-includes 10 --replace
      realist sample --fraction 0.20 --seed 7 --reviewer JF --stage full_text --dry-run
    """
    ws = lead_workspace(state)
    plan = samples.preview(
        ws,
        second,
        fraction,
        seed,
        stage=stage,
        first=first,
        stratify=stratify,
        oversample_includes=oversample_includes,
    )
    if dry_run:
        d = plan.draw
        if fmt == "json":
            click.echo(json.dumps({"dry_run": True, **d.to_dict()}, indent=2, ensure_ascii=False))
            return
        click.echo(
            f"dry run (nothing stored): {d.size} of {d.population} records {plan.first_reviewer} "
            f"decided at {Stage(stage).label}, for {plan.second_reviewer}"
        )
        click.echo(f"  {d.describe()}")
        click.echo(f"  ids: {', '.join(str(i) for i in d.ids)}")
        for w in plan.warnings:
            click.echo(f"  warning: {w}")
        if plan.can_oversample and not oversample_includes:
            click.echo(f"  {_redraw_hint(plan, fraction, seed, stage)}")
        return
    info = samples.draw(
        ws,
        second,
        fraction,
        seed,
        stage=stage,
        first=first,
        stratify=stratify,
        oversample_includes=oversample_includes,
        replace=replace,
    )
    if fmt == "json":
        click.echo(json.dumps(info.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo("\n".join(_sample_lines(info)))
    if plan.can_oversample and not oversample_includes:
        click.echo(f"  {_redraw_hint(plan, fraction, seed, stage)} --replace")
    click.echo(
        f"next: {info.second_reviewer} screens the sample (`realist --reviewer "
        f"{info.second_reviewer}`, then r); when both have finished, `realist comparison open "
        f"--sample {info.id}`"
    )


@cli.group("comparison")
def comparison() -> None:
    """Follow the blind samples and open their comparison."""


@comparison.command("status")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_state
def comparison_status(state: CliState, fmt: str) -> None:
    """List the agreement samples: who screens what, both reviewers' progress, blind or open.

    \b
    Examples:
      realist comparison status
      realist --reviewer JF comparison status --format json
    """
    found = samples.list_samples(state.workspace())
    if fmt == "json":
        click.echo(json.dumps([i.to_dict() for i in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo(
            "no sample yet; draw one with `realist sample --fraction 0.10 --seed N --reviewer NAME`"
        )
    for info in found:
        click.echo("\n".join(_sample_lines(info)))


@comparison.command("open")
@click.option("--sample", "sample_id", type=int, help="The sample (default: the only blind one).")
@pass_state
def comparison_open(state: CliState, sample_id: int | None) -> None:
    """Open the comparison of a blind sample, once both reviewers have decided all its records.

    Blinding lifts: the second reviewer sees the first reviewer's work again, and the agreement
    report, the disagreements and their resolution become available. Refused, saying who has
    decided how many, while either reviewer has records left. Leads only.

    \b
    Examples:
      realist --reviewer LLJ comparison open
      realist comparison open --sample 2
    """
    info = samples.open_comparison(lead_workspace(state), sample_id)
    click.echo("\n".join(_sample_lines(info)))
    click.echo(
        f"next: `realist agreement --sample {info.id}` and `realist disagreements --sample {info.id}`"
    )


@cli.command("agreement")
@click.option(
    "--reviewer",
    "reviewers",
    multiple=True,
    metavar="NAME",
    help="A reviewer to compare; give two (the first is reviewer A, the table's rows).",
)
@click.option(
    "--stage", type=STAGES, help="Screening stage (default: title_abstract, or the sample's)."
)
@click.option("--sample", "sample_id", type=int, help="A sample by id (default: the latest one).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(agreement_service.FORMATS),
    help="Output format (default: md, or the extension of -o).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file (needed for xlsx).",
)
@pass_state
def agreement_cmd(
    state: CliState,
    reviewers: tuple[str, ...],
    stage: str | None,
    sample_id: int | None,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Agreement between two reviewers' screening decisions at a stage.

    Over the records both decided (their drawn sample, when there is one, with the decisions as
    they stood when its comparison was opened): the table (rows reviewer A include, exclude[,
    maybe]; columns reviewer B), percent agreement, Cohen's kappa with its standard error and
    95% CI (Fleiss, Cohen & Everitt 1969), PABAK, Gwet's AC1, positive and negative agreement,
    the Landis & Koch band and warnings; per tag (each PROGRESS-Plus category, and gap/targeted)
    over the records both included. Undefined statistics are null, with a warning. Then the
    resolution of the disagreements: how many are resolved (final decisions by kind) and
    unresolved, and per disagreement both decisions, the final one, its rationale, who and
    when. A sample still blind is refused until its comparison is open.

    \b
    Examples:
      realist agreement --reviewer LLJ --reviewer JF --format json
      realist agreement --reviewer LLJ --reviewer JF --stage full_text --format md
      realist agreement --sample 1 -o agreement.xlsx
      realist agreement --reviewer LLJ --reviewer JF --format csv -o agreement.csv
    """
    result = agreement_service.agreement(
        state.workspace(), reviewers=reviewers, stage=stage, sample_id=sample_id
    )
    if output is not None:
        written = agreement_service.export_report(result, output, fmt)
        click.echo(f"wrote the agreement report ({written}) to {output}")
        return
    fmt = fmt or "md"
    if fmt == "xlsx":
        raise InvalidInputError("xlsx is a file format: add -o FILE.xlsx")
    if fmt == "json":
        click.echo(result.to_json(), nl=False)
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["scope", "statistic", "value"])
        for row in agreement_service.report_rows(result):
            writer.writerow([agreement_service.safe_cell("" if v is None else v) for v in row])
    else:
        click.echo(result.to_markdown(), nl=False)


@cli.command("disagreements")
@click.option(
    "--reviewer", "reviewers", multiple=True, metavar="NAME", help="Two reviewers (A first)."
)
@click.option("--stage", type=STAGES, help="Screening stage.")
@click.option(
    "--sample", "sample_id", type=int, help="A sample by id (default: the latest open one)."
)
@click.option(
    "--all", "include_all", is_flag=True, help="Every compared record, not only disagreements."
)
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@pass_state
def disagreements_cmd(
    state: CliState,
    reviewers: tuple[str, ...],
    stage: str | None,
    sample_id: int | None,
    include_all: bool,
    fmt: str,
) -> None:
    """List the records two reviewers decided differently, side by side, with any resolution.

    Each row: both decisions, exclusion reasons, notes and tags, and the lead's resolution and
    rationale when there is one. A sample still blind is refused until its comparison is open.

    \b
    Examples:
      realist disagreements
      realist disagreements --sample 1 --format json
      realist disagreements --reviewer LLJ --reviewer JF --stage full_text
    """
    found = resolution.disagreements(
        state.workspace(),
        reviewers=reviewers,
        stage=stage,
        sample_id=sample_id,
        include_agreements=include_all,
    )
    click.echo(found.to_json() if fmt == "json" else found.to_markdown(), nl=False)


@cli.command("resolve")
@click.argument("record")
@click.argument(
    "decision", type=click.Choice(["include", "exclude", "maybe"], case_sensitive=False)
)
@click.option("--rationale", required=True, help="Why this is the final decision.")
@click.option("--stage", type=STAGES, help="Screening stage (default: the record's sample's).")
@click.option("--sample", "sample_id", type=int, help="The sample the record is in.")
@pass_state
def resolve_cmd(
    state: CliState,
    record: str,
    decision: str,
    rationale: str,
    stage: str | None,
    sample_id: int | None,
) -> None:
    """Record the final decision on a record the reviewers disagreed on, with a rationale.

    RECORD is a record id as #123, or its id in the source file. The reviewers' own decisions
    stay as they are; the resolution is what PRISMA counts and the lists use from now on, and
    the audit log keeps it with both original decisions. Resolving again replaces the standing
    resolution (the earlier one is kept). Leads only.

    \b
    Examples:
      realist --reviewer LLJ resolve '#42' include --rationale "discussed: QI with equity outcomes"
      realist resolve PMID123 exclude --rationale "not QI" --stage full_text
    """
    ws = lead_workspace(state)
    rid = screening.find_record(ws, record)
    info = resolution.resolve(ws, rid, decision, rationale, stage=stage, sample_id=sample_id)
    where = f" (sample {info.sample_id})" if info.sample_id is not None else ""
    click.echo(
        f"record {rid}: resolved as {info.decision} at {Stage(info.stage).label}{where} by "
        f"{info.decided_by}"
    )
