"""A whole quarter in the browser, each role in its own session: the
beheerder creates and opens a cycle, the invuller fills in, the manager
submits, the coordinator follows, reminds and reopens, the batch runs and
everyone opens their results and reports. Every page reached is checked
(axe-core WCAG 2.1 A/AA, our own contrast measurement, and at 390 px no
sideways scrolling and a reachable menu) at 1,280 and at 390 px; at the end
every GET route of the URL map must have been reached by some journey.

The journeys' steps are listed in one place, `journeys()` below: a new page
is a new step there (or a path in PAGES)."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from domain import indicators
from domain.reference import load_reference_data
from models import (
    Assessment,
    Cycle,
    IndicatorDefinition,
    OutboxMessage,
    ReportFile,
    User,
)
from tests import factories, journey
from tests.browser import checks

WIDE, NARROW = 1280, 390

# Routes that are not pages a person visits: exempt from the coverage check.
# Anything else answering GET (downloads included) must be reached by a journey.
NOT_PAGES = {"static", "owner_logo"}  # the logo is an image, not a page
# JOURNEY_SCREENSHOTS=DIR saves each checked page state at both widths.
SHOTS = os.environ.get("JOURNEY_SCREENSHOTS", "")


def _is_page_route(rule) -> bool:
    return (
        "GET" in rule.methods
        and rule.endpoint not in NOT_PAGES
        and not rule.rule.startswith("/api/")  # machine-readable feeds, not pages
        and rule.rule != "/health"  # the load balancer's probe
    )


class Tour:
    """Sessions for the roles, and the checks of every page they reach."""

    def __init__(self, browser, base: str, checking: bool = True):
        self.browser = browser
        self.base = base
        self.checking = checking
        self.failures: list[str] = []
        self.checked: set[str] = set()
        self.seconds_checking = 0.0
        self.contexts = []

    def session(self, user: User | None, width: int = WIDE):
        context = self.browser.new_context(
            locale="nl-NL", viewport={"width": width, "height": 900}, accept_downloads=True
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if user is not None:
            self.goto(page, "/inloggen", check=False)
            page.fill("#email", user.email)
            page.fill("#password", factories.PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{self.base}/")
        return page

    def goto(self, page, path: str, *, check: bool = True, label: str | None = None):
        page.goto(self.base + path)
        if check:
            self.check(page, label or path)
        return page

    def check(self, page, label: str) -> None:
        """All checks at both widths; a page state is checked once."""
        if label in self.checked or not self.checking:
            return
        self.checked.add(label)
        started = time.monotonic()
        page.wait_for_load_state("load")
        original = page.viewport_size
        for width in (WIDE, NARROW):
            page.set_viewport_size({"width": width, "height": 900})
            page.evaluate(checks.SETTLE_JS)
            found = checks.axe_violations(page) + checks.contrast_failures(page)
            if width == NARROW:
                found += checks.layout_failures(page)
            if SHOTS:  # to look at every page state as its users see it
                name = re.sub(r"[^\w-]+", "-", label).strip("-")
                page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
            self.failures += [f"{label} @{width}px: {line}" for line in found]
        page.set_viewport_size(original)
        self.seconds_checking += time.monotonic() - started

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def _token(path_prefix: str, email: str) -> str:
    message = (
        OutboxMessage.select()
        .where(OutboxMessage.to_address == email)
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    match = re.search(re.escape(path_prefix) + r"[^\s\"'<>]+", message.body_text)
    return match.group(0)


def _fill_all(page, score: str = "3", partner: str = "2") -> None:
    """Every agreement of a theme page answered: its own score, written
    down, the partners rated."""
    own = page.locator("fieldset.agreement > fieldset.score")
    for i in range(own.count()):
        own.nth(i).locator(f"input[value='{score}']").check()
    writing = page.locator("fieldset.inline-set[id$='-writing'] input[value='ja']")
    for i in range(writing.count()):
        writing.nth(i).check()
    closed = page.locator("details.partners:not([open]) > summary")
    for _ in range(closed.count()):
        closed.nth(0).click()
    partners = page.locator("fieldset.partners select")
    for i in range(partners.count()):
        partners.nth(i).select_option(partner)


def _fill_every_theme(page, base: str, form_path: str) -> None:
    """Every theme page in turn, answered and saved by its "Volgende thema"."""
    page.goto(f"{base}{form_path}/thema/1")
    while "/thema/" in page.url:
        _fill_all(page)
        page.click("nav.theme-nav button[value=volgende]")
        page.wait_for_load_state()
    assert page.url.endswith(f"{form_path}/signalen"), page.url


@pytest.fixture
def world(app, smtp):
    app.config["MAIL_PORT"] = smtp.port
    load_reference_data()
    chain = journey.people()
    indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
    return chain


def journeys(tour: Tour, w: dict, runner) -> None:
    """Every role's journey through the quarter, in order."""
    today = dt.date.today()
    admin, invuller, manager = w["admin"], w["invuller"], w["manager"]
    coordinator, gemeente_user = w["coordinator"], w["gemeente"]

    # --- anonymous: login, forgotten password, the public pages, errors -----
    anon = tour.session(None, NARROW)
    tour.goto(anon, "/inloggen")
    anon.fill("#email", invuller.email)
    anon.fill("#password", "verkeerd-wachtwoord")
    anon.click("button[type=submit]")
    tour.check(anon, "login with an error")
    tour.goto(anon, "/wachtwoord-vergeten")
    anon.fill("#email", invuller.email)
    anon.click("button[type=submit]")
    tour.check(anon, "forgot: sent")
    # The reset mail is queued by the outbox job (the page answers in constant time).
    from domain import accounts
    from web.links import reset_link

    with runner.app.app_context():
        accounts.process_reset_requests(reset_link(runner.app))
    tour.goto(anon, _token("/wachtwoord-herstellen/", invuller.email))
    tour.goto(anon, "/wachtwoord-herstellen/onbekend", label="reset: unknown token")
    tour.goto(anon, "/toegankelijkheid")
    for path in ("/over-deze-monitor", "/privacyverklaring", "/contact", "/begrippen", "/hulp"):
        tour.goto(anon, path)
    for role in ("invuller", "manager", "regiocoordinator", "gemeente", "beheerder"):
        tour.goto(anon, f"/hulp/{role}")
    tour.goto(anon, "/bestaat-niet", label="404 page")
    assert anon.request.get(tour.base + "/favicon.ico").status == 200

    # --- the beheerder creates and opens the cycle (early: confirms) ------
    boss = tour.session(admin)
    tour.check(boss, "dashboard before any cycle")
    tour.goto(boss, "/beheer/")
    tour.goto(boss, "/beheer/rondes")
    boss.fill("#period", "vierde kwartaal")
    boss.click("form.narrow button[type=submit]")
    expect(boss.locator(".error-summary")).to_contain_text("Periode")
    tour.check(boss, "cycles: new cycle with errors")
    boss.fill("#period", "2026-Q4")
    boss.fill("#opens_on", (today + dt.timedelta(days=7)).isoformat())
    boss.fill("#due_on", (today + dt.timedelta(days=30)).isoformat())
    boss.fill("#closes_on", (today + dt.timedelta(days=45)).isoformat())
    boss.click("form.narrow button[type=submit]")
    expect(boss.locator("main")).to_contain_text("Ronde 2026-Q4 is aangemaakt")
    expect(boss.locator("main")).to_contain_text(
        "Bij openen krijgen 2 organisaties een zelfevaluatie en ontvangen 3 personen "
        "een uitnodiging"
    )
    expect(boss.locator("main")).to_contain_text("opent volgens plan pas op")
    tour.check(boss, "cycle detail: planned, early")
    boss.check("#early")
    boss.click("form.open-cycle button[type=submit]")
    expect(boss.locator(".flash")).to_contain_text("is geopend: 2 zelfevaluaties")
    cycle = Cycle.get(Cycle.period == "2026-Q4")
    tour.check(boss, "cycle detail: open")
    tour.goto(boss, "/beheer/rondes", label="cycles list")
    boss.click("text=2026-Q4")  # the rows are links
    boss.wait_for_url(f"**/beheer/rondes/{cycle.id}")
    tour.goto(boss, f"/rondes/{cycle.id}/voortgang", label="monitor: national overview")
    boss.click(f"main table a:has-text('{w['region'].name}')")
    expect(boss.locator("h1")).to_contain_text(w["region"].name)
    tour.check(boss, "monitor: region")

    # --- the invuller fills in at 390 px: task list, theme pages, autosave --
    assessment = Assessment.get(Assessment.organisation == w["jgz"], Assessment.cycle == cycle)
    form_path = f"/zelfevaluaties/{assessment.id}"
    ivl = tour.session(invuller, NARROW)
    tour.check(ivl, "dashboard: invuller")
    ivl.click(f"a[href='{form_path}']")
    tour.check(ivl, "form: task list, not started")
    ivl.click("a.button:has-text('Ga verder met')")
    ivl.wait_for_url(f"**{form_path}/thema/1")
    tour.check(ivl, "form: theme page, empty")
    first = ivl.locator("fieldset.agreement").first
    first_id = first.get_attribute("id")
    ivl.click(f"label[for='{first_id}-score-3']")
    ivl.click(f"#{first_id} details.explanation summary")
    ivl.fill(f"#{first_id}-explanation", "Vast onderdeel van het werkoverleg.")
    expect(ivl.locator("#autosave-status")).to_contain_text("opgeslagen om", timeout=15_000)
    # Bad input: a date in the future, n.v.t. without a reason; the rest is
    # saved, the error summary names the agreement, the typed text stays.
    second = ivl.locator("fieldset.agreement").nth(1)
    second_id = second.get_attribute("id")
    ivl.click(f"label[for='{first_id}-writing-ja']")
    ivl.fill(f"#{first_id}-evaluated", (today + dt.timedelta(days=3)).isoformat())
    ivl.click(f"label[for='{second_id}-score-nvt']")
    ivl.click("div.actions button[value=opslaan]")
    summary = ivl.locator("#errors-title ~ ul")
    expect(summary).to_contain_text("Deze datum ligt in de toekomst")
    expect(ivl.locator(f"#{second_id}-reason-error")).to_contain_text("Geef aan waarom")
    expect(ivl.locator(f"#{first_id}-explanation")).to_have_value(
        "Vast onderdeel van het werkoverleg."
    )
    tour.check(ivl, "form: theme page with errors")
    ivl.fill(f"#{first_id}-evaluated", (today - dt.timedelta(days=30)).isoformat())
    ivl.fill(f"#{second_id}-reason", "Wij hebben geen eigen inloopspreekuur.")
    ivl.click("div.actions button[value=opslaan]")
    expect(ivl.locator(".flash")).to_contain_text("opgeslagen als concept")
    tour.check(ivl, "form: theme page, saved")
    # A link to an agreement lands on its theme page.
    ivl.goto(f"{tour.base}{form_path}/afspraak/{second_id[1:]}")
    assert ivl.url.endswith(f"{form_path}/thema/1#{second_id}")
    # The escalation signals, with a fourth row.
    tour.goto(ivl, f"{form_path}/signalen", label="form: signals")
    ivl.click("button[value=add_row]")
    expect(ivl.locator("table.escalations tbody tr")).to_have_count(4)
    ivl.select_option("#esc-3-agreement", index=1)
    ivl.fill("#esc-3-times", "2")
    ivl.click("div.actions button[value=save]")
    expect(ivl.locator(".flash")).to_contain_text("opgeslagen als concept")
    tour.check(ivl, "form: task list, in progress")
    tour.goto(ivl, f"{form_path}/bevestigen", label="form: confirm, nothing copied")
    tour.goto(ivl, f"{form_path}/geschiedenis", label="history")
    expect(ivl.locator("main")).not_to_contain_text("niet_gestart")
    tour.goto(ivl, "/account", label="my account")
    tour.goto(ivl, "/beheer/", label="403 page")

    # --- someone else saves in between: the invuller meets the conflict ---
    theme_path = f"{form_path}/thema/1"
    ivl.goto(tour.base + theme_path)
    mgr = tour.session(manager, NARROW)
    mgr.goto(tour.base + theme_path)
    mgr.click(f"label[for='{second_id}-score-2']")
    mgr.click("div.actions button[value=opslaan]")
    expect(mgr.locator(".flash")).to_contain_text("opgeslagen als concept")
    ivl.click(f"label[for='{second_id}-score-4']")
    ivl.click("div.actions button[value=opslaan]")
    expect(ivl.locator("#conflict-title")).to_be_visible()
    tour.check(ivl, "form: conflict")

    # --- the manager checks, sees what is missing, fills it in, submits ---
    mgr.goto(tour.base + form_path)
    tour.check(mgr, "form: task list, manager")
    mgr.click("a.button:has-text('Controleren en indienen')")
    mgr.wait_for_url(f"**{form_path}/controleren")
    main = mgr.locator("main")
    expect(main).to_contain_text("nog geen score of n.v.t.")
    # Partner ratings are listed in the same pass, beside the missing scores.
    expect(main).to_contain_text("nog geen oordeel over een partnerorganisatie")
    tour.check(mgr, "check: missing")
    _fill_every_theme(mgr, tour.base, form_path)
    mgr.goto(tour.base + form_path)
    mgr.click("a.button:has-text('Controleren en indienen')")
    mgr.get_by_role("button", name="Indienen").click()
    mgr.wait_for_url(f"**{form_path}/ingediend")
    tour.check(mgr, "submitted: confirmation")
    mgr.goto(tour.base + form_path)  # read as a summary now
    mgr.wait_for_url(f"**{form_path}/overzicht")
    tour.check(mgr, "submitted: summary")
    # The manager lets other regions ask about what works here.
    mgr.goto(tour.base + "/")
    mgr.click("a:has-text('Ervaringen delen met andere regio’s')")
    tour.check(mgr, "sharing: off by default")
    mgr.check("#enabled-yes")
    mgr.fill("#contact", "geen adres")
    mgr.click("form button:has-text('Opslaan')")
    expect(mgr.locator("#contact-error")).to_contain_text("Vul een geldig e-mailadres in")
    tour.check(mgr, "sharing: invalid address")
    mgr.fill("#contact", "vragen@jgz.voorbeeld.nl")
    mgr.click("form button:has-text('Opslaan')")
    expect(mgr.locator(".flash")).to_contain_text("Opgeslagen")

    # --- the coordinator follows progress, reminds and reopens ------------
    crd = tour.session(coordinator)
    tour.check(crd, "dashboard: coordinator")
    tour.goto(crd, "/resultaten", label="results: empty")
    tour.goto(crd, "/rapporten", label="reports: empty")
    tour.goto(crd, f"/rondes/{cycle.id}/voortgang", label="monitor: coordinator")
    crd.click(f"button:has-text('Herinnering sturen – {w['team'].name}')")
    expect(crd.locator(".flash")).to_contain_text("Herinnering verstuurd")
    with crd.expect_download() as xlsx:
        crd.click("text=Excel (.xlsx)")
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    with crd.expect_download() as csv:
        crd.click("text=CSV")
    assert csv.value.suggested_filename.endswith(".csv")
    crd.click(f"summary:has-text('Heropenen – {w['jgz'].name}')")
    crd.fill(f"#reason-{assessment.id}", "De partnerscores VT–JGZ kloppen niet.")
    crd.click(f"button:has-text('Heropenen – {w['jgz'].name}')")
    expect(crd.locator(".flash")).to_contain_text("is heropend")
    tour.check(crd, "monitor: after reopening")
    # Filtered and sorted, then everyone who has not submitted is reminded.
    crd.click("a:has-text('Nog niet ingediend (')")
    crd.click("th a:has-text('Status')")
    expect(crd.locator("th[aria-sort]")).to_contain_text("Status")
    tour.check(crd, "monitor: filtered and sorted")
    crd.click("button:has-text('Herinner iedereen die nog niet heeft ingediend')")
    expect(crd.locator("main")).to_contain_text("U stuurt nu een herinnering aan")
    tour.check(crd, "monitor: remind everyone, confirmation")
    crd.click("button:has-text('Ja, stuur de herinneringen')")
    expect(crd.locator(".flash")).to_contain_text("Herinnering verstuurd")

    # --- the invuller sees the reason on the dashboard and in the form ----
    ivl.goto(tour.base + "/")
    expect(ivl.locator("main")).to_contain_text("De partnerscores VT–JGZ kloppen niet.")
    tour.check(ivl, "dashboard: reopened")
    ivl.goto(tour.base + form_path)
    expect(ivl.locator("main")).to_contain_text("De partnerscores VT–JGZ kloppen niet.")
    tour.check(ivl, "form: reopened")
    mgr.goto(tour.base + form_path)
    mgr.click("a.button:has-text('Controleren en indienen')")
    mgr.get_by_role("button", name="Indienen").click()
    mgr.wait_for_url(f"**{form_path}/ingediend")

    # --- the batch runs ---------------------------------------------------
    result = runner.invoke(args=["batch", "run"])
    assert result.exit_code == 0, result.output
    assert ReportFile.select().count() > 0

    # --- manager, coordinator and gemeente open results and reports -------
    for page, who in ((mgr, "manager"), (crd, "coordinator")):
        tour.goto(page, "/resultaten", label=f"results: {who}")
        tour.goto(page, "/rapporten", label=f"reports: {who}")
        with page.expect_download() as report:
            page.locator("main table a").first.click()
        assert report.value.suggested_filename
    gem = tour.session(gemeente_user)
    tour.check(gem, "dashboard: gemeente")
    tour.goto(gem, "/resultaten", label="results: gemeente")
    tour.goto(gem, f"/resultaten/gemeente/{w['gemeente_obj'].id}", label="results: gemeente page")
    tour.goto(gem, f"/resultaten/organisatie/{w['jgz'].id}", label="results: not theirs")
    tour.goto(gem, "/rapporten", label="reports: gemeente")
    with gem.expect_download() as report:
        gem.locator("main table a").first.click()
    assert report.value.suggested_filename
    tour.goto(gem, "/resultaten/nederland", label="results: the country's map")
    # A personal token for the gemeente's own dashboard: made, shown once, revoked.
    tour.goto(gem, "/account/api-tokens", label="api tokens: none yet")
    gem.fill("#token-name", "Dashboard gemeente")
    gem.click("form.narrow button[type=submit]")
    expect(gem.locator("#token-secret")).to_be_visible()
    tour.check(gem, "api tokens: shown once")
    gem.locator("form.inline button[type=submit]").first.click()
    tour.check(gem, "api tokens: revoked")
    crd.goto(tour.base + f"/resultaten/regio/{w['region'].id}")
    tour.check(crd, "results: region page")
    tour.goto(crd, f"/resultaten/organisatie/{w['jgz'].id}", label="results: organisation page")

    # --- the beheerder's own rooms ----------------------------------------
    boss.goto(tour.base + "/beheer/gebruikers/nieuw")
    tour.check(boss, "new user")
    boss.fill("#email", "nieuw-example.nl")
    boss.click("form.narrow button[type=submit]")
    expect(boss.locator("#email")).to_have_attribute("aria-invalid", "true")
    tour.check(boss, "new user: with errors")
    boss.fill("#email", "nieuw@example.nl")
    boss.fill("#name", "Nieuwe Collega")
    boss.click("form.narrow button[type=submit]")
    tour.check(boss, "user: just created")
    assert User.get_or_none(User.email == "nieuw@example.nl") is not None
    for path in PAGES["beheerder"]:
        tour.goto(boss, path.format(**_ids(w, cycle)))
    with boss.expect_download() as example:
        boss.click("text=gebruikers (.xlsx)")
    assert example.value.suggested_filename == "voorbeeld-gebruikers.xlsx"
    with boss.expect_download() as example:
        boss.click("text=organisaties (.xlsx)")
    indicator = IndicatorDefinition.select().order_by(IndicatorDefinition.id).first()
    tour.goto(boss, f"/beheer/indicatoren/{indicator.id}")
    boss.fill("#green", "10")
    boss.fill("#orange", "90")
    boss.click("form.narrow button[type=submit]")
    tour.check(boss, "indicator: with errors")
    # The invitation the new user received, opened without a session.
    tour.goto(anon, _token("/uitnodiging/", "nieuw@example.nl"), label="invitation")
    # A form posted after its session token changed: the kind CSRF page.
    tour.goto(boss, "/beheer/rondes", label="cycles list (beheerder)")
    boss.fill("#period", "2027-Q1")
    boss.locator("form.narrow input[name=csrf_token]").evaluate("e => e.value = 'verlopen'")
    boss.click("form.narrow button[type=submit]")
    expect(boss.locator("main")).to_contain_text("2027-Q1")
    tour.check(boss, "csrf page")


# Pages the beheerder looks at without doing anything special; a new admin
# page is one more line here.
PAGES = {
    "beheerder": [
        "/beheer/gebruikers",
        "/beheer/gebruikers/{user_id}",
        "/beheer/gemeenten",
        "/beheer/gemeenten/{gemeente_id}",
        "/beheer/gemeenten/nieuw",
        "/beheer/organisaties",
        "/beheer/organisaties/{org_id}",
        "/beheer/organisaties/nieuw",
        "/beheer/regios",
        "/beheer/regios/{region_id}",
        "/beheer/regios/nieuw",
        "/beheer/indicatoren",
        "/beheer/audit",
        "/beheer/batch",
        "/beheer/status",
        "/beheer/herberekenen",
        "/beheer/import",  # last: the example downloads below are clicked here
    ],
}


def _ids(w: dict, cycle: Cycle) -> dict:
    return {
        "user_id": w["coordinator"].id,  # has a role: its "Verwijderen" is measured too
        "gemeente_id": w["gemeente_obj"].id,
        "org_id": w["jgz"].id,
        "region_id": w["region"].id,
        "cycle_id": cycle.id,
    }


def test_a_whole_quarter(app, backend, browser, recorded_server, world, runner):
    base, recorder = recorded_server
    # The pages look the same on either database: they are checked once (on
    # SQLite); on PostgreSQL the journeys run for their behaviour alone.
    tour = Tour(browser, base, checking=backend == "sqlite")
    started = time.monotonic()
    try:
        journeys(tour, world, runner)
    finally:
        tour.close()
    print(
        f"journeys: {time.monotonic() - started:.0f} s, of which checking "
        f"{len(tour.checked)} page states: {tour.seconds_checking:.0f} s"
    )
    assert tour.failures == [], "\n".join(tour.failures)
    # Every GET route was reached by some journey.
    adapter = app.url_map.bind("localhost")
    reached = set()
    for method, path in recorder.seen:
        if method != "GET":
            continue
        try:
            endpoint, _args = adapter.match(path, method="GET")
        except Exception:  # noqa: S112 - an unknown path (the 404 page) matches no route
            continue
        reached.add(endpoint)
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if _is_page_route(rule)}
    assert sorted(routes - reached) == [], "GET routes no journey reached"
