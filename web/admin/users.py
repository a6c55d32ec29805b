"""Beheer of users and their roles: list, new user, edit, roles granted and revoked, invitations."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from peewee import JOIN, fn

from domain import accounts
from models import Gemeente, Organisation, Region, RoleAssignment, User
from models.choices import N_, ROLE_SCOPE, ROLES
from web.access import access, scoped_or_404
from web.admin.blueprint import bp
from web.admin.common import actor, by_id, invite_link, paginate
from web.form_errors import FieldErrors, page_status
from web.formatting import LANGUAGES, say


@bp.route("/gebruikers")
@access("admin")
def users():
    query = User.select().order_by(User.name)
    q = request.args.get("q", "").strip().lower()
    role = request.args.get("rol", "")
    if q:
        query = query.where(fn.LOWER(User.name).contains(q) | User.email.contains(q))
    if role in ROLES:
        query = query.where(
            User.id.in_(
                RoleAssignment.select(RoleAssignment.user).where(RoleAssignment.role == role)
            )
        )
    page = paginate(query)
    ids = [u.id for u in page["items"]]
    roles: dict[int, list[RoleAssignment]] = {}
    for assignment in _assignments().where(RoleAssignment.user.in_(ids)):
        roles.setdefault(assignment.user_id, []).append(assignment)
    return render_template("admin/users.html", page=page, roles=roles, q=q, role=role, ROLES=ROLES)


def _assignments():
    return (
        RoleAssignment.select(RoleAssignment, Region, Organisation, Gemeente)
        .join(Region, JOIN.LEFT_OUTER, on=RoleAssignment.region == Region.id)
        .switch(RoleAssignment)
        .join(Organisation, JOIN.LEFT_OUTER, on=RoleAssignment.organisation == Organisation.id)
        .switch(RoleAssignment)
        .join(Gemeente, JOIN.LEFT_OUTER, on=RoleAssignment.gemeente == Gemeente.id)
        .order_by(RoleAssignment.role, RoleAssignment.id)
    )


@bp.route("/gebruikers/nieuw", methods=["GET", "POST"])
@access("admin")
def user_new():
    form = {"email": "", "name": "", "locale": "nl"}
    errors = FieldErrors()
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip() for k in form}
        _person_errors(errors, form)
        if not errors:
            try:
                user = accounts.create_user(actor(), form["email"], form["name"], form["locale"])
            except accounts.AccountError as exc:
                errors.add(exc.field or "email", say(str(exc)))
            else:
                accounts.send_invitation(actor(), user, invite_link())
                flash(
                    _(
                        "Gebruiker %(email)s is aangemaakt en heeft een uitnodiging gekregen. "
                        "Geef hieronder de rollen.",
                        email=user.email,
                    ),
                    "info",
                )
                return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template(
        "admin/user_new.html", form=form, errors=errors, labels=USER_FIELDS
    ), page_status(errors)


def _person_errors(errors: FieldErrors, form: dict) -> None:
    """Every problem of the e-mail address, name and language of a user form at once."""
    for field, message in accounts.person_problems(form["email"], form["name"]).items():
        errors.add(field, say(message))
    if form["locale"] not in LANGUAGES:
        errors.add("locale", _("Kies Nederlands of Engels."))


@bp.route("/gebruikers/<int:user_id>", methods=["GET", "POST"])
@access("admin")
def user_edit(user_id: int):
    user = scoped_or_404(User.select(), user_id)
    form = _user_form(user)
    errors = FieldErrors()
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip() for k in ("email", "name", "locale")}
        form["active"] = request.form.get("active") == "1"
        _person_errors(errors, form)
        if not errors:
            try:
                changes = accounts.update_user(actor(), user, **form)
            except accounts.AccountError as exc:
                errors.add(exc.field or "email", say(str(exc)))
            else:
                flash(
                    _("De gegevens zijn opgeslagen.") if changes else _("Er is niets gewijzigd."),
                    "info",
                )
                return redirect(url_for("admin.user_edit", user_id=user.id))
    return _user_page(user, form, errors)


def _user_form(user: User) -> dict:
    return {"email": user.email, "name": user.name, "locale": user.locale, "active": user.active}


def _user_page(user: User, form: dict, errors: FieldErrors, role_form: dict | None = None):
    """The page of one user: details, roles and the form to add one; shown again
    with the problems of whichever of its forms was sent."""
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        role_form=role_form or {"role": "", "region": "", "organisation": "", "gemeente": ""},
        errors=errors,
        labels=USER_FIELDS,
        assignments=list(_assignments().where(RoleAssignment.user == user)),
        ROLES=ROLES,
        ROLE_SCOPE=ROLE_SCOPE,
        regions=list(Region.select().order_by(Region.name)),
        gemeenten=list(
            Gemeente.select(Gemeente, Region)
            .join(Region)
            .where(Gemeente.active == True)  # noqa: E712
            .order_by(Region.name, Gemeente.name)
        ),
        organisations=list(
            Organisation.select(Organisation, Region)
            .join(Region)
            .where(Organisation.active == True)  # noqa: E712
            .order_by(Region.name, Organisation.name)
        ),
    ), page_status(errors)


@bp.route("/gebruikers/<int:user_id>/rollen", methods=["POST"])
@access("admin")
def role_add(user_id: int):
    user = scoped_or_404(User.select(), user_id)
    role_form = {k: request.form.get(k, "") for k in ("role", "region", "organisation", "gemeente")}
    scope = ROLE_SCOPE.get(role_form["role"])
    model = {"region": Region, "organisation": Organisation, "gemeente": Gemeente}.get(scope)
    target = None
    if model is not None:
        target = by_id(model, role_form[scope])
    try:
        _assignment, created = accounts.grant_role(actor(), user, role_form["role"], target)
    except accounts.AccountError as exc:
        errors = FieldErrors()
        errors.add(exc.field or "role", say(str(exc)))
        return _user_page(user, _user_form(user), errors, role_form)
    flash(_("De rol is toegevoegd.") if created else _("Deze rol had de gebruiker al."), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/gebruikers/<int:user_id>/rollen/<int:assignment_id>/verwijderen", methods=["POST"])
@access("admin")
def role_remove(user_id: int, assignment_id: int):
    user = scoped_or_404(User.select(), user_id)
    assignment = scoped_or_404(
        RoleAssignment.select().where(RoleAssignment.user == user), assignment_id
    )
    try:
        accounts.revoke_role(actor(), assignment)
    except accounts.AccountError as exc:
        flash(_(str(exc)), "error")
    else:
        flash(_("De rol is verwijderd."), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/gebruikers/<int:user_id>/uitnodigen", methods=["POST"])
@access("admin")
def user_invite(user_id: int):
    user = scoped_or_404(User.select(), user_id)
    accounts.send_invitation(actor(), user, invite_link())
    flash(_("Er is een nieuwe uitnodiging naar %(email)s gestuurd.", email=user.email), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


# The fields of the user form in page order, named as their labels: the
# error summary lists the problems in this order.
USER_FIELDS = {
    "email": N_("E-mailadres"),
    "name": N_("Naam"),
    "locale": N_("Taal"),
    "active": N_("Actief"),
    # The role form below the user's details.
    "role": N_("Rol"),
    "region": N_("Regio"),
    "organisation": N_("Organisatie"),
    "gemeente": N_("Gemeente"),
}
