"""Read an HTML form's fields with the values the page shows, as a browser
would send them back (for the web benchmark and the query-count test)."""

from __future__ import annotations

from html.parser import HTMLParser


class FormReader(HTMLParser):
    """Collects input, select and textarea values by field name."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in attrs:
                    value = attrs.get("value")
                    self.fields[name] = "on" if value is None else value
            elif kind != "submit":
                self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(page: str) -> dict[str, str]:
    """The fields of the page's forms, as they would be posted unchanged."""
    reader = FormReader()
    reader.feed(page)
    return reader.fields
