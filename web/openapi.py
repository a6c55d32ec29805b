"""The OpenAPI 3 description of the open data feed (/api/v1/openapi.json).
A test runs Schemathesis against it on a live server, so it stays true."""

from __future__ import annotations

NUMBER = {"type": "number", "nullable": True}

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "integer"}, "message": {"type": "string"}},
}

META = {
    "type": "object",
    "properties": {
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "total": {"type": "integer", "minimum": 0},
    },
}

CYCLE = {
    "type": "object",
    "required": ["period", "state", "opens_on", "due_on", "closes_on"],
    "properties": {
        "period": {"type": "string", "example": "2026-Q2"},
        "state": {"type": "string", "enum": ["open", "gesloten"]},
        "opens_on": {"type": "string", "format": "date"},
        "due_on": {"type": "string", "format": "date"},
        "closes_on": {"type": "string", "format": "date"},
    },
}

INDICATOR = {
    "type": "object",
    "required": ["code", "name", "unit", "direction", "norm"],
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "computation": {"type": "string"},
        "unit": {"type": "string"},
        "direction": {"type": "string", "enum": ["hoger_beter", "lager_beter"]},
        "norm": {"type": "number"},
        "green_threshold": {"type": "number"},
        "orange_threshold": {"type": "number"},
        "region": {"type": "string", "nullable": True, "description": "regional indicator"},
    },
}

SCOPE = {
    "type": "object",
    "required": ["type", "id", "name"],
    "properties": {
        "type": {"type": "string", "enum": ["land", "regio", "gemeente", "organisatie"]},
        "id": {"type": "integer", "minimum": 0},
        "code": {"type": "string", "nullable": True, "example": "GM0935"},
        "name": {"type": "string"},
    },
}

RESULT = {
    "type": "object",
    "required": ["cycle", "scope_type", "scope_id", "indicator", "value", "signal"],
    "properties": {
        "cycle": {"type": "string"},
        "scope_type": {"type": "string", "enum": ["land", "regio", "gemeente", "organisatie"]},
        "scope_id": {"type": "integer"},
        "scope_code": {"type": "string", "nullable": True},
        "scope_name": {"type": "string"},
        "indicator": {"type": "string"},
        "indicator_name": {"type": "string"},
        "unit": {"type": "string"},
        "value": {
            **NUMBER,
            "description": "numerator / denominator in the indicator's unit (for unit % "
            "the fraction as a percentage: 0.629 is 62.9)",
        },
        "numerator": {
            **NUMBER,
            "description": "as in the workbook's Gegevens sheet; numerators and "
            "denominators of several scopes may be added up and divided again",
        },
        "denominator": {
            **NUMBER,
            "description": "as in the workbook's Gegevens sheet, in the same unit as the "
            "numerator (mean compliance: 4 points per scored answer)",
        },
        "signal": {
            "type": "string",
            "enum": ["geen", "groen", "oranje", "rood"],
            "description": "against `norm`: the norm the scope's results page uses (its "
            "region's own norm where the region set one, else the national norm)",
        },
        "norm": {"type": "number", "description": "the norm `signal` is judged against"},
        "norm_source": {
            "type": "string",
            "enum": ["landelijk", "regionaal"],
            "description": "whether `norm` is the national norm or a region's own",
        },
        "national_signal": {
            "type": "string",
            "enum": ["geen", "groen", "oranje", "rood"],
            "nullable": True,
            "description": "against the national norm (used in every comparison between "
            "regions); null for a region's own indicator",
        },
        "national_norm": {**NUMBER, "description": "the national norm"},
        "change": {**NUMBER, "description": "since the previous cycle"},
        "trend_break": {"type": "boolean"},
        "n_organisations": {"type": "integer", "minimum": 0},
    },
}


def _list(item: dict) -> dict:
    return {
        "type": "object",
        "required": ["data", "meta"],
        "properties": {"data": {"type": "array", "items": item}, "meta": META},
    }


def _ok(item: dict, description: str) -> dict:
    return {
        "description": description,
        "headers": {
            "ETag": {"schema": {"type": "string"}},
            "Last-Modified": {"schema": {"type": "string"}},
        },
        "content": {
            "application/json": {"schema": _list(item)},
            "text/csv": {"schema": {"type": "string"}},
        },
    }


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


FORMAT = {
    "name": "format",
    "in": "query",
    "description": "json (default), csv (comma, decimal point) or csv-nl (semicolons and "
    "decimal comma, for Excel's Power Query)",
    "schema": {"type": "string", "enum": ["json", "csv", "csv-nl"], "default": "json"},
}
PAGE = {
    "name": "page",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1},
}
PER_PAGE = {
    "name": "per_page",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
}
CYCLE_PARAM = {
    "name": "cycle",
    "in": "query",
    "description": "a cycle's period (e.g. 2026-Q2); without it, every cycle",
    "schema": {"type": "string", "maxLength": 16},
}
SCOPE_TYPE = {
    "name": "scope_type",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": ["land", "regio", "gemeente", "organisatie"]},
}
SCOPE_ID = {
    "name": "scope_id",
    "in": "path",
    "required": True,
    "description": "the id of the region, gemeente or organisation (0 for the country)",
    "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647},
}

COMMON = {
    "304": {"description": "Not modified since the ETag or date the client sent"},
    "400": _error("A parameter is not valid"),
    "401": _error("No valid token: missing, expired or revoked"),
    "429": _error("Too many requests; see Retry-After"),
}


def _operation(summary: str, item: dict, parameters: list, operation_id: str) -> dict:
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "parameters": parameters,
            "responses": {
                "200": _ok(item, summary),
                **COMMON,
                "404": _error("Unknown, or outside the token's scope"),
            },
        }
    }


def description(base: str = "/api/v1") -> dict:
    """The OpenAPI document, with the server at `base`."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Afsprakenmonitor open data",
            "version": "1",
            "description": "Read-only figures of the succesindicatoren per cycle and scope: "
            "every figure the token owner's results pages show (their own scopes, the "
            "regions those lie in, and the country), and nothing else. Create a personal "
            "access token under Mijn account → API-tokens and send it as "
            "`Authorization: Bearer <token>`. A closed cycle's figures are judged against the "
            "definitions and norms in force when it closed. The ETag changes whenever a name "
            "or figure in the answer changes; Last-Modified whenever figures, definitions, "
            "norms or names were last saved. CSV output holds no control characters, and a "
            "text that a spreadsheet could take for a formula starts with an apostrophe.",
        },
        "servers": [{"url": base}],
        "security": [{"token": []}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/cycles": _operation("Cycles with results", CYCLE, [FORMAT], "listCycles"),
            "/indicators": _operation(
                "Indicators with their definitions and norms", INDICATOR, [FORMAT],
                "listIndicators",
            ),
            "/scopes/{scope_type}": _operation(
                "The scopes of a type the token may read", SCOPE,
                [SCOPE_TYPE, PAGE, PER_PAGE, FORMAT], "listScopes",
            ),
            "/results/{scope_type}": _operation(
                "Results of every scope of a type the token may read, a page of scopes at a time",
                RESULT, [SCOPE_TYPE, CYCLE_PARAM, PAGE, PER_PAGE, FORMAT], "listResults",
            ),
            "/results/{scope_type}/{scope_id}": _operation(
                "Results of one scope", RESULT, [SCOPE_TYPE, SCOPE_ID, CYCLE_PARAM, FORMAT],
                "scopeResults",
            ),
        },
    }  # fmt: skip
