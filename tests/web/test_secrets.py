"""Secrets stay out of logs and the outbox; the reset answer does the same
work for every address; the password change is throttled."""

import datetime as dt
import logging
import re
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from domain import accounts
from domain.mail import ATTACHMENT_ATTEMPTS, SCRUBBED, MailSettings, deliver_outbox, queue
from models import LoginThrottle, OutboxMessage, PasswordResetRequest, UserToken, utcnow
from tests import factories
from web.links import reset_link


def login(client, user, password=factories.PASSWORD):
    return client.post("/inloggen", data={"email": user.email, "password": password})


def _token(message: OutboxMessage) -> str:
    return re.search(r"/(?:wachtwoord-herstellen|uitnodiging)/([\w-]+)", message.body_text).group(1)


def test_reset_request_does_the_same_work_for_known_and_unknown_addresses(app, client):
    """The same SQL statements in the same order, whether or not the address
    exists: nothing is looked up, issued or queued while the person waits."""
    user = factories.user()
    statements: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            if isinstance(record.msg, tuple):
                # Savepoints get a fresh random name each time.
                statements.append(re.sub(r'"s[0-9a-f]{32}"', '"s"', record.msg[0]))

    peewee_log = logging.getLogger("peewee")
    handler, level = Collect(), peewee_log.level
    peewee_log.addHandler(handler)
    peewee_log.setLevel(logging.DEBUG)
    # The client address's first request of the hour makes its count row;
    # the requests compared come after it.
    client.post("/wachtwoord-vergeten", data={"email": "opwarmen@example.nl"})
    try:
        work = []
        for email in (user.email, "niemand@example.nl", user.email.upper(), "x" * 300 + "@x.nl"):
            statements.clear()
            assert client.post("/wachtwoord-vergeten", data={"email": email}).status_code == 302
            work.append(list(statements))
    finally:
        peewee_log.removeHandler(handler)
        peewee_log.setLevel(level)
    assert work[0], "no statements were captured"
    assert work[0] == work[1] == work[2] == work[3]
    assert UserToken.select().count() == 0
    assert OutboxMessage.select().count() == 0
    assert PasswordResetRequest.select().count() == 5
    # The outbox job mails the known address (twice asked: two mails), nobody else.
    assert accounts.process_reset_requests(reset_link(app)) == 2
    assert {m.to_address for m in OutboxMessage.select()} == {user.email}
    assert PasswordResetRequest.select().count() == 0


def test_secret_links_leave_the_outbox_once_delivered(app, smtp):
    user = factories.user()
    invited = factories.user(email="nieuw@example.nl")
    accounts.request_password_reset(user.email)
    accounts.process_reset_requests(reset_link(app))
    accounts.send_invitation(None, invited, lambda token: f"https://am.example/uitnodiging/{token}")
    ordinary = queue("gewoon", invited.email, "Ingediend", "Een gewoon bericht.")
    tokens = {m.to_address: _token(m) for m in OutboxMessage.select().where(OutboxMessage.secret)}
    assert set(tokens) == {user.email, invited.email}
    assert deliver_outbox(smtp.settings())["sent"] >= 2
    received: dict[str, str] = {}
    for mail in smtp.messages:
        address = mail["To"].addresses[0].addr_spec
        received[address] = received.get(address, "") + mail.get_body(("plain",)).get_content()
    for address, token in tokens.items():
        assert token in received[address]  # the person got the link
    for message in OutboxMessage.select().where(OutboxMessage.secret):
        assert message.state == "verzonden"
        assert message.body_text == SCRUBBED
        assert message.body_html is None
        assert all(token not in (message.body_text + message.subject) for token in tokens.values())
    assert OutboxMessage.get_by_id(ordinary.id).body_text == "Een gewoon bericht."


def test_secret_links_leave_the_outbox_when_given_up(app):
    user = factories.user()
    accounts.request_password_reset(user.email)
    accounts.process_reset_requests(reset_link(app))
    message = OutboxMessage.get()
    # Cannot be built, on its last try (a missing attachment is retried first).
    OutboxMessage.update(
        attachments=["/bestaat/niet.pdf"], attempts=ATTACHMENT_ATTEMPTS - 1
    ).execute()
    counts = deliver_outbox(MailSettings(port=1, timeout=1))
    assert counts["failed"] == 1
    message = OutboxMessage.get_by_id(message.id)
    assert message.state == "mislukt"
    assert message.body_text == SCRUBBED


@pytest.fixture
def served(app):
    """The application behind werkzeug's own server, whose access log prints paths."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_tokens_and_passwords_appear_in_no_log_line(app, served, caplog, smtp):
    caplog.set_level(logging.INFO)
    user = factories.user()
    accounts.request_password_reset(user.email)
    accounts.process_reset_requests(lambda token: f"{served}/wachtwoord-herstellen/{token}")
    deliver_outbox(smtp.settings())
    (mail,) = smtp.messages
    link = re.search(r"https?://\S+", mail.get_body(("plain",)).get_content()).group(0)
    token = link.rsplit("/", 1)[1]
    with urllib.request.urlopen(link, timeout=10) as page:  # noqa: S310 - our own test server
        assert page.status == 200
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(f"{served}/uitnodiging/{token}x", timeout=10)  # noqa: S310
    client = app.test_client()
    client.post(
        f"/wachtwoord-herstellen/{token}",
        data={"password": "een nieuw geheim 42", "repeat": "een nieuw geheim 42"},
    )
    login(client, user, "een nieuw geheim 42")
    logging.getLogger("gunicorn.access").info(
        '%(h)s "%(r)s" %(s)s',
        {"h": "10.0.0.1", "r": f"GET /uitnodiging/{token} HTTP/1.1", "s": 200},
    )
    lines = [record.getMessage() for record in caplog.records]
    access = [
        line for line in lines if "/wachtwoord-herstellen/" in line or "/uitnodiging/" in line
    ]
    assert len(access) >= 3, lines  # werkzeug's two requests and gunicorn's line were logged
    # Access lines hide the token; the app's own request lines name the route rule.
    assert all("[verborgen]" in line or "/<token>" in line for line in access)
    assert any("[verborgen]" in line for line in access)
    for line in lines:
        assert token not in line
        assert "een nieuw geheim 42" not in line
        assert factories.PASSWORD not in line


def test_password_change_is_throttled(client):
    user = factories.user()
    login(client, user)
    form = {"action": "password", "password": "een heel nieuw wachtwoord"}
    form["repeat"] = form["password"]
    for _ in range(accounts.FREE_FAILURES["password"]):
        page = client.post("/account", data={**form, "current": "fout"})
        assert "Uw huidige wachtwoord klopt niet." in page.get_data(as_text=True)
    # Locked now: even the right current password is not checked.
    page = client.post("/account", data={**form, "current": factories.PASSWORD})
    assert "Te vaak een onjuist huidig wachtwoord" in page.get_data(as_text=True)
    assert login(client.application.test_client(), user).status_code == 302  # unchanged
    # Once the lock has passed, the right password works and clears the count.
    later = utcnow() + dt.timedelta(hours=2)
    assert (
        accounts.change_password(
            user, factories.PASSWORD, form["password"], form["password"], later
        )
        == []
    )
    assert LoginThrottle.select().where(LoginThrottle.scope == "password").count() == 0
