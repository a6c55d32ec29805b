"""The web benchmark: the site under gunicorn, with the repository's
gunicorn.conf.py, on national demo data, on SQLite and on PostgreSQL.

    python -m benchmarks.web [--database-url sqlite] [--database-url URL]
                             [--seconds 5] [--clients 8]

The data set (national demo, its figures, the reports of its latest closed
cycle) is built once and reused: SQLite in instance/bench/, PostgreSQL in the
database that --database-url names. A bounded load generator on 127.0.0.1
(asyncio, a fixed number of clients for a fixed time, each asking for keep-alive
and opening a new connection whenever the server closes one, as gunicorn.conf.py
has it do after every response)
measures each page right after the minimal route (the floor) under the same
gunicorn, so the ratio compares like with like. Then 32 writers save their own
assessment at once; every acknowledged save is read back. Besides requests/s
and latency, the table gives the median time a request spent in the
application ("app ms") and its thread's CPU time there ("cpu ms"), as the
server measured them (X-Server-Ms, X-Cpu-Ms from benchmarks/web_app.py).

Targets (issue 15): results pages and the Rapporten list ≥ 10 % of the floor's
requests/s; p95 ≤ 200 ms for every page and the save POST; a results page
alone ≤ 15 ms in the application ("alone": the median with one client, for
every page that is read); writers: 0 errors, nothing lost, p95 ≤ 300 ms.
Every database measured goes into one table, each page's rows side by side,
with what a row misses of these targets in its last column ("met" if nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from benchmarks.htmlform import form_fields

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "instance" / "bench"
SECRET = "bench-web-secret"  # noqa: S105 - a throwaway key for the benchmark's own server
WRITERS = 32


# --- the data set ----------------------------------------------------------


def _ensure_postgres_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        dbname="postgres", user=parts.username, host=parts.hostname, port=parts.port or 5432
    )
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def prepare(url: str, reports_dir: Path, say: Callable[[str], None]) -> None:
    """National demo data with its figures and one closed cycle's reports;
    whatever is there already is kept."""
    from benchmarks.batch import _prepare
    from domain import computation
    from models import Cycle, ReportFile, ScopeResult, init_database
    from reports.build import write_cycle_reports

    if url.startswith("postgres"):
        _ensure_postgres_database(url)
    say("data: national demo (built once, then reused)")
    _prepare(url, "national")
    database = init_database(url)
    with database.connection_context():
        if not ScopeResult.select().exists():
            say("data: computing the figures")
            computation.recompute()
        if not ReportFile.select().exists():
            cycle = (
                Cycle.select().where(Cycle.state == "gesloten").order_by(Cycle.period.desc()).get()
            )
            say(f"data: writing the reports of {cycle.period} (once; several minutes)")
            write_cycle_reports(cycle, reports_dir)
    database.close()


# --- who requests what -------------------------------------------------------


@dataclass
class Session:
    email: str
    cookie: str = ""
    csrf: str = ""


@dataclass
class Target:
    label: str
    role: str
    path: str
    method: str = "GET"  # a POST saves: each client its own draft (see measure)


def _first(role: str):
    """The first active person with this role (their role assignment)."""
    from models import RoleAssignment, User

    return (
        RoleAssignment.select()
        .join(User)
        .where(RoleAssignment.role == role, User.active == True)  # noqa: E712 - SQL
        .order_by(User.id, RoleAssignment.id)
        .first()
    )


def _draft_managers(count: int) -> list[tuple[str, int]]:
    """Managers (e-mail, assessment id) with a draft in the open cycle, each
    of another organisation."""
    from models import Assessment, Cycle, RoleAssignment, User

    cycle = Cycle.select().where(Cycle.state == "open").order_by(Cycle.period.desc()).get()
    rows = (
        RoleAssignment.select(User.email, Assessment.id)
        .join(User)
        .switch(RoleAssignment)
        .join(Assessment, on=(Assessment.organisation == RoleAssignment.organisation))
        .where(
            RoleAssignment.role == "manager",
            Assessment.cycle == cycle,
            Assessment.state == "concept",
            User.active == True,  # noqa: E712 - SQL
        )
        .order_by(Assessment.id)
        .tuples()
    )
    chosen, seen = [], set()
    for email, assessment_id in rows:
        if assessment_id not in seen:
            seen.add(assessment_id)
            chosen.append((email, assessment_id))
        if len(chosen) == count:
            break
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} draft assessments with a manager; need {count}")
    return chosen


def plan(url: str) -> dict:
    """The people and pages to measure, chosen from the data the same way each run."""
    from models import Cycle, ReportFile, init_database

    database = init_database(url)
    with database.connection_context():
        closed = Cycle.select().where(Cycle.state == "gesloten").order_by(Cycle.period.desc()).get()
        current = Cycle.select().where(Cycle.state == "open").order_by(Cycle.period.desc()).get()
        people = {role: _first(role) for role in ("beheerder", "regiocoordinator", "gemeente")}
        invuller = _first("invuller")
        writers = _draft_managers(WRITERS)
        manager_email, assessment_id = writers[0]
        from models import Assessment

        organisation_id = Assessment.get_by_id(assessment_id).organisation_id
        report = (
            ReportFile.select()
            .where(ReportFile.scope_type == "organisatie", ReportFile.scope_id == organisation_id)
            .order_by(ReportFile.id.desc())
            .first()
        )
        region = people["regiocoordinator"].region
        gemeente = people["gemeente"].gemeente
        emails = {role: assignment.user.email for role, assignment in people.items()}
    database.close()
    return {
        "closed": closed.period,
        "current_id": current.id,
        "emails": {**emails, "invuller": invuller.user.email, "manager": manager_email},
        "assessment_id": assessment_id,
        "organisation_id": organisation_id,
        "region": (region.id, region.code),
        "gemeente_id": gemeente.id,
        "report_id": report.id if report else None,
        "writers": writers,
    }


def targets(p: dict) -> list[Target]:
    """The pages of issue 15's table, the home page of each role, the saves."""
    period = p["closed"]
    region_id, region_code = p["region"]
    form = f"/zelfevaluaties/{p['assessment_id']}"
    pages = [Target(f"home, {role}", role, "/") for role in p["emails"]]
    pages += [
        Target(
            "results, organisation",
            "manager",
            f"/resultaten/organisatie/{p['organisation_id']}?ronde={period}",
        ),
        Target(
            "results, gemeente",
            "gemeente",
            f"/resultaten/gemeente/{p['gemeente_id']}?ronde={period}",
        ),
        Target(
            "results, region", "regiocoordinator", f"/resultaten/regio/{region_id}?ronde={period}"
        ),
        Target("self-assessment task list", "manager", form),
        Target("self-assessment theme page", "manager", f"{form}/thema/1"),
        Target(
            "progress monitor, region",
            "regiocoordinator",
            f"/rondes/{p['current_id']}/voortgang?regio={region_code}",
        ),
        Target("Rapporten list", "manager", f"/rapporten?ronde={period}"),
    ]
    if p["report_id"]:
        pages.append(Target("report download", "manager", f"/rapporten/{p['report_id']}"))
    pages += [
        Target("save (POST)", "manager", f"{form}/thema/1", "POST"),
        Target("autosave (POST)", "manager", f"{form}/automatisch-opslaan", "POST"),
    ]
    return pages


# --- HTTP ----------------------------------------------------------------------


def _request(port: int, method: str, path: str, session: Session | None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {}
    if session and session.cookie:
        headers["Cookie"] = session.cookie
    data = None
    if body is not None:
        data = urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    cookie = response.getheader("Set-Cookie")
    if session is not None and cookie:
        session.cookie = cookie.split(";", 1)[0]
    conn.close()
    return response.status, payload.decode("utf-8", "replace"), response


def login(port: int, email: str) -> Session:
    from demo import DEMO_PASSWORD

    session = Session(email)
    _, page, _ = _request(port, "GET", "/inloggen", session)
    token = form_fields(page).get("csrf_token", "")
    status, _, _ = _request(
        port,
        "POST",
        "/inloggen",
        session,
        {"csrf_token": token, "email": email, "password": DEMO_PASSWORD},
    )
    if status != 302:
        raise SystemExit(f"login of {email} answered {status}")
    session.csrf = token
    return session


def form_state(port: int, session: Session, assessment_id: int) -> dict[str, str]:
    # A theme page: the form is one page per theme.
    status, page, _ = _request(port, "GET", f"/zelfevaluaties/{assessment_id}/thema/1", session)
    if status != 200:
        raise SystemExit(f"form {assessment_id} answered {status}")
    return form_fields(page)


def _explanation_field(fields: dict[str, str]) -> str:
    return next(name for name in sorted(fields) if name.endswith("-explanation"))


@dataclass
class Saver:
    """Saves one assessment again and again, each time with another text;
    knows the version the next save must name, and the last text acknowledged."""

    fields: dict[str, str]
    autosave: bool = False
    version: int = 0
    acknowledged: str | None = None
    sent: str = ""
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.version = int(self.fields["version"])
        self.key = _explanation_field(self.fields)
        # The fields that stay the same, encoded once: the load generator
        # shares the machine with the server and should cost it little.
        self._same = urlencode(
            {k: v for k, v in self.fields.items() if k not in (self.key, "version")}
        )

    def body(self, n: int) -> str:
        self.sent = f"Besproken in overleg {n} ({time.monotonic_ns()})"
        return f"{self._same}&{urlencode({self.key: self.sent, 'version': self.version})}"

    def answered(self, status: int, body: bytes) -> bool:
        if self.autosave:
            ok = status == 200 and json.loads(body).get("ok") is True
        else:
            ok = status == 302
        if ok:
            self.version += 1
            self.acknowledged = self.sent
        return ok


# --- the load generator ---------------------------------------------------------


def _raw(method: str, path: str, cookie: str, body: dict | str | None) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    payload = b""
    if body is not None:
        payload = (body if isinstance(body, str) else urlencode(body)).encode()
        head += "Content-Type: application/x-www-form-urlencoded\r\n"
        head += f"Content-Length: {len(payload)}\r\n"
    return head.encode() + b"\r\n" + payload


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    else:
        body = await reader.read()
    return status, headers, body


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)  # inside the application
    cpu_ms: list[float] = field(default_factory=list)  # its thread's CPU time
    errors: int = 0
    seconds: float = 0.0

    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def median(self, values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def _client(port, make_request, check, deadline, load: Load, n0: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = n0
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(make_request(n))
            status, headers, body = await _response(reader)
            load.latencies.append(time.perf_counter() - started)
            load.queries.append(int(headers.get("x-queries", "0")))
            if "x-server-ms" in headers:
                load.server_ms.append(float(headers["x-server-ms"]))
                load.cpu_ms.append(float(headers["x-cpu-ms"]))
            if not check(status, body):
                load.errors += 1
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            n += 1
    finally:
        writer.close()


def run_load(port: int, clients: list[tuple[Callable, Callable]], seconds: float) -> Load:
    """Each client sends its requests one after another for `seconds`, on its
    own connection (a new one whenever the server closes it)."""
    load = Load()

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _client(port, make, check, deadline, load, i * 1_000_000)
                for i, (make, check) in enumerate(clients)
            )
        )
        load.seconds = time.perf_counter() - started

    asyncio.run(main())
    return load


# --- the server ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with the repository's config, serving benchmarks.web_app."""

    def __init__(self, url: str, reports_dir: Path) -> None:
        self.port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REPORTS_DIR": str(reports_dir),
            "SECRET_KEY": SECRET,
            "SESSION_COOKIE_SECURE": "false",
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
        }
        self.log = open(CACHE / "gunicorn.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own server with our own config
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "benchmarks.web_app:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _request(self.port, "GET", "/__floor", None)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"gunicorn did not start; see {CACHE / 'gunicorn.log'}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# --- the measurements -------------------------------------------------------------------


def _get(path: str, cookie: str):
    request = _raw("GET", path, cookie, None)
    return (lambda n: request), (lambda status, body: status == 200)


def _saver_client(port: int, session: Session, assessment_id: int, autosave: bool):
    saver = Saver(form_state(port, session, assessment_id), autosave=autosave)
    path = f"/zelfevaluaties/{assessment_id}" + ("/automatisch-opslaan" if autosave else "/thema/1")
    return saver, (
        lambda n: _raw("POST", path, session.cookie, saver.body(n)),
        saver.answered,
    )


def measure(url: str, reports_dir: Path, seconds: float, clients: int, say) -> list[dict]:
    p = plan(url)
    server = Server(url, reports_dir)
    rows: list[dict] = []
    try:
        sessions = {role: login(server.port, email) for role, email in p["emails"].items()}
        floor_clients = [_get("/__floor", "")] * clients
        for target in targets(p):
            if target.method == "GET":
                work = [_get(target.path, sessions[target.role].cookie)] * clients
            else:
                # Each client saves another organisation's draft (one draft each),
                # as people do; saving one draft from 8 clients would only conflict.
                work = []
                for email, assessment_id in p["writers"][:clients]:
                    session = login(server.port, email)
                    _, client = _saver_client(
                        server.port, session, assessment_id, target.path.endswith("opslaan")
                    )
                    work.append(client)
            floor = run_load(server.port, floor_clients, seconds)
            page = run_load(server.port, work, seconds)
            # The page alone: one client, so the time in the application is
            # its own, not shared with seven others on two cores.
            alone = (
                run_load(server.port, work[:1], ALONE_SECONDS) if target.method == "GET" else None
            )
            row = {
                "page": target.label,
                "rps": page.rate(),
                "p50": page.percentile(50),
                "p95": page.percentile(95),
                "p99": page.percentile(99),
                "floor_rps": floor.rate(),
                "ratio": page.rate() / floor.rate() if floor.rate() else float("nan"),
                "queries": statistics.median(page.queries) if page.queries else 0,
                "server_ms": page.median(page.server_ms),
                "cpu_ms": page.median(page.cpu_ms),
                "alone_ms": alone.median(alone.server_ms) if alone else float("nan"),
                "errors": page.errors + floor.errors + (alone.errors if alone else 0),
                "requests": len(page.latencies),
            }
            rows.append(row)
            say(
                f"  {row['page']:<28} {row['rps']:8.1f}/s  p95 {row['p95']:7.1f} ms  "
                f"{row['ratio'] * 100:6.1f} % of floor  ({row['errors']} errors)"
            )
        rows.append(_writers(server.port, p["writers"], seconds))
    finally:
        server.stop()
    return rows


def _writers(port: int, writers: list[tuple[str, int]], seconds: float) -> dict:
    """32 people save their own assessment at once; then every save that was
    acknowledged is read back."""
    savers, work = [], []
    for email, assessment_id in writers:
        session = login(port, email)
        saver, client = _saver_client(port, session, assessment_id, autosave=False)
        savers.append((session, assessment_id, saver))
        work.append(client)
    load = run_load(port, work, seconds)
    lost = 0
    for session, assessment_id, saver in savers:
        if saver.acknowledged is None:
            continue
        stored = form_state(port, session, assessment_id)
        if stored.get(saver.key) != saver.acknowledged:
            lost += 1
    return {
        "page": f"{len(writers)} concurrent writers (save)",
        "rps": load.rate(),
        "p50": load.percentile(50),
        "p95": load.percentile(95),
        "p99": load.percentile(99),
        "floor_rps": float("nan"),
        "ratio": float("nan"),
        "queries": statistics.median(load.queries) if load.queries else 0,
        "server_ms": load.median(load.server_ms),
        "cpu_ms": load.median(load.cpu_ms),
        "errors": load.errors,
        "requests": len(load.latencies),
        "lost": lost,
    }


# Targets (issue 15), checked in the table's last column.
PAGE_P95_MS = 200.0
WRITERS_P95_MS = 300.0
FLOOR_SHARE = 0.10  # results pages and the Rapporten list
RESULTS_SERVER_MS = 15.0  # alone: one client
ALONE_SECONDS = 2.0


def misses(row: dict) -> list[str]:
    """What a row misses of its targets; empty when it meets them all."""
    out = []
    writers = "lost" in row
    if row["errors"]:
        out.append("errors")
    if writers and row["lost"]:
        out.append("lost")
    limit = WRITERS_P95_MS if writers else PAGE_P95_MS
    if not row["p95"] <= limit:
        out.append(f"p95>{limit:.0f}")
    results = row["page"].startswith("results")
    if (results or row["page"] == "Rapporten list") and not row["ratio"] >= FLOOR_SHARE:
        out.append(f"<{FLOOR_SHARE:.0%} of floor")
    if results and not row["alone_ms"] <= RESULTS_SERVER_MS:
        out.append(f"app>{RESULTS_SERVER_MS:.0f}ms")
    return out


def print_table(title: str, measured: dict[str, list[dict]]) -> None:
    """One table: each page's row per database, side by side."""
    print(f"\n{title}: requests/s, latency (ms), share of the floor's requests/s")
    print(
        f"{'page':<34} {'database':<10} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'floor/s':>8} {'ratio':>7} {'queries':>7} {'app ms':>7} {'cpu ms':>7} "
        f"{'alone':>7} {'errors':>6}  target"
    )
    pages = list(dict.fromkeys(row["page"] for rows in measured.values() for row in rows))
    for page in pages:
        for backend, rows in measured.items():
            for row in (r for r in rows if r["page"] == page):
                ratio = "" if row["ratio"] != row["ratio"] else f"{row['ratio'] * 100:6.1f}%"
                floor = "" if row["floor_rps"] != row["floor_rps"] else f"{row['floor_rps']:8.0f}"
                errors = f"{row['errors']}" + (f" lost {row['lost']}" if "lost" in row else "")
                verdict = ", ".join(misses(row)) or "met"
                alone = row.get("alone_ms", float("nan"))
                alone = "" if alone != alone else f"{alone:7.1f}"
                print(
                    f"{page:<34} {backend:<10} {row['rps']:8.1f} {row['p50']:7.1f} "
                    f"{row['p95']:7.1f} {row['p99']:7.1f} {floor:>8} {ratio:>7} "
                    f"{row['queries']:>7.0f} {row['server_ms']:7.1f} {row['cpu_ms']:7.1f} "
                    f"{alone:>7} {errors:>6}  {verdict}"
                )


def _sqlite_url() -> str:
    return f"sqlite:///{CACHE / 'web-national.db'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database-url",
        action="append",
        help="a database to measure; give it again for another (`sqlite`: the default "
        "SQLite file in instance/bench/). Default: SQLite only",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)

    def say(message: str) -> None:
        print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)

    measured: dict[str, list[dict]] = {}
    for url in args.database_url or ["sqlite"]:
        url = _sqlite_url() if url == "sqlite" else url
        backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        reports_dir = CACHE / f"reports-{backend.lower()}"
        prepare(url, reports_dir, say)
        say(f"{backend}: {args.clients} clients, {args.seconds:g} s per measurement")
        if backend in measured:  # a second database of the same kind
            backend = f"{backend} {len(measured) + 1}"
        measured[backend] = measure(url, reports_dir, args.seconds, args.clients, say)
    print_table(f"{args.clients} clients, {args.seconds:g} s each", measured)


if __name__ == "__main__":
    main()
