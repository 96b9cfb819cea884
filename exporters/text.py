"""Text hygiene shared by every exporter: control characters, wrapping, spreadsheet formulas."""

from __future__ import annotations

import re
import textwrap

__all__ = ["FORMULA_PREFIXES", "clean", "one_line", "spreadsheet_safe", "truncate", "wrap"]

# C0 controls except tab and newline, DEL, C1 controls, and lone surrogates: XML 1.0 (GraphML,
# GEXF, SVG, DOCX, XLSX) cannot hold them, and they mean nothing in a table or a diagram.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet treats a cell starting with one of these as a formula (OWASP CSV injection)."""


def clean(text: str | None) -> str:
    """`text` without control characters (tab and newline kept; CR LF becomes LF)."""
    if not text:
        return ""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


_SPACES = re.compile(r"[ \t\n\r\f\v]+")


def one_line(text: str | None) -> str:
    """`text` cleaned, with every run of whitespace (newlines too) made one space.

    No-break spaces are kept: they hold '(n = 47)' together when wrapping."""
    return _SPACES.sub(" ", clean(text)).strip()


def wrap(text: str | None, width: int) -> list[str]:
    """`text` as lines of at most `width` characters (longer words are kept whole)."""
    flat = one_line(text)
    if not flat:
        return []
    return textwrap.wrap(flat, width, break_long_words=False, break_on_hyphens=False)


def truncate(text: str | None, limit: int) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters with '…'."""
    flat = one_line(text)
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def spreadsheet_safe(value: str) -> str:
    """A cell value a spreadsheet will show as text, never run as a formula.

    Values starting with = + - @ (or tab / CR) get a leading apostrophe, as OWASP recommends
    for CSV injection; everything else is returned unchanged.
    """
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
