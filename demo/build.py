"""Building the demo data set in one transaction, and clearing it again."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable

from demo.answers import add_assessments
from demo.cycles import add_cycles, current_period, quarter_periods
from demo.organisations import add_organisations
from demo.people import add_users
from demo.rows import fix_sequences
from demo.scales import SCALES
from domain.framework import current_framework
from models import (
    Answer,
    Assessment,
    AssessmentChange,
    AuditEvent,
    Cycle,
    EscalationSignal,
    ImprovementAction,
    NotWorkingTogether,
    Organisation,
    OrganisationGemeente,
    OutboxMessage,
    PartnerRating,
    ReportFile,
    ReportRun,
    RoleAssignment,
    ScopeResult,
    User,
    db,
)
from models.db import analyze

logger = logging.getLogger(__name__)


def has_demo_data() -> bool:
    """True when organisations exist already."""
    return Organisation.select().exists()


def clear_demo_data() -> None:
    """Remove organisations, users, cycles and everything hanging off them; the
    reference data, framework and indicator definitions stay."""
    with db.atomic():
        for model in (
            OutboxMessage,
            ReportFile,
            ReportRun,
            ScopeResult,
            AssessmentChange,
            EscalationSignal,
            ImprovementAction,
            NotWorkingTogether,
            PartnerRating,
            Answer,
            Assessment,
            Cycle,
            AuditEvent,
            RoleAssignment,
            User,
            OrganisationGemeente,
            Organisation,
        ):
            model.delete().execute()


def generate(
    scale: str = "small",
    seed: int = 1,
    last_period: str | None = None,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Build demo organisations, users, cycles, assessments and answers."""
    if scale not in SCALES:
        raise ValueError(f"onbekende schaal {scale!r}; kies uit {', '.join(SCALES)}")
    spec = SCALES[scale]
    today = today or dt.date.today()
    last_period = last_period or current_period(today)
    say = progress or (lambda message: None)
    framework = current_framework()
    if framework is None:
        raise RuntimeError("er is geen gepubliceerd afsprakenkader; laad eerst het standaardkader")
    rng = random.Random(seed)
    started = time.monotonic()
    with db.atomic():
        orgs = add_organisations(rng, spec)
        say(f"{len(orgs)} organisaties")
        users = add_users(rng, orgs, spec)
        say(f"{users} gebruikers")
        periods = quarter_periods(last_period, spec.cycles)
        cycles = add_cycles(framework, periods, today)
        say(f"{len(cycles)} rondes")
        counts = add_assessments(rng, framework, orgs, cycles, today, say)
    loaded = [
        Assessment,
        Answer,
        ImprovementAction,
        EscalationSignal,
        PartnerRating,
        AssessmentChange,
        Organisation,
        OrganisationGemeente,
        User,
        RoleAssignment,
    ]
    fix_sequences(loaded)
    analyze(*loaded)
    counts.update(organisations=len(orgs), users=users, cycles=len(cycles))
    logger.info(
        "demo data %s (seed %s) in %.1fs: %s", scale, seed, time.monotonic() - started, counts
    )
    return counts
