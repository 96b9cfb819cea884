"""The live PRISMA 2020 counts and the acting reviewer's screening progress, for the home screen.

Counting reads the whole review: for a large review it runs in a worker thread and the panel shows
the previous figures (or "counting…") meanwhile, never blocking the screen; a small review (fewer
than SYNC_LIMIT records, a few milliseconds) is counted at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from textual import work
from textual.widgets import Static

from realist.domain import Stage
from realist.services.context import Workspace
from realist.services.prisma_counts import PrismaReport, prisma_report
from realist.services.screening import Progress, record_count, reviewer_progress
from tui.widgets.errors import USER_ERRORS, user_message


@dataclass(frozen=True)
class PanelData:
    report: PrismaReport
    progress: tuple[Progress, ...]
    reviewer: str | None


def panel_data(ws: Workspace) -> PanelData:
    """Everything the panel shows (runs in a worker)."""
    progress: tuple[Progress, ...] = ()
    if ws.actor is not None:
        progress = tuple(reviewer_progress(ws, st) for st in Stage)
    return PanelData(prisma_report(ws), progress, ws.actor.name if ws.actor else None)


def panel_text(data: PanelData) -> str:
    """The panel as Rich markup."""
    c = data.report.counts
    sources = ", ".join(f"{escape(k)} {v:,}" for k, v in {**c.databases, **c.registers}.items())
    lines = [
        "[b]PRISMA 2020[/b] [dim](live)[/dim]",
        f"Identified {c.identified:,}" + (f"  ({sources})" if sources else ""),
    ]
    if c.other_methods is not None:
        lines.append(f"Other methods {c.other_methods.identified:,}")
    lines += [
        f"Duplicates removed {c.duplicates_removed:,} · screened {c.records_screened:,} · "
        f"excluded {c.records_excluded:,}",
        f"Reports sought {c.reports_sought:,} · not retrieved {c.reports_not_retrieved:,} · "
        f"assessed {c.reports_assessed:,} · excluded {c.reports_excluded:,}",
        f"[b]Studies included {c.studies_included:,}[/b]",
    ]
    problems = c.check()
    b = data.report.backlog
    waiting = b.awaiting_screening + b.awaiting_full_text
    conflicts = b.awaiting_resolution_title_abstract + b.awaiting_resolution_full_text
    if problems:
        lines.append(
            f"[dim]{len(problems)} arithmetic check(s) open: {waiting:,} waiting for a decision, "
            f"{conflicts:,} for resolution[/dim]"
        )
    if b.documents_outside_flow:
        lines.append(
            f"[dim]{b.documents_outside_flow:,} document(s) were added without a record and are "
            "not in the flow[/dim]"
        )
    if data.reviewer is not None:
        parts = [
            f"{Stage(p.stage).label} {p.screened:,}/{p.total:,} (remaining {p.remaining:,})"
            for p in data.progress
        ]
        lines.append(f"[b]{escape(data.reviewer)}[/b]: " + " · ".join(parts))
    return "\n".join(lines)


SYNC_LIMIT = 20_000


class PrismaPanel(Static):
    """Live PRISMA counts; call `reload()` to recount."""

    DEFAULT_CSS = """
    PrismaPanel { height: auto; }
    """

    def __init__(self, ws: Workspace, **options: Any) -> None:
        super().__init__("[b]PRISMA 2020[/b] [dim]counting…[/dim]", **options)
        self.ws = ws
        self._small: bool | None = None

    def reload(self) -> None:
        if self._small is None:
            self._small = record_count(self.ws) < SYNC_LIMIT
        if self._small:
            self.update(self._text())
        else:
            self._count()

    def _text(self) -> str:
        try:
            return panel_text(panel_data(self.ws))
        except USER_ERRORS as exc:
            return f"[b]PRISMA 2020[/b] [dim]not available: {escape(user_message(exc))}[/dim]"

    @work(thread=True, exclusive=True, group="prisma-panel")
    def _count(self) -> None:
        self.app.call_from_thread(self.update, self._text())
