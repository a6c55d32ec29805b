"""The assessment form as a task: a task list of its themes, one page per
theme (and one for the escalation signals), saved as a draft with every
valid field kept (also automatically with JavaScript), copied answers
confirmed per theme or all at once, and the history. Checking, submitting
and reopening live in `web.assessment_review`."""

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

from domain import (
    assessment_access,
    assessment_agreements,
    assessment_completeness,
    assessment_form,
    assessment_saving,
    assessment_steps,
)
from domain.inputs import parse_int
from domain.scope import may_read_assessment
from models import Assessment, Cycle, Organisation, utcnow
from models.choices import ASSESSMENT_STATES, N_, SCORES
from models.compiled import CompiledQuery
from web import assessment_fields
from web.access import access, deny
from web.formatting import local_today, say

bp = Blueprint("assessments", __name__, url_prefix="/zelfevaluaties")

# The theme-page buttons that save and then go somewhere.
GO_TARGETS = ("vorige", "volgende", "onvolledig", "overzicht", "bevestigen", "opslaan")

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


def _summary(assessment: Assessment):
    return redirect(url_for("assessment_review.summary", assessment_id=assessment.id))


def _may_submit(assessment: Assessment, held: set[str]) -> bool:
    return assessment_access.can_submit(
        current_user.user, assessment, current_app.config.get("INVULLER_MAY_SUBMIT", False), held
    )


def _error_summary(errors: dict, agreements, pages: dict | None = None) -> list:
    """(link, where, message) per error: the agreement or escalation row
    named; the link to the field, on its theme page when `pages` (agreement
    id → theme page URL) is given."""
    by_id = {f"a{a.id}-": a for a in agreements}
    summary = []
    for key, message in errors.items():
        where, link = "", f"#{key}"
        if key.startswith("esc-"):
            index = key.split("-")[1]
            if parse_int(index, 0, MAX_ESCALATION_ROWS) is not None:
                where = _("Escalatie, rij %(row)s", row=int(index) + 1)
        else:
            agreement = by_id.get(key[: key.index("-") + 1] if "-" in key else key)
            if agreement is not None:
                where = agreement.code
                if pages is not None:
                    link = pages.get(agreement.id, "") + link
        summary.append((link, where, say(message)))
    return summary


def _values_from_post(stored: dict) -> dict:
    values = dict(stored)
    values.update(request.form.to_dict())
    for key in list(values):
        # Unticked checkboxes are absent from a post: they were cleared.
        if key.endswith(("-confirm", "-resolved")) and key not in request.form:
            values[key] = ""
    return values


def _not_editable(assessment: Assessment):
    """A form page of an assessment this user may not change (submitted, or
    its cycle closed): the summary, with a word why when something was posted."""
    if request.method == "POST":
        flash(_("Deze zelfevaluatie kan niet (meer) worden gewijzigd."), "error")
    return _summary(assessment)


def _days_left(assessment: Assessment) -> int:
    return (assessment.cycle.due_on - local_today()).days


def _next_incomplete(
    themes: list[assessment_completeness.ThemeState], after: int
) -> assessment_completeness.ThemeState | None:
    """The first theme after number `after` (then from the start) that is not done."""
    ordered = themes[after:] + themes[:after]
    return next((t for t in ordered if t.state != "klaar" and t.number != after), None)


def _theme_url(assessment: Assessment, number: int, anchor: str | None = None) -> str:
    return url_for("assessments.theme", assessment_id=assessment.id, number=number, _anchor=anchor)


# --- the task list ------------------------------------------------------------


def _task_list(assessment, agreements, themes, states, *, errors=None, conflict=None, status=200):
    user = current_user.user
    held = assessment_access.roles(user, assessment)
    answered = sum(t.answered for t in themes)
    copied = sum(t.copied for t in themes)
    total = sum(t.total for t in themes)
    next_theme = _next_incomplete(themes, 0)
    previous = assessment_steps.previous_assessment(assessment)
    escalation_rows = assessment_completeness.escalation_count(assessment)
    return render_template(
        "assessments/tasks.html",
        assessment=assessment,
        themes=themes,
        answered=answered,
        copied=copied,
        total=total,
        next_theme=next_theme,
        previous=previous,
        escalation_rows=escalation_rows,
        days_left=_days_left(assessment),
        may_submit=_may_submit(assessment, held),
        errors=errors or {},
        error_summary=_error_summary(
            errors or {},
            agreements,
            {a.id: _theme_url(assessment, t.number) for t in themes for a in t.agreements},
        ),
        conflict=conflict,
        STATES=ASSESSMENT_STATES,
    ), status


@bp.route("/<int:assessment_id>", methods=["GET", "POST"])
@access("user")
def form(assessment_id: int):
    """The task list: the themes and their state; a post saves the whole
    form at once (every valid field), as pages without a theme did."""
    assessment = _assessment(assessment_id)
    user = current_user.user
    if not assessment_access.can_edit(user, assessment):
        return _not_editable(assessment)
    agreements = assessment_agreements.applicable_agreements(assessment)
    if request.method == "POST":
        outcome = _save(assessment, agreements, request.form)
        if outcome.conflict is None and not outcome.errors:
            flash(_("Uw antwoorden zijn opgeslagen als concept."), "info")
            return redirect(url_for("assessments.form", assessment_id=assessment.id))
        states = assessment_completeness.agreement_states(assessment, agreements)
        themes = assessment_completeness.theme_states(agreements, states)
        if outcome.conflict is not None:
            return _task_list(
                assessment, agreements, themes, states, conflict=outcome.conflict, status=409
            )
        return _task_list(assessment, agreements, themes, states, errors=outcome.errors, status=400)
    states = assessment_completeness.agreement_states(assessment, agreements)
    themes = assessment_completeness.theme_states(agreements, states)
    return _task_list(assessment, agreements, themes, states)


class _Outcome:
    """What a save did: the errors of the fields not saved, the notices of
    what is stored but incomplete, a conflict with someone else's save."""

    def __init__(self, errors=None, notices=None, conflict=None, saved=False):
        self.errors = errors or {}
        self.notices = notices or {}
        self.conflict = conflict
        self.saved = saved


def _save(assessment, agreements, form) -> _Outcome:
    """Save every valid field of the posted page; the rest is reported."""
    version = assessment_form.parse_version(form.get("version", ""))
    if version is None:
        return _Outcome({"version": N_("De versie van het formulier ontbreekt of is ongeldig.")})
    parsed = assessment_form.parse_valid(
        form, agreements, utcnow().date(), assessment_form.stored_values(assessment)
    )
    try:
        assessment_saving.save_answers(current_user.user, assessment, version, parsed)
    except assessment_saving.ConflictError as exc:
        return _Outcome(parsed.errors, parsed.notices, conflict=exc)
    return _Outcome(parsed.errors, parsed.notices, saved=True)


# --- a theme page -----------------------------------------------------------------


def _theme_page(
    assessment,
    agreements,
    themes,
    states,
    theme,
    values,
    *,
    errors=None,
    conflict=None,
    status=200,
):
    errors = dict(errors or {})
    marks = dict(errors)
    for agreement in theme.agreements:
        for name, message in states[agreement.id].faults:
            marks.setdefault(f"a{agreement.id}-{name}", message)
    fields = assessment_fields.prepare(
        agreements, values, marks, range(0), current_app.jinja_env, cards=theme.agreements
    )
    previous = assessment_steps.previous_assessment(assessment) if theme.copied else None
    return render_template(
        "assessments/theme.html",
        assessment=assessment,
        theme=theme,
        themes=themes,
        fields=fields,
        values=values,
        states=states,
        errors=errors,
        error_summary=_error_summary(errors, agreements),
        conflict=conflict,
        previous=previous,
        next_incomplete=_next_incomplete(themes, theme.number),
        shown=",".join(str(a.id) for a in theme.agreements),
        days_left=_days_left(assessment),
    ), status


def _go(assessment, themes, number: int, go: str):
    """Where a theme page's button leads after saving."""
    if go == "vorige" and number > 1:
        return _theme_url(assessment, number - 1)
    if go == "volgende":
        if number < len(themes):
            return _theme_url(assessment, number + 1)
        return url_for("assessments.escalations", assessment_id=assessment.id)
    if go == "onvolledig":
        found = _next_incomplete(themes, number)
        if found is not None:
            return _theme_url(assessment, found.number)
    if go in ("bevestigen", "opslaan"):
        return _theme_url(assessment, number)
    return url_for("assessments.form", assessment_id=assessment.id)


@bp.route("/<int:assessment_id>/thema/<int:number>", methods=["GET", "POST"])
@access("user")
def theme(assessment_id: int, number: int):
    """One theme of the form: its agreements, saved with every valid field."""
    assessment = _assessment(assessment_id)
    user = current_user.user
    if not assessment_access.can_edit(user, assessment):
        return _not_editable(assessment)
    agreements = assessment_agreements.applicable_agreements(assessment)
    if request.method == "GET":
        states = assessment_completeness.agreement_states(assessment, agreements)
        themes = assessment_completeness.theme_states(agreements, states)
        if not 1 <= number <= len(themes):
            deny(404)
        values = assessment_form.stored_values(assessment)
        values["version"] = str(assessment.version)
        return _theme_page(assessment, agreements, themes, states, themes[number - 1], values)
    # The page's own agreements, whatever else was posted.
    form_data = request.form.copy()
    themes_before = assessment_completeness.theme_states(agreements, _blank_states(agreements))
    if not 1 <= number <= len(themes_before):
        deny(404)
    current = themes_before[number - 1]
    form_data[assessment_form.SHOWN_KEY] = ",".join(str(a.id) for a in current.agreements)
    form_data.pop("esc-rows", None)
    outcome = _save(assessment, agreements, form_data)
    go = request.form.get("go", "opslaan")
    go = go if go in GO_TARGETS else "opslaan"
    if outcome.saved and go == "bevestigen":
        confirmed = assessment_steps.confirm_copied(
            user, assessment, [a.id for a in current.agreements]
        )
        flash(
            _("Overgenomen antwoorden bevestigd: %(num)s.", num=len(confirmed)),
            "info",
        )
    states = assessment_completeness.agreement_states(assessment, agreements)
    themes = assessment_completeness.theme_states(agreements, states)
    if outcome.conflict is not None or outcome.errors:
        values = _values_from_post(assessment_form.stored_values(assessment))
        if outcome.conflict is not None:
            values["version"] = str(outcome.conflict.current_version)
        else:
            values["version"] = str(assessment.version)
        return _theme_page(
            assessment,
            agreements,
            themes,
            states,
            themes[number - 1],
            values,
            errors=outcome.errors,
            conflict=outcome.conflict,
            status=409 if outcome.conflict is not None else 400,
        )
    if go == "opslaan":
        flash(_("Uw antwoorden zijn opgeslagen als concept."), "info")
    return redirect(_go(assessment, themes, number, go))


def _blank_states(agreements) -> dict[int, assessment_completeness.AgreementState]:
    return {a.id: assessment_completeness.AgreementState() for a in agreements}


@bp.route("/<int:assessment_id>/afspraak/<int:agreement_id>")
@access("user")
def agreement(assessment_id: int, agreement_id: int):
    """An agreement's place in the form: its theme page, at the agreement."""
    assessment = _assessment(assessment_id)
    agreements = assessment_agreements.applicable_agreements(assessment)
    themes = assessment_completeness.theme_states(agreements, _blank_states(agreements))
    for theme_state in themes:
        if any(a.id == agreement_id for a in theme_state.agreements):
            return redirect(_theme_url(assessment, theme_state.number, f"a{agreement_id}"))
    return redirect(url_for("assessments.form", assessment_id=assessment.id))


# --- the escalation signals -----------------------------------------------------------


@bp.route("/<int:assessment_id>/signalen", methods=["GET", "POST"])
@access("user")
def escalations(assessment_id: int):
    """The escalation signals: how often an agreement was not followed."""
    assessment = _assessment(assessment_id)
    if not assessment_access.can_edit(current_user.user, assessment):
        return _summary(assessment)
    agreements = assessment_agreements.applicable_agreements(assessment)
    stored = assessment_form.stored_values(assessment)
    errors: dict = {}
    conflict = None
    status = 200
    if request.method == "GET":
        values = dict(stored, version=str(assessment.version))
    else:
        form_data = request.form.copy()
        form_data[assessment_form.SHOWN_KEY] = ""  # no agreements on this page
        form_data.setdefault("esc-rows", "0")
        values = _values_from_post(stored)
        if request.form.get("action") == "add_row":
            values["esc-rows"] = str(_escalation_rows(values) + 1)
        else:
            outcome = _save(assessment, agreements, form_data)
            if outcome.conflict is None and not outcome.errors:
                flash(_("Uw antwoorden zijn opgeslagen als concept."), "info")
                return redirect(url_for("assessments.form", assessment_id=assessment.id))
            errors, conflict = outcome.errors, outcome.conflict
            status = 409 if conflict is not None else 400
            values["version"] = str(
                conflict.current_version if conflict is not None else assessment.version
            )
    most = len(agreements) + assessment_form.ESCALATION_BLANK_ROWS
    rows = parse_int(values.get("esc-rows") or "", 1, most) or assessment_form.ESCALATION_BLANK_ROWS
    fields = assessment_fields.prepare(
        agreements, values, errors, range(rows), current_app.jinja_env, cards=[]
    )
    states = assessment_completeness.agreement_states(assessment, agreements)
    themes = assessment_completeness.theme_states(agreements, states)
    return render_template(
        "assessments/escalations.html",
        assessment=assessment,
        fields=fields,
        values=values,
        errors=errors,
        error_summary=_error_summary(errors, agreements),
        conflict=conflict,
        themes=themes,
        next_incomplete=_next_incomplete(themes, 0),
    ), status


MAX_ESCALATION_ROWS = 200


def _escalation_rows(values: dict) -> int:
    raw = str(values.get("esc-rows") or "")
    count = parse_int(raw, 0, 10**9) or 0  # ASCII digits only: int("²") raises
    return min(count, MAX_ESCALATION_ROWS) or assessment_form.ESCALATION_BLANK_ROWS


# --- autosave ---------------------------------------------------------------------------


@bp.route("/<int:assessment_id>/automatisch-opslaan", methods=["POST"])
@access("user")
def autosave(assessment_id: int):
    """The same save, for the pages' script: every valid field is stored;
    the others come back per field, with the agreement they belong to."""
    assessment = _assessment(assessment_id)
    if not assessment_access.can_edit(current_user.user, assessment):
        return jsonify(
            ok=False, message=_("Deze zelfevaluatie kan niet (meer) worden gewijzigd.")
        ), 409
    agreements = assessment_agreements.applicable_agreements(assessment)
    outcome = _save(assessment, agreements, request.form)
    if outcome.conflict is not None:
        return jsonify(
            ok=False,
            conflict=True,
            message=_(
                "Iemand anders heeft deze zelfevaluatie intussen opgeslagen. "
                "Automatisch opslaan is gestopt; klik op Opslaan om te zien wat er veranderd is."
            ),
        ), 409
    codes = {f"a{a.id}-": a.code for a in agreements}

    def listed(found: dict) -> list[dict]:
        out = []
        for key, message in found.items():
            prefix = key[: key.index("-") + 1] if "-" in key else key
            out.append({"field": key, "message": say(message), "where": codes.get(prefix, "")})
        return out

    time = format_datetime(utcnow(), "HH:mm")
    errors = listed(outcome.errors)
    if not outcome.saved:
        return jsonify(
            ok=False,
            errors=errors,
            notices=[],
            message=_("Niet opgeslagen: verbeter het gemarkeerde veld."),
        ), 400
    states = assessment_completeness.agreement_states(assessment, agreements)
    themes = assessment_completeness.theme_states(agreements, states)
    # What the page's answered agreements still lack, said at their fields.
    faults = {}
    for shown in assessment_form.shown_agreements(request.form, agreements):
        for name, message in states[shown.id].faults:
            key = f"a{shown.id}-{name}"
            if key not in outcome.errors and key not in outcome.notices:
                faults[key] = message
    if errors:
        message = (
            _("1 veld niet opgeslagen; de rest is opgeslagen om %(time)s.", time=time)
            if len(errors) == 1
            else _(
                "%(num)s velden niet opgeslagen; de rest is opgeslagen om %(time)s.",
                num=len(errors),
                time=time,
            )
        )
    elif outcome.notices:
        message = _("Opgeslagen om %(time)s. Nog aan te vullen:", time=time)
    elif faults:  # all saved; what the answers still lack is linked after it
        message = _("Alles opgeslagen om %(time)s. Nog aan te vullen:", time=time)
    else:
        message = _("Alles opgeslagen om %(time)s.", time=time)
    return jsonify(
        ok=True,
        version=assessment.version,
        errors=errors,
        notices=listed(outcome.notices),
        faults=listed(faults),
        answered=sum(t.answered for t in themes),
        copied=sum(t.copied for t in themes),
        total=sum(t.total for t in themes),
        message=message,
    )


# --- copied answers ------------------------------------------------------------------------


@bp.route("/<int:assessment_id>/vorige-overnemen", methods=["POST"])
@access("user")
def copy_previous(assessment_id: int):
    assessment = _assessment(assessment_id)
    if not assessment_access.can_edit(current_user.user, assessment):
        flash(_("Deze zelfevaluatie kan niet (meer) worden gewijzigd."), "error")
    else:
        count = assessment_steps.copy_previous(current_user.user, assessment)
        flash(
            _(
                "%(count)s antwoorden overgenomen uit de vorige ronde. Bevestig per thema "
                "of in één keer dat ze nog kloppen.",
                count=count,
            ),
            "info",
        )
    return redirect(url_for("assessments.form", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>/bevestigen", methods=["GET", "POST"])
@access("user")
def confirm(assessment_id: int):
    """All copied answers at once: the list of what is confirmed, then one click."""
    assessment = _assessment(assessment_id)
    user = current_user.user
    if not assessment_access.can_edit(user, assessment):
        return _not_editable(assessment)
    agreements = assessment_agreements.applicable_agreements(assessment)
    if request.method == "POST":
        confirmed = assessment_steps.confirm_copied(user, assessment)
        flash(
            _("Overgenomen antwoorden bevestigd: %(num)s.", num=len(confirmed)),
            "info",
        )
        return redirect(url_for("assessments.form", assessment_id=assessment.id))
    states = assessment_completeness.agreement_states(assessment, agreements)
    themes = assessment_completeness.theme_states(agreements, states)
    values = assessment_form.stored_values(assessment)
    return render_template(
        "assessments/confirm.html",
        assessment=assessment,
        themes=themes,
        states=states,
        values=values,
        copied=sum(t.copied for t in themes),
        previous=assessment_steps.previous_assessment(assessment),
        scores={str(k): f"{k} – {_(label)}" for k, label in SCORES.items()} | {"nvt": _("n.v.t.")},
    )


# --- history ---------------------------------------------------------------


@bp.route("/<int:assessment_id>/geschiedenis")
@access("user")
def history(assessment_id: int):
    assessment = _assessment(assessment_id)
    return render_template(
        "assessments/history.html",
        assessment=assessment,
        changes=assessment_saving.history(assessment),
    )
