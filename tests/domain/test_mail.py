"""The outbox: queued once, delivered over real SMTP, surviving an outage."""

import datetime as dt
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from jinja2 import FileSystemLoader, StrictUndefined, UndefinedError

from domain import mail
from models import OutboxMessage, utcnow
from tests import factories


def test_queue_once_per_dedupe_key(database):
    first = mail.queue("k1", "a@example.nl", "Onderwerp", "Tekst")
    assert first is not None
    assert mail.queue("k1", "a@example.nl", "Onderwerp", "Tekst") is None
    assert OutboxMessage.select().count() == 1


def test_delivery_over_smtp(database, smtp):
    user = factories.user(email="ontvanger@example.nl")
    mail.queue_template("reset:test", user, "reset", link="https://x/abc", hours=2)
    result = mail.deliver_outbox(smtp.settings())
    assert result == {"sent": 1, "retry": 0, "failed": 0}
    (message,) = smtp.messages
    assert message["To"] == "ontvanger@example.nl"
    assert message["Subject"] == "Nieuw wachtwoord instellen voor de Afsprakenmonitor"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "https://x/abc" in text
    assert 'href="https://x/abc"' in html
    assert OutboxMessage.get().state == "verzonden"
    # Delivered once: a second run sends nothing.
    assert mail.deliver_outbox(smtp.settings())["sent"] == 0
    assert len(smtp.messages) == 1


def test_outage_keeps_mail_until_the_server_is_back(database, smtp):
    for n in range(3):
        mail.queue(f"outage:{n}", f"p{n}@example.nl", f"Bericht {n}", "Tekst")
    smtp.stop()
    now = utcnow()
    down = mail.deliver_outbox(smtp.settings(), now=now)
    assert down["sent"] == 0
    assert down["retry"] == 1  # the first attempt failed; the rest was not even tried
    waiting = list(OutboxMessage.select().order_by(OutboxMessage.id))
    assert [m.state for m in waiting] == ["wachtend"] * 3
    assert waiting[0].last_error
    assert waiting[0].next_attempt_at > now
    # Not due yet: nothing happens even with the server back.
    smtp.start()
    assert mail.deliver_outbox(smtp.settings(), now=now)["sent"] == 2
    later = now + dt.timedelta(minutes=5)
    assert mail.deliver_outbox(smtp.settings(), now=later)["sent"] == 1
    assert sorted(m["Subject"] for m in smtp.messages) == ["Bericht 0", "Bericht 1", "Bericht 2"]
    assert OutboxMessage.select().where(OutboxMessage.state != "verzonden").count() == 0
    assert mail.deliver_outbox(smtp.settings(), now=later + dt.timedelta(hours=1))["sent"] == 0
    assert len(smtp.messages) == 3


def test_gives_up_after_many_attempts(database, smtp):
    mail.queue("hopeless", "x@example.nl", "Onderwerp", "Tekst")
    smtp.stop()
    now = utcnow()
    for _ in range(mail.MAX_ATTEMPTS):
        mail.deliver_outbox(smtp.settings(), now=now)
        now += dt.timedelta(days=1)
    message = OutboxMessage.get()
    assert message.state == "mislukt"
    assert message.attempts == mail.MAX_ATTEMPTS


def test_mail_dates_are_written_by_the_one_formatting_module(database):
    user = factories.user(email="invuller@example.nl")
    cycle = factories.cycle(factories.default_framework(), "2026-Q2")
    cycle.due_on, cycle.closes_on = dt.date(2026, 6, 15), dt.date(2026, 7, 15)
    organisation = factories.organisation(factories.region(), "jgz", "JGZ Test")
    mail.queue_template(
        "invite:test",
        user,
        "cycle_invite",
        cycle=cycle,
        link="https://x/1",
        organisation=organisation,
    )
    body = OutboxMessage.get().body_text
    assert "Vul vóór 15 juni 2026 in" in body
    assert "de ronde sluit op 15 juli 2026." in body


# --- every template, for every kind of recipient ------------------------------

ROLES = ("beheerder", "regiocoordinator", "manager", "invuller", "gemeente")
_CYCLE = SimpleNamespace(
    id=7,
    period="2026-Q4",
    due_on=dt.date(2026, 12, 15),
    closes_on=dt.date(2027, 1, 15),
)
_ORGANISATION = SimpleNamespace(name="JGZ Zuid-Limburg, team Noord")


def _contexts(template: str, role: str) -> list[dict]:
    """The contexts a template is rendered with for a recipient of a role, as
    its callers pass them; empty when the template is not sent to that role."""
    people = {"manager", "invuller"}
    if template == "invite":
        return [
            {"link": "https://am.example/uitnodiging/t0k3n", "days": 7, "roles": []},
            {
                "link": "https://am.example/uitnodiging/t0k3n",
                "days": 7,
                "roles": [f"{role} – Zuid-Limburg", "Invuller – JGZ Zuid-Limburg"],
            },
        ]
    if template == "reset":
        return [{"link": "https://am.example/wachtwoord/t0k3n", "hours": 2}]
    if template == "nightly_alert":
        if role != "beheerder":
            return []
        return [
            {"period": "2026-12-06", "state": state, "link": "https://am.example/beheer/status"}
            for state in ("mislukt", "ontbreekt")
        ]
    common = {"cycle": _CYCLE, "organisation": _ORGANISATION, "link": "https://am.example/z/3"}
    if template == "cycle_invite":
        return [common] if role in people else []
    if template == "submitted":
        if role not in people:
            return []
        by = SimpleNamespace(name="Yara Vos", email="yara@example.nl")
        return [
            common,
            {**common, "submitted_by": by, "submitted_at": dt.datetime(2026, 12, 3, 14, 5)},
        ]
    if template == "reminder":
        if role not in people:
            return []
        return [
            {**common, "days_left": days, "answered": answered, "total": 57}
            for days, answered in ((9, 12), (1, 1), (0, 56))
        ]
    if template == "api_tokens_revoked":  # to anyone who made a key
        from domain.api_tokens import REVOKE_REASONS

        return [
            {"reason": REVOKE_REASONS[why], "why": why, "count": count, "names": names}
            for why in REVOKE_REASONS
            for count, names in ((1, "Dashboard gemeente"), (2, "Dashboard gemeente, Excel"))
        ]
    someone = SimpleNamespace(name="Yara Vos", email="yara@example.nl")
    if template == "ready_for_review":
        return [{**common, "actor": someone}] if role == "manager" else []
    if template == "reopened":
        if role not in people:
            return []
        reason = "De cijfers van thema 2 kloppen niet."
        moment = dt.datetime(2026, 12, 3, 14, 5)
        return [{**common, "actor": someone, "reason": reason, "reopened_at": moment}]
    # A template added since: rendered for everyone with what mails about an
    # assessment usually carry; a variable beyond these fails the test
    # (StrictUndefined), asking for its own context here.
    someone = SimpleNamespace(name="Yara Vos", email="yara@example.nl")
    moment = dt.datetime(2026, 12, 3, 14, 5)
    assessment = SimpleNamespace(
        id=3, version=4, cycle=_CYCLE, organisation=_ORGANISATION, state="ingediend"
    )
    return [
        {
            **common,
            "assessment": assessment,
            "actor": someone,
            "by": someone,
            "submitted_by": someone,
            "submitter": someone,
            "submitted_at": moment,
            "at": moment,
            "when": moment,
            "reason": "De cijfers van thema 2 kloppen niet.",
        }
    ]


# Templates whose content needs a closed cycle with results: rendered for
# every role, in both languages, by the distribution tests.
RENDERED_ELSEWHERE = {"quarterly": "tests/reports/test_distribution.py"}


def _templates() -> list[str]:
    names = {p.name.split(".")[0] for p in mail.TEMPLATES.glob("*.txt")}
    return sorted(n for n in names if not n.startswith("_"))


@pytest.mark.parametrize("template", _templates())
def test_every_mail_reads_well_for_every_recipient(template, monkeypatch):
    """A one-line subject without template debris, a greeting, and an HTML
    part that says what the text part says, in each language it is sent in."""
    if template in RENDERED_ELSEWHERE:
        pytest.skip(f"rendered in {RENDERED_ELSEWHERE[template]}")
    # A variable the caller does not pass fails here instead of vanishing.
    monkeypatch.setattr(mail, "_env", mail._env.overlay(undefined=StrictUndefined))
    rendered = 0
    for role in ROLES:
        for context in _contexts(template, role):
            for language in mail.LANGUAGES:
                user = SimpleNamespace(name="Ilse Smit", email="ilse@example.nl", locale=language)
                try:
                    subject, text, html = mail.render(template, language, user=user, **context)
                except UndefinedError as exc:
                    pytest.fail(f"{template}: {exc}; give it a context in _contexts")
                sent_in = language if mail.translated(template, language) else "nl"
                check_mail(subject, text, html, user, sent_in)
                rendered += 1
    assert rendered


def test_the_reminder_subject_keeps_its_line_break():
    """Jinja's trim_blocks once swallowed the newline after a subject ending in
    a block tag: "…nog 9 dagenBeste Ilse Smit,"."""
    user = SimpleNamespace(name="Ilse Smit", email="i@example.nl", locale="nl")
    subject, text, _ = mail.render(
        "reminder",
        user=user,
        cycle=_CYCLE,
        organisation=_ORGANISATION,
        link="https://am.example/z/3",
        days_left=9,
        answered=12,
        total=57,
    )
    assert subject == "Herinnering: zelfevaluatie 2026-Q4 nog 9 dagen"
    assert text.startswith("Beste Ilse Smit,\n")


def test_a_plain_text_template_gets_its_html_from_the_text(tmp_path, monkeypatch):
    """A new template needs only its .txt: the HTML part is made from it
    (paragraphs, lists, links, escaped) in the common layout."""
    (tmp_path / "nieuw.txt").write_text(
        "Klaar voor controle: {{ organisation.name }}\n"
        "Beste {{ user.name }},\n\n"
        "De zelfevaluatie is klaar <voor> controle & wacht op u.\n"
        "Tweede regel.\n\n"
        "- eerste punt\n- tweede punt\n\n"
        "{{ link }}\n\n"
        "Met vriendelijke groet,\nAfsprakenmonitor\n",
        encoding="utf-8",
    )
    (tmp_path / "_layout.html").write_text(
        (mail.TEMPLATES / "_layout.html").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.setattr(mail, "TEMPLATES", tmp_path)
    monkeypatch.setattr(mail, "_env", mail._env.overlay(loader=FileSystemLoader(tmp_path)))
    user = SimpleNamespace(name="Ilse Smit", email="i@example.nl", locale="en")
    subject, text, html = mail.render(
        "nieuw", "en", user=user, organisation=_ORGANISATION, link="https://am.example/z/3?a=1&b=2"
    )
    assert subject == "Klaar voor controle: JGZ Zuid-Limburg, team Noord"  # Dutch: no .en.txt
    check_mail(subject, text, html, user, "nl")
    assert "klaar &lt;voor&gt; controle &amp; wacht" in html
    assert '<a href="https://am.example/z/3?a=1&amp;b=2"' in html
    assert html.count("<li") == 2
    assert "<br>" in html  # the paragraph's two lines


# --- the checks ----------------------------------------------------------------

_DEBRIS = ("{%", "%}", "{{", "}}", "{#", "#}", "None", "Undefined")
_DOUBLED = re.compile(r"\b(\w{2,})\s+\1\b")
GREETINGS = {"nl": "Beste", "en": "Dear"}


class _Text(HTMLParser):
    """The text a reader sees in an HTML part, without the layout's banner;
    a link reads as its text and its address."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.href: list[str | None] = []
        self.anchor: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "title"):
            self.skip += 1
        if tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.anchor = []
        self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("head", "style", "title"):
            self.skip -= 1
        if tag == "a":
            href = self.href.pop()
            if href and href != "".join(self.anchor).strip():
                self.parts.append(f" {href} ")
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)
            self.anchor.append(data)


def html_text(html: str) -> str:
    body = re.sub(r"<!-- banner -->.*?<!-- /banner -->", "", html, flags=re.S)
    parser = _Text()
    parser.feed(body)
    return "".join(parser.parts)


def words(text: str) -> list[str]:
    """The text modulo whitespace (and the list marks "-" and the separators
    "·" and ":" that a list, a table or a link's label stands for in HTML)."""
    return [w for w in re.findall(r"[^\s·:]+", text) if w != "-"]


def check_mail(subject: str, text: str, html: str, user, language: str) -> None:
    assert subject
    assert "\n" not in subject
    assert subject == " ".join(subject.split())
    assert len(subject) <= 200
    for part in (subject, text, html_text(html)):
        for debris in _DEBRIS:
            assert debris not in part, f"{debris!r} in {part!r}"
        assert not _DOUBLED.search(part), _DOUBLED.search(part).group(0)
    greeting = f"{GREETINGS[language]} {user.name},"
    assert text.startswith(greeting + "\n"), text[:80]
    assert not text.startswith(subject)
    assert words(html_text(html)) == words(text)
    assert f'<html lang="{language}">' in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert mail.FOOTER[language] in text


def test_the_confirmation_names_who_submitted_and_when():
    user = SimpleNamespace(name="Ilse Smit", email="i@example.nl", locale="nl")
    by = SimpleNamespace(name="Yara Vos", email="yara@example.nl")
    at = dt.datetime(2026, 12, 3, 14, 5)  # UTC: 15:05 in Amsterdam
    context = {"cycle": _CYCLE, "organisation": _ORGANISATION, "link": "https://am.example/z/3"}
    _, text, _ = mail.render("submitted", user=user, submitted_by=by, submitted_at=at, **context)
    assert "is ingediend door Yara Vos op 3 december 2026 15:05. Dank u wel." in text
    _, text, _ = mail.render(
        "submitted", "en", user=user, submitted_by=by, submitted_at=at, **context
    )
    assert "submitted by Yara Vos on 3 December 2026 15:05. Thank you." in text


def test_revoked_keys_are_explained_in_the_readers_language():
    """The mail about revoked data-feed keys, to a reader who reads English:
    English, with the reason in English."""
    from domain.api_tokens import REVOKE_REASONS

    user = SimpleNamespace(name="Ilse Smit", email="i@example.nl", locale="en")
    assert mail.translated("api_tokens_revoked", "en")
    for why in REVOKE_REASONS:
        subject, text, _ = mail.render(
            "api_tokens_revoked", "en", user=user, reason=REVOKE_REASONS[why], why=why,
            count=2, names="Dashboard, Excel",
        )  # fmt: skip
        assert subject == "Your keys for the data feed have been revoked"
        assert REVOKE_REASONS[why] not in text  # not the Dutch reason
        assert "(2 keys: Dashboard, Excel)" in text
