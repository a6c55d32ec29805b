"""Checking and submitting a self-assessment: "controleer uw antwoorden",
submit, the confirmation with what happens next, the readable summary of a
submitted assessment, and the invuller's "klaar voor controle"."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from domain import assessments as domain
from domain.scope import may_read_assessment
from models import Assessment, Cycle, Organisation
from web.access import access, deny

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


def _may_submit(assessment, held) -> bool:
    return domain.can_submit(
        current_user.user, assessment, current_app.config.get("INVULLER_MAY_SUBMIT", False), held
    )


@bp.route("/<int:assessment_id>/controleren")
@access("user")
def check(assessment_id: int):
    """Every answer per theme, what changed since the previous cycle, what is missing."""
    assessment = _assessment(assessment_id)
    return render_template("assessments/check.html", assessment=assessment)


@bp.route("/<int:assessment_id>/indienen", methods=["POST"])
@access("user")
def submit(assessment_id: int):
    """Submit after the check; back to the check when something is missing."""
    assessment = _assessment(assessment_id)
    held = domain.roles(current_user.user, assessment)
    if not _may_submit(assessment, held):
        deny(403)
    missing = domain.submit(current_user.user, assessment)
    if missing:
        flash(_("Nog niet ingediend: er ontbreekt nog iets."), "error")
        return redirect(url_for("assessment_review.check", assessment_id=assessment.id))
    return redirect(url_for("assessment_review.submitted", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>/ingediend")
@access("user")
def submitted(assessment_id: int):
    """The confirmation: who submitted when, and what happens next."""
    assessment = _assessment(assessment_id)
    return render_template("assessments/submitted.html", assessment=assessment)


@bp.route("/<int:assessment_id>/overzicht")
@access("user")
def summary(assessment_id: int):
    """The assessment as a readable summary (also for print)."""
    assessment = _assessment(assessment_id)
    return render_template("assessments/summary.html", assessment=assessment)


@bp.route("/<int:assessment_id>/klaar-voor-controle", methods=["POST"])
@access("user")
def ready(assessment_id: int):
    """An invuller says the assessment is ready for the manager to check."""
    assessment = _assessment(assessment_id)
    return redirect(url_for("assessments.form", assessment_id=assessment.id))
