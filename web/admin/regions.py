"""Beheer of the regions: the list with counts and the form to add or edit one."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from peewee import JOIN, IntegrityError, fn

from domain.audit import record
from domain.inputs import LIMITS
from models import Gemeente, Organisation, Region, db
from models.choices import N_
from web.access import access, scoped_or_404
from web.admin.blueprint import bp
from web.admin.common import actor
from web.form_errors import FieldErrors, page_status


@bp.route("/regios")
@access("admin")
def regions():
    rows = (
        Region.select(Region, fn.COUNT(Gemeente.id.distinct()).alias("n_gemeenten"))
        .join(Gemeente, JOIN.LEFT_OUTER)
        .group_by(Region.id)
        .order_by(Region.code)
    )
    org_counts = dict(
        Organisation.select(Organisation.region, fn.COUNT(Organisation.id))
        .where(Organisation.active == True)  # noqa: E712
        .group_by(Organisation.region)
        .tuples()
    )
    return render_template("admin/regions.html", regions=rows, org_counts=org_counts)


@bp.route("/regios/nieuw", methods=["GET", "POST"])
@bp.route("/regios/<int:region_id>", methods=["GET", "POST"])
@access("admin")
def region_edit(region_id: int | None = None):
    region = scoped_or_404(Region.select(), region_id) if region_id else Region()
    form = {"code": region.code or "", "name": region.name or ""}
    errors = FieldErrors()
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip() for k in form}
        if region_id is None:
            if not form["code"]:
                errors.add("code", _("Vul een regiocode in."))
            errors.check_line("code", form["code"], LIMITS["region_code"])
        else:
            form["code"] = region.code  # the code of an existing region stays
        if not form["name"]:
            errors.add("name", _("Vul een naam in."))
        errors.check_line("name", form["name"], LIMITS["region_name"])
        if not errors:
            if region_id is None:
                region.code = form["code"].upper()
            region.name = form["name"]
            try:
                with db.atomic():
                    region.save()
            except IntegrityError:
                errors.add("code", _("Er bestaat al een regio met deze code."))
            else:
                record(
                    "region_saved",
                    user=actor(),
                    object_type="region",
                    object_id=region.id,
                    name=region.name,
                )
                flash(_("Regio %(name)s is opgeslagen.", name=region.name), "info")
                return redirect(url_for("admin.regions"))
    return render_template(
        "admin/region_edit.html", region=region, form=form, errors=errors, labels=REGION_FIELDS
    ), page_status(errors)


# The fields of the region form in page order, named as their labels: the
# error summary lists the problems in this order.
REGION_FIELDS = {"code": N_("Regiocode"), "name": N_("Naam")}
