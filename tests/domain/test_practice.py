"""Praktijkvoorbeelden in the framework file, and "wat werkt elders": who is
named beside a weak agreement, and that nobody is named without consent."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import pytest

from domain import framework as fw_domain
from domain import practice
from domain.framework import FrameworkError, validate
from models import (
    Agreement,
    Answer,
    AuditEvent,
    Cycle,
    PracticeSharing,
)
from tests import factories
from tests.web.test_query_counts import QueryCounter

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
if not SEEDS.is_dir():  # the worktree layout: /work/wt/<branch>/tests/…
    SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"

# Every example the brief names from the seeds (S001, S003, S004), with words
# that identify it in its seed text.
EXPECTED = {
    "S001": {
        "PV-UTRECHT": ["Utrecht", "conferentie"],
        "PV-TILBURG": ["Tilburg", "zorgkantoor", "VGZ"],
        "PV-NH-NOORD": ["Noord", "uitgangspunt"],
        "PV-TWENTE": ["Twente", "sociale kaart"],
        "PV-ZUID-LIMBURG": ["Zuid-Limburg", "succesindicatoren"],
    },
    "S003": {
        "PV-ARNHEM": ["Arnhem", "doorstart", "kindermishandeling"],
        "PV-DORDRECHT-WERKSESSIES": ["Dordrecht", "werksessies", "William Schrikker"],
        "PV-DORDRECHT-CONTACTPERSOON": ["vaste contactpersoon"],
        "PV-DORDRECHT-KENNISDELING": ["Stichting Jeugdteams", "kennisdeling"],
        "PV-AMSTERDAM-OVERLEG": ["Amsterdam", "afstemmingsoverleg", "processtappen"],
        "PV-AMSTERDAM-SAFARI": ["safari"],
        "TIP-IN-GESPREK": ["Gluren bij de buren"],
        "TIP-TIJD": ["bestuurders en managers"],
        "TIP-SAMEN-AFSPREKEN": ["bestuurlijk commitment"],
    },
    "S004": {
        "NCJ-NOODZAAK": ["noodzaak"],
        "NCJ-VISIE": ["gedeelde visie"],
        "NCJ-RANDVOORWAARDEN": ["randvoorwaarden"],
        "NCJ-DOELEN": ["doelen en verantwoordelijkheden"],
        "NCJ-WIJKTEAM-JGZ": ["ZonMw", "zes regio"],
    },
}


@pytest.fixture(scope="module")
def default() -> dict:
    return fw_domain.load_file(fw_domain.DEFAULT_FRAMEWORK)


def _agreements(document: dict) -> list[dict]:
    return [a for t in document["themes"] for a in t["agreements"]]


def test_every_seed_example_is_attached_with_its_source(default):
    practices = {p["code"]: p for p in default["practices"]}
    attached = {code for a in _agreements(default) for code in a["practices"]}
    for source, examples in EXPECTED.items():
        for code, words in examples.items():
            assert code in practices, code
            assert practices[code]["source"] == source, code
            assert code in attached, f"{code} hangt bij geen enkele afspraak"
            text = " ".join(
                (practices[code]["title"], practices[code]["place"], practices[code]["text"])
            )
            for word in words:
                assert word.lower() in text.lower(), (code, word)
    assert set(practices) == {c for e in EXPECTED.values() for c in e}
    # Every weak agreement of the kinds that most often score low has something.
    with_practice = {a["code"] for a in _agreements(default) if a["practices"]}
    assert len(with_practice) >= 30


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not beside the project")
def test_examples_are_written_from_their_seed(default):
    """Faithful, not invented: the place and the identifying words of every
    example occur in the seed document it names."""
    references = {s["code"]: s["reference"] for s in default["sources"]}
    for p in default["practices"]:
        seed = (SEEDS / Path(references[p["source"]]).name).read_text(encoding="utf-8")
        flat = " ".join(seed.split()).lower().replace("noord holland", "noord-holland")
        if p["place"]:
            assert p["place"].lower() in flat, p["code"]
        for word in EXPECTED[p["source"]][p["code"]]:
            assert word.lower() in flat, (p["code"], word)


def test_practices_are_validated(default):
    broken = copy.deepcopy(default)
    broken["practices"][0]["source"] = "S999"
    broken["practices"][1]["code"] = broken["practices"][2]["code"]
    broken["themes"][0]["agreements"][0]["practices"] = ["PV-ONBEKEND"]
    broken["practices"].append(
        {"code": "PV-LOS", "title": "Los", "source": "S001", "text": "Nergens bij."}
    )
    with pytest.raises(FrameworkError) as info:
        validate(broken, "kapot.yaml")
    problems = {(p.entry, p.field) for p in info.value.problems}
    assert (f"practices[0] ({broken['practices'][0]['code']})", "source") in problems
    assert any(e.startswith("practices[2]") and f == "code" for e, f in problems)
    assert ("themes[0].agreements[0] (VIS-01)", "practices") in problems
    assert ("practices (PV-LOS)", "code") in problems
    # A framework without praktijkvoorbeelden (version 1) is still valid.
    plain = copy.deepcopy(default)
    del plain["practices"]
    for a in _agreements(plain):
        del a["practices"]
    assert validate(plain)["practices"] == []


def test_practices_round_trip_yaml_and_excel(database, default, tmp_path):
    fw, _ = fw_domain.import_framework(default)
    exported = fw_domain.export_framework(fw)
    assert exported["practices"] == default["practices"]
    assert {a["code"]: a["practices"] for a in _agreements(exported)} == {
        a["code"]: a["practices"] for a in _agreements(default)
    }
    yaml_path = tmp_path / "kader.yaml"
    yaml_path.write_text(fw_domain.to_yaml(exported), encoding="utf-8")
    assert fw_domain.load_file(yaml_path) == default
    xlsx_path = tmp_path / "kader.xlsx"
    fw_domain.to_xlsx(exported, xlsx_path)
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx_path)["Praktijkvoorbeelden"]
    assert [c.value for c in sheet[1]] == ["code", "title", "place", "source", "text"]
    assert sheet.max_row == len(default["practices"]) + 1
    assert fw_domain.load_file(xlsx_path) == default


def test_new_version_never_changes_past_assessments(database, default):
    """Version 1 (no praktijkvoorbeelden) answered in a cycle; publishing
    version 2 leaves those answers as they were, and the cycle still gets
    version 2's praktijkvoorbeelden, matched by agreement code."""
    v1 = factories.default_framework(factories.FRAMEWORK_V1)
    region = factories.region()
    org = factories.organisation(region, "jgz")
    cycle = factories.cycle(v1, "2026-Q1", state="gesloten")
    assessment = factories.assessment(org, cycle, state="ingediend")
    vis01 = Agreement.get(Agreement.framework == v1, Agreement.code == "VIS-01")
    Answer.create(assessment=assessment, agreement=vis01, score=1)
    before = [(a.id, a.agreement_id, a.score) for a in Answer.select()]
    assert practice.GoodPractice.load(cycle, ["VIS-01"]).examples == {"VIS-01": []}

    v2, created = fw_domain.import_framework(default, publish=True)
    assert created
    assert v2.id != v1.id
    assert [(a.id, a.agreement_id, a.score) for a in Answer.select()] == before
    assert Cycle.get_by_id(cycle.id).framework_id == v1.id
    found = practice.GoodPractice.load(cycle, ["VIS-01"])
    assert [e.code for e in found.examples["VIS-01"]] == ["PV-UTRECHT"]
    example = found.examples["VIS-01"][0]
    assert example.place == "Utrecht"
    assert example.source_code == "S001"
    assert "Stappenplan" in example.source_title
    assert found.guidance["VIS-01"].startswith("Stap 1")


# --- wat werkt elders -------------------------------------------------------------


@pytest.fixture
def elsewhere(database):
    """Three closed cycles and an open one; JGZ organisations in two regions."""
    fw = factories.default_framework()
    home, other, third = factories.region(), factories.region(), factories.region()
    cycles = [
        factories.cycle(fw, "2025-Q2", state="gesloten"),
        factories.cycle(fw, "2025-Q3", state="gesloten"),
        factories.cycle(fw, "2025-Q4", state="gesloten"),
        factories.cycle(fw, "2026-Q1", state="open"),
    ]
    code = "AFS-04"
    agreement = Agreement.get(Agreement.framework == fw, Agreement.code == code)
    orgs = {
        "own": factories.organisation(home, "jgz", "Eigen JGZ"),
        "neighbour": factories.organisation(home, "jgz", "JGZ naast de deur"),
        "good": factories.organisation(other, "jgz", "JGZ die het goed doet"),
        "silent": factories.organisation(other, "jgz", "JGZ die niets deelt"),
        "once": factories.organisation(third, "jgz", "JGZ met één goede ronde"),
        "vt": factories.organisation(other, "veilig_thuis", "Veilig Thuis elders"),
    }
    scores = {
        "own": [1, 1, 1, 1],
        "neighbour": [4, 4, 4, 4],
        "good": [0, 3, 4, None],
        "silent": [4, 4, 4, 4],
        "once": [4, 4, 2, 4],
        "vt": [4, 4, 4, 4],
    }
    for name, org in orgs.items():
        for c, score in zip(cycles, scores[name], strict=True):
            a = factories.assessment(org, c, state="ingediend" if score is not None else "concept")
            if score is not None:
                Answer.create(assessment=a, agreement=agreement, score=score)
    manager = factories.user(("manager", orgs["good"]))
    for name in ("neighbour", "good", "once", "vt"):
        practice.save_sharing(manager, orgs[name], enabled=True, contact=f"{name}@voorbeeld.nl")
    return {"cycles": cycles, "orgs": orgs, "home": home, "code": code, "manager": manager}


def test_organisations_elsewhere_that_agreed_and_did_well_twice(elsewhere):
    open_cycle = elsewhere["cycles"][-1]
    found = practice.GoodPractice.load(open_cycle, [elsewhere["code"]], kinds=["jgz"])
    assert found.cycles == ["2025-Q4", "2025-Q3"]
    shown = found.for_agreement(
        elsewhere["code"], kinds=["jgz"], outside_region=elsewhere["home"].id
    )
    # Not the own region's neighbour, not the one without consent, not the
    # one that did well only once, not another kind.
    assert [(c.organisation, c.contact) for c in shown["contacts"]] == [
        ("JGZ die het goed doet", "good@voorbeeld.nl")
    ]
    assert shown["contacts"][0].mean == pytest.approx(3.5)
    assert [e.code for e in shown["examples"]] == ["PV-DORDRECHT-KENNISDELING"]


def test_the_cycles_counted_are_those_closed_by_the_viewed_cycle(elsewhere):
    # Seen from 2025-Q3, the last two closed cycles are 2025-Q2 and 2025-Q3,
    # where the organisation scored 0 and 3: not shown.
    found = practice.GoodPractice.load(elsewhere["cycles"][1], [elsewhere["code"]], kinds=["jgz"])
    assert found.cycles == ["2025-Q3", "2025-Q2"]
    names = {c.organisation for c in found.contacts}
    assert "JGZ die het goed doet" not in names
    assert "JGZ met één goede ronde" in names  # 4 and 4 there
    # With only one closed cycle before it, nobody is shown.
    first = practice.GoodPractice.load(elsewhere["cycles"][0], [elsewhere["code"]], kinds=["jgz"])
    assert first.contacts == []


def test_nothing_of_an_organisation_without_consent_is_shown(elsewhere):
    good = elsewhere["orgs"]["good"]
    code = elsewhere["code"]
    practice.save_sharing(elsewhere["manager"], good, enabled=False, contact="good@voorbeeld.nl")
    found = practice.GoodPractice.load(elsewhere["cycles"][-1], [code], kinds=["jgz"])
    names = {c.organisation for c in found.contacts}
    assert "JGZ die het goed doet" not in names
    assert "JGZ die niets deelt" not in names
    # Consent kept but the organisation made inactive: not shown either.
    practice.save_sharing(elsewhere["manager"], good, enabled=True, contact="good@voorbeeld.nl")
    good.active = False
    good.save()
    found = practice.GoodPractice.load(elsewhere["cycles"][-1], [code], kinds=["jgz"])
    assert "JGZ die het goed doet" not in {c.organisation for c in found.contacts}


def test_sharing_is_off_by_default_validated_and_audited(elsewhere):
    silent = elsewhere["orgs"]["silent"]
    assert practice.sharing_of(silent) is None
    manager = elsewhere["manager"]
    for contact in ("", "geen-adres", "a@b", "naam@voorbeeld.nl\x07", "é@voorbeeld.nl"):
        with pytest.raises(practice.SharingError):
            practice.save_sharing(manager, silent, enabled=True, contact=contact)
    assert practice.sharing_of(silent) is None
    events = AuditEvent.select().where(AuditEvent.action == "practice_sharing_saved").count()
    setting = practice.save_sharing(manager, silent, enabled=True, contact=" Vragen@JGZ.nl ")
    assert (setting.enabled, setting.contact) == (True, "Vragen@JGZ.nl")
    # Saving the same again records nothing new; a change does.
    practice.save_sharing(manager, silent, enabled=True, contact="Vragen@JGZ.nl")
    practice.save_sharing(manager, silent, enabled=False, contact="Vragen@JGZ.nl")
    after = AuditEvent.select().where(AuditEvent.action == "practice_sharing_saved").count()
    assert after == events + 2
    assert PracticeSharing.select().where(PracticeSharing.organisation == silent).count() == 1


def test_good_practice_is_read_in_a_fixed_number_of_queries(elsewhere):
    """Every agreement and every organisation that may be asked, at once:
    the examples, the cycles counted and the contacts, three queries."""
    cycle = elsewhere["cycles"][-1]
    counter = QueryCounter()
    peewee_log = logging.getLogger("peewee")
    level = peewee_log.level
    peewee_log.addHandler(counter)
    peewee_log.setLevel(logging.DEBUG)
    try:
        found = practice.GoodPractice.load(cycle, None, kinds=None)
    finally:
        peewee_log.removeHandler(counter)
        peewee_log.setLevel(level)
    assert len(counter.statements) == 3, counter.statements
    assert (
        len(found.examples)
        == Agreement.select().where(Agreement.framework == cycle.framework_id).count()
    )
    assert {c.organisation for c in found.contacts} >= {
        "JGZ die het goed doet",
        "Veilig Thuis elders",
    }
