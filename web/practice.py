"""The organisation's setting for "wat werkt elders": whether organisations
of its kind in other regions may see where it does well and ask it about
that, and at which address. Its managers (and the beheerder) set it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from domain import practice
from domain.scope import is_admin, roles_of
from models import Organisation
from models.choices import N_
from web.access import access, deny
from web.form_errors import FieldErrors, page_status
from web.formatting import say

bp = Blueprint("practice", __name__)


def _managed(org_id: int) -> Organisation:
    """The organisation, when this person manages it (or is the beheerder);
    anyone else gets 404, as if it did not exist."""
    user = current_user.user
    allowed = is_admin(user) or any(
        r.role == "manager" and r.organisation_id == org_id for r in roles_of(user)
    )
    organisation = Organisation.get_or_none(Organisation.id == org_id) if allowed else None
    if organisation is None:
        deny(404)
    return organisation


@bp.route("/organisaties/<int:org_id>/ervaringen-delen", methods=["GET", "POST"])
@access("user")
def sharing(org_id: int):
    organisation = _managed(org_id)
    setting = practice.sharing_of(organisation)
    form = {
        "enabled": bool(setting and setting.enabled),
        "contact": setting.contact if setting else "",
    }
    errors = FieldErrors()
    if request.method == "POST":
        form = {
            "enabled": request.form.get("enabled") == "1",
            "contact": request.form.get("contact", "")[:400],
        }
        try:
            practice.save_sharing(
                current_user.user, organisation, enabled=form["enabled"], contact=form["contact"]
            )
        except practice.SharingError as exc:
            # Every check of the setting is about the address.
            errors.add("contact", say(exc.args[0]))
        else:
            flash(
                _("Opgeslagen: andere regio’s kunnen u nu vragen naar wat bij u werkt.")
                if form["enabled"]
                else _("Opgeslagen: uw organisatie wordt niet genoemd bij andere regio’s."),
                "info",
            )
            return redirect(url_for("practice.sharing", org_id=organisation.id))
    return render_template(
        "practice/sharing.html",
        organisation=organisation,
        form=form,
        errors=errors,
        labels=SHARING_FIELDS,
        setting=setting,
    ), page_status(errors)


SHARING_FIELDS = {"contact": N_("E-mailadres voor vragen")}
