"""Dutch formatting of dates and numbers for templates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask

MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def datum(value: dt.date | dt.datetime | None) -> str:
    """'23 november 2026'; a stored (UTC) timestamp is shown in Amsterdam time."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        local = value.replace(tzinfo=dt.UTC).astimezone(AMSTERDAM)
        return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H:%M}"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def init_app(app: Flask) -> None:
    """Register the template filters."""
    app.add_template_filter(datum, "datum")
