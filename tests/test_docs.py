"""The README is the front door: short, its links resolve, no pointers to
files a clone does not have; the screenshot script that feeds docs/img is
importable and names only pictures the docs use."""

from __future__ import annotations

import importlib.util
import re
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _links(path: Path) -> list[str]:
    return [t for t in LINK.findall(path.read_text()) if not re.match(r"[a-z]+:", t)]


def test_readme_is_short_and_keeps_the_two_commands():
    text = README.read_text()
    assert len(text.splitlines()) <= 150
    assert re.search(r"^make run\s", text, re.M)
    assert re.search(r"^make test\s", text, re.M)
    assert "../shared" not in text
    assert "BRIEF.md" not in text


def test_every_link_in_the_readme_and_the_docs_resolves_to_a_file():
    missing = []
    for page in [README, *sorted(DOCS.glob("*.md"))]:
        for target in _links(page):
            if not (page.parent / target).resolve().is_file():
                missing.append(f"{page.relative_to(ROOT)} → {target}")
    assert missing == []


def test_readme_points_to_a_guide_per_role_and_the_rest_of_the_docs():
    links = set(_links(README))
    for role in ("invuller", "manager", "regiocoordinator", "gemeente", "beheerder"):
        assert f"docs/guide-{role}.md" in links
    assert {"docs/operations.md", "docs/data-feed.md", "docs/development.md"} <= links
    pictures = [t for t in links if t.endswith(".png")]
    assert len(pictures) == 3


def test_operations_has_the_reliability_and_security_sections():
    headings = re.findall(r"^## (.+)$", (DOCS / "operations.md").read_text(), re.M)
    for heading in ("Configuration", "Deployment", "Monitoring", "Backup and restore"):
        assert heading in headings
    assert "Reliability" in headings
    assert "Security" in headings


def _screenshot_module():
    spec = importlib.util.spec_from_file_location(
        "screenshots", ROOT / "scripts" / "screenshots.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("screenshots", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_screenshot_script_makes_every_picture_the_docs_show():
    shots = _screenshot_module()
    made = {f"img/{shot.name}.png" for shot in shots.SHOTS}
    shown = set()
    for page in DOCS.glob("*.md"):
        shown |= {t for t in _links(page) if t.endswith(".png")}
    shown |= {t.removeprefix("docs/") for t in _links(README) if t.endswith(".png")}
    # The quarterly mails (img/mail/) are pictures of mails, not of the demo's
    # pages: rendered from the outbox after `batch distribute`, not by this script.
    assert {t for t in shown if not t.startswith("img/mail/")} <= made
    # Every role that has a guide logs in with an account the demo makes.
    assert set(shots.ACCOUNTS) == {
        "beheerder",
        "regiocoordinator",
        "manager",
        "invuller",
        "gemeente",
    }


def test_screenshot_script_serves_on_a_free_port_and_stops_its_server(tmp_path):
    """The script's own server answers /health and is gone afterwards (an
    empty instance folder: the browser part is not run here)."""
    shots = _screenshot_module()
    port = shots.free_port()
    server = shots.start_server(port, INSTANCE_PATH=str(tmp_path))
    try:
        shots.wait_until_up(f"http://127.0.0.1:{port}", server)
    finally:
        shots.stop_server(server)
    assert server.returncode is not None
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_readme_security_section_lists_every_limit(monkeypatch, tmp_path):
    """Issue 26: the README's security section names every limit, with the
    numbers the code uses (so a changed limit fails here until it is told)."""
    from domain import accounts, api_tokens, inputs, limits, uploads
    from web.config import from_environment

    text = README.read_text()
    section = text.split("## Security", 1)[1].split("\n## ", 1)[0]
    numbers = {
        *inputs.LIMITS.values(),
        uploads.MAX_MEMBERS, uploads.MAX_RATIO, uploads.MAX_ROWS, uploads.MAX_COLUMNS,
        uploads.MAX_CELL, uploads.MAX_ELEMENTS, *uploads.PART_ELEMENTS.values(),
        uploads.PER_CELL, uploads.PER_TEXT, uploads.MAX_DEPTH, uploads.MAX_TEXT_RUN,
        uploads.MAX_PART_TEXT, uploads.MAX_TAG, uploads.MAX_YAML_NODES, inputs.MAX_ID,
        limits.ALLOWED["api_refused"], limits.ALLOWED["reset_request"], limits.RECORDED_EACH,
        api_tokens.MAX_ACTIVE, api_tokens.MAX_DAYS,
        accounts.MIN_PASSWORD_LENGTH, accounts.MAX_PASSWORD_LENGTH,
        accounts.FREE_FAILURES["account"], accounts.FREE_FAILURES["address"],
    }  # fmt: skip
    missing = [n for n in sorted(numbers) if f"{n:,}" not in section]
    assert missing == []
    for megabytes in (uploads.MAX_FILE_BYTES, uploads.MAX_UNPACKED_BYTES):
        assert f"{megabytes // 2**20} MB" in section
    monkeypatch.delenv("API_RATE_PER_MINUTE", raising=False)
    monkeypatch.setenv("SECRET_KEY", "docs")
    default = from_environment(tmp_path)["API_RATE_PER_MINUTE"]
    assert "API_RATE_PER_MINUTE" in section
    assert f"default {default}" in section
    for part in ("sheet", "shared strings", "styles", "workbook", "relationships"):
        assert part in section
