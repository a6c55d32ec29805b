"""The assessment form: fill in, save as draft (also automatically with
JavaScript), submit, copy the previous cycle, reopen, read the history."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from domain import assessments as domain
from domain import cycles
from domain.inputs import parse_int
from domain.scope import may_read_assessment
from models import Assessment, Cycle, Organisation, utcnow
from models.choices import ASSESSMENT_STATES
from models.compiled import CompiledQuery
from web import assessment_fields
from web.access import access, deny
from web.formatting import say

bp = Blueprint("assessments", __name__, url_prefix="/zelfevaluaties")


_ASSESSMENT = CompiledQuery(
    lambda assessment_id: (
        Assessment.select(Assessment, Organisation, Cycle)
        .join(Organisation)
        .switch(Assessment)
        .join(Cycle)
        .where(Assessment.id == assessment_id)
    )
)


def _assessment(assessment_id: int) -> Assessment:
    """The assessment if the user may read it; else 404, as if it did not exist."""
    assessment = _ASSESSMENT.first(assessment_id)
    if assessment is None or not may_read_assessment(current_user.user, assessment.organisation):
        deny(404)
    return assessment


def _link():
    base = current_app.config["BASE_URL"].rstrip("/")
    return lambda assessment_id: base + url_for("assessments.form", assessment_id=assessment_id)


def _render(
    assessment: Assessment,
    values: dict,
    *,
    errors=None,
    missing=None,
    conflict=None,
    status: int = 200,
):
    user = current_user.user
    agreements = domain.applicable_agreements(assessment)
    answered, total = domain.progress(assessment, agreements)
    most = len(agreements) + domain.ESCALATION_BLANK_ROWS
    rows = parse_int(values.get("esc-rows") or "", 1, most) or domain.ESCALATION_BLANK_ROWS
    fields = assessment_fields.prepare(
        agreements, values, errors or {}, range(rows), current_app.jinja_env
    )
    themes: list[tuple] = []
    for agreement_fields in fields.agreements:
        agreement = agreement_fields.agreement
        if not themes or themes[-1][0].id != agreement.theme_id:
            themes.append((agreement.theme, []))
        themes[-1][1].append(agreement_fields)
    held = domain.roles(user, assessment)
    editable = domain.can_edit(user, assessment, held)
    return render_template(
        "assessments/form.html",
        assessment=assessment,
        themes=themes,
        fields=fields,
        values=values,
        errors=errors or {},
        error_summary=_error_summary(errors or {}, agreements),
        missing=missing,
        conflict=conflict,
        answered=answered,
        total=total,
        editable=editable,
        may_submit=domain.can_submit(
            user, assessment, current_app.config.get("INVULLER_MAY_SUBMIT", False), held
        ),
        may_reopen=domain.can_reopen(user, assessment, held),
        previous=domain.previous_assessment(assessment) if editable else None,
        STATES=ASSESSMENT_STATES,
    ), status


MAX_ESCALATION_ROWS = 200


def _escalation_rows(values: dict) -> int:
    raw = str(values.get("esc-rows") or "")
    count = parse_int(raw, 0, 10**9) or 0  # ASCII digits only: int("²") raises
    return min(count, MAX_ESCALATION_ROWS) or domain.ESCALATION_BLANK_ROWS


def _error_summary(errors: dict, agreements) -> list[tuple[str, str, str]]:
    """(anchor, where, message) per error: the agreement or escalation row named."""
    by_id = {f"a{a.id}-": f"{a.code} {a.title}" for a in agreements}
    summary = []
    for key, message in errors.items():
        where = ""
        if key.startswith("esc-"):
            index = key.split("-")[1]
            if parse_int(index, 0, MAX_ESCALATION_ROWS) is not None:
                where = _("Escalatie, rij %(row)s", row=int(index) + 1)
        else:
            where = by_id.get(key[: key.index("-") + 1] if "-" in key else key, "")
        summary.append((key, where, say(message)))
    return summary


def _values_from_post(stored: dict) -> dict:
    values = dict(stored)
    values.update(request.form.to_dict())
    for key in list(values):
        # Unticked checkboxes are absent from a post: they were cleared.
        if key.endswith(("-confirm", "-resolved")) and key not in request.form:
            values[key] = ""
    return values


@bp.route("/<int:assessment_id>", methods=["GET", "POST"])
@access("user")
def form(assessment_id: int):
    assessment = _assessment(assessment_id)
    user = current_user.user
    if request.method == "GET":
        values = domain.stored_values(assessment)
        values["version"] = str(assessment.version)
        return _render(assessment, values)
    if not domain.can_edit(user, assessment):
        flash(_("Deze zelfevaluatie kan niet (meer) worden gewijzigd."), "error")
        return redirect(url_for("assessments.form", assessment_id=assessment.id))
    agreements = domain.applicable_agreements(assessment)
    parsed = domain.parse_form(request.form, agreements, utcnow().date())
    version = domain.parse_version(request.form.get("version", ""))
    if version is None:
        parsed.errors["version"] = domain.N_(
            "De versie van het formulier ontbreekt of is ongeldig."
        )
    if request.form.get("action") == "add_row":
        # One more escalation row; what was typed stays on the page (and is
        # saved with the next save or autosave).
        values = _values_from_post(domain.stored_values(assessment))
        values["esc-rows"] = str(_escalation_rows(values) + 1)
        return _render(assessment, values, errors=parsed.errors)
    if parsed.errors:
        flash(_("Er is niets opgeslagen: verbeter de gemarkeerde velden."), "error")
        values = _values_from_post(domain.stored_values(assessment))
        return _render(assessment, values, errors=parsed.errors, status=400)
    try:
        domain.save_answers(user, assessment, version, parsed)
    except domain.ConflictError as exc:
        # What is stored is read only when the page is shown again.
        values = _values_from_post(domain.stored_values(assessment))
        values["version"] = str(exc.current_version)
        return _render(assessment, values, conflict=exc, status=409)
    except domain.StateError as exc:
        flash(_(str(exc)), "error")
        return redirect(url_for("assessments.form", assessment_id=assessment.id))
    if request.form.get("action") == "submit":
        if not domain.can_submit(
            user, assessment, current_app.config.get("INVULLER_MAY_SUBMIT", False)
        ):
            flash(_("Uw antwoorden zijn opgeslagen. Alleen een manager kan indienen."), "info")
            return redirect(url_for("assessments.form", assessment_id=assessment.id))
        missing = domain.submit(user, assessment)
        if missing:
            values = domain.stored_values(assessment)
            values["version"] = str(assessment.version)
            flash(
                _("Uw antwoorden zijn opgeslagen, maar nog niet ingediend: er ontbreekt nog iets."),
                "error",
            )
            return _render(assessment, values, missing=missing)
        cycles.confirm_submission(assessment, _link())
        flash(_("De zelfevaluatie is ingediend. Dank u wel."), "info")
        return redirect(url_for("assessments.form", assessment_id=assessment.id))
    flash(_("Uw antwoorden zijn opgeslagen als concept."), "info")
    return redirect(url_for("assessments.form", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>/automatisch-opslaan", methods=["POST"])
@access("user")
def autosave(assessment_id: int):
    """The same save, for the form's script: answers in JSON."""
    assessment = _assessment(assessment_id)
    if not domain.can_edit(current_user.user, assessment):
        return jsonify(
            ok=False, message=_("Deze zelfevaluatie kan niet (meer) worden gewijzigd.")
        ), 409
    agreements = domain.applicable_agreements(assessment)
    parsed = domain.parse_form(request.form, agreements, utcnow().date())
    version = domain.parse_version(request.form.get("version", ""))
    if parsed.errors or version is None:
        return jsonify(
            ok=False,
            errors={k: say(v) for k, v in parsed.errors.items()},
            message=_("Niet automatisch opgeslagen: verbeter de gemarkeerde velden."),
        ), 400
    try:
        domain.save_answers(current_user.user, assessment, version, parsed)
    except domain.ConflictError:
        return jsonify(
            ok=False,
            conflict=True,
            message=_(
                "Iemand anders heeft deze zelfevaluatie intussen opgeslagen. "
                "Automatisch opslaan is gestopt; klik op Opslaan om te zien wat er veranderd is."
            ),
        ), 409
    answered, total = domain.progress(assessment, agreements)
    return jsonify(
        ok=True,
        version=assessment.version,
        answered=answered,
        total=total,
        message=_("Automatisch opgeslagen om %(time)s.", time=format_datetime(utcnow(), "HH:mm")),
    )


@bp.route("/<int:assessment_id>/vorige-overnemen", methods=["POST"])
@access("user")
def copy_previous(assessment_id: int):
    assessment = _assessment(assessment_id)
    if not domain.can_edit(current_user.user, assessment):
        flash(_("Deze zelfevaluatie kan niet (meer) worden gewijzigd."), "error")
    else:
        count = domain.copy_previous(current_user.user, assessment)
        flash(
            _(
                "%(count)s antwoorden overgenomen uit de vorige ronde. Controleer en bevestig ze.",
                count=count,
            ),
            "info",
        )
    return redirect(url_for("assessments.form", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>/heropenen", methods=["POST"])
@access("user")
def reopen(assessment_id: int):
    assessment = _assessment(assessment_id)
    try:
        domain.reopen(current_user.user, assessment, request.form.get("reason", ""))
    except domain.StateError as exc:
        flash(say(exc.args[0]), "error")
    else:
        flash(_("De zelfevaluatie is heropend."), "info")
    return redirect(url_for("assessments.form", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>/geschiedenis")
@access("user")
def history(assessment_id: int):
    assessment = _assessment(assessment_id)
    return render_template(
        "assessments/history.html", assessment=assessment, changes=domain.history(assessment)
    )
