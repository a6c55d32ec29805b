"""Beheer of the gemeenten: the list by region or name and the form to add or edit one."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from peewee import IntegrityError, fn

from domain.audit import record
from domain.inputs import LIMITS
from models import Gemeente, Region, db
from models.choices import N_
from web.access import access, scoped_or_404
from web.admin.blueprint import bp
from web.admin.common import actor, by_id, paginate
from web.form_errors import FieldErrors, page_status

GEMEENTE_CODE = re.compile(r"GM[0-9]{4}")


@bp.route("/gemeenten")
@access("admin")
def gemeenten():
    query = Gemeente.select(Gemeente, Region).join(Region).order_by(Gemeente.name)
    region_code = request.args.get("regio", "")
    q = request.args.get("q", "").strip()
    if region_code:
        query = query.where(Region.code == region_code)
    if q:
        query = query.where(
            fn.LOWER(Gemeente.name).contains(q.lower()) | (fn.LOWER(Gemeente.code) == q.lower())
        )
    return render_template(
        "admin/gemeenten.html",
        page=paginate(query),
        regions=Region.select().order_by(Region.name),
        region_code=region_code,
        q=q,
    )


@bp.route("/gemeenten/nieuw", methods=["GET", "POST"])
@bp.route("/gemeenten/<int:gemeente_id>", methods=["GET", "POST"])
@access("admin")
def gemeente_edit(gemeente_id: int | None = None):
    gemeente = scoped_or_404(Gemeente.select(), gemeente_id) if gemeente_id else Gemeente()
    form = {
        "code": gemeente.code or "",
        "name": gemeente.name or "",
        "region": str(gemeente.region_id or ""),
        "active": gemeente.active if gemeente_id else True,
    }
    errors = FieldErrors()
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip() for k in ("code", "name", "region")}
        form["active"] = request.form.get("active") == "1"
        region = by_id(Region, form["region"])
        if not GEMEENTE_CODE.fullmatch(form["code"].upper()):
            errors.add("code", _("Een gemeentecode is 'GM' met vier cijfers, zoals GM0935."))
        if not form["name"]:
            errors.add("name", _("Vul een naam in."))
        errors.check_line("name", form["name"], LIMITS["gemeente_name"])
        if region is None:
            errors.add("region", _("Kies een regio."))
        if not errors:
            gemeente.code = form["code"].upper()
            gemeente.name = form["name"]
            gemeente.region = region
            gemeente.active = form["active"]
            try:
                with db.atomic():
                    gemeente.save()
            except IntegrityError:
                errors.add("code", _("Er bestaat al een gemeente met deze code."))
            else:
                record(
                    "gemeente_saved",
                    user=actor(),
                    object_type="gemeente",
                    object_id=gemeente.id,
                    name=gemeente.name,
                    active=gemeente.active,
                )
                flash(_("Gemeente %(name)s is opgeslagen.", name=gemeente.name), "info")
                return redirect(url_for("admin.gemeenten"))
    return render_template(
        "admin/gemeente_edit.html",
        gemeente=gemeente,
        form=form,
        errors=errors,
        labels=GEMEENTE_FIELDS,
        regions=Region.select().order_by(Region.name),
    ), page_status(errors)


# The fields of the gemeente form in page order, named as their labels: the
# error summary lists the problems in this order.
GEMEENTE_FIELDS = {"code": N_("CBS-code"), "name": N_("Naam"), "region": N_("Regio")}
