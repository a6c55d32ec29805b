"""The URL converters of the application: `<int:…>` holds ids only."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from domain.inputs import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:…>` matches 1 to MAX_ID in ASCII digits; 0, a sign, or a number no
    row can hold matches no route, so the answer is 404 and no query runs."""

    def __init__(
        self,
        map: Map,  # noqa: A002 - werkzeug's parameter name
        fixed_digits: int = 0,
        min: int | None = 1,  # noqa: A002
        max: int | None = MAX_ID,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    """Install the converters; call before any route is registered."""
    app.url_map.converters["int"] = IdConverter
