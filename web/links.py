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
