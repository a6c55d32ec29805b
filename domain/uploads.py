"""Reading uploaded tables (.xlsx and .csv) without trusting them.

Every limit is checked before the work it protects: the file's size while it
is read, the unpacked size and compression ratio of an .xlsx from its zip
directory before anything is unpacked, the declared dimension of the sheet
before its rows, and the real rows, columns and cell lengths while the sheet
XML is streamed (one element at a time, never the whole sheet in memory). A
file past a limit ends in an UploadError whose Dutch message names the limit."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any, BinaryIO
from xml.parsers import expat

import yaml

MAX_FILE_BYTES = 5 * 1024 * 1024  # the upload itself
MAX_UNPACKED_BYTES = 30 * 1024 * 1024  # all members of an .xlsx together, unpacked
MAX_RATIO = 100  # unpacked : packed, for any member larger than RATIO_FLOOR
RATIO_FLOOR = 256 * 1024  # small members (styles, themes) may compress very well
MAX_MEMBERS = 500
MAX_SHEETS = 20
MAX_ROWS = 10_000  # data rows, below the header row
MAX_COLUMNS = 50
MAX_CELL = 1_000  # characters in one cell
MAX_SHARED_STRINGS = (MAX_ROWS + 1) * MAX_COLUMNS
# The XML of every part that is read, while it streams: elements (a full sheet
# of inline text, 10,001 rows of 50 cells, is about 1.5 million), nesting
# depth, characters of text between two tags and in the whole part, and the
# length of one tag with its attributes. The small parts have small budgets.
MAX_ELEMENTS = 2_000_000
PART_ELEMENTS = {"workbook": 10_000, "relationships": 2_000, "styles": 500_000}
MAX_DEPTH = 64
MAX_TEXT_RUN = 32_768  # characters between two tags (a cell holds at most MAX_CELL)
MAX_PART_TEXT = 20_000_000  # characters of text in one part
MAX_TAG = 16_384  # bytes of one tag, its name and attributes together
PART_NAMES = {
    "workbook": "de werkmap",
    "relationships": "de lijst met verwijzingen",
    "sheet": "het werkblad",
    "strings": "de lijst met teksten",
    "styles": "de opmaak",
}

_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})$")
_RANGE_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?$")
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL_ID = _REL_NS + "}id"  # the parser joins namespace and name with "}"
_ASCII_NUMBER = re.compile(r"[0-9]{1,9}")


class UploadError(ValueError):
    """The file cannot be read, or passes one of the limits; the message
    (Dutch) says which, `where` (e.g. "regel 4") where in the file."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(message)
        self.where = where


def _mb(n: int) -> str:
    return f"{n // (1024 * 1024)} MB"


def read_limited(stream: BinaryIO, limit: int = MAX_FILE_BYTES) -> bytes:
    """The stream's bytes, read in blocks; stops reading past `limit`."""
    chunks, size = [], 0
    while True:
        block = stream.read(min(64 * 1024, limit + 1 - size))
        if not block:
            break
        chunks.append(block)
        size += len(block)
        if size > limit:
            raise UploadError(f"Het bestand is groter dan {_mb(limit)}; de grens is {_mb(limit)}.")
    return b"".join(chunks)


def check_size(data: bytes, limit: int = MAX_FILE_BYTES) -> None:
    """Refuse data past the file size limit."""
    if len(data) > limit:
        raise UploadError(f"Het bestand is groter dan {_mb(limit)}; de grens is {_mb(limit)}.")


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + (ord(ch) - 64)
    return number


def open_xlsx(data: bytes) -> zipfile.ZipFile:
    """The .xlsx as a zip archive whose directory has passed the limits on
    members, unpacked size and compression ratio (nothing unpacked yet)."""
    check_size(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise UploadError("Dit is geen leesbaar Excel-bestand (.xlsx).") from exc
    if len(members) > MAX_MEMBERS:
        raise UploadError(
            f"Het Excel-bestand bestaat uit meer dan {MAX_MEMBERS} onderdelen; "
            f"de grens is {MAX_MEMBERS}."
        )
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise UploadError(
            f"Het Excel-bestand is uitgepakt groter dan {_mb(MAX_UNPACKED_BYTES)} "
            f"({_mb(unpacked)}); de grens is {_mb(MAX_UNPACKED_BYTES)}."
        )
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise UploadError(
                f"Het Excel-bestand is verdacht sterk ingepakt (meer dan {MAX_RATIO} keer); "
                f"de grens is {MAX_RATIO} keer."
            )
    return archive


class _Strange(UploadError):
    """The XML of a part passes one of its streaming limits."""

    def __init__(self, part: str, what: str, limit: int):
        super().__init__(
            f"Het Excel-bestand zit niet gewoon in elkaar: {PART_NAMES[part]} {what}; "
            f"de grens is {limit}."
        )


_LONG_TAG = re.compile(rb"<[^<>]{%d}" % MAX_TAG)
START, END = 0, 1


# What one cell or shared text may take: <c><v>, <c><is><t>, a few runs of
# rich text. More elements than the part's cells or texts can use are refused.
PER_CELL = 6
PER_TEXT = 40
_UNITS = {
    "sheet": (b"<c ", b"<c>", b":c ", b":c>"),  # ":c" for a prefixed namespace (x:c)
    "strings": (b"<si>", b"<si ", b":si>", b":si "),
}


_UNIT_WORD = {"sheet": "cellen", "strings": "teksten"}
_ONE_UNIT = {"sheet": "cel", "strings": "tekst"}


def _units(part: str, units: int) -> str:
    return f"{units} {_ONE_UNIT[part] if units == 1 else _UNIT_WORD[part]}"


# While the scan runs, the elements so far may pass what the cells (or texts)
# so far can use by this many: what comes before the first cell (columns,
# views: at most some 20,000 elements) fits; a bomb does not.
EARLY_SLACK = 200_000


def _unit_budget(part: str, rows: int, units: int) -> int:
    per_unit = PER_CELL if part == "sheet" else PER_TEXT
    return 1_000 + 2 * rows + per_unit * units


def _prescan(archive: zipfile.ZipFile, name: str, part: str) -> tuple[int, int]:
    """Count the part's elements and find overlong tags with a plain byte scan
    (no parsing, no objects): a bomb of millions of elements is refused before
    one of them is parsed, and so is a part with far more elements than its
    cells (or texts) can use. Returns (the part's element budget for the
    parse, how many `row` elements it holds)."""
    limit = PART_ELEMENTS.get(part, MAX_ELEMENTS)
    elements = rows = units = 0
    tail = b""
    try:
        with archive.open(name) as member:
            while block := member.read(1 << 20):
                window = tail + block
                # Every element starts with "<" and a name; "</", "<?" and "<!"
                # start no element. A pattern may straddle two blocks, hence the
                # end of the previous block in front (too short to hold it whole).
                pairs = tail[-1:] + block
                elements += block.count(b"<") - sum(pairs.count(p) for p in (b"</", b"<?", b"<!"))
                near = tail[-4:] + block
                if part == "sheet":
                    rows += near.count(b"<row ") + near.count(b"<row>")
                units += sum(near.count(p) for p in _UNITS.get(part, ()))
                if elements > limit:
                    raise _Strange(part, f"bevat meer dan {limit} elementen", limit)
                if part in _UNITS and elements > _unit_budget(part, rows, units) + EARLY_SLACK:
                    # Far past what the cells (or texts) so far can use: a bomb
                    # is refused at its first megabyte, not at its eighth.
                    raise _Strange(
                        part,
                        f"bevat meer dan {elements} elementen voor maar {_units(part, units)}",
                        _unit_budget(part, rows, units),
                    )
                if _LONG_TAG.search(window):
                    raise _Strange(
                        part, f"bevat een kenmerk van meer dan {MAX_TAG} tekens", MAX_TAG
                    )
                tail = window[-MAX_TAG:]
    except UploadError:
        raise
    except KeyError as exc:
        raise UploadError("Dit is geen leesbaar Excel-bestand (.xlsx).") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise UploadError("Dit Excel-bestand is beschadigd.") from exc
    if part in _UNITS:
        budget = min(limit, _unit_budget(part, rows, units))
        if elements > budget:
            what = _units(part, units)
            raise _Strange(part, f"bevat {elements} elementen voor maar {what}", budget)
        limit = budget
    return limit, rows


def _refuse_declarations(*_args) -> None:
    # No DTD, no entities: nothing in the file can expand or reach out.
    raise UploadError("Dit Excel-bestand is beschadigd (het bevat een DTD of entiteit).")


def _stream(archive: zipfile.ZipFile, name: str, part: str) -> Iterator[tuple[int, str, Any]]:
    """(START, local name, attributes) and (END, local name, text) of one part's
    XML, within the part's limits on elements, depth and text, checked while it
    streams. Nothing is kept but the events of the current block (no tree)."""
    limit, rows = _prescan(archive, name, part)
    if part == "sheet" and rows > MAX_ROWS + 1:
        raise _too_many_rows()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    parser.UnparsedEntityDeclHandler = _refuse_declarations
    parser.ExternalEntityRefHandler = _refuse_declarations
    parser.buffer_text = True
    events: list[tuple[int, str, Any]] = []
    text: list[str] = []
    elements = depth = run = total = 0

    def start(tag: str, attributes: dict) -> None:
        nonlocal elements, depth, run
        elements += 1
        depth += 1
        if elements > limit:
            raise _Strange(part, f"bevat meer dan {limit} elementen", limit)
        if depth > MAX_DEPTH:
            raise _Strange(part, f"is dieper dan {MAX_DEPTH} lagen genest", MAX_DEPTH)
        if run:
            text.clear()
            run = 0
        events.append((START, tag.rpartition("}")[2], attributes))

    def end(tag: str) -> None:
        nonlocal depth, run
        depth -= 1
        if run:
            events.append((END, tag.rpartition("}")[2], "".join(text)))
            text.clear()
            run = 0
        else:
            events.append((END, tag.rpartition("}")[2], ""))

    def data(chunk: str) -> None:
        nonlocal run, total
        run += len(chunk)
        total += len(chunk)
        if run > MAX_TEXT_RUN:
            raise _Strange(
                part, f"bevat een tekst van meer dan {MAX_TEXT_RUN} tekens", MAX_TEXT_RUN
            )
        if total > MAX_PART_TEXT:
            raise _Strange(part, f"bevat meer dan {MAX_PART_TEXT} tekens tekst", MAX_PART_TEXT)
        text.append(chunk)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        with archive.open(name) as member:
            while block := member.read(64 * 1024):
                parser.Parse(block, False)
                yield from events
                events.clear()
            parser.Parse(b"", True)
            yield from events
    except expat.ExpatError as exc:
        raise UploadError("Dit Excel-bestand is beschadigd.") from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UploadError("Dit Excel-bestand is beschadigd.") from exc


def _sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, member path) of every worksheet, in workbook order."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        raise UploadError("Dit is geen leesbaar Excel-bestand (.xlsx).")
    declared: list[tuple[str, str]] = []
    for event, name, attributes in _stream(archive, "xl/workbook.xml", "workbook"):
        if event == START and name == "sheet":
            declared.append((attributes.get("name") or "", attributes.get(_REL_ID) or ""))
            if len(declared) > MAX_SHEETS:
                raise UploadError(
                    f"Het Excel-bestand heeft meer dan {MAX_SHEETS} tabbladen; "
                    f"de grens is {MAX_SHEETS}."
                )
    targets: dict[str, str] = {}
    styles = "xl/styles.xml"
    if "xl/_rels/workbook.xml.rels" in names:
        for event, name, attributes in _stream(
            archive, "xl/_rels/workbook.xml.rels", "relationships"
        ):
            if event == START and name == "Relationship":
                target = attributes.get("Target") or ""
                targets[attributes.get("Id") or ""] = target
                if (attributes.get("Type") or "").endswith("/styles"):
                    styles = _member(target)
    if styles in names:
        # The cells' formats are not used, but the part is read through the
        # same limits as every other: a bomb there is refused like anywhere.
        for _event in _stream(archive, styles, "styles"):
            pass
    sheets = []
    for index, (name, rel_id) in enumerate(declared, start=1):
        path = _member(targets.get(rel_id) or f"worksheets/sheet{index}.xml")
        if path in names:
            sheets.append((name, path))
    if not sheets:
        raise UploadError("Het Excel-bestand heeft geen werkblad.")
    return sheets


def _member(target: str) -> str:
    """The archive path of a relationship's target (relative to xl/)."""
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    parts: list[str] = []
    phonetic = False  # the reading aid of East Asian text is not part of the text
    for event, name, value in _stream(archive, "xl/sharedStrings.xml", "strings"):
        if event == START:
            if name == "si":
                parts = []
            elif name == "rPh":
                phonetic = True
            continue
        if name == "rPh":
            phonetic = False
        elif name == "t" and not phonetic:
            parts.append(value)
        elif name == "si":
            # A text longer than a cell may hold is kept just past the limit:
            # the cell that uses it is refused naming its row and column.
            strings.append("".join(parts)[: MAX_CELL + 1])
            if len(strings) > MAX_SHARED_STRINGS:
                raise UploadError(
                    f"Het Excel-bestand bevat meer dan {MAX_SHARED_STRINGS} teksten; "
                    f"de grens is {MAX_SHARED_STRINGS}."
                )
    return strings


def _too_many_rows() -> UploadError:
    return UploadError(f"Het bestand heeft meer dan {MAX_ROWS} rijen; de grens is {MAX_ROWS}.")


def _too_many_columns() -> UploadError:
    return UploadError(
        f"Het bestand heeft meer dan {MAX_COLUMNS} kolommen; de grens is {MAX_COLUMNS}."
    )


def _too_long(row: int, column: int) -> UploadError:
    return UploadError(
        f"Rij {row}, kolom {column}: een cel bevat meer dan {MAX_CELL} tekens; "
        f"de grens is {MAX_CELL}."
    )


def _check_dimension(ref: str) -> None:
    match = _RANGE_REF.match(ref.upper())
    if not match:
        return  # an odd dimension is ignored: the real rows and columns are counted anyway
    last_col = match.group(3) or match.group(1)
    last_row = match.group(4) or match.group(2)
    if int(last_row) > MAX_ROWS + 1:
        raise _too_many_rows()
    if _column_number(last_col) > MAX_COLUMNS:
        raise _too_many_columns()


def _number_text(text: str) -> str:
    """A numeric cell as people typed it: 12 rather than 12.0."""
    try:
        value = float(text)
    except ValueError:
        return text
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return text


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The first sheet's rows as text, header row first, within the limits."""
    with open_xlsx(data) as archive:
        (_, path), *_ = _sheets(archive)
        return _sheet_rows(archive, path, _shared_strings(archive))


def xlsx_sheets(data: bytes) -> dict[str, list[list[str]]]:
    """Every sheet's rows as text, by sheet name, within the limits."""
    with open_xlsx(data) as archive:
        shared = _shared_strings(archive)
        return {name: _sheet_rows(archive, path, shared) for name, path in _sheets(archive)}


def _sheet_rows(archive: zipfile.ZipFile, sheet: str, shared: list[str]) -> list[list[str]]:
    # A cell is complete (value and text inside it) at its end, checked and
    # dropped there, so no row, however wide, is held whole.
    rows: list[list[str]] = []
    row_number = 0
    current: list[str] = []
    column = 0
    cell_type, value, inline, in_cell, phonetic = "n", None, [], False, False
    for event, name, item in _stream(archive, sheet, "sheet"):
        if event == START:
            if name == "c":
                ref = _CELL_REF.match((item.get("r") or "").upper())
                column = _column_number(ref.group(1)) if ref else column + 1
                if column > MAX_COLUMNS:
                    raise _too_many_columns()
                cell_type, value, inline, in_cell = item.get("t", "n"), None, [], True
            elif name == "row":
                raw = item.get("r")
                number = int(raw) if raw and _ASCII_NUMBER.fullmatch(raw) else 0
                row_number = number if number > row_number else row_number + 1
                if row_number > MAX_ROWS + 1:
                    raise _too_many_rows()
            elif name == "dimension":
                _check_dimension(item.get("ref", ""))
            elif name == "rPh":
                phonetic = True
            continue
        if not in_cell:
            if name == "row":
                while len(rows) < row_number - 1:
                    rows.append([])  # rows the file leaves out are empty
                rows.append(current)
                current, column = [], 0
            continue
        if name == "v":
            value = item
        elif name == "rPh":
            phonetic = False
        elif name == "t" and not phonetic:
            inline.append(item)
        elif name == "c":
            in_cell = False
            text = _cell_text(cell_type, value, inline, shared)
            if len(text) > MAX_CELL:
                raise _too_long(row_number, column)
            if text:
                if column > len(current):
                    current.extend([""] * (column - len(current)))
                current[column - 1] = text
    return rows


def _cell_text(cell_type: str, value: str | None, inline: list[str], shared: list[str]) -> str:
    if cell_type == "inlineStr":
        return "".join(inline)
    if value is None:
        return ""
    if cell_type == "s":
        index = int(value) if _ASCII_NUMBER.fullmatch(value) else -1
        if not 0 <= index < len(shared):
            raise UploadError("Dit Excel-bestand is beschadigd (een tekst ontbreekt).")
        return shared[index]
    if cell_type == "b":
        return "1" if value.strip() == "1" else "0"
    if cell_type in ("str", "e"):
        return value
    return _number_text(value)


def csv_rows(data: bytes) -> list[list[str]]:
    """The rows of a CSV file (UTF-8 or Windows-1252, comma or semicolon),
    within the limits; a bare carriage return ends a line as in old Mac files."""
    check_size(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Dutch Windows
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(rows) > MAX_ROWS:
                raise _too_many_rows()
            if len(row) > MAX_COLUMNS and any(row[MAX_COLUMNS:]):
                raise _too_many_columns()
            for column, cell in enumerate(row, start=1):
                if len(cell) > MAX_CELL:
                    raise _too_long(len(rows) + 1, column)
            rows.append(row[:MAX_COLUMNS])
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _too_long(len(rows) + 1, 0) from exc
        raise UploadError(f"Dit CSV-bestand is niet te lezen (regel {len(rows) + 1}).") from exc
    return rows


# Values (scalars, lists, mappings) in a framework or indicator file: the
# national framework has some 2,000; 5 MB of one-line list items are 1.3
# million, which took 100 s and 820 MB to read before this bound.
MAX_YAML_NODES = 50_000


class _YamlLoader(yaml.SafeLoader):
    """The safe loader without aliases (a few lines of `*a` references can
    otherwise stand for billions of entries that validation would walk) and
    with at most MAX_YAML_NODES values, counted while the file is read."""

    def fetch_alias(self):
        raise yaml.scanner.ScannerError(
            None, None, "verwijzingen (*naam) zijn niet toegestaan", self.get_mark()
        )

    def compose_node(self, parent, index):
        self.nodes = getattr(self, "nodes", 0) + 1
        if self.nodes > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"meer dan {MAX_YAML_NODES} waarden; de grens is {MAX_YAML_NODES}",
                self.peek_event().start_mark,
            )
        return super().compose_node(parent, index)


def yaml_document(data: bytes) -> Any:
    """The YAML document in UTF-8 bytes, within the file size limit; a file
    that is not UTF-8 or not YAML is an UploadError saying where."""
    check_size(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(
            f"Het bestand is geen UTF-8-tekst (byte {exc.start + 1}); sla het op als UTF-8."
        ) from exc
    try:
        return yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader without aliases
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"regel {mark.line + 1}" if mark else ""
        raise UploadError(f"geen geldige YAML: {exc}", where) from exc
    except (ValueError, OverflowError, RecursionError) as exc:
        # PyYAML's constructors raise these for e.g. a date like 2026-13-45.
        raise UploadError(f"geen geldige YAML: {type(exc).__name__}: {exc}"[:300]) from exc
