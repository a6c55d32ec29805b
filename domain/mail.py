"""E-mail through the outbox table: messages are queued inside the transaction
that causes them and delivered over SMTP by `deliver_outbox`, with retries and
back-off, so an SMTP outage loses nothing.

Templates: `<name>.txt` holds the Dutch mail (first line: the subject), and
`<name>.en.txt` the English one where it exists (a reader whose language is
English gets it; else the Dutch). The HTML part is `<name>[.en].html` where a
template has one, else it is made from the text through `_layout.html`, so
the two parts always say the same.

Delivery: a permanent refusal (5xx) fails that message only, with the
server's reason; a temporary one (4xx, connection refused or dropped) is
retried with back-off; an attachment that cannot be read is retried a few
times before the message is given up. Every message keeps the Message-ID it
was given when queued, on every attempt: delivery is at least once, and a
duplicate after a crash carries the same Message-ID."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup
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


@pass_context
def _date(context, day) -> str:
    """Dates in mail are written as everywhere else (`domain.formatting`), in
    the reader's language."""
    return formatting.date(day, context.get("language", "nl"))


_env.filters["datum"] = _date


@pass_context
def _moment(context, moment) -> str:
    """A stored UTC time, in Amsterdam and the reader's language."""
    return formatting.datetime(moment, context.get("language", "nl"))


_env.filters["tijdstip"] = _moment

LANGUAGES = ("nl", "en")
# The last lines of every mail, text and HTML alike.
FOOTER = {
    "nl": "Dit bericht is automatisch verstuurd door de Afsprakenmonitor. "
    "U kunt er niet op antwoorden.",
    "en": "This message was sent automatically by the Afsprakenmonitor. Replies are not read.",
}

MAX_ATTEMPTS = 12
# An attachment that cannot be read (a network store that hiccups) is tried
# this often, with the same back-off, before the message is given up.
ATTACHMENT_ATTEMPTS = 4
LEASE = dt.timedelta(minutes=5)  # a claimed message is not picked up again meanwhile
# What a message with a secret link keeps once it is delivered or given up.
SCRUBBED = "(De inhoud is na verzending verwijderd: dit bericht bevatte een persoonlijke link.)"
MESSAGE_ID_DOMAIN = "afsprakenmonitor"


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


def language_of(user: User | None) -> str:
    """The language a user reads mail in: English when set so, else Dutch."""
    locale = (getattr(user, "locale", None) or "nl").lower()
    return "en" if locale.startswith("en") else "nl"


def _template(name: str, extension: str, language: str) -> str | None:
    """The template file for a language: `<name>.en.txt` for English where it
    exists, else the Dutch `<name>.txt`; None when there is neither."""
    candidates = [f"{name}.{extension}"]
    if language != "nl":
        candidates.insert(0, f"{name}.{language}.{extension}")
    return next((c for c in candidates if (TEMPLATES / c).is_file()), None)


# Templates that take their words from their context (the quarterly mail's
# digest is written in the reader's language): they serve every language.
NEUTRAL = {"quarterly"}


def translated(template: str, language: str) -> bool:
    """Whether a template is sent in that language (else in Dutch)."""
    return (
        language == "nl"
        or template in NEUTRAL
        or (TEMPLATES / f"{template}.{language}.txt").is_file()
    )


_URL = re.compile(r"https?://[^\s<>\"]+")


def _inline(line: str) -> str:
    """One line of text as HTML: escaped, with its addresses as links."""
    out, last = [], 0
    for match in _URL.finditer(line):
        url = match.group(0).rstrip(".,;:)")
        out.append(html_lib.escape(line[last : match.start()]))
        out.append(
            f'<a href="{html_lib.escape(url)}" style="{LINK_STYLE}">{html_lib.escape(url)}</a>'
        )
        last = match.start() + len(url)
    out.append(html_lib.escape(line[last:]))
    return "".join(out)


LINK_STYLE = "color:#154273;background:#ffffff;text-decoration:underline;word-break:break-all;"
PARAGRAPH_STYLE = "margin:0 0 16px 0;"


def text_to_html(text: str) -> Markup:
    """The body of a plain mail as HTML: a paragraph per block of lines, a
    list where every line of a block starts with "- "."""
    blocks = [b for b in re.split(r"\n\s*\n", text.strip("\n")) if b.strip()]
    parts = []
    for block in blocks:
        lines = [line.rstrip() for line in block.splitlines() if line.strip()]
        if all(line.lstrip().startswith("- ") for line in lines):
            items = "".join(
                f'<li style="margin:0 0 4px 0;">{_inline(line.lstrip()[2:])}</li>' for line in lines
            )
            parts.append(f'<ul style="{PARAGRAPH_STYLE}padding-left:24px;">{items}</ul>')
        else:
            parts.append(
                f'<p style="{PARAGRAPH_STYLE}">' + "<br>\n".join(_inline(x) for x in lines) + "</p>"
            )
    return Markup("\n".join(parts))  # noqa: S704 - every piece escaped above


def render(template: str, language: str = "nl", **context) -> tuple[str, str, str]:
    """(subject, text, html) of a mail template in a language (Dutch by
    default). The subject is the text template's first line, made one line."""
    language = language if language in LANGUAGES else "nl"
    name = _template(template, "txt", language)
    if name is None:
        raise LookupError(f"no mail template {template}.txt")
    if not translated(template, language):
        language = "nl"  # no translation yet: the whole mail in Dutch
    rendered = _env.get_template(name).render(language=language, **context)
    first, _, body = rendered.partition("\n")
    subject = " ".join(first.split())
    body = body.strip("\n")
    text = f"{body}\n\n{FOOTER[language]}\n"
    own_html = _template(template, "html", language)
    page = _env.get_template(own_html or "_layout.html")
    html = page.render(
        subject=subject,
        language=language,
        footer=FOOTER[language],
        content=None if own_html else text_to_html(body),
        **context,
    )
    return subject, text, html


def new_message_id() -> str:
    """A Message-ID for a new outbox message (kept on every attempt)."""
    return make_msgid(domain=MESSAGE_ID_DOMAIN)


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
                message_id=new_message_id(),
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
    """Render a mail template for the user, in the user's language, and queue it."""
    subject, text, html = render(template, language_of(user), user=user, **context)
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


class AttachmentUnreadable(Exception):
    """A message's attachment is missing or cannot be read (yet)."""


def _build(message: OutboxMessage, settings: MailSettings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = formataddr(("", message.to_address))
    # Names typed by people may hold control characters: a header never does.
    email["Subject"] = printable(message.subject)
    # The one stored with the message: the same on every attempt.
    email["Message-ID"] = message.message_id
    email.set_content(printable(message.body_text, multiline=True))
    if message.body_html:
        email.add_alternative(printable(message.body_html, multiline=True), subtype="html")
    for path in message.attachments or []:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise AttachmentUnreadable(
                f"Bijlage ontbreekt of is niet leesbaar: {path} ({exc.strerror or exc})"
            ) from exc
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


def _with_message_id(message: OutboxMessage) -> OutboxMessage:
    """A message queued before Message-IDs were stored gets one now, stored
    before it is sent, so its later attempts carry the same."""
    if not message.message_id:
        message.message_id = new_message_id()
        OutboxMessage.update(message_id=message.message_id).where(
            OutboxMessage.id == message.id, OutboxMessage.message_id.is_null()
        ).execute()
        message = OutboxMessage.get_by_id(message.id)  # another process may have won
    return message


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


def _retry(message: OutboxMessage, error: str, now: dt.datetime) -> None:
    OutboxMessage.update(
        last_error=error[:2000], next_attempt_at=now + _backoff(message.attempts)
    ).where(OutboxMessage.id == message.id).execute()


def _refusal(exc: smtplib.SMTPException) -> tuple[int | None, str]:
    """The server's reply code and text in a refusal of this one message;
    (None, …) when the exception is not such a refusal."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        codes = [code for code, _ in replies]
        # Every recipient refused: permanent only when each refusal is.
        code = min(codes) if codes else None
        reason = "; ".join(
            f"{address}: {code} {_text(answer)}"
            for address, (code, answer) in exc.recipients.items()
        )
        return code, f"Ontvanger geweigerd ({reason})"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return exc.smtp_code, f"Afzender geweigerd: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code, f"Bericht geweigerd: {exc.smtp_code} {_text(exc.smtp_error)}"
    return None, ""


def _text(answer) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def deliver_outbox(
    settings: MailSettings, now: dt.datetime | None = None, limit: int = 500
) -> dict[str, int]:
    """Send the messages that are due. A message the server refuses for good
    (5xx) fails at once with the server's reason; the others go on. A
    temporary failure (4xx; the server unreachable or gone mid-way) waits
    longer each time (1 minute doubling to 6 hours) and fails after 12
    attempts; while the server is unreachable the rest waits for the next run."""
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

    def fail(message: OutboxMessage, error: str, *, permanent: bool) -> None:
        if permanent or message.attempts >= MAX_ATTEMPTS:
            _give_up(message, error, now)
            counts["failed"] += 1
        else:
            _retry(message, error, now)
            counts["retry"] += 1

    try:
        for message_id in due:
            if not _claim(message_id, now):
                continue  # another process has it
            message = _with_message_id(OutboxMessage.get_by_id(message_id))
            try:
                email = _build(message, settings)
            except AttachmentUnreadable as exc:
                # Perhaps a network store that hiccups: tried a few times.
                fail(message, str(exc), permanent=message.attempts >= ATTACHMENT_ATTEMPTS)
                logger.warning("mail %s: %s", message_id, exc)
                continue
            except Exception as exc:  # one bad message never stops the others
                fail(message, f"{type(exc).__name__}: {exc}", permanent=True)
                logger.error("mail %s cannot be built: %s", message_id, exc)
                continue
            try:
                if smtp is None:
                    smtp = _connect(settings)
            except (OSError, smtplib.SMTPException) as exc:
                # Unreachable, or it will not talk to us: the rest waits.
                fail(message, f"{type(exc).__name__}: {exc}", permanent=False)
                logger.warning("mail server %s:%s: %s", settings.host, settings.port, exc)
                smtp = None
                break
            try:
                smtp.send_message(email)
            except (OSError, smtplib.SMTPException) as exc:
                code, reason = (
                    _refusal(exc) if isinstance(exc, smtplib.SMTPException) else (None, "")
                )
                if code is not None:
                    # The server answered about this message (5xx: for good,
                    # 4xx: for now); the others go on.
                    fail(message, reason, permanent=code >= 500)
                    logger.warning("mail %s refused: %s", message_id, reason)
                    if code == 421:  # the server closes this session: a new one
                        smtp.close()
                        smtp = None
                    continue
                fail(message, f"{type(exc).__name__}: {exc}", permanent=False)
                logger.warning("mail %s to %s not sent: %s", message_id, message.to_address, exc)
                if isinstance(exc, smtplib.SMTPResponseException):
                    continue  # another temporary answer while connected
                break  # the server went away: the rest waits for the next run
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
