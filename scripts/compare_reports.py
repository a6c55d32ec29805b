"""Compare two directories of written reports: the workbooks cell by cell
(values, number formats, fonts, fills, alignment) with their sheets' layout
(widths, frozen panes, filters, conditional formatting, tables, charts,
images), the PDFs page by page (text as pdftotext lays it out, the drawing, and the
document information).

    .venv/bin/python scripts/compare_reports.py BEFORE AFTER

Files are paired by name (a report's name holds its period and scope), so
two runs of `flask --app wsgi batch reports --cycle <period>` with
REPORTS_DIR set to BEFORE and to AFTER can be compared although their run
directories differ. Prints every difference and exits 1 when there is one.
Used before and after a change to the writers that must not change what
users get; tests/reports uses the same helpers.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

SUFFIXES = (".xlsx", ".pdf")
# Parts of an xlsx that openpyxl does not read back, compared byte by byte.
RAW_PARTS = ("xl/charts/", "xl/drawings/", "xl/media/")
PDFTOTEXT = shutil.which("pdftotext") or "pdftotext"  # poppler-utils
SHOWN = 20  # differences listed per file; the count says how many there are


def report_files(root: Path) -> dict[str, Path]:
    """The reports under root by file name; a name found twice is an error."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix not in SUFFIXES or path.name.startswith("."):
            continue
        if path.name in found:
            raise SystemExit(f"{path.name} occurs twice under {root}: compare one run each")
        found[path.name] = path
    return found


def compare_directories(before: Path, after: Path) -> list[str]:
    """Every difference between the reports of two directories."""
    old, new = report_files(before), report_files(after)
    out = [f"only in {before}: {name}" for name in sorted(old.keys() - new.keys())]
    out += [f"only in {after}: {name}" for name in sorted(new.keys() - old.keys())]
    for name in sorted(old.keys() & new.keys()):
        out += [f"{name}: {line}" for line in compare_files(old[name], new[name])]
    return out


def compare_files(before: Path, after: Path) -> list[str]:
    """The differences between two reports of the same kind."""
    if before.suffix == ".xlsx":
        return compare_workbooks(before, after)
    return compare_pdfs(before, after)


def _differences(old: list, new: list, label: str) -> list[str]:
    """Line by line differences of two lists of described items."""
    out = []
    for n in range(max(len(old), len(new))):
        a = old[n] if n < len(old) else "(missing)"
        b = new[n] if n < len(new) else "(missing)"
        if a != b:
            out.append(f"{label}: {_shown(a)} ≠ {_shown(b)}")
    if len(out) > SHOWN:
        out = out[:SHOWN] + [f"{label}: … {len(out) - SHOWN} more differences"]
    return out


def _shown(item) -> str:
    return item if isinstance(item, str) else repr(item)


def _colour(colour) -> str | None:
    if colour is None:
        return None
    return f"{colour.type}:{colour.rgb if colour.type == 'rgb' else colour.value}"


def _style(cell) -> tuple:
    font, fill, alignment = cell.font, cell.fill, cell.alignment
    return (
        cell.number_format,
        (font.b, font.i, font.sz, font.name, _colour(font.color)),
        (fill.fill_type, _colour(fill.fgColor)),
        (alignment.wrap_text, alignment.vertical, alignment.horizontal),
    )


def _cells(ws) -> Iterator[str]:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None and not cell.has_style:
                continue
            yield f"{cell.coordinate} {cell.data_type} {cell.value!r} {_style(cell)}"


def _rule(rule) -> str:
    dxf = rule.dxf
    shown = (
        (dxf.fill.fill_type, _colour(dxf.fill.fgColor), _colour(dxf.fill.bgColor))
        if dxf is not None and dxf.fill is not None
        else None,
        _colour(dxf.font.color) if dxf is not None and dxf.font is not None else None,
    )
    scale = None
    if rule.colorScale is not None:
        scale = (
            [(v.type, v.val) for v in rule.colorScale.cfvo],
            [_colour(c) for c in rule.colorScale.color],
        )
    return f"{rule.type} {rule.formula} stop={rule.stopIfTrue} {shown} {scale}"


def _layout(ws) -> list[str]:
    """What a sheet sets besides its cells."""
    setup = ws.page_setup
    lines = [
        f"dimensions {ws.dimensions}",
        f"freeze {ws.freeze_panes}",
        f"filter {ws.auto_filter.ref}",
        f"print titles {ws.print_title_rows} area {ws.print_area}",
        f"page {setup.orientation} {setup.paperSize} {setup.fitToWidth} {setup.fitToHeight}",
        f"header {ws.oddHeader.left.text} | {ws.oddHeader.right.text}",
        f"footer {ws.oddFooter.center.text}",
        f"grid lines {ws.print_options.gridLines}",
    ]
    lines += [
        f"width {letter} {dimension.width}"
        for letter, dimension in sorted(ws.column_dimensions.items())
        if dimension.customWidth
    ]
    for formatting in ws.conditional_formatting:
        lines += [f"rule {formatting.sqref} {_rule(rule)}" for rule in formatting.rules]
    for table in sorted(ws.tables.values(), key=lambda t: t.displayName):
        style = table.tableStyleInfo
        lines.append(f"table {table.displayName} {table.ref} {style.name if style else None}")
    lines.append(f"images {len(ws._images)}")
    return lines


def compare_workbooks(before: Path, after: Path) -> list[str]:
    """Differences between two workbooks, sheet by sheet and cell by cell."""
    old, new = load_workbook(before), load_workbook(after)
    out = _differences(old.sheetnames, new.sheetnames, "sheets")
    for attribute in ("title", "creator", "language"):
        a, b = getattr(old.properties, attribute), getattr(new.properties, attribute)
        if a != b:
            out.append(f"property {attribute}: {a!r} ≠ {b!r}")
    for name in old.sheetnames:
        if name not in new.sheetnames:
            continue
        out += _differences(_layout(old[name]), _layout(new[name]), f"{name} layout")
        out += _differences(list(_cells(old[name])), list(_cells(new[name])), f"{name} cells")
    out += _differences(_raw_parts(before), _raw_parts(after), "charts and images")
    return out


def _raw_parts(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [
            (name, archive.read(name))
            for name in sorted(archive.namelist())
            if name.startswith(RAW_PARTS)
        ]


def pdf_text(path: Path) -> list[str]:
    """The text of each page, laid out as on the page (poppler's pdftotext)."""
    text = subprocess.run(  # noqa: S603 - a fixed tool on a file of ours
        [PDFTOTEXT, "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return text.split("\f")[:-1]  # every page ends with a form feed


def compare_pdfs(before: Path, after: Path) -> list[str]:
    """Differences between two PDFs: document information, then per page its
    text and its drawing (the page's content stream)."""
    old, new = PdfReader(before), PdfReader(after)
    out = []
    for key in ("/Title", "/Author", "/Subject", "/Creator"):
        a, b = (old.metadata or {}).get(key), (new.metadata or {}).get(key)
        if a != b:
            out.append(f"information {key}: {a!r} ≠ {b!r}")
    if len(old.pages) != len(new.pages):
        out.append(f"pages: {len(old.pages)} ≠ {len(new.pages)}")
    old_text, new_text = pdf_text(before), pdf_text(after)
    if len(old_text) != len(new_text):
        out.append(f"pages of text: {len(old_text)} ≠ {len(new_text)}")
    for number, (a, b) in enumerate(zip(old_text, new_text, strict=False), start=1):
        out += _differences(a.splitlines(), b.splitlines(), f"page {number} text")
    for number, (a, b) in enumerate(zip(old.pages, new.pages, strict=False), start=1):
        if a.get_contents().get_data() != b.get_contents().get_data():
            out.append(f"page {number}: the drawing differs")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    files = len(report_files(args.before))
    differences = compare_directories(args.before, args.after)
    for line in differences:
        print(line)
    print(f"{files} reports compared: {len(differences)} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
