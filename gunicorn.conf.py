"""gunicorn settings for Afsprakenmonitor: `gunicorn --config gunicorn.conf.py`
(or `make serve`). Everything can be changed from the environment.

Sized for a small server (2 cores): 2 worker processes with 4 threads each.
The scheduler never runs inside gunicorn: it is its own process
(`flask --app wsgi scheduler`, deploy/afsprakenmonitor-scheduler.service)."""

import os

wsgi_app = "wsgi:app"

# Behind the reverse proxy on the same host: 127.0.0.1 only. BIND overrides
# the whole address (e.g. "0.0.0.0:8000" when the proxy is on another host).
bind = [
    os.environ.get("BIND")
    or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
]

workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"

# A large report download or a slow query may take a while; longer than that
# and the worker is replaced.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# No keep-alive: the proxy (or client) opens a connection per request. A kept
# connection stays with the worker that accepted it, and a few busy ones
# landing on one worker left the other idle: measured with 8 clients, one
# core in use instead of two, and a p95 half as long again (issue 15). Per
# request, every connection goes to whichever worker takes it first, the
# idler one; on the loopback a new connection costs a fraction of a
# millisecond. Browsers keep their connections to the proxy all the same.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "0"))

# Without keep-alive, a worker takes a connection from the listening socket
# only while one of its threads is free to answer it; the others wait in the
# kernel's queue for whichever worker is free first. gunicorn's default (1,000)
# lets a worker take whatever arrives and queue it behind its own busy
# threads, while the other worker may have one free: with 32 writers saving at
# once, some waited behind a long queue in one worker while the other answered
# its short one. With keep-alive on, idle kept connections count too, so the
# default stays.
worker_connections = int(
    os.environ.get("WEB_CONNECTIONS", str(threads if keepalive == 0 else 1000))
)

# Workers are recycled now and then, so a slow leak never grows large. Not
# too often: a new worker starts without what its predecessor kept ready
# (result pages, frameworks, composed queries), and under load 2,000
# requests went by in seconds.
max_requests = 20000
max_requests_jitter = 2000

# The application logs one line per request itself (route rule, never the raw
# path with its tokens, plus user and request id); gunicorn's access log would
# print the raw path, so it stays off. Errors go to stderr (the journal).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# LOG_FORMAT=json: gunicorn's own lines (start, workers, timeouts) as JSON
# too, in the application's format, so the journal holds JSON lines only. The
# root logger gets no handler here: the application adds its own.
if os.environ.get("LOG_FORMAT", "text").lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "web.logs.JsonFormatter"}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
    }

# Forwarded headers are trusted in one place only: the app's ProxyFix with
# PROXY_HOPS. gunicorn's own handling of X-Forwarded-Proto is switched off.
forwarded_allow_ips = ""
secure_scheme_headers = {}

# The app opens its database connections per request, in the worker, never at
# import; loading it before forking is therefore safe and saves memory.
preload_app = True


def when_ready(server):
    """Before the first fork: compile the templates, read the translations and
    freeze what the app made, so no worker pays for it again (web/warmup.py)."""
    from flask import Flask

    from web.warmup import before_fork

    app = server.app.wsgi()
    if isinstance(app, Flask):
        before_fork(app)


proc_name = "afsprakenmonitor"

# gunicorn 27 opens a control socket at one fixed path per user; two
# instances on one host would share it. Restarts go through systemd instead.
control_socket_disable = True
