"""The form in Chromium: autosave keeps every valid answer and marks the
invalid one at its field and in the status bar; leaving with unsaved changes
warns; a failed save is tried again; without JavaScript the theme pages are
plain forms; on the demo no page of the form is taller than 8,000 px at 1,280."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

import demo
from domain import assessment_agreements, assessment_completeness, assessment_steps
from domain.reference import load_reference_data
from models import Answer, Assessment, Cycle, ImprovementAction, Organisation
from tests import factories, journey

TODAY = dt.date.today()


def _login(page, base, email, password=factories.PASSWORD):
    page.goto(f"{base}/inloggen")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _cards(page) -> list[str]:
    return page.eval_on_selector_all("fieldset.agreement", "els => els.map(e => e.id)")


def test_autosave_never_loses_a_valid_answer(live_server, page):
    chain = journey.build()
    assessment_id = chain["assessment"].id
    _login(page, live_server, chain["invuller"].email)
    page.goto(f"{live_server}/zelfevaluaties/{assessment_id}/thema/1")
    a, b, c, d = _cards(page)[:4]
    # The reason appears only with n.v.t.; 'schriftelijk' only with a score.
    expect(page.locator(f"#{a}-reason")).to_be_hidden()
    expect(page.locator(f"#{b}-writing")).to_be_hidden()
    # n.v.t. without a reason on one agreement, then a score, an explanation
    # and an action on others.
    page.click(f"label[for='{a}-score-nvt']")
    expect(page.locator(f"#{a}-reason")).to_be_visible()
    page.click(f"label[for='{b}-score-3']")
    expect(page.locator(f"#{b}-writing")).to_be_visible()
    page.click(f"#{c} details.explanation summary")
    page.fill(f"#{c}-explanation", "Besproken in het ketenoverleg.")
    page.click(f"#{d} details.action summary")
    page.fill(f"#{d}-action", "Werkafspraken opnieuw bespreken")
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("Nog aan te vullen", timeout=15_000)
    # The missing reason is marked at its field and linked from the bar.
    reason = page.locator(f"#{a}-reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{a}-reason-error")).to_contain_text("Geef aan waarom")
    link = status.locator(f"a[href='#{a}-reason']")
    expect(link).to_contain_text("Geef aan waarom")
    link.click()
    expect(reason).to_be_focused()
    # A value the server cannot store (a date in the future) is marked and
    # not saved; a valid change beside it is.
    page.click(f"label[for='{b}-writing-ja']")
    page.fill(f"#{b}-evaluated", (TODAY + dt.timedelta(days=5)).isoformat())
    page.fill(f"#{c}-explanation", "Besproken in het ketenoverleg van maart.")
    expect(status).to_contain_text("1 veld niet opgeslagen", timeout=15_000)
    expect(page.locator(f"#{b}-evaluated")).to_have_attribute("aria-invalid", "true")
    expect(status.locator(f"a[href='#{b}-evaluated']")).to_contain_text("toekomst")
    # Leaving now warns: the date is not saved.
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    page.reload()
    assert dialogs == ["beforeunload"]
    stored = {x.agreement_id: x for x in Answer.select()}
    ids = {key: int(key[1:]) for key in (a, b, c, d)}
    assert stored[ids[a]].not_applicable
    assert (stored[ids[b]].score, stored[ids[b]].in_writing) == (3, True)
    assert stored[ids[b]].last_evaluated_on is None
    assert stored[ids[c]].explanation == "Besproken in het ketenoverleg van maart."
    assert ImprovementAction.get().description == "Werkafspraken opnieuw bespreken"
    # After the reload the n.v.t. without a reason is still marked at its field.
    expect(page.locator(f"#{a}-reason")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{a}-reason-error")).to_contain_text("Geef aan waarom")
    expect(page.locator(f"input#{a}-score-nvt")).to_be_checked()
    # Giving the reason clears the mark; nothing is left unsaved, so leaving
    # does not warn.
    page.fill(f"#{a}-reason", "Geen eigen inloopspreekuur.")
    expect(status).to_contain_text("Alles opgeslagen", timeout=15_000)
    expect(page.locator(f"#{a}-reason-error")).to_have_count(0)
    expect(reason).not_to_have_attribute("aria-invalid", "true")
    page.reload()
    assert dialogs == ["beforeunload"]


def test_what_a_saved_answer_still_lacks_is_named_in_the_bar(live_server, page):
    """A score without 'schriftelijk' is stored, marked at the field and
    linked from the bar ("nog aan te vullen"); many
    such fields: three links and a count, each still marked at its field."""
    chain = journey.build()
    assessment_id = chain["assessment"].id
    _login(page, live_server, chain["invuller"].email)
    page.goto(f"{live_server}/zelfevaluaties/{assessment_id}/thema/1")
    cards = _cards(page)
    first = cards[0]
    page.click(f"label[for='{first}-score-2']")
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("Nog aan te vullen", timeout=15_000)
    link = status.locator(f"a[href='#{first}-writing']")
    expect(link).to_contain_text("schriftelijk")
    expect(page.locator(f"#{first}-writing-error")).to_contain_text("schriftelijk")
    assert Answer.get().score == 2
    link.click()
    expect(page.locator(f"#{first}-writing-ja")).to_be_focused()
    page.click(f"label[for='{first}-writing-ja']")
    expect(status).to_have_text(re.compile(r"Alles opgeslagen om \d\d:\d\d\."), timeout=15_000)
    expect(page.locator(f"#{first}-writing-error")).to_have_count(0)
    # Four more scores without 'schriftelijk': three links in the bar, the
    # rest counted.
    others = cards[1:5]
    assert len(others) == 4
    for card in others:
        page.click(f"label[for='{card}-score-3']")
    expect(status).to_contain_text("gemarkeerd bij de velden.", timeout=15_000)
    for card in others:
        expect(page.locator(f"#{card}-writing-error")).to_contain_text("schriftelijk")
    marked = page.locator("#assessment-form .field-error").count()
    assert marked >= 4
    expect(status.locator("a")).to_have_count(3)
    expect(status).to_contain_text(f"en nog {marked - 3}, gemarkeerd bij de velden.")
    assert Answer.select().where(Answer.score == 3).count() == 4


def test_a_failed_save_is_tried_again(live_server, page):
    chain = journey.build()
    assessment_id = chain["assessment"].id
    _login(page, live_server, chain["invuller"].email)
    page.goto(f"{live_server}/zelfevaluaties/{assessment_id}/thema/1")
    first = _cards(page)[0]
    failed = []

    def once_offline(route):
        if not failed:
            failed.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/automatisch-opslaan", once_offline)
    page.click(f"label[for='{first}-score-2']")
    status = page.locator("#autosave-status")
    expect(status).to_contain_text("Opslaan lukte niet", timeout=15_000)
    expect(status).to_contain_text("probeert de pagina het opnieuw")
    assert Answer.select().count() == 0
    expect(status).to_contain_text("opgeslagen om", timeout=30_000)
    assert len(failed) == 1
    assert Answer.get().score == 2


def test_theme_pages_work_without_javascript(live_server, browser):
    chain = journey.build()
    assessment_id = chain["assessment"].id
    context = browser.new_context(locale="nl-NL", java_script_enabled=False)
    try:
        page = context.new_page()
        _login(page, live_server, chain["invuller"].email)
        page.goto(f"{live_server}/zelfevaluaties/{assessment_id}")
        page.click("a.button:has-text('Ga verder met')")
        page.wait_for_url(f"**/zelfevaluaties/{assessment_id}/thema/1")
        first = _cards(page)[0]
        # Without the script every field shows; the server ignores what does not apply.
        expect(page.locator(f"#{first}-reason")).to_be_visible()
        page.click(f"label[for='{first}-score-nvt']")
        page.fill(f"#{first}-reason", "Geen casuïstiek in deze periode.")
        page.click("button[value=volgende]")
        page.wait_for_url(f"**/zelfevaluaties/{assessment_id}/thema/2")
        answer = Answer.get()
        assert (answer.not_applicable, answer.not_applicable_reason) == (
            True,
            "Geen casuïstiek in deze periode.",
        )
        page.click("button[value=vorige]")
        page.wait_for_url(f"**/zelfevaluaties/{assessment_id}/thema/1")
        expect(page.locator(f"input#{first}-score-nvt")).to_be_checked()
    finally:
        context.close()


@pytest.fixture
def demo_world(app):
    load_reference_data()
    factories.default_framework()
    demo.generate("small", seed=1, last_period="2026-Q4", today=dt.date(2026, 12, 6))
    return app


def test_no_page_of_the_form_is_taller_than_8000_px_on_the_demo(demo_world, live_server, browser):
    """The demo's JGZ Zuid-Limburg, team Noord, in 2026-Q4, with every answer
    of 2026-Q3 copied in (the fullest the pages get), at 1,280 px wide: the
    task list, every theme page, the signals page, the list of copied answers
    to confirm, the check page (the invuller's, as 'klaar voor controle' leads
    there, and the manager's); then confirmed and submitted: the confirmation
    and the summary."""
    organisation = Organisation.get(Organisation.name == "JGZ Zuid-Limburg, team Noord")
    assessment = (
        Assessment.select()
        .join(Cycle)
        .where(Assessment.organisation == organisation, Cycle.period == "2026-Q4")
        .get()
    )

    invuller, manager = (
        factories.holder(organisation, "invuller"),
        factories.holder(organisation, "manager"),
    )
    assessment_steps.copy_previous(invuller, assessment)
    agreements = assessment_agreements.applicable_agreements(assessment)
    themes = assessment_completeness.theme_states(
        agreements, assessment_completeness.agreement_states(assessment, agreements)
    )
    path = f"/zelfevaluaties/{assessment.id}"
    heights = {}

    def measure(email, pages):
        context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            _login(page, live_server, email, demo.DEMO_PASSWORD)
            for name, url in pages:
                page.goto(live_server + url)
                assert page.url.endswith(url), (page.url, url)
                heights[name] = page.evaluate("document.documentElement.scrollHeight")
                if name == "taken" and email == invuller.email:
                    # 'Klaar voor controle' leads to the check page, with its message.
                    page.get_by_role("button", name="Klaar voor controle").click()
                    page.wait_for_url(f"**{path}/controleren")
                    flash = page.locator(".flash-info").first
                    expect(flash).to_contain_text("klaar gemeld voor controle")
                    heights["controleren (invuller, na klaar melden)"] = page.evaluate(
                        "document.documentElement.scrollHeight"
                    )
        finally:
            context.close()

    measure(
        invuller.email,
        [(f"thema {t.number}", f"{path}/thema/{t.number}") for t in themes]
        + [
            ("taken", path),
            ("signalen", f"{path}/signalen"),
            ("bevestigen", f"{path}/bevestigen"),
            ("controleren (invuller)", f"{path}/controleren"),
        ],
    )
    measure(manager.email, [("controleren (manager)", f"{path}/controleren")])
    assessment_steps.confirm_copied(manager, Assessment.get_by_id(assessment.id))
    assert assessment_steps.submit(manager, Assessment.get_by_id(assessment.id)) == []
    measure(
        manager.email,
        [("ingediend", f"{path}/ingediend"), ("overzicht", f"{path}/overzicht")],
    )
    print("page heights at 1280 px:", heights)
    assert len(heights) == len(themes) + 8
    assert max(heights.values()) <= 8000, heights
