"""The self-assessment form's fields, prepared for its template.

A national form has some fifty agreements, each with a dozen fields, choice
lists and labels. Looking every value, error and translation up from the
template cost more than everything else on the page, so the view prepares
them here once per page: each agreement's values and translated error
messages, the choice lists as finished `<option>` markup, the partner
labels. The template only lays them out; the HTML is the same as when the
template looked everything up itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext
from jinja2.filters import do_truncate
from markupsafe import Markup, escape

from domain.assessment_form import NOT_TOGETHER
from models import Agreement
from models.choices import ACTION_STATES, ESCALATION_STEPS, ORGANISATION_KINDS, SCORES
from web.formatting import say


class Choices:
    """(value, label) pairs for the form's choice lists, escaped once per page
    rather than once per list: a national form shows a hundred partner lists
    and fifty of each other kind, of the same few choices."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = [(value, escape(value), escape(label)) for value, label in pairs]
        self._options: dict[str | None, Markup] = {}

    def options(self, selected: str | None) -> Markup:
        """`<option>` elements, the one equal to `selected` marked, as the
        template wrote them one by one; made once per selected value."""
        made = self._options.get(selected)
        if made is None:
            made = self._options[selected] = Markup(  # noqa: S704 - escaped in __init__
                "".join(
                    f'<option value="{value}" {"selected" if raw == selected else ""}>'
                    f"{label}</option>"
                    for raw, value, label in self.pairs
                )
            )
        return made

    def radios(self, name: str, selected: str | None, indent: str) -> Markup:
        """Radio buttons stacked, each with its own label as a large target,
        the one equal to `selected` checked; no choice checked is "not
        answered yet" (there is no radio for it)."""
        name = escape(name)
        return Markup(  # noqa: S704 - the name here, values and labels in __init__
            "".join(
                f'\n{indent}<div class="radio"><input type="radio" id="{name}-{value}" '
                f'name="{name}" value="{value}"{" checked" if raw == selected else ""} '
                'class="utrecht-radio-button utrecht-radio-button--html-input">'
                f'<label for="{name}-{value}" class="utrecht-form-label utrecht-form-label--radio">'
                f"{label}</label></div>"
                for raw, value, label in self.pairs
            )
        )


@dataclass(slots=True)
class PartnerField:
    """One partner organisation's rating on a bilateral agreement."""

    key: str
    label: str
    options: Markup
    error: str = ""
    answered: bool = False  # a rating or "werken niet samen"


@dataclass(slots=True)
class AgreementFields:
    """One agreement's fields as the form shows them (values as posted or stored)."""

    agreement: Agreement
    p: str
    copied: str
    confirm: str
    score: str
    score_radios: Markup
    reason: str
    writing_radios: Markup
    evaluated: str
    explanation: str
    action: str
    owner: str
    due: str
    status_options: Markup
    partners: list[PartnerField]
    partner_unnamed: str
    writing_error: str = ""
    score_error: str = ""
    reason_error: str = ""
    evaluated_error: str = ""
    partner_error: str = ""
    explanation_error: str = ""
    action_error: str = ""
    owner_error: str = ""
    due_error: str = ""
    action_open: bool = False
    explanation_open: bool = False
    partners_open: bool = False

    @property
    def partners_answered(self) -> int:
        return sum(1 for partner in self.partners if partner.answered)


@dataclass(slots=True)
class EscalationRow:
    """One row of the escalation table."""

    e: str
    number: int
    agreement_options: Markup
    times: str
    step_options: Markup
    resolved: str
    agreement_error: str = ""
    times_error: str = ""


@dataclass(slots=True)
class FormFields:
    """Everything the form's loops show, prepared once per page."""

    agreements: list[AgreementFields] = field(default_factory=list)
    escalations: list[EscalationRow] = field(default_factory=list)


def _said(errors: dict, key: str) -> str:
    message = errors.get(key)
    return say(message) if message else ""


def prepare(
    agreements: list[Agreement],
    values: dict,
    errors: dict,
    rows: range,
    env,
    *,
    cards: list[Agreement] | None = None,
) -> FormFields:
    """The fields of the agreements shown (`cards`, default all) and of the
    escalation rows, with their values, translated errors and finished
    choice lists (the rows choose from all `agreements`)."""
    score_pairs = [(str(value), f"{value} – {gettext(label)}") for value, label in SCORES.items()]
    answer_choices = Choices([*score_pairs, ("nvt", gettext("n.v.t. – niet van toepassing"))])
    partner_choices = Choices(
        [*score_pairs, (NOT_TOGETHER, gettext("werken niet samen op deze afspraak"))]
    )
    writing_choices = Choices([("ja", gettext("ja")), ("nee", gettext("nee"))])
    status_choices = Choices([(code, gettext(label)) for code, label in ACTION_STATES.items()])
    step_choices = Choices(
        [(str(step), f"{step} – {gettext(label)}") for step, label in ESCALATION_STEPS.items()]
    )
    kinds: dict[str, str] = {}
    out = FormFields()
    get = values.get
    for a in agreements if cards is None else cards:
        p = f"a{a.id}-"
        partners = []
        for partner in getattr(a, "partners", ()):
            key = f"{p}partner-{partner.id}"
            kind = kinds.get(partner.kind)
            if kind is None:
                kind = kinds[partner.kind] = gettext(
                    ORGANISATION_KINDS.get(partner.kind, partner.kind)
                )
            partners.append(
                PartnerField(
                    key,
                    f"{partner.name} ({kind})",
                    partner_choices.options(get(key)),
                    _said(errors, key) if errors else "",
                    bool(get(key)),
                )
            )
        fields = AgreementFields(
            agreement=a,
            p=p,
            copied=get(p + "copied"),
            confirm=get(p + "confirm"),
            score=get(p + "score"),
            score_radios=answer_choices.radios(p + "score", get(p + "score"), " " * 8),
            reason=get(p + "reason", ""),
            writing_radios=writing_choices.radios(p + "writing", get(p + "writing", ""), " " * 10),
            evaluated=get(p + "evaluated", ""),
            explanation=get(p + "explanation", ""),
            action=get(p + "action"),
            owner=get(p + "owner", ""),
            due=get(p + "due", ""),
            status_options=status_choices.options(get(p + "status", "open")),
            partners=partners,
            partner_unnamed=get(p + "partner-unnamed"),
        )
        if errors:
            fields.score_error = _said(errors, p + "score")
            fields.reason_error = _said(errors, p + "reason")
            fields.evaluated_error = _said(errors, p + "evaluated")
            fields.partner_error = _said(errors, p + "partner")
            fields.explanation_error = _said(errors, p + "explanation")
            fields.action_error = _said(errors, p + "action")
            fields.owner_error = _said(errors, p + "owner")
            fields.due_error = _said(errors, p + "due")
            fields.writing_error = _said(errors, p + "writing")
        fields.action_open = bool(
            fields.action or fields.action_error or fields.owner_error or fields.due_error
        )
        fields.explanation_open = bool(fields.explanation or fields.explanation_error)
        fields.partners_open = bool(
            fields.partner_error
            or any(partner.error for partner in partners)
            or (fields.score != "nvt" and not all(partner.answered for partner in partners))
        )
        out.agreements.append(fields)
    agreement_choices = Choices(
        [(str(a.id), f"{a.code} {do_truncate(env, a.title, 60)}") for a in agreements]
    )
    for i in rows:
        e = f"esc-{i}-"
        out.escalations.append(
            EscalationRow(
                e=e,
                number=i + 1,
                agreement_options=agreement_choices.options(get(e + "agreement")),
                times=get(e + "times", ""),
                step_options=step_choices.options(get(e + "step", "0")),
                resolved=get(e + "resolved"),
                agreement_error=_said(errors, e + "agreement") if errors else "",
                times_error=_said(errors, e + "times") if errors else "",
            )
        )
    return out
