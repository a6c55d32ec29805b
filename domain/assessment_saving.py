"""The self-assessment (zelfevaluatie): who may do what, reading and checking
the form, saving drafts with optimistic locking, submitting, reopening,
copying the previous cycle forward, progress and history."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import logging
import re
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

from peewee import JOIN, fn

from domain import rules
from domain.assessment_mail import queue_reopened
from domain.audit import record
from domain.inputs import LIMITS, MAX_ID, line_problem, normalise_newlines, parse_id, parse_int
from domain.scope import roles_of
from models import (
    Agreement,
    AgreementKind,
    Answer,
    Assessment,
    AssessmentChange,
    Cycle,
    EscalationSignal,
    FrameworkVersion,
    ImprovementAction,
    NotWorkingTogether,
    Organisation,
    OrganisationGemeente,
    PartnerRating,
    RoleAssignment,
    Theme,
    User,
    db,
    utcnow,
    writer_turn,
)
from models.choices import ACTION_STATES, N_
from models.compiled import CompiledQuery

logger = logging.getLogger(__name__)

EDITABLE_STATES = ("niet_gestart", "concept", "heropend")
# The answer's text fields: the explanation is free text over several lines;
# the n.v.t. reason, the improvement action and its owner are one line each
# (the form's inputs), at their limits in the one table (domain.inputs.LIMITS).
MAX_EXPLANATION = LIMITS["text"]
MAX_SHORT = LIMITS["short_text"]
MAX_OWNER = LIMITS["name"]
ESCALATION_BLANK_ROWS = 3
ANSWER_KEY = re.compile(r"^a(\d+)-([a-z]+)$")
ESCALATION_KEY = re.compile(r"^esc-(\d+)-([a-z]+)$")
PARTNER_KEY = re.compile(r"^a(\d+)-partner-(\d+)$")
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


# --- permissions -------------------------------------------------------------


def roles(user: User, assessment: Assessment) -> set[str]:
    """The roles by which the user may see the assessment (none: may not);
    pass them to the checks below to ask several in one request."""
    org = assessment.organisation
    return {
        r.role
        for r in roles_of(user)
        if r.role == "beheerder"
        or (r.role == "regiocoordinator" and r.region_id == org.region_id)
        or (r.role in ("manager", "invuller") and r.organisation_id == org.id)
    }


def can_view(user: User, assessment: Assessment) -> bool:
    """Beheerder, the region's coordinator and the organisation's own people."""
    return bool(roles(user, assessment))


def can_edit(user: User, assessment: Assessment, held: set[str] | None = None) -> bool:
    """The organisation's manager or invuller, while the cycle is open and the
    assessment not submitted. `held`: the user's `roles`, when known."""
    held = roles(user, assessment) if held is None else held
    return (
        bool(held & {"manager", "invuller"})
        and assessment.cycle.state == "open"
        and assessment.state in EDITABLE_STATES
    )


def can_submit(
    user: User,
    assessment: Assessment,
    invuller_may_submit: bool = False,
    held: set[str] | None = None,
) -> bool:
    """Managers submit; invullers only where the setting allows it."""
    held = roles(user, assessment) if held is None else held
    allowed = {"manager", "invuller"} if invuller_may_submit else {"manager"}
    return can_edit(user, assessment, held) and bool(held & allowed)


def can_reopen(user: User, assessment: Assessment, held: set[str] | None = None) -> bool:
    """A coordinator of the region or a beheerder, for a submitted assessment
    in an open cycle."""
    held = roles(user, assessment) if held is None else held
    return (
        bool(held & {"beheerder", "regiocoordinator"})
        and assessment.state == "ingediend"
        and assessment.cycle.state == "open"
    )


# --- the agreements of an assessment ----------------------------------------


def applicable_agreements(assessment: Assessment) -> list[Agreement]:
    """The cycle's framework agreements that apply to the organisation's kind,
    in framework order, with their theme; each with `partners`, the
    organisations it may rate on it (`partner_organisations`)."""
    stored, partner_kinds = _framework_agreements(
        assessment.cycle.framework_id, assessment.organisation.kind
    )
    # Copies: each caller gets agreements of its own to give `partners`.
    agreements = [copy.copy(agreement) for agreement in stored]
    partners = partner_organisations(
        assessment, [a for a in agreements if a.bilateral], partner_kinds
    )
    for agreement in agreements:
        agreement.partners = partners.get(agreement.id, [])
    return agreements


# A published framework version never changes (framework.publish_framework;
# a cycle only uses a published one), so its agreements for an organisation
# kind are read once per database and version: on a national form they were
# a tenth of the work of every page and save.
_FRAMEWORKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FRAMEWORKS_LOCK = threading.Lock()


_PUBLISHED_AT = CompiledQuery(
    lambda framework_id: FrameworkVersion.select(FrameworkVersion.published_at).where(
        FrameworkVersion.id == framework_id
    )
)


def _framework_agreements(
    framework_id: int, kind: str
) -> tuple[list[Agreement], dict[int, set[str]]]:
    """The framework's agreements for the kind, in order, with their theme;
    and per bilateral one its partner kinds."""
    published = _PUBLISHED_AT.scalar(framework_id)
    key = (framework_id, published, kind)
    if published is not None:
        with _FRAMEWORKS_LOCK:
            found = _FRAMEWORKS.get(db.obj, {}).get(key)
        if found is not None:
            return found
    agreements = list(
        Agreement.select(Agreement, Theme)
        .join(Theme)
        .where(
            Agreement.framework == framework_id,
            Agreement.id.in_(
                AgreementKind.select(AgreementKind.agreement).where(
                    AgreementKind.kind == kind, AgreementKind.side == "applies"
                )
            ),
        )
        .order_by(Theme.position, Agreement.position)
    )
    partner_kinds: dict[int, set[str]] = {}
    bilateral = [a.id for a in agreements if a.bilateral]
    if bilateral:
        for agreement_id, partner_kind in (
            AgreementKind.select(AgreementKind.agreement, AgreementKind.kind)
            .where(AgreementKind.agreement.in_(bilateral), AgreementKind.side == "partner")
            .tuples()
        ):
            partner_kinds.setdefault(agreement_id, set()).add(partner_kind)
    found = (agreements, partner_kinds)
    if published is not None:
        with _FRAMEWORKS_LOCK:
            _FRAMEWORKS.setdefault(db.obj, {})[key] = found
    return found


# An assessment's partner ratings by agreement (partner None: a rating from
# before partners were named): the form shows them, partners rated before
# stay listed as candidates, and a save and the check before submitting
# compare with the named ones.
_RATINGS_BY_AGREEMENT = CompiledQuery(
    lambda assessment: (
        PartnerRating.select(Answer.agreement, PartnerRating.partner, PartnerRating.score)
        .join(Answer)
        .where(Answer.assessment == assessment)
        .tuples()
    )
)


# The partners the assessment's organisation does not work with, by agreement.
_APART_BY_AGREEMENT = CompiledQuery(
    lambda assessment: (
        NotWorkingTogether.select(NotWorkingTogether.agreement, NotWorkingTogether.partner)
        .where(NotWorkingTogether.assessment == assessment)
        .tuples()
    )
)


def _apart(assessment: Assessment) -> dict[int, set[int]]:
    """Per agreement, the partners marked "werken niet samen"."""
    out: dict[int, set[int]] = {}
    for agreement_id, partner_id in _APART_BY_AGREEMENT(assessment):
        out.setdefault(agreement_id, set()).add(partner_id)
    return out


def _candidates(kinds: tuple[str, ...], organisation_id, region_id):
    """Active organisations of these kinds in the region or serving one of
    the organisation's gemeenten, other than itself, by name."""
    served = OrganisationGemeente.select(OrganisationGemeente.gemeente).where(
        OrganisationGemeente.organisation == organisation_id
    )
    nearby = OrganisationGemeente.select(OrganisationGemeente.organisation).where(
        OrganisationGemeente.gemeente.in_(served)
    )
    return (
        Organisation.select()
        .where(
            Organisation.kind.in_(kinds),
            Organisation.active == True,  # noqa: E712
            Organisation.id != organisation_id,
            (Organisation.region == region_id) | Organisation.id.in_(nearby),
        )
        .order_by(Organisation.name, Organisation.id)
    )


# Per set of partner kinds (a handful: they come from the framework), the
# candidates' query, composed once.
_CANDIDATES: dict[tuple[str, ...], CompiledQuery] = {}


def _candidates_query(kinds: tuple[str, ...]) -> CompiledQuery:
    query = _CANDIDATES.get(kinds)
    if query is None:
        query = _CANDIDATES.setdefault(kinds, CompiledQuery(functools.partial(_candidates, kinds)))
    return query


def partner_organisations(
    assessment: Assessment,
    bilateral: list[Agreement],
    partner_kinds: dict[int, set[str]] | None = None,
) -> dict[int, list[Organisation]]:
    """Per bilateral agreement, the partner organisations the assessment's
    organisation may rate, by name: active organisations of the agreement's
    partner kinds other than its own kind, in its region or serving one of
    its gemeenten; and any it rated before that no longer are. `partner_kinds`:
    each agreement's partner kinds, when known."""
    if not bilateral:
        return {}
    org = assessment.organisation
    kinds: dict[int, set[str]] = {}
    if partner_kinds is None:
        for agreement_id, kind in (
            AgreementKind.select(AgreementKind.agreement, AgreementKind.kind)
            .where(
                AgreementKind.agreement.in_([a.id for a in bilateral]),
                AgreementKind.side == "partner",
                AgreementKind.kind != org.kind,
            )
            .tuples()
        ):
            kinds.setdefault(agreement_id, set()).add(kind)
    else:
        for agreement in bilateral:
            wanted = partner_kinds.get(agreement.id, set()) - {org.kind}
            if wanted:
                kinds[agreement.id] = wanted
    wanted = tuple(sorted(set().union(*kinds.values()) or {""}))
    candidates = list(_candidates_query(wanted)(org.id, org.region_id))
    out = {
        agreement_id: [o for o in candidates if o.kind in wanted]
        for agreement_id, wanted in kinds.items()
    }
    # Partners rated before that are no candidates (any more) stay listed.
    listed = {agreement_id: {o.id for o in found} for agreement_id, found in out.items()}
    missing: list[tuple[int, int]] = []
    for agreement_id, partner_id, _score in _RATINGS_BY_AGREEMENT(assessment):
        if partner_id is None:
            continue
        ids = listed.setdefault(agreement_id, set())
        if partner_id not in ids:
            ids.add(partner_id)
            missing.append((agreement_id, partner_id))
    if missing:
        others = {
            o.id: o
            for o in Organisation.select().where(Organisation.id.in_({p for _, p in missing}))
        }
        for agreement_id, partner_id in missing:
            out.setdefault(agreement_id, []).append(others[partner_id])
    return out


# --- form values ------------------------------------------------------------


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
    for agreement_id, partner_id, score in _RATINGS_BY_AGREEMENT(assessment):
        p = f"a{agreement_id}-partner-"
        # A rating from before partners were named stays visible, unnamed.
        values[p + (str(partner_id) if partner_id else "unnamed")] = str(score)
    for agreement_id, partner_id in _APART_BY_AGREEMENT(assessment):
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
        if match and int(match.group(1)) not in all_ids:
            errors[key] = N_("Deze afspraak hoort niet bij deze zelfevaluatie.")
        elif match is None and (match := PARTNER_KEY.match(key)):
            partner_keys.setdefault(int(match.group(1)), []).append((key, int(match.group(2))))
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
            second.answers.pop(int(match.group(1)), None)
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
    indexes = sorted({int(m.group(1)) for k in form if (m := ESCALATION_KEY.match(k))})
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


# --- saving ----------------------------------------------------------------


class ConflictError(Exception):
    """The save was based on an older version; carries what changed since."""

    def __init__(self, current_version: int, changes: list[AssessmentChange]):
        self.current_version = current_version
        self.changes = changes
        super().__init__(f"assessment changed since; now version {current_version}")


class StateError(ValueError):
    """The assessment cannot be changed in its current state."""


def _fmt(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def changes_since(assessment: Assessment, version: int) -> list[AssessmentChange]:
    """The recorded changes that made versions after `version`."""
    return list(
        AssessmentChange.select(AssessmentChange, User)
        .join(User, on=AssessmentChange.user == User.id, join_type=JOIN.LEFT_OUTER)
        .where(AssessmentChange.assessment == assessment, AssessmentChange.version > version)
        .order_by(AssessmentChange.id)
    )


# A save claims the next version: only if no one else did in between.
_CLAIM = CompiledQuery(
    lambda version, now, actor, assessment_id, base_version: Assessment.update(
        version=version, updated_at=now, updated_by=actor
    ).where(Assessment.id == assessment_id, Assessment.version == base_version)
)


def save_answers(
    actor: User,
    assessment: Assessment,
    base_version: int,
    parsed: ParsedForm,
    now: dt.datetime | None = None,
) -> int:
    """Store a draft. Refused with ConflictError when someone saved after
    `base_version` something this save could overwrite; a save meanwhile of
    other agreements only (another theme page) is no conflict: this one is
    stored beside it. Returns the number of fields that changed."""
    now = now or utcnow()
    try:
        return _save_once(actor, assessment, base_version, parsed, now)
    except ConflictError as conflict:
        # A version from the future is no page anyone was shown.
        if base_version >= conflict.current_version or not _apart_from(conflict.changes, parsed):
            raise
        logger.info(
            "assessment %s: saved by %s beside version %s (other agreements)",
            assessment.id,
            actor.email,
            conflict.current_version,
        )
        assessment.state = Assessment.get_by_id(assessment.id).state
        return _save_once(actor, assessment, conflict.current_version, parsed, now)


def _apart_from(changes: list[AssessmentChange], parsed: ParsedForm) -> bool:
    """Whether changes made meanwhile leave alone everything this save shows:
    only other agreements' answers, and escalations when it has none."""
    for change in changes:
        if change.agreement_id is None:
            # The draft being started is the only whole-assessment change
            # a save can stand beside (copying, submitting, reopening are not).
            if (change.field, change.new_value) != ("state", "concept"):
                return False
        elif change.field == "escalation":
            if parsed.escalations is not None:
                return False
        elif change.agreement_id in parsed.answers:
            return False
    return True


def _save_once(
    actor: User, assessment: Assessment, base_version: int, parsed: ParsedForm, now
) -> int:
    if assessment.state not in EDITABLE_STATES or assessment.cycle.state != "open":
        raise StateError(N_("Deze zelfevaluatie kan niet meer worden gewijzigd."))
    new_version = base_version + 1
    # What is stored is read and compared before the write transaction, which
    # then holds only the writes: SQLite lets one writer at a time in, so every
    # other save waits for as long as it lasts. Reading first is safe because
    # every change to an assessment's answers raises its version: a save that
    # lands between these reads and the claim below makes the claim fail.
    stored = _Stored.read(assessment)
    changes, writes = _answer_writes(actor, assessment, parsed, stored, new_version, now)
    if parsed.escalations is not None:
        more, more_writes = _escalation_writes(actor, assessment, parsed, stored, new_version, now)
        changes += more
        writes += more_writes
    if assessment.state == "niet_gestart":
        changes.append(
            _change(assessment, actor, None, "state", "niet_gestart", "concept", new_version, now)
        )
    # The history's rows are composed before the turn to write is taken, so
    # the turn lasts only as long as the database needs.
    history = AssessmentChange.insert_many(changes).sql() if changes else None
    with writer_turn(), db.atomic():
        claimed = _CLAIM.execute(new_version, now, actor, assessment.id, base_version)
        if claimed != 1:
            current = Assessment.get_by_id(assessment.id).version
            raise ConflictError(current, changes_since(assessment, base_version))
        for write in writes:
            write()
        if assessment.state == "niet_gestart":
            Assessment.update(state="concept", started_at=now).where(
                Assessment.id == assessment.id
            ).execute()
        if history:
            db.execute_sql(*history)
    assessment.version = new_version
    logger.info("assessment %s saved by %s: %d changes", assessment.id, actor.email, len(changes))
    return len(changes)


_ANSWERS = CompiledQuery(lambda assessment: Answer.select().where(Answer.assessment == assessment))
_ESCALATIONS = CompiledQuery(
    lambda assessment: EscalationSignal.select().where(EscalationSignal.assessment == assessment)
)
_ACTIONS = CompiledQuery(
    lambda assessment: (
        ImprovementAction.select()
        .join(Answer)
        .where(Answer.assessment == assessment)
        .order_by(ImprovementAction.id)
    )
)


@dataclass
class _Stored:
    """What a save compares the posted form with, read in a few queries."""

    answers: dict[int, Answer]
    actions: dict[int, ImprovementAction]
    ratings: dict[int, dict[int, int]]
    escalations: dict[int, EscalationSignal]
    apart: dict[int, set[int]] = field(default_factory=dict)
    _names: dict[int, str] | None = None

    @classmethod
    def read(cls, assessment: Assessment) -> _Stored:
        answers = {a.agreement_id: a for a in _ANSWERS(assessment)}
        escalations = {e.agreement_id: e for e in _ESCALATIONS(assessment)}
        return cls(
            answers,
            _actions_by_answer(assessment),
            _ratings(assessment),
            escalations,
            _apart(assessment),
        )

    def partner_names(self, parsed: ParsedForm) -> dict[int, str]:
        """The names of the partners rated before or now, read once, when a
        rating changed (the history names them)."""
        if self._names is None:
            partner_ids = {o for new in parsed.answers.values() for o in new.partners}
            partner_ids |= {o for new in parsed.answers.values() for o in new.apart}
            partner_ids |= {o for rated in self.ratings.values() for o in rated}
            partner_ids |= {o for apart in self.apart.values() for o in apart}
            self._names = dict(
                Organisation.select(Organisation.id, Organisation.name)
                .where(Organisation.id.in_(sorted(partner_ids)))
                .tuples()
            )
        return self._names


def _change(assessment, actor, agreement_id, name, old, new, version, now) -> dict:
    return {
        "assessment": assessment.id,
        "user": actor.id,
        "at": now,
        "agreement": agreement_id,
        "field": name,
        "old_value": _fmt(old),
        "new_value": _fmt(new),
        "version": version,
    }


def _actions_by_answer(assessment: Assessment) -> dict[int, ImprovementAction]:
    """The (first) improvement action of each answer: the one the form edits."""
    actions: dict[int, ImprovementAction] = {}
    for action in _ACTIONS(assessment):
        actions.setdefault(action.answer_id, action)
    return actions


def _ratings(assessment: Assessment) -> dict[int, dict[int, int]]:
    """Per agreement, the named partners' ratings (partner → score)."""
    out: dict[int, dict[int, int]] = {}
    for agreement_id, partner_id, score in _RATINGS_BY_AGREEMENT(assessment):
        if partner_id is not None:
            out.setdefault(agreement_id, {})[partner_id] = score
    return out


def _partner_diff(before: dict[int, int], after: dict[int, int], names: dict[int, str]) -> list:
    """One change per partner whose rating changed: "name: score"."""
    return [
        (
            "partner_score",
            f"{names.get(o, o)}: {before[o]}" if o in before else None,
            f"{names.get(o, o)}: {after[o]}" if o in after else None,
        )
        for o in sorted(set(before) | set(after))
        if before.get(o) != after.get(o)
    ]


def _write_ratings(answer: Answer, before: dict[int, int], after: dict[int, int], now) -> None:
    answer_id = answer.id
    gone = [o for o in before if o not in after]
    if gone:
        PartnerRating.delete().where(
            PartnerRating.answer == answer_id, PartnerRating.partner.in_(gone)
        ).execute()
    added = [
        {
            "answer": answer_id,
            "assessment": answer.assessment_id,
            "agreement": answer.agreement_id,
            "partner": partner_id,
            "score": score,
            "updated_at": now,
        }
        for partner_id, score in after.items()
        if partner_id not in before
    ]
    if added:
        PartnerRating.insert_many(added).execute()
    for partner_id, score in after.items():
        if partner_id in before and before[partner_id] != score:
            PartnerRating.update(score=score, updated_at=now).where(
                PartnerRating.answer == answer_id, PartnerRating.partner == partner_id
            ).execute()


def _answer_writes(
    actor, assessment, parsed: ParsedForm, stored: _Stored, version: int, now
) -> tuple[list[dict], list]:
    """The changes to record and the writes to make (functions, run in the
    write transaction) for the posted answers, compared with what is stored."""
    changes: list[dict] = []
    writes = []
    for agreement_id, new in parsed.answers.items():
        old = stored.answers.get(agreement_id)
        if old is None and new.is_empty():
            continue
        before = {
            "score": old.score if old else None,
            "not_applicable": old.not_applicable if old else False,
            "not_applicable_reason": (old.not_applicable_reason if old else None) or None,
            "in_writing": old.in_writing if old else None,
            "last_evaluated_on": old.last_evaluated_on if old else None,
            "explanation": (old.explanation if old else None) or None,
        }
        after = {
            "score": new.score,
            "not_applicable": new.not_applicable,
            "not_applicable_reason": new.reason or None,
            "in_writing": new.in_writing,
            "last_evaluated_on": new.evaluated,
            "explanation": new.explanation or None,
        }
        diff = [(k, before[k], after[k]) for k in after if before[k] != after[k]]
        rated = stored.ratings.get(agreement_id, {})
        apart = stored.apart.get(agreement_id, set())
        if rated != new.partners or apart != new.apart:
            # "werken niet samen" is an answer of its own: in the history as such.
            names = stored.partner_names(parsed)
            before_seen = {**dict.fromkeys(apart, "werken niet samen"), **rated}
            after_seen = {**dict.fromkeys(new.apart, "werken niet samen"), **new.partners}
            diff += _partner_diff(before_seen, after_seen, names)
        copied = bool(old and old.copied) and not (diff or new.confirm)
        action = stored.actions.get(old.id) if old else None
        action_diff = _action_diff(action, new)
        changes += [
            _change(assessment, actor, agreement_id, k, b, a, version, now) for k, b, a in diff
        ]
        changes += [
            _change(assessment, actor, agreement_id, k, b, a, version, now)
            for k, b, a in action_diff
        ]
        write_answer = old is None or bool(diff) or (old.copied and not copied)
        if write_answer or rated != new.partners or apart != new.apart or action_diff:
            writes.append(
                functools.partial(
                    _write_answer,
                    actor,
                    assessment,
                    agreement_id,
                    old,
                    after,
                    copied if write_answer else None,
                    rated,
                    apart,
                    new,
                    action if action_diff else False,
                    now,
                )
            )
    return changes, writes


def _update_answer(
    answer_id, now, actor, copied, score, not_applicable, reason, in_writing, evaluated, text
):
    return Answer.update(
        updated_at=now,
        updated_by=actor,
        copied=copied,
        score=score,
        not_applicable=not_applicable,
        not_applicable_reason=reason,
        in_writing=in_writing,
        last_evaluated_on=evaluated,
        explanation=text,
    ).where(Answer.id == answer_id)


_UPDATE_ANSWER = CompiledQuery(_update_answer)


def _write_answer(
    actor, assessment, agreement_id, old, after, copied, rated, apart, new: AnswerInput, action, now
) -> None:
    """One answer's writes: the answer (`copied` None: unchanged), its
    partner ratings, its improvement action (`action` False: unchanged)."""
    if old is None:
        old = Answer.create(
            assessment=assessment,
            agreement=agreement_id,
            updated_at=now,
            updated_by=actor,
            **after,
        )
    elif copied is not None:
        _UPDATE_ANSWER.execute(
            old.id,
            now,
            actor,
            copied,
            after["score"],
            after["not_applicable"],
            after["not_applicable_reason"],
            after["in_writing"],
            after["last_evaluated_on"],
            after["explanation"],
        )
    if rated != new.partners:
        _write_ratings(old, rated, new.partners, now)
    if apart != new.apart:
        _write_apart(old, apart, new.apart, now)
    if action is not False:
        _write_action(assessment, old, action, new, now)


def _write_apart(answer: Answer, before: set[int], after: set[int], now) -> None:
    gone = before - after
    if gone:
        NotWorkingTogether.delete().where(
            NotWorkingTogether.answer == answer.id, NotWorkingTogether.partner.in_(sorted(gone))
        ).execute()
    added = [
        {
            "answer": answer.id,
            "assessment": answer.assessment_id,
            "agreement": answer.agreement_id,
            "partner": partner_id,
            "updated_at": now,
        }
        for partner_id in sorted(after - before)
    ]
    if added:
        NotWorkingTogether.insert_many(added).execute()


def _action_diff(action: ImprovementAction | None, new: AnswerInput) -> list[tuple]:
    before = {
        "action": action.description if action else None,
        "action_owner": (action.owner if action else None) or None,
        "action_due": action.due_on if action else None,
        "action_status": action.status if action else None,
    }
    after = {
        "action": new.action or None,
        "action_owner": (new.owner or None) if new.action else None,
        "action_due": new.due if new.action else None,
        "action_status": new.status if new.action else None,
    }
    return [(k, before[k], after[k]) for k in after if before[k] != after[k]]


def _write_action(assessment, answer, action, new: AnswerInput, now) -> None:
    if not new.action:
        action.delete_instance()
        return
    # The day it was reported done, in Amsterdam (not the UTC date).
    completed = rules.local_date(now) if new.status == "gereed" else None
    values = {
        "description": new.action,
        "owner": new.owner,
        "due_on": new.due,
        "status": new.status,
        "updated_at": now,
    }
    if action is None:
        ImprovementAction.create(
            answer=answer.id,
            assessment=assessment.id,
            completed_on=completed,
            created_at=now,
            **values,
        )
    else:
        if new.status == "gereed" and action.status != "gereed":
            values["completed_on"] = completed
        elif new.status != "gereed":
            values["completed_on"] = None
        ImprovementAction.update(**values).where(ImprovementAction.id == action.id).execute()


def _escalation_writes(
    actor, assessment, parsed: ParsedForm, stored: _Stored, version: int, now
) -> tuple[list[dict], list]:
    """The changes to record and the writes to make for the escalation rows."""
    existing = stored.escalations
    changes = []
    writes = []
    for agreement_id, old in existing.items():
        if agreement_id not in parsed.escalations:
            writes.append(old.delete_instance)
            changes.append(
                _change(
                    assessment,
                    actor,
                    agreement_id,
                    "escalation",
                    f"{old.times_not_followed}×, trede {old.highest_step}",
                    None,
                    version,
                    now,
                )
            )
    for agreement_id, (times, step, resolved) in parsed.escalations.items():
        old = existing.get(agreement_id)
        text = f"{times}×, trede {step}" + (", opgelost" if resolved else "")
        if old is None:
            writes.append(
                functools.partial(
                    EscalationSignal.create,
                    assessment=assessment,
                    agreement=agreement_id,
                    times_not_followed=times,
                    highest_step=step,
                    resolved=resolved,
                    updated_at=now,
                )
            )
            changes.append(
                _change(assessment, actor, agreement_id, "escalation", None, text, version, now)
            )
        elif (old.times_not_followed, old.highest_step, old.resolved) != (times, step, resolved):
            before = f"{old.times_not_followed}×, trede {old.highest_step}" + (
                ", opgelost" if old.resolved else ""
            )
            writes.append(
                EscalationSignal.update(
                    times_not_followed=times, highest_step=step, resolved=resolved, updated_at=now
                )
                .where(EscalationSignal.id == old.id)
                .execute
            )
            changes.append(
                _change(assessment, actor, agreement_id, "escalation", before, text, version, now)
            )
    return changes, writes


# --- completeness, submit, reopen -------------------------------------------


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


def _lacks_confirmation(agreement: Agreement, answer: Answer | None, rated: dict) -> str | None:
    if answer is not None and answer.copied:
        return N_("overgenomen uit de vorige ronde en nog niet bevestigd")
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
    answers = {a.agreement_id: a for a in _ANSWERS(assessment)}
    rated: dict[int, set] = {k: set(v) for k, v in _ratings(assessment).items()}
    for agreement_id, apart in _apart(assessment).items():
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


def confirm_copied(
    actor: User,
    assessment: Assessment,
    agreement_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Confirm answers copied from the previous cycle as still true: those of
    the given agreements (None: all). Returns the agreements confirmed."""
    if assessment.state not in EDITABLE_STATES or assessment.cycle.state != "open":
        raise StateError(N_("Deze zelfevaluatie kan niet meer worden gewijzigd."))
    now = now or utcnow()
    query = Answer.select(Answer.id, Answer.agreement).where(
        Answer.assessment == assessment,
        Answer.copied == True,  # noqa: E712
    )
    if agreement_ids is not None:
        query = query.where(Answer.agreement.in_(agreement_ids))
    found = list(query.tuples())
    if not found:
        return []
    with writer_turn(), db.atomic():
        version = (
            Assessment.select(Assessment.version).where(Assessment.id == assessment.id).scalar() + 1
        )
        Assessment.update(version=version, updated_at=now, updated_by=actor).where(
            Assessment.id == assessment.id
        ).execute()
        Answer.update(copied=False, updated_at=now, updated_by=actor).where(
            Answer.id.in_([answer_id for answer_id, _ in found])
        ).execute()
        AssessmentChange.insert_many(
            [
                _change(assessment, actor, agreement_id, "confirmed", None, "ja", version, now)
                for _, agreement_id in found
            ]
        ).execute()
    assessment.version = version
    record(
        "assessment_copies_confirmed",
        user=actor,
        object_type="assessment",
        object_id=assessment.id,
        answers=len(found),
    )
    return [agreement_id for _, agreement_id in found]


def missing_items(
    assessment: Assessment, agreements: list[Agreement]
) -> list[tuple[Agreement, list[str]]]:
    """Everything that still blocks submitting, in one pass: each incomplete
    agreement with all it lacks. A scored answer needs 'schriftelijk
    vastgelegd' (ja or nee); a bilateral one a rating of at least one of its
    partner organisations, when it has any."""
    answers = {a.agreement_id: a for a in _ANSWERS(assessment)}
    rated: dict[int, set] = {k: set(v) for k, v in _ratings(assessment).items()}
    for agreement_id, apart in _apart(assessment).items():
        rated.setdefault(agreement_id, set()).update(apart)
    missing = []
    for agreement in agreements:
        answer = answers.get(agreement.id)
        lacks = [m for check in COMPLETENESS_CHECKS if (m := check(agreement, answer, rated))]
        if lacks:
            missing.append((agreement, lacks))
    return missing


def submit(actor: User, assessment: Assessment, now: dt.datetime | None = None) -> list:
    """Submit when complete; returns what is missing otherwise (and changes nothing)."""
    now = now or utcnow()
    agreements = applicable_agreements(assessment)
    with db.atomic():
        missing = missing_items(assessment, agreements)
        if missing:
            return missing
        old_state = assessment.state
        version = assessment.version + 1
        claimed = (
            Assessment.update(
                state="ingediend",
                submitted_at=now,
                first_submitted_at=fn.COALESCE(Assessment.first_submitted_at, now),
                submitted_by=actor,
                version=version,
                updated_at=now,
                updated_by=actor,
            )
            .where(
                Assessment.id == assessment.id,
                Assessment.version == assessment.version,
                Assessment.state.in_(EDITABLE_STATES),
            )
            .execute()
        )
        if claimed != 1:
            raise ConflictError(
                Assessment.get_by_id(assessment.id).version,
                changes_since(assessment, assessment.version),
            )
        AssessmentChange.create(
            **_change(assessment, actor, None, "state", old_state, "ingediend", version, now)
        )
    record("assessment_submitted", user=actor, object_type="assessment", object_id=assessment.id)
    assessment.state, assessment.version, assessment.submitted_at = "ingediend", version, now
    return []


def reopen(
    actor: User,
    assessment: Assessment,
    reason: str,
    now: dt.datetime | None = None,
    link_for=None,
):
    """Reopen a submitted assessment; the reason is shown to those filling it
    in and mailed to the managers and invullers (with a link by `link_for`)."""
    reason = normalise_newlines(reason).strip()
    if not reason:
        raise StateError(N_("Geef een reden om de zelfevaluatie te heropenen."))
    problem = line_problem(reason, MAX_SHORT, multiline=True)
    if problem:
        raise StateError(problem)
    if not can_reopen(actor, assessment):
        raise StateError(N_("Deze zelfevaluatie kan nu niet worden heropend."))
    now = now or utcnow()
    version = assessment.version + 1
    with db.atomic():
        Assessment.update(
            state="heropend",
            reopened_at=now,
            reopened_by=actor,
            reopen_reason=reason,
            ready_at=None,  # a "klaar voor controle" from before no longer holds
            ready_by=None,
            version=version,
            updated_at=now,
            updated_by=actor,
        ).where(Assessment.id == assessment.id).execute()
        AssessmentChange.create(
            **_change(assessment, actor, None, "state", "ingediend", "heropend", version, now)
        )
        AssessmentChange.create(
            **_change(assessment, actor, None, "reopen_reason", None, reason, version, now)
        )
        queue_reopened(assessment, actor, reason, version, now, link_for)
    record(
        "assessment_reopened",
        user=actor,
        object_type="assessment",
        object_id=assessment.id,
        reason=reason,
    )
    assessment.state, assessment.version = "heropend", version
    assessment.reopened_at, assessment.reopen_reason = now, reason


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The organisation's most recent earlier assessment that has answers."""
    return (
        Assessment.select(Assessment, Cycle)
        .join(Cycle)
        .where(
            Assessment.organisation == assessment.organisation_id,
            Cycle.period < assessment.cycle.period,
            fn.EXISTS(Answer.select().where(Answer.assessment == Assessment.id)),
        )
        .order_by(Cycle.period.desc())
        .first()
    )


def copy_previous(actor: User, assessment: Assessment, now: dt.datetime | None = None) -> int:
    """Copy the previous cycle's answers (matched by agreement code) into
    agreements not answered yet, marked as copied until touched."""
    if assessment.state not in EDITABLE_STATES or assessment.cycle.state != "open":
        raise StateError(N_("Deze zelfevaluatie kan niet meer worden gewijzigd."))
    source = previous_assessment(assessment)
    if source is None:
        return 0
    now = now or utcnow()
    target_ids = {a.code: a.id for a in applicable_agreements(assessment)}
    answered = {
        a.agreement_id
        for a in Answer.select(Answer.agreement).where(Answer.assessment == assessment)
    }
    rows = []
    previous = Answer.select(Answer, Agreement).join(Agreement).where(Answer.assessment == source)
    for old in previous:
        code = old.agreement.code
        target = target_ids.get(code)
        if target is None or target in answered:
            continue
        rows.append(
            {
                "assessment": assessment.id,
                "agreement": target,
                "score": old.score,
                "not_applicable": old.not_applicable,
                "not_applicable_reason": old.not_applicable_reason,
                "in_writing": old.in_writing,
                "last_evaluated_on": old.last_evaluated_on,
                "explanation": old.explanation,
                "copied": True,
                "updated_at": now,
                "updated_by": actor.id,
            }
        )
    with db.atomic():
        version = assessment.version + 1
        Assessment.update(
            version=version,
            updated_at=now,
            updated_by=actor,
            state="concept" if assessment.state == "niet_gestart" else assessment.state,
        ).where(Assessment.id == assessment.id).execute()
        if rows:
            Answer.insert_many(rows).execute()
            _copy_ratings(source, assessment, [row["agreement"] for row in rows], now)
            _copy_apart(source, assessment, [row["agreement"] for row in rows], now)
        AssessmentChange.create(
            **_change(
                assessment, actor, None, "copied_from", None, source.cycle.period, version, now
            )
        )
    assessment.version = version
    record(
        "assessment_copied_forward",
        user=actor,
        object_type="assessment",
        object_id=assessment.id,
        source=source.cycle.period,
        answers=len(rows),
    )
    return len(rows)


def _copy_ratings(source: Assessment, target: Assessment, agreement_ids: list[int], now) -> None:
    """The previous cycle's partner ratings, onto the answers just copied
    (matched by agreement code), for partners the organisation may still rate."""
    new = Answer.alias()
    old_agreement, new_agreement = Agreement.alias(), Agreement.alias()
    pairs = (
        PartnerRating.select(new.id, PartnerRating.partner, PartnerRating.score, new_agreement.id)
        .join(Answer)
        .join(old_agreement, on=Answer.agreement == old_agreement.id)
        .join(new_agreement, on=new_agreement.code == old_agreement.code)
        .join(new, on=(new.agreement == new_agreement.id) & (new.assessment == target.id))
        .where(
            Answer.assessment == source.id,
            new.agreement.in_(agreement_ids),
            PartnerRating.partner.is_null(False),
        )
        .tuples()
    )
    allowed = {
        a.id: {o.id for o in a.partners} for a in applicable_agreements(target) if a.bilateral
    }
    rows = [
        {
            "answer": answer_id,
            "assessment": target.id,
            "agreement": agreement_id,
            "partner": partner_id,
            "score": score,
            "updated_at": now,
        }
        for answer_id, partner_id, score, agreement_id in pairs
        if partner_id in allowed.get(agreement_id, ())
    ]
    if rows:
        PartnerRating.insert_many(rows).execute()


def _copy_apart(source: Assessment, target: Assessment, agreement_ids: list[int], now) -> None:
    """The previous cycle's "werken niet samen", onto the answers just copied,
    for partners the organisation may still rate."""
    new = Answer.alias()
    old_agreement, new_agreement = Agreement.alias(), Agreement.alias()
    pairs = (
        NotWorkingTogether.select(new.id, NotWorkingTogether.partner, new_agreement.id)
        .join(Answer, on=NotWorkingTogether.answer == Answer.id)
        .join(old_agreement, on=Answer.agreement == old_agreement.id)
        .join(new_agreement, on=new_agreement.code == old_agreement.code)
        .join(new, on=(new.agreement == new_agreement.id) & (new.assessment == target.id))
        .where(Answer.assessment == source.id, new.agreement.in_(agreement_ids))
        .tuples()
    )
    pairs = list(pairs)
    if not pairs:
        return
    allowed = {
        a.id: {o.id for o in a.partners} for a in applicable_agreements(target) if a.bilateral
    }
    rows = [
        {
            "answer": answer_id,
            "assessment": target.id,
            "agreement": agreement_id,
            "partner": partner_id,
            "updated_at": now,
        }
        for answer_id, partner_id, agreement_id in pairs
        if partner_id in allowed.get(agreement_id, ())
    ]
    if rows:
        NotWorkingTogether.insert_many(rows).execute()


def history(assessment: Assessment) -> list[AssessmentChange]:
    """Every recorded change, newest first, with who made it and on which agreement."""
    return list(
        AssessmentChange.select(AssessmentChange, User, Agreement)
        .join(User, on=AssessmentChange.user == User.id, join_type=JOIN.LEFT_OUTER)
        .switch(AssessmentChange)
        .join(Agreement, on=AssessmentChange.agreement == Agreement.id, join_type=JOIN.LEFT_OUTER)
        .where(AssessmentChange.assessment == assessment)
        .order_by(AssessmentChange.id.desc())
    )


def organisation_people(organisation_ids: list[int], roles=("manager", "invuller")):
    """Active users per organisation holding one of the roles."""
    out: dict[int, list[User]] = {}
    for assignment in (
        RoleAssignment.select(RoleAssignment, User)
        .join(User)
        .where(
            RoleAssignment.organisation.in_(organisation_ids),
            RoleAssignment.role.in_(roles),
            User.active == True,  # noqa: E712
        )
        .order_by(User.id)
    ):
        users = out.setdefault(assignment.organisation_id, [])
        if all(u.id != assignment.user.id for u in users):
            users.append(assignment.user)
    return out
