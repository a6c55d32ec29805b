"""Cycle transitions, invitations and reminders."""

import datetime as dt

import pytest

from domain import (
    assessment_access,
    assessment_agreements,
    assessment_form,
    assessment_saving,
    cycles,
)
from models import Assessment, AuditEvent, Cycle, OutboxMessage
from tests import factories

LINK = "https://monitor.example/zelfevaluaties/{}".format


@pytest.fixture
def chain(database):
    fw = factories.default_framework()
    region = factories.region()
    jgz = factories.organisation(region, "jgz", "JGZ Test")
    team = factories.organisation(region, "wijkteam", "Wijkteam Test")
    gone = factories.organisation(region, "cjg", "CJG Opgeheven", active=False)
    admin = factories.user(("beheerder",))
    people = {
        "manager": factories.user(("manager", jgz)),
        "invuller": factories.user(("invuller", jgz)),
        "team_manager": factories.user(("manager", team)),
        "coordinator": factories.user(("regiocoordinator", region)),
    }
    return {
        "fw": fw,
        "region": region,
        "jgz": jgz,
        "team": team,
        "gone": gone,
        "admin": admin,
        **people,
    }


def _cycle(chain, **kwargs):
    values = {
        "period": "2027-Q1",
        "framework": chain["fw"],
        "opens_on": dt.date(2027, 2, 1),
        "due_on": dt.date(2027, 3, 15),
        "closes_on": dt.date(2027, 4, 15),
    }
    values.update(kwargs)
    return cycles.create_cycle(chain["admin"], **values)


def test_create_checks_its_input(chain):
    with pytest.raises(cycles.CycleError, match="periode"):
        _cycle(chain, period="eerste kwartaal")
    with pytest.raises(cycles.CycleError, match="volgorde"):
        _cycle(chain, due_on=dt.date(2027, 5, 1))
    with pytest.raises(cycles.CycleError, match="Herinneringsdagen"):
        _cycle(chain, reminder_days="7, morgen")
    cycle = _cycle(chain, reminder_days="1; 14 7 7")
    assert cycle.state == "gepland"
    assert cycle.reminder_days == "14,7,1"
    with pytest.raises(cycles.CycleError, match="bestaat al"):
        _cycle(chain)


def test_unpublished_framework_is_refused(chain):
    from models import FrameworkVersion

    FrameworkVersion.update(state="concept").execute()
    with pytest.raises(cycles.CycleError, match="gepubliceerde"):
        _cycle(chain, framework=FrameworkVersion.get())


def test_open_creates_assessments_and_invites(chain):
    cycle = _cycle(chain)
    assert Assessment.select().count() == 0  # a planned cycle does nothing yet
    created = cycles.open_cycle(chain["admin"], cycle, LINK)
    assert created == 2  # the inactive CJG is left out
    assert {a.organisation_id for a in Assessment.select()} == {chain["jgz"].id, chain["team"].id}
    assert {a.state for a in Assessment.select()} == {"niet_gestart"}
    invited = sorted(m.to_address for m in OutboxMessage.select())
    assert invited == sorted(chain[k].email for k in ("manager", "invuller", "team_manager"))
    message = OutboxMessage.get(OutboxMessage.to_address == chain["manager"].email)
    assert message.subject == "Zelfevaluatie 2027-Q1 staat open"
    jgz_assessment = Assessment.get(Assessment.organisation == chain["jgz"])
    assert LINK(jgz_assessment.id) in message.body_text
    assert Cycle.get_by_id(cycle.id).state == "open"
    assert AuditEvent.get(AuditEvent.action == "cycle_opened").details["assessments"] == 2
    with pytest.raises(cycles.CycleError):
        cycles.open_cycle(chain["admin"], Cycle.get_by_id(cycle.id), LINK)
    assert OutboxMessage.select().count() == 3


def test_close_freezes_every_assessment(chain):
    cycle = _cycle(chain)
    cycles.open_cycle(chain["admin"], cycle, LINK)
    cycles.close_cycle(chain["admin"], cycle)
    assessment = Assessment.get(Assessment.organisation == chain["jgz"])
    assert not assessment_access.can_edit(chain["manager"], assessment)
    parsed = assessment_form.parse_form(
        {}, assessment_agreements.applicable_agreements(assessment), dt.date(2027, 4, 16)
    )
    with pytest.raises(assessment_saving.StateError):
        assessment_saving.save_answers(chain["manager"], assessment, assessment.version, parsed)
    with pytest.raises(cycles.CycleError):
        cycles.close_cycle(chain["admin"], Cycle.get_by_id(cycle.id))
    event = AuditEvent.get(AuditEvent.action == "cycle_closed")
    assert event.details["niet_gestart"] == 2


def test_reminders_on_configured_days_only_once(chain):
    cycle = _cycle(chain, reminder_days="7,1")
    cycles.open_cycle(chain["admin"], cycle, LINK)
    submitted = Assessment.get(Assessment.organisation == chain["team"])
    Assessment.update(state="ingediend").where(Assessment.id == submitted.id).execute()
    before = OutboxMessage.select().count()
    assert cycles.send_reminders(dt.date(2027, 3, 7), LINK) == 0  # 8 days left: no reminder day
    assert cycles.send_reminders(dt.date(2027, 3, 8), LINK) == 2  # 7 days: manager and invuller
    assert cycles.send_reminders(dt.date(2027, 3, 8), LINK) == 0  # a rerun sends nothing new
    reminders = OutboxMessage.select().order_by(OutboxMessage.id).offset(before)
    assert {m.to_address for m in reminders} == {chain["manager"].email, chain["invuller"].email}
    assert "nog 7 dagen" in reminders[0].subject
    assert "0 van de" in reminders[0].body_text
    assert cycles.send_reminders(dt.date(2027, 3, 14), LINK) == 2


def test_remind_now_once_a_day(chain):
    cycle = _cycle(chain)
    cycles.open_cycle(chain["admin"], cycle, LINK)
    assessment = Assessment.get(Assessment.organisation == chain["jgz"])
    day = dt.date(2027, 3, 1)
    assert cycles.remind_now(chain["coordinator"], assessment, LINK, day) == 2
    assert cycles.remind_now(chain["coordinator"], assessment, LINK, day) == 0
    assert cycles.remind_now(chain["coordinator"], assessment, LINK, day + dt.timedelta(1)) == 2
    assert AuditEvent.select().where(AuditEvent.action == "reminder_sent").count() == 3


def test_monitor_rows_show_progress_and_lateness(chain):
    cycle = _cycle(
        chain,
        opens_on=dt.date(2020, 1, 1),
        due_on=dt.date(2020, 2, 1),
        closes_on=dt.date(2030, 1, 1),
        period="2020-Q1",
    )
    cycles.open_cycle(chain["admin"], cycle, LINK)
    rows = {r["organisation"].name: r for r in cycles.monitor_rows(cycle)}
    assert rows["JGZ Test"]["timing"] == "te laat"
    assert rows["JGZ Test"]["total"] == len(
        assessment_agreements.applicable_agreements(
            Assessment.get(Assessment.organisation == chain["jgz"])
        )
    )
    assert rows["Wijkteam Test"]["answered"] == 0
