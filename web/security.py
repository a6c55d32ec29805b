"""Security headers on every response; no NUL in a query string."""

from flask import Flask, Response, abort, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    """Register the hooks: query strings are checked, headers set."""

    @app.before_request
    def _no_nul_in_query() -> None:
        # Search and filter values go into queries; PostgreSQL cannot hold a NUL
        # character in text, and no filter needs one.
        if any("\x00" in value for value in request.args.values()):
            abort(400)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Pages, exports and downloads hold what one person may see: never kept
        # by a browser or a proxy. Only the static files may be cached.
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response
