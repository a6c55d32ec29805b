"""What gunicorn's main process does once before forking (web/warmup.py)."""

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

from flask_babel import force_locale, gettext

from web.formatting import babel
from web.warmup import before_fork

ROOT = Path(__file__).resolve().parents[2]


def _compiled(app, name: str) -> bool:
    return any(key[1] == name for key in app.jinja_env.cache)


def test_templates_and_translations_are_ready_and_frozen(app):
    assert not _compiled(app, "assessments/theme.html")
    try:
        before_fork(app)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    for name in ("assessments/theme.html", "results/_scope_body.html", "base.html"):
        assert _compiled(app, name)
    assert {locale for locale, _ in babel.domain_instance.cache} >= {"nl", "en"}
    with app.test_request_context(), force_locale("en"):
        assert gettext("Zelfevaluatie") == "Self-assessment"


def test_gunicorn_prepares_the_app_when_ready(app):
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))
    try:
        config["when_ready"](server)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert _compiled(app, "assessments/theme.html")
