"""Results per organisation, gemeente and region (the management report as an
accessible page, with SVG charts and their data tables), and the report
downloads, each limited to the user's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from domain import rules
from domain.scope import ResultAccess, is_admin, organisation_condition, roles_of
from jobs.status import next_nightly
from models import (
    Cycle,
    Gemeente,
    Organisation,
    Region,
    ReportFile,
)
from models.choices import (
    ACTION_STATES,
    ASSESSMENT_STATES,
    ESCALATION_STEPS,
    ORGANISATION_KINDS,
    SIGNALS,
)
from models.compiled import CompiledQuery
from reports import practice, store
from reports.build import cycles_with_submissions, has_submissions, report_on_demand
from reports.data import CycleData, scope_report
from reports.glance import glance
from reports.svg import bar_chart, line_chart
from web import maps, prepared
from web.access import access, deny

bp = Blueprint("results", __name__)

SCOPES = {"organisatie": Organisation, "gemeente": Gemeente, "regio": Region}
REPORT_LIMIT = 200


# Read on every results page: composed once.
_ROUNDS = CompiledQuery(
    lambda: Cycle.select().where(Cycle.state != "gepland").order_by(Cycle.period.desc())
)


def _by_id(model) -> CompiledQuery:
    return CompiledQuery(lambda scope_id: model.select().where(model.id == scope_id))


_TARGETS = {kind: _by_id(model) for kind, model in SCOPES.items()}


def _cycles() -> list[Cycle]:
    return list(_ROUNDS())


def _chosen_cycle(cycles: list[Cycle]) -> Cycle:
    """The cycle asked for; else the newest with a submitted assessment (a
    cycle that just opened has no figures yet); else the newest."""
    wanted = request.args.get("ronde")
    for cycle in cycles:
        if cycle.period == wanted:
            return cycle
    if not cycles:
        abort(404)
    reported = set(cycles_with_submissions())
    return next((c for c in cycles if c.id in reported), cycles[0])


@bp.route("/resultaten")
@access("user")
def index():
    user = current_user.user
    roles = roles_of(user)
    admin = is_admin(user)
    regions = (
        list(Region.select().order_by(Region.name))
        if admin
        else [r.region for r in roles if r.role == "regiocoordinator"]
    )
    gemeenten = [r.gemeente for r in roles if r.role == "gemeente"]
    condition = organisation_condition(user, gemeente=False)
    organisations = []
    if not admin:
        organisations = list(
            Organisation.select()
            .where(condition, Organisation.id.in_([r.organisation_id for r in roles]))
            .order_by(Organisation.name)
        )
    return render_template(
        "results/index.html",
        regions=regions,
        gemeenten=gemeenten,
        organisations=organisations,
        country=ResultAccess(user).may_see("land", 0),
    )


@dataclass(frozen=True)
class PreparedPage:
    """A results page's content as built from the batch's figures."""

    name: str
    region_name: str | None
    data_date: dt.datetime | None
    provisional: bool
    body: Markup


@bp.route("/resultaten/<any(organisatie, gemeente, regio):scope_type>/<int:scope_id>")
@access("user")
def scope(scope_type: str, scope_id: int):
    user = current_user.user
    target = _TARGETS[scope_type].first(scope_id)
    access_ = ResultAccess(user)
    if target is None or not access_.may_see(scope_type, scope_id):
        return deny(404)
    cycles = _cycles()
    if not cycles:
        return render_template("results/empty.html", target=target)
    cycle = _chosen_cycle(cycles)
    free_text = scope_type != "gemeente" or is_admin(user)
    wanted_map = request.args.get("kaart") or ""
    downloads = []
    kinds = {
        "organisatie": ["pdf_organisation"],
        "gemeente": ["xlsx_gemeente"],
        "regio": ["pdf_region"],
    }  # noqa: E501
    for kind in kinds[scope_type]:
        # Written here the first time when the nightly did not (older cycles);
        # before the kept page is looked up, as a new report file renews it.
        report_file = report_on_demand(
            cycle, kind, scope_type, scope_id, current_app.config["REPORTS_DIR"]
        )
        if report_file is not None and access_.may_download(report_file):
            downloads.append(report_file)
    page = prepared.page(
        "scope",
        cycle,
        user,
        # The day decides "nog open" and which actions are over their date.
        (scope_type, scope_id, wanted_map, dt.date.today()),
        lambda: _build_scope_page(cycle, scope_type, target, free_text),
    )
    return render_template(
        "results/scope.html",
        page=page,
        scope_type=scope_type,
        cycles=cycles,
        cycle=cycle,
        downloads=downloads,
        next_run=next_nightly(current_app.config),
        KINDS=store.KINDS,
    )


def _build_scope_page(cycle: Cycle, scope_type: str, target, free_text: bool) -> PreparedPage:
    """Read the figures of one scope (with its region's and the country's)
    and lay out everything on its page that they decide."""
    scope_id = target.id
    data = CycleData.load_scope(cycle, scope_type, scope_id)
    report = scope_report(data, scope_type, scope_id)
    names = [report.name]
    if scope_type != "regio":
        names.append(report.region.name if report.region else _("Regio"))
    names.append(_("Nederland"))
    charts = []
    for line in report.trends:
        series = [line.own, line.region, line.country]
        if scope_type == "regio":
            series = series[1:]
        title = line.indicator.name
        charts.append(
            (
                line,
                line_chart(
                    title,
                    _(
                        "Lijndiagram van %(indicator)s over de rondes %(first)s tot en met "
                        "%(last)s voor %(names)s. De cijfers staan in de tabel bij dit diagram.",
                        indicator=line.indicator.name,
                        first=line.periods[0] if line.periods else "",
                        last=line.periods[-1] if line.periods else "",
                        names=", ".join(names),
                    ),
                    line.periods,
                    list(zip(names, series, strict=True)),
                    line.indicator.unit,
                ),
                series,
            )
        )
    percent_rows = [r for r in report.scorecard if r.indicator.unit == "%"]
    comparison_series = [
        [r.value for r in percent_rows],
        [r.region_value for r in percent_rows],
        [r.country_value for r in percent_rows],
    ]
    if scope_type == "regio":
        comparison_series = comparison_series[1:]
    comparison = bar_chart(
        _("Vergelijking met regio en land, ronde %(period)s", period=cycle.period),
        _(
            "Staafdiagram met per indicator (in procenten) de waarde van %(names)s. "
            "De cijfers staan in de scorekaart hierboven.",
            names=", ".join(names),
        ),
        [r.indicator.name for r in percent_rows],
        list(zip(names, comparison_series, strict=True)),
    )
    at_a_glance = glance(report)
    themes = {a.theme.code: a.theme.title for a in data.agreements.values()}
    allowed = ResultAccess(current_user.user)
    body = render_template(
        "results/_scope_body.html",
        report=report,
        glance=at_a_glance,
        glance_order=maps.glance_order(at_a_glance),
        scorecard=report.scorecard,
        org_links={
            r.organisation.id
            for r in report.matrix
            if allowed.may_see("organisatie", r.organisation.id)
        },
        map_heading=_("Vergelijking met de andere gemeenten in de regio"),
        scope_type=scope_type,
        cycle=cycle,
        charts=charts,
        names=names,
        comparison=comparison,
        free_text=free_text,
        map=maps.for_scope(cycle, scope_type, target),
        good_practice=practice.for_report(report),  # beside the weakest agreements
        rule=lambda indicator: rules.rule(indicator, _, themes),
        SIGNALS=SIGNALS,
        ACTION_STATES=ACTION_STATES,
        ASSESSMENT_STATES=ASSESSMENT_STATES,
        ESCALATION_STEPS=ESCALATION_STEPS,
        ORGANISATION_KINDS=ORGANISATION_KINDS,
    )
    return PreparedPage(
        name=report.name,
        region_name=report.region.name if report.region else None,
        data_date=report.data_date,
        provisional=report.provisional,
        body=Markup(body),  # noqa: S704 - rendered by our own autoescaping template
    )


@bp.route("/rapporten")
@access("user")
def reports():
    allowed = ResultAccess(current_user.user)
    cycles = _cycles()
    cycle = _chosen_cycle(cycles) if cycles else None
    files, more = [], False
    if cycle is not None:
        # Narrowed to the person's scopes in SQL; every row is checked again.
        query = (
            store.current_files(cycle, allowed.report_condition())
            .order_by(ReportFile.kind, ReportFile.scope_id)
            .limit(REPORT_LIMIT + 1)
        )
        files = [f for f in query if allowed.may_download(f)]
        more = len(files) > REPORT_LIMIT
        files = files[:REPORT_LIMIT]
    return render_template(
        "results/reports.html",
        cycles=cycles,
        cycle=cycle,
        submitted=cycle is not None and has_submissions(cycle),
        next_run=next_nightly(current_app.config),
        files=files,
        more=more,
        limit=REPORT_LIMIT,
        KINDS=store.KINDS,
    )


@bp.route("/rapporten/<int:file_id>")
@access("user")
def download(file_id: int):
    report_file = ReportFile.get_or_none(ReportFile.id == file_id)
    if report_file is None or not ResultAccess(current_user.user).may_download(report_file):
        return deny(404)
    path = Path(report_file.path)
    if not path.is_file():
        return deny(404)
    return send_file(path, as_attachment=True, download_name=path.name, max_age=0)
