"""Password policy, throttling, tokens and role assignments."""

import datetime as dt

import pytest
from argon2 import PasswordHasher

from domain import accounts
from domain.passwords import needs_rehash, verify_password
from models import AuditEvent, LoginThrottle, RoleAssignment, User, UserToken, utcnow
from tests import factories


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kort1!", accounts.MSG_TOO_SHORT),
        ("x" * 257, accounts.MSG_TOO_LONG),
        ("password123", accounts.MSG_COMMON),
        ("Wachtwoord", accounts.MSG_COMMON),
        ("qwertyuiop", accounts.MSG_COMMON),
        ("jan.jansen", accounts.MSG_PERSONAL),
    ],
)
def test_password_policy_refuses(password, problem):
    assert accounts.password_problems(password, email="jan.jansen@example.nl") == [problem]


@pytest.mark.parametrize(
    "password", ["paardenbloem in de wei", "alleenkleineletters", "12345678901234567890x"]
)
def test_password_policy_has_no_composition_rules(password):
    assert accounts.password_problems(password, email="a@example.nl") == []


def test_account_throttle_backs_off(database):
    user = factories.user(("beheerder",))
    now = utcnow()
    for _ in range(accounts.FREE_FAILURES["account"] - 1):
        assert accounts.authenticate(user.email, "fout", "10.0.0.1", now) == (None, 0)
    # The fifth failure locks for 30 seconds; while locked even the right password waits.
    assert accounts.authenticate(user.email, "fout", "10.0.0.1", now) == (None, 0)
    assert accounts.authenticate(user.email, factories.PASSWORD, "10.0.0.1", now) == (None, 30)
    later = now + dt.timedelta(seconds=31)
    assert accounts.authenticate(user.email, "fout", "10.0.0.1", later) == (None, 0)
    assert accounts.throttle_wait(user.email, "10.0.0.2", later) == 60  # doubled
    after = later + dt.timedelta(seconds=61)
    ok, wait = accounts.authenticate(user.email, factories.PASSWORD, "10.0.0.2", after)
    assert ok.id == user.id
    assert wait == 0
    # Success clears the account's counter.
    assert LoginThrottle.get_or_none(scope="account", key=user.email) is None
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions.count("login_failed") == 6
    assert "login_throttled" in actions


def test_address_throttle_counts_across_accounts(database):
    now = utcnow()
    for n in range(accounts.FREE_FAILURES["address"]):
        accounts.authenticate(f"iemand{n}@example.nl", "fout", "192.0.2.7", now)
    user = factories.user()
    assert accounts.authenticate(user.email, factories.PASSWORD, "192.0.2.7", now)[1] > 0
    assert accounts.authenticate(user.email, factories.PASSWORD, "192.0.2.8", now)[0] == user


def test_old_failures_are_forgotten(database):
    user = factories.user()
    start = utcnow()
    for n in range(4):
        accounts.authenticate(user.email, "fout", "10.0.0.1", start + dt.timedelta(seconds=n))
    much_later = start + accounts.FAILURE_WINDOW + dt.timedelta(minutes=1)
    accounts.authenticate(user.email, "fout", "10.0.0.1", much_later)
    assert LoginThrottle.get(scope="account", key=user.email).failures == 1
    assert accounts.throttle_wait(user.email, "10.0.0.1", much_later) == 0


def test_unknown_accounts_are_throttled_too(database):
    now = utcnow()
    for _ in range(accounts.FREE_FAILURES["account"]):
        accounts.authenticate("bestaat-niet@example.nl", "fout", "10.0.0.9", now)
    assert accounts.throttle_wait("bestaat-niet@example.nl", "10.0.0.3", now) > 0


def test_token_is_single_use_and_expires(database):
    user = factories.user()
    old_version = user.session_version
    token = accounts.issue_token(user, "reset")
    assert UserToken.get().token_hash != token  # only the hash is stored
    user_, problems = accounts.redeem_token(token, "reset", "kort", "kort")
    assert problems == [accounts.MSG_TOO_SHORT]
    assert accounts.token_user(token, "reset") is not None  # a refused password keeps it
    user_, problems = accounts.redeem_token(
        token, "reset", "nieuwe zin voor mij", "nieuwe zin voor mij"
    )
    assert problems == []
    assert user_.id == user.id
    fresh = User.get_by_id(user.id)
    assert verify_password(fresh.password_hash, "nieuwe zin voor mij")
    assert fresh.session_version == old_version + 1
    assert accounts.redeem_token(token, "reset", "nog een zin hier", "nog een zin hier") == (
        None,
        [],
    )
    expiring = accounts.issue_token(user, "reset")
    future = utcnow() + accounts.TOKEN_LIFETIME["reset"] + dt.timedelta(seconds=1)
    assert accounts.token_user(expiring, "reset", future) is None
    assert accounts.token_user(expiring, "invite") is None  # wrong purpose


def test_new_token_replaces_the_old_one(database):
    user = factories.user()
    first = accounts.issue_token(user, "invite")
    second = accounts.issue_token(user, "invite")
    assert accounts.token_user(first, "invite") is None
    assert accounts.token_user(second, "invite").id == user.id


def test_rehash_when_parameters_change(database):
    user = factories.user()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    User.update(password_hash=weak.hash("een-oud-wachtwoord")).where(User.id == user.id).execute()
    assert needs_rehash(User.get_by_id(user.id).password_hash)


def test_roles_granted_once_and_last_admin_kept(database):
    region = factories.region()
    org = factories.organisation(region)
    admin = factories.user(("beheerder",))
    user = factories.user()
    _, created = accounts.grant_role(admin, user, "manager", org)
    assert created
    _, created = accounts.grant_role(admin, user, "manager", org)
    assert not created
    accounts.grant_role(admin, user, "regiocoordinator", region)
    assert RoleAssignment.select().where(RoleAssignment.user == user).count() == 2
    with pytest.raises(accounts.AccountError):
        accounts.grant_role(admin, user, "manager", region)  # wrong kind of scope
    with pytest.raises(accounts.AccountError):
        accounts.grant_role(admin, user, "beheerder", org)
    only_admin = RoleAssignment.get(RoleAssignment.role == "beheerder")
    with pytest.raises(accounts.AccountError, match="beheerder"):
        accounts.revoke_role(admin, only_admin)
    granted = [e.action for e in AuditEvent.select()].count("role_granted")
    assert granted == 2
