"""Admin screens (beheer): regions, gemeenten, organisations, users and their
roles, bulk import and the audit log. Only for the beheerder."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import secrets
import time
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from peewee import JOIN, IntegrityError, fn

from domain import accounts, imports, uploads
from domain.audit import record
from domain.indicators import UNITS, update_definition
from domain.inputs import LIMITS, MAX_ID, parse_id, parse_int
from jobs import status
from models import (
    AuditEvent,
    Gemeente,
    IndicatorDefinition,
    Organisation,
    OrganisationGemeente,
    Region,
    RegionalNorm,
    ReportRun,
    ReportRunEarlier,
    RoleAssignment,
    Theme,
    User,
    db,
)
from models.choices import (
    COMPUTATIONS,
    DIRECTIONS,
    FREQUENCIES,
    LEVELS,
    N_,
    ORGANISATION_KINDS,
    ROLE_SCOPE,
    ROLES,
)
from web import labels
from web.access import access, scoped_or_404
from web.form_errors import FieldErrors, page_status
from web.formatting import LANGUAGES, datum, say

bp = Blueprint("admin", __name__, url_prefix="/beheer")

PER_PAGE = 50
GEMEENTE_CODE = re.compile(r"GM[0-9]{4}")
IMPORT_KEEP = dt.timedelta(days=1)


def paginate(query, per_page: int = PER_PAGE) -> dict:
    """One page of a query, from the `pagina` request argument."""
    total = query.count()
    pages = max(1, math.ceil(total / per_page))
    raw = request.args.get("pagina")
    wanted = 1 if raw is None else parse_int(raw, 1, MAX_ID)
    if wanted is None:  # not a page number in ASCII digits (², ١, １ or text)
        abort(400)
    page = min(wanted, pages)
    return {
        "items": list(query.paginate(page, per_page)),
        "page": page,
        "pages": pages,
        "total": total,
    }


def _by_id(model, raw: str):
    """The row whose id was posted, or None for anything else."""
    object_id = parse_id(raw)
    return model.get_or_none(model.id == object_id) if object_id else None


def _actor() -> User:
    return current_user.user


def _invite_link():
    base = current_app.config["BASE_URL"].rstrip("/")
    return lambda token: base + url_for("auth.invitation", token=token)


@bp.route("/")
@access("admin")
def index():
    counts = {
        "regions": Region.select().count(),
        "gemeenten": Gemeente.select().where(Gemeente.active == True).count(),  # noqa: E712
        "organisations": Organisation.select().where(Organisation.active == True).count(),  # noqa: E712
        "users": User.select().where(User.active == True).count(),  # noqa: E712
    }
    return render_template("admin/index.html", counts=counts)


# --- regions -----------------------------------------------------------------


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
                    user=_actor(),
                    object_type="region",
                    object_id=region.id,
                    name=region.name,
                )
                flash(_("Regio %(name)s is opgeslagen.", name=region.name), "info")
                return redirect(url_for("admin.regions"))
    return render_template(
        "admin/region_edit.html", region=region, form=form, errors=errors, labels=REGION_FIELDS
    ), page_status(errors)


# The fields of each Beheer form in page order, named as their labels: the
# error summary lists the problems in this order.
REGION_FIELDS = {"code": N_("Regiocode"), "name": N_("Naam")}
GEMEENTE_FIELDS = {"code": N_("CBS-code"), "name": N_("Naam"), "region": N_("Regio")}
ORGANISATION_FIELDS = {
    "name": N_("Naam"),
    "kind": N_("Soort"),
    "region": N_("Regio"),
    "gemeenten": N_("Gemeenten die de organisatie bedient"),
}
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


# --- gemeenten ---------------------------------------------------------------


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
        region = _by_id(Region, form["region"])
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
                    user=_actor(),
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


# --- organisations -----------------------------------------------------------


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
        region = _by_id(Region, form["region"])
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
                    user=_actor(),
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


# --- users and roles ---------------------------------------------------------


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
                user = accounts.create_user(_actor(), form["email"], form["name"], form["locale"])
            except accounts.AccountError as exc:
                errors.add(exc.field or "email", say(str(exc)))
            else:
                accounts.send_invitation(_actor(), user, _invite_link())
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
                changes = accounts.update_user(_actor(), user, **form)
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
        target = _by_id(model, role_form[scope])
    try:
        _assignment, created = accounts.grant_role(_actor(), user, role_form["role"], target)
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
        accounts.revoke_role(_actor(), assignment)
    except accounts.AccountError as exc:
        flash(_(str(exc)), "error")
    else:
        flash(_("De rol is verwijderd."), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/gebruikers/<int:user_id>/uitnodigen", methods=["POST"])
@access("admin")
def user_invite(user_id: int):
    user = scoped_or_404(User.select(), user_id)
    accounts.send_invitation(_actor(), user, _invite_link())
    flash(_("Er is een nieuwe uitnodiging naar %(email)s gestuurd.", email=user.email), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


# --- bulk import -------------------------------------------------------------


def _import_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - IMPORT_KEEP.total_seconds()
    for old in path.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return path


@bp.route("/import", methods=["GET", "POST"])
@access("admin")
def bulk_import():
    kind = request.values.get("kind", "organisations")
    if kind not in imports.PLANNERS:
        kind = "organisations"
    if request.method == "GET":
        return _import_page(kind)
    token = request.form.get("token", "")
    if token:
        return _confirm_import(kind, token)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(kind, problem=_("Kies een bestand."))
    suffix = Path(upload.filename).suffix.lower()
    try:
        data = uploads.read_limited(upload.stream)
        result = imports.plan(kind, f"upload{suffix}", data)
    except (uploads.UploadError, imports.ImportFileError) as exc:
        return _import_page(kind, filename=upload.filename, problem=str(exc))
    if not result.ok:
        return _import_page(kind, result, upload.filename, problem=_rows_problem(result))
    token = secrets.token_hex(16)
    (_import_dir() / f"{token}{suffix}").write_bytes(data)
    return _import_page(kind, result, upload.filename, token=token)


def _confirm_import(kind: str, token: str):
    """The confirmation of a dry run: the file was kept under this token."""
    gone = _("Dit importbestand is niet meer beschikbaar. Upload het opnieuw.")
    if not (len(token) == 32 and token.isalnum()):
        return _import_page(kind, problem=gone)
    stored = next(_import_dir().glob(f"{token}.*"), None)
    if stored is None:
        return _import_page(kind, problem=gone)
    # The audit log names the file as the person uploaded it, not the stored
    # copy; the stored suffix (checked at upload) still decides how it is read.
    original = Path(request.form.get("filename", "")).name
    filename = (Path(original).stem[:150] or "import") + stored.suffix
    try:
        result = imports.apply(_actor(), kind, filename, stored.read_bytes(), _invite_link())
    except imports.ImportFileError as exc:
        return _import_page(kind, problem=str(exc))
    if not result.ok:
        # Something changed since the dry run: nothing was imported.
        return _import_page(
            kind,
            result,
            filename,
            problem=_("Er is niets geïmporteerd: het bestand bevat fouten."),
        )
    stored.unlink(missing_ok=True)
    counts = result.counts()
    flash(
        _(
            "Import voltooid: %(new)s nieuw, %(changed)s gewijzigd, %(same)s ongewijzigd.",
            new=counts["nieuw"],
            changed=counts["gewijzigd"],
            same=counts["ongewijzigd"],
        ),
        "info",
    )
    return redirect(url_for("admin.bulk_import", kind=kind))


def _rows_problem(result) -> str:
    if not result.rows:
        return _("Het bestand bevat geen rijen om te importeren.")
    return _(
        "Rijen met fouten: %(num)s. De tabel hieronder zegt welke; verbeter het bestand "
        "en upload het opnieuw.",
        num=result.counts()["fout"],
    )


def _import_page(kind: str, plan=None, filename: str = "", *, token=None, problem: str = ""):
    """The import page; a problem with the file is shown at the file field."""
    errors = FieldErrors()
    if problem:
        errors.add("file", problem)
    return render_template(
        "admin/import.html",
        kind=kind,
        plan=plan,
        filename=filename,
        token=token,
        errors=errors,
        labels=IMPORT_FIELDS,
        **IMPORT_HELP,
    ), page_status(errors)


IMPORT_FIELDS = {"file": N_("Bestand")}


def upload_too_large(message: str):
    """The import page with the message at the file field, for a post past the
    request limit (nothing of it was read: the kind is the page's own)."""
    kind = request.args.get("kind", "")
    body, _status = _import_page(
        kind if kind in imports.PLANNERS else "organisations", problem=message
    )
    return body, 413


IMPORT_HELP = {"ROLES": ROLES, "ROLE_SCOPE": ROLE_SCOPE}

# Obviously made up, so an example row imported by mistake creates nothing
# real: the names say "fictief" and the addresses end in .invalid, a domain
# that can never receive mail (RFC 2606).
EXAMPLE_ORGANISATION = "Voorbeeldorganisatie (fictief) 1"
IMPORT_EXAMPLES = {
    "organisations": [[EXAMPLE_ORGANISATION, "jgz", "VR24", "GM0935, GM0917", "ja"]],
    "users": [
        [
            "voorbeeld.invuller@voorbeeld.invalid",
            "Voorbeeldpersoon (fictief) A",
            "invuller",
            "",
            EXAMPLE_ORGANISATION,
            "",
            "nl",
            "ja",
        ],
        [
            "voorbeeld.coordinator@voorbeeld.invalid",
            "Voorbeeldpersoon (fictief) B",
            "regiocoordinator",
            "VR24",
            "",
            "",
            "nl",
            "ja",
        ],
    ],
}


@bp.route("/import/voorbeeld/<kind>")
@access("admin")
def import_template(kind: str):
    """An .xlsx with the right column headings, example rows and the allowed codes."""
    if kind not in imports.COLUMNS:
        return render_template("errors/404.html"), 404
    wb = Workbook()
    ws = wb.active
    ws.title = _("Invullen")
    ws.append(list(imports.COLUMNS[kind]))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in IMPORT_EXAMPLES[kind]:
        ws.append(row)
    ws["A2"].comment = Comment(
        _("Verzonnen voorbeeld: vervang deze rijen door uw eigen gegevens."), "Afsprakenmonitor"
    )
    for cells in ws.columns:
        ws.column_dimensions[cells[0].column_letter].width = 24
    codes = wb.create_sheet(_("Toegestane waarden"))
    if kind == "users":
        codes.append([_("rol"), _("betekenis"), _("vul ook in")])
        scope_column = {"region": "regio", "organisation": "organisatie", "gemeente": "gemeente"}
        for code, label in ROLES.items():
            codes.append([code, _(label), scope_column.get(ROLE_SCOPE[code], "–")])
    else:
        codes.append([_("soort"), _("betekenis")])
        for code, label in ORGANISATION_KINDS.items():
            codes.append([code, _(label)])
    for cell in codes[1]:
        cell.font = Font(bold=True)
    codes.column_dimensions["A"].width = 20
    codes.column_dimensions["B"].width = 45
    codes.column_dimensions["C"].width = 16
    out = io.BytesIO()
    wb.save(out)
    name = {"organisations": "organisaties", "users": "gebruikers"}[kind]
    return Response(
        out.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="voorbeeld-{name}.xlsx"'},
    )


# --- succesindicatoren ---------------------------------------------------------


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


def _number(raw: str):
    raw = raw.strip().replace(",", ".")
    try:
        return float(raw) if "." in raw else int(raw)
    except ValueError:
        return raw  # the validation names it


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
        errors = _indicator_errors(update_definition(_actor(), definition, item))
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


# --- batch run log -----------------------------------------------------------


@bp.route("/batch")
@access("admin")
def runs():
    query = ReportRun.select().order_by(ReportRun.started_at.desc(), ReportRun.id.desc())
    job = request.args.get("taak", "")
    if job:
        query = query.where(ReportRun.job == job)
    jobs = [
        j for (j,) in ReportRun.select(ReportRun.job).distinct().order_by(ReportRun.job).tuples()
    ]
    page = paginate(query)
    earlier: dict[int, list[ReportRunEarlier]] = {}
    for attempt in (
        ReportRunEarlier.select()
        .where(ReportRunEarlier.run.in_([r.id for r in page["items"]]))
        .order_by(ReportRunEarlier.started_at.desc())
    ):
        earlier.setdefault(attempt.run_id, []).append(attempt)
    return render_template(
        "admin/runs.html",
        page=page,
        jobs=jobs,
        job=job,
        earlier=earlier,
        job_label=lambda code: labels.label(labels.JOBS, code),
        run_state=lambda code: labels.label(labels.RUN_STATES, code),
        run_period=_run_period,
        summary_items=labels.summary_items,
        next_run=status.next_run(current_app.config),
    )


def _run_period(period: str) -> str:
    """'2026-11-28' → '28 november 2026'; '2026-Q4@20261128101500' → '2026-Q4'."""
    try:
        return datum(dt.date.fromisoformat(period))
    except ValueError:
        pass
    try:  # a run started on request or at set-up: its moment (UTC)
        return datum(dt.datetime.strptime(period, "%Y%m%d%H%M%S"))
    except ValueError:
        return period.split("@")[0].split("#")[0]


# --- audit log ---------------------------------------------------------------


@bp.route("/audit")
@access("admin")
def audit():
    query = AuditEvent.select().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    filters = {k: request.args.get(k, "").strip() for k in ("actie", "wie", "van", "tot")}
    errors = FieldErrors()
    if filters["actie"]:
        query = query.where(AuditEvent.action == filters["actie"])
    if filters["wie"]:
        query = query.where(fn.LOWER(AuditEvent.actor).contains(filters["wie"].lower()))
    for key, op in (("van", "ge"), ("tot", "lt")):
        try:
            day = dt.date.fromisoformat(filters[key]) if filters[key] else None
        except ValueError:
            errors.add(key, _("Gebruik voor een datum de vorm JJJJ-MM-DD, zoals 2026-11-28."))
            day = None
        if day is not None and day < dt.date.max:  # the day after must exist
            bound = dt.datetime.combine(day + dt.timedelta(days=1 if op == "lt" else 0), dt.time())
            query = query.where(AuditEvent.at >= bound if op == "ge" else AuditEvent.at < bound)
    actions = [
        a
        for (a,) in AuditEvent.select(AuditEvent.action)
        .distinct()
        .order_by(AuditEvent.action)
        .tuples()
    ]
    page = paginate(query)
    return render_template(
        "admin/audit.html",
        page=page,
        filters=filters,
        errors=errors,
        labels=AUDIT_FILTERS,
        actions=actions,
        names=labels.object_names(page["items"]),
        action_label=lambda code: labels.label(labels.AUDIT_ACTIONS, code),
        object_text=labels.object_text,
        detail_items=labels.detail_items,
    ), page_status(errors)


AUDIT_FILTERS = {"van": N_("Vanaf"), "tot": N_("Tot en met")}
