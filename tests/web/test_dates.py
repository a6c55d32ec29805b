"""Dates on pages: `datum` writes what Babel's "d MMMM y HH:mm" writes, in
Dutch and English, in Amsterdam time across the changes to and from summer time."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale, format_date, format_datetime

from web.formatting import datum

MOMENTS = [
    dt.datetime(2026, 1, 1, 0, 0),
    dt.datetime(2026, 3, 29, 0, 59),  # 01:59 in winter time
    dt.datetime(2026, 3, 29, 1, 0),  # 03:00 in summer time
    dt.datetime(2026, 10, 25, 0, 59),
    dt.datetime(2026, 10, 25, 1, 0),
    dt.datetime(2026, 12, 31, 23, 30),  # already the next year in Amsterdam
    dt.datetime(2026, 5, 9, 7, 5, 59),
    dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_dates_are_written_as_babel_writes_them(app, locale):
    with app.test_request_context(), force_locale(locale):
        for moment in MOMENTS:
            assert datum(moment) == format_datetime(moment, "d MMMM y HH:mm")
        for month in range(1, 13):
            day = dt.date(2026, month, month + 10)
            assert datum(day) == format_date(day, "d MMMM y")
        assert datum(None) == ""
    with app.test_request_context(), force_locale("nl"):
        assert datum(dt.datetime(2026, 12, 31, 23, 30)) == "1 januari 2027 00:30"
