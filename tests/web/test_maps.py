"""Maps on the result pages: the country page, a region by gemeente, links
only where the user may follow them."""

import re

import pytest

from domain import computation
from models import Gemeente
from tests import factories
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def mapped(world):  # noqa: F811 - the fixture imported above
    """g1 Maastricht and g2 Heerlen in region 1, g3 Groningen in region 2."""
    for key, code in (("g1", "GM0935"), ("g2", "GM0917"), ("g3", "GM0014")):
        Gemeente.update(code=code).where(Gemeente.id == world[key].id).execute()
    computation.recompute()
    world["users"] = {
        "manager_a": factories.user(("manager", world["orgs"]["A"])),
        "coordinator_1": factories.user(("regiocoordinator", world["r1"])),
        "coordinator_2": factories.user(("regiocoordinator", world["r2"])),
        "gemeente_2": factories.user(("gemeente", world["g2"])),
    }
    return world


def _login(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def _links(svg: str) -> set[str]:
    return set(re.findall(r'<a href="([^"]+)"', svg))


def _svg(page: str) -> str:
    return page[page.index('<svg xmlns="http://www.w3.org/2000/svg" class="map"') :].split(
        "</svg>"
    )[0]


def test_country_page_maps_the_regions_with_links_in_scope(client, mapped):
    r1, r2 = mapped["r1"], mapped["r2"]
    _login(client, mapped["users"]["coordinator_2"])
    assert "/resultaten/nederland" in client.get("/resultaten").get_data(as_text=True)
    page = client.get("/resultaten/nederland?ronde=2026-Q2&kaart=MEAN").get_data(as_text=True)
    assert "<h1>Resultaten 2026-Q2 – Nederland</h1>" in page
    svg = _svg(page)
    assert _links(svg) == {f"/resultaten/regio/{r2.id}?ronde=2026-Q2"}
    # Each region's value is in its title; region 1: 60%, region 2: 75% (MEAN).
    assert f"<title>{r1.name}: 60,0%</title>" in svg
    assert f"<title>{r2.name}: 75,0%</title>" in svg
    assert "norm 75%" in svg
    assert "Kaart: CBS, PDOK" in svg
    # The same figures in the table beside it.
    assert re.search(rf"{r1.name}</th><td class=\"num\">60,0%</td>", page)


def test_manager_has_no_country_page(client, mapped):
    _login(client, mapped["users"]["manager_a"])
    assert client.get("/resultaten/nederland").status_code == 404
    assert "/resultaten/nederland" not in client.get("/resultaten").get_data(as_text=True)


def test_region_page_maps_its_gemeenten(client, mapped):
    g1, g2 = mapped["g1"], mapped["g2"]
    _login(client, mapped["users"]["coordinator_1"])
    page = client.get(f"/resultaten/regio/{mapped['r1'].id}?ronde=2026-Q2").get_data(as_text=True)
    svg = _svg(page)
    assert _links(svg) == {
        f"/resultaten/gemeente/{g1.id}?ronde=2026-Q2",
        f"/resultaten/gemeente/{g2.id}?ronde=2026-Q2",
    }
    assert f"<title>{g1.name}: 75,0%</title>" in svg
    assert f"<title>{g2.name}: 60,0%</title>" in svg
    assert 'stroke-width="3"' not in svg  # nothing highlighted on the region's own page


def test_gemeente_page_highlights_its_gemeente(client, mapped):
    g1, g2 = mapped["g1"], mapped["g2"]
    _login(client, mapped["users"]["gemeente_2"])
    page = client.get(f"/resultaten/gemeente/{g2.id}?ronde=2026-Q2").get_data(as_text=True)
    svg = _svg(page)
    assert _links(svg) == {f"/resultaten/gemeente/{g2.id}?ronde=2026-Q2"}  # not g1
    highlighted = re.findall(
        r'<path [^>]*stroke="#000000" stroke-width="3"[^>]*><title>([^<]+)', svg
    )
    assert highlighted == [f"{g2.name}: 60,0%"]
    assert f"<title>{g1.name}: 75,0%</title>" in svg
    # The map's indicator can be chosen without JavaScript.
    assert '<select id="kaart-indicator" name="kaart"' in page
    other = client.get(f"/resultaten/gemeente/{g2.id}?ronde=2026-Q2&kaart=GE3")
    assert ">GE3 in ronde 2026-Q2" in _svg(other.get_data(as_text=True)).split("</title>")[0]
