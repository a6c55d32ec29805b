"""How far an assessment is: progress, each agreement's and theme's state, what blocks submit."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.assessment_agreements import applicable_agreements, partner_ratings, partners_apart
from domain.assessment_saving import ANSWERS
from models import Agreement, Answer, Assessment, EscalationSignal, Theme
from models.choices import N_
from models.compiled import CompiledQuery

_ANSWERED = CompiledQuery(
    lambda assessment: (
        Answer.select(Answer.agreement)
        .where(Answer.assessment == assessment, Answer.score.is_null(False) | Answer.not_applicable)
        .tuples()
    )
)


def escalation_count(assessment: Assessment) -> int:
    """How many escalation signals the assessment records."""
    return EscalationSignal.select().where(EscalationSignal.assessment == assessment).count()


def progress(assessment: Assessment, agreements: list[Agreement] | None = None) -> tuple[int, int]:
    """(answered, total): an agreement counts as answered with a score or n.v.t."""
    agreements = agreements if agreements is not None else applicable_agreements(assessment)
    ids = {a.id for a in agreements}
    # One answer per agreement (unique); those of agreements that no longer
    # apply (the organisation changed kind) do not count.
    answered = sum(1 for (agreement_id,) in _ANSWERED(assessment) if agreement_id in ids)
    return answered, len(ids)


def _lacks_score(agreement: Agreement, answer: Answer | None, rated: dict) -> str | None:
    if answer is None or (answer.score is None and not answer.not_applicable):
        return N_("nog geen score of n.v.t.")
    return None


UNCONFIRMED = N_("overgenomen uit de vorige ronde en nog niet bevestigd")


def _lacks_confirmation(agreement: Agreement, answer: Answer | None, rated: dict) -> str | None:
    if answer is not None and answer.copied:
        return UNCONFIRMED
    return None


def _lacks_reason(agreement: Agreement, answer: Answer | None, rated: dict) -> str | None:
    if answer is not None and answer.not_applicable and not answer.not_applicable_reason:
        return N_("nog geen reden waarom de afspraak niet van toepassing is")
    return None


def _lacks_writing(agreement: Agreement, answer: Answer | None, rated: dict) -> str | None:
    # A scored answer says whether the agreement is written down (ja or nee).
    if answer is not None and answer.score is not None and answer.in_writing is None:
        return N_("nog niet aangegeven of de afspraak schriftelijk is vastgelegd")
    return None


def _lacks_partner(agreement: Agreement, answer: Answer | None, rated: dict) -> str | None:
    # A bilateral agreement needs an answer about at least one of its partner
    # organisations, when it has any: a rating, or "werken niet samen op deze
    # afspraak" (`rated` holds both). Only n.v.t. releases it: a missing
    # score does not hold it back for a second pass.
    if not agreement.bilateral or (answer is not None and answer.not_applicable):
        return None
    if not getattr(agreement, "partners", None):
        return None
    if answer is None or not rated.get(agreement.id):
        return PARTNER_MISSING
    return None


PARTNER_MISSING = N_("nog geen oordeel over een partnerorganisatie")


# Each check looks at one agreement, its answer and the answers' partner
# ratings and names what it lacks; further requirements slot in here and are
# reported in the same single pass.
COMPLETENESS_CHECKS = [
    _lacks_score,
    _lacks_confirmation,
    _lacks_reason,
    _lacks_writing,
    _lacks_partner,
]


# The field each check's message belongs to (`a12-reason`), for the page to
# say it there.
CHECK_FIELDS = {
    _lacks_score: "score",
    _lacks_confirmation: "confirm",
    _lacks_reason: "reason",
    _lacks_writing: "writing",
    _lacks_partner: "partner",
}


@dataclass(slots=True)
class AgreementState:
    """Where one agreement of an assessment stands."""

    answered: bool = False  # a score or n.v.t., not merely copied
    copied: bool = False  # copied from the previous cycle, not confirmed yet
    lacks: list[tuple[str, str]] = field(default_factory=list)  # (field, message)

    @property
    def faults(self) -> list[tuple[str, str]]:
        """What an answered or copied agreement still lacks besides its
        score and confirmation, as (field, what to do there): said at the
        field, counted as errors."""
        if not (self.answered or self.copied):
            return []
        return [(f, FIELD_MESSAGES[f]) for f, _m in self.lacks if f in FIELD_MESSAGES]


# What to do at a field an answered agreement still lacks.
FIELD_MESSAGES = {
    "reason": N_("Geef aan waarom deze afspraak niet van toepassing is."),
    "writing": N_("Kies of de afspraak schriftelijk is vastgelegd: ja of nee."),
    "partner": N_(
        "Kies bij minstens één partnerorganisatie een oordeel of "
        "‘werken niet samen op deze afspraak’."
    ),
}


@dataclass(slots=True)
class ThemeState:
    """One theme of the form, as its task list shows it."""

    theme: Theme
    number: int  # its place in the form, from 1
    agreements: list[Agreement]
    answered: int = 0
    copied: int = 0
    faults: int = 0
    complete: int = 0

    @property
    def total(self) -> int:
        return len(self.agreements)

    @property
    def state(self) -> str:
        """niet_begonnen, bezig, klaar or fouten."""
        if self.faults:
            return "fouten"
        if self.complete == self.total:
            return "klaar"
        if self.answered or self.copied:
            return "bezig"
        return "niet_begonnen"


def agreement_states(
    assessment: Assessment, agreements: list[Agreement]
) -> dict[int, AgreementState]:
    """Per agreement, whether it is answered or copied and all it lacks for
    submitting (the checks of `missing_items`), read in three queries."""
    answers = {a.agreement_id: a for a in ANSWERS(assessment)}
    rated: dict[int, set] = {k: set(v) for k, v in partner_ratings(assessment).items()}
    for agreement_id, apart in partners_apart(assessment).items():
        rated.setdefault(agreement_id, set()).update(apart)
    out = {}
    for agreement in agreements:
        answer = answers.get(agreement.id)
        state = AgreementState()
        if answer is not None and (answer.score is not None or answer.not_applicable):
            state.copied = bool(answer.copied)
            state.answered = not answer.copied
        state.lacks = [
            (CHECK_FIELDS[check], m)
            for check in COMPLETENESS_CHECKS
            if (m := check(agreement, answer, rated))
        ]
        out[agreement.id] = state
    return out


def theme_states(
    agreements: list[Agreement], states: dict[int, AgreementState]
) -> list[ThemeState]:
    """The form's themes in order, each with its agreements and counts."""
    themes: list[ThemeState] = []
    for agreement in agreements:
        if not themes or themes[-1].theme.id != agreement.theme_id:
            themes.append(ThemeState(agreement.theme, len(themes) + 1, []))
        theme = themes[-1]
        theme.agreements.append(agreement)
        state = states[agreement.id]
        theme.answered += state.answered
        theme.copied += state.copied
        theme.faults += bool(state.faults)
        theme.complete += not state.lacks
    return themes


def missing_items(
    assessment: Assessment, agreements: list[Agreement]
) -> list[tuple[Agreement, list[str]]]:
    """Everything that still blocks submitting, in one pass: each incomplete
    agreement with all it lacks. A scored answer needs 'schriftelijk
    vastgelegd' (ja or nee); a bilateral one a rating of at least one of its
    partner organisations, when it has any."""
    answers = {a.agreement_id: a for a in ANSWERS(assessment)}
    rated: dict[int, set] = {k: set(v) for k, v in partner_ratings(assessment).items()}
    for agreement_id, apart in partners_apart(assessment).items():
        rated.setdefault(agreement_id, set()).update(apart)
    missing = []
    for agreement in agreements:
        answer = answers.get(agreement.id)
        lacks = [m for check in COMPLETENESS_CHECKS if (m := check(agreement, answer, rated))]
        if lacks:
            missing.append((agreement, lacks))
    return missing
