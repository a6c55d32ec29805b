"""Absolute links for mails sent outside a request (batch, scheduler, CLI),
and links by id for pages that list many rows."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, url_for


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


def url_by_id(endpoint: str, **values) -> Callable[[int], str]:
    """The endpoint's URL for any assessment id, from one url_for: a page
    with a hundred rows builds their links without a hundred lookups."""
    marker = 2147483647  # the largest id a route takes: never in the rest of the URL
    head, tail = url_for(endpoint, assessment_id=marker, **values).split(str(marker))
    return lambda assessment_id: f"{head}{int(assessment_id)}{tail}"
