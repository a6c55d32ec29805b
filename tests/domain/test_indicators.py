"""The default succesindicatoren and their validation."""

import copy

import pytest
import yaml

from domain import indicators as ind_domain
from domain.indicators import IndicatorError, validate
from domain.reference import load_reference_data
from models import IndicatorDefinition, RegionalNorm
from models.choices import COMPUTATIONS
from tests import factories


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(ind_domain.DEFAULT_INDICATORS.read_text(encoding="utf-8"))


def test_default_set_uses_every_computation_with_norms(raw):
    document = validate(raw, "landelijk.yaml")
    national = [d for d in document["indicators"] if d["region"] is None]
    assert len(national) >= 8
    assert {d["computation"] for d in national} == set(COMPUTATIONS)
    for d in national:
        assert d["norm"] is not None
        assert d["description"]
        if d["direction"] == "hoger_beter":
            assert d["green_threshold"] >= d["orange_threshold"]
        else:
            assert d["green_threshold"] <= d["orange_threshold"]


# What each computation's written definition must state: population, the
# window with both ends, numerator and denominator, what is left out.
STATED = {
    "mean_compliance": ["ingediende zelfevaluaties", "gedeeld door", "N.v.t."],
    "share_at_least": ["ingediende zelfevaluaties", "score 3", "n.v.t. telt niet mee"],
    "share_in_writing": ["ingediende zelfevaluaties", "Nee en leeg tellen als niet vastgelegd"],
    "share_evaluated_within": [
        "vanaf dezelfde dag twaalf maanden vóór de uiterste datum",
        "tot en met de uiterste datum zelf",
        "Een lege datum",
    ],
    "response_rate_on_time": [
        "ingediend of niet",
        "voor het eerst",
        "23:59 uur",
        "Europe/Amsterdam",
        "heropend, blijft op tijd",
    ],
    "partner_gap": [
        "genoemde partnerorganisatie",
        "dezelfde ronde",
        "Noemer: het aantal oordelen van partners",
        "n.v.t.",
    ],
    "escalations": ["opgeschaald (hoogste trede 1", "trede 0", "hoe vaak"],
    "actions_on_time": [
        "vanaf de dag na de uiterste datum van de vorige ronde",
        "vanaf de openingsdatum",
        "tot en met de uiterste datum van deze ronde",
        "vervallen acties",
    ],
}


def test_default_definitions_state_the_exact_rule(raw):
    for d in raw["indicators"]:
        for phrase in STATED[d["computation"]]:
            assert phrase in " ".join(d["description"].split()), (d["code"], phrase)


def test_validation_names_entry_and_field(raw):
    broken = copy.deepcopy(raw)
    broken["indicators"][0]["computation"] = "median"
    broken["indicators"][1]["params"] = {"min_score": 7}
    broken["indicators"][2]["filter"] = {"levels": ["strategisch"]}
    broken["indicators"][5]["green"] = 2.0  # lager_beter: green above orange
    broken["indicators"][6]["norm"] = "hoog"
    broken["regional_norms"][0]["indicator"] = "BESTAAT-NIET"
    with pytest.raises(IndicatorError) as info:
        validate(broken, "ind.yaml")
    found = {(p.entry, p.field) for p in info.value.problems}
    assert ("indicators[0] (NAL-GEM)", "computation") in found
    assert ("indicators[1] (NAL-GOED)", "params.min_score") in found
    assert ("indicators[2] (VASTGELEGD)", "filter.levels") in found
    assert ("indicators[5] (PARTNER)", "orange") in found
    assert ("indicators[6] (ESCALATIES)", "norm") in found
    assert ("regional_norms[0]", "indicator") in found
    assert "ind.yaml: indicators[0] (NAL-GEM), veld 'computation'" in str(info.value)


def test_theme_filter_checked_against_loaded_frameworks(database, raw, tmp_path):
    load_reference_data()
    factories.default_framework()
    broken = copy.deepcopy(raw)
    broken["indicators"][8]["filter"] = {"themes": ["ONBEKEND"]}
    broken["indicators"][10]["region"] = "VR99"
    path = tmp_path / "ind.yaml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    with pytest.raises(IndicatorError) as info:
        ind_domain.load_file(path)
    found = {(p.entry, p.field) for p in info.value.problems}
    assert found == {
        ("indicators[8] (VTJGZ)", "filter.themes"),
        ("indicators[10] (ZL-KETEN)", "region"),
    }


def test_load_and_reload_changes_nothing(database):
    load_reference_data()
    factories.default_framework()
    document = ind_domain.load_file(ind_domain.DEFAULT_INDICATORS)
    first = ind_domain.import_indicators(document)
    assert first["added"] == len(document["indicators"]) + len(document["regional_norms"])
    assert ind_domain.import_indicators(document) == {"added": 0, "changed": 0}
    regional = IndicatorDefinition.get(IndicatorDefinition.code == "ZL-KETEN")
    assert regional.region.code == "VR24"
    assert RegionalNorm.get().region.code == "VR24"


def test_edit_bumps_revision(database):
    load_reference_data()
    factories.default_framework()
    document = ind_domain.load_file(ind_domain.DEFAULT_INDICATORS)
    ind_domain.import_indicators(document)
    document["indicators"][0]["norm"] = 80
    assert ind_domain.import_indicators(document)["changed"] == 1
    definition = IndicatorDefinition.get(IndicatorDefinition.code == "NAL-GEM")
    assert definition.norm == 80
    assert definition.revision == 2
