"""Every route declares who may reach it, and the rule holds for every role,
tried against another organisation's records."""

import pytest

from models import (
    AuditEvent,
    Gemeente,
    IndicatorDefinition,
    Organisation,
    Region,
    ReportFile,
    RoleAssignment,
    User,
)
from tests import factories
from web.access import RULES

ROLES = ["anoniem", "beheerder", "regiocoordinator", "manager", "invuller", "gemeente"]


def _rules(app) -> dict[str, str]:
    return {
        rule.endpoint: getattr(app.view_functions[rule.endpoint], "access_rule", None)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }


def test_every_route_declares_an_access_rule(app):
    missing = [endpoint for endpoint, rule in _rules(app).items() if rule not in RULES]
    assert missing == [], f"routes without a declared access rule: {missing}"


@pytest.fixture
def world(app, tmp_path):
    """Our side (region A, organisation A) and another side (region B, organisation B)."""
    region_a, region_b = factories.region(), factories.region()
    g_a, g_b = factories.gemeente(region_a), factories.gemeente(region_b)
    org_a = factories.organisation(region_a, serves=[g_a])
    org_b = factories.organisation(region_b, serves=[g_b])
    other = factories.user(("manager", org_b))
    cycle = factories.cycle(factories.default_framework(), "2026-Q4", state="open")
    factories.assessment(org_a, cycle)
    theirs = factories.assessment(org_b, cycle)
    users = {
        "beheerder": factories.user(("beheerder",)),
        "regiocoordinator": factories.user(("regiocoordinator", region_a)),
        "manager": factories.user(("manager", org_a)),
        "invuller": factories.user(("invuller", org_a)),
        "gemeente": factories.user(("gemeente", g_a)),
    }
    # URL arguments all point at the other side's records.
    args = {
        "region_id": region_b.id,
        "gemeente_id": g_b.id,
        "org_id": org_b.id,
        "user_id": other.id,
        "assignment_id": RoleAssignment.get(RoleAssignment.user == other).id,
        "token": "onbekend-token",
        "kind": "users",
        "assessment_id": theirs.id,
        "number": 1,  # a theme page of the form
        "agreement_id": 1,
        "cycle_id": cycle.id,
        "indicator_id": IndicatorDefinition.create(
            code="X",
            name="X",
            computation="mean_compliance",
            norm=75,
            green_threshold=75,
            orange_threshold=60,
        ).id,
    }
    report = tmp_path / "rapport.pdf"
    report.write_bytes(b"%PDF-1.4 test")
    args["scope_type"] = "organisatie"
    args["scope_id"] = org_b.id
    args["file_id"] = ReportFile.create(
        cycle=cycle,
        kind="pdf_organisation",
        scope_type="organisatie",
        scope_id=org_b.id,
        path=str(report),
        checksum="0" * 64,
        size=report.stat().st_size,
    ).id
    return {"users": users, "args": args, "other": other}


def _url(app, endpoint: str, args: dict) -> tuple[str, list[str]]:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{a: args[a] for a in rule.arguments}), sorted(
            rule.methods - {"HEAD", "OPTIONS"}
        )


# Routes about one record: another organisation's record is not found, except
# by the beheerder, who may see everything.
OBJECT_ROUTES = (
    "assessments.",
    "assessment_review.",
    "cycles.remind",
    "cycles.reopen",
    "results.scope",
    "results.download",
    "practice.sharing",
)


def _expected(rule: str, role: str, method: str, endpoint: str) -> set[int]:
    if rule == "token":
        return {401}  # the open data feed reads tokens only, never a session
    if rule == "public":
        if endpoint in ("auth.reset", "auth.invitation"):
            return {404}  # the token is unknown
        if endpoint == "auth.login" and role != "anoniem":
            return {302}  # already logged in
        # An empty form is shown again with its errors (400).
        return {200, 302} if method == "GET" else {200, 302, 400}
    if role == "anoniem":
        return {302}  # to the login page
    if rule == "admin" and role != "beheerder":
        return {403}
    if rule == "coordinator" and role not in ("beheerder", "regiocoordinator"):
        return {403}
    if endpoint.startswith(OBJECT_ROUTES) and role != "beheerder":
        return {404}
    if endpoint == "maps.country" and role in ("manager", "invuller"):
        return {404}  # the country compares regions: coordinators and gemeenten
    # An empty POST that is let through gets a form error (200/400) or a redirect.
    # 409: the beheerder may read an assessment but does not fill it in.
    return {200, 302} if method == "GET" else {200, 302, 400, 409}


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, world, role):
    client = app.test_client()
    if role != "anoniem":
        user = world["users"][role]
        assert (
            client.post(
                "/inloggen", data={"email": user.email, "password": factories.PASSWORD}
            ).status_code
            == 302
        )
    before = {
        "users": User.select().count(),
        "roles": RoleAssignment.select().count(),
        "orgs": [(o.name, o.active) for o in Organisation.select().order_by(Organisation.id)],
    }
    failures = []
    for endpoint, rule in sorted(_rules(app).items()):
        if endpoint == "auth.logout":
            continue  # would end the session the rest of the matrix uses; tested elsewhere
        url, methods = _url(app, endpoint, world["args"])
        for method in methods:
            response = client.open(url, method=method, data={})
            response.close()  # a download holds its file open until closed
            expected = _expected(rule, role, method, endpoint)
            if response.status_code not in expected:
                failures.append(
                    f"{method} {url} ({rule}) → {response.status_code}, expected {sorted(expected)}"
                )
    assert failures == [], "\n".join(failures)
    if role != "beheerder":
        # Nobody but the beheerder changed anything by posting to admin routes.
        assert User.select().count() == before["users"]
        assert RoleAssignment.select().count() == before["roles"]
        assert [
            (o.name, o.active) for o in Organisation.select().order_by(Organisation.id)
        ] == before["orgs"]


def test_denied_access_is_audited(client, world):
    user = world["users"]["manager"]
    client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert client.get("/beheer/gebruikers").status_code == 403
    event = AuditEvent.get(AuditEvent.action == "access_denied")
    assert event.user_id == user.id
    assert event.details["path"] == "/beheer/gebruikers"


def test_unknown_object_answers_404_for_admin(client, world):
    admin = world["users"]["beheerder"]
    client.post("/inloggen", data={"email": admin.email, "password": factories.PASSWORD})
    assert client.get("/beheer/organisaties/999999").status_code == 404
    assert client.get("/beheer/gebruikers/999999").status_code == 404
    assert client.get(f"/beheer/regios/{Region.select().first().id}").status_code == 200
    assert client.get(f"/beheer/gemeenten/{Gemeente.select().first().id}").status_code == 200
