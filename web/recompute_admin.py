"""Beheer → Herberekenen: a beheerder recomputes a cycle on purpose ("Nu
herberekenen"), with a reason. The request is audited and done by the
scheduler process within minutes (or by the nightly, whichever comes first),
never in the web request; this page shows its progress."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN

from jobs import recompute
from models import Cycle, RecomputeRequest, User
from models.choices import N_
from web.access import access
from web.form_errors import FieldErrors, page_status

bp = Blueprint("recompute_admin", __name__, url_prefix="/beheer")

REQUEST_STATES = {
    "gevraagd": N_("Wacht op zijn beurt"),
    "bezig": N_("Bezig"),
    "gereed": N_("Gereed"),
    "mislukt": N_("Mislukt"),
}


@bp.route("/herberekenen", methods=["GET", "POST"])
@access("admin")
def recompute_page():
    cycles = list(Cycle.select().where(Cycle.state != "gepland").order_by(Cycle.period.desc()))
    form = {"ronde": request.form.get("ronde", ""), "reden": request.form.get("reden", "")}
    errors = FieldErrors()
    if request.method == "POST":
        cycle = next((c for c in cycles if str(c.id) == form["ronde"]), None)
        if cycle is None:
            errors.add("ronde", _("Kies een ronde."))
        if len(" ".join(form["reden"].split())) < recompute.MIN_REASON:
            # Said now as well, so both problems are shown at once.
            errors.add("reden", _("Geef een reden op (minstens 5 tekens)."))
        if not errors:
            try:
                recompute.request(
                    current_user.user, cycle, form["reden"], ip=request.remote_addr or ""
                )
            except recompute.RequestError as error:
                errors.add(
                    "reden" if error.about == "reason" else "ronde",
                    _(error.message, **error.params),
                )
            else:
                flash(
                    _(
                        "Herberekening van ronde %(period)s aangevraagd. De planner voert die "
                        "binnen enkele minuten uit; de voortgang staat hieronder.",
                        period=cycle.period,
                    ),
                    "info",
                )
                return redirect(url_for("recompute_admin.recompute_page"))
    requests = list(
        RecomputeRequest.select(RecomputeRequest, Cycle, User)
        .join(Cycle)
        .switch(RecomputeRequest)
        .join(User, JOIN.LEFT_OUTER, on=(RecomputeRequest.requested_by == User.id))
        .order_by(RecomputeRequest.requested_at.desc(), RecomputeRequest.id.desc())
        .limit(20)
    )
    return render_template(
        "admin/recompute.html",
        cycles=cycles,
        form=form,
        errors=errors,
        labels=RECOMPUTE_FIELDS,
        requests=requests,
        state_label=lambda code: _(REQUEST_STATES.get(code, code)),
    ), page_status(errors)


RECOMPUTE_FIELDS = {"ronde": N_("Ronde"), "reden": N_("Reden")}
