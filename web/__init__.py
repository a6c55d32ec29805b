"""The Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from models import db, init_database
from web import config

csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the web application; `test_config` overrides the environment."""
    instance = config.instance_path()
    app = Flask(__name__, instance_path=str(instance))
    app.config.from_mapping(config.from_environment(instance, test_config))
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

    from web import auth, cli, formatting, home, security

    auth.init_app(app)
    formatting.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    return app
