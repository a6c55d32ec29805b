"""The demo's cycles: one per quarter, opened, due and closed on fixed days,
in the state the day of building puts them in."""

from __future__ import annotations

import datetime as dt

from models import Cycle


def quarter_periods(last: str, count: int) -> list[str]:
    """The `count` quarter labels ending with `last` ('2026-Q4'), oldest first."""
    year, q = int(last[:4]), int(last[-1])
    index = year * 4 + (q - 1)
    return [f"{i // 4}-Q{i % 4 + 1}" for i in range(index - count + 1, index + 1)]


def current_period(today: dt.date) -> str:
    """The quarter label of a date."""
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def cycle_dates(period: str) -> tuple[dt.date, dt.date, dt.date]:
    """Open on the first day of the quarter's second month, due on the 15th of its
    last month, closed on the 15th of the month after the quarter."""
    year, q = int(period[:4]), int(period[-1])
    first_month = 3 * (q - 1) + 1
    opens = dt.date(year, first_month + 1, 1)
    due = dt.date(year, first_month + 2, 15)
    closes = dt.date(year + (q == 4), 1 if q == 4 else first_month + 3, 15)
    return opens, due, closes


def add_cycles(framework, periods: list[str], today: dt.date) -> list[Cycle]:
    """A cycle per period (an existing one reused), closed, open or planned as of `today`."""
    cycles = []
    for period in periods:
        opens, due, closes = cycle_dates(period)
        if closes < today:
            state = "gesloten"
        elif opens <= today:
            state = "open"
        else:
            state = "gepland"
        cycle, _ = Cycle.get_or_create(
            period=period,
            defaults={
                "framework": framework,
                "opens_on": opens,
                "due_on": due,
                "closes_on": closes,
                "state": state,
            },
        )
        if state != "gepland":
            stamp = dt.datetime.combine(opens, dt.time(6, 0))
            Cycle.update(
                opened_at=stamp,
                closed_at=dt.datetime.combine(closes, dt.time(3, 30))
                if state == "gesloten"
                else None,
            ).where(Cycle.id == cycle.id).execute()
        cycles.append(Cycle.get_by_id(cycle.id))
    return cycles
