"""The one error pattern of every form: the problems of a post, each under the
id of the field it is about, so the page shows a summary at the top whose
links lead to the fields, the message at each field and the field marked
(`error_summary`, `field_error` and `field_state` in _macros.html). A page
with problems is rendered again with everything typed, never redirected."""

from __future__ import annotations

from domain.inputs import line_problem
from web.formatting import say

# The status of a page shown again because its form had problems.
INVALID = 400


class FieldErrors(dict[str, str]):
    """Problems by field id, in the order found; the first one of a field stays."""

    def add(self, field: str, message: str) -> None:
        """Note a translated message for the field, unless it already has one."""
        self.setdefault(field, message)

    def check_line(self, field: str, text: str, limit: int, *, multiline: bool = False) -> None:
        """Note the problem of stored text (a control character, too long), if any."""
        problem = line_problem(text, limit, multiline=multiline)
        if problem is not None:
            self.add(field, say(problem))


def page_status(errors: dict) -> int:
    """200 for a page without problems, INVALID for one shown again with them."""
    return INVALID if errors else 200
