"""One entry point for every export, shared by the CLI and the TUI's export screen.

``run_export(ws, ExportRequest(...))`` reads the review through the services, builds the
output and writes it atomically (a temporary file renamed into place, so a failed export
never leaves half a file behind). ``produce`` returns the bytes of single-file outputs, for
writing to standard output.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from exporters import prisma as prisma_diagram
from exporters import render, table_writers, tables, theory
from exporters import stopping as stopping_aid
from realist.errors import InvalidInputError, RealistError
from realist.prisma import PrismaCounts
from realist.services.context import Workspace

__all__ = [
    "EXPORTS",
    "ExportKind",
    "ExportRequest",
    "ExportResult",
    "build_prisma",
    "build_tables",
    "infer_format",
    "produce",
    "run_export",
]

Progress = Callable[[int, int], None]

TABLE_SET_FORMATS = ("xlsx", "docx", "html", "md", "tex")


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()  # what open() would give a new file (mkstemp makes 0600)


@dataclass(frozen=True)
class ExportKind:
    """What can be exported, its formats (the first is the default) and what it writes."""

    key: str
    name: str
    formats: tuple[str, ...]
    description: str
    directory: bool = False  # writes a folder rather than one file


EXPORTS: dict[str, ExportKind] = {
    k.key: k
    for k in (
        ExportKind(
            "theory",
            "Programme theory diagram",
            ("svg", "png", "pdf", "dot", "graphml", "gexf", "json"),
            "clusters, CMOCs, links and (optionally) the documents behind them",
        ),
        ExportKind(
            "ppi",
            "PPI panel pack",
            ("html+pdf", "html"),
            "a plain-words HTML page and printable PDF for a public panel",
            directory=True,
        ),
        ExportKind(
            "cmocs",
            "CMOC table",
            table_writers.TABLE_FORMATS,
            "CMOCs by cluster, as Table 3 of the reference review",
        ),
        ExportKind(
            "studies",
            "Document characteristics",
            table_writers.TABLE_FORMATS,
            "author, year, country, setting, design, PROGRESS-Plus, relevance, rigour",
        ),
        ExportKind(
            "appraisal",
            "Relevance and rigour appraisal",
            table_writers.TABLE_FORMATS,
            "per document and per coded excerpt",
        ),
        ExportKind(
            "evidence",
            "CMOC evidence table",
            table_writers.TABLE_FORMATS,
            "CMOC x documents x excerpts with pages",
        ),
        ExportKind(
            "rameses",
            "RAMESES checklist",
            table_writers.TABLE_FORMATS,
            "the 19 items: reported, pages, notes",
        ),
        ExportKind(
            "tables",
            "All tables",
            TABLE_SET_FORMATS,
            "every table in one workbook or document (one sheet per table)",
        ),
        ExportKind(
            "prisma",
            "PRISMA 2020 flow diagram",
            prisma_diagram.PRISMA_FORMATS,
            "the flow of records from the live counts (or as the review reports them)",
        ),
        ExportKind(
            "stopping",
            "Stopping aid",
            stopping_aid.STOPPING_FORMATS,
            "includes found against records screened, and an estimate of the includes left",
        ),
    )
}

_SUFFIX_FORMATS = {".htm": "html", ".markdown": "md", ".latex": "tex", ".gv": "dot"}


def infer_format(path: str | Path, what: str) -> str:
    """The format named by `path`'s suffix, if `what` can be exported in it."""
    kind = _kind(what)
    suffix = Path(str(path)).suffix.lower()
    fmt = _SUFFIX_FORMATS.get(suffix, suffix.lstrip("."))
    if fmt in kind.formats:
        return fmt
    raise InvalidInputError(
        f"cannot tell the format from {str(path)!r}: give --format ({', '.join(kind.formats)})"
    )


def _kind(what: str) -> ExportKind:
    if what not in EXPORTS:
        raise InvalidInputError(f"unknown export {what!r}; choose one of {', '.join(EXPORTS)}")
    return EXPORTS[what]


@dataclass(frozen=True)
class ExportRequest:
    """One export: what, in which format, where, and the options that apply to it."""

    what: str
    fmt: str
    path: Path
    view: theory.View = "overview"  # theory
    cluster: int | None = None  # theory
    evidence: bool = False  # theory
    full: bool = False  # cmocs: add parts, direction, status, documents
    source: str = "auto"  # prisma: auto | live | reported
    variant: prisma_diagram.Variant = "prisma"  # prisma: prisma | realist
    counts_json: Path | None = None  # prisma: counts from a JSON file instead
    stage: str = "title_abstract"  # stopping: the screening stage
    target_recall: float = 0.95  # stopping
    confidence: float = 0.95  # stopping


@dataclass(frozen=True)
class ExportResult:
    """What was written, and anything the user should know about it."""

    paths: tuple[Path, ...]
    note: str | None = None


# ------------------------------------------------------------------------------ builders


def build_tables(ws: Workspace, what: str, *, full: bool = False) -> list[tables.Table]:
    """The table(s) for `what` (cmocs, studies, appraisal, evidence, rameses or tables)."""
    from realist.services import export_data, rameses

    builders: dict[str, Callable[[], tables.Table]] = {
        "cmocs": lambda: tables.cmoc_table(export_data.cmoc_rows(ws), full=full),
        "studies": lambda: tables.documents_table(export_data.document_rows(ws)),
        "appraisal": lambda: tables.appraisal_table(export_data.appraisal_rows(ws)),
        "evidence": lambda: tables.evidence_table(export_data.evidence_rows(ws)),
        "rameses": lambda: tables.rameses_table(rameses.checklist(ws)),
    }
    if what == "tables":
        return [builders[k]() for k in tables.TABLE_KINDS]
    if what not in builders:
        raise InvalidInputError(f"{what!r} is not a table ({', '.join(builders)})")
    return [builders[what]()]


def _live_counts(ws: Workspace) -> PrismaCounts:
    """The live PRISMA counts from the screening service."""
    from realist.services.prisma_counts import prisma_counts

    return prisma_counts(ws)


def build_prisma(
    ws: Workspace,
    *,
    source: str = "auto",
    variant: prisma_diagram.Variant = "prisma",
    counts_json: Path | None = None,
) -> prisma_diagram.PrismaDiagram:
    """The flow diagram's content: live counts, the review's reported flow, or a JSON file.

    ``auto`` uses the live counts once records have been imported, and the flow the review
    reports (labelled as such) before that.
    """
    from realist.services.export_data import counts_from_reported_flow, review_info

    info = review_info(ws)
    if counts_json is not None:
        import json

        try:
            data = json.loads(counts_json.read_text(encoding="utf-8"))
            counts = PrismaCounts.from_dict(data.get("counts", data))
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            raise InvalidInputError(f"{counts_json}: not PRISMA counts JSON ({exc})") from None
        return prisma_diagram.PrismaDiagram(
            counts, info.title, f"Counts from {counts_json.name}", variant
        )
    if source not in ("auto", "live", "reported"):
        raise InvalidInputError(f"--source must be auto, live or reported, not {source!r}")
    live = _live_counts(ws) if source in ("auto", "live") else None
    if live is not None and (source == "live" or live.identified > 0):
        return prisma_diagram.PrismaDiagram(live, info.title, None, variant)
    reported = counts_from_reported_flow(info.reported_flow, info.databases)
    if reported is None:
        raise RealistError(
            "no records have been imported and the review reports no flow (reported_flow in "
            "review.yaml), so there is nothing to draw yet"
        )
    note = "Counts as reported in the publication"
    if source == "auto":
        note += " (the review database holds no imported records yet)"
    return prisma_diagram.PrismaDiagram(reported, info.title, note, variant)


def produce(ws: Workspace, req: ExportRequest) -> bytes:
    """The bytes of a single-file export."""
    kind = _kind(req.what)
    if kind.directory:
        raise InvalidInputError(f"the {kind.name} is a folder, not one file")
    if req.fmt not in kind.formats:
        raise InvalidInputError(
            f"{kind.name} cannot be written as {req.fmt!r}; choose {', '.join(kind.formats)}"
        )
    if req.what == "theory":
        from realist.services.export_data import review_info
        from realist.services.theory import programme_theory

        graph = theory.build_graph(
            programme_theory(ws),
            review_info(ws).title,
            cluster=req.cluster,
            evidence=req.evidence,
            parts=req.fmt in theory.GRAPH_FORMATS,
        )
        if req.fmt in theory.GRAPH_FORMATS:
            buf = io.BytesIO()
            if req.fmt == "json":
                return theory.graph_to_json(graph).encode("utf-8")
            theory.write_graph(graph, buf, req.fmt)
            return buf.getvalue()
        dot = theory.to_dot(graph, req.view)
        return dot.encode("utf-8") if req.fmt == "dot" else render.render(dot, req.fmt)
    if req.what == "prisma":
        diagram = build_prisma(
            ws, source=req.source, variant=req.variant, counts_json=req.counts_json
        )
        if req.fmt == "md":
            return prisma_diagram.to_markdown(diagram).encode("utf-8")
        if req.fmt == "json":
            return prisma_diagram.to_json(diagram).encode("utf-8")
        dot = prisma_diagram.to_dot(diagram)
        return dot.encode("utf-8") if req.fmt == "dot" else render.render(dot, req.fmt)
    from realist.services.export_data import review_info

    if req.what == "stopping":
        report = stopping_aid.build_report(
            ws, req.stage, target_recall=req.target_recall, confidence=req.confidence
        )
        return stopping_aid.render(report, review_info(ws).title, req.fmt)
    title = review_info(ws).title if req.what == "tables" else None
    return table_writers.table_bytes(build_tables(ws, req.what, full=req.full), req.fmt, title)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder."""
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise InvalidInputError(f"cannot write {path}: {folder} is a file, not a folder")
            break
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_export(ws: Workspace, req: ExportRequest, progress: Progress | None = None) -> ExportResult:
    """Build and write one export; returns the paths written."""
    step = progress or (lambda done, total: None)
    kind = _kind(req.what)
    if req.fmt not in kind.formats:
        raise InvalidInputError(
            f"{kind.name} cannot be written as {req.fmt!r}; choose {', '.join(kind.formats)}"
        )
    if kind.directory:
        from exporters.ppi import write_pack
        from realist.services.export_data import review_info
        from realist.services.theory import programme_theory

        if req.path.exists() and not req.path.is_dir():
            raise InvalidInputError(f"{req.path} is a file; the PPI pack needs a folder")
        pack = write_pack(
            programme_theory(ws),
            review_info(ws),
            req.path,
            pdf=req.fmt == "html+pdf",
            progress=step,
        )
        return ExportResult(tuple(p for p in (pack.html, pack.pdf) if p is not None))
    step(0, 2)
    data = produce(ws, req)
    step(1, 2)
    if req.path.is_dir():
        raise InvalidInputError(f"{req.path} is a folder; give a file name")
    write_atomic(req.path, data)
    step(2, 2)
    note = None
    if req.what == "prisma" and req.counts_json is None:
        diagram = build_prisma(ws, source=req.source, variant=req.variant)
        note = diagram.note
    return ExportResult((req.path,), note)
