"""One truth in the feed: numerator and denominator as the workbook's
Gegevens, the signal against the pages' norm with the national one beside
it, every figure the owner's pages show, validators that follow names, CSV
without control characters."""

import csv
import datetime as dt
import io

import pytest

from domain import api_tokens, computation
from domain.audit import record
from models import AuditEvent, Organisation, RegionalNorm
from tests import factories
from tests.domain.test_computation import INDICATORS, world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def feed(world):  # noqa: F811 - the fixture imported above
    computation.recompute()
    o = world["orgs"]
    people = {
        "manager_a": factories.user(("manager", o["A"])),
        "gemeente_3": factories.user(("gemeente", world["g3"])),
        "beheerder": factories.user(("beheerder",)),
    }
    world["tokens"] = {k: api_tokens.create_token(u, k, 30)[1] for k, u in people.items()}
    return world


def _get(client, path, secret, **headers):
    return client.get(path, headers={"Authorization": f"Bearer {secret}", **headers})


def test_numerator_over_denominator_is_the_value_for_every_kind(client, feed):
    rows = _get(client, "/api/v1/results/regio?cycle=2026-Q2", feed["tokens"]["beheerder"]).json[
        "data"
    ]
    kinds = {i["code"]: i["computation"] for i in INDICATORS["indicators"]}
    seen = set()
    for row in rows:
        if row["value"] is None:
            continue
        ratio = row["numerator"] / row["denominator"]
        assert (ratio * 100 if row["unit"] == "%" else ratio) == pytest.approx(row["value"])
        seen.add(kinds[row["indicator"]])
    assert {"mean_compliance", "partner_gap", "share_at_least"} <= seen
    # Region r1, MEAN: A (3 + 2 + 4) and B (1 + 2) of 5 scored answers: 12 of 20 points.
    mean = next(
        r for r in rows if r["indicator"] == "MEAN" and r["scope_id"] == feed["r1"].id
    )  # fmt: skip
    assert (mean["numerator"], mean["denominator"]) == (12, 20)


def test_signal_against_the_pages_norm_with_the_national_one_beside(client, feed):
    a = feed["orgs"]["A"].id
    mean = [i for i in INDICATORS["indicators"] if i["code"] == "MEAN"]
    assert mean[0]["green"] == 75
    from models import IndicatorDefinition

    definition = IndicatorDefinition.get(IndicatorDefinition.code == "MEAN")
    RegionalNorm.create(
        indicator=definition, region=feed["r1"], norm=80, green_threshold=80, orange_threshold=78
    )
    rows = _get(
        client, f"/api/v1/results/organisatie/{a}?cycle=2026-Q2", feed["tokens"]["manager_a"]
    )
    row = next(r for r in rows.json["data"] if r["indicator"] == "MEAN")
    # A: 75 % — red against its region's own 80, green against the national 75.
    assert row["value"] == pytest.approx(75.0)
    assert (row["signal"], row["norm"], row["norm_source"]) == ("rood", 80, "regionaal")
    assert (row["national_signal"], row["national_norm"]) == ("groen", 75)
    writing = next(r for r in rows.json["data"] if r["indicator"] == "WRIT")
    assert writing["norm_source"] == "landelijk"
    assert writing["signal"] == writing["national_signal"]


def test_a_token_reads_what_its_owners_pages_show(client, feed):
    tokens = feed["tokens"]
    regions = _get(client, "/api/v1/results/regio?cycle=2026-Q2", tokens["gemeente_3"]).json["data"]
    assert {r["scope_id"] for r in regions} == {feed["r2"].id}  # the gemeente's region
    country = _get(client, "/api/v1/results/land/0?cycle=2026-Q2", tokens["manager_a"])
    assert country.status_code == 200
    assert country.json["data"]
    own = _get(client, "/api/v1/scopes/regio", tokens["manager_a"]).json["data"]
    assert [r["id"] for r in own] == [feed["r1"].id]


def test_a_rename_changes_the_validators(client, feed):
    secret = feed["tokens"]["beheerder"]
    path = "/api/v1/results/organisatie?cycle=2026-Q2"
    first = _get(client, path, secret)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert _get(client, path, secret, **{"If-Modified-Since": modified}).status_code == 304
    a = feed["orgs"]["A"]
    Organisation.update(name="A hernoemd").where(Organisation.id == a.id).execute()
    event = record("organisation_saved", object_type="organisation", object_id=a.id)
    # Saved a second after the answer the client holds.
    at = first.last_modified.replace(tzinfo=None) + dt.timedelta(seconds=1)
    AuditEvent.update(at=at).where(AuditEvent.id == event.id).execute()
    again = _get(client, path, secret, **{"If-Modified-Since": modified})
    assert again.status_code == 200
    assert "A hernoemd" in again.text
    assert _get(client, path, secret, **{"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize("fmt", ["csv", "csv-nl"])
def test_csv_drops_control_characters(client, feed, fmt):
    a = feed["orgs"]["A"]
    Organisation.update(name="A\x07\x1b[31m zorg\x01").where(Organisation.id == a.id).execute()
    response = _get(
        client, f"/api/v1/results/organisatie/{a.id}?cycle=2026-Q2&format={fmt}",
        feed["tokens"]["manager_a"],
    )  # fmt: skip
    text = response.get_data(as_text=True)
    assert not any(ord(c) < 32 and c not in "\r\n" for c in text)
    rows = list(
        csv.DictReader(
            io.StringIO(text.lstrip("\ufeff")), delimiter=";" if fmt == "csv-nl" else ","
        )
    )
    assert {r["scope_name"] for r in rows} == {"A[31m zorg"}
