"""Fixed vocabularies of the domain: stored codes with their Dutch labels."""

ORGANISATION_KINDS = {
    "jgz": "Jeugdgezondheidszorg (JGZ)",
    "veilig_thuis": "Veilig Thuis",
    "wijkteam": "Wijkteam / jeugdteam",
    "cjg": "Centrum voor Jeugd en Gezin (CJG)",
    "ivh": "Integrale Vroeghulp",
    "rvdk": "Raad voor de Kinderbescherming",
    "gi": "Gecertificeerde instelling",
    "politie": "Politie",
    "om": "Openbaar Ministerie",
    "onderwijs": "Onderwijs",
    "huisarts": "Huisartsenpraktijk",
    "verloskunde": "Verloskundigenpraktijk",
    "forensisch": "Forensische geneeskunde",
}

LEVELS = {
    "uitvoerend": "Uitvoerend",
    "beleid": "Beleid",
    "management": "Management / bestuurlijk",
}

FREQUENCIES = {
    "eenmalig": "Eenmalig",
    "structureel": "Structureel",
    "incidenteel": "Incidenteel",
}

ROLES = {
    "beheerder": "Beheerder",
    "regiocoordinator": "Regiocoördinator",
    "manager": "Manager",
    "invuller": "Invuller",
    "gemeente": "Gemeente",
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
    "concept": "Concept",
    "gepubliceerd": "Gepubliceerd",
    "gearchiveerd": "Gearchiveerd",
}

CYCLE_STATES = {"gepland": "Gepland", "open": "Open", "gesloten": "Gesloten"}

ASSESSMENT_STATES = {
    "niet_gestart": "Niet gestart",
    "concept": "Concept",
    "ingediend": "Ingediend",
    "heropend": "Heropend",
}

SCORES = {0: "Niet", 1: "Nauwelijks", 2: "Deels", 3: "Grotendeels", 4: "Volledig"}

ACTION_STATES = {
    "open": "Open",
    "in_uitvoering": "In uitvoering",
    "gereed": "Gereed",
    "vervallen": "Vervallen",
}

# The escalation ladder of the Richtlijn Kindermishandeling (2016), ch. 4.
ESCALATION_STEPS = {
    0: "Niet opgeschaald",
    1: "Casemanager",
    2: "Aandachtsfunctionaris / leidinggevende",
    3: "Management",
    4: "Gemeente",
}

COMPUTATIONS = {
    "mean_compliance": "Gemiddelde naleving (% van de maximale score)",
    "share_at_least": "Aandeel antwoorden met ten minste een score",
    "share_in_writing": "Aandeel schriftelijk vastgelegd",
    "share_evaluated_within": "Aandeel geëvalueerd binnen N maanden",
    "response_rate_on_time": "Respons vóór de uiterste datum",
    "partner_gap": "Verschil eigen oordeel en oordeel partner",
    "escalations": "Escalaties en aandeel opgelost",
    "actions_on_time": "Verbeteracties op tijd gereed",
}

DIRECTIONS = {"hoger_beter": "Hoger is beter", "lager_beter": "Lager is beter"}

SIGNALS = {"groen": "Groen", "oranje": "Oranje", "rood": "Rood", "geen": "Geen oordeel"}

SCOPE_TYPES = {
    "organisatie": "Organisatie",
    "gemeente": "Gemeente",
    "regio": "Regio",
    "land": "Nederland",
}

RUN_STATES = {
    "bezig": "Bezig",
    "gereed": "Gereed",
    "mislukt": "Mislukt",
    "overgeslagen": "Overgeslagen",
}

OUTBOX_STATES = {"wachtend": "Wachtend", "verzonden": "Verzonden", "mislukt": "Mislukt"}
