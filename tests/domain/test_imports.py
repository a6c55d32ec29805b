"""Bulk import: dry run, errors by row and column, all-or-nothing, idempotent."""

import io

import pytest
from openpyxl import Workbook

from domain import imports
from domain.reference import load_reference_data
from models import Organisation, OrganisationGemeente, OutboxMessage, RoleAssignment, User
from tests import factories

LINK = "https://monitor.example/uitnodiging/{}".format

ORGS_CSV = """naam;soort;regio;gemeenten;actief
JGZ Zuid-Limburg;jgz;VR24;GM0935, GM0917;ja
Veilig Thuis Zuid-Limburg;Veilig Thuis;Zuid-Limburg;;ja
CJG Maastricht;cjg;VR24;Maastricht;
"""


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def admin(database):
    load_reference_data()
    return factories.user(("beheerder",))


def test_organisations_dry_run_then_apply_then_again(admin):
    data = ORGS_CSV.encode()
    plan = imports.plan("organisations", "orgs.csv", data)
    assert plan.ok
    assert [r.outcome for r in plan.rows] == ["nieuw", "nieuw", "nieuw"]
    assert Organisation.select().count() == 0  # the dry run writes nothing
    result = imports.apply(admin, "organisations", "orgs.csv", data, LINK)
    assert result.counts() == {"nieuw": 3, "gewijzigd": 0, "ongewijzigd": 0, "fout": 0}
    jgz = Organisation.get(Organisation.name == "JGZ Zuid-Limburg")
    assert jgz.kind == "jgz"
    assert (
        OrganisationGemeente.select().where(OrganisationGemeente.organisation == jgz).count() == 2
    )
    assert Organisation.get(Organisation.name == "Veilig Thuis Zuid-Limburg").kind == "veilig_thuis"
    again = imports.apply(admin, "organisations", "orgs.csv", data, LINK)
    assert again.counts() == {"nieuw": 0, "gewijzigd": 0, "ongewijzigd": 3, "fout": 0}
    assert Organisation.select().count() == 3
    changed = ORGS_CSV.replace(
        "CJG Maastricht;cjg;VR24;Maastricht;", "CJG Maastricht;cjg;VR24;Maastricht;nee"
    )
    plan = imports.plan("organisations", "orgs.csv", changed.encode())
    assert [r.outcome for r in plan.rows] == ["ongewijzigd", "ongewijzigd", "gewijzigd"]


def test_organisation_errors_by_row_and_column_write_nothing(admin):
    data = _xlsx(
        [
            ["Naam", "Soort", "Regio", "Gemeenten", "Actief"],
            ["Goede organisatie", "jgz", "VR24", "GM0935", "ja"],
            ["", "bakkerij", "VR99", "GM0983", "misschien"],
            ["Goede organisatie", "jgz", "VR24", "Venlo", "ja"],
        ]
    )
    plan = imports.plan("organisations", "orgs.xlsx", data)
    assert not plan.ok
    errors = {(r.row, column) for r in plan.rows for column, _ in r.errors}
    assert errors == {
        (3, "naam"),
        (3, "soort"),
        (3, "regio"),
        (3, "actief"),
        (4, "naam"),
        (4, "gemeenten"),
    }
    result = imports.apply(admin, "organisations", "orgs.xlsx", data, LINK)
    assert not result.ok
    assert Organisation.select().count() == 0


def test_missing_columns_and_wrong_files(admin):
    with pytest.raises(imports.ImportFileError, match="'soort'"):
        imports.plan("organisations", "x.csv", b"naam,regio\nA,VR24\n")
    with pytest.raises(imports.ImportFileError, match="xlsx"):
        imports.plan("organisations", "x.xlsx", b"geen excel")
    with pytest.raises(imports.ImportFileError, match=".xlsx- of .csv"):
        imports.plan("organisations", "x.pdf", b"%PDF")


def test_users_import_invites_new_users_once(admin):
    zl = factories.organisation(factories.region(code="VR24x"), name="JGZ Test")
    data = _xlsx(
        [
            ["e-mail", "naam", "rol", "regio", "organisatie", "gemeente", "taal"],
            ["Anna@Example.nl", "Anna de Vries", "manager", "", "JGZ Test", "", "nl"],
            ["anna@example.nl", "Anna de Vries", "regiocoördinator", "VR24", "", "", "nl"],
            ["bob@example.nl", "Bob Jansen", "Gemeente", "", "", "GM0935", "en"],
            ["carla@example.nl", "Carla Smit", "", "", "", "", ""],
        ]
    )
    plan = imports.plan("users", "users.xlsx", data)
    assert plan.ok, [(r.row, r.errors) for r in plan.rows]
    assert [r.outcome for r in plan.rows] == ["nieuw", "gewijzigd", "nieuw", "nieuw"]
    imports.apply(admin, "users", "users.xlsx", data, LINK)
    anna = User.get(User.email == "anna@example.nl")
    assert {a.role for a in RoleAssignment.select().where(RoleAssignment.user == anna)} == {
        "manager",
        "regiocoordinator",
    }
    assert (
        RoleAssignment.get(
            RoleAssignment.user == anna, RoleAssignment.role == "manager"
        ).organisation_id
        == zl.id
    )
    assert User.get(User.email == "bob@example.nl").locale == "en"
    invitations = [m.to_address for m in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert invitations == ["anna@example.nl", "bob@example.nl", "carla@example.nl"]
    again = imports.apply(admin, "users", "users.xlsx", data, LINK)
    assert again.counts()["ongewijzigd"] == 4
    assert OutboxMessage.select().count() == 3
    assert User.select().count() == 4


def test_user_errors(admin):
    data = (
        b"e-mail,naam,rol,regio,organisatie,gemeente\n"
        b"geen-adres,Iemand,manager,,Bestaat Niet,\n"
        b"x@example.nl,,koning,,,\n"
        b"y@example.nl,Y,regiocoordinator,VR77,,\n"
    )
    plan = imports.plan("users", "u.csv", data)
    errors = {(r.row, column) for r in plan.rows for column, _ in r.errors}
    assert errors == {(2, "e-mail"), (2, "organisatie"), (3, "naam"), (3, "rol"), (4, "regio")}
    assert not imports.apply(admin, "users", "u.csv", data, LINK).ok
    assert User.select().count() == 1
