"""Deterministic demo data at three scales, beside the domain rules and never
used by them (`demo.build` puts it together).

small     Zuid-Limburg (VR24) with its 16 gemeenten, about 30 organisations, 8 cycles
regional  the five southern regions (VR20–VR24), about 400 organisations, 12 cycles
national  all 25 regions, about 2,000 organisations and 6,000 users, 20 cycles
          (five years of quarters): 1.5 to 2 million answers, as on average about
          40 of the framework's agreements apply to an organisation's kind

The same scale, seed and last period give the same data. Answers are drawn
from a small model (`demo.answers`) so that the data looks like a real chain.
"""

from demo.build import clear_demo_data, generate, has_demo_data
from demo.cycles import current_period, cycle_dates, quarter_periods
from demo.people import DEMO_DOMAIN, DEMO_PASSWORD
from demo.scales import SCALES, Scale

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
