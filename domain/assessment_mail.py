"""Mails about one assessment on its way to submitted: an invuller's "klaar
voor controle" to the managers, and a reopening, with its reason, to the
managers and invullers. Queued inside the transaction that causes them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from domain.mail import queue_template
from models import Assessment, RoleAssignment, User


def people(organisation_id: int, roles: tuple[str, ...]) -> list[User]:
    """The organisation's active users holding one of the roles, each once."""
    return list(
        User.select()
        .where(
            User.active == True,  # noqa: E712
            User.id.in_(
                RoleAssignment.select(RoleAssignment.user).where(
                    RoleAssignment.organisation == organisation_id,
                    RoleAssignment.role.in_(roles),
                )
            ),
        )
        .order_by(User.name, User.id)
    )


def queue_ready(
    assessment: Assessment, actor: User, link_for: Callable[[int], str] | None
) -> tuple[int, int]:
    """Tell the organisation's managers (other than `actor`) that `actor`
    marked the assessment ready for review, once per version of the
    assessment; returns (managers, mails queued now)."""
    managers = [u for u in people(assessment.organisation_id, ("manager",)) if u.id != actor.id]
    queued = 0
    for user in managers:
        message = queue_template(
            f"ready:{assessment.id}:{assessment.version}:{user.id}",
            user,
            "ready_for_review",
            cycle=assessment.cycle,
            organisation=assessment.organisation,
            actor=actor,
            link=link_for(assessment.id) if link_for else None,
        )
        queued += message is not None
    return len(managers), queued


def queue_reopened(
    assessment: Assessment,
    actor: User,
    reason: str,
    version: int,
    now: dt.datetime,
    link_for: Callable[[int], str] | None,
) -> int:
    """Tell the organisation's managers and invullers that the assessment was
    reopened, by whom and why."""
    queued = 0
    for user in people(assessment.organisation_id, ("manager", "invuller")):
        message = queue_template(
            f"reopened:{assessment.id}:{version}:{user.id}",
            user,
            "reopened",
            cycle=assessment.cycle,
            organisation=assessment.organisation,
            actor=actor,
            reason=reason,
            reopened_at=now,
            link=link_for(assessment.id) if link_for else None,
        )
        queued += message is not None
    return queued
