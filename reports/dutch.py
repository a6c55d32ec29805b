"""Dutch numbers, dates and labels for the reports (they are always in Dutch)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from models.choices import (
    ACTION_STATES,
    ASSESSMENT_STATES,
    COMPUTATIONS,
    DIRECTIONS,
    ESCALATION_STEPS,
    LEVELS,
    ORGANISATION_KINDS,
    SCOPE_TYPES,
    SIGNALS,
)

LOCALE = "nl_NL"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

__all__ = [
    "ACTION_STATES",
    "ASSESSMENT_STATES",
    "COMPUTATIONS",
    "DIRECTIONS",
    "ESCALATION_STEPS",
    "LEVELS",
    "ORGANISATION_KINDS",
    "SCOPE_TYPES",
    "SIGNALS",
    "change",
    "date",
    "datetime",
    "number",
    "value",
]


def number(value: float | None, decimals: int = 1) -> str:
    """12,5 — or a dash without a value."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def value(amount: float | None, unit: str) -> str:
    """A figure with its unit: 72,5% or 0,45 punt."""
    if amount is None:
        return "–"
    if unit == "%":
        return number(amount) + "%"
    if unit in ("aantal", "#"):
        return number(amount, 0)
    return f"{number(amount, 2)} {unit}".strip()


def change(amount: float | None, unit: str) -> str:
    if amount is None:
        return "–"
    sign = "+" if amount > 0 else ""
    return sign + value(amount, unit)


def date(day: dt.date | None) -> str:
    """23 november 2026."""
    return format_date(day, format="d MMMM y", locale=LOCALE) if day else "–"


def datetime(moment: dt.datetime | None) -> str:
    """A stored UTC time in Amsterdam: 23 november 2026 03:41."""
    if moment is None:
        return "–"
    local = moment.replace(tzinfo=dt.UTC).astimezone(AMSTERDAM)
    return format_datetime(local, format="d MMMM y HH:mm", locale=LOCALE)
