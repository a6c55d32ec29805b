"""A WSGI app for testing how gunicorn.conf.py spreads requests over its
workers: /slow answers after a pause, every path with the worker's pid."""

from __future__ import annotations

import os
import time


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/slow":
        time.sleep(float(environ.get("QUERY_STRING") or "1"))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
