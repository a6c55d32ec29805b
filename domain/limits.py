"""Counting requests in the database, so a limit holds across workers and
hosts: the API's budget per user and minute, and what unauthenticated traffic
may cost (failed API authentications, locked logins, reset requests) per
client address and hour, recorded one by one up to a threshold and in
aggregate beyond it, so the audit log shows that it happened and how often
without growing with every request."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging

from peewee import IntegrityError

from domain.audit import record
from models import AuditEvent, RequestCount, db, utcnow

logger = logging.getLogger(__name__)

HOUR = dt.timedelta(hours=1)
# Per client address and hour: events recorded one by one, then in one
# aggregate audit event; requests allowed before the address is refused.
RECORDED_EACH = 10
ALLOWED = {"api_refused": 60, "login_locked": 1_000_000, "reset_request": 5}
# Over all addresses together, per kind and hour: past this many addresses
# with their own count, further addresses share one count ("*"), so a crowd of
# addresses (IPv6) cannot grow the tables either.
ADDRESSES = 1_000
AGGREGATE_ACTION = "anonymous_repeated"


def client_key(address: str) -> str:
    """The address a limit counts: an IPv6 address by its /64 network (one
    connection owns all of it), anything unreadable as itself, bounded."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def bump(scope: str, key: str, window: dt.datetime, *, create: bool = True) -> RequestCount | None:
    """Count one request in (scope, key, window); the row after counting, or
    None when it does not exist and `create` is false."""
    where = (RequestCount.scope == scope, RequestCount.key == key, RequestCount.window == window)
    updated = RequestCount.update(count=RequestCount.count + 1).where(*where).execute()
    if not updated:
        if not create:
            return None
        try:
            with db.atomic():
                RequestCount.create(scope=scope, key=key, window=window, count=1)
        except IntegrityError:  # another worker made the row first
            RequestCount.update(count=RequestCount.count + 1).where(*where).execute()
    return RequestCount.get(*where)


def blocked(kind: str, address: str, now: dt.datetime | None = None) -> bool:
    """True when the address has used up this hour's allowance of `kind`."""
    now = now or utcnow()
    count = (
        RequestCount.select(RequestCount.count)
        .where(
            RequestCount.scope == kind,
            RequestCount.key == client_key(address),
            RequestCount.window == now.replace(minute=0, second=0, microsecond=0),
        )
        .scalar()
    )
    return (count or 0) >= ALLOWED[kind]


def anonymous_event(
    kind: str, action: str, address: str, now: dt.datetime | None = None, **details
) -> bool:
    """Count one unauthenticated event of `kind` from the address and record
    it: each of the first RECORDED_EACH of an hour as its own audit event
    (`action`), the rest in one aggregate event whose count follows. Returns
    whether the address is still within its allowance."""
    now = now or utcnow()
    window = now.replace(minute=0, second=0, microsecond=0)
    key = client_key(address)
    with db.atomic():
        everyone = bump(kind, "*", window)
        row = bump(kind, key, window, create=everyone.count <= ADDRESSES)
        if row is None:  # past the number of addresses counted one by one
            row, key = everyone, "*"
        if row.count <= RECORDED_EACH and key != "*":
            record(action, actor=details.pop("actor", ""), ip=address[:64], **details)
        else:
            summary = {
                "what": action,
                "address": key,
                "hour": window.strftime("%Y-%m-%d %H:%M"),
                "count": row.count - (RECORDED_EACH if key != "*" else 0),
            }
            if row.event_id is None:
                event = record(AGGREGATE_ACTION, ip=key if key != "*" else "", **summary)
                RequestCount.update(event_id=event.id).where(RequestCount.id == row.id).execute()
            else:
                AuditEvent.update(details=summary).where(AuditEvent.id == row.event_id).execute()
        # Hours gone by are of no use any more.
        RequestCount.delete().where(
            RequestCount.scope == kind, RequestCount.window < window - HOUR
        ).execute()
    return row.count <= ALLOWED[kind]


def seconds_to_next_hour(now: dt.datetime | None = None) -> int:
    """Seconds until the next hour's allowance (for Retry-After)."""
    now = now or utcnow()
    return 3600 - now.minute * 60 - now.second


def within_budget(
    scope: str, key: str, limit: int, now: dt.datetime | None = None
) -> tuple[bool, int]:
    """Count one request against the key's minute; (allowed, seconds until the
    next minute)."""
    now = now or utcnow()
    window = now.replace(second=0, microsecond=0)
    with db.atomic():
        row = bump(scope, key, window)
        RequestCount.delete().where(
            RequestCount.scope == scope, RequestCount.key == key, RequestCount.window < window
        ).execute()
    return row.count <= limit, 60 - now.second
