"""Text and ids as they come in from people and files: control characters are
refused where text enters, removed where stored text goes out (Excel, PDF,
CSV, mail), and ids are bounded before they reach a query."""

from __future__ import annotations

import re

from models.choices import N_

# Ids are 32-bit serial columns (PostgreSQL SERIAL); anything past this cannot
# be a row, and SQLite's driver raises OverflowError past 2**63.
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")

# Every control character (Unicode category Cc: C0, DEL, C1) except tab and
# newline, the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
# U+2066–U+2069: they make text read differently from how it is stored), and
# lone surrogates (which cannot be encoded for the database).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What writers remove: the same, plus tab and newline where a line is expected.
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

MSG_CONTROL = N_("Deze tekst bevat een onzichtbaar stuurteken; verwijder het en probeer opnieuw.")
MSG_TOO_LONG = N_("Deze tekst is te lang: hoogstens %(limit)s tekens.")

# The longest text each kind of stored field holds (characters): one table for
# the forms, the imports, the framework and indicator files and the CLI (the
# README lists it). The database columns are at least this wide.
LIMITS = {
    "code": 32,  # agreement, theme, source and indicator codes
    "region_code": 8,
    "region_name": 100,
    "gemeente_name": 100,
    "name": 200,  # organisations, people, indicators, framework titles, action owners
    "title": 300,  # agreements and source documents
    "token_name": 100,
    "email": 254,
    "slug": 64,
    "short_text": 1_000,  # reasons, improvement actions, references
    "recompute_reason": 500,  # why a beheerder recomputes a cycle now
    "text": 5_000,  # explanations, goals, guidance, descriptions
}


def parse_int(raw: object, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits within [low, high], or None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _DIGITS.fullmatch(raw):
        value = int(raw)
    else:
        return None
    return value if low <= value <= high else None


def parse_id(raw: object) -> int | None:
    """A row id (1 to MAX_ID, ASCII digits), or None for anything else: signs,
    spaces, other scripts' digits, 0, or a number no row can hold."""
    return parse_int(raw, 1, MAX_ID)


def normalise_newlines(text: str) -> str:
    """Browsers post line breaks as CR LF: store them as LF."""
    return text.replace("\r\n", "\n")


def has_control(text: str, *, multiline: bool = True) -> bool:
    """True when the text holds a control character other than tab and newline
    (for a single line, tab and newline count as control characters too)."""
    pattern = _CONTROL if multiline else _CONTROL_LINE
    return bool(pattern.search(text))


def control_problem(text: str, *, multiline: bool = True) -> str | None:
    """The Dutch message for a field holding control characters, else None."""
    return MSG_CONTROL if has_control(text, multiline=multiline) else None


class TextProblem(str):
    """A Dutch message (for N_/gettext) with the values it names, as
    `gettext(problem, **problem.params)` fills them in."""

    params: dict

    def __new__(cls, message: str, **params):
        problem = super().__new__(cls, message)
        problem.params = params
        return problem


def line_problem(text: str, limit: int, *, multiline: bool = False) -> TextProblem | None:
    """The one check of text that people or files store: no control characters
    (for a single line, no tab or line break either) and at most `limit`
    characters. The message, or None when the text is fine."""
    if has_control(text, multiline=multiline):
        return TextProblem(MSG_CONTROL)
    if len(text) > limit:
        return TextProblem(MSG_TOO_LONG, limit=limit)
    return None


def shortened(text: str, limit: int) -> str:
    """Stored text cut to `limit` characters with "…" at the end where longer,
    for writers that must show text stored before it was limited."""
    if not isinstance(text, str) or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def printable(text: str, *, multiline: bool = False) -> str:
    """Stored text made safe for a writer: control characters (and, for a
    single line, tabs and newlines) removed; surrogates dropped."""
    if not isinstance(text, str):
        return text
    pattern = _CONTROL if multiline else _CONTROL_LINE
    return pattern.sub("", text)


def visible(text: str) -> str:
    """The text with each control character shown as the replacement mark (U+FFFD),
    to point at it in a message without printing it."""
    return _CONTROL_LINE.sub("\ufffd", text)
