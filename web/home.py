"""The home page (what the logged-in person may see) and the accessibility statement."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user
from peewee import fn

from domain.assessments import EDITABLE_STATES
from domain.scope import (
    has_role,
    is_admin,
    readable_assessments,
    roles_of,
    visible_assessments,
    visible_organisations,
)
from models import Assessment, Cycle, Gemeente, Organisation, Region
from models.choices import ASSESSMENT_STATES, CYCLE_STATES, ORGANISATION_KINDS
from web import labels
from web.access import access
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
    open_ = [c for c in cycles if c.state == "open"]
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
