"""Hostile files, made by the tests themselves (small on disk, generated at run
time): .xlsx archives with a chosen sheet XML, zip bombs, lying dimensions."""

from __future__ import annotations

import functools
import io
import random
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


# --- element bombs (issue 26) ---------------------------------------------------
# Millions of empty XML elements in a part that every size check lets through:
# under 30 MB unpacked, and each element's name picked at random from two
# letters, so the part packs only about 30 times smaller (no ratio check fires).
BOMB_ELEMENTS = 7_000_000


def _random_letters(count: int, seed: int) -> bytes:
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    return rng.randbytes(count).translate(bytes(b"ab"[i & 1] for i in range(256)))


def empty_elements(count: int = BOMB_ELEMENTS, seed: int = 26) -> bytes:
    """`count` empty elements, <a/> or <b/>: four bytes each."""
    out = bytearray(b"<a/>" * count)
    out[1::4] = _random_letters(count, seed)
    return bytes(out)


def nested_elements(depth: int, seed: int = 26) -> bytes:
    """`depth` elements, each inside the one before: <a><b>…</b></a>."""
    letters = _random_letters(depth, seed)
    opening = bytearray(b"<a>" * depth)
    opening[1::3] = letters
    closing = bytearray(b"</a>" * depth)
    closing[2::4] = letters[::-1]
    return bytes(opening + closing)


def _bomb_zip(members: dict[str, bytes], level: int) -> bytes:
    # Level 1 packs fast (tests); level 9 makes the 1.3 MB files of the probe.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _base_members(sheet: bytes) -> dict[str, bytes]:
    return {
        "[Content_Types].xml": CONTENT_TYPES.encode(),
        "_rels/.rels": ROOT_RELS.encode(),
        "xl/workbook.xml": WORKBOOK.encode(),
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS.encode(),
        "xl/worksheets/sheet1.xml": sheet,
    }


def _sheet_around(inner: bytes) -> bytes:
    head, tail = sheet_xml(HEADER_ROW + "\x00").encode().split(b"\x00")
    return head + inner + tail


def sheet_element_bomb(level: int = 1) -> bytes:
    """The sheet's data holds millions of elements that are neither rows nor cells."""
    return _bomb_zip(_base_members(_sheet_around(empty_elements())), level)


def workbook_element_bomb(level: int = 1) -> bytes:
    """The workbook part (read before any sheet) holds millions of elements."""
    members = _base_members(sheet_xml(HEADER_ROW).encode())
    head, tail = WORKBOOK.encode().split(b"</sheets>")
    members["xl/workbook.xml"] = head + b"</sheets>" + empty_elements() + tail
    return _bomb_zip(members, level)


def strings_element_bomb(level: int = 1) -> bytes:
    """The shared strings part holds millions of elements after one real text."""
    members = _base_members(sheet_xml(HEADER_ROW).encode())
    members["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"><si><t>naam</t></si>'.encode()
        + empty_elements()
        + b"</sst>"
    )
    return _bomb_zip(members, level)


def nesting_bomb(depth: int = 4_000_000, level: int = 1) -> bytes:
    """The sheet's data holds one element inside another, millions deep."""
    return _bomb_zip(_base_members(_sheet_around(nested_elements(depth))), level)


def styles_element_bomb(level: int = 1) -> bytes:
    """The styles part (formats, never used for the data) holds millions of
    elements, beside a sheet with a real row that would otherwise be read."""
    row = '<row r="2">' + cell("A2", "Org") + cell("B2", "jgz") + cell("C2", "VR24") + "</row>"
    members = _base_members(sheet_xml(HEADER_ROW + row).encode())
    members["xl/styles.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">'.encode()
        + empty_elements()
        + b"</styleSheet>"
    )
    return _bomb_zip(members, level)


def relationships_element_bomb(level: int = 1) -> bytes:
    """The workbook's relationships part holds millions of elements."""
    members = _base_members(sheet_xml(HEADER_ROW).encode())
    head, tail = WORKBOOK_RELS.encode().split(b"</Relationships>")
    members["xl/_rels/workbook.xml.rels"] = head + empty_elements() + b"</Relationships>" + tail
    return _bomb_zip(members, level)


ELEMENT_BOMBS = {
    "sheet": sheet_element_bomb,
    "workbook": workbook_element_bomb,
    "shared-strings": strings_element_bomb,
    "nesting": nesting_bomb,
    "styles": styles_element_bomb,
    "relationships": relationships_element_bomb,
}


@functools.cache
def element_bomb(shape: str) -> bytes:
    """One of the bombs (the four shapes of issue 26, and the same in the styles
    and relationships parts), made once per test run (each takes a second)."""
    return ELEMENT_BOMBS[shape]()


def long_text_run(characters: int = 100_000) -> bytes:
    """A sheet whose data holds one long text outside any cell."""
    return xlsx(sheet_xml(HEADER_ROW + "<extLst>" + "tekst " * (characters // 6) + "</extLst>"))


def relationships_bomb(count: int) -> bytes:
    """The workbook's relationships part holds `count` empty elements."""
    members = _base_members(sheet_xml(HEADER_ROW).encode())
    members["xl/_rels/workbook.xml.rels"] = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + empty_elements(count)
        + b"</Relationships>"
    )
    return _bomb_zip(members, 1)


def long_attribute(characters: int = 100_000) -> bytes:
    """A row whose tag carries one endless attribute."""
    return xlsx(sheet_xml(HEADER_ROW + f'<row r="2" x="{"a" * characters}"/>'))
