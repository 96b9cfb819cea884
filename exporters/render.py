"""Rendering DOT with the Graphviz `dot` binary, and the one message when it is missing."""

from __future__ import annotations

import shutil
import subprocess

from realist.errors import RealistError

__all__ = [
    "INSTALL_GRAPHVIZ",
    "RENDERED_FORMATS",
    "GraphvizMissingError",
    "dot_version",
    "has_dot",
    "render",
]

RENDERED_FORMATS = ("svg", "png", "pdf")

INSTALL_GRAPHVIZ = (
    "Graphviz's `dot` program is needed to draw {fmt} diagrams and was not found on PATH. "
    "Install it with `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS) or from https://graphviz.org/download/ (Windows), then try again. "
    "DOT, GraphML, GEXF and JSON exports work without it."
)


class GraphvizMissingError(RealistError):
    """The `dot` binary is not installed, so SVG/PNG/PDF cannot be drawn."""


def has_dot() -> bool:
    """True when the Graphviz `dot` binary is on PATH."""
    return shutil.which("dot") is not None


def dot_version() -> str | None:
    """'2.43.0' from `dot -V`, or None without Graphviz."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    out = subprocess.run([exe, "-V"], capture_output=True, text=True, check=False)
    words = (out.stderr or out.stdout).split()
    return words[words.index("version") + 1] if "version" in words else None


def render(source: str, fmt: str) -> bytes:
    """`source` (DOT) drawn as `fmt` (svg, png or pdf) by Graphviz's `dot`."""
    import graphviz

    if fmt not in RENDERED_FORMATS:
        raise RealistError(f"cannot render {fmt!r}; choose one of {', '.join(RENDERED_FORMATS)}")
    if not has_dot():
        raise GraphvizMissingError(INSTALL_GRAPHVIZ.format(fmt=fmt.upper()))
    try:
        data: bytes = graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissingError(INSTALL_GRAPHVIZ.format(fmt=fmt.upper())) from None
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise RealistError(
            f"Graphviz could not draw the diagram: {detail[0] if detail else exc}"
        ) from None
    return data
