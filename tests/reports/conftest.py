"""The small hand-made data set of the computation tests, with results computed
and a few people who receive reports."""

import datetime as dt
import os
import shutil

import pytest

from domain import computation
from models import ImprovementAction, Organisation
from tests import factories
from tests.domain.test_computation import world  # noqa: F401 - the shared fixture


def require(tool: str) -> str:
    """A Debian tool the test needs: skipped locally without it, required in CI."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is required in CI (.ci/run installs it)")
        pytest.skip(f"{tool} is not installed")
    return path


@pytest.fixture
def reports_world(world):  # noqa: F811 - the fixture imported above
    o = world["orgs"]
    # Names a report must render and keep as text: ĳ, ë, € and markup.
    Organisation.update(name="Jeugdteam Ĳsselmonde & Coëvorden €").where(
        Organisation.id == o["C"].id
    ).execute()
    ImprovementAction.update(description="<b>Overleg</b> & <font>plannen</font>").where(
        ImprovementAction.status == "open"
    ).execute()
    # Text that a spreadsheet would take for a formula.
    world["risky"] = [
        factories.organisation(world["r1"], "cjg", name)
        for name in ('=HYPERLINK("http://x")', "+31 6 1234", "-2+3", "@SUM(A1)")
    ]
    world["people"] = {
        "manager_a": factories.user(("manager", o["A"]), email="manager.a@example.nl"),
        "manager_c": factories.user(("manager", o["C"]), email="manager.c@example.nl"),
        "invuller_a": factories.user(("invuller", o["A"]), email="invuller.a@example.nl"),
        "coordinator_1": factories.user(
            ("regiocoordinator", world["r1"]), email="coordinator.1@example.nl"
        ),
        "gemeente_2": factories.user(("gemeente", world["g2"]), email="gemeente.2@example.nl"),
    }
    computation.recompute()
    world["now"] = dt.datetime(2026, 7, 20, 3, 30)
    return world
