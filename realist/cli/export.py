"""`realist export ...`: diagrams, tables, the PPI pack and the PRISMA flow diagram.

The group object is `realist.cli.export.export`; other modules add commands to it by
importing it. Exporters are imported inside the commands: `realist` never imports them at
module level.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from realist.cli import cli
from realist.cli.common import CliState, RealistGroup, progress_bar
from realist.cli.prioritise import stage_option
from realist.domain import Stage

if TYPE_CHECKING:
    from exporters.api import ExportRequest

pass_state = click.make_pass_decorator(CliState)
F = TypeVar("F", bound=Callable[..., Any])

THEORY_FORMATS = ("dot", "svg", "png", "pdf", "graphml", "gexf", "json")
TABLE_FORMATS = ("csv", "md", "xlsx", "docx", "html", "tex")
TABLE_SET_FORMATS = ("xlsx", "docx", "html", "md", "tex")
PRISMA_FORMATS = ("svg", "png", "pdf", "dot", "json", "md")
STOPPING_FORMATS = ("html", "md", "txt", "json")


@cli.group(cls=RealistGroup)
def export() -> None:
    """Export the review: diagrams, methods tables, the PPI pack, the PRISMA flow diagram.

    The format follows the output file's suffix unless --format says otherwise; `-o -`
    writes text formats to standard output.

    \b
    Examples:
      realist export theory -o theory.svg
      realist export cmocs -o table3.docx
      realist export ppi -o ppi-pack/
      realist export prisma -o prisma.svg
    """


def _output(formats: tuple[str, ...]) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        f = click.option(
            "--format",
            "fmt",
            type=click.Choice(formats),
            default=None,
            help="Output format (default: from the file's suffix).",
        )(f)
        return click.option(
            "-o",
            "--output",
            "output",
            required=True,
            metavar="FILE",
            help="Where to write ('-' for standard output, text formats only).",
        )(f)

    return decorate


BINARY = {"svg", "png", "pdf", "xlsx", "docx", "graphml", "gexf"}


def _run(state: CliState, what: str, output: str, fmt: str | None, **options: Any) -> None:
    from exporters.api import ExportRequest, infer_format

    if output == "-":
        if fmt is None:
            raise click.UsageError("with `-o -` give --format")
        if fmt in BINARY - {"svg", "graphml", "gexf"}:
            raise click.UsageError(f"{fmt} is binary; write it to a file with -o FILE")
    elif output.endswith(("/", os.sep)):
        # Path() drops the slash, and the export would become a file named like the folder
        raise click.UsageError(
            f"{output} is a folder; give a file name, e.g. -o {output}{what}.{fmt or 'csv'}"
        )
    chosen = fmt or infer_format(output, what)
    req = ExportRequest(what=what, fmt=chosen, path=Path(output), **options)
    _write(state, req, output == "-")


def _write(state: CliState, req: ExportRequest, stdout: bool) -> None:
    from exporters.api import produce, run_export

    ws = state.workspace()
    if stdout:
        sys.stdout.buffer.write(produce(ws, req))
        sys.stdout.flush()
        return
    result = run_export(ws, req)
    for path in result.paths:
        click.echo(f"wrote {path}")
    if result.note:
        click.echo(f"note: {result.note}", err=True)


@export.command("theory")
@_output(THEORY_FORMATS)
@click.option(
    "--view",
    type=click.Choice(["overview", "detailed"]),
    default="overview",
    show_default=True,
    help="overview: CMOC ids and outcomes; detailed: full context, mechanism and outcome.",
)
@click.option("--cluster", type=int, metavar="N", help="Only cluster N.")
@click.option(
    "--evidence/--no-evidence",
    default=False,
    show_default=True,
    help="Draw the cited documents as nodes with edges to the CMOCs they support.",
)
@pass_state
def theory_cmd(
    state: CliState,
    output: str,
    fmt: str | None,
    view: str,
    cluster: int | None,
    evidence: bool,
) -> None:
    """The programme theory diagram (Graphviz) or graph (GraphML, GEXF, node-link JSON).

    SVG, PNG and PDF need Graphviz's `dot` program; DOT, GraphML, GEXF and JSON do not.
    GraphML and GEXF open in Gephi and yEd. The same review always gives the same DOT.

    \b
    Examples:
      realist export theory -o theory.svg
      realist export theory --view detailed --cluster 4 -o cluster4.pdf
      realist export theory --evidence -o theory.graphml
      realist export theory --format dot -o - | dot -Tpng > theory.png
    """
    _run(state, "theory", output, fmt, view=view, cluster=cluster, evidence=evidence)


@export.command("ppi")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Folder to write ppi-pack.html and ppi-pack.pdf into (created if missing).",
)
@click.option("--no-pdf", is_flag=True, help="Write only the HTML page.")
@pass_state
def ppi_cmd(state: CliState, output: Path, no_pdf: bool) -> None:
    """A pack for a patient and public involvement panel: HTML page and printable PDF.

    The overview diagram, then one section per cluster in large type with each CMOC's
    plain-language summary, a legend in plain words, numbered references to the studies and
    boxes for the panel's comments. The HTML has no external files and no JavaScript.

    \b
    Examples:
      realist export ppi -o ppi-pack/
      realist export ppi --no-pdf -o /tmp/panel
    """
    from exporters.api import ExportRequest, run_export

    req = ExportRequest(what="ppi", fmt="html" if no_pdf else "html+pdf", path=output)
    with progress_bar("building the PPI pack", enabled=sys.stderr.isatty()) as update:
        result = run_export(state.workspace(), req, progress=update)
    for path in result.paths:
        click.echo(f"wrote {path}")


def _table_command(name: str, what: str, summary: str, example: str) -> None:
    @export.command(name, help=f"{summary}\n\n\b\nExamples:\n{example}")
    @_output(TABLE_FORMATS)
    @pass_state
    def command(state: CliState, output: str, fmt: str | None) -> None:
        _run(state, what, output, fmt)

    del command


@export.command("cmocs")
@_output(TABLE_FORMATS)
@click.option(
    "--full",
    is_flag=True,
    help="Add context, mechanism, outcome, direction, status and supporting documents.",
)
@pass_state
def cmocs_cmd(state: CliState, output: str, fmt: str | None, full: bool) -> None:
    """The CMOC table in the layout of Table 3 of the reference review.

    A heading per cluster ('Cluster One: Values and Understanding'), then each CMOC's
    number and statement with its (C), (M), (O) marks. CSV and XLSX carry the cluster in a
    first column.

    \b
    Examples:
      realist export cmocs -o table3.docx
      realist export cmocs --full -o cmocs.xlsx
      realist export cmocs --format md -o -
    """
    _run(state, "cmocs", output, fmt, full=full)


_table_command(
    "studies",
    "studies",
    "Document characteristics: author, year, country, setting, design, document type, "
    "population, intervention, gap/targeted, PROGRESS-Plus, relevance, rigour ('not stated' "
    "where the review says nothing).",
    "  realist export studies -o documents.xlsx\n  realist export studies --format csv -o -",
)
_table_command(
    "appraisal",
    "appraisal",
    "Relevance and rigour appraisal: per document and, where excerpts are coded, per "
    "excerpt with the CMOC parts it supports and the rationale.",
    "  realist export appraisal -o appraisal.docx",
)
_table_command(
    "evidence",
    "evidence",
    "The CMOC evidence table: each CMOC with its documents and coded excerpts (pages, and "
    "the part C/M/O each excerpt supports).",
    "  realist export evidence -o evidence.xlsx",
)
_table_command(
    "rameses",
    "rameses",
    "The RAMESES publication standards checklist: item, description, reported "
    "(yes/no/unclear), page(s) and notes. Edit it in the TUI (m on the home screen).",
    "  realist export rameses -o rameses.docx\n  realist export rameses --format md -o -",
)


@export.command("tables")
@_output(TABLE_SET_FORMATS)
@pass_state
def tables_cmd(state: CliState, output: str, fmt: str | None) -> None:
    """Every methods table in one file: one sheet per table in XLSX, one after the other
    in DOCX, HTML, Markdown and LaTeX.

    \b
    Examples:
      realist export tables -o review-tables.xlsx
      realist export tables -o review-tables.docx
    """
    _run(state, "tables", output, fmt)


@export.command("prisma")
@_output(PRISMA_FORMATS)
@click.option(
    "--source",
    type=click.Choice(["auto", "live", "reported"]),
    default="auto",
    show_default=True,
    help="live: counts from the database; reported: the flow the review reports "
    "(reported_flow); auto: live once records are imported, else reported.",
)
@click.option(
    "--variant",
    type=click.Choice(["prisma", "realist"]),
    default="prisma",
    show_default=True,
    help="realist: the RAMESES 'document flow diagram' wording, with other sources shown.",
)
@click.option(
    "--counts",
    "counts_json",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Draw counts from a JSON file (as `--format json` writes) instead.",
)
@pass_state
def prisma_cmd(
    state: CliState,
    output: str,
    fmt: str | None,
    source: str,
    variant: str,
    counts_json: Path | None,
) -> None:
    """The PRISMA 2020 flow diagram, or its counts as JSON or Markdown.

    Refuses, listing every problem, when the counts do not add up.

    \b
    Examples:
      realist export prisma -o prisma.svg
      realist export prisma --variant realist -o document-flow.pdf
      realist export prisma --format md -o -
    """
    _run(state, "prisma", output, fmt, source=source, variant=variant, counts_json=counts_json)


@export.command("stopping")
@_output(STOPPING_FORMATS)
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
@pass_state
def stopping_cmd(
    state: CliState,
    output: str,
    fmt: str | None,
    stage: Stage,
    target_recall: float,
    confidence: float,
) -> None:
    """The stopping aid as a report: includes found against records screened (an SVG chart in
    HTML, the terminal plot in Markdown and text), records screened since the last include, the
    estimate of includes remaining with its interval, and the advice. JSON holds the figures and
    the whole curve. See also `realist stopping`.

    \b
    Examples:
      realist export stopping -o stopping.html
      realist export stopping --stage full_text --target-recall 0.99 -o stopping-ft.md
      realist export stopping --format json -o -
    """
    _run(
        state,
        "stopping",
        output,
        fmt,
        stage=stage.value,
        target_recall=target_recall,
        confidence=confidence,
    )


@export.command("gallery")
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("docs/gallery")
)
def gallery_cmd(directory: Path) -> None:
    """Regenerate the gallery of the bundled example's outputs (docs/gallery).

    \b
    Examples:
      realist export gallery
      realist export gallery /tmp/gallery
    """
    from exporters.gallery import build_gallery

    for path in build_gallery(directory):
        click.echo(f"wrote {path}")
