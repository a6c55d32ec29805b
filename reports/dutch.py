"""Dutch labels for the reports (they are always in Dutch); numbers, units,
changes and dates come from the one formatting module, `domain.formatting`."""

from __future__ import annotations

from domain.formatting import change, date, datetime, number, value
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
