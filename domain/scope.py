"""Who may see what: every query for scoped data starts from these helpers."""

from __future__ import annotations

import operator
from functools import reduce

from flask import g, has_request_context
from peewee import JOIN, Expression, ModelSelect

from models import (
    Assessment,
    Gemeente,
    Organisation,
    OrganisationGemeente,
    Region,
    ReportFile,
    RoleAssignment,
    User,
)
from models.compiled import CompiledQuery


def roles_of(user: User) -> list[RoleAssignment]:
    """The user's role assignments with their scope objects: read once per
    request (every page asks several times: the menu, the access checks)."""
    if not has_request_context():
        return _read_roles(user)
    known = g.setdefault("roles_of", {})
    if user.id not in known:
        known[user.id] = _read_roles(user)
    return known[user.id]


def forget_roles() -> None:
    """After granting or revoking a role: the next check reads them again."""
    if has_request_context():
        g.pop("roles_of", None)


_ROLES = CompiledQuery(
    lambda user: (
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
)


def _read_roles(user: User) -> list[RoleAssignment]:
    return list(_ROLES(user))


def has_role(user: User, role: str) -> bool:
    """True when the user holds the role on anything."""
    return any(assignment.role == role for assignment in roles_of(user))


def is_admin(user: User) -> bool:
    """True for a beheerder."""
    return has_role(user, "beheerder")


def organisation_condition(user: User, *, gemeente: bool = True) -> Expression | None:
    """A condition on Organisation.id that holds for the organisations the user
    may see; None means everything (beheerder). With gemeente=False the
    gemeente role does not count (it never sees assessments themselves).
    Built from the roles already read: their ids go into the query, not a
    subquery on the roles (simpler for the planner and quicker to compose)."""
    roles = roles_of(user)
    if any(r.role == "beheerder" for r in roles):
        return None
    organisations = sorted({r.organisation_id for r in roles if r.organisation_id})
    regions = sorted({r.region_id for r in roles if r.role == "regiocoordinator"})
    gemeenten = sorted({r.gemeente_id for r in roles if r.role == "gemeente"}) if gemeente else []
    parts = []
    if organisations:
        parts.append(Organisation.id.in_(organisations))
    if regions:
        parts.append(Organisation.region.in_(regions))
    if gemeenten:
        served = OrganisationGemeente.select(OrganisationGemeente.organisation).where(
            OrganisationGemeente.gemeente.in_(gemeenten)
        )
        parts.append(Organisation.id.in_(served))
    if not parts:
        return Organisation.id.is_null()  # nothing: ids are never null
    return reduce(operator.or_, parts)


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


def may_read_assessment(user: User, organisation: Organisation) -> bool:
    """What `readable_assessments` allows, for one assessment whose
    organisation is at hand, decided from the user's roles alone: the
    organisation's own people, its region's coordinator and the beheerder."""
    for role in roles_of(user):
        if role.role == "beheerder" or role.organisation_id == organisation.id:
            return True
        if role.role == "regiocoordinator" and role.region_id == organisation.region_id:
            return True
    return False


class ResultAccess:
    """Who may see which results and reports, worked out once per user.

    An organisation's results hold free text (improvement actions): its own
    people, its region's coordinator and the beheerder. A gemeente's: its
    gemeente users and its region's coordinator. A region's: its coordinator.
    The region comparison workbook is for coordinators and gemeenten."""

    def __init__(self, user: User):
        self.user = user
        self.admin = is_admin(user)
        roles = [] if self.admin else roles_of(user)
        self.regions = {r.region_id for r in roles if r.role == "regiocoordinator"}
        self.own_gemeenten = {r.gemeente_id for r in roles if r.role == "gemeente"}
        # The organisations a role names: all there is without a region role.
        self.own_organisations = {r.organisation_id for r in roles if r.organisation_id}
        self.compares_regions = bool(self.regions or self.own_gemeenten)
        self._organisations: set[int] | None = None
        self._gemeenten: set[int] | None = None

    def _organisation_ids(self) -> set[int]:
        if self._organisations is None and not self.regions:
            self._organisations = self.own_organisations  # nothing more to look up
        if self._organisations is None:
            condition = organisation_condition(self.user, gemeente=False)
            self._organisations = {
                o for (o,) in Organisation.select(Organisation.id).where(condition).tuples()
            }
        return self._organisations

    def _gemeente_ids(self) -> set[int]:
        if self._gemeenten is None and not self.regions:
            self._gemeenten = self.own_gemeenten
        if self._gemeenten is None:
            in_regions = Gemeente.select(Gemeente.id).where(Gemeente.region.in_(self.regions))
            self._gemeenten = self.own_gemeenten | {g for (g,) in in_regions.tuples()}
        return self._gemeenten

    def may_see(self, scope_type: str, scope_id: int) -> bool:
        if self.admin:
            return True
        if scope_type == "organisatie":
            return scope_id in self._organisation_ids()
        if scope_type == "gemeente":
            return scope_id in self._gemeente_ids()
        if scope_type == "regio":
            return scope_id in self.regions
        return self.compares_regions  # the whole country: the region comparison

    def report_condition(self) -> Expression | None:
        """A condition on ReportFile that holds for the files `may_download`
        allows (None: every file), so a list of them is narrowed in SQL."""
        if self.admin:
            return None
        parts = [
            (ReportFile.scope_type == kind) & ReportFile.scope_id.in_(sorted(ids))
            for kind, ids in (
                ("organisatie", self._organisation_ids()),
                ("gemeente", self._gemeente_ids()),
                ("regio", self.regions),
            )
            if ids
        ]
        if self.compares_regions:
            parts.append(ReportFile.scope_type == "land")
        if not parts:
            return ReportFile.id.is_null()  # nothing: ids are never null
        return reduce(operator.or_, parts)

    def may_download(self, report) -> bool:
        """A report file (ReportFile) of a scope the user may see."""
        return self.may_see(report.scope_type, report.scope_id)
