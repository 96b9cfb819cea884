"""Coding and theory-building commands: the code tree, excerpts, CMOCs (with their evidence chain
and history) and the second-coder comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from realist.cli import cli
from realist.cli.common import CliState
from realist.domain import CmocStatus, CodeOrigin, Direction, LinkKind, values
from realist.errors import InvalidInputError
from realist.services import cmoc_edit, codes, excerpts, traceability
from realist.services.coder_agreement import CodeAgreement, compare_coders
from realist.services.context import Workspace
from realist.services.excerpts import RATINGS, ExcerptView
from realist.services.theory import get_cmoc

pass_state = click.make_pass_decorator(CliState)


def _one_line(text: str, width: int | None = 100) -> str:
    flat = " ".join(text.split())
    if width is not None and len(flat) > width:
        return flat[: width - 1].rstrip() + "…"
    return flat


def _code_id(ws: Workspace, ref: str) -> int:
    return codes.get_code(ws, ref).id


# --------------------------------------------------------------------------------------------
# realist codes


@cli.group("codes")
def codes_group() -> None:
    """The code tree: list, add, rename, move, merge, delete, load from YAML."""


@codes_group.command("list")
@click.option("--ids", is_flag=True, help="Show each code's #id.")
@pass_state
def codes_list(state: CliState, ids: bool) -> None:
    """List the code tree with excerpt counts (own / including the codes below).

    D marks deductive codes (from the initial programme theory), I inductive ones.

    \b
    Example:
      realist codes list --ids
    """
    tree = codes.list_codes(state.workspace())
    if not tree:
        click.echo("no codes yet; add one with `realist codes add NAME` or load a tree from YAML")
        return
    for c in tree:
        mark = "D" if c.origin == CodeOrigin.DEDUCTIVE else "I"
        count = f"{c.excerpts}" if c.total == c.excerpts else f"{c.excerpts}/{c.total}"
        ident = f"  #{c.id}" if ids else ""
        click.echo(f"{'  ' * c.depth}{c.name}  [{mark}] ({count}){ident}")


@codes_group.command("add")
@click.argument("name")
@click.option("--parent", metavar="CODE", help="Put the code under this code (path, name or #id).")
@click.option(
    "--origin",
    type=click.Choice(values(CodeOrigin)),
    default=CodeOrigin.INDUCTIVE.value,
    show_default=True,
)
@click.option("--description", help="What the code captures.")
@pass_state
def codes_add(
    state: CliState, name: str, parent: str | None, origin: str, description: str | None
) -> None:
    """Add a code at the top level or under --parent.

    \b
    Examples:
      realist --reviewer LLJ codes add Resources --origin deductive
      realist --reviewer LLJ codes add "Protected time" --parent Resources
    """
    ws = state.workspace()
    parent_id = _code_id(ws, parent) if parent else None
    info = codes.add_code(ws, name, parent_id=parent_id, origin=origin, description=description)
    click.echo(f"added code {info.path} ({info.origin}) #{info.id}")


@codes_group.command("edit")
@click.argument("code")
@click.option("--name", help="New name.")
@click.option("--description", help="New description ('' clears it).")
@click.option("--origin", type=click.Choice(values(CodeOrigin)))
@pass_state
def codes_edit(
    state: CliState, code: str, name: str | None, description: str | None, origin: str | None
) -> None:
    """Rename a code or change its description or origin.

    \b
    Example:
      realist --reviewer LLJ codes edit "Resources > Time" --description "Protected time for QI"
    """
    ws = state.workspace()
    current = codes.get_code(ws, code)
    kwargs: dict[str, Any] = {"name": name, "origin": origin}
    if description is not None:
        kwargs["description"] = description
    info = codes.edit_code(ws, current.id, expected_version=current.version, **kwargs)
    click.echo(f"code #{info.id} is now {info.path} ({info.origin})")


@codes_group.command("rename")
@click.argument("code")
@click.argument("new_name")
@pass_state
def codes_rename(state: CliState, code: str, new_name: str) -> None:
    """Rename CODE to NEW_NAME.

    \b
    Example:
      realist --reviewer LLJ codes rename Time "Protected time"
    """
    ws = state.workspace()
    current = codes.get_code(ws, code)
    info = codes.rename_code(ws, current.id, new_name, expected_version=current.version)
    click.echo(f"renamed {current.path} to {info.path}")


@codes_group.command("move")
@click.argument("code")
@click.option("--to", "parent", metavar="PARENT", help="The new parent code.")
@click.option("--top", is_flag=True, help="Move the code to the top level.")
@pass_state
def codes_move(state: CliState, code: str, parent: str | None, top: bool) -> None:
    """Move CODE (and the codes below it) under --to PARENT, or to the --top level.

    \b
    Examples:
      realist --reviewer LLJ codes move Training --to Resources
      realist --reviewer LLJ codes move "Resources > Training" --top
    """
    if (parent is None) == (not top):
        raise click.UsageError("give either --to PARENT or --top")
    ws = state.workspace()
    current = codes.get_code(ws, code)
    parent_id = _code_id(ws, parent) if parent else None
    info = codes.move_code(ws, current.id, parent_id, expected_version=current.version)
    click.echo(f"moved {current.path} to {info.path}")


@codes_group.command("merge")
@click.argument("source")
@click.argument("target")
@pass_state
def codes_merge(state: CliState, source: str, target: str) -> None:
    """Merge SOURCE into TARGET: its excerpts and child codes move to TARGET, then it is deleted.

    \b
    Example:
      realist --reviewer LLJ codes merge "Staff time" "Resources > Time"
    """
    ws = state.workspace()
    a, b = codes.get_code(ws, source), codes.get_code(ws, target)
    result = codes.merge_codes(ws, a.id, b.id, expected_versions=(a.version, b.version))
    click.echo(
        f"merged {result.source_path} into {result.target.path}: {result.excerpts_moved} "
        f"coding(s) and {result.children_moved} child code(s) moved"
    )


@codes_group.command("delete")
@click.argument("code")
@click.option(
    "--recode-to", metavar="CODE", help="Move the code's excerpts to this code before deleting."
)
@pass_state
def codes_delete(state: CliState, code: str, recode_to: str | None) -> None:
    """Delete CODE. Refused while excerpts use it unless --recode-to moves them; child codes are
    lifted to the deleted code's parent.

    \b
    Examples:
      realist --reviewer LLJ codes delete "Old idea"
      realist --reviewer LLJ codes delete Time --recode-to "Resources > Protected time"
    """
    ws = state.workspace()
    current = codes.get_code(ws, code)
    target = _code_id(ws, recode_to) if recode_to else None
    result = codes.delete_code(ws, current.id, recode_to=target, expected_version=current.version)
    extra = []
    if result.recoded:
        extra.append(f"{result.recoded} coding(s) moved")
    if result.children_lifted:
        extra.append(f"{result.children_lifted} child code(s) lifted")
    click.echo(f"deleted {result.path}" + (f" ({', '.join(extra)})" if extra else ""))


@codes_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def codes_load(state: CliState, file: Path) -> None:
    """Load a code tree (e.g. the initial programme theory) from a `kind: coding` YAML file.

    Codes are matched by path and updated; codes not in the file are kept. Top-level codes
    without an origin are deductive; children inherit their parent's origin. See
    docs/yaml-schema.md.

    \b
    Example:
      realist --reviewer LLJ codes load initial-theory.yaml
    """
    from realist.yamlio.loader import load_paths, read_documents

    kinds = {kind for kind, _doc, _body in read_documents([file])}
    if kinds != {"coding"}:
        raise InvalidInputError(
            f"{file}: kind {', '.join(sorted(kinds))}, not coding; use `realist load` for it"
        )
    ws = state.workspace()
    summary = load_paths(ws.store, [file], review_id=ws.review_id, ws=ws)
    counts = summary.files[0].counts
    click.echo(
        f"loaded {file}: {counts['codes']} codes, {counts['excerpts']} excerpts, "
        f"{counts['evidence']} evidence links"
    )


# --------------------------------------------------------------------------------------------
# realist excerpts


@cli.group("excerpts")
def excerpts_group() -> None:
    """Excerpts: coded spans of full texts, with memos and relevance/rigour judgements."""


def _excerpt_line(e: ExcerptView, full: bool) -> str:
    page = f"p. {e.page}" if e.page else "p. ?"
    flags = ""
    if e.evidence:
        flags += "  → " + ", ".join(f"{v.cmoc}:{v.role}" for v in e.evidence)
    if e.drift:
        flags += "  [DRIFT]"
    judgements = " ".join(
        f"{k} {v}" for k, v in (("relevance", e.relevance), ("rigour", e.rigour)) if v
    )
    lines = [
        f"#{e.id:<4} {e.document_ref:>4} {page:<6} {e.start}-{e.end}  {e.coder or '-'}  "
        f"[{'; '.join(c.path for c in e.codes)}]{flags}",
        f'      "{_one_line(e.text, None if full else 100)}"',
    ]
    if judgements:
        lines.append(f"      {judgements}")
    if e.memo:
        lines.append(f"      memo: {_one_line(e.memo, None if full else 100)}")
    return "\n".join(lines)


@excerpts_group.command("list")
@click.option("--code", metavar="CODE", help="Excerpts coded at CODE or any code below it.")
@click.option("--no-children", is_flag=True, help="With --code: only the code itself.")
@click.option("--document", metavar="REF", help="Excerpts of one document.")
@click.option("--coder", metavar="NAME", help="Excerpts one reviewer coded.")
@click.option("--full", is_flag=True, help="Print whole excerpts and memos.")
@pass_state
def excerpts_list(
    state: CliState,
    code: str | None,
    no_children: bool,
    document: str | None,
    coder: str | None,
    full: bool,
) -> None:
    """List excerpts by code (across documents) or by document.

    \b
    Examples:
      realist excerpts list --code Resources          # Resources and the codes below it
      realist excerpts list --document 24 --coder JF
    """
    ws = state.workspace()
    code_id = _code_id(ws, code) if code else None
    rows = excerpts.list_excerpts(
        ws, code_id=code_id, include_children=not no_children, document=document, coder=coder
    )
    if not rows:
        click.echo("no excerpts")
        return
    for e in rows:
        click.echo(_excerpt_line(e, full))
    docs = len({e.document_ref for e in rows})
    click.echo(f"{len(rows)} excerpt(s) in {docs} document(s)")


@excerpts_group.command("add")
@click.argument("document")
@click.option("--find", "phrase", help="Code the first occurrence of this text.")
@click.option("--start", type=int, help="Start offset (with --end), instead of --find.")
@click.option("--end", type=int, help="End offset (exclusive).")
@click.option("--code", "code_refs", multiple=True, required=True, help="A code (repeatable).")
@click.option("--memo")
@click.option("--relevance", type=click.Choice(RATINGS))
@click.option("--relevance-note", help="Why this relevance rating.")
@click.option("--rigour", type=click.Choice(RATINGS))
@click.option("--rigour-note", help="Why this rigour rating.")
@pass_state
def excerpts_add(
    state: CliState,
    document: str,
    phrase: str | None,
    start: int | None,
    end: int | None,
    code_refs: tuple[str, ...],
    memo: str | None,
    relevance: str | None,
    relevance_note: str | None,
    rigour: str | None,
    rigour_note: str | None,
) -> None:
    """Code a span of DOCUMENT's full text (given by --find TEXT or --start/--end offsets).

    \b
    Examples:
      realist --reviewer LLJ excerpts add 24 --find "lacked protected time" --code Time
      realist --reviewer JF excerpts add 24 --start 120 --end 240 --code Time --code Training \\
          --relevance high --relevance-note "speaks to CMOC 5"
    """
    ws = state.workspace()
    if phrase is not None:
        if start is not None or end is not None:
            raise click.UsageError("give --find or --start/--end, not both")
        start, end = excerpts.locate_phrase(ws, document, phrase)
    if start is None or end is None:
        raise click.UsageError("give --find TEXT or both --start and --end")
    ids = [_code_id(ws, c) for c in code_refs]
    e = excerpts.create_excerpt(
        ws,
        document,
        start,
        end,
        ids,
        memo=memo,
        relevance=relevance,
        relevance_note=relevance_note,
        rigour=rigour,
        rigour_note=rigour_note,
    )
    click.echo(f"excerpt #{e.id}: document {e.document_ref} p. {e.page}, {e.start}-{e.end}")
    click.echo(f"  codes: {'; '.join(c.path for c in e.codes)}")


@excerpts_group.command("edit")
@click.argument("excerpt_id", type=int)
@click.option("--memo")
@click.option("--relevance", type=click.Choice([*RATINGS, "none"]))
@click.option("--relevance-note")
@click.option("--rigour", type=click.Choice([*RATINGS, "none"]))
@click.option("--rigour-note")
@pass_state
def excerpts_edit(
    state: CliState,
    excerpt_id: int,
    memo: str | None,
    relevance: str | None,
    relevance_note: str | None,
    rigour: str | None,
    rigour_note: str | None,
) -> None:
    """Change an excerpt's memo or its relevance and rigour judgements ('none' clears a rating).

    \b
    Example:
      realist --reviewer LLJ excerpts edit 12 --rigour moderate --rigour-note "single site"
    """
    kwargs: dict[str, Any] = {}
    for key, value in (
        ("memo", memo),
        ("relevance", relevance),
        ("relevance_note", relevance_note),
        ("rigour", rigour),
        ("rigour_note", rigour_note),
    ):
        if value is not None:
            kwargs[key] = None if value == "none" else value
    if not kwargs:
        raise click.UsageError("nothing to change; see -h")
    ws = state.workspace()
    current = excerpts.get_excerpt(ws, excerpt_id)
    e = excerpts.edit_excerpt(ws, excerpt_id, expected_version=current.version, **kwargs)
    click.echo(_excerpt_line(e, full=True))


@excerpts_group.command("code")
@click.argument("excerpt_id", type=int)
@click.option("--add", "add", multiple=True, metavar="CODE", help="Add this code (repeatable).")
@click.option("--remove", "remove", multiple=True, metavar="CODE", help="Take this code off.")
@pass_state
def excerpts_code(
    state: CliState, excerpt_id: int, add: tuple[str, ...], remove: tuple[str, ...]
) -> None:
    """Add codes to an excerpt or take them off (it keeps at least one).

    \b
    Example:
      realist --reviewer LLJ excerpts code 12 --add Training --remove Time
    """
    ws = state.workspace()
    e = excerpts.set_excerpt_codes(
        ws, excerpt_id, add=[_code_id(ws, c) for c in add], remove=[_code_id(ws, c) for c in remove]
    )
    click.echo(f"excerpt #{e.id}: {'; '.join(c.path for c in e.codes)}")


@excerpts_group.command("delete")
@click.argument("excerpt_id", type=int)
@pass_state
def excerpts_delete(state: CliState, excerpt_id: int) -> None:
    """Delete an excerpt (refused while a CMOC cites it as evidence).

    \b
    Example:
      realist --reviewer LLJ excerpts delete 12
    """
    excerpts.delete_excerpt(state.workspace(), excerpt_id)
    click.echo(f"deleted excerpt #{excerpt_id}")


@excerpts_group.command("drift")
@click.option("--document", metavar="REF", help="Only this document.")
@click.option("--fix", is_flag=True, help="Move drifted excerpts to where their text now stands.")
@pass_state
def excerpts_drift(state: CliState, document: str | None, fix: bool) -> None:
    """Report excerpts whose offsets no longer match the current full text (a new text was
    attached); with --fix, re-anchor them where their text now stands.

    \b
    Examples:
      realist excerpts drift
      realist --reviewer LLJ excerpts drift --document 24 --fix
    """
    ws = state.workspace()
    if fix:
        result = excerpts.reanchor(ws, document)
        click.echo(
            f"re-anchored: {result.moved} moved, {result.relinked} relinked to the new text, "
            f"{len(result.lost)} not found"
        )
        items = result.lost
    else:
        items = excerpts.check_drift(ws, document)
        if not items:
            click.echo("every excerpt matches its document's current full text")
            return
    for d in items:
        where = (
            f"found at {d.new_start}-{d.new_end}"
            + (f" ({d.matches} matches)" if d.matches > 1 else "")
            if d.new_start is not None
            else "text not found in the current full text"
        )
        click.echo(
            f"#{d.excerpt_id} document {d.document_ref} {d.start}-{d.end}: {d.reason}; {where}"
        )
        click.echo(f'      "{_one_line(d.text)}"')


# --------------------------------------------------------------------------------------------
# realist cmoc


@cli.group("cmoc")
def cmoc_group() -> None:
    """CMOCs: show with their evidence chain and history, add, edit, link evidence and CMOCs."""


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return "–"
    return repr(value) if isinstance(value, str) else str(value)


def print_trace(trace: traceability.CmocTrace, *, full: bool) -> None:
    c = trace.cmoc
    direction = Direction(c.direction).label if c.direction else "direction not stated"
    where = f"cluster {c.cluster_number} {c.cluster_name}" if c.cluster_number else "no cluster"
    click.echo(
        f"CMOC {c.label}  ({where})  {direction} · status {c.status or '–'} · version {c.version}"
    )
    click.echo(f"  {c.statement}")
    click.echo(f"  C  {c.context}")
    click.echo(f"  M  {c.mechanism}")
    click.echo(f"  O  {c.outcome}")
    if c.plain_summary:
        click.echo(f"  In plain words: {c.plain_summary}")
    links = [f"→ {k.other} ({k.kind})" for k in c.links_out]
    links += [f"← {k.other} ({k.kind})" for k in c.links_in]
    if links:
        click.echo(f"  Links: {'  '.join(links)}")
    n_ex = len(trace.excerpts)
    click.echo("")
    click.echo(f"Evidence chain: {len(trace.documents)} document(s), {n_ex} excerpt(s)")
    for d in trace.documents:
        how = ["cited"] if d.cited else []
        if d.roles:
            how.append(f"excerpts for {d.roles}")
        click.echo(f"  {d.study.ref:>4}  {d.study.short}  [{'; '.join(how)}]")
        if d.tag_labels:
            click.echo(f"        tags: {'; '.join(d.tag_labels)}")
        if d.record_tags:
            click.echo(f"        record tags (screening): {'; '.join(d.record_tags)}")
        for ev in d.evidence:
            e = ev.excerpt
            page = f"p. {e.page}" if e.page else "p. ?"
            click.echo(
                f'        {ev.role}  {page:<6} #{e.id}  "{_one_line(e.text, None if full else 90)}"'
            )
            click.echo(
                f"              codes: {'; '.join(x.path for x in e.codes)}; coder {e.coder or '–'}"
            )
    for title, tags in (("PROGRESS-Plus", trace.progress_plus), ("Gap/targeted", trace.focus)):
        shown = ", ".join(f"{t.label} ({t.documents})" for t in tags) or "none"
        click.echo(f"  {title} across these documents: {shown}")
    other = trace.tags_in("custom")
    if other:
        click.echo(f"  Other tags: {', '.join(f'{t.label} ({t.documents})' for t in other)}")


def print_history(history: list[cmoc_edit.RevisionView], *, full: bool) -> None:
    click.echo(f"History: {len(history)} revision(s)")
    for r in history:
        click.echo(
            f"  {r.at:%Y-%m-%d %H:%M} {r.reviewer or 'system'}: {r.rationale or '(no rationale given)'}"
        )
        for name, (old, new) in r.changes.items():
            width = None if full else 70
            old_s = _one_line(_fmt(old), width)
            new_s = _one_line(_fmt(new), width)
            click.echo(f"      {name}: {old_s} → {new_s}")


@cmoc_group.command("show")
@click.argument("cmoc_id")
@click.option("--full", is_flag=True, help="Whole excerpts and history values.")
@click.option("--no-history", is_flag=True, help="Leave the revision history out.")
@pass_state
def cmoc_show(state: CliState, cmoc_id: str, full: bool, no_history: bool) -> None:
    """Show a CMOC with its evidence chain (documents, excerpts with pages, their PROGRESS-Plus
    and gap/targeted tags) and its revision history.

    \b
    Example:
      realist cmoc show 1A
    """
    ws = state.workspace()
    print_trace(traceability.cmoc_trace(ws, cmoc_id), full=full)
    if not no_history:
        click.echo("")
        print_history(cmoc_edit.cmoc_history(ws, cmoc_id), full=full)


@cmoc_group.command("history")
@click.argument("cmoc_id")
@click.option("--full", is_flag=True, help="Whole values.")
@pass_state
def cmoc_history_cmd(state: CliState, cmoc_id: str, full: bool) -> None:
    """Show how a CMOC was refined: who changed what, when and why.

    \b
    Example:
      realist cmoc history 5
    """
    print_history(cmoc_edit.cmoc_history(state.workspace(), cmoc_id), full=full)


_FIELD_OPTIONS = [
    click.option("--cluster", type=int, help="Cluster number."),
    click.option("--context"),
    click.option("--mechanism"),
    click.option("--outcome"),
    click.option("--statement", help="The full statement (generated from C, M, O when empty)."),
    click.option("--plain-summary", help="Plain-language summary for public panels."),
    click.option("--direction", type=click.Choice([*values(Direction), "none"])),
    click.option("--status", type=click.Choice([*values(CmocStatus), "none"])),
    click.option("--notes"),
]


def _field_options(fn: Any) -> Any:
    for option in reversed(_FIELD_OPTIONS):
        fn = option(fn)
    return fn


def _fields(**given: Any) -> dict[str, Any]:
    out = {}
    for key, value in given.items():
        if value is not None:
            out[key] = None if value == "none" else value
    return out


@cmoc_group.command("add")
@click.argument("cmoc_id")
@_field_options
@click.option("--why", "rationale", help="Why the CMOC is added (kept in its history).")
@pass_state
def cmoc_add(state: CliState, cmoc_id: str, rationale: str | None, **given: Any) -> None:
    """Create a CMOC; an empty statement is written as "When C then O because M".

    \b
    Example:
      realist --reviewer LLJ cmoc add 5B --cluster 2 --context "clinics are busy" \\
          --mechanism "staff feel equity work is extra" --outcome "equity goals are dropped" \\
          --direction may_worsen --why "inductive code 'Time' across 3 studies"
    """
    view = cmoc_edit.create_cmoc(
        state.workspace(), cmoc_id, rationale=rationale, **_fields(**given)
    )
    click.echo(f"created CMOC {view.label}: {view.statement}")


@cmoc_group.command("edit")
@click.argument("cmoc_id")
@click.option("--id", "new_id", help="Give the CMOC a new id.")
@_field_options
@click.option("--regenerate-statement", is_flag=True, help="Rewrite the statement from C, M, O.")
@click.option("--why", "rationale", required=True, help="Why it changes (kept in its history).")
@pass_state
def cmoc_edit_cmd(
    state: CliState,
    cmoc_id: str,
    new_id: str | None,
    regenerate_statement: bool,
    rationale: str,
    **given: Any,
) -> None:
    """Change fields of a CMOC; the change and its rationale become a revision.

    \b
    Examples:
      realist --reviewer LLJ cmoc edit 5 --status refined --why "JF's interviews add staff turnover"
      realist --reviewer LLJ cmoc edit 5 --context "..." --regenerate-statement --why "..."
    """
    ws = state.workspace()
    changes = _fields(**given)
    if new_id:
        changes["id"] = new_id
    current = get_cmoc(ws, cmoc_id)
    if regenerate_statement:
        if "statement" in changes:
            raise click.UsageError("give --statement or --regenerate-statement, not both")
        changes["statement"] = cmoc_edit.generate_statement(
            changes.get("context", current.context),
            changes.get("mechanism", current.mechanism),
            changes.get("outcome", current.outcome),
        )
    if not changes:
        raise click.UsageError("nothing to change; see -h")
    view = cmoc_edit.edit_cmoc(
        ws, cmoc_id, changes, rationale=rationale, expected_version=current.version
    )
    click.echo(f"CMOC {view.label} revised ({', '.join(sorted(changes))}); version {view.version}")


@cmoc_group.command("link-evidence")
@click.argument("cmoc_id")
@click.argument("excerpt_id", type=int)
@click.option("--role", type=click.Choice(["C", "M", "O"], case_sensitive=False), required=True)
@click.option("--note", help="How the excerpt supports this part of the CMOC.")
@pass_state
def cmoc_link_evidence(
    state: CliState, cmoc_id: str, excerpt_id: int, role: str, note: str | None
) -> None:
    """Link excerpt EXCERPT_ID to a CMOC as evidence for its context, mechanism or outcome.

    \b
    Example:
      realist --reviewer LLJ cmoc link-evidence 5 12 --role C --note "time pressure as context"
    """
    view = cmoc_edit.link_evidence(state.workspace(), cmoc_id, excerpt_id, role, note=note)
    click.echo(f"excerpt #{excerpt_id} linked to CMOC {view.label} as {role.upper()}")


@cmoc_group.command("unlink-evidence")
@click.argument("cmoc_id")
@click.argument("excerpt_id", type=int)
@click.option("--role", type=click.Choice(["C", "M", "O"], case_sensitive=False), required=True)
@click.option("--why", "rationale", help="Why the link goes.")
@pass_state
def cmoc_unlink_evidence(
    state: CliState, cmoc_id: str, excerpt_id: int, role: str, rationale: str | None
) -> None:
    """Take an excerpt off a CMOC's evidence.

    \b
    Example:
      realist --reviewer LLJ cmoc unlink-evidence 5 12 --role C --why "speaks to outcome only"
    """
    cmoc_edit.unlink_evidence(state.workspace(), cmoc_id, excerpt_id, role, rationale=rationale)
    click.echo(f"excerpt #{excerpt_id} is no longer {role.upper()} evidence for CMOC {cmoc_id}")


@cmoc_group.command("link")
@click.argument("from_id")
@click.argument("to_id")
@click.option("--kind", type=click.Choice(values(LinkKind)), default="leads_to", show_default=True)
@click.option("--note")
@pass_state
def cmoc_link(state: CliState, from_id: str, to_id: str, kind: str, note: str | None) -> None:
    """Link CMOC FROM_ID to TO_ID (leads_to: its outcome is the next one's context).

    \b
    Example:
      realist --reviewer LLJ cmoc link 9 10 --kind leads_to
    """
    cmoc_edit.link_cmocs(state.workspace(), from_id, to_id, kind, note=note)
    click.echo(f"CMOC {from_id} {kind} {to_id}")


@cmoc_group.command("unlink")
@click.argument("from_id")
@click.argument("to_id")
@click.option("--kind", type=click.Choice(values(LinkKind)), default="leads_to", show_default=True)
@click.option("--why", "rationale")
@pass_state
def cmoc_unlink(
    state: CliState, from_id: str, to_id: str, kind: str, rationale: str | None
) -> None:
    """Remove a link between two CMOCs.

    \b
    Example:
      realist --reviewer LLJ cmoc unlink 9 10 --why "not supported by the data"
    """
    cmoc_edit.unlink_cmocs(state.workspace(), from_id, to_id, kind, rationale=rationale)
    click.echo(f"removed link {from_id} {kind} {to_id}")


@cmoc_group.command("cite")
@click.argument("cmoc_id")
@click.argument("document")
@click.option("--note")
@pass_state
def cmoc_cite(state: CliState, cmoc_id: str, document: str, note: str | None) -> None:
    """Add DOCUMENT (a ref) to the studies a CMOC cites.

    \b
    Example:
      realist --reviewer LLJ cmoc cite 5 24
    """
    cmoc_edit.cite_document(state.workspace(), cmoc_id, document, note=note)
    click.echo(f"CMOC {cmoc_id} now cites document {document}")


@cmoc_group.command("cluster-add")
@click.argument("name")
@click.option("--number", type=int, help="The cluster's number (default: after the last).")
@click.option("--description")
@pass_state
def cmoc_cluster_add(
    state: CliState, name: str, number: int | None, description: str | None
) -> None:
    """Add a cluster of CMOCs.

    \b
    Example:
      realist --reviewer LLJ cmoc cluster-add "Leadership" --description "..."
    """
    info = cmoc_edit.add_cluster(state.workspace(), name, number=number, description=description)
    click.echo(f"added cluster {info.number}: {info.name}")


@cmoc_group.command("for-document")
@click.argument("document")
@pass_state
def cmoc_for_document(state: CliState, document: str) -> None:
    """List the CMOCs a document supports (cited, or through its excerpts), with its tags.

    \b
    Example:
      realist cmoc for-document 24
    """
    trace = traceability.document_trace(state.workspace(), document)
    click.echo(f"{trace.study.ref}  {trace.study.short}")
    if trace.tag_labels:
        click.echo(f"  tags: {'; '.join(trace.tag_labels)}")
    if not trace.cmocs:
        click.echo("  supports no CMOC yet")
    for c in trace.cmocs:
        how = ["cited"] if c.cited else []
        if c.roles:
            how.append(f"{c.excerpts} excerpt(s) for {' '.join(c.roles)}")
        click.echo(f"  {c.label:<4} [{'; '.join(how)}]  {_one_line(c.statement, 90)}")


# --------------------------------------------------------------------------------------------
# realist coders


@cli.group("coders")
def coders_group() -> None:
    """Second-coder checks on coding."""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _row(r: CodeAgreement, width: int) -> str:
    return (
        f"  {_one_line(r.code, width):<{width}} {r.both:>7} {r.a_only:>7} {r.b_only:>7} "
        f"{_pct(r.percent_agreement):>9} {_num(r.kappa):>6} {_num(r.jaccard):>7}"
    )


@coders_group.command("compare")
@click.option("--coder", "coders", multiple=True, required=True, metavar="NAME", help="Twice.")
@click.option(
    "--document", metavar="REF", help="One document (default: every document both coded)."
)
@click.option("--aggregate", is_flag=True, help="A code also covers what is coded below it.")
@pass_state
def coders_compare(
    state: CliState, coders: tuple[str, ...], document: str | None, aggregate: bool
) -> None:
    """Per-code agreement of two coders, character by character (as NVivo's coding comparison):
    characters both coded, only A, only B; percentage agreement, Cohen's kappa and Jaccard overlap.

    \b
    Example:
      realist coders compare --coder LLJ --coder JF --document 24
    """
    if len(coders) != 2:
        raise click.UsageError("give --coder exactly twice")
    result = compare_coders(
        state.workspace(), coders[0], coders[1], document=document, aggregate=aggregate
    )
    where = ", ".join(result.documents) or "no document"
    click.echo(
        f"Coding comparison: {result.coder_a} (A) and {result.coder_b} (B); documents {where}"
    )
    width = max([24, *(min(len(r.code), 40) for r in result.rows)])
    header = f"  {'code':<{width}} {'both':>7} {'A only':>7} {'B only':>7} {'agreement':>9} {'kappa':>6} {'Jaccard':>7}"
    for ref in result.documents:
        rows = [r for r in result.rows if r.document == ref]
        units = rows[0].units if rows else 0
        click.echo(f"Document {ref} ({units:,} characters)")
        click.echo(header)
        for r in rows:
            click.echo(_row(r, width))
    if len(result.documents) > 1:
        click.echo("Pooled over the documents")
        click.echo(header)
        for r in result.pooled:
            click.echo(_row(r, width))
    if result.overall is not None:
        click.echo(_row(result.overall, width))
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(
        "Units are characters of the full text; agreement = (both + neither) / characters, "
        "kappa = Cohen's kappa on the same table, Jaccard = both / (both + A only + B only)."
    )
