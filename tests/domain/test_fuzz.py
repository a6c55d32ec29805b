"""Property-based fuzzing (Hypothesis) of everything that reads what people
send: the assessment form parser, the import parser (CSV and .xlsx), the
framework and indicator file loaders. Whatever the text or bytes, the answer
is a result or the parser's own error with a message, never another
exception, and an import that fails writes nothing.

The default run tries a few dozen examples per property; `make fuzz` runs the
same properties long (FUZZ_EXAMPLES examples each, `-m slow`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import zipfile
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import assessment_form, framework, imports, indicators, uploads
from domain.inputs import has_control
from tests import hostile

QUICK = settings(max_examples=40, deadline=None, database=None)
LONG = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "3000")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Text as people and files deliver it: every code point class, control characters included.
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
NASTY = st.sampled_from(
    ["0", "-1", str(2**63), str(10**30), "²", "٣", "1e400", "nan", "", " ", "\x00", "\r", "ja"]
)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT, NASTY, st.dates())
# YAML-like documents: anything a loader may find where a mapping was expected.
DOCUMENT = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(TEXT, st.integers(), NASTY), inner, max_size=5),
    ),
    max_leaves=25,
)

# --- the assessment form -------------------------------------------------------------

AGREEMENTS = [SimpleNamespace(id=i, bilateral=i % 2 == 0) for i in (3, 4, 17)]
FIELD = st.sampled_from(assessment_form.ANSWER_FIELDS)
KEY = st.one_of(
    st.builds(lambda a, f: f"a{a}-{f}", st.sampled_from([3, 4, 17, 99]), FIELD),
    st.builds(
        lambda i, f: f"esc-{i}-{f}",
        st.integers(0, 10**20),
        st.sampled_from(["agreement", "times", "step", "resolved"]),
    ),
    TEXT,
)
FORM = st.dictionaries(KEY, st.one_of(TEXT, NASTY), max_size=25)


def check_form(form: dict) -> None:
    parsed = assessment_form.parse_form(form, AGREEMENTS, dt.date(2026, 6, 1))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.errors.items())
    for answer in parsed.answers.values():
        for text in (answer.reason, answer.explanation, answer.action, answer.owner):
            assert not has_control(text)
        assert answer.score is None or 0 <= answer.score <= 4
    for agreement_id, (times, step, _) in parsed.escalations.items():
        assert agreement_id in {a.id for a in AGREEMENTS}
        assert 0 <= times <= 999
        assert 0 <= step <= 4
    assessment_form.parse_version(form.get("version", ""))


@QUICK
@given(FORM)
def test_form_parser(form):
    check_form(form)


# --- the import parser ---------------------------------------------------------------


def check_table(name: str, data: bytes) -> None:
    for kind in ("organisations", "users"):
        try:
            rows = imports.read_table(name, data, kind)
        except imports.ImportFileError as exc:
            message = str(exc)
            rows = []
        else:
            message = "read"
        assert message
        assert len(rows) <= imports.MAX_ROWS
        for number, row in rows:
            assert number >= 2
            assert all(isinstance(v, str) and len(v) <= uploads.MAX_CELL for v in row.values())


CSV_CELLS = st.lists(st.lists(st.one_of(TEXT, NASTY), max_size=6), max_size=8)


def _csv(header: list[str], rows: list[list[str]], delimiter: str) -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    return "\r\n".join(lines).encode("utf-8", "surrogatepass")


@QUICK
@given(st.binary(max_size=400))
def test_csv_bytes(data):
    check_table("x.csv", data)


@QUICK
@given(CSV_CELLS, st.sampled_from([",", ";"]))
def test_csv_with_known_header(rows, delimiter):
    check_table("x.csv", _csv(["naam", "soort", "regio", "e-mail"], rows, delimiter))


def _xlsx_from(sheet: str, shared: str | None) -> bytes:
    extra = {"xl/sharedStrings.xml": shared} if shared is not None else None
    return hostile.xlsx(sheet, extra)


XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
CELL_REF = st.one_of(
    st.builds(lambda c, r: f"{c}{r}", st.sampled_from(["A", "B", "Z", "AZ", "XFD"]),
              st.integers(0, 2_000_000)),
    XML_TEXT,
)  # fmt: skip
CELL = st.builds(
    lambda ref, kind, value: f'<c r="{_attr(ref)}" t="{kind}"><v>{_esc(value)}</v></c>',
    CELL_REF,
    st.sampled_from(["s", "n", "b", "str", "e", "inlineStr", "x"]),
    st.one_of(XML_TEXT, NASTY),
)
ROW = st.builds(
    lambda r, cells: f'<row r="{_attr(r)}">{"".join(cells)}</row>',
    st.one_of(st.integers(-5, 2_000_000).map(str), XML_TEXT),
    st.lists(CELL, max_size=5),
)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return _esc(text).replace('"', "&quot;")


@QUICK
@given(
    st.lists(ROW, max_size=6),
    st.one_of(st.none(), st.sampled_from(["A1:C3", "A1:XFD1048576", "Z", "", "A0:B"])),
    st.one_of(st.none(), st.lists(XML_TEXT, max_size=4)),
)
def test_xlsx_structured(rows, dimension, strings):
    shared = None
    if strings is not None:
        items = "".join(f"<si><t>{_esc(s)}</t></si>" for s in strings)
        shared = f'<sst xmlns="{hostile.MAIN}">{items}</sst>'
    check_table("x.xlsx", _xlsx_from(hostile.sheet_xml("".join(rows), dimension), shared))


@QUICK
@given(st.binary(max_size=600))
def test_xlsx_bytes(data):
    check_table("x.xlsx", data)
    # The same bytes as the sheet of a well-formed archive.
    check_table("x.xlsx", hostile.xlsx(data))


@QUICK
@given(st.dictionaries(st.sampled_from(["xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                         "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"]),
                       st.binary(max_size=200), max_size=4))  # fmt: skip
def test_xlsx_members(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    check_table("x.xlsx", out.getvalue())


# --- the framework and indicator loaders ---------------------------------------------


def check_framework(name: str, data: bytes) -> None:
    _check_loaded(lambda: framework.load_bytes(name, data), framework.FrameworkError)


def check_indicators(data: bytes) -> None:
    _check_loaded(
        lambda: indicators.load_bytes("i.yaml", data, {"T1"}, {"VR24"}), indicators.IndicatorError
    )


def _check_loaded(load, error) -> None:
    """A loader gives a document or its own error listing located problems."""
    try:
        outcome = load()
    except error as exc:
        outcome = exc.problems
        assert outcome
        assert all(str(p) for p in outcome)
    else:
        assert isinstance(outcome, dict)


def _yaml_bytes(document) -> bytes:
    import yaml

    return yaml.safe_dump(document, allow_unicode=True).encode("utf-8", "surrogatepass")


@QUICK
@given(st.binary(max_size=400))
def test_framework_bytes(data):
    check_framework("k.yaml", data)
    check_framework("k.xlsx", data)
    check_indicators(data)


@QUICK
@given(DOCUMENT)
def test_framework_and_indicator_documents(document):
    data = _yaml_bytes(document)
    check_framework("k.yaml", data)
    check_indicators(data)
    for validate, error in (
        (framework.validate, framework.FrameworkError),
        (indicators.validate, indicators.IndicatorError),
    ):
        with contextlib.suppress(error):
            validate(document)


def _mutated_default() -> st.SearchStrategy:
    """The shipped framework with one value somewhere replaced by anything."""
    base = framework.validate(
        uploads.yaml_document(framework.DEFAULT_FRAMEWORK.read_bytes()), "landelijk"
    )

    def replace(path_value):
        (theme, agreement, key), value = path_value
        doc = {**base, "themes": [dict(t) for t in base["themes"]]}
        t = doc["themes"][theme % len(doc["themes"])]
        t["agreements"] = [dict(a) for a in t["agreements"]]
        a = t["agreements"][agreement % len(t["agreements"])]
        a[key] = value
        return doc

    keys = st.sampled_from(
        ["code", "title", "goal", "level", "frequency", "applies_to", "partner_kinds", "source",
         "guidance", "extra"]
    )  # fmt: skip
    return st.tuples(st.tuples(st.integers(0, 50), st.integers(0, 50), keys), DOCUMENT).map(replace)


@QUICK
@given(_mutated_default())
def test_framework_near_misses(document):
    check_framework("k.yaml", _yaml_bytes(document))


# --- imports against the database: all or nothing -----------------------------------


def _counts():
    from models import Organisation, OrganisationGemeente, RoleAssignment, User

    return (
        Organisation.select().count(),
        OrganisationGemeente.select().count(),
        User.select().count(),
        RoleAssignment.select().count(),
    )


VALUES = st.one_of(
    TEXT, NASTY, st.sampled_from(["jgz", "cjg", "VR24", "GM0935", "manager", "a@b.nl", "nl"])
)


def check_apply(admin, kind: str, rows: list[list[str]]) -> None:
    header = {
        "organisations": ["naam", "soort", "regio", "gemeenten", "actief"],
        "users": ["e-mail", "naam", "rol", "regio", "organisatie", "gemeente", "taal"],
    }[kind]
    data = _csv(header, rows, ";")
    before = _counts()
    try:
        result = imports.apply(admin, kind, "x.csv", data, lambda t: f"https://x/{t}")
    except imports.ImportFileError:
        assert _counts() == before
        return
    if not result.ok:
        assert _counts() == before  # nothing written when any row fails


@pytest.fixture
def admin(database):
    from domain.reference import load_reference_data
    from tests import factories

    load_reference_data()
    return factories.user(("beheerder",))


@settings(QUICK, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["organisations", "users"]), st.lists(st.lists(VALUES, max_size=7), max_size=5)
)
def test_import_all_or_nothing(admin, kind, rows):
    check_apply(admin, kind, rows)


# --- the long run ----------------------------------------------------------------------


@pytest.mark.slow
@LONG
@given(FORM)
def test_long_form_parser(form):
    check_form(form)


@pytest.mark.slow
@LONG
@given(st.one_of(st.binary(max_size=2000), CSV_CELLS.map(lambda r: _csv(["naam"] * 3, r, ";"))))
def test_long_csv(data):
    check_table("x.csv", data)


@pytest.mark.slow
@LONG
@given(st.lists(ROW, max_size=12), st.one_of(st.none(), st.lists(XML_TEXT, max_size=6)))
def test_long_xlsx(rows, strings):
    shared = None
    if strings is not None:
        items = "".join(f"<si><t>{_esc(s)}</t></si>" for s in strings)
        shared = f'<sst xmlns="{hostile.MAIN}">{items}</sst>'
    check_table("x.xlsx", _xlsx_from(hostile.sheet_xml("".join(rows)), shared))


@pytest.mark.slow
@LONG
@given(
    st.one_of(st.binary(max_size=1000).map(lambda b: ("b", b)), DOCUMENT.map(lambda d: ("d", d)))
)
def test_long_loaders(case):
    kind, value = case
    data = value if kind == "b" else _yaml_bytes(value)
    check_framework("k.yaml", data)
    check_indicators(data)


@pytest.mark.slow
@LONG
@given(_mutated_default())
def test_long_framework_near_misses(document):
    check_framework("k.yaml", _yaml_bytes(document))


@pytest.mark.slow
@LONG
@given(
    st.sampled_from(["organisations", "users"]), st.lists(st.lists(VALUES, max_size=7), max_size=5)
)
def test_long_import_all_or_nothing(admin, kind, rows):
    check_apply(admin, kind, rows)
