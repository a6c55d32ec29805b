"""Tokens end with their owner's password, account or role (issue 26); the
API budget belongs to the user; unauthenticated traffic is limited per
address and recorded in aggregate past a threshold."""

import datetime as dt

import pytest

from domain import accounts, api_tokens, limits
from models import ApiToken, AuditEvent, OutboxMessage, PasswordResetRequest, RequestCount, User
from tests import factories
from tests.domain.test_computation import world  # noqa: F401 - the fixture feed uses
from tests.web.test_api import _get, feed  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.usefixtures("app")


def _works(client, secret) -> bool:
    return _get(client, "/api/v1/cycles", secret).status_code == 200


def _revoked_and_told(user: User, reason_text: str) -> None:
    assert api_tokens.active_tokens(user) == []
    events = AuditEvent.select().where(
        AuditEvent.action == "api_token_revoked", AuditEvent.object_type == "api_token"
    )
    assert any(e.details.get("owner") == user.email for e in events)
    (mail,) = OutboxMessage.select().where(
        OutboxMessage.to_address == user.email,
        OutboxMessage.subject == "Uw sleutels voor de gegevensfeed zijn ingetrokken",
    )
    assert reason_text in mail.body_text


def test_a_password_change_ends_the_tokens(client, feed):  # noqa: F811
    user, secret = feed["people"]["manager_a"], feed["tokens"]["manager_a"]
    assert _works(client, secret)
    assert accounts.change_password(user, factories.PASSWORD, "nieuw-lang-wachtw00rd",
                                    "nieuw-lang-wachtw00rd") == []  # fmt: skip
    assert not _works(client, secret)
    _revoked_and_told(user, "wachtwoord")


def test_a_reset_ends_the_tokens(client, feed):  # noqa: F811
    user, secret = feed["people"]["coordinator_1"], feed["tokens"]["coordinator_1"]
    token = accounts.issue_token(user, "reset")
    redeemed, problems = accounts.redeem_token(token, "reset", "nieuw-lang-wachtw00rd",
                                               "nieuw-lang-wachtw00rd")  # fmt: skip
    assert problems == []
    assert redeemed.id == user.id
    assert not _works(client, secret)
    _revoked_and_told(user, "wachtwoord")


def test_deactivation_ends_the_tokens_and_reactivation_brings_none_back(client, feed):  # noqa: F811
    admin = feed["people"]["beheerder"]
    user, secret = feed["people"]["gemeente_3"], feed["tokens"]["gemeente_3"]
    user = User.get_by_id(user.id)
    accounts.update_user(admin, user, name=user.name, email=user.email, locale="nl", active=False)
    _revoked_and_told(user, "gedeactiveerd")
    accounts.update_user(admin, user, name=user.name, email=user.email, locale="nl", active=True)
    assert not _works(client, secret)
    assert ApiToken.get(ApiToken.user == user).revoked_at is not None


def test_a_role_removal_ends_the_tokens(client, feed):  # noqa: F811
    admin = feed["people"]["beheerder"]
    user, secret = feed["people"]["manager_a"], feed["tokens"]["manager_a"]
    (assignment,) = user.roles
    accounts.revoke_role(admin, assignment)
    assert not _works(client, secret)
    _revoked_and_told(user, "rollen")


def test_the_budget_belongs_to_the_user_and_follows_the_setting(client, feed, app):  # noqa: F811
    app.config["API_RATE_PER_MINUTE"] = 4
    user = feed["people"]["manager_a"]
    secrets = [feed["tokens"]["manager_a"]] + [
        api_tokens.create_token(user, f"extra {i}", 30)[1] for i in range(2)
    ]
    codes = [_get(client, "/api/v1/cycles", secrets[i % 3]).status_code for i in range(5)]
    if 429 not in codes:  # the minute turned over during the test: once more
        codes = [_get(client, "/api/v1/cycles", secrets[i % 3]).status_code for i in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    # A fresh token brings no fresh budget; another user has their own.
    fresh = api_tokens.create_token(user, "nieuw", 30)[1]
    assert _get(client, "/api/v1/cycles", fresh).status_code == 429
    assert _works(client, feed["tokens"]["beheerder"])


def test_api_setting_is_read_from_the_environment(monkeypatch, tmp_path):
    from web.config import from_environment

    monkeypatch.setenv("API_RATE_PER_MINUTE", "7")
    assert from_environment(tmp_path)["API_RATE_PER_MINUTE"] == 7


@pytest.fixture
def one_hour(monkeypatch):
    """The hour the counts are kept in does not turn over during a test."""
    now = dt.datetime(2026, 12, 6, 10, 30)
    monkeypatch.setattr(limits, "utcnow", lambda: now)
    return now


@pytest.mark.usefixtures("one_hour")
def test_failed_api_authentications_are_limited_and_recorded_in_aggregate(client, feed):  # noqa: F811
    before = AuditEvent.select().count()
    codes = [_get(client, "/api/v1/cycles", f"amt_fout{i}").status_code for i in range(300)]
    assert codes[: limits.ALLOWED["api_refused"]] == [401] * limits.ALLOWED["api_refused"]
    assert set(codes[limits.ALLOWED["api_refused"] :]) == {429}
    refused = _get(client, "/api/v1/cycles", "amt_fout")
    assert refused.headers["Retry-After"] == str(30 * 60)  # to the next hour
    # Refused before any token is looked up, even a valid one, from that address.
    assert _get(client, "/api/v1/cycles", feed["tokens"]["beheerder"]).status_code == 429
    new = list(AuditEvent.select().where(AuditEvent.id > 0).order_by(AuditEvent.id))[before:]
    assert len(new) == limits.RECORDED_EACH + 1
    (aggregate,) = [e for e in new if e.action == limits.AGGREGATE_ACTION]
    assert aggregate.details["what"] == "api_refused"
    assert aggregate.details["count"] == 302 - limits.RECORDED_EACH
    assert RequestCount.select().where(RequestCount.scope == "api_refused").count() == 2


@pytest.mark.usefixtures("one_hour")
def test_reset_requests_and_locked_logins_are_bounded_per_address(client):
    before = AuditEvent.select().count()
    for i in range(200):
        client.post("/wachtwoord-vergeten", data={"email": f"iemand{i}@example.nl"})
    assert PasswordResetRequest.select().count() == limits.ALLOWED["reset_request"]
    for _ in range(200):
        client.post("/inloggen", data={"email": "slot@example.nl", "password": "fout"})
    new = list(AuditEvent.select().order_by(AuditEvent.id))[before:]
    aggregates = {e.details["what"]: e.details["count"] for e in new
                  if e.action == limits.AGGREGATE_ACTION}  # fmt: skip
    assert aggregates["password_reset_requested"] == 200 - limits.RECORDED_EACH
    assert "login_throttled" in aggregates
    # Failed logins before the lock, ten locked ones each, and the two aggregates.
    assert len(new) < 60


def test_many_addresses_share_one_count_past_the_threshold(monkeypatch):
    monkeypatch.setattr(limits, "ADDRESSES", 5)
    now = dt.datetime(2026, 12, 6, 10, 0)
    for i in range(50):
        limits.anonymous_event("api_refused", "api_refused", f"2001:db8:{i}::1", now)
    # Five addresses (IPv6 counted by /64) with their own count, the rest together.
    assert RequestCount.select().where(RequestCount.scope == "api_refused").count() == 6
    assert limits.client_key("2001:db8:1::1") == limits.client_key("2001:db8:1::ffff")


@pytest.mark.parametrize("name", ["a\x00b", "bel\x07", "eman\u202etxet", "twee\nregels", "x" * 101])
def test_the_token_name_goes_through_the_one_text_check(app, feed, name):  # noqa: F811
    user = feed["people"]["beheerder"]
    before = ApiToken.select().count()
    with pytest.raises(api_tokens.TokenError):
        api_tokens.create_token(user, name, 30)
    client = app.test_client()
    client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    page = client.post("/account/api-tokens", data={"action": "create", "name": name, "days": "30"})
    assert page.status_code == 400
    assert ApiToken.select().count() == before
