"""Beheer of the succesindicatoren: the list and the form to edit a definition."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from peewee import JOIN

from domain.indicators import UNITS, update_definition
from models import IndicatorDefinition, Region, RegionalNorm, Theme
from models.choices import COMPUTATIONS, DIRECTIONS, FREQUENCIES, LEVELS, N_
from web.access import access, scoped_or_404
from web.admin.blueprint import bp
from web.admin.common import actor
from web.form_errors import FieldErrors, page_status
from web.formatting import say


@bp.route("/indicatoren")
@access("admin")
def indicators():
    rows = (
        IndicatorDefinition.select(IndicatorDefinition, Region)
        .join(Region, JOIN.LEFT_OUTER)
        .order_by(IndicatorDefinition.region.is_null(False), IndicatorDefinition.position)
    )
    return render_template("admin/indicators.html", indicators=rows, COMPUTATIONS=COMPUTATIONS)


def _plain(value) -> str:
    """75.0 → '75', 72.5 → '72,5': as typed, no grouping (the form reads it back)."""
    if value is None:
        return ""
    return format_decimal(value, format="0.####")


# A number as people type it, in ASCII digits: int() and float() would also
# take other scripts' digits (١, １), underscores and exponents.
_DECIMAL = re.compile(r"-?[0-9]{1,15}(?:[.,][0-9]{1,15})?")


def _number(raw: str):
    raw = raw.strip()
    if not _DECIMAL.fullmatch(raw):
        return raw  # the validation names it
    raw = raw.replace(",", ".")
    return float(raw) if "." in raw else int(raw)


# The fields of the indicator form in page order, named as their labels.
INDICATOR_FIELDS = {
    "name": N_("Naam"),
    "description": N_("Toelichting"),
    "computation": N_("Berekening"),
    "min_score": N_("Minimale score"),
    "months": N_("Aantal maanden"),
    "themes": N_("Thema’s"),
    "levels": N_("Niveaus"),
    "frequencies": N_("Frequenties"),
    "unit": N_("Eenheid"),
    "direction": N_("Richting"),
    "norm": N_("Norm"),
    "green": N_("Drempel groen"),
    "orange": N_("Drempel oranje"),
}
# A problem of the definition (named as in the indicator file) at its form field.
INDICATOR_FIELD_IDS = {
    "params": "computation",
    "params.min_score": "min_score",
    "params.months": "months",
    "filter": "themes",
    "filter.themes": "themes",
    "filter.levels": "levels",
    "filter.frequencies": "frequencies",
}


def _indicator_errors(problems) -> FieldErrors:
    """The problems of an indicator definition by the form field they are about;
    one about no field of the form (none is expected) is shown at the name."""
    errors = FieldErrors()
    for problem in problems:
        field = INDICATOR_FIELD_IDS.get(problem.field, problem.field)
        errors.add(field if field in INDICATOR_FIELDS else "name", _sentence(say(problem.message)))
    return errors


def _sentence(message: str) -> str:
    """'moet een getal zijn' (as the indicator file's checks say it) → 'Moet een getal zijn.'"""
    message = message.strip()
    if not message:
        return message
    return message[0].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")


@bp.route("/indicatoren/<int:indicator_id>", methods=["GET", "POST"])
@access("admin")
def indicator_edit(indicator_id: int):
    definition = scoped_or_404(IndicatorDefinition.select(), indicator_id)
    # The newest title of each theme code (frameworks share codes across versions).
    titles = {}
    for code, title in (
        Theme.select(Theme.code, Theme.title).order_by(Theme.code, Theme.id).tuples()
    ):
        titles[code] = title
    themes = list(titles)
    form = {
        "name": definition.name,
        "description": definition.description,
        "computation": definition.computation,
        "unit": definition.unit,
        "direction": definition.direction,
        "norm": _plain(definition.norm),
        "green": _plain(definition.green_threshold),
        "orange": _plain(definition.orange_threshold),
        "min_score": (definition.params or {}).get("min_score", ""),
        "months": (definition.params or {}).get("months", ""),
        "themes": definition.filter_themes or [],
        "levels": definition.filter_levels or [],
        "frequencies": definition.filter_frequencies or [],
    }
    errors = FieldErrors()
    if request.method == "POST":
        form = {
            k: request.form.get(k, "").strip()
            for k in (
                "name",
                "description",
                "computation",
                "unit",
                "direction",
                "norm",
                "green",
                "orange",
                "min_score",
                "months",
            )
        }
        for key in ("themes", "levels", "frequencies"):
            form[key] = request.form.getlist(key)
        params = {}
        if form["computation"] == "share_at_least":
            params["min_score"] = _number(form["min_score"])
        if form["computation"] == "share_evaluated_within":
            params["months"] = _number(form["months"])
        item = {
            "name": form["name"],
            "description": form["description"],
            "computation": form["computation"],
            "params": params,
            "unit": form["unit"],
            "direction": form["direction"],
            "norm": _number(form["norm"]),
            "green": _number(form["green"]),
            "orange": _number(form["orange"]),
            "filter": {k: form[k] for k in ("themes", "levels", "frequencies") if form[k]},
        }
        errors = _indicator_errors(update_definition(actor(), definition, item))
        if not errors:
            flash(
                _(
                    "Indicator %(code)s is opgeslagen. De resultaten worden bij de volgende "
                    "batchrun opnieuw berekend.",
                    code=definition.code,
                ),
                "info",
            )
            return redirect(url_for("admin.indicators"))
    return render_template(
        "admin/indicator_edit.html",
        definition=definition,
        form=form,
        errors=errors,
        labels=INDICATOR_FIELDS,
        themes=themes,
        theme_titles=titles,
        regional_norms=list(
            RegionalNorm.select(RegionalNorm, Region)
            .join(Region)
            .where(RegionalNorm.indicator == definition)
            .order_by(Region.name)
        ),
        COMPUTATIONS=COMPUTATIONS,
        DIRECTIONS=DIRECTIONS,
        LEVELS=LEVELS,
        FREQUENCIES=FREQUENCIES,
        UNITS=UNITS,
    ), page_status(errors)
