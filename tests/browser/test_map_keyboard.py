"""The map's shapes are links a keyboard reaches and follows."""

from domain import computation
from models import Gemeente
from tests import factories
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture


def test_map_shapes_are_reached_and_followed_by_keyboard(live_server, page, world):  # noqa: F811
    for key, code in (("g1", "GM0935"), ("g2", "GM0917"), ("g3", "GM0014")):
        Gemeente.update(code=code).where(Gemeente.id == world[key].id).execute()
    computation.recompute()
    coordinator = factories.user(("regiocoordinator", world["r1"]))
    page.goto(f"{live_server}/inloggen")
    page.fill("#email", coordinator.email)
    page.fill("#password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/resultaten/regio/{world['r1'].id}?ronde=2026-Q2")
    page.focus("#kaart-indicator")
    page.keyboard.press("Tab")  # the "Tonen" button
    page.keyboard.press("Tab")  # the first shape on the map
    focused = page.locator(":focus")
    href = focused.get_attribute("href")
    assert href in {
        f"/resultaten/gemeente/{world['g1'].id}?ronde=2026-Q2",
        f"/resultaten/gemeente/{world['g2'].id}?ronde=2026-Q2",
    }
    assert focused.get_attribute("aria-label").endswith("%")  # name and value
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}{href}")
    assert page.title().startswith("Resultaten 2026-Q2 – ")
