"""The NL Design System as the pages use it: the component CSS that `make
install` builds from the npm package the lockfile pins (served from our own
static folder, its licence beside it), the project's theme of design tokens,
and the status badge of the five states of a self-assessment."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from web import labels

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "web" / "static"
VENDOR = STATIC / "vendor" / "utrecht.css"
PACKAGE = "@utrecht/component-library-css"


def _vendor_css() -> str:
    if not VENDOR.is_file():
        pytest.fail(f"{VENDOR.relative_to(ROOT)} is missing: `make install` builds it (npm ci)")
    return VENDOR.read_text()


def _luminance(colour: str) -> float:
    if len(colour) == 4:  # #fff
        colour = "#" + "".join(c * 2 for c in colour[1:])
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    high, low = sorted([_luminance(one), _luminance(other)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def _theme() -> dict[str, str]:
    """The tokens of theme.css with var() references resolved."""
    tokens = dict(re.findall(r"(--[a-z0-9-]+):\s*([^;]+);", (STATIC / "theme.css").read_text()))

    def resolve(value: str) -> str:
        ref = re.fullmatch(r"var\((--[a-z0-9-]+)\)", value.strip())
        return resolve(tokens[ref.group(1)]) if ref else value.strip()

    return {name: resolve(value) for name, value in tokens.items()}


def test_the_css_comes_from_the_locked_package_with_its_licence(client):
    lock = json.loads((ROOT / "package-lock.json").read_text())
    wanted = json.loads((ROOT / "package.json").read_text())["dependencies"][PACKAGE]
    locked = lock["packages"][f"node_modules/{PACKAGE}"]
    assert locked["version"] == wanted  # pinned exactly
    assert locked["license"] == "EUPL-1.2"
    # Every package it brings is EUPL-1.2 too.
    assert {p["license"] for name, p in lock["packages"].items() if name} == {"EUPL-1.2"}
    css = _vendor_css()
    assert f"{PACKAGE} {wanted} (EUPL-1.2" in css.splitlines()[1]
    served = client.get("/static/vendor/utrecht.css")
    assert served.status_code == 200
    assert served.get_data(as_text=True) == css
    licence = client.get("/static/vendor/LICENSE.md")
    assert "EUROPEAN UNION PUBLIC LICENCE v. 1.2" in licence.get_data(as_text=True)
    licence.close()
    served.close()


def test_every_page_loads_the_components_then_the_theme_then_ours(client):
    page = client.get("/inloggen").get_data(as_text=True)
    assert re.search(r'<html lang="nl" class="afsprakenmonitor-theme">', page)
    sheets = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', page)
    assert sheets[:3] == ["vendor/utrecht.css", "theme.css", "style.css"]
    assert "//" not in "".join(sheets)  # nothing from elsewhere
    for part in ("utrecht-page-header", "utrecht-page-footer", "utrecht-button", "utrecht-textbox"):
        assert part in page


def test_every_component_class_the_pages_use_is_in_the_built_css():
    """The Makefile copies only the components it names: a class used in a
    template (or written by Python or JavaScript) must be among them."""
    css = _vendor_css()
    sources = [
        *(ROOT / "web" / "templates").rglob("*.html"),
        *(ROOT / "web").glob("*.py"),
        *STATIC.glob("*.js"),
    ]
    used = set()
    for path in sources:
        used |= set(re.findall(r"\butrecht-[a-z0-9]+(?:[_-]{1,2}[a-z0-9]+)*", path.read_text()))
    assert used, "no component class found"
    missing = sorted(name for name in used if f".{name}" not in css)
    assert missing == []


def test_every_token_of_the_theme_is_one_a_component_reads():
    """A misspelt token name is silently ignored by the browser."""
    read = _vendor_css() + (STATIC / "style.css").read_text()
    names = set(re.findall(r"(--utrecht-[a-z0-9-]+):", (STATIC / "theme.css").read_text()))
    assert len(names) > 100
    unread = sorted(name for name in names if f"var({name}" not in read)
    assert unread == []


@pytest.mark.parametrize(
    ("text", "background"),
    [
        ("--utrecht-document-color", "--utrecht-document-background-color"),
        ("--utrecht-link-color", "--utrecht-document-background-color"),
        ("--utrecht-nav-bar-color", "--utrecht-nav-bar-background-color"),
        ("--utrecht-page-footer-color", "--utrecht-page-footer-background-color"),
        ("--utrecht-page-header-color", "--utrecht-page-header-background-color"),
        (
            "--utrecht-button-primary-action-color",
            "--utrecht-button-primary-action-background-color",
        ),
        (
            "--utrecht-button-primary-action-hover-color",
            "--utrecht-button-primary-action-hover-background-color",
        ),
        (
            "--utrecht-button-secondary-action-color",
            "--utrecht-button-secondary-action-background-color",
        ),
        (
            "--utrecht-button-secondary-action-hover-color",
            "--utrecht-button-secondary-action-hover-background-color",
        ),
        ("--utrecht-form-field-error-message-color", "--utrecht-document-background-color"),
        ("--utrecht-form-field-description-color", "--utrecht-document-background-color"),
        *[
            (f"--utrecht-alert-{kind}-color", f"--utrecht-alert-{kind}-background-color")
            for kind in ("info", "ok", "warning", "error")
        ],
        ("--utrecht-status-badge-color", "--utrecht-status-badge-background-color"),
        *[
            (
                f"--utrecht-status-badge-{kind}-color",
                f"--utrecht-status-badge-{kind}-background-color",
            )
            for kind in ("inactive", "neutral", "warning", "success", "danger", "error")
        ],
    ],
)
def test_the_theme_text_colours_meet_4_5_to_1(text, background):
    theme = _theme()
    assert _contrast(theme[text], theme[background]) >= 4.5


def test_the_five_states_of_an_assessment_are_badges_of_their_own(app):
    assert [
        labels.DISPLAY_STATES[state]
        for state in ("niet_gestart", "concept", labels.READY, "ingediend", "heropend")
    ] == ["Niet gestart", "Bezig", "Klaar voor controle", "Ingediend", "Heropend"]
    macros = app.jinja_env.get_template("_macros.html").module
    badges = {
        state: str(macros.status_tag(state, label))
        for state, label in labels.DISPLAY_STATES.items()
    }
    modifiers = {
        state: re.search(r"utrecht-status-badge--([a-z]+)", badge).group(1)
        for state, badge in badges.items()
    }
    assert len(set(modifiers.values())) == 5  # a colour per state
    theme = _theme()
    backgrounds = {
        theme[f"--utrecht-status-badge-{m}-background-color"] for m in modifiers.values()
    }
    assert len(backgrounds) == 5
    assert badges["concept"].endswith(">Bezig</span>")
    assert 'class="status-tag status-concept utrecht-status-badge ' in badges["concept"]
