"""Deterministic demo data at three scales (see `demo.answers`); beside the
domain rules, never used by them."""

from demo.answers import (
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    SCALES,
    Scale,
    clear_demo_data,
    current_period,
    cycle_dates,
    generate,
    has_demo_data,
    quarter_periods,
)

__all__ = [
    "DEMO_DOMAIN",
    "DEMO_PASSWORD",
    "SCALES",
    "Scale",
    "clear_demo_data",
    "current_period",
    "cycle_dates",
    "generate",
    "has_demo_data",
    "quarter_periods",
]
