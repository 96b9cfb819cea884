"""Writing ``Table`` objects as CSV, Markdown, XLSX, DOCX, HTML or LaTeX.

* CSV (UTF-8 with a byte-order mark, so spreadsheets read accents) and XLSX are flat: the
  section heading is the first column. Cells that would start a formula (= + - @, tab, CR)
  get a leading apostrophe (OWASP CSV injection advice).
* XLSX: one sheet per table, bold frozen header row, column widths, wrapped text.
* DOCX: real Word tables (python-docx), header row repeated on every page, section headings
  as merged full-width rows, landscape sections for wide tables.
* HTML: one self-contained page, every text escaped, inline CSS.
* LaTeX: a document using booktabs and longtable (landscape pages where wide), special
  characters escaped.
* Markdown: pipe tables, headings in bold rows.

Text from the review is cleaned of control characters everywhere.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from exporters.tables import Cell, Table
from exporters.text import clean, spreadsheet_safe
from realist.errors import InvalidInputError

__all__ = [
    "TABLE_FORMATS",
    "TEXT_FORMATS",
    "latex_escape",
    "render_text",
    "table_bytes",
    "to_csv",
    "to_html",
    "to_latex",
    "to_markdown",
    "write_docx",
    "write_xlsx",
]

TABLE_FORMATS = ("csv", "md", "xlsx", "docx", "html", "tex")
TEXT_FORMATS = ("csv", "md", "html", "tex")


def _text(cell: Cell) -> str:
    return "" if cell is None else clean(str(cell))


# ------------------------------------------------------------------------------------ CSV


def to_csv(table: Table) -> str:
    """One table as CSV text (the caller adds the byte-order mark when writing a file)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(_text(c)) for c in table.flat_header()])
    for row in table.flat_rows():
        writer.writerow(
            [spreadsheet_safe(_text(c)) if isinstance(c, str) else _text(c) for c in row]
        )
    return buf.getvalue()


# ------------------------------------------------------------------------------- Markdown

_MD_ESCAPES = str.maketrans(
    {"\\": "\\\\", "|": "\\|", "*": "\\*", "_": "\\_", "`": "\\`", "<": "&lt;", ">": "&gt;"}
)


def _md(cell: Cell) -> str:
    return "<br>".join(_text(cell).translate(_MD_ESCAPES).split("\n"))


def to_markdown(tables: Sequence[Table]) -> str:
    """Tables as Markdown: a heading and a pipe table each; section headings as bold rows."""
    out: list[str] = []
    for t in tables:
        out += [f"## {_md(t.title)}", ""]
        n = len(t.columns)
        out.append("| " + " | ".join(_md(c.name) for c in t.columns) + " |")
        out.append(
            "|" + "|".join("---:" if i in t.number_columns else "---" for i in range(n)) + "|"
        )
        for s in t.sections:
            if s.heading:
                out.append(f"| **{_md(s.heading)}** |" + " |" * (n - 1))
            for row in s.rows:
                out.append("| " + " | ".join(_md(c) for c in row) + " |")
        if t.note:
            out += ["", _md(t.note)]
        out.append("")
    return "\n".join(out)


# ----------------------------------------------------------------------------------- HTML

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em; color: #111; }
h2 { font-size: 1.3em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { border: 1px solid #999; padding: 0.35em 0.5em; text-align: left; vertical-align: top; }
thead th { background: #e8eef5; }
thead { display: table-header-group; }
tr.group th { background: #f3f3f3; font-size: 1.02em; }
td.num { text-align: right; }
p.note { font-size: 0.9em; color: #333; }
""".strip()


def _h(cell: Cell) -> str:
    return "<br>".join(html.escape(_text(cell), quote=True).split("\n"))


def to_html(tables: Sequence[Table], page_title: str | None = None) -> str:
    """A self-contained HTML page holding the tables (every text escaped)."""
    title = page_title or (tables[0].title if len(tables) == 1 else "Tables")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_h(title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
    ]
    for t in tables:
        out.append(f"<h2>{_h(t.title)}</h2>")
        out.append("<table>")
        out.append(
            "<thead><tr>"
            + "".join(f'<th scope="col">{_h(c.name)}</th>' for c in t.columns)
            + "</tr></thead>"
        )
        out.append("<tbody>")
        for s in t.sections:
            if s.heading:
                out.append(
                    f'<tr class="group"><th colspan="{len(t.columns)}" scope="colgroup">'
                    f"{_h(s.heading)}</th></tr>"
                )
            for row in s.rows:
                cells = "".join(
                    f'<td class="num">{_h(c)}</td>'
                    if i in t.number_columns
                    else f"<td>{_h(c)}</td>"
                    for i, c in enumerate(row)
                )
                out.append(f"<tr>{cells}</tr>")
        out.append("</tbody>")
        out.append("</table>")
        if t.note:
            out.append(f'<p class="note">{_h(t.note)}</p>')
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------- LaTeX

_TEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """`text` with LaTeX's special characters escaped and line breaks as \\newline."""
    escaped = "".join(_TEX.get(ch, ch) for ch in clean(text))
    return escaped.replace("\n", r"\newline ")


def to_latex(tables: Sequence[Table]) -> str:
    """A LaTeX document (booktabs, longtable; landscape pages for wide tables).

    Compile with lualatex or xelatex for full Unicode; pdflatex handles Latin text.
    """
    out = [
        r"\documentclass[a4paper,10pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{booktabs,longtable,array,pdflscape}",
        r"\usepackage[T1]{fontenc}",
        r"\begin{document}",
        "",
    ]
    for t in tables:
        text_width = 24.0 if t.landscape else 16.0  # cm on A4 with 2 cm margins
        total = sum(c.width for c in t.columns)
        gap = 0.4 * len(t.columns)  # the space \tabcolsep takes between columns
        widths = [max(0.8, (text_width - gap) * c.width / total) for c in t.columns]
        spec = "".join(
            f">{{\\raggedleft\\arraybackslash}}p{{{w:.2f}cm}}"
            if i in t.number_columns
            else f">{{\\raggedright\\arraybackslash}}p{{{w:.2f}cm}}"
            for i, w in enumerate(widths)
        )
        n = len(t.columns)
        header = " & ".join(rf"\textbf{{{latex_escape(c.name)}}}" for c in t.columns) + r" \\"
        if t.landscape:
            out.append(r"\begin{landscape}")
        out.append(rf"\begin{{longtable}}{{@{{}}{spec}@{{}}}}")
        out.append(rf"\multicolumn{{{n}}}{{@{{}}l}}{{\textbf{{{latex_escape(t.title)}}}}} \\")
        out += [r"\toprule", header, r"\midrule", r"\endfirsthead"]
        out += [r"\toprule", header, r"\midrule", r"\endhead"]
        out += [r"\bottomrule", r"\endfoot"]
        for index, s in enumerate(t.sections):
            if s.heading:
                if index:
                    out.append(r"\midrule")
                out.append(
                    rf"\multicolumn{{{n}}}{{@{{}}l}}{{\textbf{{{latex_escape(s.heading)}}}}} \\"
                )
                out.append(r"\addlinespace")
            for row in s.rows:
                out.append(" & ".join(latex_escape(_text(c)) for c in row) + r" \\")
        out.append(r"\end{longtable}")
        if t.note:
            out.append(rf"\noindent\footnotesize {latex_escape(t.note)}\normalsize")
        if t.landscape:
            out.append(r"\end{landscape}")
        else:
            out.append(r"\clearpage")
        out.append("")
    out += [r"\end{document}", ""]
    return "\n".join(out)


# ----------------------------------------------------------------------------------- XLSX


def _sheet_name(name: str, taken: set[str]) -> str:
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in clean(name))[:31] or "Sheet"
    candidate, i = base, 2
    while candidate.lower() in taken:
        suffix = f" ({i})"
        candidate, i = base[: 31 - len(suffix)] + suffix, i + 1
    taken.add(candidate.lower())
    return candidate


def write_xlsx(tables: Sequence[Table], path: Path | IO[bytes]) -> None:
    """One sheet per table: bold frozen header row, column widths, wrapped text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    wrap_top = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF5")
    for t in tables:
        ws = wb.create_sheet(_sheet_name(t.key, taken))
        widths = ([24] if t.group_column else []) + [c.width for c in t.columns]
        ws.append([spreadsheet_safe(_text(c)) for c in t.flat_header()])
        for cell in ws[1]:
            cell.font, cell.fill, cell.alignment = bold, fill, wrap_top
        for row in t.flat_rows():
            ws.append([spreadsheet_safe(_text(c)) if isinstance(c, str) else c for c in row])
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(max(w, 6), 80)
        for row_cells in ws.iter_rows(min_row=2):
            for cell in row_cells:
                cell.alignment = wrap_top
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
    wb.save(str(path) if isinstance(path, Path) else path)


# ----------------------------------------------------------------------------------- DOCX


def _repeat_header(row: object) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _no_split(row: object) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def write_docx(
    tables: Sequence[Table], path: Path | IO[bytes], doc_title: str | None = None
) -> None:
    """Real Word tables, one after the other; landscape sections for wide tables."""
    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(9.5)
    if doc_title:
        doc.add_heading(clean(doc_title), level=1)
    for index, t in enumerate(tables):
        section = doc.sections[-1] if index == 0 else doc.add_section(WD_SECTION.NEW_PAGE)
        portrait = (Cm(21.0), Cm(29.7))
        width, height = (portrait[1], portrait[0]) if t.landscape else portrait
        section.orientation = WD_ORIENT.LANDSCAPE if t.landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = width, height
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2))
        usable = (width - Cm(4)) if width is not None else Cm(17)
        doc.add_heading(clean(t.title), level=2)
        total = sum(c.width for c in t.columns)
        col_widths = [int(usable * c.width / total) for c in t.columns]
        table = doc.add_table(rows=1, cols=len(t.columns))
        table.style = "Table Grid"
        table.autofit = False
        header = table.rows[0]
        _repeat_header(header)
        for i, (cell, col) in enumerate(zip(header.cells, t.columns, strict=True)):
            cell.width = col_widths[i]
            run = cell.paragraphs[0].add_run(clean(col.name))
            run.bold = True
        for i, col in enumerate(table.columns):
            col.width = col_widths[i]
        for s in t.sections:
            if s.heading:
                cells = table.add_row().cells
                merged = cells[0].merge(cells[-1])
                run = merged.paragraphs[0].add_run(clean(s.heading))
                run.bold = True
            for row in s.rows:
                new_row = table.add_row()
                _no_split(new_row)
                for i, (cell, value) in enumerate(zip(new_row.cells, row, strict=True)):
                    cell.width = col_widths[i]
                    cell.text = _text(value)
                    if i in t.number_columns:
                        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if t.note:
            p = doc.add_paragraph(clean(t.note))
            p.runs[0].italic = True
    doc.save(str(path) if isinstance(path, Path) else path)


# ---------------------------------------------------------------------------------- files


def render_text(tables: Sequence[Table], fmt: str) -> str:
    """Tables as text in a text format (csv takes exactly one table)."""
    if fmt == "csv":
        if len(tables) != 1:
            raise InvalidInputError("CSV holds one table; choose xlsx, docx, html, md or tex")
        return to_csv(tables[0])
    if fmt == "md":
        return to_markdown(tables)
    if fmt == "html":
        return to_html(tables)
    if fmt == "tex":
        return to_latex(tables)
    raise InvalidInputError(f"{fmt!r} is not a text format ({', '.join(TEXT_FORMATS)})")


def table_bytes(tables: Sequence[Table], fmt: str, title: str | None = None) -> bytes:
    """Tables as the bytes of a file in `fmt` (one of TABLE_FORMATS)."""
    if fmt not in TABLE_FORMATS:
        raise InvalidInputError(f"{fmt!r} is not a table format ({', '.join(TABLE_FORMATS)})")
    if fmt in ("xlsx", "docx"):
        buf = io.BytesIO()
        if fmt == "xlsx":
            write_xlsx(tables, buf)
        else:
            write_docx(tables, buf, title)
        return buf.getvalue()
    if fmt == "csv":
        return render_text(tables, fmt).encode("utf-8-sig")
    if fmt == "html" and title:
        return to_html(tables, title).encode("utf-8")
    return render_text(tables, fmt).encode("utf-8")
