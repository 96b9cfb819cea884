"""A read-only document view for coding: soft-wrapped text with page markers, a cursor, a
keyboard or mouse selection, and coded excerpts highlighted.

Offsets are character offsets into the full text as stored (`FullText.text`), so what the
reviewer selects is exactly what an excerpt records. Lines render on demand (Textual's line
API), so long documents scroll without building a widget per line.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from rich.cells import get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

PAGE_CHAR = "\f"


@dataclass(frozen=True)
class Row:
    """One screen row: the characters [start, end) of the text, or a page marker."""

    start: int
    end: int
    kind: str = "text"  # text | page
    page: int = 0  # for page markers: the page that starts here


@dataclass(frozen=True)
class Highlight:
    """A coded span to show: an excerpt, and whether it is the acting coder's."""

    start: int
    end: int
    excerpt_id: int
    mine: bool = True


def page_of(page_starts: list[int], offset: int) -> int:
    """1-based page holding `offset`."""
    return max(1, bisect.bisect_right(page_starts, offset)) if page_starts else 1


def wrap_rows(text: str, width: int, page_starts: list[int] | None = None) -> list[Row]:
    """Rows of `text` soft-wrapped at `width` cells, breaking after white space where it can.

    A line holding only a form feed (the page break of extracted PDFs) becomes a page marker;
    so does the top of the first page when the text has more than one page.
    """
    width = max(8, width)
    starts = page_starts or [0]
    rows: list[Row] = []
    if len(starts) > 1:
        rows.append(Row(-1, -1, "page", 1))
    pos = 0
    n = len(text)
    while True:
        nl = text.find("\n", pos)
        line_end = n if nl == -1 else nl
        if text[pos:line_end] == PAGE_CHAR:
            rows.append(Row(pos, line_end, "page", page_of(starts, line_end + 1)))
        else:
            rows.extend(_wrap_line(text, pos, line_end, width))
        if nl == -1:
            break
        pos = nl + 1
    return rows


def _wrap_line(text: str, start: int, end: int, width: int) -> list[Row]:
    if end == start:
        return [Row(start, start)]
    out: list[Row] = []
    pos = start
    while pos < end:
        cells, i, last_space = 0, pos, -1
        while i < end:
            size = max(1, get_character_cell_size(text[i]))
            if cells + size > width:
                break
            if text[i].isspace():
                last_space = i
            cells += size
            i += 1
        if i >= end:
            out.append(Row(pos, end))
            break
        cut = last_space + 1 if last_space >= pos else max(i, pos + 1)
        out.append(Row(pos, cut))
        pos = cut
    return out


def display_char(ch: str) -> str:
    """What a character looks like on screen (control characters become spaces)."""
    return " " if ch < " " or ch == "\x7f" else ch


class DocumentView(ScrollView, can_focus=True):
    """The text of one document, with a cursor and a selection to code."""

    ALLOW_SELECT = False  # selection is ours: it must map onto character offsets
    COMPONENT_CLASSES = {
        "document-view--cursor",
        "document-view--selection",
        "document-view--excerpt",
        "document-view--excerpt-other",
        "document-view--excerpt-current",
        "document-view--page",
    }
    DEFAULT_CSS = """
    DocumentView {
        scrollbar-gutter: stable;
        overflow-x: hidden;
        padding: 0 1;
    }
    DocumentView > .document-view--cursor { background: $accent; color: $text; }
    DocumentView:blur > .document-view--cursor { background: $accent 40%; }
    DocumentView > .document-view--selection { text-style: reverse; }
    DocumentView > .document-view--excerpt { background: $warning 25%; }
    DocumentView > .document-view--excerpt-other { background: $secondary 30%; }
    DocumentView > .document-view--excerpt-current { background: $warning 55%; text-style: bold; }
    DocumentView > .document-view--page { color: $text-muted; text-style: italic; }
    """
    BINDINGS = [
        Binding("space", "toggle_mark", "Mark start/end of a selection", show=False),
        Binding("left", "move('left')", "Left", show=False),
        Binding("right", "move('right')", "Right", show=False),
        Binding("up", "move('up')", "Up", show=False),
        Binding("down", "move('down')", "Down", show=False),
        Binding("ctrl+left", "move('word_left')", "Word left", show=False),
        Binding("ctrl+right", "move('word_right')", "Word right", show=False),
        Binding("home", "move('home')", "Start of line", show=False),
        Binding("end", "move('end')", "End of line", show=False),
        Binding("pageup", "move('pageup')", "Page up", show=False),
        Binding("pagedown", "move('pagedown')", "Page down", show=False),
        Binding("ctrl+home", "move('top')", "Start of document", show=False),
        Binding("ctrl+end", "move('bottom')", "End of document", show=False),
        Binding("shift+left", "select('left')", "Select left", show=False),
        Binding("shift+right", "select('right')", "Select right", show=False),
        Binding("shift+up", "select('up')", "Select up", show=False),
        Binding("shift+down", "select('down')", "Select down", show=False),
        Binding("ctrl+shift+left", "select('word_left')", "Select word left", show=False),
        Binding("ctrl+shift+right", "select('word_right')", "Select word right", show=False),
        Binding("shift+home", "select('home')", "Select to line start", show=False),
        Binding("shift+end", "select('end')", "Select to line end", show=False),
        Binding("shift+pageup", "select('pageup')", "Select page up", show=False),
        Binding("shift+pagedown", "select('pagedown')", "Select page down", show=False),
    ]

    class CursorMoved(Message):
        """The cursor or the selection changed."""

        def __init__(self, view: DocumentView) -> None:
            super().__init__()
            self.view = view
            self.cursor = view.cursor
            self.selection = view.selection

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.text = ""
        self.page_starts: list[int] = [0]
        self.highlights: list[Highlight] = []
        self.current_excerpt: int | None = None
        self.cursor = 0
        self.select_from: int | None = None  # the other end of the selection, when selecting
        self.marking = False  # the mark key was pressed: moving extends the selection
        self.rows: list[Row] = []
        self._row_starts: list[int] = []  # starts of addressable rows (text and page breaks)
        self._row_index: list[int] = []  # index in self.rows of each addressable row
        self._goal_col: int | None = None
        self._layout_width = 0
        self._dragging = False

    # ------------------------------------------------------------------ content

    def load(self, text: str, page_starts: list[int] | None = None) -> None:
        """Show a new text; the cursor goes to the top and the selection is cleared."""
        self.text = text
        self.page_starts = list(page_starts or [0])
        self.cursor, self.select_from, self.marking = 0, None, False
        self.highlights, self.current_excerpt = [], None
        self._relayout(force=True)
        self.scroll_to(0, 0, animate=False)
        self._changed()

    def set_highlights(self, highlights: list[Highlight], current: int | None = None) -> None:
        self.highlights = sorted(highlights, key=lambda h: (h.start, h.end))
        self.current_excerpt = current
        self.refresh()

    @property
    def selection(self) -> tuple[int, int] | None:
        """The selected span [start, end), or None."""
        if self.select_from is None or self.select_from == self.cursor:
            return None
        return (min(self.select_from, self.cursor), max(self.select_from, self.cursor))

    @property
    def page(self) -> int:
        return page_of(self.page_starts, self.cursor)

    def select_span(self, start: int, end: int) -> None:
        """Select [start, end) and bring it into view (used to jump to an excerpt)."""
        start = max(0, min(start, len(self.text)))
        end = max(start, min(end, len(self.text)))
        self.select_from, self.cursor, self.marking = start, end, False
        self._goal_col = None
        self._scroll_to_offset(start)
        self._changed()

    def move_to(self, offset: int) -> None:
        """Put the cursor at `offset` without selecting."""
        self.select_from, self.marking = None, False
        self.cursor = max(0, min(offset, len(self.text)))
        self._goal_col = None
        self._scroll_to_offset(self.cursor)
        self._changed()

    def clear_selection(self) -> bool:
        """Drop the selection; False when there was none."""
        if self.select_from is None and not self.marking:
            return False
        self.select_from, self.marking = None, False
        self._changed()
        return True

    # ------------------------------------------------------------------ layout

    def _relayout(self, force: bool = False) -> None:
        width = max(8, self.scrollable_content_region.width or self.size.width or 80)
        if not force and width == self._layout_width:
            return
        self._layout_width = width
        self.rows = wrap_rows(self.text, width, self.page_starts)
        self._row_index = [i for i, r in enumerate(self.rows) if r.start >= 0]
        self._row_starts = [self.rows[i].start for i in self._row_index]
        self.virtual_size = Size(width, len(self.rows))
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()
        self._scroll_to_offset(self.cursor)

    def row_of(self, offset: int) -> int:
        """Index in `rows` of the row showing `offset`."""
        if not self._row_starts:
            return 0
        k = max(0, bisect.bisect_right(self._row_starts, offset) - 1)
        return self._row_index[k]

    def _col_of(self, row: Row, offset: int) -> int:
        if row.kind == "page":
            return 0
        return sum(max(1, get_character_cell_size(c)) for c in self.text[row.start : offset])

    def _offset_at(self, index: int, col: int) -> int:
        row = self.rows[index]
        if row.kind == "page":
            return row.start if row.start >= 0 else 0
        cells = 0
        for i in range(row.start, row.end):
            size = max(1, get_character_cell_size(self.text[i]))
            if cells + size > col:
                return i
            cells += size
        end = row.end
        # At the end of a wrapped row the cursor belongs to the next row; stay on this one.
        nxt = self._next_text_row(index)
        if nxt is not None and nxt.start == end and end > row.start and end < len(self.text):
            return end - 1
        return end

    def _next_text_row(self, index: int) -> Row | None:
        return self.rows[index + 1] if index + 1 < len(self.rows) else None

    # ------------------------------------------------------------------ movement

    def _target(self, how: str) -> int:
        text, cur = self.text, self.cursor
        n = len(text)
        if how == "left":
            return max(0, cur - 1)
        if how == "right":
            return min(n, cur + 1)
        if how == "word_left":
            i = cur
            while i > 0 and not text[i - 1].isalnum():
                i -= 1
            while i > 0 and text[i - 1].isalnum():
                i -= 1
            return i
        if how == "word_right":
            i = cur
            while i < n and not text[i].isalnum():
                i += 1
            while i < n and text[i].isalnum():
                i += 1
            return i
        if how == "top":
            return 0
        if how == "bottom":
            return n
        index = self.row_of(cur)
        row = self.rows[index]
        if how == "home":
            return max(row.start, 0)
        if how == "end":
            end = row.end
            nxt = self._next_text_row(index)
            if nxt is not None and nxt.start == end and nxt.kind == "text" and end > row.start:
                return end - 1  # a wrapped row: its last character, not the next row's first
            return end
        steps = {"up": -1, "down": 1, "pageup": -self._page(), "pagedown": self._page()}[how]
        col = self._goal_col if self._goal_col is not None else self._col_of(row, cur)
        target = index
        remaining = abs(steps)
        direction = 1 if steps > 0 else -1
        while remaining:
            step = target + direction
            if not 0 <= step < len(self.rows):
                break
            target = step
            if self.rows[target].start >= 0:
                remaining -= 1
        if self.rows[target].start < 0:
            return 0
        self._goal_col = col
        return self._offset_at(target, col)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_move(self, how: str) -> None:
        keep_goal = how in {"up", "down", "pageup", "pagedown"}
        target = self._target(how)
        if not keep_goal:
            self._goal_col = None
        if not self.marking:
            self.select_from = None
        self.cursor = target
        self._scroll_to_offset(target)
        self._changed()

    def action_select(self, how: str) -> None:
        if self.select_from is None:
            self.select_from = self.cursor
        keep_goal = how in {"up", "down", "pageup", "pagedown"}
        target = self._target(how)
        if not keep_goal:
            self._goal_col = None
        self.cursor = target
        self._scroll_to_offset(target)
        self._changed()

    def action_toggle_mark(self) -> None:
        """First press drops a mark at the cursor; moving then selects; a second press stops."""
        if self.marking:
            self.marking = False
        else:
            self.marking = True
            self.select_from = self.cursor
        self._changed()

    def _scroll_to_offset(self, offset: int) -> None:
        if not self.rows:
            return
        row = self.row_of(offset)
        if row == 1 and self.rows[0].kind == "page" and self.rows[0].start < 0:
            row = 0  # show the first page's marker too
        top = int(self.scroll_y)
        height = max(1, self.scrollable_content_region.height)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    def _changed(self) -> None:
        self.refresh()
        self.post_message(self.CursorMoved(self))

    # ------------------------------------------------------------------ mouse

    def _offset_from_mouse(self, event: events.MouseEvent) -> int | None:
        offset = event.get_content_offset(self)
        if offset is None or not self.rows:
            return None
        index = int(self.scroll_y) + offset.y
        if not 0 <= index < len(self.rows):
            index = len(self.rows) - 1 if index >= len(self.rows) else 0
        return self._offset_at(index, max(0, offset.x))

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        at = self._offset_from_mouse(event)
        if at is None:
            return
        self.focus()
        self.cursor, self.select_from, self.marking = at, at, False
        self._goal_col = None
        self._dragging = True
        self.capture_mouse()
        self._changed()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if not self._dragging:
            return
        at = self._offset_from_mouse(event)
        if at is not None and at != self.cursor:
            self.cursor = at
            self._scroll_to_offset(at)
            self._changed()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()
            if self.select_from == self.cursor:
                self.select_from = None
            self._changed()

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        if row.kind == "page":
            style = base + self.get_component_rich_style("document-view--page")
            if row.start >= 0 and self.has_focus and self.cursor == row.start:
                style += self.get_component_rich_style("document-view--cursor")
            label = f" page {row.page} "
            left = max(2, (width - len(label)) // 2)
            text = ("─" * left + label).ljust(width, "─")[:width]
            return Strip([Segment(text, style)], width)
        segments = self._segments(row, base)
        strip = Strip(segments)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _segments(self, row: Row, base: Style) -> list[Segment]:
        sel = self.selection
        cursor_style = self.get_component_rich_style("document-view--cursor")
        sel_style = self.get_component_rich_style("document-view--selection")
        mine = self.get_component_rich_style("document-view--excerpt")
        other = self.get_component_rich_style("document-view--excerpt-other")
        current = self.get_component_rich_style("document-view--excerpt-current")
        spans = [h for h in self.highlights if h.start < row.end and h.end > row.start]
        out: list[Segment] = []
        run = ""
        run_style: Style | None = None
        for i in range(row.start, row.end):
            style = base
            covering = [h for h in spans if h.start <= i < h.end]
            if covering:
                if any(h.excerpt_id == self.current_excerpt for h in covering):
                    style = style + current
                elif any(h.mine for h in covering):
                    style = style + mine
                else:
                    style = style + other
            if sel is not None and sel[0] <= i < sel[1]:
                style = style + sel_style
            if i == self.cursor and self.has_focus:
                style = style + cursor_style
            ch = display_char(self.text[i])
            if style == run_style:
                run += ch
            else:
                if run:
                    out.append(Segment(run, run_style))
                run, run_style = ch, style
        if run:
            out.append(Segment(run, run_style))
        # The cursor at the end of a line (on its newline, or at the end of the text).
        if self.has_focus and self.cursor == row.end and self._cursor_row_is(row):
            out.append(Segment(" ", base + cursor_style))
        return out

    def _cursor_row_is(self, row: Row) -> bool:
        return self.rows[self.row_of(self.cursor)] is row

    def on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self.refresh()
