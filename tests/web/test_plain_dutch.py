"""Plain Dutch on every screen a person sees: every page is rendered for every
role, and its visible Dutch text may hold no snake_case, English developer
words, host:pid pairs, process ids or decimal points. Every code the
application writes down (audit actions, their details, batch summaries) has
a Dutch label. English stays available as the second language."""

import ast
import datetime as dt
import html
import re
from pathlib import Path

import pytest

from domain import api_tokens, computation
from domain.audit import record
from models import (
    AuditEvent,
    Cycle,
    IndicatorDefinition,
    ReportRun,
    ReportRunEarlier,
    ServiceHeartbeat,
    User,
    utcnow,
)
from tests import factories
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture
from web import labels

ROOT = Path(__file__).resolve().parents[2]
ROLES = ["anoniem", "beheerder", "regiocoordinator", "manager", "invuller", "gemeente"]
# Arguments of record() that are columns, not details.
COLUMNS = {"user", "actor", "object_type", "object_id", "ip"}


def _calls(name: str):
    """Every call of a function or method `name` in the application code."""
    for folder in ("domain", "jobs", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    func = node.func
                    called = getattr(func, "id", None) or getattr(func, "attr", None)
                    if called == name:
                        yield path, node


def _recorded():
    actions, keys = set(), set()
    for _path, call in _calls("record"):
        if call.args and isinstance(call.args[0], ast.Constant):
            actions.add(call.args[0].value)
        keys |= {k.arg for k in call.keywords if k.arg} - COLUMNS
    # the throttled events of domain/limits.py: anonymous_event(kind, action, …)
    for _path, call in _calls("anonymous_event"):
        if len(call.args) > 1 and isinstance(call.args[1], ast.Constant):
            actions.add(call.args[1].value)
        keys |= {k.arg for k in call.keywords if k.arg} - COLUMNS
    return actions, keys


def test_every_recorded_action_and_detail_has_a_label():
    actions, keys = _recorded()
    assert {"login", "api_request", "api_token_created"} <= actions  # the scan works
    assert sorted(actions - set(labels.AUDIT_ACTIONS)) == []
    assert sorted(keys - set(labels.DETAIL_KEYS) - {"changes"}) == []


def test_every_summary_key_has_a_label():
    keys = set()
    for _path, call in _calls("beat"):
        keys |= {k.arg for k in call.keywords if k.arg}
    assert {"pruned", "reports_failed"} <= keys  # the scan works
    assert sorted(keys - set(labels.SUMMARY_KEYS)) == []


# --- the rendered pages ------------------------------------------------------

ENGLISH = [
    "api",
    "token created",
    "refused",
    "request",
    "pruned",
    "failed",
    "outbox",
    "scheduler",
    "planner",
    "run",
    "none",
    "true",
    "false",
    "null",
    "error",
    "warning",
    "skipped",
]
FORBIDDEN = [
    ("snake_case", re.compile(r"\b[A-Za-z]+_[A-Za-z_]+\b")),
    ("Engels", re.compile(r"\b(" + "|".join(ENGLISH) + r")\b", re.IGNORECASE)),
    ("server en proces", re.compile(r"\b[A-Za-z][\w.-]*:\d+\b")),
    ("procesnummer", re.compile(r"\bproces \d+", re.IGNORECASE)),
    ("ISO-tijdstip", re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:")),
    # 75.0 or 77.5: a decimal point (Dutch writes 77,5); 1.234 is a thousands
    # separator, 1.2.3 a version, and dates and times are not matched.
    ("decimale punt", re.compile(r"(?<![\w.,:/-])\d+\.(\d{1,2}|\d{4,})(?![\w.,:/-])")),
]
HIDDEN = re.compile(r"<(script|style|code|pre|textarea)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
# Names of standards with their version are no decimal numbers.
STANDARDS = re.compile(r"\b(WCAG|HTTP|TLS) \d+(\.\d+)*")
URL = re.compile(r"https?://\S+|\S+@\S+|(?<![\w])/[\w/.%?=&-]+")


def visible_text(page: str) -> str:
    """The text a reader sees: no tags, scripts, styles, code; no addresses."""
    text = html.unescape(TAG.sub(" ", HIDDEN.sub(" ", page)))
    return STANDARDS.sub(" ", URL.sub(" ", text))


def offences(text: str) -> list[str]:
    found = []
    for name, pattern in FORBIDDEN:
        for match in pattern.finditer(text):
            start = max(0, match.start() - 30)
            found.append(f"{name}: {match.group(0)!r} in …{text[start : match.end() + 30]!r}")
    return found


def test_the_patterns_find_what_they_must():
    text = visible_text(
        "<p>api refused</p><p>vm:14699</p><p>Server: vm (proces 856)</p>"
        "<p>reports_failed: 2</p><p>75.0 → 77.5</p><p>2027-03-06T12:43:15</p>"
        "<script>var a_b = 1;</script>"
    )
    kinds = {o.split(":")[0] for o in offences(text)}
    assert kinds == {
        "snake_case",
        "Engels",
        "server en proces",
        "procesnummer",
        "ISO-tijdstip",
        "decimale punt",
    }
    fine = visible_text(
        "<p>WCAG 2.1, 2026-Q4, 6-12-2026 12:31, 1.234 organisaties, 75,5%, versie 1.2.3</p>"
        '<a href="/beheer/audit_log">Auditlog</a> <p>anna_de_vries@example.org</p>'
    )
    assert offences(fine) == []


@pytest.fixture
def pages_world(app, world):  # noqa: F811 - the computed world imported above
    """A chain with computed figures (two cycles, four organisations) and
    something on every Beheer page: audit events of every action, batch runs
    with every summary key, tokens, a heartbeat."""
    computation.recompute()
    org, region, g = world["orgs"]["A"], world["r1"], world["g1"]
    users = {
        "beheerder": factories.user(("beheerder",)),
        "regiocoordinator": factories.user(("regiocoordinator", region)),
        "manager": factories.user(("manager", org)),
        "invuller": factories.user(("invuller", org)),
        "gemeente": factories.user(("gemeente", g)),
    }
    admin = users["beheerder"]
    indicator = IndicatorDefinition.get(IndicatorDefinition.code == "GAP")
    # an audit event of every action, with every detail key
    actions, keys = _recorded()
    details = {k: 3 for k in keys}
    for action in sorted(actions | set(labels.AUDIT_ACTIONS)):
        record(
            action, user=admin, object_type="user", object_id=admin.id, ip="127.0.0.1", **details
        )
    record(
        "indicator_changed",
        user=admin,
        object_type="indicator",
        object_id=indicator.id,
        changes={"norm": ["75.0", "77.5"], "active": ["True", "False"]},
    )
    for _ in range(2):
        token, _secret = api_tokens.create_token(users["gemeente"], "Dashboard", 30)
    record(
        "api_request",
        user=users["gemeente"],
        object_type="api_token",
        object_id=token.id,
        path="/api/v1/cijfers",
        query="ronde=2026-Q4",
        status=200,
    )
    api_tokens.create_token(admin, "Eigen dashboard", 30)
    # batch runs with every summary key
    summary = {k: 2 for k in labels.SUMMARY_KEYS}
    summary["closed_cycles"] = ["2026-Q3"]
    summary["reports_written"] = {"2026-Q3": 4}
    for job in labels.JOBS:
        run = ReportRun.create(
            job=job,
            period="2026-12-01",
            state="gereed",
            host="vm",
            pid=14699,
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
            summary=summary,
        )
    ReportRunEarlier.create(
        run=run,
        state="mislukt",
        host="vm",
        pid=856,
        started_at=utcnow(),
        finished_at=utcnow(),
        summary=summary,
        error="Traceback: boom",
    )
    ServiceHeartbeat.create(service="scheduler", host="vm", pid=14699)
    args = {
        "region_id": region.id,
        "gemeente_id": g.id,
        "org_id": org.id,
        "user_id": users["invuller"].id,
        "assessment_id": world["a"].id,
        "number": 1,
        "cycle_id": world["p2"].id,
        "indicator_id": indicator.id,
        "kind": "users",
        "scope_type": "organisatie",
        "scope_id": org.id,
    }
    # the results pages of the other kinds of area, beside the walked organisation page
    extra = [f"/resultaten/gemeente/{g.id}", f"/resultaten/regio/{region.id}"]
    # the form of an assessment being filled in (the walked one is submitted)
    today = dt.date.today()
    later = Cycle.create(
        period="2026-Q4",
        framework=world["p2"].framework,
        opens_on=today - dt.timedelta(days=10),
        due_on=today + dt.timedelta(days=20),
        closes_on=today + dt.timedelta(days=40),
        state="open",
    )
    filling = factories.assessment(org, later, state="bezig")
    extra += [
        f"/zelfevaluaties/{filling.id}{suffix}"
        for suffix in ("", "/thema/1", "/thema/2", "/controleren", "/overzicht", "/signalen")
    ]
    return {"users": users, "args": args, "extra": extra}


def _pages(app, args) -> list[str]:
    """Every GET page whose arguments the world can fill, the data feed aside
    (machine-readable, for tokens only)."""
    from flask import url_for

    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            if rule.endpoint.startswith("api.") or rule.endpoint == "auth.logout":
                continue
            if not set(rule.arguments) <= set(args):
                continue
            urls.append(url_for(rule.endpoint, **{a: args[a] for a in rule.arguments}))
    return sorted(set(urls))


def _log_in(client, user):
    response = client.post("/inloggen", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_every_page_reads_as_plain_dutch(app, pages_world, role):
    client = app.test_client()
    if role != "anoniem":
        _log_in(client, pages_world["users"][role])
    rendered, failures = 0, []
    for url in _pages(app, pages_world["args"]) + pages_world["extra"]:
        response = client.get(url, follow_redirects=True)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            continue
        rendered += 1
        page = response.get_data(as_text=True)
        assert '<html lang="nl"' in page, url
        failures += [f"{url}: {o}" for o in offences(visible_text(page))]
    assert rendered >= (3 if role == "anoniem" else 8)
    assert failures == [], "\n".join(failures)


def test_the_admin_pages_have_their_content(app, pages_world):
    client = app.test_client()
    _log_in(client, pages_world["users"]["beheerder"])
    audit = visible_text(client.get("/beheer/audit").get_data(as_text=True))
    assert "Gegevensfeed opgevraagd" in audit
    assert "Sleutel voor de gegevensfeed gemaakt" in audit
    assert "Sleutel voor de gegevensfeed „Dashboard”" in audit
    assert re.search(r"geldig tot: \d+ [a-z]+ \d{4} \d\d:\d\d", audit)
    assert "norm: 75 → 77,5" in audit
    runs = visible_text(client.get("/beheer/batch").get_data(as_text=True))
    assert "Oude rapporten opgeruimd: 2" in runs
    assert "Rapporten mislukt: 2" in runs
    status = visible_text(client.get("/beheer/status").get_data(as_text=True))
    for text in (runs, status):
        assert "14699" not in text
        assert "vm" not in text.split()
    # with a second server, the server is named (never its process)
    ServiceHeartbeat.create(service="scheduler", host="vm2", pid=15000)
    status = visible_text(client.get("/beheer/status").get_data(as_text=True))
    assert "actief op de servers vm, vm2" in status
    assert "15000" not in status


def test_english_stays_available(app, pages_world):
    user = pages_world["users"]["beheerder"]
    User.update(locale="en").where(User.id == user.id).execute()
    client = app.test_client()
    _log_in(client, user)
    for url in ("/beheer/audit", "/beheer/batch", "/beheer/status", "/account/api-tokens"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert '<html lang="en"' in page, url
    audit = visible_text(client.get("/beheer/audit").get_data(as_text=True))
    assert "Data feed requested" in audit
    assert AuditEvent.select().count() > 30
