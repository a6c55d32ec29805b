"""In CI the PostgreSQL half of the database tests is required, never skipped."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = "tests/domain/test_reference.py::test_all_regions_and_gemeenten_load_once"


def _pytest(env_changes: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TEST_DATABASE_URL")}
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TARGET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ci_without_postgres_url_fails_the_run():
    result = _pytest({"CI": "true"})
    assert result.returncode != 0
    assert "PostgreSQL tests are required in CI" in result.stdout + result.stderr


def test_ci_with_unreachable_postgres_fails_instead_of_skipping():
    result = _pytest({"CI": "true", "TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"})
    assert result.returncode != 0
    assert "unreachable" in result.stdout
    assert "1 passed" in result.stdout  # the SQLite half still ran


def test_without_ci_a_missing_server_is_skipped():
    result = _pytest({})
    assert result.returncode == 0
    assert "1 passed, 1 skipped" in result.stdout
