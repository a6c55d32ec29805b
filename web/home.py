"""The home page (what the logged-in person may see, and what to do next)
and the accessibility statement."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import fn

from domain.assessment_access import EDITABLE_STATES
from domain.scope import (
    has_role,
    is_admin,
    readable_assessments,
    roles_of,
    visible_assessments,
    visible_organisations,
)
from models import Assessment, Cycle, Gemeente, Organisation, OutboxMessage, Region, ReportRun
from models.base import utcnow
from models.choices import ASSESSMENT_STATES, CYCLE_STATES, ORGANISATION_KINDS
from web import labels
from web.access import access
from web.formatting import datum, local_today
from web.links import url_by_id

bp = Blueprint("home", __name__)

LIST_LIMIT = 50


@bp.route("/")
@access("user")
def index():
    user = current_user.user
    roles = roles_of(user)
    gemeente_ids = [r.gemeente_id for r in roles if r.gemeente_id]
    gemeenten = {g.id: g for g in Gemeente.select().where(Gemeente.id.in_(gemeente_ids))}
    organisations = visible_organisations(user)
    org_count = organisations.count()
    org_list = list(
        organisations.select(Organisation, Region)
        .join(Region)
        .order_by(Region.name, Organisation.name)
        .limit(LIST_LIMIT)
    )
    cycles = list(Cycle.select().order_by(Cycle.period.desc()).limit(8))
    sections = [_cycle_section(user, c) for c in _dashboard_cycles(cycles)]
    return render_template(
        "home/index.html",
        steps=next_steps(user, roles, cycles, local_today()),
        roles=roles,
        gemeenten=gemeenten,
        org_count=org_count,
        organisations=org_list,
        cycles=cycles,
        sections=sections,
        may_monitor=is_admin(user) or has_role(user, "regiocoordinator"),
        # Labels and links of the rows, worked out once rather than per row.
        state_labels={state: _(label) for state, label in labels.DISPLAY_STATES.items()},
        display_state=labels.display_state,
        kind_labels={kind: _(label) for kind, label in ORGANISATION_KINDS.items()},
        form_url=url_by_id("assessments.form"),
        limit=LIST_LIMIT,
        KINDS=ORGANISATION_KINDS,
        CYCLE_STATES=CYCLE_STATES,
        ASSESSMENT_STATES=ASSESSMENT_STATES,
    )


def _dashboard_cycles(cycles: list[Cycle]) -> list[Cycle]:
    """Every open cycle (a reopened assessment of an older one must stay in
    reach when a newer cycle opens); without any, the newest closed one."""
    # By due date: the one whose deadline comes first, first.
    open_ = sorted((c for c in cycles if c.state == "open"), key=lambda c: (c.due_on, c.period))
    if open_:
        return open_
    return [c for c in cycles if c.state == "gesloten"][:1]


def _cycle_section(user, cycle: Cycle) -> dict:
    in_cycle = visible_assessments(user).where(Assessment.cycle == cycle)
    state_counts = dict(
        in_cycle.select(Assessment.state, fn.COUNT(Assessment.id))
        .group_by(Assessment.state)
        .tuples()
    )
    # Being filled in and marked "klaar voor controle": counted among their states too.
    ready = in_cycle.where(
        Assessment.ready_at.is_null(False), Assessment.state.in_(EDITABLE_STATES)
    ).count()
    assessments = list(in_cycle.order_by(Organisation.name).limit(LIST_LIMIT))
    ids = [a.id for a in assessments]
    if is_admin(user):
        readable = set(ids)  # the beheerder reads every assessment
    else:
        readable = {
            assessment_id
            for (assessment_id,) in readable_assessments(user)
            .select(Assessment.id)
            .where(Assessment.id.in_(ids))
            .tuples()
        }
    return {
        "cycle": cycle,
        "state_counts": state_counts,
        "ready": ready,
        "assessments": assessments,
        "readable": readable,
    }


@bp.route("/favicon.ico")
@access("public")
def favicon():
    """Browsers ask for it at the root, whatever the page says. Answered from
    memory (3 kB), so no response holds a file open."""
    data = (Path(current_app.static_folder) / "favicon.ico").read_bytes()
    return Response(data, mimetype="image/vnd.microsoft.icon")


@bp.route("/toegankelijkheid")
@access("public")
def accessibility():
    return render_template("home/accessibility.html")


# --- What to do next, per role -------------------------------------------
# Each step: a heading, a line of detail, the link and its words; `main`
# marks the one call to action a person should see first.

ORGANISATION_ROLES = ("invuller", "manager")
FAILED_RUN_DAYS = 7


def next_steps(user, roles, cycles: list[Cycle], today: dt.date) -> list[dict]:
    """The next thing to do for each of the person's roles, most urgent first."""
    steps: list[dict] = []
    held = {r.role for r in roles}
    if "beheerder" in held:
        steps += _admin_steps(cycles, today)
    own = sorted(
        {r.organisation_id for r in roles if r.role in ORGANISATION_ROLES and r.organisation_id}
    )
    if own:
        steps += _organisation_steps(own, cycles, today)
    regions = sorted({r.region_id for r in roles if r.role == "regiocoordinator"})
    if regions:
        steps += _coordinator_steps(regions, cycles)
    gemeenten = sorted({r.gemeente_id for r in roles if r.role == "gemeente"})
    if gemeenten:
        steps += _gemeente_steps(gemeenten, cycles)
    if steps and not any(step.get("main") for step in steps):
        steps[0]["main"] = True
    return steps


def _days_left(cycle: Cycle, today: dt.date) -> str:
    days = (cycle.due_on - today).days
    if days > 1:
        return _("nog %(days)s dagen (tot %(day)s)", days=days, day=datum(cycle.due_on))
    if days == 1:
        return _("nog 1 dag (tot %(day)s)", day=datum(cycle.due_on))
    if days == 0:
        return _("vandaag is de uiterste datum")
    return _(
        "de uiterste datum was %(due)s; indienen kan nog tot %(close)s",
        due=datum(cycle.due_on),
        close=datum(cycle.closes_on),
    )


def _organisation_steps(own: list[int], cycles: list[Cycle], today: dt.date) -> list[dict]:
    open_ids = [c.id for c in cycles if c.state == "open"]
    steps: list[dict] = []
    if open_ids:
        rows = list(
            Assessment.select(Assessment, Organisation, Cycle)
            .join(Organisation)
            .switch(Assessment)
            .join(Cycle)
            .where(Assessment.organisation.in_(own), Assessment.cycle.in_(open_ids))
            .order_by(Cycle.due_on, Organisation.name)
            .limit(LIST_LIMIT)
        )
        for a in rows:
            title = _(
                "Zelfevaluatie %(period)s – %(organisation)s",
                period=a.cycle.period,
                organisation=a.organisation.name,
            )
            form = url_for("assessments.form", assessment_id=a.id)
            if a.state == "ingediend":
                steps.append(
                    {
                        "title": title,
                        "detail": _(
                            "Ingediend op %(day)s. De cijfers zijn voorlopig tot de ronde sluit "
                            "op %(close)s.",
                            day=datum(a.submitted_at),
                            close=datum(a.cycle.closes_on),
                        ),
                        "url": url_for(
                            "results.scope", scope_type="organisatie", scope_id=a.organisation_id
                        ),
                        "action": _("Bekijk de resultaten"),
                        "done": True,
                    }
                )
                continue
            action = {
                "niet_gestart": _("Begin met invullen"),
                "concept": _("Ga verder"),
                "heropend": _("Pas aan en dien opnieuw in"),
            }.get(a.state, _("Ga verder"))
            detail = _days_left(a.cycle, today)
            if a.state == "heropend" and a.reopen_reason:
                detail += " · " + _("heropend: %(reason)s", reason=a.reopen_reason)
            steps.append(
                {"title": title, "detail": detail, "url": form, "action": action, "main": True}
            )
    if not steps:
        planned = sorted((c for c in cycles if c.state == "gepland"), key=lambda c: c.opens_on)
        upcoming = planned[0] if planned else None
        steps.append(
            {
                "title": _("Er loopt nu geen ronde"),
                "detail": _(
                    "De volgende ronde begint op %(day)s. U krijgt dan een e-mail.",
                    day=datum(upcoming.opens_on),
                )
                if upcoming
                else _("U krijgt een e-mail zodra de volgende ronde begint."),
                "url": url_for("results.index"),
                "action": _("Bekijk de resultaten"),
            }
        )
    return steps


def _coordinator_steps(regions: list[int], cycles: list[Cycle]) -> list[dict]:
    names = dict(Region.select(Region.id, Region.name).where(Region.id.in_(regions)).tuples())
    steps: list[dict] = []
    open_cycles = [c for c in cycles if c.state == "open"]
    counts: dict[tuple[int, int], dict[str, int]] = {}
    if open_cycles:
        for cycle_id, region_id, state, count in (
            Assessment.select(
                Assessment.cycle, Organisation.region, Assessment.state, fn.COUNT(Assessment.id)
            )
            .join(Organisation)
            .where(
                Assessment.cycle.in_([c.id for c in open_cycles]),
                Organisation.region.in_(regions),
            )
            .group_by(Assessment.cycle, Organisation.region, Assessment.state)
            .tuples()
        ):
            counts.setdefault((cycle_id, region_id), {})[state] = count
    for cycle in open_cycles:
        for region_id in regions:
            states = counts.get((cycle.id, region_id), {})
            steps.append(
                {
                    "title": _(
                        "Voortgang %(period)s – %(region)s",
                        period=cycle.period,
                        region=names.get(region_id, ""),
                    ),
                    "detail": _(
                        "%(done)s van %(total)s zelfevaluaties ingediend; uiterste datum %(day)s.",
                        done=states.get("ingediend", 0),
                        total=sum(states.values()),
                        day=datum(cycle.due_on),
                    ),
                    "url": url_for("cycles.monitor", cycle_id=cycle.id),
                    "action": _("Bekijk wie nog moet indienen"),
                    "main": True,
                }
            )
    for region_id in regions:
        steps.append(
            {
                "title": _("Resultaten van %(region)s", region=names.get(region_id, "")),
                "detail": _("Per organisatie en gemeente: wat goed gaat en wat aandacht vraagt."),
                "url": url_for("results.scope", scope_type="regio", scope_id=region_id),
                "action": _("Bekijk de resultaten"),
            }
        )
    return steps


def _gemeente_steps(gemeenten: list[int], cycles: list[Cycle]) -> list[dict]:
    names = dict(
        Gemeente.select(Gemeente.id, Gemeente.name).where(Gemeente.id.in_(gemeenten)).tuples()
    )
    closed = next((c for c in cycles if c.state == "gesloten"), None)
    steps = [
        {
            "title": _("Resultaten van %(gemeente)s", gemeente=names.get(g, "")),
            "detail": _(
                "De laatste definitieve cijfers zijn van ronde %(period)s.", period=closed.period
            )
            if closed
            else _("Er zijn nog geen definitieve cijfers."),
            "url": url_for("results.scope", scope_type="gemeente", scope_id=g),
            "action": _("Bekijk de resultaten"),
            "main": True,
        }
        for g in gemeenten
    ]
    steps.append(
        {
            "title": _("Rapporten downloaden"),
            "detail": _("Het Excel-bestand met alle cijfers van uw regio, per ronde."),
            "url": url_for("results.reports"),
            "action": _("Naar de rapporten"),
        }
    )
    return steps


def _admin_steps(cycles: list[Cycle], today: dt.date) -> list[dict]:
    steps: list[dict] = []
    for cycle in sorted(cycles, key=lambda c: c.opens_on):
        if cycle.state == "gepland" and cycle.opens_on <= today:
            steps.append(
                {
                    "title": _("Ronde %(period)s kan open", period=cycle.period),
                    "detail": _(
                        "De startdatum was %(day)s. Na het openen gaan de uitnodigingen uit.",
                        day=datum(cycle.opens_on),
                    ),
                    "url": url_for("cycles.detail", cycle_id=cycle.id),
                    "action": _("Open de ronde"),
                    "main": True,
                }
            )
    open_cycles = [c for c in cycles if c.state == "open"]
    progress: dict[int, dict[str, int]] = {}
    if open_cycles:
        for cycle_id, state, count in (
            Assessment.select(Assessment.cycle, Assessment.state, fn.COUNT(Assessment.id))
            .where(Assessment.cycle.in_([c.id for c in open_cycles]))
            .group_by(Assessment.cycle, Assessment.state)
            .tuples()
        ):
            progress.setdefault(cycle_id, {})[state] = count
    for cycle in open_cycles:
        states = progress.get(cycle.id, {})
        steps.append(
            {
                "title": _("Ronde %(period)s loopt", period=cycle.period),
                "detail": _(
                    "%(done)s van %(total)s zelfevaluaties ingediend; uiterste datum %(day)s.",
                    done=states.get("ingediend", 0),
                    total=sum(states.values()),
                    day=datum(cycle.due_on),
                ),
                "url": url_for("cycles.detail", cycle_id=cycle.id),
                "action": _("Bekijk de voortgang"),
            }
        )
    if not any(c.state == "gepland" for c in cycles):
        steps.append(
            {
                "title": _("Er is geen volgende ronde gepland"),
                "detail": _("Maak de ronde voor het volgende kwartaal aan."),
                "url": url_for("cycles.index") + "#nieuw",
                "action": _("Nieuwe ronde"),
            }
        )
    since = utcnow() - dt.timedelta(days=FAILED_RUN_DAYS)
    failed_runs = (
        ReportRun.select()
        .where(ReportRun.state == "mislukt", ReportRun.started_at >= since)
        .count()
    )
    if failed_runs:
        steps.append(
            {
                "title": _("Berekeningen mislukt: %(count)s", count=failed_runs),
                "detail": _("In de afgelopen %(days)s dagen.", days=FAILED_RUN_DAYS),
                "url": url_for("admin.runs"),
                "action": _("Bekijk het verslag"),
                "main": True,
            }
        )
    failed_mail = OutboxMessage.select().where(OutboxMessage.state == "mislukt").count()
    if failed_mail:
        steps.append(
            {
                "title": _("E-mails niet aangekomen: %(count)s", count=failed_mail),
                "detail": _("Controleer de adressen en de mailserver."),
                "url": url_for("health.status_page"),
                "action": _("Bekijk de status"),
            }
        )
    if not steps:
        steps.append(
            {
                "title": _("Niets vraagt nu uw aandacht"),
                "detail": _("De rondes, de berekeningen en de e-mail lopen zoals gepland."),
                "url": url_for("admin.index"),
                "action": _("Naar Beheer"),
                "done": True,
            }
        )
    return steps
