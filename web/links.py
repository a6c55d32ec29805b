"""Absolute links for mails sent outside a request (batch, scheduler, CLI)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask


def assessment_link(app: Flask) -> Callable[[int], str]:
    """assessment id → the full address of its form."""
    base = app.config["BASE_URL"].rstrip("/")
    urls = app.url_map.bind("localhost")  # builds paths without a request

    def link(assessment_id: int) -> str:
        return base + urls.build("assessments.form", {"assessment_id": assessment_id})

    return link


def invitation_link(app: Flask) -> Callable[[str], str]:
    """token → the full address where an invited user sets a password."""
    base = app.config["BASE_URL"].rstrip("/")
    urls = app.url_map.bind("localhost")
    return lambda token: base + urls.build("auth.invitation", {"token": token})


def status_link(app: Flask) -> str:
    """The beheerder's status page, for the alert mail."""
    base = app.config["BASE_URL"].rstrip("/")
    return base + app.url_map.bind("localhost").build("health.status_page", {})


def reset_link(app: Flask) -> Callable[[str], str]:
    """reset token → the full address of the page that sets a new password."""
    base = app.config["BASE_URL"].rstrip("/")
    urls = app.url_map.bind("localhost")
    return lambda token: base + urls.build("auth.reset", {"token": token})


def batch_settings(app: Flask):
    """What the batch needs from the application's configuration."""
    from pathlib import Path

    from domain.mail import MailSettings
    from domain.retention import RetentionSettings
    from jobs.nightly import BatchSettings

    base = app.config["BASE_URL"].rstrip("/")
    urls = app.url_map.bind("localhost")
    return BatchSettings(
        mail=MailSettings.from_config(app.config),
        link_for=assessment_link(app),
        reports_dir=Path(app.config["REPORTS_DIR"]),
        reports_link=base + urls.build("results.reports", {}),
        retention=RetentionSettings.from_config(app.config),
        reset_link=reset_link(app),
    )
