"""The admin screens."""

import pytest

from domain.reference import load_reference_data
from models import (
    AuditEvent,
    Gemeente,
    Organisation,
    OrganisationGemeente,
    Region,
    RoleAssignment,
    User,
)
from tests import factories


@pytest.fixture
def admin_client(client):
    load_reference_data()
    admin = factories.user(("beheerder",), email="beheer@example.nl")
    client.post("/inloggen", data={"email": admin.email, "password": factories.PASSWORD})
    return client


def test_lists_paginate_and_filter(admin_client):
    page = admin_client.get("/beheer/gemeenten").get_data(as_text=True)
    assert "Gemeenten (342)" in page
    assert "Pagina 1 van 7" in page
    second = admin_client.get("/beheer/gemeenten?pagina=2").get_data(as_text=True)
    assert "Pagina 2 van 7" in second
    zl = admin_client.get("/beheer/gemeenten?regio=VR24").get_data(as_text=True)
    assert "Gemeenten (16)" in zl
    assert "Maastricht" in zl
    found = admin_client.get("/beheer/gemeenten?q=GM0935").get_data(as_text=True)
    assert "Gemeenten (1)" in found


def test_create_and_edit_organisation_with_gemeenten(admin_client):
    zl = Region.get(Region.code == "VR24")
    maastricht = Gemeente.get(Gemeente.code == "GM0935")
    heerlen = Gemeente.get(Gemeente.code == "GM0917")
    response = admin_client.post(
        "/beheer/organisaties/nieuw",
        data={
            "name": "JGZ Zuid-Limburg",
            "kind": "jgz",
            "region": str(zl.id),
            "active": "1",
            "gemeenten": [str(maastricht.id), str(heerlen.id)],
        },
    )
    assert response.status_code == 302
    org = Organisation.get(Organisation.name == "JGZ Zuid-Limburg")
    served = {g for (g,) in OrganisationGemeente.select(OrganisationGemeente.gemeente).tuples()}
    assert served == {maastricht.id, heerlen.id}
    # Moving it to another region with the old gemeenten ticked is refused, input kept.
    ln = Region.get(Region.code == "VR23")
    page = admin_client.post(
        f"/beheer/organisaties/{org.id}",
        data={
            "name": "JGZ Limburg",
            "kind": "jgz",
            "region": str(ln.id),
            "active": "1",
            "gemeenten": [str(maastricht.id)],
        },
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "moeten in de gekozen regio liggen" in text
    assert '<a href="#gemeenten">' in text
    assert 'value="JGZ Limburg"' in text
    assert "Venlo" in text  # the new region's gemeenten are offered
    assert Organisation.get_by_id(org.id).region_id == zl.id
    # Deactivating keeps the row.
    admin_client.post(
        f"/beheer/organisaties/{org.id}",
        data={
            "name": "JGZ Zuid-Limburg",
            "kind": "jgz",
            "region": str(zl.id),
            "gemeenten": [str(maastricht.id)],
        },
    )
    org = Organisation.get_by_id(org.id)
    assert org.active is False
    assert AuditEvent.select().where(AuditEvent.action == "organisation_saved").count() == 2


def test_duplicate_organisation_name_gets_a_message(admin_client):
    zl = Region.get(Region.code == "VR24")
    factories.organisation(zl, name="CJG Maastricht")
    page = admin_client.post(
        "/beheer/organisaties/nieuw",
        data={"name": "CJG Maastricht", "kind": "cjg", "region": str(zl.id)},
    )
    assert "bestaat al een organisatie" in page.get_data(as_text=True)
    assert Organisation.select().count() == 1


def test_user_roles_added_and_removed(admin_client):
    zl = Region.get(Region.code == "VR24")
    org = factories.organisation(zl)
    user = factories.user()
    admin_client.post(
        f"/beheer/gebruikers/{user.id}/rollen",
        data={"role": "manager", "organisation": str(org.id)},
    )
    admin_client.post(
        f"/beheer/gebruikers/{user.id}/rollen",
        data={"role": "regiocoordinator", "region": str(zl.id)},
    )
    page = admin_client.post(
        f"/beheer/gebruikers/{user.id}/rollen", data={"role": "gemeente"}, follow_redirects=True
    )
    assert "Kies de gemeente voor deze rol." in page.get_data(as_text=True)
    roles = {a.role for a in RoleAssignment.select().where(RoleAssignment.user == user)}
    assert roles == {"manager", "regiocoordinator"}
    manager = RoleAssignment.get(RoleAssignment.user == user, RoleAssignment.role == "manager")
    admin_client.post(f"/beheer/gebruikers/{user.id}/rollen/{manager.id}/verwijderen")
    assert RoleAssignment.select().where(RoleAssignment.user == user).count() == 1
    actions = [e.action for e in AuditEvent.select()]
    assert actions.count("role_granted") == 2
    assert actions.count("role_revoked") == 1


def test_admin_cannot_deactivate_self_or_remove_last_admin(admin_client):
    me = User.get(User.email == "beheer@example.nl")
    page = admin_client.post(
        f"/beheer/gebruikers/{me.id}",
        data={"email": me.email, "name": me.name, "locale": "nl"},
        follow_redirects=True,
    )
    assert "eigen account niet deactiveren" in page.get_data(as_text=True)
    mine = RoleAssignment.get(RoleAssignment.user == me)
    page = admin_client.post(
        f"/beheer/gebruikers/{me.id}/rollen/{mine.id}/verwijderen", follow_redirects=True
    )
    assert "minstens één beheerder" in page.get_data(as_text=True)
    assert User.get_by_id(me.id).active


def test_audit_page_filters(admin_client):
    factories.user(email="iemand@example.nl")
    admin_client.post("/uitloggen")
    admin_client.post("/inloggen", data={"email": "iemand@example.nl", "password": "fout"})
    admin_client.post(
        "/inloggen", data={"email": "beheer@example.nl", "password": factories.PASSWORD}
    )
    page = admin_client.get("/beheer/audit?actie=login_failed").get_data(as_text=True)
    assert "iemand@example.nl" in page
    assert "1 gebeurtenissen" in page
    bad = admin_client.get("/beheer/audit?van=gisteren").get_data(as_text=True)
    assert "JJJJ-MM-DD" in bad
