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
    _next_report: int = 0

    def tick(self, done: int) -> None:
        """Report progress, at most about 200 times per file."""
        if self.progress is None or done < self._next_report:
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
    """A record of a tagged format (RIS, MEDLINE, WoS): tag -> values in file order."""

    position: int
    line: int
    fields: dict[str, list[str]]
    used: set[str] = field(default_factory=set)

    def values(self, *tags: str) -> list[str]:
        """Every non-empty value of the given tags, in tag order; marks the tags as used."""
        out: list[str] = []
        for tag in tags:
            vals = self.fields.get(tag)
            if vals:
                got = [v for v in vals if v.strip()]
                if got:
                    self.used.add(tag)
                    out.extend(got)
        return out

    def first(self, *tags: str) -> str | None:
        """The first non-empty value among the tags (in the order given); marks that tag used."""
        for tag in tags:
            vals = self.fields.get(tag)
            if vals:
                for v in vals:
                    if v.strip():
                        self.used.add(tag)
                        return v
        return None

    def peek(self, *tags: str) -> str | None:
        """Like first() but without marking the tag as used."""
        for tag in tags:
            for v in self.fields.get(tag, ()):
                if v.strip():
                    return v
        return None

    def extra(self, sep: str = "\n") -> dict[str, str]:
        """The tags no field took, joined per tag, for provenance."""
        out: dict[str, str] = {}
        for tag, vals in self.fields.items():
            if tag in self.used:
                continue
            got = [v.strip() for v in vals if v.strip()]
            if got:
                out[tag] = sep.join(got)
        return out
