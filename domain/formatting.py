"""One way to write numbers, units, changes and dates, for the pages, the PDF,
the Excel workbooks and the mail.

Every unit has one rule (`UNITS`): how many decimals, how a value is written
("62,9%", "0,54 punten", "12") and how a change is written — always with its
sign, and for a percentage in procentpunten, since the difference of two
percentages is not itself a percentage. Dutch by default; the web passes the
reader's locale. No Flask here: the reports and jobs use it as well."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DASH = "–"


@dataclass(frozen=True)
class Unit:
    """How the figures of one unit are written."""

    decimals: int
    suffix: dict[str, str]  # locale → after a value ("%", " punten")
    change_suffix: dict[str, str]  # locale → after a change (" procentpunt")
    excel: str  # Excel number format of a value
    excel_change: str  # Excel number format of a change


def _words(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


UNITS: dict[str, Unit] = {
    "%": Unit(
        1,
        _words("%", "%"),
        _words(" procentpunt", " percentage points"),
        '0.0"%"',
        '+0.0" procentpunt";-0.0" procentpunt";0.0" procentpunt"',
    ),
    "punten": Unit(
        2,
        _words(" punten", " points"),
        _words(" punten", " points"),
        '0.00" punten"',
        '+0.00" punten";-0.00" punten";0.00" punten"',
    ),
    "aantal": Unit(0, _words("", ""), _words("", ""), "0", "+0;-0;0"),
}
UNITS["#"] = UNITS["aantal"]


def unit_rule(unit: str) -> Unit:
    """The rule of a unit; an unknown unit keeps its own name and two decimals."""
    known = UNITS.get(unit)
    if known is not None:
        return known
    suffix = f" {unit}" if unit else ""
    return Unit(2, _words(suffix, suffix), _words(suffix, suffix), "0.00", "+0.00;-0.00;0.00")


def _language(locale: str) -> str:
    return "en" if locale.lower().startswith("en") else "nl"


def _babel_locale(locale: str) -> str:
    return "en_GB" if _language(locale) == "en" else "nl_NL"


def number(amount: float | None, decimals: int = 1, locale: str = "nl") -> str:
    """12,5 — or a dash without a value."""
    if amount is None:
        return DASH
    return _number(repr(float(amount)), decimals, locale)


@functools.lru_cache(maxsize=50_000)
def _number(shortest: str, decimals: int, locale: str) -> str:
    """number() of a value given in its shortest decimal form; remembered,
    as the reports write the same figures many times (Babel is slow)."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    # Half away from zero on the shortest decimal form, as Excel shows a number
    # (Babel alone would round half to even: 2,05 → 2,0 where Excel shows 2,1).
    rounded = Decimal(shortest).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return format_decimal(rounded, format=pattern, locale=_babel_locale(locale))


def value(amount: float | None, unit: str, locale: str = "nl") -> str:
    """A figure with its unit: 62,9% · 0,54 punten · 12."""
    if amount is None:
        return DASH
    rule = unit_rule(unit)
    return number(amount, rule.decimals, locale) + rule.suffix[_language(locale)]


def change(amount: float | None, unit: str, locale: str = "nl") -> str:
    """A change with its sign: +1,2 procentpunt · -0,10 punten · 0,0 procentpunt."""
    if amount is None:
        return DASH
    rule = unit_rule(unit)
    text = number(abs(amount), rule.decimals, locale)
    zero = number(0, rule.decimals, locale)
    sign = "" if text == zero else ("+" if amount > 0 else "-")
    return sign + text + rule.change_suffix[_language(locale)]


def excel_format(unit: str) -> str:
    """The Excel number format of a value in `unit` (Dutch Excel shows the comma)."""
    return unit_rule(unit).excel


def excel_change_format(unit: str) -> str:
    """The Excel number format of a change in `unit`, with its sign."""
    return unit_rule(unit).excel_change


def date(day: dt.date | None, locale: str = "nl") -> str:
    """23 november 2026."""
    return format_date(day, format="d MMMM y", locale=_babel_locale(locale)) if day else DASH


def datetime(moment: dt.datetime | None, locale: str = "nl") -> str:
    """A stored UTC time (naive or aware) in Amsterdam: 23 november 2026 03:41."""
    if moment is None:
        return DASH
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(AMSTERDAM)
    return format_datetime(local, format="d MMMM y HH:mm", locale=_babel_locale(locale))
