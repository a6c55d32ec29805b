"""The Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from models import db, init_database
from web import config, redact, routing

csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the web application; `test_config` overrides the environment."""
    instance = config.instance_path()
    app = Flask(__name__, instance_path=str(instance))
    app.config.from_mapping(config.from_environment(instance, test_config))
    routing.init_app(app)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    init_database(app.config["DATABASE_URL"])

    @app.before_request
    def _connect() -> None:
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if not db.is_closed():
            db.close()

    csrf.init_app(app)

    from web import admin, assessments, auth, cli, cycles, formatting, home, results, security

    auth.init_app(app)
    formatting.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(assessments.bp)
    app.register_blueprint(cycles.bp)
    app.register_blueprint(results.bp)
    _register_templates_helpers(app)
    _register_error_pages(app)
    redact.init_app(app)  # after the routes: it reads the token routes from the map
    return app


def _register_templates_helpers(app: Flask) -> None:
    from domain.accounts import scope_label
    from domain.scope import is_admin
    from models.choices import CHANGE_FIELDS

    app.jinja_env.globals["CHANGE_FIELDS"] = CHANGE_FIELDS

    def role_label(assignment) -> str:
        return scope_label(assignment, _)

    @app.context_processor
    def _helpers() -> dict:
        admin = current_user.is_authenticated and is_admin(current_user.user)
        return {"is_admin": admin, "role_label": role_label}


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
        flash(_("Het bestand is te groot; de grens is %(mb)s MB.", mb=megabytes), "error")
        return redirect(request.path)
