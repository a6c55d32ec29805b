"""Screenshots of the demo for the README and the guides in docs/.

Serves the demo database (built by `make setup`) on a free port of
127.0.0.1, logs in as each demo account in Debian's Chromium, saves PNG
files and stops the server again:

    make screenshots                     # into docs/img/
    .venv/bin/python scripts/screenshots.py --out /tmp/shots --width 390

Run it after a change to a page the docs show, so the pictures stay current.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from demo import DEMO_PASSWORD as PASSWORD

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DOMAIN = "demo.afsprakenmonitor.nl"

# The demo accounts `flask setup` prints (the demo package makes them).
ACCOUNTS = {
    "beheerder": f"beheerder@{DOMAIN}",
    "regiocoordinator": f"coordinator.vr24@{DOMAIN}",
    "manager": f"manager.jgz.zuid.limburg.team.noord@{DOMAIN}",
    "invuller": f"invuller1.jgz.zuid.limburg.team.noord@{DOMAIN}",
    "gemeente": f"gemeente.landgraaf@{DOMAIN}",
}


@dataclass(frozen=True)
class Shot:
    """One picture: who is logged in, where to go, and the file name."""

    name: str
    role: str | None
    path: str  # a path, or "first:<css selector>" to follow the first matching link from home
    full_page: bool = False


SHOTS = (
    # The three of the README.
    Shot("home-invuller", "invuller", "/"),
    Shot("form-invuller", "invuller", "first:.step-main a.button"),
    Shot("results-regiocoordinator", "regiocoordinator", "first:.step a[href*='resultaten/regio']"),
    # The guides.
    Shot("home-manager", "manager", "/"),
    Shot("home-regiocoordinator", "regiocoordinator", "/"),
    Shot("monitor-regiocoordinator", "regiocoordinator", "first:.step-main a.button"),
    Shot("home-gemeente", "gemeente", "/"),
    Shot("results-gemeente", "gemeente", "first:.step-main a.button"),
    Shot("home-beheerder", "beheerder", "/"),
    Shot("cycles-beheerder", "beheerder", "/beheer/rondes"),
    Shot("help", None, "/hulp"),
    Shot("footer", None, "/over-deze-monitor", full_page=True),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the demo site stopped at start (exit {server.returncode})")
        try:
            # Our own server on 127.0.0.1 (http only).
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the demo site did not answer on {base} within {seconds:.0f} s")


def start_server(port: int, **environment: str) -> subprocess.Popen:
    """The demo site under Flask's own server, over plain HTTP on 127.0.0.1."""
    env = dict(os.environ, SESSION_COOKIE_SECURE="false", **environment)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)]
    return subprocess.Popen(  # noqa: S603 - our own server with our own arguments
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def take(base: str, out: Path, widths: list[int], only: set[str] | None = None) -> list[Path]:
    """Every shot at every width; a width other than the first gets a suffix."""
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for width in widths:
                contexts: dict[str | None, object] = {}
                for shot in SHOTS:
                    if only and shot.name not in only:
                        continue
                    if shot.role not in contexts:
                        contexts[shot.role] = _context(browser, base, shot.role, width)
                    page = contexts[shot.role].new_page()
                    _go(page, base, shot.path)
                    suffix = "" if width == widths[0] else f"-{width}"
                    target = out / f"{shot.name}{suffix}.png"
                    page.screenshot(path=str(target), full_page=shot.full_page)
                    page.close()
                    written.append(target)
                for context in contexts.values():
                    context.close()
        finally:
            browser.close()
    return written


def _context(browser, base: str, role: str | None, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="nl-NL")
    if role is not None:
        page = context.new_page()
        page.goto(f"{base}/inloggen")
        page.fill("#email", ACCOUNTS[role])
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_load_state()
        if re.search(r"/inloggen", page.url):
            raise SystemExit(f"could not log in as the demo {role}: run `make setup` first")
        page.close()
    return context


def _go(page, base: str, path: str) -> None:
    if path.startswith("first:"):
        page.goto(f"{base}/")
        page.locator(path.removeprefix("first:")).first.click()
    else:
        page.goto(f"{base}{path}")
    page.wait_for_load_state()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--width", type=int, action="append", help="repeatable; default 1280")
    parser.add_argument("--url", help="use a site that is already running instead of starting one")
    parser.add_argument("--only", action="append", help="a shot name; repeatable")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    widths = args.width or [1280]
    only = set(args.only) if args.only else None
    if args.url:
        written = take(args.url.rstrip("/"), args.out, widths, only)
    else:
        port = free_port()
        server = start_server(port)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, server)
            written = take(base, args.out, widths, only)
        finally:
            stop_server(server)
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
