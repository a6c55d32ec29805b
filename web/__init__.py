"""The Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from peewee import InterfaceError, OperationalError
from werkzeug.exceptions import InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from models import db, init_database
from web import config, redact, routing

csrf = CSRFProtect()
logger = logging.getLogger(__name__)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the web application; `test_config` overrides the environment."""
    instance = config.instance_path()
    app = Flask(__name__, instance_path=str(instance))
    app.config.from_mapping(config.from_environment(instance, test_config))
    routing.init_app(app)
    from web import logs

    logs.configure(app.config["LOG_FORMAT"])
    if app.config["PROXY_HOPS"] > 0:
        # Only the last N hops are believed: the real client address reaches the
        # throttle and the audit log, the scheme HSTS; anything a client puts in
        # front of those is ignored.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
        if app.config["BASE_URL"].startswith("http://"):
            logger.warning("PROXY_HOPS is set but BASE_URL is http: links in mail will be http")
    logs.init_app(app)

    init_database(app.config["DATABASE_URL"])

    @app.before_request
    def _connect() -> None:
        # /health finds out itself whether the database answers (503, not a 500
        # page); static files need no database (the 503 page uses the stylesheet).
        if request.endpoint not in ("health.health", "static"):
            db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if not db.is_closed():
            try:
                db.close()
            except (OperationalError, InterfaceError):
                # The connection broke under the request (the database went
                # away): drop it; the pool opens a fresh one next time.
                logger.warning("closing a broken database connection failed")

    csrf.init_app(app)

    from web import (
        admin,
        api,
        assessment_review,
        assessments,
        auth,
        cli,
        cycles,
        formatting,
        home,
        results,
        security,
    )
    from web import maps as maps_pages
    from web import practice as practice_pages
    from web import recompute_admin as recompute_pages
    from web.info import init_app as init_info_pages

    auth.init_app(app)
    formatting.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    init_info_pages(app)
    app.register_blueprint(admin.bp)
    app.register_blueprint(recompute_pages.bp)
    app.register_blueprint(assessments.bp)
    app.register_blueprint(assessment_review.bp)
    app.register_blueprint(cycles.bp)
    app.register_blueprint(results.bp)
    app.register_blueprint(maps_pages.bp)
    app.register_blueprint(practice_pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api.tokens_bp)
    _register_operations(app)
    _register_templates_helpers(app)
    _register_error_pages(app)
    redact.init_app(app)  # after the routes: it reads the token routes from the map
    return app


def _register_templates_helpers(app: Flask) -> None:
    from domain.accounts import scope_label
    from domain.scope import is_admin
    from models.choices import CHANGE_FIELDS
    from web import labels

    app.jinja_env.globals["CHANGE_FIELDS"] = CHANGE_FIELDS
    app.jinja_env.globals["change_value"] = labels.change_value
    app.jinja_env.globals["assessment_state"] = labels.assessment_state

    def role_label(assignment) -> str:
        return scope_label(assignment, _)

    @app.context_processor
    def _helpers() -> dict:
        admin = current_user.is_authenticated and is_admin(current_user.user)
        return {"is_admin": admin, "role_label": role_label}


def _register_operations(app: Flask) -> None:
    from web import health

    app.register_blueprint(health.bp)


def _is_admin() -> bool:
    from domain.scope import is_admin

    return current_user.is_authenticated and is_admin(current_user.user)


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_failed(error: CSRFError):
        # Kind, and without losing the typed text: the form fields come back
        # on the page so they can be copied or sent again.
        fields = {
            k: v
            for k, v in request.form.items(multi=False)
            if k not in ("csrf_token", "password", "current", "repeat")
        }
        return render_template("errors/csrf.html", fields=fields), 400

    @app.errorhandler(403)
    def _forbidden(error):
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def _not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(413)
    def _too_large(error):
        # Past MAX_CONTENT_LENGTH nothing of the post is read: say so, on the same page.
        from domain.uploads import MAX_FILE_BYTES

        megabytes = MAX_FILE_BYTES // 2**20
        message = _("Het bestand is te groot; de grens is %(mb)s MB.", mb=megabytes)
        if request.endpoint == "admin.bulk_import" and _is_admin():
            from web.admin.bulk_import import upload_too_large

            return upload_too_large(message)
        flash(message, "error")
        return redirect(request.path)

    # Flask's own line names the raw path (tokens and all) and not the
    # reference; the handler below logs the error instead.
    app.log_exception = lambda exc_info: None

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_error(error: Exception):
        # The database is unreachable (down, restarting, the network): a
        # clear page and 503 with Retry-After, so people and proxies try
        # again. Any other database error is a fault: the 500 page.
        from jobs.status import database_check

        if database_check().ok:
            return _server_error(InternalServerError(original_exception=error))
        logger.warning(
            "database unreachable: %s %s: %s",
            request.method,
            request.url_rule.rule if request.url_rule else "-",
            type(error).__name__,
        )
        return unavailable_page()

    @app.errorhandler(InternalServerError)
    def _server_error(error: InternalServerError):
        from web.logs import request_id

        reference = request_id() or "-"
        cause = error.original_exception or error
        logger.error(
            "unhandled error, reference %s: %s %s",
            reference,
            request.method,
            request.url_rule.rule if request.url_rule else "-",
            exc_info=(type(cause), cause, cause.__traceback__),
            extra={"request_id": reference},
        )
        try:
            page = render_template("errors/500.html", reference=reference)
        except Exception:  # the page itself may be what fails (database down)
            logger.exception("error page could not be rendered, reference %s", reference)
            page = _PLAIN_500.format(reference=reference)
        return page, 500


RETRY_AFTER_SECONDS = 30


def unavailable_page():
    """The 503 page while the database is unreachable. Rendered without the
    site's layout and context (both ask the database who is logged in), in
    the browser's language."""
    from flask import current_app
    from flask_babel import force_locale

    from web.formatting import LANGUAGES

    language = request.accept_languages.best_match(list(LANGUAGES)) or "nl"
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    try:
        with force_locale(language):
            template = current_app.jinja_env.get_template("errors/503.html")
            page = template.render(language=language, retry_after=RETRY_AFTER_SECONDS)
    except Exception:
        logger.exception("the 503 page could not be rendered")
        page = _PLAIN_503
    return page, 503, headers


_PLAIN_503 = (
    '<!doctype html><html lang="nl"><meta charset="utf-8"><title>Tijdelijk niet bereikbaar'
    "</title><h1>Tijdelijk niet bereikbaar</h1><p>De database is even niet bereikbaar. "
    "Probeer het over een halve minuut opnieuw.</p></html>"
)

# Shown when even the error page cannot be rendered (no database, no templates).
_PLAIN_500 = (
    '<!doctype html><html lang="nl"><meta charset="utf-8"><title>Er ging iets mis</title>'
    "<h1>Er ging iets mis</h1><p>Probeer het later opnieuw. Geef bij vragen deze "
    "referentie door: <strong>{reference}</strong></p></html>"
)
