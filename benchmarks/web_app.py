"""The site as gunicorn serves it, for `make bench-web`: the real app, plus a
minimal route (the floor every page is compared with) and the number of
queries each request made, in the response header X-Queries."""

from __future__ import annotations

import logging
import threading
import time

from web import create_app
from web.access import access

_queries = threading.local()


class _QueryCounter(logging.Handler):
    """peewee logs every statement at DEBUG; count them per request thread."""

    def emit(self, record: logging.LogRecord) -> None:
        _queries.count = getattr(_queries, "count", 0) + 1


def _count_queries() -> None:
    peewee_log = logging.getLogger("peewee")
    peewee_log.addHandler(_QueryCounter())
    peewee_log.setLevel(logging.DEBUG)
    peewee_log.propagate = False  # counted, never printed


app = create_app()
_count_queries()


@app.before_request
def _start_count() -> None:
    _queries.count = 0
    _queries.started = time.perf_counter()
    _queries.cpu = time.thread_time()


@app.after_request
def _report_count(response):
    """Queries, time in the application and its thread's CPU time (ms)."""
    response.headers["X-Queries"] = str(getattr(_queries, "count", 0))
    if hasattr(_queries, "started"):
        response.headers["X-Server-Ms"] = f"{(time.perf_counter() - _queries.started) * 1000:.2f}"
        response.headers["X-Cpu-Ms"] = f"{(time.thread_time() - _queries.cpu) * 1000:.2f}"
    return response


@app.get("/__floor")
@access("public")
def floor() -> str:
    """The minimal route: no template, no query of its own."""
    return "ok"
