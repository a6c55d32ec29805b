"""Checking before submitting: the rows beside the previous cycle, "klaar
voor controle" and its mail, the reopening mail, the confirmation mail."""

import datetime as dt

import pytest

from domain import (
    assessment_agreements,
    assessment_form,
    assessment_saving,
    assessment_steps,
    cycles,
    review,
)
from models import Assessment, OutboxMessage
from tests import journey

TODAY = dt.date.today()


@pytest.fixture
def chain(database):
    return journey.build()


def _fresh(chain) -> Assessment:
    return Assessment.get_by_id(chain["assessment"].id)


def _save(chain, form, user=None):
    assessment = _fresh(chain)
    parsed = assessment_form.parse_form(form, chain["agreements"], TODAY)
    assert parsed.errors == {}
    assessment_saving.save_answers(
        user or chain["invuller"], assessment, assessment.version, parsed
    )


def _mails(to: str | None = None) -> list[OutboxMessage]:
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return list(query)


def _well_formed(message: OutboxMessage, name: str) -> None:
    """One line of subject without template debris, a greeting, both parts."""
    assert "\n" not in message.subject
    assert "{" not in message.subject
    assert "Beste" not in message.subject
    assert message.body_text.startswith(f"Beste {name},\n")
    assert f"Beste {name}," in message.body_html
    assert "{{" not in message.body_text
    assert "{%" not in message.body_text


def test_ready_mails_the_managers_once_per_version(chain):
    OutboxMessage.delete().execute()  # the invitations of the cycle's opening
    invuller, manager = chain["invuller"], chain["manager"]
    assessment = _fresh(chain)
    assert not review.is_ready(assessment)
    managers, queued = review.mark_ready(invuller, assessment, journey.LINK)
    assert (managers, queued) == (1, 1)
    assessment = _fresh(chain)
    assert review.is_ready(assessment)
    assert assessment.ready_by_id == invuller.id
    mails = _mails()
    assert [m.to_address for m in mails] == [manager.email]  # not the invuller
    mail = mails[0]
    _well_formed(mail, manager.name)
    assert mail.subject == "Zelfevaluatie 2026-Q4 van JGZ Test is klaar voor controle"
    assert invuller.name in mail.body_text
    assert journey.LINK(assessment.id) in mail.body_text
    assert journey.LINK(assessment.id) in mail.body_html
    # Said again without a change: the managers already know.
    assert review.mark_ready(invuller, _fresh(chain), journey.LINK) == (1, 0)
    # After a change, a new mail.
    _save(chain, {f"a{chain['agreements'][0].id}-score": "3"})
    assert review.mark_ready(invuller, _fresh(chain), journey.LINK) == (1, 1)
    assert len(_mails(manager.email)) == 2


def test_ready_only_while_it_can_be_edited(chain):
    with pytest.raises(assessment_saving.StateError):
        review.mark_ready(chain["coordinator"], _fresh(chain))
    with pytest.raises(assessment_saving.StateError):
        review.mark_ready(chain["team_manager"], _fresh(chain))
    _save(chain, journey.complete_form(chain["agreements"]), user=chain["manager"])
    assert assessment_steps.submit(chain["manager"], _fresh(chain)) == []
    with pytest.raises(assessment_saving.StateError):
        review.mark_ready(chain["invuller"], _fresh(chain))


def test_submit_and_reopen_end_the_ready_mark(chain):
    review.mark_ready(chain["invuller"], _fresh(chain))
    _save(chain, journey.complete_form(chain["agreements"]), user=chain["manager"])
    assert assessment_steps.submit(chain["manager"], _fresh(chain)) == []
    assert not review.is_ready(_fresh(chain))
    assessment_steps.reopen(chain["coordinator"], _fresh(chain), "Score VIS-02 klopt niet")
    reopened = _fresh(chain)
    assert reopened.state == "heropend"
    assert not review.is_ready(reopened)  # marked before the reopening
    review.mark_ready(chain["invuller"], reopened)
    assert review.is_ready(_fresh(chain))


def test_reopening_mails_managers_and_invullers_with_the_reason(chain):
    _save(chain, journey.complete_form(chain["agreements"]), user=chain["manager"])
    assert assessment_steps.submit(chain["manager"], _fresh(chain)) == []
    OutboxMessage.delete().execute()
    reason = "De score bij VIS-02 past niet bij de toelichting."
    assessment_steps.reopen(chain["coordinator"], _fresh(chain), reason, link_for=journey.LINK)
    mails = _mails()
    assert sorted(m.to_address for m in mails) == sorted(
        [chain["manager"].email, chain["invuller"].email]
    )
    for mail in mails:
        manager = mail.to_address == chain["manager"].email
        person = chain["manager"] if manager else chain["invuller"]
        _well_formed(mail, person.name)
        assert mail.subject == "Zelfevaluatie 2026-Q4 van JGZ Test is heropend"
        assert reason in mail.body_text
        assert reason in mail.body_html
        assert chain["coordinator"].name in mail.body_text
        assert journey.LINK(chain["assessment"].id) in mail.body_text
    # A reopening without a link (from the command line) still mails.
    assert assessment_steps.submit(chain["manager"], _fresh(chain)) == []
    assessment_steps.reopen(chain["coordinator"], _fresh(chain), "Nog een keer")
    assert len(_mails()) == 4
    assert "http" not in _mails()[-1].body_text


def test_confirmation_names_who_submitted_and_when(chain):
    _save(chain, journey.complete_form(chain["agreements"]), user=chain["manager"])
    assessment = _fresh(chain)
    moment = dt.datetime(2026, 12, 3, 9, 15)  # 10:15 in Amsterdam
    assert assessment_steps.submit(chain["manager"], assessment, now=moment) == []
    OutboxMessage.delete().execute()
    assert cycles.confirm_submission(_fresh(chain), journey.LINK) == 2
    for mail in _mails():
        assert mail.subject == "Zelfevaluatie 2026-Q4 van JGZ Test is ingediend"
        assert "Beste " in mail.body_text.splitlines()[0]
        text = f"door {chain['manager'].name} op 3 december 2026 10:15"
        assert text in mail.body_text
        assert text in mail.body_html


def test_review_rows_beside_the_previous_cycle(chain):
    agreements = chain["agreements"]
    _save(chain, journey.complete_form(agreements, score=3), user=chain["manager"])
    assert assessment_steps.submit(chain["manager"], _fresh(chain)) == []
    later = journey.next_cycle(chain, "2027-Q1", TODAY)
    later_agreements = assessment_agreements.applicable_agreements(later)
    assert assessment_steps.copy_previous(chain["manager"], later) > 0
    first, second = later_agreements[0], later_agreements[1]
    later = Assessment.get_by_id(later.id)
    form = assessment_form.stored_values(later)
    form[f"a{first.id}-score"] = "4"
    parsed = assessment_form.parse_form(form, later_agreements, TODAY)
    assessment_saving.save_answers(chain["manager"], later, later.version, parsed)
    themes, previous = review.review(Assessment.get_by_id(later.id))
    assert previous.cycle.period == "2026-Q4"
    assert [t.number for t in themes] == list(range(1, len(themes) + 1))
    rows = {r.agreement.id: r for t in themes for r in t.rows}
    assert len(rows) == len(later_agreements)
    assert rows[first.id].changed
    assert rows[first.id].previous.score == 3
    assert rows[first.id].answer.score == 4
    assert not rows[second.id].changed
    # Copied and not confirmed yet: it blocks submitting, and says so.
    assert "overgenomen uit de vorige ronde en nog niet bevestigd" in rows[second.id].lacks
    assert themes[0].changed == 1
    bilateral = next(r for r in rows.values() if r.agreement.partners)
    assert bilateral.ratings
    assert all(name for name, _ in bilateral.ratings)
