"""The exact rules behind the succesindicatoren that several places share:
the response deadline (Europe/Amsterdam, due date inclusive), the window of
'evaluated within N months', the window of improvement actions, and each
computation kind's rule in words, which the Toelichting sheet and the
results page show beside the indicator's own description."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from models.choices import FREQUENCIES, LEVELS, N_

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def deadline(due_on: dt.date) -> dt.datetime:
    """The end of the due date in Amsterdam (midnight at the start of the next
    day there), as a naive UTC time like every stored time."""
    local = dt.datetime.combine(due_on + dt.timedelta(days=1), dt.time(), tzinfo=AMSTERDAM)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def on_time(first_submitted_at: dt.datetime | None, due_on: dt.date) -> bool:
    """Whether an assessment was first submitted by the end of the due date
    (Amsterdam time); a later reopening does not change it."""
    return first_submitted_at is not None and first_submitted_at < deadline(due_on)


def local_date(moment: dt.datetime) -> dt.date:
    """The Amsterdam calendar date of a stored (naive UTC) time."""
    return moment.replace(tzinfo=dt.UTC).astimezone(AMSTERDAM).date()


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier; the last day of that
    month where it is shorter (31 May − 3 months = 28 or 29 February)."""
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def evaluation_window(due_on: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """First and last day (both counted) on which an evaluation counts as
    'within N months before the due date'."""
    return months_before(due_on, months), due_on


def action_windows(cycles_in_order) -> dict[int, tuple[dt.date, dt.date]]:
    """Each cycle's window for improvement actions, first and last day both
    counted: from the day after the previous cycle's due date (the first
    cycle: its opening date) up to and including its own due date."""
    out, previous = {}, None
    for cycle in cycles_in_order:
        first = previous + dt.timedelta(days=1) if previous else cycle.opens_on
        out[cycle.id] = (min(first, cycle.due_on), cycle.due_on)
        previous = cycle.due_on
    return out


# --- each computation kind's rule in words ------------------------------------

# Every indicator counts only submitted assessments (state 'ingediend' when the
# batch runs), except the response rate, which counts every assessment.
POPULATION = N_(
    "Telt mee: de zelfevaluaties die bij de berekening zijn ingediend (een heropende "
    "zelfevaluatie telt pas weer mee als ze opnieuw is ingediend)."
)

RULES: dict[str, list[str]] = {
    "mean_compliance": [
        POPULATION,
        N_(
            "Noemer: het aantal antwoorden met een score (0–4) op de afspraken in het filter. "
            "Teller: de som van die scores. Waarde: teller / noemer / 4 × 100 %%."
        ),
        N_("Niet mee: antwoorden met ‘niet van toepassing’, want die hebben geen score."),
    ],
    "share_at_least": [
        POPULATION,
        N_(
            "Noemer: het aantal antwoorden met een score (0–4) op de afspraken in het filter. "
            "Teller: de antwoorden met score %(min_score)s of hoger."
        ),
        N_("Niet mee: antwoorden met ‘niet van toepassing’, want die hebben geen score."),
    ],
    "share_in_writing": [
        POPULATION,
        N_(
            "Noemer: het aantal antwoorden met een score (0–4) op de afspraken in het filter. "
            "Teller: de antwoorden waarbij ‘schriftelijk vastgelegd’ ja is; nee of leeg telt "
            "als niet vastgelegd."
        ),
        N_("Niet mee: antwoorden met ‘niet van toepassing’."),
    ],
    "share_evaluated_within": [
        POPULATION,
        N_(
            "Noemer: het aantal antwoorden met een score (0–4) op de afspraken in het filter. "
            "Teller: de antwoorden met een datum ‘laatst geëvalueerd’ vanaf dezelfde dag "
            "%(months)s maanden vóór de uiterste datum tot en met de uiterste datum zelf "
            "(beide dagen tellen mee). Een lege datum of een datum buiten dat venster telt als "
            "niet geëvalueerd."
        ),
        N_("Niet mee: antwoorden met ‘niet van toepassing’."),
    ],
    "response_rate_on_time": [
        N_(
            "Telt mee: elke zelfevaluatie van de ronde (één per organisatie die bij het openen "
            "van de ronde actief was), ingediend of niet."
        ),
        N_(
            "Noemer: het aantal zelfevaluaties. Teller: de zelfevaluaties die voor het eerst "
            "zijn ingediend uiterlijk op de uiterste datum, tot en met 23:59 uur Nederlandse "
            "tijd (Europe/Amsterdam). Een zelfevaluatie die op tijd was ingediend en daarna is "
            "heropend, blijft op tijd zolang de ronde open is; is ze bij het sluiten van de "
            "ronde niet opnieuw ingediend, dan telt ze niet als op tijd."
        ),
    ],
    "partner_gap": [
        N_(
            "Telt mee: bij bilaterale afspraken elk oordeel dat een partnerorganisatie in haar "
            "ingediende zelfevaluatie van dezelfde ronde over deze organisatie gaf, naast de "
            "score die de organisatie zichzelf op dezelfde afspraak gaf (ook ingediend)."
        ),
        N_(
            "Noemer: het aantal van die paren (eigen score, oordeel van een partner). Teller: "
            "de som van de absolute verschillen. Waarde: het gemiddelde verschil in punten op de "
            "schaal 0–4."
        ),
        N_(
            "Niet mee: afspraken die de organisatie n.v.t. vond, oordelen zonder genoemde "
            "partnerorganisatie en oordelen uit een zelfevaluatie die niet (meer) is ingediend."
        ),
    ],
    "escalations": [
        POPULATION,
        N_(
            "Noemer: de escalatiesignalen op de afspraken in het filter die minstens één keer "
            "niet werden nageleefd en zijn opgeschaald (hoogste trede 1 casemanager of hoger). "
            "Teller: die signalen die zijn opgelost. Ernaast staat hoe vaak die afspraken in "
            "totaal niet werden nageleefd."
        ),
        N_("Niet mee: signalen op trede 0 (niet opgeschaald) en signalen met 0 keer."),
    ],
    "actions_on_time": [
        N_(
            "Telt mee: de verbeteracties van ingediende zelfevaluaties van de organisatie (uit "
            "welke ronde ook) met een streefdatum in het venster van de ronde: vanaf de dag na "
            "de uiterste datum van de vorige ronde (bij de eerste ronde: de openingsdatum) tot "
            "en met de uiterste datum van deze ronde."
        ),
        N_(
            "Noemer: die acties. Teller: de acties met status gereed die uiterlijk op hun "
            "streefdatum gereed zijn gemeld (de datum in Nederlandse tijd). Een actie die (nog) "
            "niet gereed is, telt als niet op tijd."
        ),
        N_("Niet mee: vervallen acties en acties zonder streefdatum."),
    ],
}


def filter_text(ind, themes: dict[str, str] | None = None) -> str:
    """The indicator's filter in Dutch: which agreements it counts. Themes by
    their title where `themes` (code → title) knows them, else by code."""
    parts = []
    if ind.filter_themes:
        names = themes or {}
        parts.append("thema's " + ", ".join(names.get(c, c) for c in ind.filter_themes))
    if ind.filter_levels:
        parts.append("niveau " + ", ".join(LEVELS.get(v, v).lower() for v in ind.filter_levels))
    if ind.filter_frequencies:
        parts.append(
            "frequentie " + ", ".join(FREQUENCIES.get(v, v).lower() for v in ind.filter_frequencies)
        )
    return "; ".join(parts) if parts else "alle afspraken"


def rule(ind, translate=lambda text: text, themes: dict[str, str] | None = None) -> list[str]:
    """The exact rule of an indicator, sentence by sentence (in Dutch, or
    through `translate`), its parameters filled in; the filter names its
    themes by title where `themes` (code → title) knows them."""
    params = {k: v for k, v in (ind.params or {}).items()}
    lines = [translate(text) % params for text in RULES.get(ind.computation, [])]
    if ind.computation != "response_rate_on_time":
        lines.append(translate(N_("Filter: %(filter)s.")) % {"filter": filter_text(ind, themes)})
    return lines
