"""The default framework file, its validation and its import/export."""

import copy
from collections import Counter
from pathlib import Path

import pytest
import yaml

from domain import framework as fw_domain
from domain.framework import FrameworkError, validate
from models import Agreement, AgreementKind, Cycle, FrameworkVersion, Theme
from models.choices import ORGANISATION_KINDS
from tests import factories

SEEDS = [
    "000_bf76ca9388a30faf.txt",
    "001_2cb99e9a98e4c848.txt",
    "002_814f192bb4f8bf51.txt",
    "003_4f794a555c51fbc4.txt",
    "004_94d5d626ceb2fa51.txt",
]


@pytest.fixture(scope="module")
def default() -> dict:
    return fw_domain.load_file(fw_domain.DEFAULT_FRAMEWORK)


def _agreements(document: dict) -> list[dict]:
    return [a for t in document["themes"] for a in t["agreements"]]


def test_every_seed_document_contributes(default):
    references = {s["code"]: s["reference"] for s in default["sources"]}
    assert sorted(Path(r).name for r in references.values()) == SEEDS
    per_source = Counter(a["source"] for a in _agreements(default))
    assert set(per_source) == set(references), per_source
    assert all(count >= 3 for count in per_source.values()), per_source


def test_vt_jgz_matrix_is_complete_and_bilateral(default):
    matrix = [a for a in _agreements(default) if a["source"] == "S000"]
    # 5 uitvoerend, 5 + 4 beleid (the eenmalig agreement split into its five parts), 2 management.
    assert Counter(a["level"] for a in matrix) == {"uitvoerend": 5, "beleid": 9, "management": 2}
    assert Counter(a["frequency"] for a in matrix) == {
        "structureel": 9,
        "incidenteel": 2,
        "eenmalig": 5,
    }
    for a in matrix:
        assert {"jgz", "veilig_thuis"} <= set(a["applies_to"])
        assert {"jgz", "veilig_thuis"} <= set(a["partner_kinds"])
        assert a["goal"]


def test_richtlijn_topics_and_escalation_ladder(default):
    richtlijn = [a for a in _agreements(default) if a["source"] == "S002"]
    themes = {t["code"]: t for t in default["themes"]}
    # Twelve institution-level topics are spread over themes; the nine case-level
    # topics form their own theme; the ladder has its three steps.
    assert len([a for a in themes["CASUS"]["agreements"] if a["source"] == "S002"]) == 9
    assert len(themes["NALEVING"]["agreements"]) == 3
    assert len(richtlijn) == 12 + 9 + 3
    ladder = " ".join(a["title"] for a in themes["NALEVING"]["agreements"]).lower()
    for step in ("casemanager", "aandachtsfunctionaris", "management", "gemeente"):
        assert step in ladder


def test_six_steps_are_all_present(default):
    guidance = " ".join(a["guidance"] for a in _agreements(default) if a["source"] == "S001")
    for step in range(1, 7):
        assert f"Stap {step}" in guidance


def test_every_agreement_is_fully_described(default):
    for a in _agreements(default):
        for field in ("title", "goal", "guidance"):
            assert a[field], (a["code"], field)
        assert set(a["applies_to"]) <= set(ORGANISATION_KINDS)
        if a["partner_kinds"]:
            for kind in a["applies_to"]:
                assert [p for p in a["partner_kinds"] if p != kind], a["code"]
    kinds_covered = {k for a in _agreements(default) for k in a["applies_to"]}
    assert kinds_covered == set(ORGANISATION_KINDS)


def test_validation_reports_file_entry_and_field(default):
    broken = copy.deepcopy(default)
    agreement = broken["themes"][1]["agreements"][2]
    agreement["level"] = "strategisch"
    agreement["applies_to"] = ["jgz", "bakker"]
    agreement["source"] = "S999"
    agreement["extra"] = 1
    broken["themes"][0]["agreements"][0]["code"] = broken["themes"][0]["agreements"][1]["code"]
    del broken["version"]
    with pytest.raises(FrameworkError) as info:
        validate(broken, "kapot.yaml")
    problems = {(p.entry, p.field) for p in info.value.problems}
    code = agreement["code"]
    assert (f"themes[1].agreements[2] ({code})", "level") in problems
    assert (f"themes[1].agreements[2] ({code})", "applies_to") in problems
    assert (f"themes[1].agreements[2] ({code})", "source") in problems
    assert (f"themes[1].agreements[2] ({code})", "extra") in problems
    assert ("kader", "version") in problems
    assert any(f == "code" and e.startswith("themes[0].agreements[1]") for e, f in problems)
    text = str(info.value)
    assert "kapot.yaml: themes[1].agreements[2]" in text
    assert "veld 'level'" in text


def test_partner_kinds_need_another_kind(default):
    broken = copy.deepcopy(default)
    broken["themes"][0]["agreements"][0]["applies_to"] = ["jgz"]
    broken["themes"][0]["agreements"][0]["partner_kinds"] = ["jgz"]
    with pytest.raises(FrameworkError, match="geen partner van een andere soort"):
        validate(broken)


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "kapot.yaml"
    path.write_text("slug: x\nthemes: [\n  - code: a\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="kapot.yaml: regel"):
        fw_domain.load_file(path)


def test_import_stores_everything_and_is_idempotent(database, default):
    fw, created = fw_domain.import_framework(default, publish=True)
    assert created
    assert fw.state == "gepubliceerd"
    assert Theme.select().where(Theme.framework == fw).count() == len(default["themes"])
    assert Agreement.select().where(Agreement.framework == fw).count() == len(_agreements(default))
    assert AgreementKind.select().count() == sum(
        len(a["applies_to"]) + len(a["partner_kinds"]) for a in _agreements(default)
    )
    again, created = fw_domain.import_framework(default, publish=True)
    assert again.id == fw.id
    assert not created
    assert FrameworkVersion.select().count() == 1


def test_export_round_trips_yaml_and_excel(database, default, tmp_path):
    fw, _ = fw_domain.import_framework(default)
    exported = fw_domain.export_framework(fw)
    assert exported == default
    yaml_path = tmp_path / "kader.yaml"
    yaml_path.write_text(fw_domain.to_yaml(exported), encoding="utf-8")
    assert fw_domain.load_file(yaml_path) == default
    xlsx_path = tmp_path / "kader.xlsx"
    fw_domain.to_xlsx(exported, xlsx_path)
    assert fw_domain.load_file(xlsx_path) == default
    # Importing the export as another version yields the same content again.
    other = dict(fw_domain.load_file(xlsx_path), version=default["version"] + 1)
    fw2, created = fw_domain.import_framework(other)
    assert created
    assert dict(fw_domain.export_framework(fw2), version=default["version"]) == default


def test_excel_text_is_never_a_formula(database, default, tmp_path):
    from openpyxl import load_workbook

    doc = copy.deepcopy(default)
    doc["themes"][0]["agreements"][0]["guidance"] = '=HYPERLINK("http://x")'
    path = tmp_path / "kader.xlsx"
    fw_domain.to_xlsx(doc, path)
    ws = load_workbook(path)["Afspraken"]
    cell = next(c for c in ws["J"] if c.value == doc["themes"][0]["agreements"][0]["guidance"])
    assert cell.data_type == "s"
    assert fw_domain.load_file(path) == doc


def test_published_version_cannot_change(database, default):
    fw, _ = fw_domain.import_framework(default, publish=True)
    changed = copy.deepcopy(default)
    changed["themes"][0]["agreements"][0]["title"] = "Gewijzigde titel"
    with pytest.raises(FrameworkError, match="nieuw versienummer"):
        fw_domain.import_framework(changed)
    assert Agreement.get(Agreement.framework == fw, Agreement.code == "VIS-01").title != (
        "Gewijzigde titel"
    )


def test_concept_version_in_use_cannot_change(database, default):
    fw, _ = fw_domain.import_framework(default)
    factories.cycle(fw)
    changed = copy.deepcopy(default)
    changed["title"] = "Ander kader"
    with pytest.raises(FrameworkError):
        fw_domain.import_framework(changed)
    assert Cycle.select().count() == 1


def test_unused_concept_version_can_be_replaced(database, default):
    fw_domain.import_framework(default)
    changed = copy.deepcopy(default)
    changed["themes"][0]["agreements"][0]["title"] = "Herziene titel"
    fw, created = fw_domain.import_framework(changed)
    assert created
    assert Agreement.get(Agreement.framework == fw, Agreement.code == "VIS-01").title == (
        "Herziene titel"
    )
    assert FrameworkVersion.select().count() == 1


def test_yaml_file_in_repository_is_plain_yaml():
    # The shipped file loads with a plain YAML parser too (no custom tags).
    data = yaml.safe_load(fw_domain.DEFAULT_FRAMEWORK.read_text(encoding="utf-8"))
    assert data["slug"] == "landelijk"
    assert data["version"] == 2
