"""Every results page for every role fits the screen: at 390 px the page is
never wider than the viewport (the scorecard becomes a card per indicator,
wide tables scroll in their own box, charts scale), and at 1,280 px the
scorecard and every other table fit their column without being cut off. Each page also passes
axe-core and the contrast check."""

from __future__ import annotations

from domain import computation
from models import Gemeente, Organisation
from tests import factories
from tests.browser import checks
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture

ROLES = ("beheerder", "regiocoordinator", "manager", "gemeente")


def _login(browser, base: str, email: str, width: int):
    context = browser.new_context(locale="nl-NL", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/inloggen")
    page.fill("#email", email)
    page.fill("#password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return context, page


def _results_pages(page, base: str) -> list[str]:
    """Every results page the person's overview links to, and the country."""
    page.goto(f"{base}/resultaten")
    links = page.eval_on_selector_all(
        "main a[href^='/resultaten/']", "els => els.map(e => e.getAttribute('href'))"
    )
    return sorted(set(links))


def test_every_results_page_fits_at_390_and_1280(live_server, browser, world):  # noqa: F811
    for key, code in (("g1", "GM0935"), ("g2", "GM0917"), ("g3", "GM0014")):
        Gemeente.update(code=code).where(Gemeente.id == world[key].id).execute()
    # A long name heads a scorecard column: the table must still fit at 1,280 px.
    Organisation.update(
        name="Jeugdgezondheidszorg Zuid-Limburg, team Noord-Oost en Heuvelland"
    ).where(Organisation.id == world["orgs"]["A"].id).execute()
    computation.recompute()
    users = {
        "beheerder": factories.user(("beheerder",)),
        "regiocoordinator": factories.user(("regiocoordinator", world["r1"])),
        "manager": factories.user(("manager", world["orgs"]["A"])),
        "gemeente": factories.user(("gemeente", world["g2"])),
    }
    failures, seen = [], {}
    for role in ROLES:
        context, page = _login(browser, live_server, users[role].email, 390)
        pages = _results_pages(page, live_server)
        assert pages, role
        seen[role] = pages
        for path in pages:
            for width in (390, 1280):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(f"{live_server}{path}?ronde=2026-Q2")
                page.evaluate(checks.SETTLE_JS)
                where = f"{role} {path} @{width}"
                width_now = page.evaluate("document.documentElement.scrollWidth")
                if width_now > width:
                    failures.append(f"{where}: page {width_now} px wide")
                failures += (
                    [f"{where}: {p}" for p in checks.layout_failures(page)] if width == 390 else []
                )
                # The scorecard is never cut off: its table fits its box.
                clipped = page.evaluate(
                    """() => [...document.querySelectorAll('.scorecard-wrap')]
                        .filter(box => box.scrollWidth > box.clientWidth + 1).length"""
                )
                if clipped:
                    failures.append(f"{where}: scorecard wider than its column")
                if width == 1280:
                    # On a wide screen no table is cut off: the trend tables'
                    # last column (Nederland), the organisations side by side
                    # and the actions per agreement fit their boxes.
                    cut = page.evaluate(
                        """() => [...document.querySelectorAll('main .table-scroll')]
                            .filter(box => box.scrollWidth > box.clientWidth + 1)
                            .map(box => box.getAttribute('aria-label'))"""
                    )
                    failures += [f"{where}: table cut off: {label}" for label in cut]
                # Charts scale with their box: none wider than its container.
                wide_charts = page.evaluate(
                    """() => [...document.querySelectorAll('main svg')]
                        .filter(svg => svg.getBoundingClientRect().right >
                                       document.documentElement.clientWidth + 0.5).length"""
                )
                if wide_charts:
                    failures.append(f"{where}: {wide_charts} charts past the edge")
                if width == 390:
                    failures += [f"{where}: {line}" for line in checks.axe_violations(page)]
                    failures += [f"{where}: {line}" for line in checks.contrast_failures(page)]
        context.close()
    assert any("/resultaten/organisatie/" in p for p in seen["manager"])
    assert any("/resultaten/gemeente/" in p for p in seen["gemeente"])
    assert any("/resultaten/regio/" in p for p in seen["regiocoordinator"])
    assert any("/resultaten/nederland" in p for p in seen["regiocoordinator"])
    assert failures == [], "\n".join(failures)
