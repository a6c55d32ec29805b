"""Hostile uploads end in a Dutch message naming the limit, within bounded
memory; well-formed files within the limits are read as before."""

import io
import re
import tracemalloc

import pytest
from openpyxl import Workbook

from domain import imports, uploads
from tests import hostile

PEAK_LIMIT = 100 * 1024 * 1024  # extra memory a parse may take, hostile or not


def _peak(function, *args):
    """(result or raised exception, peak traced memory in bytes) of a call."""
    tracemalloc.start()
    try:
        try:
            outcome = function(*args)
        except Exception as exc:  # the refusal is the outcome under test
            outcome = exc
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcome, peak


@pytest.mark.parametrize(
    ("make", "limit"),
    [
        (lambda: hostile.declared_huge("A1:XFD1048576"), "de grens is 10000"),
        (lambda: hostile.declared_huge("A1:Z1048576"), "de grens is 10000"),
        (lambda: hostile.declared_huge("A1:XFD2"), "de grens is 50"),
        (hostile.lying_dimension, "de grens is 10000"),  # its row's number is read first
        (hostile.unpacked_bomb, "de grens is 30 MB"),
        (hostile.ratio_bomb, "de grens is 100 keer"),
        (lambda: hostile.many_rows(imports.MAX_ROWS + 5), "de grens is 10000"),
    ],
    ids=[
        "declared-XFD1048576",
        "declared-Z1048576",
        "declared-columns",
        "lying-dimension",
        "unpacked-size",
        "compression-ratio",
        "real-rows",
    ],
)
def test_hostile_xlsx_is_refused_naming_the_limit_in_bounded_memory(make, limit):
    data = make()
    assert len(data) < 2 * 1024 * 1024  # small on disk
    outcome, peak = _peak(imports.read_table, "upload.xlsx", data, "organisations")
    assert isinstance(outcome, imports.ImportFileError), outcome
    assert limit in str(outcome)
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.0f} MB"


def test_lying_column_refused():
    rows = hostile.HEADER_ROW + '<row r="2">' + hostile.cell("AZ2", "x") + "</row>"
    data = hostile.xlsx(hostile.sheet_xml(rows, "A1:C2"))
    with pytest.raises(uploads.UploadError, match="meer dan 50 kolommen; de grens is 50"):
        uploads.xlsx_rows(data)


def test_long_cell_refused():
    rows = hostile.HEADER_ROW + '<row r="2">' + hostile.cell("A2", "x" * 1001) + "</row>"
    with pytest.raises(uploads.UploadError, match="Rij 2, kolom 1: .* de grens is 1000"):
        uploads.xlsx_rows(hostile.xlsx(hostile.sheet_xml(rows)))


def test_xml_entities_are_refused():
    entity = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<worksheet xmlns="{hostile.MAIN}"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'
    )
    with pytest.raises(uploads.UploadError, match="beschadigd"):
        uploads.xlsx_rows(hostile.xlsx(entity))


def test_file_size_is_checked_while_reading():
    stream = io.BytesIO(b"x" * (uploads.MAX_FILE_BYTES + 1))
    with pytest.raises(uploads.UploadError, match="de grens is 5 MB"):
        uploads.read_limited(stream)
    assert stream.tell() <= uploads.MAX_FILE_BYTES + 64 * 1024  # stopped reading


def test_a_full_size_workbook_reads_within_the_memory_bound():
    wb = Workbook()
    ws = wb.active
    ws.append(["naam", "soort", "regio", "gemeenten", "actief"])
    for i in range(imports.MAX_ROWS):
        ws.append([f"Organisatie {i}", "jgz", "VR24", "GM0935, GM0917", i % 2 == 0])
    out = io.BytesIO()
    wb.save(out)
    rows, peak = _peak(imports.read_table, "orgs.xlsx", out.getvalue(), "organisations")
    assert len(rows) == imports.MAX_ROWS
    assert rows[0] == (
        2,
        {
            "naam": "Organisatie 0",
            "soort": "jgz",
            "regio": "VR24",
            "gemeenten": "GM0935, GM0917",
            "actief": "1",
        },
    )
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.0f} MB"


def test_shared_strings_numbers_and_gaps_are_read_like_excel_shows_them():
    wb = Workbook()
    ws = wb.active
    ws.append(["naam", "aantal", "datum"])
    ws.append(["Één", 12, 1.5])
    ws["A5"] = "na een gat"
    out = io.BytesIO()
    wb.save(out)
    assert uploads.xlsx_rows(out.getvalue()) == [
        ["naam", "aantal", "datum"],
        ["Één", "12", "1.5"],
        [],
        [],
        ["na een gat"],
    ]


def test_csv_with_a_bare_carriage_return_is_read():
    data = b'naam,soort,regio\r"CJG\rHeerlen",cjg,VR24\rJGZ,jgz,VR24\n'
    assert uploads.csv_rows(data) == [
        ["naam", "soort", "regio"],
        ["CJG\nHeerlen", "cjg", "VR24"],
        ["JGZ", "jgz", "VR24"],
    ]


def test_csv_limits():
    header = "naam,soort,regio\n"
    with pytest.raises(uploads.UploadError, match="de grens is 10000"):
        uploads.csv_rows((header + "a,b,c\n" * (imports.MAX_ROWS + 1)).encode())
    with pytest.raises(uploads.UploadError, match="de grens is 50"):
        uploads.csv_rows((header + ",".join("x" * 51) + "\n").encode())
    with pytest.raises(uploads.UploadError, match="de grens is 1000"):
        uploads.csv_rows((header + "x" * 1001 + ",b,c\n").encode())
    with pytest.raises(uploads.UploadError, match="de grens is 1000"):
        uploads.csv_rows((header + '"' + "x" * 200_000 + '",b,c\n').encode())


def test_yaml_that_is_not_utf8_or_uses_aliases():
    with pytest.raises(uploads.UploadError, match="geen UTF-8-tekst \\(byte 11\\)"):
        uploads.yaml_document("title: caf\xe9\n".encode("latin-1"))
    laughs = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b]\n"
    with pytest.raises(uploads.UploadError, match="verwijzingen"):
        uploads.yaml_document(laughs.encode())
    with pytest.raises(uploads.UploadError, match="geen geldige YAML"):
        uploads.yaml_document(b"day: 2026-13-45\n")
    with pytest.raises(uploads.UploadError, match="geen geldige YAML"):
        uploads.yaml_document(b"[" * 5000)


def test_yaml_with_more_values_than_a_framework_can_use_is_refused_while_read():
    # Under the file size limit, 5 MB of one-line list items are 1.3 million
    # values: refused at the limit, before they are all read.
    data = b"indicators:\n" + b"- a\n" * 1_300_000
    assert len(data) < uploads.MAX_FILE_BYTES
    outcome, peak = _peak(uploads.yaml_document, data)
    assert isinstance(outcome, uploads.UploadError), outcome
    limit = uploads.MAX_YAML_NODES
    assert f"meer dan {limit} waarden; de grens is {limit}" in str(outcome)
    assert outcome.where.startswith("regel ")
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MB"
    # The shipped framework and indicators are far within it.
    from domain import framework, indicators

    framework.load_file(framework.DEFAULT_FRAMEWORK)
    indicators.load_bytes("landelijk.yaml", indicators.DEFAULT_INDICATORS.read_bytes())


# --- element bombs (issue 26): refused while streaming, by the part's limits ------


@pytest.fixture(scope="module", params=sorted(hostile.ELEMENT_BOMBS))
def element_bomb(request):
    return request.param, hostile.element_bomb(request.param)


def test_element_bombs_pass_the_size_checks_and_are_refused_by_the_element_limit(element_bomb):
    shape, data = element_bomb
    # The bomb is what the probe sent: small, under every size and ratio limit.
    assert len(data) < uploads.MAX_FILE_BYTES
    with uploads.open_xlsx(data) as archive:
        biggest = max(archive.infolist(), key=lambda m: m.file_size)
        assert biggest.file_size > 25 * 2**20
    with pytest.raises(uploads.UploadError) as refused:
        uploads.xlsx_rows(data)
    part = {"shared-strings": "strings", "nesting": "sheet"}.get(shape, shape)
    message = str(refused.value)
    assert uploads.PART_NAMES[part] in message
    if part in ("sheet", "strings"):
        # Refused at its first megabyte: far more elements than its cells or
        # texts so far can use (the limit named is what they can use).
        what = "cellen" if part == "sheet" else "tekst"  # one text: "1 tekst"
        assert re.search(rf"bevat meer dan [0-9]+ elementen voor maar [0-9]+ {what}; "
                         r"de grens is [0-9]+\.", message), message  # fmt: skip
    else:
        limit = uploads.PART_ELEMENTS[part]
        assert f"meer dan {limit} elementen; de grens is {limit}." in message
    # The framework's Excel import reads every sheet through the same limits.
    with pytest.raises(uploads.UploadError, match="de grens is"):
        uploads.xlsx_sheets(data)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: hostile.xlsx(hostile.sheet_xml(hostile.HEADER_ROW + hostile.nested_elements(
            uploads.MAX_DEPTH + 1).decode())), "dieper dan 64 lagen genest; de grens is 64."),
        (hostile.long_text_run, "een tekst van meer dan 32768 tekens; de grens is 32768."),
        (hostile.long_attribute, "een kenmerk van meer dan 16384 tekens; de grens is 16384."),
        (lambda: hostile.relationships_bomb(2_001), "verwijzingen bevat meer dan 2000"),
        # Under the element limit, but far more elements than three cells can use.
        (lambda: hostile._bomb_zip(hostile._base_members(hostile._sheet_around(
            hostile.empty_elements(100_000))), 1),
         "het werkblad bevat 100012 elementen voor maar 3 cellen; de grens is 1020."),
    ],
    ids=["depth", "text-run", "attribute", "relationships", "elements-per-cell"],
)  # fmt: skip
def test_each_streaming_limit_is_named(make, message):
    outcome, peak = _peak(imports.read_table, "upload.xlsx", make(), "organisations")
    assert isinstance(outcome, imports.ImportFileError), outcome
    assert message in str(outcome)
    assert peak < 10 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_the_limits_leave_a_full_legitimate_sheet_alone():
    # A sheet as wide and long as allowed, every cell inline text, within every limit.
    width = uploads.MAX_COLUMNS
    letters = [chr(65 + i // 26 - 1) + chr(65 + i % 26) if i >= 26 else chr(65 + i)
               for i in range(width)]  # fmt: skip
    header = '<row r="1">' + "".join(hostile.cell(f"{c}1", f"k{c}") for c in letters) + "</row>"
    body = "".join(
        f'<row r="{r}">' + "".join(hostile.cell(f"{c}{r}", "x") for c in letters[:3]) + "</row>"
        for r in range(2, 2002)
    )
    rows = uploads.xlsx_rows(hostile.xlsx(hostile.sheet_xml(header + body)))
    assert len(rows) == 2001
    assert len(rows[0]) == width
