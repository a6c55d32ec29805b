"""Checking and submitting in the browser: the invuller marks the
assessment "klaar voor controle", the manager (without JavaScript) checks
the answers, follows a link to what is missing, submits and reads the
confirmation and the summary, prints it; the coordinator reopens it from
the summary. Every page state is checked at 1,280 and 390 px with axe-core
(WCAG 2.1 A/AA), the contrast measurement and, at 390 px, the layout."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from domain import assessment_form, assessment_saving
from models import Assessment, OutboxMessage
from tests import factories, journey
from tests.browser.test_journeys import Tour

TODAY = dt.date.today()


@pytest.fixture
def chain(app):
    return journey.build()


def _save(chain, leave_out: int = 0) -> None:
    """Everything answered (as the theme pages would save it), but the first
    `leave_out` agreements' scores."""
    form = journey.complete_form(chain["agreements"])
    for agreement in chain["agreements"][:leave_out]:
        del form[f"a{agreement.id}-score"]
    assessment = Assessment.get_by_id(chain["assessment"].id)
    parsed = assessment_form.parse_form(form, chain["agreements"], TODAY)
    assessment_saving.save_answers(chain["invuller"], assessment, assessment.version, parsed)


def test_ready_check_submit_confirm_summary_reopen(app, browser, recorded_server, chain):
    base, _recorder = recorded_server
    tour = Tour(browser, base)
    assessment = chain["assessment"]
    path = f"/zelfevaluaties/{assessment.id}"
    first = chain["agreements"][0]
    _save(chain, leave_out=1)
    OutboxMessage.delete().execute()
    try:
        # --- the invuller: the manager submits; "klaar voor controle" ------
        ivl = tour.session(chain["invuller"], 390)
        tour.goto(ivl, f"{path}/controleren", label="check: invuller")
        main = ivl.locator("main")
        expect(main).to_contain_text("De manager van uw organisatie dient de zelfevaluatie in")
        expect(ivl.get_by_role("button", name="Indienen")).to_have_count(0)
        ivl.get_by_role("button", name="Klaar voor controle").click()
        expect(ivl.locator(".flash-info")).to_contain_text("De managers krijgen hiervan een e-mail")
        expect(main).to_contain_text(f"Gemeld door {chain['invuller'].name}")
        tour.check(ivl, "check: invuller, marked ready")
        mails = list(OutboxMessage.select())
        assert [m.to_address for m in mails] == [chain["manager"].email]
        assert mails[0].subject.endswith("is klaar voor controle")

        # --- the manager: check, fix, submit; the posts without JavaScript ---
        # (the checks evaluate scripts, so they look at the same pages in a
        # second session of the manager's with JavaScript on)
        mgr = tour.session(chain["manager"])
        expect(mgr.locator("main")).to_contain_text("Klaar voor controle")  # the dashboard
        tour.goto(mgr, f"{path}/controleren", label="check: manager, one missing")
        context = browser.new_context(
            locale="nl-NL", viewport={"width": 1280, "height": 900}, java_script_enabled=False
        )
        tour.contexts.append(context)
        plain = context.new_page()
        plain.set_default_timeout(15_000)
        plain.goto(base + "/inloggen")
        plain.fill("#email", chain["manager"].email)
        plain.fill("#password", factories.PASSWORD)
        plain.click("button[type=submit]")
        plain.wait_for_url(f"{base}/")
        plain.goto(f"{base}{path}/controleren")
        missing = plain.locator("section.missing-list")
        expect(missing).to_contain_text(first.code)
        expect(missing).to_contain_text("nog geen score of n.v.t.")
        expect(plain.get_by_role("button", name="Indienen")).to_have_count(0)
        # The link to what is missing lands on the agreement in its theme page.
        missing.locator(f"a[href$='#a{first.id}']").click()
        assert re.search(rf"{path}/thema/1#a{first.id}$", plain.url), plain.url
        _save(chain)  # the manager answers it there
        tour.goto(mgr, f"{path}/controleren", label="check: manager, complete")
        plain.goto(f"{base}{path}/controleren")
        expect(plain.locator("section.missing-list")).to_have_count(0)
        plain.get_by_role("button", name="Indienen").click()
        plain.wait_for_url(f"**{path}/ingediend")
        panel = plain.locator(".panel-confirm")
        expect(panel).to_contain_text("Zelfevaluatie ingediend")
        expect(panel).to_contain_text(f"2026-Q4-{assessment.id:05d}")
        expect(plain.locator("main")).to_contain_text("Wat gebeurt er nu?")
        expect(plain.locator("main")).to_contain_text(chain["manager"].name)
        assert Assessment.get_by_id(assessment.id).state == "ingediend"
        plain.get_by_role("link", name="Ingediende antwoorden bekijken of afdrukken").click()
        plain.wait_for_url(f"**{path}/overzicht")
        tour.goto(mgr, f"{path}/ingediend", label="confirmation")
        mgr.get_by_role("link", name="Ingediende antwoorden bekijken of afdrukken").click()
        mgr.wait_for_url(f"**{path}/overzicht")
        expect(mgr.locator("main")).to_contain_text("Ingediende antwoorden")
        expect(mgr.locator("main")).to_contain_text(first.title)
        expect(mgr.locator("main input:visible, main select, main textarea")).to_have_count(0)
        tour.check(mgr, "summary: manager")

        # --- printed: no navigation, no controls, few pages ----------------
        mgr.emulate_media(media="print")
        for hidden in ("header.top nav", "footer.foot", ".crumbs"):
            expect(mgr.locator(hidden).first).to_be_hidden()
        expect(mgr.locator("main h1")).to_be_visible()
        pdf = PdfReader(io.BytesIO(mgr.pdf(format="A4")))
        text = "".join(p.extract_text() for p in pdf.pages)
        assert first.title.split()[0] in text
        assert "Uitloggen" not in text
        assert "Geschiedenis" not in text
        assert len(pdf.pages) <= 12
        mgr.emulate_media(media="screen")

        # --- the coordinator reopens from the summary ------------------------
        OutboxMessage.delete().execute()
        crd = tour.session(chain["coordinator"])
        tour.goto(crd, f"{path}/overzicht", label="summary: coordinator")
        crd.fill("#reason", "De toelichting bij de eerste afspraak ontbreekt.")  # mailed
        crd.get_by_role("button", name="Heropenen").click()
        expect(crd.locator(".flash-info")).to_contain_text("krijgen uw reden per e-mail")
        tour.check(crd, "summary: reopened")
        assert Assessment.get_by_id(assessment.id).state == "heropend"
        reopened = list(OutboxMessage.select())
        assert sorted(m.to_address for m in reopened) == sorted(
            [chain["manager"].email, chain["invuller"].email]
        )
        assert all(
            "De toelichting bij de eerste afspraak ontbreekt." in m.body_text for m in reopened
        )
    finally:
        tour.close()
    assert tour.failures == [], "\n".join(tour.failures)
