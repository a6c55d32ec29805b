"""Queries per request do not grow with the data.

The same pages are requested, as the same kinds of user, on two demo data sets
of different size (more regions, organisations and cycles); every page must
need exactly as many queries on the larger one. A page that queries per row
(per organisation, per cycle, per file) fails here long before it is slow."""

from __future__ import annotations

import datetime as dt
import logging
import shutil

import pytest

import demo
from benchmarks.htmlform import form_fields
from domain import computation, framework, indicators
from domain.reference import load_reference_data
from models import (
    Assessment,
    Cycle,
    ReportFile,
    RoleAssignment,
    User,
    db,
    init_database,
)
from models.migrate import upgrade
from reports.build import write_cycle_reports

TODAY = dt.date(2026, 11, 20)
SIZES = {
    # one region, few cycles
    "small": demo.Scale(("VR24",), 3, "small"),
    # three regions, twice the cycles
    "larger": demo.Scale(("VR22", "VR23", "VR24"), 6, "small"),
}


class QueryCounter(logging.Handler):
    """Counts the statements peewee executes (it logs each at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        sql = record.msg[0] if isinstance(record.msg, tuple) else str(record.msg)
        self.statements.append(sql.split(" WHERE ")[0][:160])


def _build(path, scale: demo.Scale, reports_dir) -> None:
    database = init_database(f"sqlite:///{path}")
    with database.connection_context():
        upgrade(database)
        load_reference_data()
        framework.import_framework(framework.load_file(framework.DEFAULT_FRAMEWORK), publish=True)
        indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
        demo.SCALES["_query_counts"] = scale
        try:
            demo.generate("_query_counts", seed=3, last_period="2026-Q4", today=TODAY)
        finally:
            del demo.SCALES["_query_counts"]
        computation.recompute()
        latest_closed = (
            Cycle.select().where(Cycle.state == "gesloten").order_by(Cycle.period.desc()).first()
        )
        write_cycle_reports(latest_closed, reports_dir)
    database.close()


@pytest.fixture(scope="module")
def data_sets(tmp_path_factory):
    built = {}
    for name, scale in SIZES.items():
        folder = tmp_path_factory.mktemp(f"queries-{name}")
        _build(folder / "demo.db", scale, folder / "reports")
        built[name] = folder
    return built


def _app(folder, tmp_path):
    from web import create_app

    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "demo.db"
    shutil.copy(folder / "demo.db", path)
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REPORTS_DIR": str(folder / "reports"),
        }
    )


def _first_user(role: str) -> User:
    return (
        User.select()
        .join(RoleAssignment)
        .where(RoleAssignment.role == role, User.active == True)  # noqa: E712 - SQL
        .order_by(User.id)
        .first()
    )


def _targets() -> dict[str, tuple[str, list[tuple[str, str, dict | None]]]]:
    """Per kind of user: the e-mail address and the requests to count, all
    chosen the same way on either data set."""
    current = Cycle.select().where(Cycle.state == "open").order_by(Cycle.period.desc()).get()
    closed = Cycle.select().where(Cycle.state == "gesloten").order_by(Cycle.period.desc()).get()
    # A manager whose assessment is a draft on both data sets, so the form is
    # the same kind of page (an editable draft) on either.
    assignment = (
        RoleAssignment.select()
        .join(Assessment, on=(Assessment.organisation == RoleAssignment.organisation))
        .where(
            RoleAssignment.role == "manager",
            Assessment.cycle == current,
            Assessment.state == "concept",
        )
        .order_by(RoleAssignment.user)
        .get()
    )
    manager, organisation = assignment.user, assignment.organisation
    assessment = Assessment.get(
        Assessment.organisation == organisation, Assessment.cycle == current
    )
    coordinator = _first_user("regiocoordinator")
    region = RoleAssignment.get(
        RoleAssignment.user == coordinator, RoleAssignment.role == "regiocoordinator"
    ).region
    gemeente_user = _first_user("gemeente")
    gemeente = RoleAssignment.get(
        RoleAssignment.user == gemeente_user, RoleAssignment.role == "gemeente"
    ).gemeente
    report = (
        ReportFile.select()
        .where(
            ReportFile.scope_type == "organisatie",
            ReportFile.scope_id == organisation.id,
            ReportFile.cycle == closed,
        )
        .get()
    )
    form = f"/zelfevaluaties/{assessment.id}"
    return {
        "manager": (
            manager.email,
            [
                ("GET", "/", None),
                ("GET", form, None),
                ("GET", f"{form}/thema/1", None),
                ("GET", f"{form}/geschiedenis", None),
                ("GET", f"{form}/controleren", None),
                ("GET", f"{form}/overzicht", None),
                ("GET", f"/resultaten/organisatie/{organisation.id}?ronde={closed.period}", None),
                ("GET", f"/rapporten?ronde={closed.period}", None),
                ("GET", f"/rapporten/{report.id}", None),
                ("POST", f"{form}/automatisch-opslaan", "autosave"),
            ],
        ),
        "regiocoordinator": (
            coordinator.email,
            [
                ("GET", "/", None),
                ("GET", f"/rondes/{current.id}/voortgang?regio={region.code}", None),
                ("GET", f"/resultaten/regio/{region.id}?ronde={closed.period}", None),
                ("GET", f"/rapporten?ronde={closed.period}", None),
            ],
        ),
        "gemeente": (
            gemeente_user.email,
            [
                ("GET", "/", None),
                ("GET", f"/resultaten/gemeente/{gemeente.id}?ronde={closed.period}", None),
                ("GET", f"/rapporten?ronde={closed.period}", None),
            ],
        ),
        "beheerder": (
            _first_user("beheerder").email,
            [
                ("GET", "/", None),
                ("GET", "/beheer/rondes", None),
                ("GET", f"/beheer/rondes/{current.id}", None),
                ("GET", f"/rondes/{current.id}/voortgang", None),
                ("GET", "/beheer/organisaties", None),
                ("GET", "/beheer/gebruikers", None),
                ("GET", "/beheer/batch", None),
                ("GET", "/resultaten", None),
            ],
        ),
    }


def _autosave_form(client, url: str) -> dict:
    """A theme page's form as the page shows it, with one explanation changed."""
    page = client.get(url.replace("/automatisch-opslaan", "/thema/1")).get_data(as_text=True)
    fields = {k: v for k, v in form_fields(page).items() if k != "csrf_token"}
    assert "version" in fields, "the form carries its version"
    explanation = next(name for name in fields if name.endswith("-explanation"))
    fields[explanation] = "Besproken in het ketenoverleg."
    return fields


def _measure(folder, tmp_path) -> dict[str, int]:
    app = _app(folder, tmp_path)
    counts: dict[str, int] = {}
    peewee_log = logging.getLogger("peewee")
    with app.app_context():
        db.connect(reuse_if_open=True)
        targets = _targets()
        db.close()
    for role, (email, requests) in targets.items():
        client = app.test_client()
        login = client.post("/inloggen", data={"email": email, "password": demo.DEMO_PASSWORD})
        assert login.status_code == 302, f"{role} logs in"
        for method, url, body in requests:
            data = _autosave_form(client, url) if body == "autosave" else None
            counter = QueryCounter()
            level = peewee_log.level
            peewee_log.addHandler(counter)
            peewee_log.setLevel(logging.DEBUG)
            try:
                response = client.open(url, method=method, data=data)
            finally:
                peewee_log.removeHandler(counter)
                peewee_log.setLevel(level)
            response.close()  # a download streams its file
            assert response.status_code == 200, f"{role} {method} {url}: {response.status_code}"
            counts[f"{role}: {method} {_shape(url)}"] = counter.statements
    return counts


def _shape(url: str) -> str:
    """The URL with its ids and query values replaced, so both data sets match."""
    import re

    return re.sub(r"=[^&]+", "=…", re.sub(r"/\d+", "/<id>", url))


def test_queries_per_request_do_not_grow_with_the_data(data_sets, tmp_path):
    small = _measure(data_sets["small"], tmp_path / "small")
    larger = _measure(data_sets["larger"], tmp_path / "larger")
    assert small.keys() == larger.keys()
    assert min(len(statements) for statements in small.values()) > 0  # the counter works
    grown = {
        page: (len(small[page]), len(larger[page]), _extra(small[page], larger[page]))
        for page in small
        if len(larger[page]) > len(small[page])
    }
    assert grown == {}, f"queries per request grew with the data (small → larger): {grown}"


def _extra(fewer: list[str], more: list[str]) -> list[str]:
    """The statements the larger data set needed beyond the smaller one's."""
    left = list(fewer)
    extra = []
    for statement in more:
        if statement in left:
            left.remove(statement)
        else:
            extra.append(statement)
    return extra
