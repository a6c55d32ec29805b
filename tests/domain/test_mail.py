"""The outbox: queued once, delivered over real SMTP, surviving an outage."""

import datetime as dt

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
