"""The open data feed under /api/v1 (read-only, JSON or CSV, personal access
tokens) and the token pages under Mijn account.

Every request names a token in `Authorization: Bearer …`; the token reads
what its owner may read on the result pages, nothing else, and every use is
in the audit log. Responses carry an ETag and Last-Modified, so a nightly
refresh that finds nothing changed gets 304 without a body."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from domain import api_tokens, limits, opendata
from domain.audit import record
from domain.inputs import MAX_ID, parse_id, parse_int, printable
from domain.scope import ResultAccess
from models import utcnow
from models.choices import N_
from web.access import access
from web.form_errors import FieldErrors, page_status
from web.formatting import say
from web.openapi import description

logger = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
tokens_bp = Blueprint("api_tokens", __name__)

FORMATS = ("json", "csv", "csv-nl")
MAX_PER_PAGE = 500
RISKY = ("=", "+", "-", "@", "\t", "\r")


class ApiError(HTTPException):
    """An error answered as JSON."""

    def __init__(self, code: int, message: str, headers: dict | None = None):
        super().__init__(description=message)
        self.code = code
        self.extra_headers = headers or {}


@bp.errorhandler(HTTPException)
def _error(error: HTTPException):
    response = jsonify({"error": error.code, "message": error.description})
    response.status_code = error.code or 500
    for name, value in getattr(error, "extra_headers", {}).items():
        response.headers[name] = value
    return response


def _printable(text: str) -> str:
    """Text for the audit log: no control characters (PostgreSQL refuses NUL), bounded."""
    return "".join(c if c.isprintable() else "?" for c in text[:300])


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def token_access(view: Callable) -> Callable:
    """Authenticate the token, apply the rate limit, run the view and write
    the use in the audit log."""

    def wrapped(*args, **kwargs):
        address = request.remote_addr or ""
        # An address that keeps failing is refused before any token is looked
        # up; its failures are counted (in aggregate past a threshold) either way.
        token = (
            None if limits.blocked("api_refused", address) else api_tokens.authenticate(_bearer())
        )
        if token is None:
            allowed = limits.anonymous_event(
                "api_refused", "api_refused", address, path=_printable(request.path),
                reason="token",
            )  # fmt: skip
            if not allowed:
                raise ApiError(
                    429,
                    _("Te veel verzoeken zonder geldig token; probeer het later opnieuw."),
                    {"Retry-After": str(limits.seconds_to_next_hour())},
                )
            raise ApiError(
                401,
                _("Geen geldig token: het ontbreekt, is verlopen of is ingetrokken."),
                {"WWW-Authenticate": 'Bearer realm="afsprakenmonitor"'},
            )
        limit = current_app.config["API_RATE_PER_MINUTE"]
        allowed, wait = api_tokens.within_rate(token, limit)
        g.api_token = token
        status = 429
        try:
            if not allowed:
                raise ApiError(
                    429,
                    _("Te veel verzoeken; probeer het over een minuut opnieuw."),
                    {"Retry-After": str(wait)},
                )
            response = view(*args, **kwargs)
            status = response.status_code
            return response
        except HTTPException as error:
            status = error.code or 500
            raise
        finally:
            record(
                "api_request",
                user=token.user,
                object_type="api_token",
                object_id=token.id,
                ip=request.remote_addr or "",
                path=_printable(request.path),
                query=_printable(request.query_string.decode("latin-1")),
                status=status,
            )

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    wrapped.access_rule = "token"
    return wrapped


# --- parameters -----------------------------------------------------------------


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        raise ApiError(400, _("Ongeldige waarde voor %(name)s.", name=name))
    return value


def _integer(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    value = parse_int(raw, low, high)  # ASCII digits only: never ² or ١
    if value is None:
        raise ApiError(
            400, _("%(name)s moet een geheel getal van %(low)s tot %(high)s zijn.",
                   name=name, low=low, high=high)
        )  # fmt: skip
    return value


def _scope_type(value: str) -> str:
    if value not in opendata.SCOPE_TYPES:
        raise ApiError(404, _("Onbekend soort gebied."))
    return value


def _cycles() -> list:
    cycles = opendata.published_cycles()
    wanted = request.args.get("cycle")
    if wanted is None:
        return cycles
    chosen = [c for c in cycles if c.period == wanted]
    if not chosen:
        raise ApiError(404, _("Die ronde bestaat niet of heeft nog geen resultaten."))
    return chosen


# --- output -----------------------------------------------------------------------


def _csv_value(value, dutch: bool):
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("ja" if value else "nee") if dutch else ("true" if value else "false")
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")  # never 1e-05: Power Query reads it
        return text.replace(".", ",") if dutch else text
    if isinstance(value, str):
        value = printable(value, multiline=True)  # no control characters, like every writer
    if isinstance(value, str) and value.startswith(RISKY):
        return "'" + value  # a spreadsheet must never take a name for a formula
    return value


def _respond(rows: list[dict], fields: tuple[str, ...], meta: dict | None = None) -> Response:
    """The rows as JSON or CSV, with an ETag and Last-Modified; 304 when the
    client's copy is current."""
    kind = _choice("format", FORMATS, "json")
    headers = {}
    if meta and "total" in meta:
        headers["X-Total-Count"] = str(meta["total"])
        links = _links(meta)
        if links:
            headers["Link"] = links
    if kind == "json":
        body = json.dumps({"data": rows, "meta": meta or {}}, ensure_ascii=False)
        response = Response(body, mimetype="application/json")
    else:
        dutch = kind == "csv-nl"
        out = io.StringIO()
        if dutch:
            out.write("\ufeff")  # Excel reads the file as UTF-8 with the mark
        writer = csv.writer(out, delimiter=";" if dutch else ",", lineterminator="\r\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow([_csv_value(row.get(f), dutch) for f in fields])
        response = Response(out.getvalue(), mimetype="text/csv")
        response.headers["Content-Disposition"] = "inline"
    response.headers.update(headers)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "Authorization"
    response.last_modified = opendata.last_modified()
    response.add_etag()
    return response.make_conditional(request)


def _links(meta: dict) -> str:
    page, per_page, total = meta["page"], meta["per_page"], meta["total"]
    # Only the parameters the feed knows go into the links (an unknown one
    # named like a path part would clash with it).
    known = {k: v for k, v in request.args.items() if k in ("cycle", "per_page", "format")}
    values = {**known, **request.view_args}
    links = []
    if page * per_page < total:
        links.append(f'<{url_for(request.endpoint, **values, page=page + 1)}>; rel="next"')
    if page > 1:
        links.append(f'<{url_for(request.endpoint, **values, page=page - 1)}>; rel="prev"')
    return ", ".join(links)


def _page() -> tuple[int, int]:
    return _integer("page", 1, 1, 100_000), _integer("per_page", 100, 1, MAX_PER_PAGE)


# --- the feed ---------------------------------------------------------------------


@bp.route("/openapi.json")
@access("public")
def openapi():
    """The OpenAPI 3 description of this feed."""
    return jsonify(description(url_for("api.openapi", _external=False).rsplit("/", 1)[0]))


@bp.route("/cycles")
@token_access
def cycles():
    return _respond(opendata.cycle_rows(), ("period", "state", "opens_on", "due_on", "closes_on"))


@bp.route("/indicators")
@token_access
def indicators():
    return _respond(
        opendata.indicator_rows(),
        ("code", "name", "description", "computation", "unit", "direction", "norm",
         "green_threshold", "orange_threshold", "region"),
    )  # fmt: skip


@bp.route("/scopes/<scope_type>")
@token_access
def scopes(scope_type: str):
    scope_type = _scope_type(scope_type)
    page, per_page = _page()
    rows, total = opendata.scopes(
        ResultAccess(g.api_token.user), scope_type, (page - 1) * per_page, per_page
    )
    meta = {"page": page, "per_page": per_page, "total": total}
    return _respond(rows, ("type", "id", "code", "name"), meta)


@bp.route("/results/<scope_type>")
@token_access
def results_by_type(scope_type: str):
    scope_type = _scope_type(scope_type)
    page, per_page = _page()
    chosen = _cycles()
    scope_rows, total = opendata.scopes(
        ResultAccess(g.api_token.user), scope_type, (page - 1) * per_page, per_page
    )
    meta = {"page": page, "per_page": per_page, "total": total}
    return _respond(opendata.result_rows(chosen, scope_rows), opendata.RESULT_FIELDS, meta)


@bp.route("/results/<scope_type>/<scope_id>")
@token_access
def results_of_scope(scope_type: str, scope_id: str):
    scope_type = _scope_type(scope_type)
    number = parse_int(scope_id, 0, MAX_ID)  # 0 is the country's id
    if number is None:
        raise ApiError(404, _("Dit gebied bestaat niet of u mag het niet zien."))
    found = opendata.scope(ResultAccess(g.api_token.user), scope_type, number)
    if found is None:
        raise ApiError(404, _("Dit gebied bestaat niet of u mag het niet zien."))
    chosen = _cycles()
    return _respond(opendata.result_rows(chosen, [found]), opendata.RESULT_FIELDS)


# --- tokens under Mijn account ----------------------------------------------------


# The fields of the token page, named as their labels; "sleutels" is the list
# of the user's tokens, where a problem with revoking one is shown.
TOKEN_FIELDS = {
    "token-name": N_("Naam"),
    "token-days": N_("Geldig (dagen)"),
    "sleutels": N_("Uw sleutels"),
}
TOKEN_FIELD_IDS = {"name": "token-name", "days": "token-days", "": "sleutels"}


@tokens_bp.route("/account/api-tokens", methods=["GET", "POST"])
@access("user")
def manage():
    """Create and revoke personal access tokens; a new token is shown once."""
    user = current_user.user
    secret = None
    form = {"name": "", "days": str(api_tokens.DEFAULT_DAYS)}
    errors = FieldErrors()
    if request.method == "POST":
        action = request.form.get("action")
        if action == "create":
            form = {k: request.form.get(k, "") for k in form}  # as typed: " 2" is no number
            days = parse_int(form["days"], 0, 9999) or 0
            try:
                _token, secret = api_tokens.create_token(
                    user, form["name"], days, ip=request.remote_addr or ""
                )
            except api_tokens.TokenError as error:
                errors.add(TOKEN_FIELD_IDS[error.field], say(error.args[0]))
            else:
                form = {"name": "", "days": str(api_tokens.DEFAULT_DAYS)}
        elif action == "revoke":
            token_id = parse_id(request.form.get("token_id", ""))
            if not (token_id and api_tokens.revoke_token(
                user, token_id, ip=request.remote_addr or ""
            )):  # fmt: skip
                errors.add("sleutels", _("Die sleutel bestaat niet of is al ingetrokken."))
        else:
            errors.add("sleutels", _("Onbekende actie."))
    response = Response(
        render_template(
            "auth/api_tokens.html",
            tokens=api_tokens.tokens_of(user),
            secret=secret,
            form=form,
            errors=errors,
            labels=TOKEN_FIELDS,
            now=utcnow(),
            max_days=api_tokens.MAX_DAYS,
        ),
        status=page_status(errors),
    )
    # The secret is on this page once: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response
