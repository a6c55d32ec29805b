"""Recomputes beside the nightly: the open cycle follows the submissions
within minutes, and a beheerder's deliberate recompute of a closed cycle is
done once, audited, against the norms in force now, and said in its reports."""

import datetime as dt

import pytest
from pypdf import PdfReader

from domain import computation
from jobs import recompute
from models import (
    AuditEvent,
    Cycle,
    IndicatorDefinition,
    RecomputeRequest,
    ReportFile,
    ReportRun,
    utcnow,
)
from reports.data import recompute_note
from tests import factories
from tests.domain.test_computation import value, world  # noqa: F401 - the shared fixture


def test_the_open_cycle_follows_a_submission(world):  # noqa: F811
    computation.recompute()
    assert recompute.light_recompute() == {}  # nothing changed: no run at all
    assert not ReportRun.select().where(ReportRun.job == "bijwerken").exists()
    d = world["orgs"]["D"]
    assert value("MEAN", world["p2"], "organisatie", d.id) is None
    # D submits its assessment (a save: state and a new version).
    from models import Assessment

    now = utcnow()
    Assessment.update(
        state="ingediend",
        submitted_at=now,
        first_submitted_at=now,
        version=Assessment.version + 1,
        updated_at=now,
    ).where(Assessment.organisation == d, Assessment.cycle == world["p2"]).execute()
    assert recompute.open_cycles_changed() == [world["p2"]]
    summary = recompute.light_recompute()
    assert summary["cycles_recomputed"] == 1
    # D scored X1 0 and Y1 1: (0 + 1) of 8 points.
    assert value("MEAN", world["p2"], "organisatie", d.id) == pytest.approx(12.5)
    assert ReportRun.get(ReportRun.job == "bijwerken").state == "gereed"
    # The closed cycle was not touched; a second look finds nothing to do.
    assert recompute.light_recompute() == {}


def test_the_light_recompute_waits_for_a_busy_run(world):  # noqa: F811
    computation.recompute()
    ReportRun.create(
        job="nightly",
        period="2026-12-06",
        state="bezig",
        started_at=utcnow(),
        heartbeat_at=utcnow(),
    )
    IndicatorDefinition.update(norm=80, updated_at=utcnow() + dt.timedelta(seconds=5)).where(
        IndicatorDefinition.code == "MEAN"
    ).execute()
    assert recompute.light_recompute() == {"skipped": "bezig"}


def test_a_requested_recompute_is_done_once_with_the_norms_now(world, tmp_path):  # noqa: F811
    computation.recompute()
    p1 = world["p1"]  # closed: its definitions were frozen
    org = world["orgs"]["A"].id
    before = value("MEAN", p1, "organisatie", org)
    IndicatorDefinition.update(
        green_threshold=40, orange_threshold=20, revision=2, updated_at=utcnow()
    ).where(IndicatorDefinition.code == "MEAN").execute()
    computation.recompute()
    mean = IndicatorDefinition.get(IndicatorDefinition.code == "MEAN")
    from domain.results import figure

    assert figure(mean.id, p1.id, "organisatie", org).signal == "rood"  # 50 % < 60: as it was
    admin = factories.user(("beheerder", None))
    with pytest.raises(recompute.RequestError, match="reden"):
        recompute.request(admin, p1, "")
    row = recompute.request(admin, p1, "Norm MEAN gecorrigeerd")
    with pytest.raises(recompute.RequestError, match="al herberekend"):
        recompute.request(admin, p1, "nog een keer")
    assert AuditEvent.get(AuditEvent.action == "recompute_requested").details["reason"] == (
        "Norm MEAN gecorrigeerd"
    )
    assert recompute.run_requested(tmp_path) == ["2026-Q1"]
    assert recompute.run_requested(tmp_path) == []  # exactly once
    row = RecomputeRequest.get_by_id(row.id)
    assert (row.state, row.progress) == ("gereed", "klaar")
    assert value("MEAN", p1, "organisatie", org) == before
    assert figure(mean.id, p1.id, "organisatie", org).signal == "groen"  # 50 % ≥ 40 now
    run = ReportRun.get(ReportRun.job == "herberekenen")
    assert (run.state, run.summary["reason"]) == ("gereed", "Norm MEAN gecorrigeerd")
    # The rewritten reports say so.
    note = recompute_note(p1)
    assert note.startswith("herberekend op ")
    assert note.endswith("omdat Norm MEAN gecorrigeerd")
    pdf = (
        ReportFile.select()
        .where(ReportFile.cycle == p1, ReportFile.kind == "pdf_organisation")
        .first()
    )
    assert pdf is not None
    text = " ".join(p.extract_text() for p in PdfReader(pdf.path).pages)
    assert "omdat Norm MEAN gecorrigeerd" in " ".join(text.split())
    assert Cycle.get_by_id(p1.id).state == "gesloten"
