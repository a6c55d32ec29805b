"""Who may see what: every query for scoped data starts from these helpers."""

from __future__ import annotations

from peewee import JOIN, Expression, ModelSelect

from models import (
    Assessment,
    Organisation,
    OrganisationGemeente,
    Region,
    RoleAssignment,
    User,
)


def roles_of(user: User) -> list[RoleAssignment]:
    """The user's role assignments with their scope objects."""
    return list(
        RoleAssignment.select(RoleAssignment, Region, Organisation)
        .join(Region, on=RoleAssignment.region == Region.id, join_type=JOIN.LEFT_OUTER)
        .switch(RoleAssignment)
        .join(
            Organisation,
            on=RoleAssignment.organisation == Organisation.id,
            join_type=JOIN.LEFT_OUTER,
        )
        .where(RoleAssignment.user == user)
        .order_by(RoleAssignment.role, RoleAssignment.id)
    )


def has_role(user: User, role: str) -> bool:
    """True when the user holds the role on anything."""
    return (
        RoleAssignment.select()
        .where(RoleAssignment.user == user, RoleAssignment.role == role)
        .exists()
    )


def is_admin(user: User) -> bool:
    """True for a beheerder."""
    return has_role(user, "beheerder")


def organisation_condition(user: User, *, gemeente: bool = True) -> Expression | None:
    """A condition on Organisation.id that holds for the organisations the user
    may see; None means everything (beheerder). With gemeente=False the
    gemeente role does not count (it never sees assessments themselves)."""
    if is_admin(user):
        return None
    by_role = RoleAssignment.select(RoleAssignment.organisation).where(
        RoleAssignment.user == user, RoleAssignment.organisation.is_null(False)
    )
    by_region = Organisation.select(Organisation.id).where(
        Organisation.region.in_(
            RoleAssignment.select(RoleAssignment.region).where(
                RoleAssignment.user == user, RoleAssignment.role == "regiocoordinator"
            )
        )
    )
    by_gemeente = OrganisationGemeente.select(OrganisationGemeente.organisation).where(
        OrganisationGemeente.gemeente.in_(
            RoleAssignment.select(RoleAssignment.gemeente).where(
                RoleAssignment.user == user, RoleAssignment.role == "gemeente"
            )
        )
    )
    condition = Organisation.id.in_(by_role) | Organisation.id.in_(by_region)
    return condition | Organisation.id.in_(by_gemeente) if gemeente else condition


def visible_organisations(user: User) -> ModelSelect:
    """Organisations in the user's scope."""
    query = Organisation.select()
    condition = organisation_condition(user)
    return query if condition is None else query.where(condition)


def visible_assessments(user: User) -> ModelSelect:
    """Assessments of organisations in the user's scope (their state only)."""
    query = Assessment.select(Assessment, Organisation).join(Organisation)
    condition = organisation_condition(user)
    return query if condition is None else query.where(condition)


def readable_assessments(user: User) -> ModelSelect:
    """Assessments whose answers the user may read: the organisation's own
    people, the region's coordinator and the beheerder — never a gemeente user,
    as answers hold free text."""
    query = Assessment.select(Assessment, Organisation).join(Organisation)
    condition = organisation_condition(user, gemeente=False)
    return query if condition is None else query.where(condition)
