"""Saving, checking, submitting, reopening and copying assessments."""

import datetime as dt

import pytest

from domain import (
    assessment_access,
    assessment_agreements,
    assessment_completeness,
    assessment_form,
    assessment_saving,
    assessment_steps,
    cycles,
    inputs,
)
from models import (
    Answer,
    Assessment,
    AssessmentChange,
    EscalationSignal,
    ImprovementAction,
    OutboxMessage,
    PartnerRating,
)
from tests import factories, journey

TODAY = dt.date.today()


@pytest.fixture
def chain(database):
    return journey.build()


def _save(chain, form, user=None, version=None):
    assessment = Assessment.get_by_id(chain["assessment"].id)
    parsed = assessment_form.parse_form(form, chain["agreements"], TODAY)
    assert parsed.errors == {}
    return assessment_saving.save_answers(
        user or chain["invuller"],
        assessment,
        assessment.version if version is None else version,
        parsed,
    )


def test_only_applicable_agreements(chain):
    codes = {a.code for a in chain["agreements"]}
    assert "VTJ-01" in codes  # JGZ has the VT–JGZ matrix
    team = Assessment.get(Assessment.organisation == chain["team"])
    team_codes = {a.code for a in assessment_agreements.applicable_agreements(team)}
    assert "VTJ-01" not in team_codes
    assert "KET-04" in team_codes


def test_permissions(chain):
    a = chain["assessment"]
    assert assessment_access.can_edit(chain["invuller"], a)
    assert assessment_access.can_submit(chain["manager"], a)
    assert not assessment_access.can_submit(chain["invuller"], a)
    assert assessment_access.can_submit(chain["invuller"], a, invuller_may_submit=True)
    assert not assessment_access.can_edit(chain["team_manager"], a)
    assert not assessment_access.can_edit(chain["coordinator"], a)
    assert assessment_access.can_view(chain["coordinator"], a)
    assert not assessment_access.can_view(chain["gemeente"], a)
    assert not assessment_access.can_view(chain["team_manager"], a)


def test_draft_save_records_every_change(chain):
    first, second = chain["agreements"][:2]
    form = {
        f"a{first.id}-score": "2",
        f"a{first.id}-explanation": "Wisselend nageleefd.",
        f"a{first.id}-action": "Bespreken in teamoverleg",
        f"a{first.id}-owner": "teamleider",
        f"a{first.id}-due": (TODAY + dt.timedelta(days=30)).isoformat(),
        f"a{second.id}-score": "nvt",
        f"a{second.id}-reason": "Geen casuïstiek",
        "esc-0-agreement": str(first.id),
        "esc-0-times": "3",
        "esc-0-step": "2",
    }
    assert _save(chain, form) > 0
    assessment = Assessment.get_by_id(chain["assessment"].id)
    assert assessment.state == "concept"
    assert assessment.version == 1
    answer = Answer.get(Answer.agreement == first.id)
    assert answer.score == 2
    assert ImprovementAction.get().owner == "teamleider"
    assert Answer.get(Answer.agreement == second.id).not_applicable
    assert EscalationSignal.get().highest_step == 2
    form[f"a{first.id}-score"] = "3"
    _save(chain, form, user=chain["manager"])
    change = AssessmentChange.get(
        AssessmentChange.field == "score",
        AssessmentChange.agreement == first.id,
        AssessmentChange.version == 2,
    )
    assert (change.old_value, change.new_value, change.user_id) == ("2", "3", chain["manager"].id)
    assert assessment_completeness.progress(assessment, chain["agreements"]) == (
        2,
        len(chain["agreements"]),
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("score", "7", "score van 0"),
        ("evaluated", "31-02-2026", "geldige datum"),
        ("evaluated", "2999-01-01", "buiten"),
        ("explanation", "x" * 100_000, "te lang"),
        ("partner", "3", "geen oordeel over een partner"),
        ("status", "klaar", "geldige status"),
    ],
)
def test_bad_input_is_refused(chain, field, value, message):
    first = next(a for a in chain["agreements"] if not a.bilateral)
    parsed = assessment_form.parse_form({f"a{first.id}-{field}": value}, chain["agreements"], TODAY)
    key = f"a{first.id}-{'reason' if value == 'nvt' else field}"
    assert message in parsed.errors[key]


@pytest.mark.parametrize(
    ("field", "value", "refused"),
    [
        ("explanation", "eerste regel\r\ntweede\tregel", False),
        ("explanation", "bel\x07", True),
        ("explanation", "x" * assessment_form.MAX_EXPLANATION, False),
        ("explanation", "x" * (assessment_form.MAX_EXPLANATION + 1), True),
        ("reason", "twee\nregels", True),
        ("reason", "omgekeerd\u202e", True),
        ("reason", "x" * (assessment_form.MAX_SHORT + 1), True),
        ("action", "twee\r\nregels", True),
        ("action", "x" * assessment_form.MAX_SHORT, False),
        ("owner", "teamleider\nJGZ", True),
        ("owner", "tab\tin naam", True),
        ("owner", "x" * (assessment_form.MAX_OWNER + 1), True),
        ("owner", "teamleider JGZ", False),
    ],
)
def test_answer_text_goes_through_the_one_text_check(chain, field, value, refused):
    """The explanation is free text over several lines; the n.v.t. reason, the
    improvement action and its owner are one line each: all at the limits of
    domain.inputs.LIMITS, with its messages."""
    first = next(a for a in chain["agreements"] if not a.bilateral)
    p = f"a{first.id}-"
    form = {p + "score": "nvt" if field == "reason" else "2", p + field: value}
    if field == "owner":
        form[p + "action"] = "Werkafspraak maken"
    parsed = assessment_form.parse_form(form, chain["agreements"], TODAY)
    stored = getattr(parsed.answers[first.id], field)
    if refused:
        assert parsed.errors[p + field] in (inputs.MSG_CONTROL, inputs.MSG_TOO_LONG)
        assert list(parsed.errors) == [p + field]  # no "describe the action" on top
        assert stored == ""
    else:
        assert p + field not in parsed.errors
        assert stored == value.replace("\r\n", "\n")


def test_a_refused_action_beside_an_owner_keeps_its_own_message(chain):
    first = next(a for a in chain["agreements"] if not a.bilateral)
    p = f"a{first.id}-"
    form = {p + "score": "2", p + "action": "actie\x00", p + "owner": "teamleider"}
    parsed = assessment_form.parse_form(form, chain["agreements"], TODAY)
    assert parsed.errors == {p + "action": inputs.MSG_CONTROL}


def test_unknown_agreement_posted_by_hand(chain):
    team = Assessment.get(Assessment.organisation == chain["team"])
    foreign = next(
        a
        for a in assessment_agreements.applicable_agreements(team)
        if a.id not in {x.id for x in chain["agreements"]}
    )
    parsed = assessment_form.parse_form(
        {
            f"a{foreign.id}-score": "4",
            "a999999-score": "1",
            "esc-0-agreement": "999999",
            "esc-0-times": "1",
        },
        chain["agreements"],
        TODAY,
    )
    assert set(parsed.errors) == {f"a{foreign.id}-score", "a999999-score", "esc-0-agreement"}


def test_outdated_version_is_refused_with_what_changed(chain):
    first = chain["agreements"][0]
    _save(chain, {f"a{first.id}-score": "1"}, user=chain["manager"])  # version 0 → 1
    with pytest.raises(assessment_saving.ConflictError) as info:
        _save(chain, {f"a{first.id}-score": "4"}, user=chain["invuller"], version=0)
    assert info.value.current_version == 1
    assert [(c.field, c.new_value, c.user.email) for c in info.value.changes] == [
        ("score", "1", "manager@example.nl"),
        ("state", "concept", "manager@example.nl"),
    ]
    assert Answer.get().score == 1  # nothing overwritten
    _save(chain, {f"a{first.id}-score": "4"}, user=chain["invuller"], version=1)
    assert Answer.get().score == 4


def test_a_save_landing_between_the_reads_and_the_write_is_not_overwritten(chain, monkeypatch):
    """A save reads what is stored before its write transaction; one that
    lands in between raises the version, so the later save is refused."""
    first = chain["agreements"][0]
    read = assessment_saving._Stored.read
    competed = []

    def read_then_someone_saves(assessment):
        stored = read(assessment)
        if not competed:
            competed.append(True)
            _save(chain, {f"a{first.id}-score": "1"}, user=chain["manager"], version=0)
        return stored

    monkeypatch.setattr(assessment_saving._Stored, "read", staticmethod(read_then_someone_saves))
    with pytest.raises(assessment_saving.ConflictError) as info:
        _save(chain, {f"a{first.id}-score": "4"}, user=chain["invuller"], version=0)
    assert info.value.current_version == 1
    assert Answer.get().score == 1
    assert [c.user.email for c in AssessmentChange.select()] == ["manager@example.nl"] * 2


def test_agreements_are_each_callers_own_and_partners_read_afresh(chain):
    """The framework's agreements are read once, but every call gets agreements
    of its own, with the partner organisations as they are now."""
    first = assessment_agreements.applicable_agreements(chain["assessment"])
    bilateral = next(a for a in first if a.partners)
    first_names = [o.name for o in bilateral.partners]
    newcomer = factories.organisation(
        chain["region"], bilateral.partners[0].kind, "AAA Nieuwe partner"
    )
    second = assessment_agreements.applicable_agreements(chain["assessment"])
    again = next(a for a in second if a.id == bilateral.id)
    assert again is not bilateral
    assert [o.name for o in again.partners] == [newcomer.name, *first_names]
    assert [o.name for o in bilateral.partners] == first_names
    assert [(a.id, a.code, a.theme.code) for a in first] == [
        (a.id, a.code, a.theme.code) for a in second
    ]


def test_submit_lists_what_is_missing_then_submits(chain):
    agreements = chain["agreements"]
    form = journey.complete_form(agreements)
    bilateral = next(a for a in agreements if a.partners)
    unwritten = agreements[1]
    del form[f"a{agreements[0].id}-score"]
    del form[f"a{unwritten.id}-writing"]
    for key in [k for k in form if k.startswith(f"a{bilateral.id}-partner-")]:
        del form[key]
    _save(chain, form)
    assessment = Assessment.get_by_id(chain["assessment"].id)
    missing = assessment_steps.submit(chain["manager"], assessment)
    assert [(a.code, why) for a, why in missing] == [
        (agreements[0].code, ["nog geen score of n.v.t."]),
        (unwritten.code, ["nog niet aangegeven of de afspraak schriftelijk is vastgelegd"]),
        (bilateral.code, ["nog geen oordeel over een partnerorganisatie"]),
    ]
    assert Assessment.get_by_id(assessment.id).state == "concept"
    _save(chain, journey.complete_form(agreements), user=chain["manager"])
    assessment = Assessment.get_by_id(assessment.id)
    assert assessment_steps.submit(chain["manager"], assessment) == []
    assessment = Assessment.get_by_id(assessment.id)
    assert assessment.state == "ingediend"
    assert assessment.submitted_by_id == chain["manager"].id
    assert not assessment_access.can_edit(chain["manager"], assessment)
    assert cycles.confirm_submission(assessment, journey.LINK) == 2
    assert OutboxMessage.select().where(OutboxMessage.subject.contains("is ingediend")).count() == 2


def test_missing_is_complete_in_one_pass(chain):
    """Scores, n.v.t. reasons and partner ratings are all listed at once: the
    partner ratings are not held back until every score is filled in."""
    agreements = chain["agreements"]
    bilateral = [a for a in agreements if a.partners]
    assert bilateral
    assessment = Assessment.get_by_id(chain["assessment"].id)
    missing = dict(assessment_steps.submit(chain["manager"], assessment))
    assert len(missing) == len(agreements)
    for a in bilateral:
        assert missing[a] == [
            "nog geen score of n.v.t.",
            "nog geen oordeel over een partnerorganisatie",
        ]
    # Answering every score leaves nothing new to discover: the list only shrinks.
    form = journey.complete_form(agreements)
    for key in [k for k in form if "-partner-" in k]:
        del form[key]
    _save(chain, form)
    second = assessment_steps.submit(chain["manager"], Assessment.get_by_id(assessment.id))
    assert {a for a, _ in second} == set(bilateral)
    assert all(set(why) <= set(missing[a]) for a, why in second)


def test_in_writing_is_needed_only_for_a_scored_answer(chain):
    agreements = chain["agreements"]
    form = journey.complete_form(agreements)
    first, second = agreements[0], agreements[1]
    form[f"a{first.id}-writing"] = "nee"  # answered: nee is an answer
    form[f"a{second.id}-score"] = "nvt"  # n.v.t. needs no 'schriftelijk'
    form[f"a{second.id}-reason"] = "Geen casuïstiek"
    del form[f"a{second.id}-writing"]
    _save(chain, form)
    assessment = Assessment.get_by_id(chain["assessment"].id)
    assert assessment_steps.submit(chain["manager"], assessment) == []


def test_partners_are_the_organisations_of_the_partner_kinds_nearby(chain):
    """JGZ may rate the wijkteam serving its gemeente and one elsewhere in its
    region, not a wijkteam in another region serving other gemeenten, an
    inactive one, nor one of its own kind."""
    region, gemeente = chain["region"], chain["gemeente_obj"]
    elsewhere = factories.region()
    same_region = factories.organisation(region, "wijkteam", "Wijkteam Oost")
    across = factories.organisation(elsewhere, "wijkteam", "Wijkteam Over", serves=[gemeente])
    factories.organisation(elsewhere, "wijkteam", "Wijkteam Ver", serves=[])
    factories.organisation(region, "wijkteam", "Wijkteam Oud", active=False)
    factories.organisation(region, "jgz", "JGZ Buur", serves=[gemeente])
    vt = factories.organisation(region, "veilig_thuis", "Veilig Thuis Regio")
    agreements = assessment_agreements.applicable_agreements(chain["assessment"])
    by_code = {a.code: a for a in agreements}
    team_jgz = next(
        a for a in agreements if a.partners and all(o.kind == "wijkteam" for o in a.partners)
    )
    assert [o.name for o in team_jgz.partners] == [  # by name
        same_region.name,
        across.name,
        chain["team"].name,
    ]
    assert [o.id for o in by_code["VTJ-01"].partners] == [vt.id]
    assert all(a.partners == [] for a in agreements if not a.bilateral)


def test_named_partner_ratings_are_stored_changed_and_recorded(chain):
    agreements = chain["agreements"]
    bilateral = next(a for a in agreements if a.partners)
    team = chain["team"]
    key = f"a{bilateral.id}-partner-{team.id}"
    _save(chain, {f"a{bilateral.id}-score": "3", key: "1"})
    rating = PartnerRating.get()
    assert (rating.partner_id, rating.score, rating.answer.agreement_id) == (
        team.id,
        1,
        bilateral.id,
    )
    assert assessment_form.stored_values(chain["assessment"])[key] == "1"
    _save(chain, {f"a{bilateral.id}-score": "3", key: "4"})
    _save(chain, {f"a{bilateral.id}-score": "3", key: ""})  # no rating any more
    assert PartnerRating.select().count() == 0
    history = [
        (c.old_value, c.new_value)
        for c in AssessmentChange.select()
        .where(AssessmentChange.field == "partner_score")
        .order_by(AssessmentChange.id)
    ]
    assert history == [
        (None, f"{team.name}: 1"),
        (f"{team.name}: 1", f"{team.name}: 4"),
        (f"{team.name}: 4", None),
    ]


def test_a_rating_of_an_organisation_that_is_no_partner_is_refused(chain):
    agreements = chain["agreements"]
    bilateral = next(a for a in agreements if a.partners)
    plain = next(a for a in agreements if not a.bilateral)
    stranger = factories.organisation(factories.region(), "wijkteam", "Elders")
    parsed = assessment_form.parse_form(
        {
            f"a{bilateral.id}-partner-{stranger.id}": "2",
            f"a{plain.id}-partner-{chain['team'].id}": "2",
            f"a{bilateral.id}-partner-{chain['team'].id}": "9",
        },
        agreements,
        TODAY,
    )
    assert "geen partner" in parsed.errors[f"a{bilateral.id}-partner-{stranger.id}"]
    assert "geen oordeel over een partner" in parsed.errors[f"a{plain.id}-partner"]
    assert "score van 0" in parsed.errors[f"a{bilateral.id}-partner-{chain['team'].id}"]


def test_reopen_needs_a_reason_and_the_right_person(chain):
    _save(chain, journey.complete_form(chain["agreements"]))
    assessment = Assessment.get_by_id(chain["assessment"].id)
    assessment_steps.submit(chain["manager"], assessment)
    assessment = Assessment.get_by_id(assessment.id)
    with pytest.raises(assessment_saving.StateError):
        assessment_steps.reopen(chain["coordinator"], assessment, "  ")
    with pytest.raises(assessment_saving.StateError):
        assessment_steps.reopen(chain["manager"], assessment, "Ik wil nog iets aanpassen")
    assessment_steps.reopen(chain["coordinator"], assessment, "Partnerscore VT–JGZ klopt niet")
    assessment = Assessment.get_by_id(assessment.id)
    assert assessment.state == "heropend"
    assert assessment.reopen_reason == "Partnerscore VT–JGZ klopt niet"
    assert assessment_access.can_edit(chain["invuller"], assessment)
    assert assessment_steps.submit(chain["manager"], assessment) == []
    states = [
        (c.old_value, c.new_value)
        for c in AssessmentChange.select()
        .where(AssessmentChange.field == "state")
        .order_by(AssessmentChange.id)
    ]
    assert states == [
        ("niet_gestart", "concept"),
        ("concept", "ingediend"),
        ("ingediend", "heropend"),
        ("heropend", "ingediend"),
    ]


def test_copy_forward_marks_answers_until_touched(database):
    earlier = journey.build(period="2026-Q3")
    _save(earlier, journey.complete_form(earlier["agreements"], score=4))

    assessment = journey.next_cycle(earlier, "2026-Q4", TODAY)
    agreements = assessment_agreements.applicable_agreements(assessment)
    assert assessment_steps.previous_assessment(assessment).cycle.period == "2026-Q3"
    assert assessment_steps.copy_previous(earlier["manager"], assessment) == len(agreements)
    assert Answer.select().where(Answer.assessment == assessment, Answer.copied).count() == len(
        agreements
    )
    # The named partner ratings come along with their answers.
    copied = (
        PartnerRating.select(PartnerRating.partner, PartnerRating.score)
        .join(Answer)
        .where(Answer.assessment == assessment)
        .tuples()
    )
    rated = sum(len(a.partners) for a in agreements)
    assert rated > 0
    assert sorted(copied) == [(earlier["team"].id, 2)] * rated
    assessment = Assessment.get_by_id(assessment.id)
    missing = assessment_steps.submit(earlier["manager"], assessment)
    assert len(missing) == len(agreements)
    assert all(any("nog niet bevestigd" in w for w in why) for _, why in missing)
    # Touch one (a change), confirm the rest unchanged.
    form = journey.complete_form(agreements, score=4)
    form[f"a{agreements[0].id}-score"] = "3"
    for a in agreements[1:]:
        form[f"a{a.id}-confirm"] = "1"
    parsed = assessment_form.parse_form(form, agreements, TODAY)
    assessment_saving.save_answers(earlier["manager"], assessment, assessment.version, parsed)
    assert Answer.select().where(Answer.assessment == assessment, Answer.copied).count() == 0
    assert assessment_steps.submit(earlier["manager"], Assessment.get_by_id(assessment.id)) == []
    # Exactly one answer per agreement: nothing was copied twice.
    assert Answer.select().where(Answer.assessment == assessment).count() == len(agreements)


# --- the form as a task: every valid field saved, one theme at a time ---------


def test_not_applicable_without_a_reason_is_stored_and_said_at_the_field(chain):
    first = next(a for a in chain["agreements"] if not a.bilateral)
    parsed = assessment_form.parse_form({f"a{first.id}-score": "nvt"}, chain["agreements"], TODAY)
    assert parsed.errors == {}
    assert "waarom" in parsed.notices[f"a{first.id}-reason"]
    assessment = Assessment.get_by_id(chain["assessment"].id)
    assessment_saving.save_answers(chain["invuller"], assessment, 0, parsed)
    assert Answer.get(Answer.agreement == first.id).not_applicable
    states = assessment_completeness.agreement_states(assessment, chain["agreements"])
    assert states[first.id].answered
    assert states[first.id].faults == [("reason", assessment_completeness.FIELD_MESSAGES["reason"])]
    missing = dict(assessment_completeness.missing_items(assessment, chain["agreements"]))
    assert missing[first] == ["nog geen reden waarom de afspraak niet van toepassing is"]


def test_a_reason_or_writing_that_does_not_apply_is_ignored(chain):
    first, second = chain["agreements"][:2]
    parsed = assessment_form.parse_form(
        {
            f"a{first.id}-score": "3",
            f"a{first.id}-reason": "hoort hier niet",
            f"a{second.id}-score": "nvt",
            f"a{second.id}-reason": "Geen casuïstiek",
            f"a{second.id}-writing": "ja",
            f"a{second.id}-evaluated": "2999-01-01",
        },
        chain["agreements"],
        TODAY,
    )
    assert parsed.errors == {}
    assert parsed.answers[first.id].reason == ""
    assert (parsed.answers[second.id].in_writing, parsed.answers[second.id].evaluated) == (
        None,
        None,
    )


def test_every_valid_field_is_saved_beside_an_invalid_one(chain):
    """The pitfall autosave fell into: one bad field no longer holds back the rest."""
    first, second, third = [a for a in chain["agreements"] if not a.bilateral][:3]
    _save(chain, {f"a{first.id}-score": "2", f"a{first.id}-explanation": "Eerder."})
    assessment = Assessment.get_by_id(chain["assessment"].id)
    form = {
        f"a{first.id}-score": "2",
        f"a{first.id}-explanation": "x" * (assessment_form.MAX_EXPLANATION + 1),  # too long
        f"a{first.id}-evaluated": "2999-01-01",  # out of range
        f"a{second.id}-score": "4",
        f"a{third.id}-score": "1",
        f"a{third.id}-owner": "teamleider",  # an owner without an action
        f"a{third.id}-explanation": "Besproken.",
    }
    parsed = assessment_form.parse_valid(
        form, chain["agreements"], TODAY, assessment_form.stored_values(assessment)
    )
    assert set(parsed.errors) == {
        f"a{first.id}-explanation",
        f"a{first.id}-evaluated",
        f"a{third.id}-action",
    }
    assessment_saving.save_answers(chain["invuller"], assessment, assessment.version, parsed)
    stored = assessment_form.stored_values(Assessment.get_by_id(assessment.id))
    assert stored[f"a{first.id}-explanation"] == "Eerder."  # kept, not lost or cut
    assert stored[f"a{first.id}-evaluated"] == ""
    assert stored[f"a{second.id}-score"] == "4"
    assert (stored[f"a{third.id}-score"], stored[f"a{third.id}-explanation"]) == (
        "1",
        "Besproken.",
    )
    assert ImprovementAction.select().count() == 0


def test_a_theme_page_saves_only_its_own_agreements(chain):
    agreements = chain["agreements"]
    first, other = agreements[0], agreements[-1]
    assert first.theme_id != other.theme_id
    _save(
        chain,
        {
            f"a{other.id}-score": "2",
            "esc-0-agreement": str(other.id),
            "esc-0-times": "1",
            "esc-0-step": "1",
        },
    )
    assessment = Assessment.get_by_id(chain["assessment"].id)
    theme = [a for a in agreements if a.theme_id == first.theme_id]
    form = {
        assessment_form.SHOWN_KEY: ",".join(str(a.id) for a in theme),
        f"a{first.id}-score": "4",
    }
    parsed = assessment_form.parse_form(form, agreements, TODAY)
    assert set(parsed.answers) == {a.id for a in theme}
    assert parsed.escalations is None
    assessment_saving.save_answers(chain["invuller"], assessment, assessment.version, parsed)
    assert Answer.get(Answer.agreement == other.id).score == 2  # not cleared
    assert EscalationSignal.select().count() == 1  # not deleted
    assert Answer.get(Answer.agreement == first.id).score == 4


def test_working_apart_is_an_answer_of_its_own(chain):
    """'Werken niet samen op deze afspraak' is stored, is distinct from no
    rating yet, satisfies the check before submitting and is in the history."""
    agreements = chain["agreements"]
    bilateral = next(a for a in agreements if a.partners)
    partner = bilateral.partners[0]
    key = f"a{bilateral.id}-partner-{partner.id}"
    form = journey.complete_form(agreements)
    form[key] = ""  # no rating yet
    for other in bilateral.partners[1:]:
        form[f"a{bilateral.id}-partner-{other.id}"] = ""
    _save(chain, form)
    assessment = Assessment.get_by_id(chain["assessment"].id)
    missing = dict(assessment_completeness.missing_items(assessment, agreements))
    assert missing[bilateral] == ["nog geen oordeel over een partnerorganisatie"]
    assert assessment_completeness.agreement_states(assessment, agreements)[
        bilateral.id
    ].faults == [("partner", assessment_completeness.FIELD_MESSAGES["partner"])]
    form[key] = assessment_form.NOT_TOGETHER
    _save(chain, form)
    assessment = Assessment.get_by_id(assessment.id)
    assert assessment_form.stored_values(assessment)[key] == assessment_form.NOT_TOGETHER
    assert not PartnerRating.select().where(PartnerRating.partner == partner.id).exists()
    assert bilateral not in dict(assessment_completeness.missing_items(assessment, agreements))
    change = AssessmentChange.get(
        AssessmentChange.field == "partner_score", AssessmentChange.agreement == bilateral.id
    )
    assert change.new_value == f"{partner.name}: werken niet samen"
    # From working apart to a rating: one or the other, never both.
    form[key] = "1"
    _save(chain, form)
    assessment = Assessment.get_by_id(assessment.id)
    assert assessment_form.stored_values(assessment)[key] == "1"
    assert assessment_agreements.partners_apart(assessment) == {}


def test_working_apart_is_refused_where_it_cannot_apply(chain):
    plain = next(a for a in chain["agreements"] if not a.bilateral)
    bilateral = next(a for a in chain["agreements"] if a.partners)
    stranger = chain["gemeente_org"] if "gemeente_org" in chain else chain["team"]
    parsed = assessment_form.parse_form(
        {
            f"a{plain.id}-partner-{stranger.id}": assessment_form.NOT_TOGETHER,
            f"a{bilateral.id}-partner-999999": assessment_form.NOT_TOGETHER,
        },
        chain["agreements"],
        TODAY,
    )
    assert f"a{plain.id}-partner" in parsed.errors
    assert f"a{bilateral.id}-partner-999999" in parsed.errors


def test_theme_states_count_answered_copied_and_faults_apart(database):
    earlier = journey.build(period="2026-Q3")
    _save(earlier, journey.complete_form(earlier["agreements"], score=4))
    assessment = journey.next_cycle(earlier, "2026-Q4", TODAY)
    agreements = assessment_agreements.applicable_agreements(assessment)
    themes = assessment_completeness.theme_states(
        agreements, assessment_completeness.agreement_states(assessment, agreements)
    )
    assert [t.state for t in themes] == ["niet_begonnen"] * len(themes)
    assert [t.number for t in themes] == list(range(1, len(themes) + 1))
    assessment_steps.copy_previous(earlier["manager"], assessment)
    themes = assessment_completeness.theme_states(
        agreements, assessment_completeness.agreement_states(assessment, agreements)
    )
    assert sum(t.copied for t in themes) == len(agreements)
    assert sum(t.answered for t in themes) == 0  # copied is not answered
    assert {t.state for t in themes} == {"bezig"}
    # Confirm one theme: its answers count as answered and it is done.
    first = themes[0]
    confirmed = assessment_steps.confirm_copied(
        earlier["invuller"], assessment, [a.id for a in first.agreements]
    )
    assert sorted(confirmed) == sorted(a.id for a in first.agreements)
    themes = assessment_completeness.theme_states(
        agreements, assessment_completeness.agreement_states(assessment, agreements)
    )
    assert (themes[0].state, themes[0].answered, themes[0].copied) == (
        "klaar",
        first.total,
        0,
    )
    assert themes[1].state == "bezig"
    assert AssessmentChange.select().where(AssessmentChange.field == "confirmed").count() == len(
        first.agreements
    )
    # The rest in one step; the version moves so no open page overwrites it.
    version = Assessment.get_by_id(assessment.id).version
    rest = assessment_steps.confirm_copied(earlier["invuller"], assessment)
    assert len(rest) == len(agreements) - first.total
    assert Assessment.get_by_id(assessment.id).version == version + 1
    assert assessment_steps.confirm_copied(earlier["invuller"], assessment) == []
    assert assessment_steps.submit(earlier["manager"], Assessment.get_by_id(assessment.id)) == []


def test_a_fault_makes_a_theme_say_fouten(chain):
    agreements = chain["agreements"]
    first = agreements[0]
    _save(chain, {f"a{first.id}-score": "3"})  # no 'schriftelijk vastgelegd' yet
    assessment = Assessment.get_by_id(chain["assessment"].id)
    themes = assessment_completeness.theme_states(
        agreements, assessment_completeness.agreement_states(assessment, agreements)
    )
    assert (themes[0].state, themes[0].answered, themes[0].faults) == ("fouten", 1, 1)


def test_copy_forward_brings_working_apart_along(database):
    earlier = journey.build(period="2026-Q3")
    agreements = earlier["agreements"]
    bilateral = next(a for a in agreements if a.partners)
    form = journey.complete_form(agreements, score=4)
    for partner in bilateral.partners:
        form[f"a{bilateral.id}-partner-{partner.id}"] = assessment_form.NOT_TOGETHER
    _save(earlier, form)
    assessment = journey.next_cycle(earlier, "2026-Q4", TODAY)
    assessment_steps.copy_previous(earlier["manager"], assessment)
    new = next(
        a
        for a in assessment_agreements.applicable_agreements(assessment)
        if a.code == bilateral.code
    )
    values = assessment_form.stored_values(assessment)
    assert {values[f"a{new.id}-partner-{p.id}"] for p in new.partners} == {
        assessment_form.NOT_TOGETHER
    }


def test_the_demos_submitted_assessments_pass_the_check_before_submitting(database):
    """A partner the demo's organisation did not rate is one it did not work
    with ("werken niet samen"), so copying a demo quarter forward unchanged
    can be submitted as it is."""
    import demo
    from domain.reference import load_reference_data
    from models import Cycle, NotWorkingTogether

    load_reference_data()
    factories.default_framework()
    demo.generate("small", seed=1, last_period="2026-Q4", today=dt.date(2026, 12, 6))
    assert NotWorkingTogether.select().count() > 0
    submitted = list(
        Assessment.select(Assessment, Cycle)
        .join(Cycle)
        .where(Assessment.state == "ingediend", Cycle.period == "2026-Q3")
    )
    assert submitted
    for assessment in submitted:
        agreements = assessment_agreements.applicable_agreements(assessment)
        assert assessment_completeness.missing_items(assessment, agreements) == [], (
            assessment.organisation.name
        )


def test_two_people_on_different_themes_both_save(chain):
    """Someone saving another theme meanwhile is no conflict: both answers
    are stored, and the history keeps both. The same theme still is one."""
    agreements = chain["agreements"]
    first, last = agreements[0], agreements[-1]
    theme_of = {}
    for a in agreements:
        theme_of.setdefault(a.theme_id, []).append(a)

    def page(agreement, score):
        shown = theme_of[agreement.theme_id]
        return assessment_form.parse_form(
            {
                assessment_form.SHOWN_KEY: ",".join(str(a.id) for a in shown),
                f"a{agreement.id}-score": score,
            },
            agreements,
            TODAY,
        )

    assessment = Assessment.get_by_id(chain["assessment"].id)
    assessment_saving.save_answers(chain["manager"], assessment, 0, page(first, "2"))
    other = Assessment.get_by_id(chain["assessment"].id)
    other.version = 0  # the invuller's page was opened before the manager saved
    assessment_saving.save_answers(chain["invuller"], other, 0, page(last, "4"))
    assert Assessment.get_by_id(assessment.id).version == 2
    scores = {a.agreement_id: a.score for a in Answer.select()}
    assert scores == {first.id: 2, last.id: 4}
    assert [
        (c.user_id, c.version)
        for c in AssessmentChange.select()
        .where(AssessmentChange.field == "score")
        .order_by(AssessmentChange.id)
    ] == [(chain["manager"].id, 1), (chain["invuller"].id, 2)]
    # The same theme, from a page older than the manager's save: refused,
    # nothing overwritten.
    stale = Assessment.get_by_id(assessment.id)
    with pytest.raises(assessment_saving.ConflictError) as info:
        assessment_saving.save_answers(chain["invuller"], stale, 0, page(first, "0"))
    assert info.value.current_version == 2
    # From a page opened after it (version 1), the later save of another
    # theme is no reason to refuse.
    assessment_saving.save_answers(chain["invuller"], stale, 1, page(first, "1"))
    assert Answer.get(Answer.agreement == first.id).score == 1
