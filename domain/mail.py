"""E-mail through the outbox table: messages are queued inside the transaction
that causes them and delivered over SMTP by `deliver_outbox`, with retries and
back-off, so an SMTP outage loses nothing."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from peewee import IntegrityError

from domain import formatting
from domain.inputs import printable
from models import OutboxMessage, User, db, utcnow

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "mail_templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
# Dates in mail are written as everywhere else (`domain.formatting`).
_env.filters["datum"] = formatting.date

MAX_ATTEMPTS = 12
LEASE = dt.timedelta(minutes=5)  # a claimed message is not picked up again meanwhile
# What a message with a secret link keeps once it is delivered or given up.
SCRUBBED = "(De inhoud is na verzending verwijderd: dit bericht bevatte een persoonlijke link.)"


@dataclass(frozen=True)
class MailSettings:
    host: str = "127.0.0.1"
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False
    sender: str = "Afsprakenmonitor <noreply@afsprakenmonitor.local>"
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config) -> MailSettings:
        """Settings from a Flask-style config mapping."""
        return cls(
            host=config["MAIL_HOST"],
            port=config["MAIL_PORT"],
            username=config.get("MAIL_USERNAME", ""),
            password=config.get("MAIL_PASSWORD", ""),
            use_tls=config.get("MAIL_USE_TLS", False),
            sender=config["MAIL_FROM"],
        )


def render(template: str, **context) -> tuple[str, str, str]:
    """(subject, text, html) from `<template>.txt` (first line: the subject) and
    `<template>.html`."""
    text = _env.get_template(f"{template}.txt").render(**context)
    subject, _, body = text.partition("\n")
    html = _env.get_template(f"{template}.html").render(subject=subject, **context)
    return subject.strip(), body.lstrip("\n"), html


def queue(
    dedupe_key: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    user: User | None = None,
    attachments: list[str] | None = None,
    secret: bool = False,
) -> OutboxMessage | None:
    """Put a message in the outbox, once per dedupe key; returns None when a
    message with that key exists already. A `secret` message (it holds a
    reset or invitation link) loses its body once delivered."""
    try:
        with db.atomic():
            return OutboxMessage.create(
                dedupe_key=dedupe_key,
                user=user,
                to_address=to,
                subject=subject,
                body_text=text,
                body_html=html,
                attachments=attachments or [],
                secret=secret,
            )
    except IntegrityError:
        return None


def queue_template(
    dedupe_key: str,
    user: User,
    template: str,
    attachments: list[str] | None = None,
    secret: bool = False,
    **context,
) -> OutboxMessage | None:
    """Render a mail template for the user and queue it."""
    subject, text, html = render(template, user=user, **context)
    return queue(
        dedupe_key,
        user.email,
        subject,
        text,
        html,
        user=user,
        attachments=attachments,
        secret=secret,
    )


def _backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=1) * 2 ** max(0, attempts - 1), dt.timedelta(hours=6))


def _build(message: OutboxMessage, settings: MailSettings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = formataddr(("", message.to_address))
    # Names typed by people may hold control characters: a header never does.
    email["Subject"] = printable(message.subject)
    # Stable per outbox row: a receiver can recognise a resend after a crash.
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="afsprakenmonitor")
    email.set_content(printable(message.body_text, multiline=True))
    if message.body_html:
        email.add_alternative(printable(message.body_html, multiline=True), subtype="html")
    for path in message.attachments or []:
        data = Path(path).read_bytes()
        maintype, subtype = _mime(path)
        email.add_attachment(data, maintype=maintype, subtype=subtype, filename=Path(path).name)
    return email


def _mime(path: str) -> tuple[str, str]:
    suffix = Path(path).suffix.lower()
    if suffix == ".pdf":
        return "application", "pdf"
    if suffix == ".xlsx":
        return "application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "application", "octet-stream"


def _claim(message_id: int, now: dt.datetime) -> bool:
    claimed = (
        OutboxMessage.update(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state == "wachtend",
            OutboxMessage.next_attempt_at <= now,
        )
        .execute()
    )
    return claimed == 1


def _connect(settings: MailSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    if settings.use_tls:
        smtp.starttls(context=ssl.create_default_context())
    if settings.username:
        smtp.login(settings.username, settings.password)
    return smtp


def _scrubbed(message: OutboxMessage) -> dict:
    """The body fields to overwrite once a secret message leaves the outbox."""
    return {"body_text": SCRUBBED, "body_html": None} if message.secret else {}


def _give_up(message: OutboxMessage, error: str, now: dt.datetime) -> None:
    OutboxMessage.update(
        state="mislukt", last_error=error[:2000], next_attempt_at=now, **_scrubbed(message)
    ).where(OutboxMessage.id == message.id).execute()


def deliver_outbox(
    settings: MailSettings, now: dt.datetime | None = None, limit: int = 500
) -> dict[str, int]:
    """Send the messages that are due. A failed message waits longer each time
    (1 minute doubling to 6 hours) and is marked failed after 12 attempts."""
    now = now or utcnow()
    due = [
        m.id
        for m in OutboxMessage.select(OutboxMessage.id)
        .where(OutboxMessage.state == "wachtend", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ]
    counts = {"sent": 0, "retry": 0, "failed": 0}
    smtp: smtplib.SMTP | None = None
    try:
        for message_id in due:
            if not _claim(message_id, now):
                continue  # another process has it
            message = OutboxMessage.get_by_id(message_id)
            try:
                email = _build(message, settings)
            except Exception as exc:  # one bad message never stops the others
                _give_up(message, f"{type(exc).__name__}: {exc}", now)
                counts["failed"] += 1
                logger.error("mail %s cannot be built: %s", message_id, exc)
                continue
            try:
                if smtp is None:
                    smtp = _connect(settings)
                smtp.send_message(email)
            except (OSError, smtplib.SMTPException) as exc:
                failed = message.attempts >= MAX_ATTEMPTS
                if failed:
                    _give_up(message, f"{type(exc).__name__}: {exc}", now)
                else:
                    OutboxMessage.update(
                        last_error=f"{type(exc).__name__}: {exc}"[:2000],
                        next_attempt_at=now + _backoff(message.attempts),
                    ).where(OutboxMessage.id == message_id).execute()
                counts["failed" if failed else "retry"] += 1
                logger.warning("mail %s to %s not sent: %s", message_id, message.to_address, exc)
                if isinstance(exc, OSError | smtplib.SMTPServerDisconnected):
                    break  # the server is away: the rest waits for the next run
                continue
            OutboxMessage.update(
                state="verzonden", sent_at=utcnow(), last_error=None, **_scrubbed(message)
            ).where(OutboxMessage.id == message_id).execute()
            counts["sent"] += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    logger.info("outbox: %s", counts)
    return counts
