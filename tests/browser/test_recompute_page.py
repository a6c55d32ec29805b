"""Beheer → Nu herberekenen and Status in Chromium: axe-core (WCAG 2.1 A/AA),
our own contrast measurement and, at 390 px, no sideways scroll — before and
after a request."""

from models import RecomputeRequest
from tests import factories
from tests.browser import checks


def _check(page) -> list[str]:
    found = []
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(checks.SETTLE_JS)
        found += checks.axe_violations(page) + checks.contrast_failures(page)
        if width == 390:
            found += checks.layout_failures(page)
    return [f"{page.url}: {line}" for line in found]


def test_the_recompute_page_is_accessible(live_server, page, database):
    fw = factories.default_framework()
    cycle = factories.cycle(fw, "2026-Q1", state="gesloten")
    factories.user(("beheerder",), email="beheerder@example.nl")
    page.goto(live_server + "/inloggen")
    page.fill("input[name=email]", "beheerder@example.nl")
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.goto(live_server + "/beheer/herberekenen")
    failures = _check(page)
    page.select_option("#ronde", str(cycle.id))
    page.fill("#reden", "Norm gecorrigeerd na overleg")
    page.click("form.narrow button[type=submit]")
    page.wait_for_load_state("load")
    assert "Wacht op zijn beurt" in page.content()
    assert RecomputeRequest.get().reason == "Norm gecorrigeerd na overleg"
    failures += _check(page)
    page.goto(live_server + "/beheer/status")
    failures += _check(page)
    assert failures == []
