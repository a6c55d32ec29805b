"""The production set-up, for real: two gunicorn instances (the repository's
gunicorn.conf.py, free ports on 127.0.0.1) and two scheduler processes on one
PostgreSQL database, a shared report store and an SMTP server.

Sessions hold across instances, the nightly run happens once, each mail is
sent once, both instances serve the same report files; and a short journey
over HTTP: login, form, save, results, a report download, logout."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from domain import (
    assessment_agreements,
    assessment_form,
    assessment_saving,
    assessment_steps,
    indicators,
)
from domain.mail import queue
from domain.reference import load_reference_data
from models import (
    Assessment,
    OutboxMessage,
    ReportFile,
    ReportRun,
    ServiceHeartbeat,
    db,
    init_database,
)
from models.migrate import upgrade
from tests import factories, journey
from tests.conftest import SmtpServer, _free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
QUEUED = 25  # messages waiting in the outbox when the schedulers start
TIMEOUT = 90


class Browser:
    """Just enough of a browser: one cookie jar, forms with their CSRF token,
    no redirects followed."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Expires=Thu, 01 Jan 1970" in header or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, response.headers, data

    def get(self, path: str):
        return self.request("GET", path)

    def page(self, path: str) -> str:
        status, _, data = self.get(path)
        assert status == 200, (path, status)
        return data.decode()

    def post(self, path: str, form: dict, token_from: str | None = None):
        page = self.page(token_from or path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.request("POST", path, {**form, "csrf_token": token})

    def login(self, email: str) -> None:
        status, headers, _ = self.post(
            "/inloggen", {"email": email, "password": factories.PASSWORD}
        )
        assert status == 302, status
        assert headers["Location"] == "/"


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    handle = log.open("wb")
    try:
        return subprocess.Popen(  # noqa: S603 - our own commands
            command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    finally:
        handle.close()


def _wait(what: str, condition, processes, logs, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                pytest.fail(f"{log.name} exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        time.sleep(0.2)
    tail = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in logs)
    pytest.fail(f"timed out waiting for {what}\n{tail}")


def _healthy(port: int) -> bool:
    # The connection is closed on every path: a timeout under load must not
    # leave a socket behind (an unraisable ResourceWarning fails the test).
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except OSError:  # still starting (refused, or reset mid-answer)
        return False
    finally:
        conn.close()


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _gunicorn_settings(monkeypatch, **env) -> dict:
    import runpy

    for key in (
        "PORT",
        "HOST",
        "BIND",
        "WEB_WORKERS",
        "WEB_THREADS",
        "WEB_KEEPALIVE",
        "WEB_CONNECTIONS",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_config_defaults_and_environment(monkeypatch):
    from gunicorn.config import Config

    settings = _gunicorn_settings(monkeypatch)
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert (settings["workers"], settings["threads"]) == (2, 4)
    assert settings["accesslog"] is None  # raw paths (tokens) never logged by gunicorn
    # No keep-alive: a worker takes only as many connections as it has threads.
    assert (settings["keepalive"], settings["worker_connections"]) == (0, 4)
    assert _gunicorn_settings(monkeypatch, WEB_KEEPALIVE="5")["worker_connections"] == 1000
    settings = _gunicorn_settings(monkeypatch, PORT="9123", WEB_WORKERS="3", WEB_THREADS="8")
    assert settings["bind"] == ["127.0.0.1:9123"]
    assert (settings["workers"], settings["threads"]) == (3, 8)
    assert settings["worker_connections"] == 8
    # Every name in the file is a gunicorn setting (a typo would be ignored silently).
    config = Config()
    names = {k for k in settings if not k.startswith("_") and k != "os"}
    assert names <= set(config.settings), names - set(config.settings)
    # gunicorn itself trusts no forwarded headers: ProxyFix (PROXY_HOPS) decides.
    for key in ("forwarded_allow_ips", "secure_scheme_headers"):
        config.set(key, settings[key])
    assert config.forwarded_allow_ips == []
    assert config.secure_scheme_headers == {}


def _pid_of(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        return int(conn.getresponse().read())
    finally:
        conn.close()


def test_a_busy_worker_leaves_new_connections_to_a_free_one(tmp_path):
    """Two workers with two threads each, four slow requests at once: each
    worker answers two. A worker takes a connection only while one of its
    threads is free, so none waits behind a busy worker while the other idles."""
    port = _free_port()
    log = tmp_path / "web.log"
    env = {**os.environ, "PORT": str(port), "WEB_WORKERS": "2", "WEB_THREADS": "2"}
    env.pop("WEB_KEEPALIVE", None)
    env.pop("WEB_CONNECTIONS", None)
    command = [
        str(BIN / "gunicorn"),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "tests.slow_wsgi:app",
    ]
    process = _start(command, env, log)
    try:
        _wait(
            "both workers",
            lambda: log.read_text().count("Booting worker") == 2 and _pid_of(port, "/") > 0,
            [process],
            [log],
            timeout=60,
        )
        time.sleep(0.5)  # the second worker is listening, not only booting
        with ThreadPoolExecutor(4) as pool:
            for _ in range(3):
                pids = list(pool.map(lambda _: _pid_of(port, "/slow?0.6"), range(4)))
                assert sorted(Counter(pids).values()) == [2, 2], pids
    finally:
        _stop([process])


def test_gunicorn_with_log_format_json_writes_json_lines_only(tmp_path):
    port = _free_port()
    log = tmp_path / "web.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "k",
        "LOG_FORMAT": "json",
        "PORT": str(port),
        "WEB_WORKERS": "1",
        "WEB_THREADS": "1",
    }
    command = [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py")]
    process = _start(command, env, log)
    try:
        _wait("gunicorn", lambda: _healthy(port), [process], [log], timeout=60)
    finally:
        _stop([process])
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    loggers = {entry["logger"] for entry in entries}
    assert {"gunicorn.error", "afsprakenmonitor.request"} <= loggers
    health = [e for e in entries if e["logger"] == "afsprakenmonitor.request"]
    assert health[-1]["route"] == "/health"
    assert health[-1]["status"] == 200
    assert len(entries) == len({(e["time"], e["logger"], e["message"]) for e in entries})


@pytest.fixture(scope="module")
def cluster(postgres, tmp_path_factory):
    base = tmp_path_factory.mktemp("production")
    url = postgres.create("am_prod")
    database = init_database(url)
    with database.connection_context():
        upgrade(database)
        load_reference_data()
        indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
        chain = journey.build()
        # The wijkteam has submitted, so the cycle has reports (a cycle without
        # any submission gets none); the JGZ's assessment is the journey's own.
        team = Assessment.get(
            Assessment.organisation == chain["team"], Assessment.cycle == chain["cycle"]
        )
        agreements = assessment_agreements.applicable_agreements(team)
        parsed = assessment_form.parse_form(
            journey.complete_form(agreements), agreements, team.cycle.opens_on
        )
        assessment_saving.save_answers(chain["team_manager"], team, team.version, parsed)
        assert assessment_steps.submit(chain["team_manager"], team) == []
        for n in range(QUEUED):
            queue(f"test:{n}", f"ontvanger{n}@example.nl", f"Bericht {n}", "Tekst")
    database.close()
    smtp = SmtpServer()
    smtp.start()
    ports = [_free_port(), _free_port()]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "one-key-for-every-host",
        "REPORTS_DIR": str(base / "shared-reports"),
        "SESSION_COOKIE_SECURE": "false",
        "BASE_URL": "https://monitor.example.nl",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        # Every minute: the last time is always within the catch-up grace, so
        # both schedulers want tonight's run at once.
        "SCHEDULE_NIGHTLY": "* * * * *",
        "WEB_WORKERS": "2",
        "WEB_THREADS": "2",
        "PYTHONUNBUFFERED": "1",
    }
    processes, logs = [], []
    try:
        for n, port in enumerate(ports):
            log = base / f"web{n}.log"
            command = [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py")]
            processes.append(
                _start(
                    command, {**env, "PORT": str(port), "INSTANCE_PATH": str(base / f"i{n}")}, log
                )
            )
            logs.append(log)
        for n in range(2):
            log = base / f"scheduler{n}.log"
            command = [str(BIN / "flask"), "--app", "wsgi", "scheduler"]
            processes.append(_start(command, {**env, "INSTANCE_PATH": str(base / f"s{n}")}, log))
            logs.append(log)
        _wait("both web instances", lambda: all(_healthy(p) for p in ports), processes, logs)
        init_database(url)

        def nightly_done() -> bool:
            with db.connection_context():
                return (
                    ReportRun.select()
                    .where(ReportRun.job == "nightly", ReportRun.state == "gereed")
                    .exists()
                    and not OutboxMessage.select()
                    .where(
                        OutboxMessage.state == "wachtend",
                        OutboxMessage.dedupe_key.startswith("test:"),
                    )
                    .exists()
                )

        _wait("the nightly run and the outbox", nightly_done, processes, logs)
        yield {
            "ports": ports,
            "chain": chain,
            "smtp": smtp,
            "logs": logs,
            "processes": processes,
            "url": url,
        }
        # A clean stop (SIGTERM): each scheduler takes its heartbeat with it.
        _stop(processes)
        schedulers = [p.pid for p in processes[2:]]
        with db.connection_context():
            left = ServiceHeartbeat.select().where(ServiceHeartbeat.pid.in_(schedulers))
            assert not left.exists()
    finally:
        _stop(processes)
        smtp.stop()
        init_database(url).close()


def test_two_instances_and_two_schedulers_share_one_database(cluster):
    a, b = (Browser(port) for port in cluster["ports"])
    # A login on one instance is valid on the other.
    a.login("manager@example.nl")
    b.cookies = dict(a.cookies)
    copy = dict(a.cookies)
    assert b.get("/")[0] == 200
    # Logging out on one ends the session on both, even for a copied cookie.
    assert b.post("/uitloggen", {}, token_from="/")[0] == 302
    a.cookies = copy
    status, headers, _ = a.get("/")
    assert status == 302
    assert headers["Location"].startswith("/inloggen")

    with db.connection_context():
        runs = list(ReportRun.select().where(ReportRun.job == "nightly"))
        beats = list(ServiceHeartbeat.select())
        files = list(ReportFile.select())
        sent = OutboxMessage.select().where(OutboxMessage.dedupe_key.startswith("test:"))
        assert {m.state for m in sent} == {"verzonden"}
    scheduler_pids = {p.pid for p in cluster["processes"][2:]}
    # The nightly run happened once, in one of the two schedulers; both are alive.
    assert len(runs) == 1
    assert runs[0].state == "gereed"
    assert runs[0].pid in scheduler_pids
    assert {beat.pid for beat in beats} == scheduler_pids
    # Each mail was sent once, although both schedulers delivered the outbox.
    received = [m for m in cluster["smtp"].messages if m["To"].startswith("ontvanger")]
    assert sorted(m["To"] for m in received) == sorted(
        f"ontvanger{n}@example.nl" for n in range(QUEUED)
    )
    ids = [m["Message-ID"] for m in cluster["smtp"].messages]
    assert len(ids) == len(set(ids))
    # Both instances serve the same report files from the shared store.
    chain = cluster["chain"]
    mine = next(f for f in files if f.kind == "pdf_organisation" and f.scope_id == chain["jgz"].id)
    downloads = []
    for port in cluster["ports"]:
        browser = Browser(port)
        browser.login("manager@example.nl")
        status, _, data = browser.get(f"/rapporten/{mine.id}")
        assert status == 200
        downloads.append(data)
    assert downloads[0] == downloads[1]
    assert hashlib.sha256(downloads[0]).hexdigest() == mine.checksum


def _version(page: str) -> str:
    return re.search(r'<input[^>]*name="version"[^>]*value="(\d+)"', page).group(1)


def test_a_journey_over_http_on_the_production_server(cluster):
    chain = cluster["chain"]
    browser = Browser(cluster["ports"][0])
    browser.login("manager@example.nl")
    form_path = f"/zelfevaluaties/{chain['assessment'].id}"
    # The whole form in one post (every agreement), with the version a theme page shows.
    version = _version(browser.page(f"{form_path}/thema/1"))
    answers = journey.complete_form(chain["agreements"])
    status, headers, _ = browser.post(form_path, {**answers, "version": version})
    assert status == 302
    assert "opgeslagen als concept" in browser.page(form_path)
    # Checked and submitted through the check page.
    status, _, _ = browser.post(f"{form_path}/indienen", {}, token_from=f"{form_path}/controleren")
    assert status == 302
    assert "ingediend" in browser.page(f"{form_path}/ingediend")
    assert browser.get(form_path)[0] == 302  # a submitted assessment is read as its summary
    assert browser.get(f"/resultaten/organisatie/{chain['jgz'].id}")[0] == 200
    reports = browser.page("/rapporten")
    link = re.search(r'href="(/rapporten/\d+)"', reports).group(1)
    status, headers, data = browser.get(link)
    assert status == 200
    assert headers["Content-Disposition"].startswith("attachment")
    assert data[:4] in (b"%PDF", b"PK\x03\x04")
    assert browser.post("/uitloggen", {}, token_from="/")[0] == 302
    assert browser.get("/")[0] == 302
    # Every request is one log line naming its route, never a raw token path.
    web_log = cluster["logs"][0].read_text()
    assert re.search(r"POST /zelfevaluaties/<int:assessment_id> 302 [\d.]+ms user=\d+", web_log)
