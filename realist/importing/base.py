"""What every format parser shares: the parsing context and tag-record helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from realist.importing.model import ParsedRecord, RecordProblem

Item = ParsedRecord | RecordProblem
"""What a format parser yields, in file order: a record, or why record N is invalid."""

ParserFn = Callable[["Context"], Iterator[Item]]


def words(text: str) -> frozenset[str]:
    """frozenset of the whitespace-separated words of a text (compact tag tables)."""
    return frozenset(text.split())


@dataclass
class Context:
    """State handed to a format parser for one file."""

    path: Path
    dialect: str | None = None
    warnings: list[str] = field(default_factory=list)
    total: int = 0
    """Size of the work in progress units (characters for text, rows for XLSX)."""
    progress: Callable[[int, int], None] | None = None
    position: Callable[[], int] = lambda: 0
    """How far the reader has got, in the units of `total` (set by the reader)."""
    _next_report: int = 0

    def watch(self, stream: object) -> None:
        """Take progress from a text stream: its byte position (or character position)."""
        buffer = getattr(stream, "buffer", None)
        tell = getattr(buffer, "tell", None) or getattr(stream, "tell", None)
        if callable(tell):
            self.position = tell

    def tick(self, done: int | None = None) -> None:
        """Report progress (from `position()` when done is None), about 200 times per file."""
        if self.progress is None:
            return
        if done is None:
            done = self.position()
        if done < self._next_report:
            return
        total = max(self.total, done)
        self._next_report = done + max(1, total // 200)
        self.progress(min(done, total), total)

    def warn(self, message: str) -> None:
        """Record a warning once (the same text is not repeated)."""
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass
class TagRecord:
    """A record of a tagged format (RIS, MEDLINE, WoS): tag -> values in file order.

    Tokenizers store only non-empty, stripped values, so the accessors need no filtering.
    """

    position: int
    line: int
    fields: dict[str, list[str]]
    used: set[str] = field(default_factory=set)

    def values(self, *tags: str) -> list[str]:
        """Every value of the given tags, in tag order; marks the tags as used."""
        out: list[str] = []
        for tag in tags:
            vals = self.fields.get(tag)
            if vals:
                self.used.add(tag)
                out += vals
        return out

    def first(self, *tags: str) -> str | None:
        """The first value among the tags (in the order given); marks that tag used."""
        for tag in tags:
            vals = self.fields.get(tag)
            if vals:
                self.used.add(tag)
                return vals[0]
        return None

    def peek(self, *tags: str) -> str | None:
        """Like first() but without marking the tag as used."""
        for tag in tags:
            vals = self.fields.get(tag)
            if vals:
                return vals[0]
        return None

    def extra(self) -> dict[str, str]:
        """The tags no field took (repeated values joined by newlines), for provenance."""
        used = self.used
        return {
            tag: vals[0] if len(vals) == 1 else "\n".join(vals)
            for tag, vals in self.fields.items()
            if vals and tag not in used
        }
