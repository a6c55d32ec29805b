"""One formatting rule per unit, the same for pages, PDF, Excel and mail."""

import datetime as dt

import pytest

from domain import formatting


@pytest.mark.parametrize(
    ("amount", "unit", "nl", "en"),
    [
        (62.8654, "%", "62,9%", "62.9%"),
        (100, "%", "100,0%", "100.0%"),
        (0.538, "punten", "0,54 punten", "0.54 points"),
        (1234.5, "%", "1.234,5%", "1,234.5%"),
        (12.4, "aantal", "12", "12"),
        (3.14159, "uur", "3,14 uur", "3.14 uur"),
        (None, "%", "–", "–"),
    ],
)
def test_value_per_unit(amount, unit, nl, en):
    assert formatting.value(amount, unit) == nl
    assert formatting.value(amount, unit, "en") == en


@pytest.mark.parametrize(
    ("amount", "unit", "nl", "en"),
    [
        # A change of a percentage is in procentpunten, with its sign.
        (10.43, "%", "+10,4 procentpunt", "+10.4 percentage points"),
        (-2.05, "%", "-2,1 procentpunt", "-2.1 percentage points"),
        (0.0, "%", "0,0 procentpunt", "0.0 percentage points"),
        # Rounds to zero: no sign.
        (-0.04, "%", "0,0 procentpunt", "0.0 percentage points"),
        (0.41, "punten", "+0,41 punten", "+0.41 points"),
        (-3, "aantal", "-3", "-3"),
        (None, "punten", "–", "–"),
    ],
)
def test_change_per_unit(amount, unit, nl, en):
    assert formatting.change(amount, unit) == nl
    assert formatting.change(amount, unit, "en") == en


def test_excel_formats_follow_the_same_decimals():
    assert formatting.excel_format("%") == '0.0"%"'
    assert formatting.excel_format("punten") == '0.00" punten"'
    assert formatting.excel_format("aantal") == "0"
    assert formatting.excel_change_format("%").startswith('+0.0" procentpunt"')
    # The decimals of the Excel formats are those of the text rule.
    for unit, rule in formatting.UNITS.items():
        shown = formatting.excel_format(unit).split('"')[0]
        assert len(shown.partition(".")[2]) == rule.decimals, unit


def test_dates_and_times_in_amsterdam():
    assert formatting.date(dt.date(2026, 11, 23)) == "23 november 2026"
    assert formatting.date(dt.date(2026, 11, 23), "en") == "23 November 2026"
    assert formatting.date(None) == "–"
    # Stored UTC; shown in Amsterdam (winter +1, summer +2).
    assert formatting.datetime(dt.datetime(2026, 1, 5, 23, 30)) == "6 januari 2026 00:30"
    assert formatting.datetime(dt.datetime(2026, 7, 1, 1, 41, tzinfo=dt.UTC)) == "1 juli 2026 03:41"
