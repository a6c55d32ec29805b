"""What the admin screens share: one page of a list, the posted row by id, the
acting beheerder and the link of an invitation."""

from __future__ import annotations

import math

from flask import abort, current_app, request, url_for
from flask_login import current_user

from domain.inputs import MAX_ID, parse_id, parse_int
from models import User

PER_PAGE = 50


def paginate(query, per_page: int = PER_PAGE) -> dict:
    """One page of a query, from the `pagina` request argument."""
    total = query.count()
    pages = max(1, math.ceil(total / per_page))
    raw = request.args.get("pagina")
    wanted = 1 if raw is None else parse_int(raw, 1, MAX_ID)
    if wanted is None:  # not a page number in ASCII digits (², ١, １ or text)
        abort(400)
    page = min(wanted, pages)
    return {
        "items": list(query.paginate(page, per_page)),
        "page": page,
        "pages": pages,
        "total": total,
    }


def by_id(model, raw: str):
    """The row whose id was posted, or None for anything else."""
    object_id = parse_id(raw)
    return model.get_or_none(model.id == object_id) if object_id else None


def actor() -> User:
    """The beheerder using the page."""
    return current_user.user


def invite_link():
    """The full link of an invitation, from its token (for the mail)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return lambda token: base + url_for("auth.invitation", token=token)
