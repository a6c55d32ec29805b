"""The agreements an assessment answers, and the partners it may rate and has rated on them."""

from __future__ import annotations

import copy
import functools
import threading
import weakref

from models import (
    Agreement,
    AgreementKind,
    Answer,
    Assessment,
    FrameworkVersion,
    NotWorkingTogether,
    Organisation,
    OrganisationGemeente,
    PartnerRating,
    Theme,
    db,
)
from models.compiled import CompiledQuery


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
RATINGS_BY_AGREEMENT = CompiledQuery(
    lambda assessment: (
        PartnerRating.select(Answer.agreement, PartnerRating.partner, PartnerRating.score)
        .join(Answer)
        .where(Answer.assessment == assessment)
        .tuples()
    )
)


# The partners the assessment's organisation does not work with, by agreement.
APART_BY_AGREEMENT = CompiledQuery(
    lambda assessment: (
        NotWorkingTogether.select(NotWorkingTogether.agreement, NotWorkingTogether.partner)
        .where(NotWorkingTogether.assessment == assessment)
        .tuples()
    )
)


def partners_apart(assessment: Assessment) -> dict[int, set[int]]:
    """Per agreement, the partners marked "werken niet samen"."""
    out: dict[int, set[int]] = {}
    for agreement_id, partner_id in APART_BY_AGREEMENT(assessment):
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
    for agreement_id, partner_id, _score in RATINGS_BY_AGREEMENT(assessment):
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


def partner_ratings(assessment: Assessment) -> dict[int, dict[int, int]]:
    """Per agreement, the named partners' ratings (partner → score)."""
    out: dict[int, dict[int, int]] = {}
    for agreement_id, partner_id, score in RATINGS_BY_AGREEMENT(assessment):
        if partner_id is not None:
            out.setdefault(agreement_id, {})[partner_id] = score
    return out
