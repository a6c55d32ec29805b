"""Configuration from the environment."""

import stat

import pytest

from web import config


def test_secret_key_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.from_environment(tmp_path)["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert len(first) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert config.from_environment(tmp_path)["SECRET_KEY"] == first


def test_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "uit-de-omgeving")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.internal:5432/monitor")
    monkeypatch.setenv("MAIL_PORT", "2525")
    settings = config.from_environment(tmp_path)
    assert settings["SECRET_KEY"] == "uit-de-omgeving"
    assert settings["DATABASE_URL"] == "postgresql://app@db.internal:5432/monitor"
    assert settings["MAIL_PORT"] == 2525
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("name", ["DATABASE_URL", "REPORTS_DIR"])
def test_defaults_live_under_instance(tmp_path, monkeypatch, name):
    monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    assert str(tmp_path) in config.from_environment(tmp_path)[name]


def test_cookies_are_safe_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    settings = config.from_environment(tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
