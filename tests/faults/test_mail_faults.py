"""Mail under the faults of production, against a real SMTP server on
127.0.0.1 that refuses some recipients for good (5xx), answers "try later"
(4xx), is down for a while, or has a message accepted when the sender dies.

Guaranteed: a refusal of one message fails that message only, with the
server's reason; temporary failures are retried with back-off; an unreadable
attachment is retried before it is reported; every attempt of a message
carries the one Message-ID stored when it was queued (at least once, and a
duplicate is recognisable)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from email import message_from_bytes, policy

import pytest

from domain import mail
from models import OutboxMessage, utcnow
from tests.conftest import SmtpServer


class Picky:
    """An SMTP handler that refuses what it is told to, per recipient."""

    def __init__(self) -> None:
        self.messages: list = []
        self.at_rcpt: dict[str, str] = {}  # address → reply to RCPT TO
        self.at_data: dict[str, str] = {}  # address → reply to the message
        self.kill_after_accepting: int | None = None  # a sender's pid

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        reply = self.at_rcpt.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        for address in envelope.rcpt_tos:
            if address in self.at_data:
                return self.at_data[address]
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        if self.kill_after_accepting:
            # Stored here, but the sender dies before it hears "250" and
            # before it can mark the message sent.
            os.kill(self.kill_after_accepting, signal.SIGKILL)
            self.kill_after_accepting = None
        return "250 OK"


@pytest.fixture
def picky():
    server = SmtpServer()
    server.inbox = Picky()
    server.start()
    yield server
    server.stop()


def _queue(*addresses: str, attachments=None) -> list[OutboxMessage]:
    return [
        mail.queue(f"fault:{a}", a, f"Bericht aan {a}", "Tekst", attachments=attachments)
        for a in addresses
    ]


def _row(address: str) -> OutboxMessage:
    return OutboxMessage.get(OutboxMessage.to_address == address)


def _received(server) -> dict[str, list]:
    out: dict[str, list] = {}
    for message in server.inbox.messages:
        out.setdefault(message["To"], []).append(message)
    return out


def test_a_permanent_refusal_fails_that_message_only(database, picky):
    picky.inbox.at_rcpt["weg@example.nl"] = "550 5.1.1 Mailbox unavailable"
    picky.inbox.at_data["te-groot@example.nl"] = "554 5.6.0 Message rejected"
    addresses = ["a@example.nl", "weg@example.nl", "b@example.nl", "te-groot@example.nl"]
    _queue(*addresses, "c@example.nl")
    counts = mail.deliver_outbox(picky.settings())
    assert counts == {"sent": 3, "retry": 0, "failed": 2}
    assert sorted(_received(picky)) == ["a@example.nl", "b@example.nl", "c@example.nl"]
    refused = _row("weg@example.nl")
    assert refused.state == "mislukt"
    assert refused.attempts == 1  # not retried: the refusal is final
    assert "550" in refused.last_error
    assert "Mailbox unavailable" in refused.last_error
    assert "weg@example.nl" in refused.last_error
    rejected = _row("te-groot@example.nl")
    assert rejected.state == "mislukt"
    assert "554" in rejected.last_error
    assert "Message rejected" in rejected.last_error
    # A later run sends nothing again and does not retry the refused ones.
    later = utcnow() + dt.timedelta(days=1)
    assert mail.deliver_outbox(picky.settings(), now=later) == {"sent": 0, "retry": 0, "failed": 0}
    assert len(picky.inbox.messages) == 3


def test_a_temporary_refusal_is_retried_with_back_off(database, picky):
    picky.inbox.at_rcpt["vol@example.nl"] = "452 4.2.2 Mailbox full, try later"
    picky.inbox.at_data["grijs@example.nl"] = "451 4.7.1 Greylisted, try again"
    _queue("vol@example.nl", "grijs@example.nl", "a@example.nl")
    now = utcnow()
    assert mail.deliver_outbox(picky.settings(), now=now) == {"sent": 1, "retry": 2, "failed": 0}
    waits = []
    for attempt in (1, 2):
        full = _row("vol@example.nl")
        assert full.state == "wachtend"
        assert full.attempts == attempt
        assert "452" in full.last_error
        waits.append(full.next_attempt_at - now)
        assert _row("grijs@example.nl").state == "wachtend"
        # Not due yet: nothing is tried.
        assert mail.deliver_outbox(picky.settings(), now=now)["retry"] == 0
        now = full.next_attempt_at
        if attempt == 1:
            assert mail.deliver_outbox(picky.settings(), now=now)["retry"] == 2
    assert waits[1] > waits[0]  # the wait grows
    picky.inbox.at_rcpt.clear()
    picky.inbox.at_data.clear()
    assert mail.deliver_outbox(picky.settings(), now=now)["sent"] == 2
    received = _received(picky)
    assert sorted(received) == ["a@example.nl", "grijs@example.nl", "vol@example.nl"]
    for address, copies in received.items():
        assert len(copies) == 1
        assert copies[0]["Message-ID"] == _row(address).message_id


def test_a_server_down_for_a_while_loses_nothing(database, picky):
    rows = _queue("a@example.nl", "b@example.nl", "c@example.nl")
    picky.stop()
    now = utcnow()
    down = mail.deliver_outbox(picky.settings(), now=now)
    assert down == {"sent": 0, "retry": 1, "failed": 0}  # the rest waits for the next run
    first = _row("a@example.nl")
    assert first.state == "wachtend"
    assert "Connection refused" in first.last_error
    assert _row("b@example.nl").attempts == 0
    picky.start()
    later = now + dt.timedelta(minutes=2)
    assert mail.deliver_outbox(picky.settings(), now=later)["sent"] == 3
    ids = [m["Message-ID"] for m in picky.inbox.messages]
    assert sorted(ids) == sorted(r.message_id for r in rows)
    assert len(set(ids)) == 3
    assert OutboxMessage.select().where(OutboxMessage.state != "verzonden").count() == 0


def test_an_unreadable_attachment_is_retried_then_reported(database, picky, tmp_path):
    late = tmp_path / "rapport-laat.pdf"  # appears after a hiccup
    never = tmp_path / "rapport-weg.pdf"  # never appears
    mail.queue("late", "laat@example.nl", "Rapport", "Tekst", attachments=[str(late)])
    mail.queue("never", "weg@example.nl", "Rapport", "Tekst", attachments=[str(never)])
    _queue("a@example.nl")
    now = utcnow()
    assert mail.deliver_outbox(picky.settings(), now=now) == {"sent": 1, "retry": 2, "failed": 0}
    waiting = _row("laat@example.nl")
    assert waiting.state == "wachtend"
    assert "Bijlage ontbreekt of is niet leesbaar" in waiting.last_error
    assert str(late) in waiting.last_error
    late.write_bytes(b"%PDF-1.4 rapport")
    results = []
    for _ in range(mail.ATTACHMENT_ATTEMPTS):
        now += dt.timedelta(hours=1)
        results.append(mail.deliver_outbox(picky.settings(), now=now))
    assert _row("laat@example.nl").state == "verzonden"
    (delivered,) = _received(picky)["laat@example.nl"]
    assert next(delivered.iter_attachments()).get_content() == b"%PDF-1.4 rapport"
    gone = _row("weg@example.nl")
    assert gone.state == "mislukt"
    assert gone.attempts == mail.ATTACHMENT_ATTEMPTS
    assert str(never) in gone.last_error
    assert "weg@example.nl" not in _received(picky)


def test_a_crash_after_acceptance_resends_with_the_same_message_id(database, database_url, picky):
    """The sender is killed (SIGKILL) after the server stored the message and
    before it was marked sent: the next run sends it again, with the same
    Message-ID, so the receiver can recognise the duplicate."""
    (row,) = _queue("a@example.nl")
    code = (
        "import sys\n"
        "from models import init_database\n"
        "from domain.mail import MailSettings, deliver_outbox\n"
        "database = init_database(sys.argv[1])\n"
        "database.connect()\n"
        "deliver_outbox(MailSettings(host='127.0.0.1', port=int(sys.argv[2]), timeout=5))\n"
    )
    sender = subprocess.Popen([sys.executable, "-c", code, database_url, str(picky.port)])
    try:
        picky.inbox.kill_after_accepting = sender.pid
        assert sender.wait(timeout=60) == -signal.SIGKILL
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.wait()
    stored = OutboxMessage.get_by_id(row.id)
    assert stored.state == "wachtend"  # never marked sent
    assert stored.attempts == 1
    # Once its claim has lapsed the next run sends it again.
    later = utcnow() + mail.LEASE + dt.timedelta(seconds=1)
    assert mail.deliver_outbox(picky.settings(), now=later)["sent"] == 1
    first, second = picky.inbox.messages
    assert first["Message-ID"] == second["Message-ID"] == row.message_id
    assert OutboxMessage.get_by_id(row.id).state == "verzonden"


def test_a_message_queued_before_ids_were_stored_keeps_the_one_it_gets(database, picky):
    (row,) = _queue("a@example.nl")
    OutboxMessage.update(message_id=None).where(OutboxMessage.id == row.id).execute()
    picky.inbox.at_rcpt["a@example.nl"] = "451 4.3.0 try later"
    now = utcnow()
    mail.deliver_outbox(picky.settings(), now=now)
    given = OutboxMessage.get_by_id(row.id).message_id
    assert given
    assert given.startswith("<")
    assert given.endswith(">")
    picky.inbox.at_rcpt.clear()
    mail.deliver_outbox(picky.settings(), now=now + dt.timedelta(hours=1))
    (received,) = picky.inbox.messages
    assert received["Message-ID"] == given


def test_a_server_that_closes_the_session_is_reconnected_for_the_next(database, picky):
    """421 (the server closes this session) at one message: that message
    waits, and the next ones go out over a new session."""
    picky.inbox.at_data["b@example.nl"] = "421 4.3.2 Service shutting down"
    _queue("a@example.nl", "b@example.nl", "c@example.nl", "d@example.nl")
    assert mail.deliver_outbox(picky.settings()) == {"sent": 3, "retry": 1, "failed": 0}
    closed = _row("b@example.nl")
    assert closed.state == "wachtend"
    assert "421" in closed.last_error
    assert sorted(_received(picky)) == ["a@example.nl", "c@example.nl", "d@example.nl"]
