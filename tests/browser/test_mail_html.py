"""The quarterly mail's HTML part as a mail client shows it: Chromium at 390
and 800 px, light and dark (the client following the reader's setting): no
sideways scrolling, every text readable against what it is drawn on, and
axe's WCAG 2.1 A/AA rules."""

import datetime as dt

import pytest

from jobs.nightly import run_nightly
from models import User
from tests.browser.checks import axe_violations, contrast_failures, layout_failures
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture
from tests.reports.conftest import reports_world  # noqa: F401 - the shared fixture
from tests.reports.test_distribution import _settings


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_quarterly_mail_reads_well_in_a_mail_client(
    reports_world,  # noqa: F811
    smtp,
    tmp_path,
    browser,
    scheme,
):
    User.update(locale="en").where(User.email == "manager.c@example.nl").execute()
    run_nightly(dt.date(2026, 7, 16), settings=_settings(smtp, tmp_path))
    mails = {m["To"]: m.get_body(("html",)).get_content() for m in smtp.messages}
    assert len(mails) == 4  # two managers, a coordinator, a gemeente user
    problems = []
    for width in (390, 800):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        for address, html in mails.items():
            page.set_content(html)
            found = contrast_failures(page) + layout_failures(page) + axe_violations(page)
            problems += [f"{address} at {width} px ({scheme}): {p}" for p in found]
        context.close()
    assert not problems, "\n".join(problems)
