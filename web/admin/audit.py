"""The audit log: who did what, filtered by action, person and date."""

from __future__ import annotations

import datetime as dt

from flask import render_template, request
from flask_babel import gettext as _
from peewee import fn

from models import AuditEvent
from models.choices import N_
from web import labels
from web.access import access
from web.admin.blueprint import bp
from web.admin.common import paginate
from web.form_errors import FieldErrors, page_status


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
