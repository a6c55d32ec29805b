"""What a server does once before gunicorn forks its workers.

With `preload_app` the app is imported in gunicorn's main process and every
worker is a fork of it, also each time a worker is replaced after
`max_requests`. Work done here is therefore done once, not in every new
worker on its first requests: the templates are compiled and both languages'
translations read. Then everything made so far is moved out of the garbage
collector's sight (`gc.freeze`): a full collection in a worker otherwise
walks the whole application, tens of milliseconds on one unlucky request, and
touching those objects would copy the pages the workers share."""

from __future__ import annotations

import gc

from flask import Flask
from flask_babel import force_locale, get_translations

from web.formatting import LANGUAGES


def before_fork(app: Flask) -> None:
    env = app.jinja_env
    for name in env.list_templates(extensions=("html", "txt", "xml")):
        env.get_template(name)
    with app.test_request_context():
        for code in LANGUAGES:
            with force_locale(code):
                get_translations()
    gc.collect()
    gc.freeze()
