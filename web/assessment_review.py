"""Checking and submitting a self-assessment: "controleer uw antwoorden"
(per theme, beside the previous cycle, what is missing), submit, the
confirmation with what happens next, the readable (and printable) summary
of a submitted assessment, and the invuller's "klaar voor controle"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from domain import (
    assessment_access,
    assessment_completeness,
    assessment_saving,
    assessment_steps,
    cycles,
    review,
)
from domain.scope import may_read_assessment
from jobs.status import next_nightly
from models import Assessment, Cycle, Organisation, User
from models.choices import ACTION_STATES, ESCALATION_STEPS, N_, SCORES
from web import labels
from web.access import access, deny
from web.form_errors import FieldErrors, page_status
from web.formatting import say

bp = Blueprint("assessment_review", __name__, url_prefix="/zelfevaluaties")


def _assessment(assessment_id: int) -> Assessment:
    """The assessment if the user may read it; else 404, as if it did not exist."""
    assessment = (
        Assessment.select(Assessment, Organisation, Cycle)
        .join(Organisation)
        .switch(Assessment)
        .join(Cycle)
        .where(Assessment.id == assessment_id)
        .first()
    )
    if assessment is None or not may_read_assessment(current_user.user, assessment.organisation):
        deny(404)
    return assessment


def _link_for() -> Callable[[int], str]:
    """assessment id → the full address of its form, for mail."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return lambda assessment_id: base + url_for("assessments.form", assessment_id=assessment_id)


def _theme_link(assessment_id: int) -> Callable[..., str]:
    """(theme number, anchor) → the theme's own page of the form, where the
    form has one (…/thema/<n>); else the form itself, at the field."""
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("assessments.") and "/thema/<" in rule.rule:
            argument = next(a for a in rule.arguments if a != "assessment_id")

            def link(number: int, anchor: str = "", endpoint=rule.endpoint, name=argument) -> str:
                values = {"assessment_id": assessment_id, name: number}
                return url_for(endpoint, **values) + (f"#{anchor}" if anchor else "")

            return link
    form = url_for("assessments.form", assessment_id=assessment_id)
    return lambda number, anchor="": f"{form}#{anchor}" if anchor else form


def _context(assessment: Assessment) -> dict:
    user = current_user.user
    held = assessment_access.roles(user, assessment)
    invuller_may = current_app.config.get("INVULLER_MAY_SUBMIT", False)
    ready_by = None
    if review.is_ready(assessment) and assessment.ready_by_id:
        ready_by = User.get_or_none(User.id == assessment.ready_by_id)
    return {
        "assessment": assessment,
        "held": held,
        "editable": assessment_access.can_edit(user, assessment, held),
        "may_submit": assessment_access.can_submit(user, assessment, invuller_may, held),
        "may_reopen": assessment_access.can_reopen(user, assessment, held),
        "manager_submits": not invuller_may,
        "ready": review.is_ready(assessment),
        "ready_by": ready_by,
        "changed_since_ready": review.is_ready(assessment)
        and assessment.updated_at is not None
        and assessment.updated_at > assessment.ready_at,
        "state_label": labels.label(labels.DISPLAY_STATES, labels.display_state(assessment)),
        "SCORES": SCORES,
        "ACTION_STATES": ACTION_STATES,
        "ESCALATION_STEPS": ESCALATION_STEPS,
    }


@bp.route("/<int:assessment_id>/controleren")
@access("user")
def check(assessment_id: int):
    """Every answer per theme, what changed since the previous cycle, what is missing."""
    assessment = _assessment(assessment_id)
    context = _context(assessment)
    if not context["editable"]:
        return redirect(url_for("assessment_review.summary", assessment_id=assessment.id))
    themes, previous = review.review(assessment)
    return render_template(
        "assessments/check.html",
        themes=themes,
        previous=previous,
        missing=[(t, r) for t in themes for r in t.rows if r.lacks],
        copied=sum(1 for t in themes for r in t.rows if r.answer is not None and r.answer.copied),
        unconfirmed=assessment_completeness.UNCONFIRMED,
        theme_link=_theme_link(assessment.id),
        **context,
    )


@bp.route("/<int:assessment_id>/indienen", methods=["POST"])
@access("user")
def submit(assessment_id: int):
    """Submit after the check; back to the check when something is missing."""
    assessment = _assessment(assessment_id)
    user = current_user.user
    context = _context(assessment)
    if not context["editable"]:
        flash(_("Deze zelfevaluatie kan niet (meer) worden gewijzigd."), "error")
        return redirect(url_for("assessment_review.summary", assessment_id=assessment.id))
    if not context["may_submit"]:
        flash(_("Alleen een manager kan indienen."), "error")
        return redirect(url_for("assessment_review.check", assessment_id=assessment.id))
    try:
        missing = assessment_steps.submit(user, assessment)
    except assessment_saving.ConflictError:
        flash(
            _("Iemand anders heeft intussen iets veranderd. Controleer de antwoorden opnieuw."),
            "error",
        )
        return redirect(url_for("assessment_review.check", assessment_id=assessment.id))
    if missing:
        flash(_("Nog niet ingediend: er ontbreekt nog iets."), "error")
        return redirect(url_for("assessment_review.check", assessment_id=assessment.id))
    cycles.confirm_submission(assessment, _link_for(), submitter=user)
    return redirect(url_for("assessment_review.submitted", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>/ingediend")
@access("user")
def submitted(assessment_id: int):
    """The confirmation: who submitted when, and what happens next."""
    assessment = _assessment(assessment_id)
    if assessment.state != "ingediend":
        return redirect(url_for("assessments.form", assessment_id=assessment.id))
    cycle = assessment.cycle
    submitter = (
        User.get_or_none(User.id == assessment.submitted_by_id)
        if assessment.submitted_by_id
        else None
    )
    return render_template(
        "assessments/submitted.html",
        submitter=submitter,
        reference=f"{cycle.period}-{assessment.id:05d}",
        results_at=next_nightly(current_app.config),
        # The nightly run after the close date closes the cycle and mails the reports.
        reports_on=cycle.closes_on + dt.timedelta(days=1),
        cycle_open=cycle.state == "open",
        **_context(assessment),
    )


@bp.route("/<int:assessment_id>/overzicht")
@access("user")
def summary(assessment_id: int):
    """The assessment as a readable summary (also for print)."""
    return _summary_page(_assessment(assessment_id))


def _summary_page(assessment: Assessment, errors: FieldErrors | None = None, reason: str = ""):
    """The summary; shown again with the reason typed when reopening failed."""
    errors = errors or FieldErrors()
    themes, previous = review.review(assessment)
    submitter = (
        User.get_or_none(User.id == assessment.submitted_by_id)
        if assessment.submitted_by_id
        else None
    )
    return render_template(
        "assessments/summary.html",
        themes=themes,
        previous=previous,
        submitter=submitter,
        escalations=review.escalations(assessment),
        reason=reason,
        errors=errors,
        labels=REOPEN_FIELDS,
        **_context(assessment),
    ), page_status(errors)


REOPEN_FIELDS = {"reason": N_("Reden")}


@bp.route("/<int:assessment_id>/overzicht/heropenen", methods=["POST"])
@access("coordinator")
def reopen(assessment_id: int):
    """Reopen from the summary, with the reason the invullers and managers receive."""
    assessment = _assessment(assessment_id)
    reason = request.form.get("reason", "")
    try:
        assessment_steps.reopen(current_user.user, assessment, reason, link_for=_link_for())
    except assessment_saving.StateError as exc:
        if not assessment_access.can_reopen(current_user.user, assessment):
            # Reopened or closed meanwhile: the page no longer offers the form.
            flash(say(exc.args[0]), "error")
            return redirect(url_for("assessment_review.summary", assessment_id=assessment.id))
        errors = FieldErrors()
        errors.add("reason", say(exc.args[0]))
        return _summary_page(assessment, errors, reason)
    flash(
        _("De zelfevaluatie is heropend; de managers en invullers krijgen uw reden per e-mail."),
        "info",
    )
    return redirect(url_for("assessment_review.summary", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>/klaar-voor-controle", methods=["POST"])
@access("user")
def ready(assessment_id: int):
    """An invuller says the assessment is ready for the manager to check."""
    assessment = _assessment(assessment_id)
    try:
        managers, count = review.mark_ready(current_user.user, assessment, _link_for())
    except assessment_saving.StateError as exc:
        flash(say(exc.args[0]), "error")
    else:
        if managers and not count:
            flash(
                _(
                    "U had de zelfevaluatie al klaar gemeld en er is sindsdien niets "
                    "veranderd; de managers hebben er al een e-mail over."
                ),
                "info",
            )
        elif count:
            flash(
                _(
                    "U heeft de zelfevaluatie klaar gemeld voor controle. "
                    "De managers krijgen hiervan een e-mail; zij controleren en dienen in."
                ),
                "info",
            )
        else:
            flash(
                _(
                    "U heeft de zelfevaluatie klaar gemeld voor controle. Er is bij uw "
                    "organisatie geen manager bekend die een e-mail kan krijgen: laat het "
                    "uw manager zelf weten, of vraag uw regiocoördinator om een manager."
                ),
                "info",
            )
    return redirect(url_for("assessment_review.check", assessment_id=assessment.id))
