"""The includes-found-vs-screened curve drawn with plain characters, for terminals and reports."""

from __future__ import annotations

from collections.abc import Sequence


def text_plot(
    found_curve: Sequence[int],
    n_total: int | None = None,
    *,
    width: int = 60,
    height: int = 12,
    expected_total: float | None = None,
) -> str:
    """Draw includes found (y) against records screened (x) as lines of text.

    The x axis runs to ``n_total`` (default: the records screened), so the unscreened share shows
    as empty space on the right. A dotted line marks the diagonal that random order would follow
    towards ``expected_total`` includes (found so far plus the estimated remaining), when given.
    """
    width = max(width, 10)
    height = max(height, 3)
    screened = len(found_curve)
    x_max = max(n_total or screened, screened, 1)
    found = found_curve[-1] if screened else 0
    y_max = max(found, round(expected_total or 0), 1)
    grid = [[" "] * width for _ in range(height)]

    def row_of(v: float) -> int:
        return height - 1 - min(height - 1, round(v / y_max * (height - 1)))

    if expected_total:
        for col in range(width):
            grid[row_of(expected_total * (col + 1) / width)][col] = "·"
    for col in range(width):
        # The record reached at the right edge of this column, if it has been screened.
        upto = (col + 1) * x_max // width
        if upto < 1 or upto > screened:
            continue
        grid[row_of(found_curve[upto - 1])][col] = "•"
    label_w = len(str(y_max))
    lines = []
    for r, cells in enumerate(grid):
        label = str(y_max) if r == 0 else ("0" if r == height - 1 else "")
        lines.append(f"{label:>{label_w}} │{''.join(cells)}")
    lines.append(f"{'':>{label_w}} └{'─' * width}")
    left, right = "0", f"{x_max:,} records"
    lines.append(f"{'':>{label_w}}  {left}{right:>{width - len(left)}}")
    lines.append(
        f"{'':>{label_w}}  includes found: {found:,} after {screened:,} screened"
        + (f" (of {x_max:,})" if x_max > screened else "")
    )
    return "\n".join(lines)
