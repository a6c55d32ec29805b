"""The audit log: who did what, when (UTC)."""

from __future__ import annotations

import logging

from models import AuditEvent, User

logger = logging.getLogger(__name__)


def record(
    action: str,
    *,
    user: User | None = None,
    actor: str = "",
    object_type: str = "",
    object_id: str | int = "",
    ip: str = "",
    **details,
) -> AuditEvent:
    """Write one audit event. Never pass secrets in `details`."""
    event = AuditEvent.create(
        user=user,
        actor=actor or (user.email if user else "systeem"),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=details,
        ip=ip,
    )
    logger.info("audit %s by %s %s %s", action, event.actor, object_type, object_id)
    return event
