"""Schemathesis against the OpenAPI description on a live server (127.0.0.1,
a free port): every operation with valid and invalid input answers without a
server error and as described."""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from domain import api_tokens, computation
from tests import factories
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture


@pytest.fixture
def live_api(app, world):  # noqa: F811 - the fixture imported above
    computation.recompute()
    app.config["API_RATE_PER_MINUTE"] = 1_000_000  # the run itself must not hit the limit
    owner = factories.user(("regiocoordinator", world["r1"]), ("gemeente", world["g3"]))
    _, secret = api_tokens.create_token(owner, "schemathesis", 1)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", secret
    server.shutdown()
    thread.join()


def _schemathesis(url: str, secret: str, tmp_path: Path, examples: int) -> None:
    binary = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert binary, "schemathesis is a test dependency (pyproject.toml)"
    result = subprocess.run(  # noqa: S603 - our own tool with fixed arguments
        [
            binary, "run", f"{url}/api/v1/openapi.json",
            "--header", f"Authorization: Bearer {secret}",
            "--checks", "all",
            "--mode", "all",
            "--phases", "examples,coverage,fuzzing",
            "--max-examples", str(examples),
            "--seed", "16",
            "--generation-database", "none",
            "--workers", "1",
            "--no-color",
            "--report-dir", str(tmp_path / "report"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        cwd=tmp_path,  # its cache of crashes stays out of the repository
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    print(result.stdout[-3000:])
    assert "5 passed" in result.stdout, result.stdout[-3000:]


def test_api_keeps_its_openapi_description(live_api, tmp_path):
    url, secret = live_api
    _schemathesis(url, secret, tmp_path, examples=8)


@pytest.mark.slow
def test_api_keeps_its_openapi_description_long(live_api, tmp_path):
    url, secret = live_api
    _schemathesis(url, secret, tmp_path, examples=200)
