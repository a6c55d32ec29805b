"""Hostile files, made by the tests themselves (small on disk, generated at run
time): .xlsx archives with a chosen sheet XML, zip bombs, lying dimensions."""

from __future__ import annotations

import io
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dim}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


HEADER_ROW = (
    '<row r="1">' + cell("A1", "naam") + cell("B1", "soort") + cell("C1", "regio") + "</row>"
)


def xlsx(sheet: str | bytes, extra: dict[str, bytes] | None = None, level: int = 9) -> bytes:
    """A minimal .xlsx around the given sheet XML (plus any extra members)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def declared_huge(dimension: str = "A1:XFD1048576") -> bytes:
    """The first probe: one cell in row 1,048,576 and a dimension that says
    the sheet is as large as Excel allows (a padded read is gigabytes)."""
    rows = HEADER_ROW + '<row r="1048576">' + cell("A1048576", "x") + "</row>"
    return xlsx(sheet_xml(rows, dimension))


def lying_dimension() -> bytes:
    """A sheet that declares A1:C2 but has a cell in row 1,048,576 and column XFD."""
    rows = HEADER_ROW + '<row r="1048576">' + cell("XFD1048576", "x") + "</row>"
    return xlsx(sheet_xml(rows, "A1:C2"))


def unpacked_bomb(total_mb: int = 40) -> bytes:
    """Many members, each small enough to escape a ratio check, that together
    unpack far past the limit (each 200 KB of spaces packs to a few hundred bytes)."""
    blank = b" " * (200 * 1024)
    extra = {f"xl/media/blank{i}.xml": blank for i in range(total_mb * 5)}
    return xlsx(sheet_xml(HEADER_ROW), extra)


def ratio_bomb(megabytes: int = 8) -> bytes:
    """One sheet member that unpacks a thousand times larger than it is packed."""
    padding = " " * (megabytes * 1024 * 1024)
    return xlsx(sheet_xml(HEADER_ROW + padding))


def many_rows(rows: int, columns: int = 3) -> bytes:
    """A well-formed sheet with `rows` data rows under the header."""
    parts = [HEADER_ROW]
    letters = "ABCDEFGHIJ"[:columns]
    for r in range(2, rows + 2):
        parts.append(
            f'<row r="{r}">' + "".join(cell(f"{c}{r}", f"v{r}") for c in letters) + "</row>"
        )
    return xlsx(sheet_xml("".join(parts)))
