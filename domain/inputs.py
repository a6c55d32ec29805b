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
# newline, and lone surrogates (which cannot be encoded for the database).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# What writers remove: the same, plus tab and newline where a line is expected.
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

MSG_CONTROL = N_("Deze tekst bevat een onzichtbaar stuurteken; verwijder het en probeer opnieuw.")


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
