"""The assessment form: the stored answers as form values, the posted form read and checked."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.assessment_agreements import APART_BY_AGREEMENT, RATINGS_BY_AGREEMENT
from domain.inputs import LIMITS, MAX_ID, line_problem, normalise_newlines, parse_id, parse_int
from models import Agreement, Answer, Assessment, EscalationSignal, ImprovementAction
from models.choices import ACTION_STATES, N_
from models.compiled import CompiledQuery

# The answer's text fields: the explanation is free text over several lines;
# the n.v.t. reason, the improvement action and its owner are one line each
# (the form's inputs), at their limits in the one table (domain.inputs.LIMITS).
MAX_EXPLANATION = LIMITS["text"]
MAX_SHORT = LIMITS["short_text"]
MAX_OWNER = LIMITS["name"]
ESCALATION_BLANK_ROWS = 3
# Ids in field names are ASCII digits (\d would match any script's digits),
# read with parse_id: a name with an id no row can hold is refused, not a 500.
ANSWER_KEY = re.compile(r"^a([0-9]+)-([a-z]+)$")
ESCALATION_KEY = re.compile(r"^esc-([0-9]+)-([a-z]+)$")
PARTNER_KEY = re.compile(r"^a([0-9]+)-partner-([0-9]+)$")
ANSWER_FIELDS = (
    "score",
    "reason",
    "writing",
    "evaluated",
    "explanation",
    "partner",
    "action",
    "owner",
    "due",
    "status",
    "confirm",
)


def _date_text(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


# What the form shows of an assessment, read on every page of it.
_FORM_ACTIONS = CompiledQuery(
    lambda assessment: (
        ImprovementAction.select(
            ImprovementAction.answer,
            ImprovementAction.description,
            ImprovementAction.owner,
            ImprovementAction.due_on,
            ImprovementAction.status,
        )
        .join(Answer)
        .where(Answer.assessment == assessment)
        .order_by(ImprovementAction.id)
        .tuples()
    )
)
_FORM_ANSWERS = CompiledQuery(
    lambda assessment: (
        Answer.select(
            Answer.id,
            Answer.agreement,
            Answer.score,
            Answer.not_applicable,
            Answer.not_applicable_reason,
            Answer.in_writing,
            Answer.last_evaluated_on,
            Answer.explanation,
            Answer.copied,
        )
        .where(Answer.assessment == assessment)
        .tuples()
    )
)
_FORM_ESCALATIONS = CompiledQuery(
    lambda assessment: (
        EscalationSignal.select(
            EscalationSignal.agreement,
            EscalationSignal.times_not_followed,
            EscalationSignal.highest_step,
            EscalationSignal.resolved,
        )
        .where(EscalationSignal.assessment == assessment)
        .order_by(EscalationSignal.id)
        .tuples()
    )
)


def stored_values(assessment: Assessment) -> dict[str, str]:
    """The stored answers as form values (`a12-score` → '3')."""
    values: dict[str, str] = {}
    actions: dict[int, tuple] = {}
    for answer_id, *action in _FORM_ACTIONS(assessment):
        # The first action of each answer: the one the form edits.
        actions.setdefault(answer_id, action)
    for (
        answer_id,
        agreement_id,
        score,
        not_applicable,
        reason,
        in_writing,
        evaluated,
        explanation,
        copied,
    ) in _FORM_ANSWERS(assessment):
        p = f"a{agreement_id}-"
        values[p + "score"] = "nvt" if not_applicable else ("" if score is None else str(score))
        values[p + "reason"] = reason or ""
        values[p + "writing"] = {True: "ja", False: "nee", None: ""}[in_writing]
        values[p + "evaluated"] = _date_text(evaluated)
        values[p + "explanation"] = explanation or ""
        values[p + "copied"] = "1" if copied else ""
        action = actions.get(answer_id)
        if action:
            description, owner, due_on, status = action
            values[p + "action"] = description
            values[p + "owner"] = owner
            values[p + "due"] = _date_text(due_on)
            values[p + "status"] = status
    for agreement_id, partner_id, score in RATINGS_BY_AGREEMENT(assessment):
        p = f"a{agreement_id}-partner-"
        # A rating from before partners were named stays visible, unnamed.
        values[p + (str(partner_id) if partner_id else "unnamed")] = str(score)
    for agreement_id, partner_id in APART_BY_AGREEMENT(assessment):
        values[f"a{agreement_id}-partner-{partner_id}"] = NOT_TOGETHER
    count = 0
    for i, (agreement_id, times, step, resolved) in enumerate(_FORM_ESCALATIONS(assessment)):
        values[f"esc-{i}-agreement"] = str(agreement_id)
        values[f"esc-{i}-times"] = str(times)
        values[f"esc-{i}-step"] = str(step)
        values[f"esc-{i}-resolved"] = "1" if resolved else ""
        count = i + 1
    values["esc-rows"] = str(count + ESCALATION_BLANK_ROWS)
    return values


@dataclass
class AnswerInput:
    score: int | None = None
    not_applicable: bool = False
    reason: str = ""
    in_writing: bool | None = None
    evaluated: dt.date | None = None
    explanation: str = ""
    partners: dict[int, int] = field(default_factory=dict)  # partner organisation → 0–4
    apart: set[int] = field(default_factory=set)  # partners not worked with on it
    action: str = ""
    owner: str = ""
    due: dt.date | None = None
    status: str = "open"
    confirm: bool = False

    def is_empty(self) -> bool:
        return (
            self.score is None
            and not self.not_applicable
            and not self.reason
            and self.in_writing is None
            and self.evaluated is None
            and not self.explanation
            and not self.partners
            and not self.apart
            and not self.action
        )


@dataclass
class ParsedForm:
    answers: dict[int, AnswerInput] = field(default_factory=dict)
    # None: the form did not show the escalation rows (a theme page), so they
    # stay as stored.
    escalations: dict[int, tuple[int, int, bool]] | None = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # form field → Dutch message
    # What is stored but not complete yet (n.v.t. without a reason): said at
    # the field, never a reason to refuse the save.
    notices: dict[str, str] = field(default_factory=dict)


def _parse_date(text: str, key: str, errors: dict, *, not_after: dt.date | None = None):
    if not text:
        return None
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        errors[key] = N_("Vul een geldige datum in (dag-maand-jaar).")
        return None
    if not dt.date(2000, 1, 1) <= value <= dt.date(2100, 12, 31):
        errors[key] = N_("Deze datum ligt buiten de mogelijke periode.")
        return None
    if not_after and value > not_after:
        errors[key] = N_("Deze datum ligt in de toekomst.")
        return None
    return value


def _parse_score(text: str, key: str, errors: dict) -> int | None:
    if text == "":
        return None
    if text in ("0", "1", "2", "3", "4"):
        return int(text)
    errors[key] = N_("Kies een score van 0 (niet) tot en met 4 (volledig).")
    return None


def _text(form: Mapping[str, str], key: str, limit: int, errors: dict, *, multiline: bool) -> str:
    """The posted text, through the one check of stored text
    (`domain.inputs.line_problem`); "" with the message in `errors` when it
    fails, so nothing of it is stored."""
    value = normalise_newlines(form.get(key) or "").strip()
    problem = line_problem(value, limit, multiline=multiline)
    if problem:
        errors[key] = problem
        return ""
    return value


def parse_version(raw: str) -> int | None:
    """The form's version number as posted, or None when missing or invalid."""
    return parse_int(raw, 0, MAX_ID)


NOT_TOGETHER = "samen-niet"  # the partner choice "werken niet samen op deze afspraak"
SHOWN_KEY = "agreements"  # the ids of the agreements a page shows, comma separated


def shown_agreements(form: Mapping[str, str], agreements: list[Agreement]) -> list[Agreement]:
    """The agreements the posted page showed (one theme's), when it says so
    (`agreements`: their ids); else all of them (the whole form)."""
    raw = form.get(SHOWN_KEY)
    if raw is None:
        return agreements
    ids = {int(part) for part in raw.split(",") if re.fullmatch(r"[0-9]{1,18}", part.strip())}
    return [a for a in agreements if a.id in ids]


def parse_form(form: Mapping[str, str], agreements: list[Agreement], today: dt.date) -> ParsedForm:
    """Read and check the posted form: the agreements the page showed (see
    `shown_agreements`), the escalation rows when it showed them. Fields of
    agreements that do not belong to this assessment are errors, never
    silently stored."""
    parsed = ParsedForm()
    errors = parsed.errors
    all_ids = {a.id for a in agreements}
    known = {a.id: a for a in shown_agreements(form, agreements)}
    # One pass over the posted names: the partner ratings per agreement, in
    # the order posted (a national form posts some 600 fields).
    partner_keys: dict[int, list[tuple[str, int]]] = {}
    for key in form:
        match = ANSWER_KEY.match(key)
        if match and parse_id(match.group(1)) not in all_ids:
            errors[key] = N_("Deze afspraak hoort niet bij deze zelfevaluatie.")
        elif match is None and (match := PARTNER_KEY.match(key)):
            # A partner id no row can hold is 0: no partner of any agreement.
            partner_id = parse_id(match.group(2)) or 0
            partner_keys.setdefault(parse_id(match.group(1)), []).append((key, partner_id))
    for agreement_id, agreement in known.items():
        p = f"a{agreement_id}-"
        raw_score = (form.get(p + "score") or "").strip()
        answer = AnswerInput()
        if raw_score == "nvt":
            answer.not_applicable = True
        else:
            answer.score = _parse_score(raw_score, p + "score", errors)
        answer.reason = _text(form, p + "reason", MAX_SHORT, errors, multiline=False)
        if not answer.not_applicable:
            # Shown without JavaScript whatever the score; it only applies to n.v.t.
            answer.reason = ""
            errors.pop(p + "reason", None)
        if answer.not_applicable and not answer.reason and p + "reason" not in errors:
            # Stored all the same: n.v.t. is a valid answer, the reason follows.
            parsed.notices[p + "reason"] = N_(
                "Geef aan waarom deze afspraak niet van toepassing is."
            )
        writing = form.get(p + "writing") or ""
        if writing not in ("", "ja", "nee"):
            errors[p + "writing"] = N_("Kies ja of nee.")
        answer.in_writing = {"ja": True, "nee": False}.get(writing)
        answer.evaluated = _parse_date(
            form.get(p + "evaluated") or "", p + "evaluated", errors, not_after=today
        )
        if answer.not_applicable:
            # Whether and when it was written down and evaluated belongs to a score.
            answer.in_writing, answer.evaluated = None, None
            errors.pop(p + "writing", None)
            errors.pop(p + "evaluated", None)
        answer.explanation = _text(form, p + "explanation", MAX_EXPLANATION, errors, multiline=True)
        _parse_partners(form, agreement, answer, errors, partner_keys.get(agreement_id, ()))
        answer.action = _text(form, p + "action", MAX_SHORT, errors, multiline=False)
        answer.owner = _text(form, p + "owner", MAX_OWNER, errors, multiline=False)
        answer.due = _parse_date(form.get(p + "due") or "", p + "due", errors)
        status = form.get(p + "status") or "open"
        if status not in ACTION_STATES:
            errors[p + "status"] = N_("Kies een geldige status.")
            status = "open"
        answer.status = status
        if (answer.owner or answer.due) and not answer.action and p + "action" not in errors:
            errors[p + "action"] = N_("Beschrijf de verbeteractie.")
        answer.confirm = form.get(p + "confirm") == "1"
        parsed.answers[agreement_id] = answer
    if SHOWN_KEY in form and "esc-rows" not in form:
        parsed.escalations = None
    else:
        _parse_escalations(form, {a.id: a for a in agreements}, parsed)
    return parsed


def parse_valid(
    form: Mapping[str, str], agreements: list[Agreement], today: dt.date, stored: Mapping
) -> ParsedForm:
    """Parse the form so that every valid field is saved: an invalid field
    keeps its stored value (from `stored_values`), and the errors of the
    posted form are returned for the page to mark at their fields. An
    agreement that still does not add up is left as stored; escalation rows
    with an error leave all rows as stored."""
    first = parse_form(form, agreements, today)
    if not first.errors:
        return first
    merged = dict(form.items())
    for key in first.errors:
        merged[key] = stored.get(key, "")
        match = ANSWER_KEY.match(key)
        if match and match.group(2) == "action":
            # An owner or due date without an action: all three as stored.
            for name in ("owner", "due", "status"):
                merged[f"a{match.group(1)}-{name}"] = stored.get(f"a{match.group(1)}-{name}", "")
    second = parse_form(merged, agreements, today)
    for key in second.errors:
        match = ANSWER_KEY.match(key) or PARTNER_KEY.match(key)
        if match:
            second.answers.pop(parse_id(match.group(1)), None)
    if any(key.startswith("esc-") for key in first.errors):
        second.escalations = None
    second.errors = first.errors
    return second


def _parse_partners(form: Mapping[str, str], agreement, answer: AnswerInput, errors, keys) -> None:
    """The ratings of named partner organisations (`a12-partner-34`, given
    as (key, partner id) in `keys`): only on a bilateral agreement, only of
    its listed partners; empty is no rating."""
    p = f"a{agreement.id}-"
    allowed = {o.id for o in getattr(agreement, "partners", [])} if keys else set()
    for key, partner_id in keys:
        raw = (form.get(key) or "").strip()
        if not raw:
            continue
        if raw == NOT_TOGETHER and agreement.bilateral and partner_id in allowed:
            answer.apart.add(partner_id)
            continue
        if not agreement.bilateral:
            errors[p + "partner"] = N_("Bij deze afspraak hoort geen oordeel over een partner.")
        elif partner_id not in allowed:
            errors[key] = N_("Deze organisatie is geen partner bij deze afspraak.")
        else:
            score = _parse_score(raw, key, errors)
            if score is not None:
                answer.partners[partner_id] = score
    if not agreement.bilateral and (form.get(p + "partner") or "").strip():
        errors[p + "partner"] = N_("Bij deze afspraak hoort geen oordeel over een partner.")


def _parse_escalations(form: Mapping[str, str], known: dict, parsed: ParsedForm) -> None:
    errors = parsed.errors
    rows = (parse_int(m.group(1), 0, MAX_ID) for k in form if (m := ESCALATION_KEY.match(k)))
    indexes = sorted({i for i in rows if i is not None})
    for i in indexes:
        p = f"esc-{i}-"
        raw_agreement = (form.get(p + "agreement") or "").strip()
        raw_times = (form.get(p + "times") or "").strip()
        raw_step = (form.get(p + "step") or "0").strip()
        resolved = form.get(p + "resolved") == "1"
        if not raw_agreement:
            if raw_times not in ("", "0"):
                errors[p + "agreement"] = N_("Kies de afspraak die niet werd nageleefd.")
            continue
        agreement_id = parse_id(raw_agreement)
        if agreement_id is None or agreement_id not in known:
            errors[p + "agreement"] = N_("Deze afspraak hoort niet bij deze zelfevaluatie.")
            continue
        if agreement_id in parsed.escalations:
            errors[p + "agreement"] = N_("Deze afspraak staat al in een andere rij.")
            continue
        times = parse_int(raw_times, 0, 999)
        if times is None:
            errors[p + "times"] = N_("Vul een aantal van 0 tot en met 999 in.")
            continue
        if raw_step not in ("0", "1", "2", "3", "4"):
            errors[p + "step"] = N_("Kies een trede van de opschalingsladder.")
            continue
        parsed.escalations[agreement_id] = (times, int(raw_step), resolved)
