"""Fixtures of the fault tests: a small demo database, batch processes with
a fault injected (tests/faults/driver.py), and what /proc says about them."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# How long a test waits for a process to reach a step or to end: generous,
# for a loaded machine; nothing is asserted about how long it took.
PATIENCE = 240


@pytest.fixture
def small_demo(database, database_url):
    """The small demo up to 2026-Q4 (open until 15-01-2027), its figures computed."""
    import demo
    from domain import computation, framework, indicators
    from domain.reference import load_reference_data

    load_reference_data()
    framework.import_framework(framework.load_file(framework.DEFAULT_FRAMEWORK), publish=True)
    indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
    demo.generate("small", 1, last_period="2026-Q4", today=dt.date(2026, 11, 23))
    computation.recompute()
    database.close()
    return database_url


class Batch:
    """Start batch processes (with a fault) on one database and report store,
    and make sure none outlives the test."""

    def __init__(self, database_url: str, instance: Path, mail_port: int = 1):
        self.database_url = database_url
        self.instance = instance
        self.reports = instance / "reports"
        self.mail_port = mail_port
        self.started: list[subprocess.Popen] = []
        self.others: set[int] = set()  # e.g. workers seen, killed at the end too

    def env(self, **extra: str) -> dict:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "INSTANCE_PATH": str(self.instance),
            "REPORTS_DIR": str(self.reports),
            "SECRET_KEY": "test",
            "MAIL_PORT": str(self.mail_port),
            "REPORT_PROCESSES": "2",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def start(
        self, fault: str, *command: str, own_group: bool = False, **env: str
    ) -> subprocess.Popen:
        """`own_group`: in a process group of its own, to signal it with its
        children as systemd and a terminal do. The output goes to a file (a
        pipe nobody reads would block the process once full)."""
        log = self.instance / f"batch-{len(self.started)}.log"
        with open(log, "w") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.faults.driver", fault, *command],
                cwd=ROOT,
                env=self.env(**env),
                stdout=handle,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=own_group,
            )
        process.log = log
        self.started.append(process)
        return process

    def finish(self, process: subprocess.Popen) -> str:
        """Wait for the process to end; its output."""
        process.wait(timeout=PATIENCE)
        return output(process)

    def run(self, fault: str, *command: str, **env: str) -> tuple[int, str]:
        process = self.start(fault, *command, **env)
        text = self.finish(process)
        return process.returncode, text

    def stop_all(self) -> None:
        for pid in self.others:
            if alive(pid):
                _signal(pid, signal.SIGKILL)
        for process in self.started:
            for pid in descendants(process.pid):
                _signal(pid, signal.SIGKILL)
            if process.poll() is None:
                _signal(process.pid, signal.SIGCONT)
                process.kill()
            process.wait(timeout=60)


@pytest.fixture
def batch(small_demo, tmp_path):
    runner = Batch(small_demo, tmp_path)
    yield runner
    runner.stop_all()


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def state(pid: int) -> str | None:
    """The process's state letter (R, S, T, Z, …); None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """Exists and is not a zombie waiting to be reaped."""
    return state(pid) not in (None, "Z")


def children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found |= {int(p) for p in handle.read().split()}
        except OSError:
            continue
    return found


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def wait_for(condition, what: str, patience: float = PATIENCE):
    """Poll until `condition()` is truthy and return it; fail after `patience` s."""
    deadline = time.monotonic() + patience
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {patience} s for: {what}")
        time.sleep(0.1)


def output(process: subprocess.Popen) -> str:
    return process.log.read_text(errors="replace")


def read_until(process: subprocess.Popen, marker: str) -> str:
    """Wait until the process's output has a line with `marker`; the output."""
    found = wait_for(
        lambda: (marker in (text := output(process)) and text) or process.poll() is not None,
        repr(marker),
    )
    text = output(process)
    if marker not in text:
        pytest.fail(f"{marker!r} never came; output:\n{text}")
    return found if isinstance(found, str) else text
