"""Prioritised screening from the command line: `realist rank` and `realist stopping`.

Both read the review through `realist.services.prioritise`, imported inside the commands: it
loads scikit-learn and SciPy, which the other commands do not need.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from typing import TYPE_CHECKING, Any

import click

from realist.cli import cli
from realist.cli.common import CliState, output_format_option
from realist.domain import Stage
from realist.errors import RealistError
from realist.services import screening

if TYPE_CHECKING:
    from realist.services.context import Workspace
    from realist.services.prioritise import Ranking

pass_state = click.make_pass_decorator(CliState)

# Control characters (terminal escapes among them) never reach the terminal from a title.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class StageType(click.ParamType):
    """A screening stage: title_abstract (title-abstract, ta) or full_text (full-text, ft)."""

    name = "stage"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Stage:
        if isinstance(value, Stage):
            return value
        try:
            return screening.parse_stage(str(value))
        except RealistError:
            self.fail(
                f"{value!r} is not a stage: use title_abstract (ta) or full_text (ft)", param, ctx
            )

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[title_abstract|full_text]"


STAGE = StageType()


def stage_option(f: Any) -> Any:
    """The shared --stage option (a Stage; title/abstract unless given)."""
    return click.option(
        "--stage",
        type=STAGE,
        default=Stage.TITLE_ABSTRACT.value,
        show_default=True,
        help="Screening stage: title_abstract (ta) or full_text (ft).",
    )(f)


def _dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _one_line(text: str | None, width: int) -> str:
    flat = " ".join(_CONTROL.sub(" ", text or "").split())
    if not flat:
        return "(no title)"
    return textwrap.shorten(flat, width, placeholder="…")


# --------------------------------------------------------------------------------------------
# realist rank


def _wrap_items(items: list[str], width: int, indent: int) -> list[str]:
    """'up: a, b, c' over lines of at most `width` characters, never breaking an item."""
    lines: list[str] = []
    line = " " * indent + "up:"
    for k, item in enumerate(items):
        piece = f" {item}" + ("," if k < len(items) - 1 else "")
        if len(line) + len(piece) > width and line.strip() != "up:":
            lines.append(line)
            line = " " * (indent + 3)
        line += piece
    return [*lines, line]


def _learned(r: Ranking) -> str:
    return (
        f"learned from {r.relevant:,} relevant and {r.irrelevant:,} irrelevant "
        f"decision{'s' if r.irrelevant != 1 else ''}"
    )


def _rows(
    ws: Workspace, stage: Stage, ids: list[int], ranking: Ranking, terms: dict[int, Any]
) -> list[dict[str, Any]]:
    rows = []
    for n, rid in enumerate(ids, 1):
        view = screening.record_view(ws, rid, stage)
        rows.append(
            {
                "rank": n,
                "id": rid,
                "source_id": view.source_id,
                "title": view.title,
                "score": ranking.scores[rid] if ranking.trained else None,
                "terms": [[t, w] for t, w in terms.get(rid, [])],
            }
        )
    return rows


@cli.command("rank")
@stage_option
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many of the best-ranked open records to list.",
)
@click.option("--explain", is_flag=True, help="Show the terms that pushed each record up.")
@output_format_option("text", "json")
@pass_state
def rank_cmd(state: CliState, stage: Stage, top: int, explain: bool, fmt: str) -> None:
    """List your open (undecided) records, most likely relevant first.

    The model learns from the final decisions you may see at the stage (include and maybe are
    relevant, exclude is not; unresolved conflicts are left out) and scores every record you
    screen there. Before the first include or maybe, the file order is kept. The list never
    hides a record: the rest follow in the same order in the screening screen's relevance mode.

    \b
    Examples:
      realist --reviewer JF rank
      realist --reviewer JF rank --top 5 --explain
      realist --reviewer JF rank --stage full_text --format json
    """
    from realist.services import prioritise

    ws = state.workspace()
    actor = ws.require_actor()
    queue = screening.open_queue(ws, stage, "file")
    done = set(queue.mine) | queue.closed
    open_ids = [i for i in queue.ids if i not in done]
    base: dict[str, Any] = {
        "stage": stage.value,
        "reviewer": actor.name,
        "records": len(queue.ids),
        "open": len(open_ids),
    }
    if not open_ids:
        if fmt == "json":
            empty = {"trained": False, "relevant": 0, "irrelevant": 0, "ranked": []}
            click.echo(_dump({**base, **empty}))
        elif not queue.ids:
            click.echo(f"no records to screen at {stage.label}")
        else:
            click.echo(
                f"nothing left for {actor.name} at {stage.label}: all {len(queue.ids):,} "
                "records decided"
            )
        return
    corpus = prioritise.build_corpus(prioritise.corpus_source(ws, stage))
    ranking = prioritise.rank(corpus, prioritise.training_labels(ws, stage), done=done)
    shown = [i for i in ranking.order if i not in done][:top]
    terms = {rid: prioritise.explain(corpus, rid, 6) for rid in shown} if explain else {}
    rows = _rows(ws, stage, shown, ranking, terms)
    if fmt == "json":
        model = {"relevant": ranking.relevant, "irrelevant": ranking.irrelevant}
        click.echo(_dump({**base, "trained": ranking.trained, **model, "ranked": rows}))
        return
    click.echo(
        f"Relevance ranking for {actor.name} at {stage.label}: {len(open_ids):,} open of "
        f"{len(queue.ids):,} records"
    )
    if ranking.trained:
        click.echo(f"Most likely relevant first ({_learned(ranking)}).")
    elif ranking.relevant == 0:
        click.echo(f"no relevant decision yet: file order kept ({_learned(ranking)})")
    else:
        click.echo(f"nothing to learn from yet: file order kept ({_learned(ranking)})")
    click.echo("")
    width = len(str(len(rows)))
    for row in rows:
        score = f"{row['score']:7.3f}" if row["score"] is not None else "      -"
        ident = f"{row['source_id'] or '-'} (#{row['id']})"
        click.echo(f"{row['rank']:>{width}}. {score}  {ident:<20} {_one_line(row['title'], 70)}")
        if explain:
            words = [f"{_one_line(t, 40)} {w:+.2f}" for t, w in row["terms"]]
            for line in _wrap_items(words or ["(no term pushed it up)"], 100, width + 11):
                click.echo(line)
    if len(open_ids) > len(rows):
        click.echo(f"\nShowing {len(rows):,} of {len(open_ids):,} open records (--top N for more).")


# --------------------------------------------------------------------------------------------
# realist stopping


def _check_fraction(name: str, value: float, *, closed_top: bool) -> float:
    ok = 0.0 < value <= 1.0 if closed_top else 0.0 < value < 1.0
    if not ok or math.isnan(value):
        span = "above 0 and at most 1" if closed_top else "between 0 and 1"
        raise click.BadParameter(f"must be {span} (e.g. 0.95), not {value}", param_hint=name)
    return value


@cli.command("stopping")
@stage_option
@click.option(
    "--target-recall",
    type=float,
    default=0.95,
    show_default=True,
    help="The recall to test for, above 0 and at most 1.",
)
@click.option(
    "--confidence",
    type=float,
    default=0.95,
    show_default=True,
    help="Confidence of the test and of the interval, between 0 and 1.",
)
@click.option(
    "--width",
    type=click.IntRange(20, 400),
    default=60,
    show_default=True,
    help="Width of the plot in characters.",
)
@output_format_option("text", "json")
@pass_state
def stopping_cmd(
    state: CliState, stage: Stage, target_recall: float, confidence: float, width: int, fmt: str
) -> None:
    """Is it safe to stop screening? Includes found against records screened, and an estimate
    of the includes still unscreened.

    Records count in the order they were first decided; a record counts as found when its
    final decision is include or maybe. The estimate is the hypergeometric test of Callaghan &
    Müller-Hansen (2020): advice only, screening never stops by itself. `realist export
    stopping` writes the same as a report.

    \b
    Examples:
      realist stopping
      realist stopping --stage full_text --target-recall 0.99
      realist stopping --format json > stopping.json
    """
    _check_fraction("--target-recall", target_recall, closed_top=True)
    _check_fraction("--confidence", confidence, closed_top=False)
    from exporters.stopping import summary, to_dict
    from realist.ranking import StoppingInputError
    from realist.services.prioritise import stopping_report

    try:
        report = stopping_report(
            state.workspace(), stage, target_recall=target_recall, confidence=confidence
        )
    except StoppingInputError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(_dump(to_dict(report)))
        return
    e = report.estimate
    click.echo(f"Stopping aid, {stage.label}\n")
    click.echo(report.plot(width=width))
    click.echo("")
    click.echo(summary(report))
    click.echo(f"Records screened since the last include: {e.since_last_include:,}")
    if math.isnan(e.remaining):
        click.echo("Estimated includes remaining: no estimate (nothing screened yet)")
    else:
        click.echo(
            f"Estimated includes remaining: {e.remaining:.1f} ({e.confidence:.0%} interval "
            f"{e.remaining_low:,} to {e.remaining_high:,}) among {e.unscreened:,} not screened"
        )
    click.echo(report.advice())
