"""With JavaScript, drafts save themselves; without it, the buttons do the same."""

from playwright.sync_api import expect

from models import Answer, Assessment
from tests import factories, journey


def _login(page, base, user):
    page.goto(f"{base}/inloggen")
    page.fill("#email", user.email)
    page.fill("#password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_draft_saves_itself(live_server, page):
    chain = journey.build()
    first = chain["agreements"][0]
    _login(page, live_server, chain["invuller"])
    page.goto(f"{live_server}/zelfevaluaties/{chain['assessment'].id}")
    page.check(f"input[name='a{first.id}-score'][value='3']")
    page.fill(f"#a{first.id}-explanation", "Vast onderdeel van het werkoverleg.")
    # No script evaluation here: the page's CSP forbids it, as it should.
    expect(page.locator("#version")).to_have_value("1", timeout=15_000)
    expect(page.locator("#autosave-status")).to_contain_text("Automatisch opgeslagen")
    expect(page.locator("[data-answered]")).to_have_text("1")
    answer = Answer.get(Answer.agreement == first.id)
    assert answer.score == 3
    assert answer.explanation == "Vast onderdeel van het werkoverleg."
    # A manual save after the autosave goes through: the version moved along.
    page.check(f"input[name='a{first.id}-score'][value='4']")
    page.click("button[value=save]")
    page.wait_for_load_state()
    assert "opgeslagen als concept" in page.inner_text("main")
    assert Answer.get(Answer.agreement == first.id).score == 4
    assert Assessment.get_by_id(chain["assessment"].id).state == "concept"
