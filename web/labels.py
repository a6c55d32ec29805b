"""What people read instead of stored codes: audit actions, batch jobs and
their summaries, the values in an assessment's history. Every label is a
Dutch msgid, translated when shown; an unknown code still reads as words."""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import gettext as _

from domain.review import is_ready
from models import (
    ApiToken,
    Assessment,
    Cycle,
    Gemeente,
    IndicatorDefinition,
    Organisation,
    Region,
    User,
)
from models.choices import (
    ACTION_STATES,
    ASSESSMENT_STATES,
    COMPUTATIONS,
    DIRECTIONS,
    ESCALATION_STEPS,
    N_,
    ROLES,
    SCORES,
)
from web.formatting import datum, getal

AUDIT_ACTIONS = {
    "recompute_requested": N_("Herberekening aangevraagd"),
    "recompute_done": N_("Herberekening uitgevoerd"),
    "access_denied": N_("Toegang geweigerd"),
    "anonymous_repeated": N_("Herhaald zonder aanmelding (samengeteld)"),
    "api_refused": N_("Gegevensfeed geweigerd: geen geldige sleutel"),
    "api_token_revoked": N_("Sleutel voor de gegevensfeed ingetrokken"),
    "assessment_copied_forward": N_("Antwoorden uit vorige ronde overgenomen"),
    "assessment_copies_confirmed": N_("Overgenomen antwoorden bevestigd"),
    "assessment_ready": N_("Klaar gemeld voor controle"),
    "assessment_reopened": N_("Zelfevaluatie heropend"),
    "assessment_submitted": N_("Zelfevaluatie ingediend"),
    "cycle_closed": N_("Ronde gesloten"),
    "cycle_created": N_("Ronde aangemaakt"),
    "cycle_opened": N_("Ronde geopend"),
    "gemeente_saved": N_("Gemeente opgeslagen"),
    "import": N_("Bestand geïmporteerd"),
    "indicator_changed": N_("Indicator gewijzigd"),
    "invitation_sent": N_("Uitnodiging verstuurd"),
    "login": N_("Ingelogd"),
    "login_failed": N_("Inloggen mislukt"),
    "login_throttled": N_("Inloggen tijdelijk geblokkeerd"),
    "logout": N_("Uitgelogd"),
    "monitor_exported": N_("Voortgang geëxporteerd"),
    "organisation_saved": N_("Organisatie opgeslagen"),
    "password_changed": N_("Wachtwoord gewijzigd"),
    "password_reset": N_("Wachtwoord opnieuw ingesteld"),
    "password_reset_requested": N_("Nieuw wachtwoord aangevraagd"),
    "region_saved": N_("Regio opgeslagen"),
    "reminder_sent": N_("Herinnering verstuurd"),
    "role_granted": N_("Rol toegekend"),
    "role_revoked": N_("Rol ingetrokken"),
    "user_changed": N_("Gebruiker gewijzigd"),
    "user_created": N_("Gebruiker aangemaakt"),
    "api_request": N_("Gegevensfeed opgevraagd"),
    "api_token_created": N_("Sleutel voor de gegevensfeed gemaakt"),
    "invitation_accepted": N_("Uitnodiging geaccepteerd"),
    "password_change_failed": N_("Wachtwoord wijzigen mislukt"),
    "password_change_throttled": N_("Wachtwoord wijzigen tijdelijk geblokkeerd"),
    "practice_sharing_saved": N_("Delen van goede voorbeelden gewijzigd"),
    "reference_year_loaded": N_("Referentiecijfers van een jaar ingelezen"),
    "reminders_sent": N_("Herinneringen verstuurd"),
}

OBJECT_TYPES = {
    "assessment": N_("Zelfevaluatie"),
    "cycle": N_("Ronde"),
    "gemeente": N_("Gemeente"),
    "indicator": N_("Indicator"),
    "organisation": N_("Organisatie"),
    "organisations": N_("Organisaties"),
    "region": N_("Regio"),
    "user": N_("Gebruiker"),
    "users": N_("Gebruikers"),
    "api_token": N_("Sleutel voor de gegevensfeed"),
    "reference_year": N_("Referentiejaar"),
}

DETAIL_KEYS = {
    "active": N_("actief"),
    "answers": N_("antwoorden"),
    "assessments": N_("zelfevaluaties"),
    "changes": N_("wijzigingen"),
    "code": N_("code"),
    "email": N_("e-mailadres"),
    "file": N_("bestand"),
    "format": N_("formaat"),
    "gemeenten": N_("gemeenten"),
    "known": N_("bekend adres"),
    "method": N_("methode"),
    "name": N_("naam"),
    "path": N_("adres"),
    "period": N_("periode"),
    "reason": N_("reden"),
    "recipients": N_("ontvangers"),
    "region": N_("regio"),
    "role": N_("rol"),
    "scope": N_("voor"),
    "source": N_("uit ronde"),
    "status": N_("HTTP-status"),
    "wait_seconds": N_("wachttijd (seconden)"),
    "what": N_("wat"),
    "count": N_("aantal keer"),
    "hour": N_("uur vanaf (UTC)"),
    "address": N_("adres of netwerk"),
    "owner": N_("eigenaar"),
    "nieuw": N_("nieuw"),
    "gewijzigd": N_("gewijzigd"),
    "ongewijzigd": N_("ongewijzigd"),
    "fouten": N_("fouten"),
    "added": N_("toegevoegd"),
    "enabled": N_("aan"),
    "expires_at": N_("geldig tot"),
    "merged": N_("samengevoegd"),
    "messages": N_("berichten"),
    "organisations": N_("organisaties"),
    "people": N_("personen"),
    "query": N_("zoekvraag"),
    # the states of a closed cycle's assessments
    **ASSESSMENT_STATES,
}

# Fields named in "changes" (a user's or an indicator's).
CHANGED_FIELDS = {
    "name": N_("naam"),
    "email": N_("e-mailadres"),
    "locale": N_("taal"),
    "active": N_("actief"),
    "description": N_("toelichting"),
    "computation": N_("berekening"),
    "params": N_("parameters"),
    "filter_themes": N_("thema’s"),
    "filter_levels": N_("niveaus"),
    "filter_frequencies": N_("frequenties"),
    "unit": N_("eenheid"),
    "direction": N_("richting"),
    "norm": N_("norm"),
    "green_threshold": N_("drempel groen"),
    "orange_threshold": N_("drempel oranje"),
}

JOBS = {
    "nightly": N_("Nachtelijke verwerking"),
    "recompute": N_("Herberekening"),
    "distributie": N_("Verzending van rapporten"),
    "bijwerken": N_("Bijwerken open ronde"),
    "herberekenen": N_("Herberekening op verzoek"),
    "setup": N_("Eerste berekening (set-up)"),
}

RUN_STATES = {
    "bezig": N_("Bezig"),
    "gereed": N_("Gereed"),
    "mislukt": N_("Mislukt"),
    "afgebroken": N_("Afgebroken"),
}

SUMMARY_KEYS = {
    "closed_cycles": N_("Rondes gesloten"),
    "reminders_queued": N_("Herinneringen klaargezet"),
    "last_step": N_("Laatste stap"),
    "cycles_checked": N_("Rondes nagekeken"),
    "cycles_recomputed": N_("Rondes herberekend"),
    "results_written": N_("Resultaten geschreven"),
    "results_unchanged": N_("Resultaten ongewijzigd"),
    "reports_written": N_("Rapporten gemaakt"),
    "reports_mailed": N_("Rapporten klaargezet voor verzending"),
    "mail_sent": N_("E-mails verzonden"),
    "mail_retry": N_("E-mails later opnieuw"),
    "mail_failed": N_("E-mails mislukt"),
    "mail_queued": N_("E-mails klaargezet"),
    "already_queued": N_("Al eerder klaargezet"),
    "without_report": N_("Zonder rapport"),
    "recomputed_on_request": N_("Op verzoek herberekend"),
    "reason": N_("Reden"),
    "reports_failed": N_("Rapporten mislukt"),
    "pruned": N_("Oude rapporten opgeruimd"),
    "skipped": N_("Overgeslagen"),
}


def label(vocabulary: dict, code) -> str:
    """The translated label of a code; an unknown code as plain words."""
    text = vocabulary.get(code)
    if text is None:
        return str(code).replace("_", " ")
    return _(text)


def value_text(value) -> str:
    """Any stored detail value as words: lists joined, yes/no, numbers Dutch."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    if isinstance(value, int | float):
        return getal(value, 0 if float(value).is_integer() else 2)
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value) if value else _("geen")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items()) if value else _("geen")
    if isinstance(value, str) and ISO_MOMENT.match(value):
        # a stored ISO date or UTC moment ("2027-03-06T12:43:15") as people write it
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return datum(moment if "T" in value else moment.date())
    return str(value)


ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$")


def summary_items(summary: dict | None) -> list[tuple[str, str]]:
    """A batch run's summary as (label, value) pairs, in the order the run does its work
    (the stored JSON has its keys sorted alphabetically)."""
    order = {key: i for i, key in enumerate(SUMMARY_KEYS)}
    items = sorted((summary or {}).items(), key=lambda kv: order.get(kv[0], len(order)))
    return [(label(SUMMARY_KEYS, k), value_text(v)) for k, v in items]


def _changes_text(changes: dict) -> str:
    parts = []
    for field, pair in changes.items():
        name = label(CHANGED_FIELDS, field)
        if isinstance(pair, list | tuple) and len(pair) == 2:
            old, new = (_changed_value(field, v) for v in pair)
            parts.append(f"{name}: {old} → {new}")
        else:
            parts.append(f"{name}: {value_text(pair)}")
    return "; ".join(parts)


def _changed_value(field: str, value) -> str:
    vocabulary = {"computation": COMPUTATIONS, "direction": DIRECTIONS}.get(field)
    if vocabulary and value in vocabulary:
        return _(vocabulary[value])
    if value in ("True", "False"):
        return _("ja") if value == "True" else _("nee")
    if isinstance(value, str) and NUMBER.match(value):
        # stored as str(Decimal) or str(float): "75.0" reads as "75", "77.5" as "77,5"
        decimals = value.partition(".")[2].rstrip("0")
        return getal(float(value), len(decimals))
    if value == "None":
        return "–"
    return value_text(value)


NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def detail_items(action: str, details: dict | None) -> list[tuple[str, str]]:
    """An audit event's details as (label, value) pairs, codes turned into words."""
    items = []
    for key, value in (details or {}).items():
        if key == "changes" and isinstance(value, dict):
            text = _changes_text(value)
        elif key == "role":
            text = label(ROLES, value)
        elif key == "what":
            text = label(AUDIT_ACTIONS, value)
        else:
            text = value_text(value)
        items.append((label(DETAIL_KEYS, key), text))
    return items


def _names(model, ids: set[int], name) -> dict[int, str]:
    if not ids:
        return {}
    return {row.id: name(row) for row in model.select().where(model.id.in_(list(ids)))}


def object_names(events) -> dict[tuple[str, str], str]:
    """(object_type, object_id) → a readable name, looked up per type in one query each."""
    wanted: dict[str, set[int]] = {}
    for e in events:
        if e.object_id and str(e.object_id).isascii() and str(e.object_id).isdigit():
            wanted.setdefault(e.object_type, set()).add(int(e.object_id))
    lookups = {
        "user": (User, lambda u: f"{u.name} ({u.email})"),
        "organisation": (Organisation, lambda o: o.name),
        "region": (Region, lambda r: r.name),
        "gemeente": (Gemeente, lambda g: g.name),
        "cycle": (Cycle, lambda c: c.period),
        "indicator": (IndicatorDefinition, lambda i: f"{i.code} {i.name}"),
        "api_token": (ApiToken, lambda t: f"„{t.name}”"),
    }
    names: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        if kind == "assessment":
            rows = (
                Assessment.select(Assessment, Organisation, Cycle)
                .join(Organisation)
                .switch(Assessment)
                .join(Cycle)
                .where(Assessment.id.in_(list(ids)))
            )
            found = {a.id: f"{a.organisation.name} {a.cycle.period}" for a in rows}
        elif kind in lookups:
            model, name = lookups[kind]
            found = _names(model, ids, name)
        else:
            continue
        names.update({(kind, str(i)): n for i, n in found.items()})
    return names


def object_text(event, names: dict) -> str:
    """'Gebruiker Anna de Vries (anna@…)'; a removed object keeps its number."""
    if not event.object_type:
        return ""
    kind = label(OBJECT_TYPES, event.object_type)
    if event.object_type == "reference_year":  # the year itself, not a row's number
        return f"{kind} {event.object_id}"
    name = names.get((event.object_type, str(event.object_id)))
    if name:
        return f"{kind} {name}"
    if event.object_id:
        return _("%(kind)s (verwijderd, nr. %(id)s)", kind=kind, id=event.object_id)
    return kind


# --- an assessment's history -------------------------------------------------


def change_value(field: str, value: str | None) -> str:
    """A stored change value (a code, 'ja', an ISO date) as the form shows it."""
    if value is None or value == "":
        return "–"
    if field == "state":
        return label(ASSESSMENT_STATES, value)
    if field == "action_status":
        return label(ACTION_STATES, value)
    if (
        field in ("score", "partner_score")
        and value.isascii()
        and value.isdigit()
        and int(value) in SCORES
    ):
        return f"{value} – {_(SCORES[int(value)])}"
    if field in ("in_writing", "not_applicable") and value in ("ja", "nee"):
        return _(value)
    if field in ("last_evaluated_on", "action_due"):
        try:
            return datum(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if field == "escalation":
        return _escalation_text(value)
    return value


ESCALATION_TEXT = re.compile(r"^(\d+)×, trede (\d+)(, opgelost)?$")


def _escalation_text(value: str) -> str:
    # Stored by the form's writer as "3×, trede 2, opgelost".
    match = ESCALATION_TEXT.match(value)
    if not match:
        return value
    step = ESCALATION_STEPS.get(int(match.group(2)))
    return _(
        "%(times)s keer niet nageleefd, hoogste trede: %(step)s%(resolved)s",
        times=match.group(1),
        step=_(step) if step else match.group(2),
        resolved=(", " + _("opgelost")) if match.group(3) else "",
    )


# --- an assessment's state as people read it ---------------------------------

# Not a stored state: an assessment being filled in that an invuller has
# marked "klaar voor controle" (domain/review.py), for the manager to submit.
READY = "klaar_voor_controle"
# The stored "concept" reads as "Bezig" (being filled in) on the pages: the
# five states of the status badge are Niet gestart, Bezig, Klaar voor
# controle, Ingediend and Heropend.
DISPLAY_STATES = {**ASSESSMENT_STATES, "concept": N_("Bezig"), READY: N_("Klaar voor controle")}


def display_state(assessment) -> str:
    """The assessment's state, or READY when marked ready and not submitted."""
    return READY if is_ready(assessment) else assessment.state


def assessment_state(assessment) -> tuple[str, str]:
    """The assessment's display state and its translated label (the status badge)."""
    key = display_state(assessment)
    return key, label(DISPLAY_STATES, key)
