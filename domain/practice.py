"""Good practice beside a weak agreement: the framework's praktijkvoorbeelden
(what worked elsewhere, from the seed documents) and "wat werkt elders":
organisations of the same kind in other regions that scored the agreement 3
or 4 in each of the last two closed cycles and whose manager agreed to be
asked about it. An organisation that did not agree is never named outside
its own scope."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from peewee import JOIN, fn

from domain.audit import record
from domain.inputs import LIMITS, line_problem
from models import (
    Agreement,
    AgreementPractice,
    Answer,
    Assessment,
    Cycle,
    FrameworkVersion,
    Organisation,
    Practice,
    PracticeSharing,
    Region,
    SourceDocument,
    User,
    db,
    utcnow,
)
from models.choices import N_

logger = logging.getLogger(__name__)

# Good enough to catch what people mistype, strict enough that what we show
# is an address a mail program can use: ASCII local part, a dotted domain.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$",
    re.ASCII,
)
GOOD_SCORE = 3  # grotendeels or volledig
CYCLES_NEEDED = 2  # well in each of the last two closed cycles
ELSEWHERE_SHOWN = 5  # per agreement


class SharingError(ValueError):
    """A sharing setting that cannot be saved, with a Dutch message."""


@dataclass(frozen=True)
class Example:
    """One praktijkvoorbeeld, with its source document."""

    code: str
    title: str
    place: str
    text: str
    source_code: str
    source_title: str


@dataclass(frozen=True)
class Contact:
    """An organisation elsewhere that does well on an agreement and may be asked."""

    agreement_code: str
    organisation: str
    kind: str
    region_id: int
    region: str
    contact: str
    mean: float  # the mean score over the cycles counted


@dataclass
class GoodPractice:
    """Per agreement code: its guidance, its praktijkvoorbeelden and the
    organisations elsewhere that may be asked about it."""

    guidance: dict[str, str] = field(default_factory=dict)
    examples: dict[str, list[Example]] = field(default_factory=dict)
    contacts: list[Contact] = field(default_factory=list)
    cycles: list[str] = field(default_factory=list)  # the closed cycles counted

    @classmethod
    def load(
        cls,
        cycle: Cycle,
        codes: Iterable[str] | None = None,
        *,
        kinds: Iterable[str] | None = None,
        elsewhere: bool = True,
    ) -> GoodPractice:
        """Read the good practice of these agreement codes (None: all), with
        the organisations of these kinds that may be asked (None: any kind)."""
        codes = None if codes is None else sorted(set(codes))
        found = cls()
        if codes == []:
            return found
        for code, guidance, example in _examples(cycle, codes):
            found.guidance[code] = guidance
            items = found.examples.setdefault(code, [])
            if example is not None:
                items.append(example)
        if elsewhere:
            kinds = None if kinds is None else sorted(set(kinds))
            if kinds != []:
                found.cycles = [c.period for c in _closed_cycles(cycle)]
                if len(found.cycles) == CYCLES_NEEDED:
                    found.contacts = _contacts(cycle, codes, kinds)
        return found

    def for_agreement(
        self, code: str, *, kinds: Iterable[str] = (), outside_region: int | None = None
    ) -> dict:
        """What to show beside one weak agreement, for a scope in region
        `outside_region` whose organisations are of these kinds."""
        kinds = set(kinds)
        contacts = [
            c
            for c in self.contacts
            if c.agreement_code == code and c.kind in kinds and c.region_id != outside_region
        ][:ELSEWHERE_SHOWN]
        return {
            "guidance": self.guidance.get(code, ""),
            "examples": self.examples.get(code, []),
            "contacts": contacts,
        }


def _target_framework(cycle: Cycle):
    """The newest published version of the cycle's framework: praktijkvoorbeelden
    are advice for today, matched to the cycle's agreements by code (as the
    trend matches them), so a cycle answered under an older version gets them
    too, and the version it was answered under stays as it is."""
    own = FrameworkVersion.alias()
    return (
        FrameworkVersion.select(FrameworkVersion.id)
        .join(own, on=(own.slug == FrameworkVersion.slug))
        .where(own.id == cycle.framework_id, FrameworkVersion.state == "gepubliceerd")
        .order_by(FrameworkVersion.version.desc())
        .limit(1)
    )


def _examples(cycle: Cycle, codes: list[str] | None):
    """(agreement code, guidance, example or None) in the framework's order: one query."""
    query = (
        Agreement.select(
            Agreement.code,
            Agreement.guidance,
            Practice.code,
            Practice.title,
            Practice.place,
            Practice.text,
            SourceDocument.code,
            SourceDocument.title,
        )
        .join(AgreementPractice, JOIN.LEFT_OUTER)
        .join(Practice, JOIN.LEFT_OUTER)
        .join(SourceDocument, JOIN.LEFT_OUTER, on=(Practice.source == SourceDocument.id))
        .where(Agreement.framework == _target_framework(cycle))
        .order_by(Agreement.position, AgreementPractice.position, AgreementPractice.id)
    )
    if codes is not None:
        query = query.where(Agreement.code.in_(codes))
    for code, guidance, p_code, title, place, text, s_code, s_title in query.tuples():
        example = None
        if p_code is not None:
            example = Example(p_code, title, place or "", text, s_code, s_title)
        yield code, guidance, example


def _closed_cycles(cycle: Cycle):
    """The last two closed cycles that closed no later than this one."""
    return (
        Cycle.select(Cycle.id, Cycle.period)
        .where(Cycle.state == "gesloten", Cycle.closes_on <= cycle.closes_on)
        .order_by(Cycle.closes_on.desc(), Cycle.id.desc())
        .limit(CYCLES_NEEDED)
    )


def _contacts(cycle: Cycle, codes: list[str] | None, kinds: list[str] | None) -> list[Contact]:
    """Organisations that agreed to be asked, with a score of 3 or 4 on the
    agreement in each of the last two closed cycles: one aggregate query."""
    counted = _closed_cycles(cycle).select(Cycle.id)
    mean = fn.AVG(Answer.score)
    query = (
        Answer.select(
            Agreement.code,
            Organisation.name,
            Organisation.kind,
            Region.id,
            Region.name,
            PracticeSharing.contact,
            mean,
        )
        .join(Assessment)
        .join(Organisation)
        .join(PracticeSharing)
        .switch(Organisation)
        .join(Region)
        .switch(Answer)
        .join(Agreement)
        .where(
            Assessment.cycle.in_(counted),
            Assessment.state == "ingediend",
            Answer.score >= GOOD_SCORE,
            PracticeSharing.enabled == True,  # noqa: E712 - SQL, not Python
            PracticeSharing.contact != "",
            Organisation.active == True,  # noqa: E712
        )
        .group_by(
            Agreement.code,
            Organisation.id,
            Organisation.name,
            Organisation.kind,
            Region.id,
            Region.name,
            PracticeSharing.contact,
        )
        .having(fn.COUNT(Assessment.cycle.distinct()) == CYCLES_NEEDED)
        .order_by(Agreement.code, mean.desc(), Organisation.name, Organisation.id)
    )
    if codes is not None:
        query = query.where(Agreement.code.in_(codes))
    if kinds is not None:
        query = query.where(Organisation.kind.in_(kinds))
    return [
        Contact(code, name, kind, region_id, region, contact, float(avg))
        for code, name, kind, region_id, region, contact, avg in query.tuples()
    ]


# --- the manager's setting ------------------------------------------------------


def sharing_of(organisation: Organisation) -> PracticeSharing | None:
    """The organisation's setting; None: never set (sharing is off)."""
    return PracticeSharing.get_or_none(PracticeSharing.organisation == organisation)


def valid_email(address: str) -> bool:
    """An e-mail address we are willing to show as a contact."""
    return len(address) <= LIMITS["email"] and bool(EMAIL_RE.match(address))


def save_sharing(
    actor: User, organisation: Organisation, *, enabled: bool, contact: str
) -> PracticeSharing:
    """Turn sharing on or off, with the contact address others may write to;
    audited (the results pages kept ready are built anew after it)."""
    contact = contact.strip()
    problem = line_problem(contact, LIMITS["email"])  # the one check of stored text
    if problem:
        raise SharingError(problem)
    if contact and not valid_email(contact):
        raise SharingError(N_("Vul een geldig e-mailadres in, zoals naam@organisatie.nl."))
    if enabled and not contact:
        raise SharingError(
            N_("Vul het e-mailadres in waarop andere organisaties u kunnen bereiken.")
        )
    with db.atomic():
        setting = sharing_of(organisation) or PracticeSharing(organisation=organisation)
        changed = setting.id is None or (setting.enabled, setting.contact) != (enabled, contact)
        setting.enabled = enabled
        setting.contact = contact
        setting.updated_at = utcnow()
        setting.updated_by = actor
        setting.save()
        if changed:
            record(
                "practice_sharing_saved",
                user=actor,
                object_type="organisation",
                object_id=organisation.id,
                enabled=enabled,
            )
    logger.info("practice sharing of organisation %s: %s", organisation.id, enabled)
    return setting
