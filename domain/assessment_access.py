"""Who may see, fill in, submit and reopen an assessment, and who fills it in."""

from __future__ import annotations

from domain.scope import roles_of
from models import Assessment, RoleAssignment, User

EDITABLE_STATES = ("niet_gestart", "concept", "heropend")


def roles(user: User, assessment: Assessment) -> set[str]:
    """The roles by which the user may see the assessment (none: may not);
    pass them to the checks below to ask several in one request."""
    org = assessment.organisation
    return {
        r.role
        for r in roles_of(user)
        if r.role == "beheerder"
        or (r.role == "regiocoordinator" and r.region_id == org.region_id)
        or (r.role in ("manager", "invuller") and r.organisation_id == org.id)
    }


def can_view(user: User, assessment: Assessment) -> bool:
    """Beheerder, the region's coordinator and the organisation's own people."""
    return bool(roles(user, assessment))


def can_edit(user: User, assessment: Assessment, held: set[str] | None = None) -> bool:
    """The organisation's manager or invuller, while the cycle is open and the
    assessment not submitted. `held`: the user's `roles`, when known."""
    held = roles(user, assessment) if held is None else held
    return (
        bool(held & {"manager", "invuller"})
        and assessment.cycle.state == "open"
        and assessment.state in EDITABLE_STATES
    )


def can_submit(
    user: User,
    assessment: Assessment,
    invuller_may_submit: bool = False,
    held: set[str] | None = None,
) -> bool:
    """Managers submit; invullers only where the setting allows it."""
    held = roles(user, assessment) if held is None else held
    allowed = {"manager", "invuller"} if invuller_may_submit else {"manager"}
    return can_edit(user, assessment, held) and bool(held & allowed)


def can_reopen(user: User, assessment: Assessment, held: set[str] | None = None) -> bool:
    """A coordinator of the region or a beheerder, for a submitted assessment
    in an open cycle."""
    held = roles(user, assessment) if held is None else held
    return (
        bool(held & {"beheerder", "regiocoordinator"})
        and assessment.state == "ingediend"
        and assessment.cycle.state == "open"
    )


def organisation_people(organisation_ids: list[int], roles=("manager", "invuller")):
    """Active users per organisation holding one of the roles."""
    out: dict[int, list[User]] = {}
    for assignment in (
        RoleAssignment.select(RoleAssignment, User)
        .join(User)
        .where(
            RoleAssignment.organisation.in_(organisation_ids),
            RoleAssignment.role.in_(roles),
            User.active == True,  # noqa: E712
        )
        .order_by(User.id)
    ):
        users = out.setdefault(assignment.organisation_id, [])
        if all(u.id != assignment.user.id for u in users):
            users.append(assignment.user)
    return out
