"""Locale, time zone and formatting for templates: Dutch by default, English
for users who choose it; times stored in UTC and shown in Europe/Amsterdam."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from babel.dates import get_month_names
from flask import Flask, current_app, request
from flask_babel import Babel, format_decimal, get_locale, gettext
from flask_login import current_user

from domain import formatting
from models.choices import N_

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

LANGUAGES = {"nl": "Nederlands", "en": "English"}

babel = Babel()


def select_locale() -> str:
    """The user's own choice; before login, the browser's preference."""
    if current_user and current_user.is_authenticated:
        return current_user.user.locale
    return request.accept_languages.best_match(list(LANGUAGES)) or "nl"


def local(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored (naive) UTC time as naive Amsterdam wall-clock time, for exports."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC).astimezone(AMSTERDAM).replace(tzinfo=None)


def local_today() -> dt.date:
    """Today's date in the Netherlands (not in UTC: just after midnight they differ)."""
    return dt.datetime.now(AMSTERDAM).date()


def say(message: str) -> str:
    """A domain message translated, with the values it carries (a limit, a count) filled in."""
    params = getattr(message, "params", None)
    if not params:
        return gettext(message)
    return gettext(
        message,
        **{k: format_decimal(v) if isinstance(v, int) else v for k, v in params.items()},
    )


def datum(value: dt.date | dt.datetime | None) -> str:
    """'23 november 2026' (a stored UTC timestamp: '23 november 2026 14:00' local
    time): Babel's "d MMMM y HH:mm", with the month names looked up once per
    language, since pages show hundreds of dates."""
    if value is None:
        return ""
    months = _month_names(_locale())
    if isinstance(value, dt.datetime):
        zone = _zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        moment = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(zone)
        return f"{moment.day} {months[moment.month]} {moment.year} {moment:%H:%M}"
    return f"{value.day} {months[value.month]} {value.year}"


@functools.cache
def _month_names(locale: str) -> dict[int, str]:
    return dict(get_month_names("wide", locale=locale))


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _locale() -> str:
    return str(get_locale() or "nl")


def getal(value: float | int | None, digits: int = 1) -> str:
    """A number in the user's locale ('75,5' in Dutch)."""
    return formatting.number(value, digits, _locale())


def waarde(value: float | None, unit: str) -> str:
    """A figure with its unit, as in the PDF and Excel ('62,9%', '0,54 punten')."""
    return formatting.value(value, unit, _locale())


def verandering(value: float | None, unit: str) -> str:
    """A change with its sign and unit ('+1,2 procentpunt')."""
    return formatting.change(value, unit, _locale())


# Indicator units as a reader sees them ("punten" is "points" in English).
UNIT_LABELS = {"%": "%", "punten": N_("punten"), "aantal": ""}


def eenheid(unit: str | None) -> str:
    """An indicator's unit in the user's language."""
    if not unit:
        return ""
    text = UNIT_LABELS.get(unit, unit)
    return gettext(text) if text and text != "%" else text


def init_app(app: Flask) -> None:
    """Set up Flask-Babel and the template filters."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "nl")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Amsterdam")
    babel.init_app(app, locale_selector=select_locale)
    app.add_template_filter(datum, "datum")
    app.add_template_filter(getal, "getal")
    app.add_template_filter(eenheid, "eenheid")
    app.add_template_filter(waarde, "waarde")
    app.add_template_filter(verandering, "verandering")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["say"] = say
