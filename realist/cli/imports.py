"""Import and de-duplication commands: `import`, `dedup`, `duplicates list|show|confirm|reject|undo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from realist.cli import cli
from realist.cli.common import CliState, progress_bar
from realist.domain import PairStatus, SourceKind, values
from realist.errors import RealistError
from realist.services import dedup_service, duplicates_queue, imports
from realist.services.dedup_service import DedupSummary
from realist.services.duplicates_queue import PairChange, PairDetail

pass_state = click.make_pass_decorator(CliState)

BIG_FILE = 2_000_000  # bytes: show a progress bar from this size on


def _ask_source(path: Path, dialect: str | None) -> str | None:
    """Ask for the source database when the file does not say (only on a terminal)."""
    if not sys.stdin.isatty():
        return None
    hint = f" (written by {dialect})" if dialect else ""
    click.echo(err=True)  # leave the progress bar's line
    try:
        answer: str = click.prompt(
            f"Which database did {path.name}{hint} come from? (e.g. MEDLINE, Embase)",
            default=imports.UNKNOWN_SOURCE,
            err=True,
        )
    except click.Abort:  # end of input: keep going without a name
        return None
    return answer


def _dedup_line(summary: DedupSummary) -> str:
    parts = [
        f"{summary.certain:,} certain pair(s) merged automatically",
        f"{summary.uncertain:,} uncertain pair(s) for review",
    ]
    if summary.kept_decisions:
        parts.append(f"{summary.kept_decisions:,} earlier decision(s) kept")
    if summary.removed:
        parts.append(f"{summary.removed:,} earlier suggestion(s) no longer found")
    text = (
        f"de-duplication ({'new records against the review' if summary.incremental else 'whole review'}, "
        f"{summary.records:,} records, {summary.seconds:.1f} s): " + ", ".join(parts)
    )
    text += (
        f"\n  the review now has {summary.duplicates:,} duplicate record(s) in "
        f"{summary.clusters:,} cluster(s); {summary.queue:,} pair(s) wait in the queue"
    )
    if summary.queue:
        text += " (`realist duplicates list` or the TUI's Duplicates screen)"
    if summary.decided_duplicates:
        text += (
            f"\n  note: {summary.decided_duplicates} record(s) with screening work are now "
            "duplicates of another record with work; their decisions are kept but no longer counted"
        )
    return text


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--source",
    metavar="NAME",
    help="Source database (MEDLINE, Embase, ...); default: what the file's format says, else asked.",
)
@click.option(
    "--source-kind",
    type=click.Choice(values(SourceKind)),
    default=SourceKind.DATABASE.value,
    show_default=True,
    help="For PRISMA: databases, registers or other methods (citation searching, websites).",
)
@click.option("--search-string", metavar="TEXT", help="The search that produced the file.")
@click.option("--search-date", metavar="DATE", help="When it was run (YYYY-MM-DD).")
@click.option("--encoding", metavar="ENC", help="Text encoding instead of detection (e.g. cp1252).")
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid records and write a CSV report of the skipped ones.",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder for the skipped-records report (default: next to the file).",
)
@click.option("--force", is_flag=True, help="Import a file this review already holds again.")
@click.option("--no-dedup", is_flag=True, help="Do not de-duplicate after importing.")
@pass_state
def import_(
    state: CliState,
    files: tuple[Path, ...],
    source: str | None,
    source_kind: str,
    search_string: str | None,
    search_date: str | None,
    encoding: str | None,
    skip_invalid: bool,
    report_dir: Path | None,
    force: bool,
    no_dedup: bool,
) -> None:
    """Import search results (RIS, MEDLINE, Web of Science, BibTeX, CSV, TSV, XLSX).

    Each FILE becomes one import batch, all or nothing: a malformed record stops that file with
    its record number, line and reason, and nothing of it is written (--skip-invalid imports the
    rest and writes FILE.skipped.csv). A file already imported is refused unless --force. The
    format is detected from the content. Afterwards the new records are de-duplicated against
    the review (unless --no-dedup).

    \b
    Examples:
      realist --reviewer LLJ import medline.nbib --source MEDLINE --search-date 2024-03-01
      realist --reviewer LLJ import embase.ris scopus.csv --search-string "quality improvement"
      realist --reviewer LLJ import citations.ris --source "citation searching" --source-kind other
      realist --reviewer LLJ import messy.csv --skip-invalid --report-dir reports/
    """
    ws = state.workspace()
    batches: list[int] = []
    failed = 0
    for path in files:
        try:
            size = path.stat().st_size if path.is_file() else 0
            with progress_bar(f"Importing {path.name}", enabled=size >= BIG_FILE) as bar:
                summary = imports.import_file(
                    ws,
                    path,
                    source=source,
                    source_kind=source_kind,
                    search_string=search_string,
                    search_date=search_date,
                    encoding=encoding,
                    skip_invalid=skip_invalid,
                    force=force,
                    report_dir=report_dir,
                    progress=bar,
                    ask_source=_ask_source,
                )
        except RealistError as exc:
            failed += 1
            click.echo(f"error: {exc}", err=True)
            for problem in getattr(exc, "problems", [])[1:6]:
                click.echo(f"  also {problem}", err=True)
            continue
        batches.append(summary.batch_id)
        how = summary.format.upper() + (f", {summary.dialect}" if summary.dialect else "")
        click.echo(
            f"{summary.file_name}: {summary.records:,} record(s) from {summary.source_db} "
            f"({how}, {summary.encoding}) -> batch {summary.batch_id}"
            + (" (forced re-import)" if summary.forced else "")
        )
        if summary.skipped:
            click.echo(
                f"  skipped {summary.skipped:,} invalid record(s); report: {summary.report_path}"
            )
        for warning in summary.warnings:
            click.echo(f"  warning: {warning}", err=True)
        if summary.extra_truncated:
            click.echo(
                f"  note: unmapped fields of {summary.extra_truncated:,} record(s) were cut to "
                f"{imports.EXTRA_TOTAL_MAX:,} characters (the file keeps them whole)"
            )
    if batches and not no_dedup:
        with progress_bar("De-duplicating", enabled=True) as bar:
            result = dedup_service.run_dedup(ws, batch_ids=batches, progress=bar)
        click.echo(_dedup_line(result))
    if failed:
        raise click.ClickException(
            f"{failed} of {len(files)} file(s) not imported (nothing of them was written)"
        )


def _show_pair(d: PairDetail) -> None:
    click.echo(f"pair {d.id}: {d.status}, score {d.score:.3f}")
    if d.reason:
        click.echo(f"  why: {d.reason}")
    if d.decided_by:
        when = f" on {d.decided_at:%Y-%m-%d %H:%M} UTC" if d.decided_at else ""
        click.echo(f"  decided by {d.decided_by}{when}")
    for side, r in (("A", d.a), ("B", d.b)):
        where = f"{r.file_name or 'no batch'} #{r.position}" if r.position else "no batch"
        extra = f", duplicate of {r.duplicate_of_id}" if r.duplicate_of_id else ""
        work = ", has screening work" if r.has_work else ""
        click.echo(
            f"  {side}: record {r.id} (source id {r.source_id or '-'}, {where}, "
            f"{r.source_db or 'unknown source'}{extra}{work})"
        )
    click.echo("  field      same  sim.   A | B")
    for f in d.fields:
        sim = "" if f.similarity is None else f"{f.similarity:.2f}"
        a = (f.a[:60] + "…") if len(f.a) > 61 else f.a
        b = (f.b[:60] + "…") if len(f.b) > 61 else f.b
        click.echo(
            f"  {f.label:<10} {'yes' if f.same else 'NO':<5} {sim:<6} {a or '-'} | {b or '-'}"
        )


@cli.command()
@click.option(
    "--explain", "explain", type=int, metavar="PAIR", help="Show why pair PAIR was found."
)
@pass_state
def dedup(state: CliState, explain: int | None) -> None:
    """De-duplicate the whole review again (or explain one pair with --explain PAIR).

    Certain duplicates merge automatically; uncertain pairs wait for a reviewer. Decisions
    already made (confirmed, rejected, undone) are kept; records are linked, never deleted.

    \b
    Examples:
      realist --reviewer LLJ dedup
      realist dedup --explain 42
    """
    ws = state.workspace()
    if explain is not None:
        _show_pair(duplicates_queue.pair_detail(ws, explain))
        return
    with progress_bar("De-duplicating", enabled=True) as bar:
        result = dedup_service.run_dedup(ws, progress=bar)
    click.echo(_dedup_line(result))


@cli.group()
def duplicates() -> None:
    """Review duplicate pairs: list, show, confirm, reject, undo.

    \b
    Examples:
      realist duplicates list --status unreviewed
      realist --reviewer LLJ duplicates confirm 42
    """


@duplicates.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(values(PairStatus)),
    help="Only pairs of this status (repeatable).",
)
@click.option("--limit", type=int, default=None, help="At most this many pairs.")
@pass_state
def list_(state: CliState, statuses: tuple[str, ...], limit: int | None) -> None:
    """List duplicate pairs, best score first.

    \b
    Examples:
      realist duplicates list
      realist duplicates list --status unreviewed --limit 20
    """
    ws = state.workspace()
    pairs = duplicates_queue.list_pairs(ws, statuses, limit=limit)
    counts = duplicates_queue.pair_counts(ws)
    click.echo(", ".join(f"{k} {v:,}" for k, v in counts.items()))
    for p in pairs:
        ta = (p.a_title or "(no title)")[:50]
        tb = (p.b_title or "(no title)")[:50]
        click.echo(f"{p.id:>7}  {p.status:<10} {p.score:.3f}  {p.a_id} {ta!r}  ~  {p.b_id} {tb!r}")


@duplicates.command("show")
@click.argument("pair_id", type=int)
@pass_state
def show(state: CliState, pair_id: int) -> None:
    """Show a pair side by side: fields, similarities, score and reason.

    \b
    Example:
      realist duplicates show 42
    """
    _show_pair(duplicates_queue.pair_detail(state.workspace(), pair_id))


def _changed(change: PairChange) -> None:
    click.echo(f"pair {change.pair_id}: {change.before} -> {change.after}")
    if change.demoted:
        click.echo(
            "  sent back to the queue so the records stay apart: pair(s) "
            + ", ".join(map(str, change.demoted))
        )
    click.echo(f"  the review has {change.duplicates:,} duplicate record(s)")


@duplicates.command("confirm")
@click.argument("pair_id", type=int)
@pass_state
def confirm(state: CliState, pair_id: int) -> None:
    """Confirm that a pair is one publication: the records merge.

    \b
    Example:
      realist --reviewer LLJ duplicates confirm 42
    """
    _changed(duplicates_queue.confirm_pair(state.workspace(), pair_id))


@duplicates.command("reject")
@click.argument("pair_id", type=int)
@pass_state
def reject(state: CliState, pair_id: int) -> None:
    """Reject a pair: the records are different publications and never merge.

    \b
    Example:
      realist --reviewer LLJ duplicates reject 42
    """
    _changed(duplicates_queue.reject_pair(state.workspace(), pair_id))


@duplicates.command("undo")
@click.argument("pair_id", type=int)
@pass_state
def undo(state: CliState, pair_id: int) -> None:
    """Undo a merge (automatic or confirmed) or a rejection (back to the queue).

    \b
    Example:
      realist --reviewer LLJ duplicates undo 42
    """
    _changed(duplicates_queue.undo_pair(state.workspace(), pair_id))
