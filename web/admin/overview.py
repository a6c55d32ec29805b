"""The Beheer start page: how many regions, gemeenten, organisations and users there are."""

from __future__ import annotations

from flask import render_template

from models import Gemeente, Organisation, Region, User
from web.access import access
from web.admin.blueprint import bp


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
