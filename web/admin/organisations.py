"""Beheer of the organisations: the filtered list and the form with the gemeenten each serves."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from peewee import IntegrityError, fn

from domain.audit import record
from domain.inputs import LIMITS, parse_id
from models import Gemeente, Organisation, OrganisationGemeente, Region, db
from models.choices import N_, ORGANISATION_KINDS
from web.access import access, scoped_or_404
from web.admin.blueprint import bp
from web.admin.common import actor, by_id, paginate
from web.form_errors import FieldErrors, page_status


@bp.route("/organisaties")
@access("admin")
def organisations():
    query = (
        Organisation.select(Organisation, Region)
        .join(Region)
        .order_by(Region.name, Organisation.name)
    )
    filters = {k: request.args.get(k, "").strip() for k in ("q", "regio", "soort", "actief")}
    if filters["q"]:
        query = query.where(fn.LOWER(Organisation.name).contains(filters["q"].lower()))
    if filters["regio"]:
        query = query.where(Region.code == filters["regio"])
    if filters["soort"]:
        query = query.where(Organisation.kind == filters["soort"])
    if filters["actief"] in ("ja", "nee"):
        query = query.where(Organisation.active == (filters["actief"] == "ja"))
    return render_template(
        "admin/organisations.html",
        page=paginate(query),
        filters=filters,
        regions=Region.select().order_by(Region.name),
        KINDS=ORGANISATION_KINDS,
    )


@bp.route("/organisaties/nieuw", methods=["GET", "POST"])
@bp.route("/organisaties/<int:org_id>", methods=["GET", "POST"])
@access("admin")
def organisation_edit(org_id: int | None = None):
    org = scoped_or_404(Organisation.select(), org_id) if org_id else Organisation(active=True)
    served = (
        {
            g
            for (g,) in OrganisationGemeente.select(OrganisationGemeente.gemeente)
            .where(OrganisationGemeente.organisation == org)
            .tuples()
        }
        if org_id
        else set()
    )
    form = {
        "name": org.name or "",
        "kind": org.kind or "",
        "region": str(org.region_id or request.args.get("regio", "")),
        "active": org.active,
        "gemeenten": served,
    }
    errors = FieldErrors()
    if request.method == "POST":
        form = {
            "name": request.form.get("name", "").strip(),
            "kind": request.form.get("kind", ""),
            "region": request.form.get("region", ""),
            "active": request.form.get("active") == "1",
            "gemeenten": {g for g in map(parse_id, request.form.getlist("gemeenten")) if g},
        }
        region = by_id(Region, form["region"])
        if not form["name"]:
            errors.add("name", _("Vul een naam in."))
        errors.check_line("name", form["name"], LIMITS["name"])
        if form["kind"] not in ORGANISATION_KINDS:
            errors.add("kind", _("Kies de soort organisatie."))
        if region is None:
            errors.add("region", _("Kies een regio."))
        else:
            in_region = {
                g for (g,) in Gemeente.select(Gemeente.id).where(Gemeente.region == region).tuples()
            }
            if form["gemeenten"] - in_region:
                # The region changed: show that region's gemeenten, keep the rest typed.
                form["gemeenten"] &= in_region
                errors.add(
                    "gemeenten",
                    _("Kies de gemeenten opnieuw: ze moeten in de gekozen regio liggen."),
                )
        if not errors:
            org.name, org.kind, org.region, org.active = (
                form["name"],
                form["kind"],
                region,
                form["active"],
            )
            try:
                with db.atomic():
                    org.save()
                    OrganisationGemeente.delete().where(
                        OrganisationGemeente.organisation == org
                    ).execute()
                    if form["gemeenten"]:
                        OrganisationGemeente.insert_many(
                            [(org.id, g) for g in sorted(form["gemeenten"])],
                            fields=[
                                OrganisationGemeente.organisation,
                                OrganisationGemeente.gemeente,
                            ],
                        ).execute()
            except IntegrityError:
                errors.add("name", _("Er bestaat al een organisatie met deze naam in deze regio."))
            else:
                record(
                    "organisation_saved",
                    user=actor(),
                    object_type="organisation",
                    object_id=org.id,
                    name=org.name,
                    active=org.active,
                    gemeenten=len(form["gemeenten"]),
                )
                flash(_("Organisatie %(name)s is opgeslagen.", name=org.name), "info")
                return redirect(url_for("admin.organisations"))
    region_id = parse_id(str(form["region"]))
    options = (
        list(Gemeente.select().where(Gemeente.region == region_id).order_by(Gemeente.name))
        if region_id
        else []
    )
    return render_template(
        "admin/organisation_edit.html",
        org=org,
        form=form,
        errors=errors,
        labels=ORGANISATION_FIELDS,
        regions=Region.select().order_by(Region.name),
        gemeente_options=options,
        KINDS=ORGANISATION_KINDS,
    ), page_status(errors)


# The fields of the organisation form in page order, named as their labels: the
# error summary lists the problems in this order.
ORGANISATION_FIELDS = {
    "name": N_("Naam"),
    "kind": N_("Soort"),
    "region": N_("Regio"),
    "gemeenten": N_("Gemeenten die de organisatie bedient"),
}
