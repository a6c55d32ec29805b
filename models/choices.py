"""Fixed vocabularies of the domain: stored codes with their Dutch labels.
Labels are marked with N_ so the web layer can translate them."""


def N_(message: str) -> str:  # noqa: N802 - the gettext marker name
    """Mark a label for translation."""
    return message


ORGANISATION_KINDS = {
    "jgz": N_("Jeugdgezondheidszorg (JGZ)"),
    "veilig_thuis": N_("Veilig Thuis"),
    "wijkteam": N_("Wijkteam / jeugdteam"),
    "cjg": N_("Centrum voor Jeugd en Gezin (CJG)"),
    "ivh": N_("Integrale Vroeghulp"),
    "rvdk": N_("Raad voor de Kinderbescherming"),
    "gi": N_("Gecertificeerde instelling"),
    "politie": N_("Politie"),
    "om": N_("Openbaar Ministerie"),
    "onderwijs": N_("Onderwijs"),
    "huisarts": N_("Huisartsenpraktijk"),
    "verloskunde": N_("Verloskundigenpraktijk"),
    "forensisch": N_("Forensische geneeskunde"),
}

LEVELS = {
    "uitvoerend": N_("Uitvoerend"),
    "beleid": N_("Beleid"),
    "management": N_("Management / bestuurlijk"),
}

FREQUENCIES = {
    "eenmalig": N_("Eenmalig"),
    "structureel": N_("Structureel"),
    "incidenteel": N_("Incidenteel"),
}

ROLES = {
    "beheerder": N_("Beheerder"),
    "regiocoordinator": N_("Regiocoördinator"),
    "manager": N_("Manager"),
    "invuller": N_("Invuller"),
    "gemeente": N_("Gemeente"),
}

# The object a role assignment is scoped to; None means "everything".
ROLE_SCOPE = {
    "beheerder": None,
    "regiocoordinator": "region",
    "manager": "organisation",
    "invuller": "organisation",
    "gemeente": "gemeente",
}

FRAMEWORK_STATES = {
    "concept": N_("Concept"),
    "gepubliceerd": N_("Gepubliceerd"),
    "gearchiveerd": N_("Gearchiveerd"),
}

CYCLE_STATES = {"gepland": N_("Gepland"), "open": N_("Open"), "gesloten": N_("Gesloten")}

ASSESSMENT_STATES = {
    "niet_gestart": N_("Niet gestart"),
    "concept": N_("Concept"),
    "ingediend": N_("Ingediend"),
    "heropend": N_("Heropend"),
}

SCORES = {
    0: N_("Niet"),
    1: N_("Nauwelijks"),
    2: N_("Deels"),
    3: N_("Grotendeels"),
    4: N_("Volledig"),
}

ACTION_STATES = {
    "open": N_("Open"),
    "in_uitvoering": N_("In uitvoering"),
    "gereed": N_("Gereed"),
    "vervallen": N_("Vervallen"),
}

# The escalation ladder of the Richtlijn Kindermishandeling (2016), ch. 4.
ESCALATION_STEPS = {
    0: N_("Niet opgeschaald"),
    1: N_("Casemanager"),
    2: N_("Aandachtsfunctionaris / leidinggevende"),
    3: N_("Management"),
    4: N_("Gemeente"),
}

COMPUTATIONS = {
    "mean_compliance": N_("Gemiddelde naleving (als percentage van de maximale score)"),
    "share_at_least": N_("Aandeel antwoorden met ten minste een score"),
    "share_in_writing": N_("Aandeel schriftelijk vastgelegd"),
    "share_evaluated_within": N_("Aandeel geëvalueerd binnen N maanden"),
    "response_rate_on_time": N_("Respons vóór de uiterste datum"),
    "partner_gap": N_("Verschil eigen oordeel en oordeel partner"),
    "escalations": N_("Escalaties en aandeel opgelost"),
    "actions_on_time": N_("Verbeteracties op tijd gereed"),
}

DIRECTIONS = {"hoger_beter": N_("Hoger is beter"), "lager_beter": N_("Lager is beter")}

SIGNALS = {
    "groen": N_("Groen"),
    "oranje": N_("Oranje"),
    "rood": N_("Rood"),
    "geen": N_("Geen oordeel"),
    # RESPONS while the open cycle's due date has not passed: not judged yet.
    "nog_open": N_("Nog open"),
}

SCOPE_TYPES = {
    "organisatie": N_("Organisatie"),
    "gemeente": N_("Gemeente"),
    "regio": N_("Regio"),
    "land": N_("Nederland"),
}

RUN_STATES = {
    "bezig": N_("Bezig"),
    "gereed": N_("Gereed"),
    "mislukt": N_("Mislukt"),
    "overgeslagen": N_("Overgeslagen"),
}

OUTBOX_STATES = {"wachtend": N_("Wachtend"), "verzonden": N_("Verzonden"), "mislukt": N_("Mislukt")}

# Fields recorded in the change history of an assessment.
CHANGE_FIELDS = {
    "score": N_("Score"),
    "not_applicable": N_("Niet van toepassing"),
    "not_applicable_reason": N_("Reden n.v.t."),
    "in_writing": N_("Schriftelijk vastgelegd"),
    "last_evaluated_on": N_("Laatst geëvalueerd"),
    "explanation": N_("Toelichting"),
    "partner_score": N_("Oordeel over de partner"),
    "action": N_("Verbeteractie"),
    "action_owner": N_("Eigenaar verbeteractie"),
    "action_due": N_("Streefdatum verbeteractie"),
    "action_status": N_("Status verbeteractie"),
    "escalation": N_("Escalatiesignaal"),
    "state": N_("Status"),
    "reopen_reason": N_("Reden heropenen"),
    "copied_from": N_("Overgenomen uit ronde"),
    "confirmed": N_("Overgenomen antwoord bevestigd"),
}
