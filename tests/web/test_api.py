"""The open data feed: tokens, scope, formats, caching, rate limit, audit."""

import datetime as dt
import hashlib

import pytest

from domain import api_tokens, computation
from models import ApiToken, AuditEvent, Cycle, utcnow
from tests import factories
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def feed(world):  # noqa: F811 - the fixture imported above
    computation.recompute()
    o = world["orgs"]
    people = {
        "manager_a": factories.user(("manager", o["A"])),
        "coordinator_1": factories.user(("regiocoordinator", world["r1"])),
        "gemeente_3": factories.user(("gemeente", world["g3"])),
        "beheerder": factories.user(("beheerder",)),
    }
    world["tokens"] = {k: api_tokens.create_token(u, k, 30)[1] for k, u in people.items()}
    world["people"] = people
    return world


def _get(client, path, secret, **headers):
    return client.get(path, headers={"Authorization": f"Bearer {secret}", **headers})


def _values(response):
    return {(r["scope_type"], r["scope_id"], r["indicator"]): r for r in response.json["data"]}


def test_token_reads_the_figures_of_its_scope(client, feed):
    o, tokens = feed["orgs"], feed["tokens"]
    response = _get(client, f"/api/v1/results/organisatie/{o['A'].id}?cycle=2026-Q2",
                    tokens["manager_a"])  # fmt: skip
    assert response.status_code == 200
    rows = _values(response)
    mean = rows[("organisatie", o["A"].id, "MEAN")]
    # A: (3 + 2 + 4) of 12 points = 75% (tests/domain/test_computation.py).
    assert mean["value"] == pytest.approx(75.0)
    assert mean["cycle"] == "2026-Q2"
    assert mean["signal"] == "groen"
    assert {"numerator", "denominator", "change", "norm"} <= set(mean)


@pytest.mark.parametrize(
    ("who", "scope_type", "key"),
    [
        ("manager_a", "organisatie", "C"),
        ("manager_a", "gemeente", "g1"),
        ("manager_a", "regio", "r2"),
        ("coordinator_1", "organisatie", "C"),
        ("coordinator_1", "gemeente", "g3"),
        ("coordinator_1", "regio", "r2"),
        ("gemeente_3", "gemeente", "g1"),
        ("gemeente_3", "organisatie", "C"),  # gemeente users never read organisations
        ("gemeente_3", "regio", "r1"),
    ],
)
def test_token_never_yields_another_scope(client, feed, who, scope_type, key):
    if key is None:
        scope_id = 0
    elif scope_type == "organisatie":
        scope_id = feed["orgs"][key].id
    else:
        scope_id = feed[key].id
    response = _get(client, f"/api/v1/results/{scope_type}/{scope_id}", feed["tokens"][who])
    assert response.status_code == 404
    assert "value" not in response.get_data(as_text=True)


def test_lists_hold_only_the_scopes_of_the_token(client, feed):
    tokens, o = feed["tokens"], feed["orgs"]
    gemeenten = _get(client, "/api/v1/scopes/gemeente", tokens["coordinator_1"]).json["data"]
    assert {g["id"] for g in gemeenten} == {feed["g1"].id, feed["g2"].id}
    results = _get(client, "/api/v1/results/organisatie?cycle=2026-Q2", tokens["coordinator_1"])
    assert {r["scope_id"] for r in results.json["data"]} <= {o["A"].id, o["B"].id, o["D"].id}
    assert o["C"].id not in {r["scope_id"] for r in results.json["data"]}
    own = _get(client, "/api/v1/results/gemeente", tokens["gemeente_3"]).json["data"]
    assert {r["scope_id"] for r in own} == {feed["g3"].id}
    assert _get(client, "/api/v1/scopes/organisatie", tokens["gemeente_3"]).json["data"] == []
    country = _get(client, "/api/v1/results/land/0?cycle=2026-Q2", tokens["gemeente_3"])
    assert country.status_code == 200  # gemeenten compare with the country


def test_organisations_come_in_pages(client, feed):
    secret = feed["tokens"]["beheerder"]
    first = _get(client, "/api/v1/scopes/organisatie?per_page=2", secret)
    total = first.json["meta"]["total"]
    assert total == int(first.headers["X-Total-Count"]) >= 4
    assert len(first.json["data"]) == 2
    assert 'rel="next"' in first.headers["Link"]
    seen = [s["id"] for s in first.json["data"]]
    page = 2
    while len(seen) < total:
        more = _get(client, f"/api/v1/scopes/organisatie?per_page=2&page={page}", secret)
        seen += [s["id"] for s in more.json["data"]]
        page += 1
    assert len(set(seen)) == total
    assert _get(client, "/api/v1/scopes/organisatie?per_page=501", secret).status_code == 400
    # An unknown parameter named like a path part is ignored, not an error.
    odd = _get(client, "/api/v1/scopes/organisatie?per_page=2&scope_type=regio&page=2", secret)
    assert odd.status_code == 200
    assert "scope_type=" not in odd.headers["Link"]
    assert 'page=1>; rel="prev"' in odd.headers["Link"]


def test_expired_revoked_or_unknown_token_is_401(client, feed):
    owner = feed["people"]["manager_a"]
    path = f"/api/v1/results/organisatie/{feed['orgs']['A'].id}"
    assert client.get(path).status_code == 401
    assert _get(client, path, "amt_not-a-token").status_code == 401
    token, secret = api_tokens.create_token(owner, "kort", 1)
    assert _get(client, path, secret).status_code == 200
    ApiToken.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(
        ApiToken.id == token.id
    ).execute()
    response = _get(client, path, secret)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    token, secret = api_tokens.create_token(owner, "ingetrokken", 30)
    assert api_tokens.revoke_token(owner, token.id)
    assert _get(client, path, secret).status_code == 401
    # Another person cannot revoke someone else's token.
    other, _ = api_tokens.create_token(owner, "van A", 30)
    assert not api_tokens.revoke_token(feed["people"]["beheerder"], other.id)


def test_token_is_stored_only_as_a_hash(feed):
    secret = feed["tokens"]["manager_a"]
    token = ApiToken.get(ApiToken.name == "manager_a")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in token.prefix + token.name
    assert secret.startswith(token.prefix)


def test_every_use_is_audited(client, feed):
    before = AuditEvent.select().where(AuditEvent.action == "api_request").count()
    _get(client, "/api/v1/cycles", feed["tokens"]["manager_a"])
    _get(client, f"/api/v1/results/organisatie/{feed['orgs']['C'].id}", feed["tokens"]["manager_a"])
    events = list(
        AuditEvent.select().where(AuditEvent.action == "api_request").order_by(AuditEvent.id)
    )[before:]
    assert [(e.details["path"], e.details["status"]) for e in events] == [
        ("/api/v1/cycles", 200),
        (f"/api/v1/results/organisatie/{feed['orgs']['C'].id}", 404),
    ]
    assert all(e.user_id == feed["people"]["manager_a"].id for e in events)
    assert feed["tokens"]["manager_a"] not in str([e.details for e in events])


def test_rate_limit(client, feed, app):
    app.config["API_RATE_PER_MINUTE"] = 3
    secret = feed["tokens"]["manager_a"]
    codes = [_get(client, "/api/v1/cycles", secret).status_code for _ in range(4)]
    if 429 not in codes:  # the minute turned over during the test: once more
        codes = [_get(client, "/api/v1/cycles", secret).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = _get(client, "/api/v1/cycles", secret)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Another token has its own budget.
    assert _get(client, "/api/v1/cycles", feed["tokens"]["beheerder"]).status_code == 200


def test_unchanged_figures_answer_304(client, feed):
    secret = feed["tokens"]["beheerder"]
    path = "/api/v1/results/regio?cycle=2026-Q2"
    first = _get(client, path, secret)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = _get(client, path, secret, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert _get(client, path, secret, **{"If-Modified-Since": modified}).status_code == 304
    # A recompute that changes a figure changes the answer.
    from models import Answer, Assessment

    Answer.update(score=0).where(
        Answer.score.is_null(False),
        Answer.assessment.in_(Assessment.select(Assessment.id).where(
            Assessment.organisation == feed["orgs"]["C"].id)),
    ).execute()  # fmt: skip
    computation.recompute(force=True)
    changed = _get(client, path, secret, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_csv_for_power_query(client, feed):
    secret = feed["tokens"]["manager_a"]
    a = feed["orgs"]["A"].id
    plain = _get(client, f"/api/v1/results/organisatie/{a}?cycle=2026-Q2&format=csv", secret)
    assert plain.mimetype == "text/csv"
    lines = plain.get_data(as_text=True).splitlines()
    assert lines[0].split(",")[:3] == ["cycle", "scope_type", "scope_id"]
    assert any(",MEAN," in line and ",75," in line for line in lines)
    dutch = _get(client, f"/api/v1/results/organisatie/{a}?cycle=2026-Q2&format=csv-nl", secret)
    text = dutch.get_data(as_text=True)
    assert text.startswith("\ufeffcycle;scope_type;")
    row = next(line for line in text.splitlines() if ";MEAN;" in line)
    assert ";75;" in row  # value
    assert ";groen;" in row
    assert _get(client, "/api/v1/cycles?format=xml", secret).status_code == 400


def test_indicators_and_cycles_describe_themselves(client, feed):
    secret = feed["tokens"]["manager_a"]
    indicators = _get(client, "/api/v1/indicators", secret).json["data"]
    mean = next(i for i in indicators if i["code"] == "MEAN")
    assert mean["norm"] == 75
    assert mean["unit"] == "%"
    periods = [c["period"] for c in _get(client, "/api/v1/cycles", secret).json["data"]]
    assert "2026-Q2" in periods
    assert all(Cycle.get(Cycle.period == p).state != "gepland" for p in periods)


def test_openapi_is_public_and_names_every_route(client, app):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {"/api/v1" + path for path in spec["paths"]}
    routes = {
        r.rule.replace("<", "{").replace(">", "}")
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("api.") and r.endpoint != "api.openapi"
    }
    assert routes == documented


def test_tokens_under_mijn_account(client, feed):
    user = feed["people"]["manager_a"]
    client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    page = client.post("/account/api-tokens", data={"action": "create", "name": "Power BI",
                                                    "days": "60"})  # fmt: skip
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    secret = text.split('id="token-secret" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith("amt_")
    token = ApiToken.get(ApiToken.name == "Power BI")
    assert token.expires_at - token.created_at == dt.timedelta(days=60)
    assert _get(client, "/api/v1/cycles", secret).status_code == 200
    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert "Power BI" in listing
    assert secret not in listing  # shown once only
    revoked = client.post("/account/api-tokens", data={"action": "revoke",
                                                       "token_id": str(token.id)})  # fmt: skip
    assert revoked.status_code == 200
    assert _get(client, "/api/v1/cycles", secret).status_code == 401
    bad = client.post("/account/api-tokens", data={"action": "create", "name": "x", "days": "999"})
    assert bad.status_code == 400
    # Someone else's token cannot be revoked through the page.
    theirs = ApiToken.get(ApiToken.name == "beheerder")
    client.post("/account/api-tokens", data={"action": "revoke", "token_id": str(theirs.id)})
    assert ApiToken.get_by_id(theirs.id).revoked_at is None


def test_a_token_only_reads_the_feed(client, feed):
    secret = feed["tokens"]["beheerder"]
    bearer = {"Authorization": f"Bearer {secret}"}
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/api/v1/cycles", headers=bearer).status_code == 405
    # The pages take no token: without a session they send to the login page.
    assert client.get("/resultaten", headers=bearer).status_code == 302
    assert client.get("/beheer/gebruikers", headers=bearer).status_code == 302


def test_odd_paths_are_audited_safely(client, feed):
    secret = feed["tokens"]["beheerder"]
    response = _get(client, "/api/v1/results/%00regio/1?cycle=%01", secret)
    assert response.status_code == 404
    event = (
        AuditEvent.select()
        .where(AuditEvent.action == "api_request")
        .order_by(AuditEvent.id.desc())
        .get()
    )
    assert event.details["path"] == "/api/v1/results/?regio/1"
    assert client.get("/api/v1/results/%00/1").status_code == 401
