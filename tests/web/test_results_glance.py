"""What the results pages show first and beside each other: "in één
oogopslag" and "wat aandacht vraagt" exactly as on the PDF's cover, maps
whose colours are the rows' signals, areas ranked, organisations side by
side, overdue actions marked, and RESPONS "nog open" before the due date."""

import html
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from models import Cycle, Gemeente
from reports.data import CycleData, scope_report
from reports.excel import gemeente_workbook
from reports.glance import glance
from reports.pdf import write_pdf
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture
from tests.web.test_results import _login, results  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def shown(results):  # noqa: F811 - the fixture imported above
    """The results world: its figures computed and its reports written."""
    return results


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def _web_glance(page: str) -> tuple[str, list[str]]:
    """The counts line and the attention points as a reader sees them."""
    part = _section(page, '<section class="glance"', "</section>")
    counts = re.findall(r'<span class="signal signal-[a-z_]+">(\d+ [^<]+)</span>', part)
    points = re.findall(r"<li>([^<]*)</li>", part.split('id="aandacht"')[1])
    return " · ".join(counts), [html.unescape(p) for p in points]


def _pdf_cover(path) -> str:
    return " ".join(PdfReader(path).pages[0].extract_text().split())


@pytest.mark.parametrize(("scope_type", "key", "user"), [
    ("organisatie", "A", "manager_a"),
    ("regio", "r2", "coordinator_2"),
    ("gemeente", "g2", "gemeente_2"),
])  # fmt: skip
def test_web_and_pdf_open_with_the_same_glance(client, shown, tmp_path, scope_type, key, user):
    target = shown["orgs"][key] if scope_type == "organisatie" else shown[key]
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    report = scope_report(CycleData.load(cycle), scope_type, target.id)
    expected = glance(report)
    assert expected.points  # something to compare
    _login(client, shown["users"][user])
    page = client.get(f"/resultaten/{scope_type}/{target.id}?ronde=2026-Q2").get_data(as_text=True)
    assert page.index('id="oogopslag"') < page.index('id="scorekaart"')  # it opens the page
    counts, points = _web_glance(page)
    assert counts == expected.counts_line()
    assert points == [p.text for p in expected.points]
    path = tmp_path / "report.pdf"
    write_pdf(report, path)
    cover = _pdf_cover(path)
    assert expected.counts_line() in cover
    for point in points:
        assert "• " + " ".join(point.split()) in cover


def test_country_page_opens_with_the_glance_and_says_voorlopig(client, shown):
    _login(client, shown["users"]["coordinator_2"])
    page = client.get("/resultaten/nederland?ronde=2026-Q2").get_data(as_text=True)
    report = scope_report(CycleData.load(Cycle.get(Cycle.period == "2026-Q2"), []), "land", 0)
    counts, points = _web_glance(page)
    assert counts == glance(report).counts_line()
    assert points == [p.text for p in glance(report).points]
    # The open cycle's figures say they are provisional, with their peildatum.
    assert "<strong>Voorlopige cijfers.</strong> Ronde 2026-Q2 loopt nog tot" in page
    assert "Peildatum: " in page
    closed = client.get("/resultaten/nederland?ronde=2026-Q1").get_data(as_text=True)
    assert "Voorlopige cijfers." not in closed


def _map_rows(page: str) -> dict[str, str]:
    table = _section(page, "Cijfers bij de kaart, van hoog naar laag", "</table>")
    return dict(
        re.findall(
            r'<th scope="row">(?:<a [^>]+>)?([^<]+?)(?:</a>)?(?: <span class="hint">[^<]*</span>)?'
            r'</th><td class="num">[^<]*</td><td><span class="signal signal-([a-z_]+)">',
            table,
        )
    )


def _map_shapes(page: str) -> dict[str, str]:
    svg = page[page.index('class="map"') :].split("</svg>")[0]
    return {
        html.unescape(title).split(":")[0]: signal
        for signal, title in re.findall(r'data-signal="([a-z_]+)"[^>]*><title>([^<]+)</title>', svg)
    }


@pytest.mark.parametrize("indicator", ["MEAN", "RESP", "GAP", "GE3"])
def test_a_shapes_colour_and_its_rows_signal_never_disagree(client, shown, indicator):
    for key, code in (("g1", "GM0935"), ("g2", "GM0917"), ("g3", "GM0014")):
        Gemeente.update(code=code).where(Gemeente.id == shown[key].id).execute()
    _login(client, shown["users"]["coordinator_2"])
    for url in (
        f"/resultaten/nederland?ronde=2026-Q2&kaart={indicator}",
        f"/resultaten/gemeente/{shown['g3'].id}?ronde=2026-Q2&kaart={indicator}",
    ):
        page = client.get(url).get_data(as_text=True)
        rows, shapes = _map_rows(page), _map_shapes(page)
        assert rows
        assert rows == shapes, url


def test_areas_are_ranked_with_the_norm_and_the_scope_highlighted(client, shown):
    for key, code in (("g1", "GM0935"), ("g2", "GM0917"), ("g3", "GM0014")):
        Gemeente.update(code=code).where(Gemeente.id == shown[key].id).execute()
    _login(client, shown["users"]["gemeente_2"])
    g1, g2 = shown["g1"], shown["g2"]
    page = client.get(f"/resultaten/gemeente/{g2.id}?ronde=2026-Q2&kaart=MEAN").get_data(
        as_text=True
    )
    ranking = page[page.index('class="chart ranking"') :].split("</svg>")[0]
    # g1 75,0% before g2 60,0% (MEAN, higher is better); g2 in bold; the norm drawn.
    names = re.findall(r'text-anchor="end" font-size="13" fill="#262626"[^>]*>([^<]+)<', ranking)
    assert names == [g1.name, g2.name]
    assert f'font-weight="bold">{g2.name}<' in ranking
    assert "norm 75,0%" in ranking
    table = _section(page, "Cijfers bij de kaart, van hoog naar laag", "</table>")
    assert table.index(g1.name) < table.index(g2.name)
    assert '<tr class="highlight"><td class="num">2</td>' in table


def test_organisations_side_by_side_with_their_signals(client, shown, app):
    _login(client, shown["users"]["gemeente_2"])
    g2 = shown["g2"]
    page = client.get(f"/resultaten/gemeente/{g2.id}?ronde=2026-Q2").get_data(as_text=True)
    matrix = _section(page, 'id="organisaties-naast-elkaar"', "</section>")
    a, b = shown["orgs"]["A"], shown["orgs"]["B"]
    assert f">{a.name}<" in matrix
    assert f">{b.name}<" in matrix
    # A's MEAN 75,0% against the norm 75: groen, said in words for screen readers.
    assert (
        '<span class="signal signal-groen"><span aria-hidden="true">✓</span> 75,0%'
        '<span class="sr-only"> groen</span></span>' in matrix
    )
    # A gemeente user may not open an organisation's page (it holds free text): no links.
    assert "/resultaten/organisatie/" not in matrix
    assert "Overleg" not in page
    # The coordinator's region page links each organisation.
    coordinator = app.test_client()
    _login(coordinator, shown["users"]["coordinator_2"])
    region = coordinator.get(f"/resultaten/regio/{shown['r2'].id}?ronde=2026-Q2").get_data(
        as_text=True
    )
    assert "/resultaten/organisatie/" in _section(
        region, 'id="organisaties-naast-elkaar"', "</section>"
    )


def test_overdue_actions_are_marked(client, shown):
    a = shown["orgs"]["A"]
    _login(client, shown["users"]["manager_a"])
    page = client.get(f"/resultaten/organisatie/{a.id}?ronde=2026-Q2").get_data(as_text=True)
    actions = _section(page, 'id="verbeteracties"', "<h2>")
    # The world's actions were due in spring 2026: over their date now.
    assert '<tr class="is-overdue">' in actions
    assert '<span class="overdue">over datum</span>' in actions


def test_response_is_not_judged_before_the_due_date(client, shown, tmp_path):
    import datetime as dt

    cycle = Cycle.get(Cycle.period == "2026-Q2")
    Cycle.update(
        due_on=dt.date.today() + dt.timedelta(days=10),
        closes_on=dt.date.today() + dt.timedelta(days=40),
    ).where(Cycle.id == cycle.id).execute()
    a = shown["orgs"]["A"]
    _login(client, shown["users"]["manager_a"])
    page = client.get(f"/resultaten/organisatie/{a.id}?ronde=2026-Q2").get_data(as_text=True)
    row = _section(page, '<th scope="row">RESP</th>', "</tr>")
    assert '<span class="signal signal-nog_open">Nog open</span>' in row
    assert "signal-rood" not in row
    # Nor set against the closed cycle before it (an open count is no fall).
    assert re.search(r'data-label="Verschil met vorige ronde">([^<]*)<', row).group(1) == "–"
    assert "procentpunt" not in row
    assert "Nog open: de respons wordt pas beoordeeld als de uiterste datum" in page
    # The PDF and the workbooks of the cycle say the same.
    data = CycleData.load(Cycle.get_by_id(cycle.id))
    path = tmp_path / "a.pdf"
    write_pdf(scope_report(data, "organisatie", a.id), path)
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    assert "\nRESP\n" in text
    assert "Nog open" in text.split("\nRESP\n", 2)[2].split("\n")[2:4]
    gemeente_workbook(data, shown["g2"].id, tmp_path / "g2.xlsx")
    overview = load_workbook(tmp_path / "g2.xlsx")["Overzicht"]
    resp = next(row for row in overview.iter_rows(values_only=True) if row[0] == "RESP (%)")
    assert "Nog open" in resp
    assert "Rood" not in resp
    # The closed cycle is judged as before.
    closed = client.get(f"/resultaten/organisatie/{a.id}?ronde=2026-Q1").get_data(as_text=True)
    assert "signal-nog_open" not in _section(closed, '<th scope="row">RESP</th>', "</tr>")


def test_rules_name_themes_by_title(client, shown):
    """The rules ("Hoe worden deze indicatoren berekend?") name a filter's theme as a
    reader knows it ("Thema 2"), not by its code ("T2")."""
    a = shown["orgs"]["A"]
    _login(client, shown["users"]["manager_a"])
    page = client.get(f"/resultaten/organisatie/{a.id}?ronde=2026-Q2").get_data(as_text=True)
    rules = _section(page, 'id="rekenregels"', "</details>")
    assert "Filter: thema&#39;s Thema 2." in rules or "Filter: thema's Thema 2." in rules
    assert not re.search(r"thema(&#39;|')s T2\b", rules)
