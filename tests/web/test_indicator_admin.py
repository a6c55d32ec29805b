"""Editing a succesindicator: validated, and its results recomputed afterwards."""

import html
import re

import pytest

from domain import computation
from models import AuditEvent, IndicatorDefinition
from tests import factories, journey


def _form(definition, **changes):
    form = {
        "name": definition.name,
        "description": definition.description,
        "computation": definition.computation,
        "unit": definition.unit,
        "direction": definition.direction,
        "norm": "75",
        "green": "75",
        "orange": "60",
        "min_score": "3",
        "months": "12",
    }
    form.update(changes)
    return form


def test_edit_is_validated_and_triggers_recomputation(client):
    from domain import indicators
    from domain.reference import load_reference_data

    load_reference_data()
    chain = journey.build()

    indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
    assert computation.recompute().cycles_recomputed == 1
    client.post("/inloggen", data={"email": chain["admin"].email, "password": factories.PASSWORD})
    definition = IndicatorDefinition.get(IndicatorDefinition.code == "NAL-GEM")
    bad = client.post(
        f"/beheer/indicatoren/{definition.id}", data=_form(definition, green="50", orange="70")
    )
    assert bad.status_code == 400
    page = html.unescape(bad.get_data(as_text=True))
    # The field by its label, the direction in words: no field codes.
    assert (
        "Drempel oranje: Bij ‘hoger is beter’ mag de drempel oranje niet boven de drempel "
        "groen liggen" in page
    )
    assert "hoger_beter" not in page.split('<select id="direction"')[0]
    assert "'orange'" not in page
    assert IndicatorDefinition.get_by_id(definition.id).revision == 1
    assert computation.recompute().cycles_recomputed == 0
    ok = client.post(
        f"/beheer/indicatoren/{definition.id}",
        data=_form(definition, norm="80,5", green="80", orange="65"),
    )
    assert ok.status_code == 302
    saved = IndicatorDefinition.get_by_id(definition.id)
    assert (saved.norm, saved.green_threshold, saved.revision) == (80.5, 80, 2)
    assert AuditEvent.get(AuditEvent.action == "indicator_changed").details["code"] == "NAL-GEM"
    assert computation.recompute().cycles_recomputed == 1
    # The form shows the norm as typed (80,5, not 80.5) and themes by their title.
    page = client.get(f"/beheer/indicatoren/{definition.id}").get_data(as_text=True)
    assert 'id="norm" name="norm" type="text" inputmode="decimal" value="80,5"' in page
    assert 'id="green" name="green" type="text" inputmode="decimal" value="80"' in page
    theme = chain["agreements"][0].theme
    # Not ticked (no `checked` between the value and the end of the tag).
    assert re.search(
        rf'value="{theme.code}"\s+class="[^"]*"> {re.escape(theme.title)}</label>', page
    )
    # The list writes each norm in its unit, by the one formatting rule.
    listing = client.get("/beheer/indicatoren").get_data(as_text=True)
    assert '<td class="num">80,5%</td>' in listing
    assert '<td class="num">0,50 punten</td>' in listing


@pytest.mark.parametrize("odd", ["١", "１", "1_0", "1e3", "²", "٣,٥"])
def test_the_form_takes_numbers_in_ascii_digits_only(client, odd):
    """int() and float() read ١ and １ as 1 and 1_0 as 10 (issue 26): the
    form's numbers are ASCII digits with a decimal comma or point, or the
    form says what is wrong and nothing is stored."""
    from domain import indicators
    from domain.reference import load_reference_data

    load_reference_data()
    chain = journey.build()
    indicators.import_indicators(indicators.load_file(indicators.DEFAULT_INDICATORS))
    client.post("/inloggen", data={"email": chain["admin"].email, "password": factories.PASSWORD})
    definition = IndicatorDefinition.get(IndicatorDefinition.code == "NAL-GEM")
    for name in ("norm", "green", "orange"):
        before = IndicatorDefinition.get_by_id(definition.id)
        response = client.post(
            f"/beheer/indicatoren/{definition.id}", data=_form(definition, **{name: odd})
        )
        assert response.status_code == 400, (name, odd)
        after = IndicatorDefinition.get_by_id(definition.id)
        assert (after.norm, after.green_threshold, after.orange_threshold) == (
            before.norm, before.green_threshold, before.orange_threshold)  # fmt: skip
    # The same in ASCII digits is saved.
    response = client.post(f"/beheer/indicatoren/{definition.id}", data=_form(definition))
    assert response.status_code == 302
