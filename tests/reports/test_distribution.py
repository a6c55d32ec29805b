"""The nightly batch writes the reports atomically into the store and, once a
cycle closes, mails each recipient their own report exactly once (a real SMTP
server on 127.0.0.1)."""

import datetime as dt
import hashlib
import io
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import openpyxl
import pytest

from domain import formatting, results
from domain.scope import ResultAccess
from jobs.nightly import BatchSettings, run_nightly
from models import (
    Cycle,
    Gemeente,
    IndicatorDefinition,
    Organisation,
    OutboxMessage,
    ReportFile,
    User,
)
from reports import build, store
from reports.digest import Digests
from scripts.compare_reports import compare_files
from tests import factories
from tests.domain.test_mail import check_mail


def _settings(smtp, tmp_path) -> BatchSettings:
    return BatchSettings(
        mail=smtp.settings(),
        link_for=lambda assessment_id: f"http://test/zelfevaluaties/{assessment_id}",
        reports_dir=tmp_path / "rapporten",
        reports_link="http://test/rapporten",
    )


def _attachments(message) -> list[str]:
    return [part.get_filename() for part in message.iter_attachments()]


def test_closing_a_cycle_mails_each_person_their_own_report_once(reports_world, smtp, tmp_path):
    people, o = reports_world["people"], reports_world["orgs"]
    settings = _settings(smtp, tmp_path)
    # The night after 2026-Q2's close date: close, recompute, write, distribute, deliver.
    summary = run_nightly(dt.date(2026, 7, 16), settings=settings)
    assert Cycle.get(Cycle.period == "2026-Q2").state == "gesloten"
    assert summary["reports_mailed"] == {"2026-Q2": 4}
    received = {m["To"]: m for m in smtp.messages}
    assert sorted(received) == sorted(
        p.email for k, p in people.items() if k != "invuller_a"
    )  # invullers receive no report
    expected = {
        "manager.a@example.nl": ("pdf_organisation", o["A"].id),
        "manager.c@example.nl": ("pdf_organisation", o["C"].id),
        "coordinator.1@example.nl": ("pdf_region", reports_world["r1"].id),
        "gemeente.2@example.nl": ("xlsx_gemeente", reports_world["g2"].id),
    }
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    for address, (kind, scope_id) in expected.items():
        message = received[address]
        report = ReportFile.get(
            ReportFile.cycle == cycle, ReportFile.kind == kind, ReportFile.scope_id == scope_id
        )
        assert _attachments(message) == [Path(report.path).name]
        attached = next(message.iter_attachments()).get_content()
        assert attached == Path(report.path).read_bytes()
        assert "2026-Q2" in message["Subject"]
    # A's manager has A's report, not C's (and the other way round).
    assert f"-{o['A'].id}-" in _attachments(received["manager.a@example.nl"])[0]
    assert f"-{o['C'].id}-" in _attachments(received["manager.c@example.nl"])[0]
    # Again, forced: nothing is queued or sent twice.
    again = run_nightly(dt.date(2026, 7, 16), settings=settings, force=True)
    assert again.get("reports_mailed", {}) == {}
    assert len(smtp.messages) == 4
    assert (
        OutboxMessage.select().where(OutboxMessage.dedupe_key.startswith("rapport:")).count() == 4
    )


def test_reports_are_recorded_with_checksums_and_kept_as_archive(reports_world, tmp_path):
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    first = build.write_cycle_reports(cycle, tmp_path)
    assert first.files == {
        "xlsx_regions": 1, "xlsx_gemeente": 3, "pdf_region": 2, "pdf_organisation": 4
    }  # fmt: skip
    for report in ReportFile.select():
        data = Path(report.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == report.checksum
        assert len(data) == report.size
    assert not list(tmp_path.rglob("*.tmp"))
    second = build.write_cycle_reports(cycle, tmp_path)
    assert second.directory != first.directory
    assert ReportFile.select().count() == 20  # both runs kept
    current = list(store.current_files(cycle))
    assert len(current) == 10
    assert all(r.path.startswith(second.directory) for r in current)
    assert all(Path(r.path).exists() for r in ReportFile.select())


def test_a_run_that_fails_halfway_leaves_the_previous_reports_current(
    reports_world, tmp_path, monkeypatch
):
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    first = build.write_cycle_reports(cycle, tmp_path)
    before = {(r.kind, r.scope_id): (r.path, r.checksum) for r in store.current_files(cycle)}
    calls = {"n": 0}
    real = build.write_pdf

    def crash_on_third(report, path):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("schijf vol")
        real(report, path)

    monkeypatch.setattr(build, "write_pdf", crash_on_third)
    with pytest.raises(OSError, match="schijf vol"):
        build.write_cycle_reports(cycle, tmp_path)
    after = {(r.kind, r.scope_id): (r.path, r.checksum) for r in store.current_files(cycle)}
    assert after == before
    for path, checksum in after.values():
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == checksum
    assert not list(tmp_path.rglob("*.tmp"))  # no half file left behind
    assert ReportFile.select().count() == sum(first.files.values())


def test_reports_rendered_in_worker_processes_match_one_process(reports_world, tmp_path):
    """Worker processes write the same reports as one process, and the
    parent's own database connection is intact afterwards (SQLite connections
    must not cross a fork; the workers open their own)."""
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    one = build.write_cycle_reports(cycle, tmp_path / "one", processes=1)
    serial = {(r.kind, r.scope_id): Path(r.path).name for r in store.current_files(cycle)}
    several = build.write_cycle_reports(cycle, tmp_path / "several", processes=3)
    parallel = {(r.kind, r.scope_id): Path(r.path).name for r in store.current_files(cycle)}
    assert several.files == one.files
    assert parallel == serial
    for report in store.current_files(cycle):
        assert report.path.startswith(several.directory)
        data = Path(report.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == report.checksum
        assert data.startswith(b"%PDF" if report.kind.startswith("pdf") else b"PK")
    # The parent goes on with its own connection, reading and writing.
    Organisation.update(active=True).where(
        Organisation.id == reports_world["orgs"]["A"].id
    ).execute()
    assert ReportFile.select().count() == 2 * sum(one.files.values())


# --- the quarterly mail: what it says, to whom ---------------------------------

_URL = re.compile(r"https?://\S+")
_WORDS = {
    "nl": {"groen": "groen", "oranje": "oranje", "rood": "rood", "geen": "geen oordeel"},
    "en": {"groen": "green", "oranje": "orange", "rood": "red", "geen": "no judgement"},
}


def _stored_counts(cycle, scope_type: str, scope_id: int, region_id: int | None) -> dict:
    """Signal counts read straight from the stored results: every active
    indicator of the scope (the national set and its region's own), an
    indicator without a figure counting as "geen"."""
    stored = results.figures([cycle.id], scopes=[(scope_type, scope_id)])
    counts = dict.fromkeys(("groen", "oranje", "rood", "geen"), 0)
    for ind in IndicatorDefinition.select().where(IndicatorDefinition.active == True):  # noqa: E712
        if ind.region_id not in (None, region_id):
            continue
        figure = stored.get((ind.id, cycle.id, scope_type, scope_id))
        counts[figure.signal if figure else "geen"] += 1
    return counts


def _counts_line(counts: dict, language: str) -> str:
    return " · ".join(
        f"{counts[s]} {_WORDS[language][s]}" for s in ("groen", "oranje", "rood", "geen")
    )


def _stored_value(cycle, ind, scope_type: str, scope_id: int) -> float:
    stored = results.figures([cycle.id], scopes=[(scope_type, scope_id)])
    return stored[(ind.id, cycle.id, scope_type, scope_id)].value


def _indicator_lines(text: str) -> list[tuple[str, str, str]]:
    """(who, indicator name, value as written) of each "- … : value tegen …" line."""
    out = []
    for line in text.splitlines():
        match = re.match(
            r"- (?:(.+?) – )?(.+?): (\S+(?: punten| points)?) (?:tegen|against) ", line
        )
        if match:
            out.append(match.groups())
    return out


_ATTENTION = {"nl": "Wat aandacht vraagt", "en": "What needs attention"}
_MORE = {"nl": "De rapportage noemt nog {count} punt", "en": "The report names {count} more point"}


def _check_attention(text: str, language: str, cycle, scope_type: str, scope_id: int) -> None:
    """ "Wat aandacht vraagt": at most three lines, each a red signal with its
    figure and norm, linked to its chart on the reader's results page; the
    glance's other points counted."""
    from reports.data import CycleData, scope_report
    from reports.glance import glance

    section = text.split(f"\n{_ATTENTION[language]}\n", 1)[1].split("\n\n\n", 1)[0]
    lines = section.strip("\n").splitlines()
    items = [i for i, line in enumerate(lines) if line.startswith("- ")]
    points = glance(scope_report(CycleData.load(cycle), scope_type, scope_id)).points
    red = [p for p in points if p.kind == "indicator"]
    assert len(items) == min(3, len(red)), section
    page = f"http://test/resultaten/{scope_type}/{scope_id}?ronde={cycle.period}#trend-"
    for i in items:
        assert re.fullmatch(
            r"- .+: \S+(?: punten| points)? (?:tegen een|against a) .+ (?:van|of) "
            r"\S+(?: punten| points)? \((?:rood|red)\)\.",
            lines[i],
        ), lines[i]
        assert lines[i + 1].split(": ", 1)[1].startswith(page), lines[i + 1]
    rest = len(points) - len(items)
    if scope_type == "organisatie" and rest:
        assert _MORE[language].format(count=rest) in section, section


def test_the_quarterly_mail_carries_only_its_readers_figures(reports_world, smtp, tmp_path):
    """A quarter built for every role (cycle closed, results computed, reports
    written, mail distributed and delivered): each mail's figures are the
    stored results of its reader's scope, every link is a page the reader may
    open, and no other organisation is named."""
    world, o = reports_world, reports_world["orgs"]
    names = {"A": "Kinderopvang Alfa", "B": "Wijkteam Beta", "D": "Wijkteam Delta"}
    for key, name in names.items():
        Organisation.update(name=name).where(Organisation.id == o[key].id).execute()
    names["C"] = Organisation.get_by_id(o["C"].id).name
    people = dict(world["people"])
    people["coordinator_2"] = factories.user(
        ("regiocoordinator", world["r2"]), email="coordinator.2@example.nl"
    )
    people["gemeente_3"] = factories.user(("gemeente", world["g3"]), email="gemeente.3@example.nl")
    english = {"manager.c@example.nl", "coordinator.2@example.nl", "gemeente.3@example.nl"}
    User.update(locale="en").where(User.email.in_(english)).execute()
    run_nightly(dt.date(2026, 7, 16), settings=_settings(smtp, tmp_path))
    cycle = Cycle.get(Cycle.period == "2026-Q2")
    received = {m["To"]: m for m in smtp.messages}
    assert set(received) == {p.email for k, p in people.items() if k != "invuller_a"}
    indicators = {i.name: i for i in IndicatorDefinition.select()}
    region_of = {org.id: org.region_id for org in Organisation.select()}
    for person in people.values():
        if person.email not in received:
            continue
        person = User.get_by_id(person.id)
        message = received[person.email]
        language = "en" if person.email in english else "nl"
        # As received: lines end in CRLF on the wire.
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
        check_mail(message["Subject"], text, html, person, language)
        role = person.roles.get()
        access = ResultAccess(person)
        # Every link: a page the reader may open, of this cycle.
        for url in _URL.findall(text):
            parts = urlsplit(url)
            assert parts.netloc == "test"
            page = re.fullmatch(r"/resultaten/(organisatie|gemeente|regio)/(\d+)", parts.path)
            if page:
                assert access.may_see(page.group(1), int(page.group(2))), url
                assert "ronde=2026-Q2" in parts.query
            else:
                assert parts.path in ("/rapporten", f"/rondes/{cycle.id}/voortgang"), url
        if role.role == "manager":
            org_id, region_id = role.organisation_id, region_of[role.organisation_id]
            expected = _stored_counts(cycle, "organisatie", org_id, region_id)
            assert _counts_line(expected, language) in text
            named = {k for k, n in names.items() if n in text}
            assert named == {k for k in names if o[k].id == org_id}
            lines = _indicator_lines(text)
            assert lines  # both managers' organisations have red signals
            for who, name, written in lines:
                assert who is None
                stored = _stored_value(cycle, indicators[name], "organisatie", org_id)
                assert written == formatting.value(stored, indicators[name].unit, language)
            _check_attention(text, language, cycle, "organisatie", org_id)
        elif role.role == "regiocoordinator":
            region_id = role.region_id
            expected = _stored_counts(cycle, "regio", region_id, region_id)
            assert _counts_line(expected, language) in text
            in_region = {k for k in names if region_of[o[k].id] == region_id}
            assert {k for k, n in names.items() if n in text} <= in_region
            # Per organisation its red signal furthest from the norm (in widths
            # of the orange band), worked out from the stored figures; the
            # three furthest organisations.
            furthest = {}
            for key in in_region:
                stored = results.figures([cycle.id], scopes=[("organisatie", o[key].id)])
                for (ind_id, _, _, _), figure in stored.items():
                    ind = IndicatorDefinition.get_by_id(ind_id)
                    if figure.signal != "rood" or ind.region_id not in (None, region_id):
                        continue
                    if ind.computation == "response_rate_on_time":
                        continue  # listed as "niet op tijd ingediend" instead
                    band = abs(ind.norm - ind.orange_threshold)
                    row = (-abs(figure.value - ind.norm) / band, names[key], ind.position, ind)
                    if key not in furthest or row[:3] < furthest[key][:3]:
                        furthest[key] = row
            reds = sorted(furthest.values(), key=lambda r: r[:3])
            lines = _indicator_lines(text)
            assert [(who, name) for who, name, _ in lines] == [
                (who, ind.name) for _, who, _, ind in reds[:3]
            ]
            for who, name, written in lines:
                org_id = next(o[k].id for k, n in names.items() if n == who)
                stored = _stored_value(cycle, indicators[name], "organisatie", org_id)
                assert written == formatting.value(stored, indicators[name].unit, language)
            if region_id == world["r1"].id:
                assert len(lines) == 2  # A and B have red signals; D did not submit
                # B submitted after the due date, D not at all; A on time.
                assert names["B"] in text
                assert names["D"] in text
                late_part = text.split(names["D"])[0]
                assert names["A"] not in late_part
                # Each organisation not on time links to its own results page.
                lines = text.splitlines()
                for key in ("B", "D"):
                    item = f"- {names[key]}:"
                    at = next(i for i, line in enumerate(lines) if line.startswith(item))
                    assert (
                        lines[at + 1]
                        .strip()
                        .endswith(f"/resultaten/organisatie/{o[key].id}?ronde=2026-Q2")
                    ), lines[at : at + 2]
        else:
            gemeente = Gemeente.get_by_id(role.gemeente_id)
            region_id = gemeente.region_id
            for scope in (("gemeente", gemeente.id), ("regio", region_id), ("land", 0)):
                expected = _stored_counts(cycle, *scope, region_id)
                assert _counts_line(expected, language) in text, scope
            assert not any(n in text for n in names.values())  # no organisation named
            for who, name, written in _indicator_lines(text):
                assert who is None
                stored = _stored_value(cycle, indicators[name], "gemeente", gemeente.id)
                assert written == formatting.value(stored, indicators[name].unit, language)
            _check_attention(text, language, cycle, "gemeente", gemeente.id)
            workbook = next(message.iter_attachments()).get_content()
            sheets = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True).sheetnames
            assert sheets
            for sheet in sheets:
                assert f"\n- {sheet}\n" in text


def test_the_mail_links_are_the_routes_of_the_pages(app):
    """The quarterly mail builds its links beside the reports page's address
    (BASE_URL, with or without a path): they are the routes of those pages."""
    from flask import url_for

    from web.links import batch_settings

    cycle = SimpleNamespace(id=5, period="2026-Q2")
    with app.test_request_context():
        digests = Digests(cycle, batch_settings(app).reports_link)
        for scope_type in ("organisatie", "gemeente", "regio"):
            url = urlsplit(digests.results_url(scope_type, 3, "scorekaart"))
            assert url.path == url_for("results.scope", scope_type=scope_type, scope_id=3)
            assert url.query == "ronde=2026-Q2"
            assert url.fragment == "scorekaart"
        assert urlsplit(digests.reports_url()).path == url_for("results.reports")
        progress = urlsplit(digests.progress_url("VR24"))
        assert progress.path == url_for("cycles.monitor", cycle_id=5)
        assert progress.query == "regio=VR24"
    under_a_path = Digests(cycle, "https://intranet.example/monitor/rapporten")
    assert under_a_path.results_url("regio", 2) == (
        "https://intranet.example/monitor/resultaten/regio/2?ronde=2026-Q2"
    )


def test_a_pdf_written_on_demand_from_its_own_scopes_equals_the_nightlys(reports_world, tmp_path):
    """A PDF written on first download reads only its own scope's data; it is
    the same report as the one written from the whole cycle's data."""
    for period in ("2026-Q1", "2026-Q2"):
        cycle = Cycle.get(Cycle.period == period)
        whole = build.write_cycle_reports(cycle, tmp_path / "whole" / period)
        for report in store.current_files(cycle):
            if report.kind not in ("pdf_organisation", "pdf_region"):
                continue
            alone = build.write_cycle_reports(
                cycle,
                tmp_path / "alone" / period,
                only=(report.kind, report.scope_type, report.scope_id),
            )
            assert sum(alone.files.values()) == 1
            assert report.path.startswith(whole.directory)
            written = next(Path(alone.directory).iterdir())
            assert compare_files(Path(report.path), written) == [], (period, report.path)


def test_figures_of_many_scopes_at_once(reports_world):
    """A region's page reads each of its organisations' figures in one query:
    a region of hundreds of organisations must not overflow the database's
    parser (SQLite's stops at about a hundred nested conditions)."""
    cycle = Cycle.get(Cycle.period == "2026-Q1")
    real = [("organisatie", o.id) for o in Organisation.select()]
    wanted = real + [("organisatie", 100_000 + n) for n in range(400)] + [("land", 0)]
    found = results.figures([cycle.id], scopes=wanted)
    assert found == results.figures([cycle.id], scopes=real) | results.figures(
        [cycle.id], scopes=[("land", 0)]
    )
    assert {(kind, scope_id) for (_, _, kind, scope_id) in found} == {
        pair for pair in [*real, ("land", 0)] if results.figures([cycle.id], scopes=[pair])
    }
