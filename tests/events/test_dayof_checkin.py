"""Check-in and outcomes on the day of the event (issue 5, item 5): the desk (bureau staff:
search, one POST per organisation, counts, idempotent, withdrawn refused), a side's arrival at a
negotiation's table (bureau staff or the pair's broker; confirmed negotiations only), and the
broker's phone page with the outcome of each negotiation recorded on the pair."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.errors import ApplicationError, PermissionDenied
from events import dayof
from events.enums import EventStatus, PlanStatus, RegistrationStatus
from events.models import Registration, ScheduledMeeting
from matchmaking.models import Meeting, MeetingStatus, PairEvent, Suggestion, SuggestionStatus
from tests.events.test_dayof import conference_day, enter_pair, schedule
from tests.factories import OrganisationFactory, RequirementFactory


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def desk_url(day) -> str:
    return reverse("events:checkin", kwargs={"slug": day.conf.event.slug})


def reg_url(day, registration) -> str:
    return reverse("events:checkin-registration", kwargs={"slug": day.conf.event.slug, "pk": registration.pk})


def table_url(day, scheduled) -> str:
    return reverse("events:checkin-meeting", kwargs={"slug": day.conf.event.slug, "pk": scheduled.pk})


def outcome_url(day, scheduled) -> str:
    return reverse("events:meeting-outcome", kwargs={"slug": day.conf.event.slug, "pk": scheduled.pk})


def meetings_url(conf_day, on: str = "") -> str:
    url = reverse("events:my-meetings", kwargs={"slug": conf_day.conf.event.slug})
    return f"{url}?day={on}" if on else url


def checked_in(registration) -> tuple:
    return tuple(Registration.objects.filter(pk=registration.pk).values_list("checked_in_at", "checked_in_by")[0])


def table_state(scheduled) -> tuple:
    return tuple(ScheduledMeeting.objects.filter(pk=scheduled.pk).values_list(
        "requirement_checked_in_at", "achievement_checked_in_at", "status")[0])


# --- the desk --------------------------------------------------------------------------------------

def test_desk_lists_registrations_with_counts(client, world):
    day = conference_day(world)
    Registration.objects.filter(pk=day.conf.reg_uni.pk).update(checked_in_at=timezone.now(),
                                                               checked_in_by=world.bureau)
    client.force_login(world.bureau)

    response = client.get(desk_url(day))

    assert response.status_code == 200
    body = response.content.decode()
    assert set(re.findall(r'data-registration="(\d+)"', body)) == {
        str(day.conf.reg_ent_a.pk), str(day.conf.reg_uni.pk), str(day.reg_ent_b.pk)}
    assert re.search(r'<strong data-checked-in>1</strong> of <strong data-registered>3</strong>', body)
    assert body.count('data-action="check-in"') == 2  # the university is already in


def test_desk_search_by_organisation_name_in_either_language(client, world):
    day = conference_day(world)
    client.force_login(world.bureau)

    by_zh = client.get(desk_url(day), {"q": "乙企"}).content.decode()
    by_en = client.get(desk_url(day), {"q": "test univ"}).content.decode()

    assert re.findall(r'data-registration="(\d+)"', by_zh) == [str(day.reg_ent_b.pk)]
    assert re.findall(r'data-registration="(\d+)"', by_en) == [str(day.conf.reg_uni.pk)]


@pytest.mark.parametrize("who", ["ent_a_member", "broker", "investor", "expert"])
def test_desk_is_for_bureau_staff_only(client, world, who):
    day = conference_day(world)
    client.force_login(getattr(world, who))

    response = client.get(desk_url(day))

    assert response.status_code == 403
    assert "data-registration" not in response.content.decode()


def test_desk_anonymous_is_sent_to_sign_in(client, world):
    day = conference_day(world)

    response = client.get(desk_url(day))

    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_check_in_registration_then_again_is_idempotent(client, world):
    day = conference_day(world)
    client.force_login(world.bureau)

    first = client.post(reg_url(day, day.conf.reg_ent_a), {"q": "甲"})
    stamp = checked_in(day.conf.reg_ent_a)
    second = client.post(reg_url(day, day.conf.reg_ent_a), follow=True)

    assert first.status_code == 302 and first["Location"] == desk_url(day) + "?q=%E7%94%B2"
    assert stamp[0] is not None and stamp[1] == world.bureau.pk
    assert checked_in(day.conf.reg_ent_a) == stamp  # the first time is kept
    assert "was already checked in" in second.content.decode()
    counts = dayof.checkin_counts(event=day.conf.event)
    assert counts == {"registered": 3, "checked_in": 1}


def test_check_in_withdrawn_registration_is_refused_with_a_message(client, world):
    day = conference_day(world)
    Registration.objects.filter(pk=day.reg_ent_b.pk).update(status=RegistrationStatus.WITHDRAWN,
                                                            withdrawn_at=timezone.now())
    client.force_login(world.bureau)

    response = client.post(reg_url(day, day.reg_ent_b))

    assert response.status_code == 409
    assert "withdrew from this event" in response.content.decode()
    assert checked_in(day.reg_ent_b) == (None, None)
    assert dayof.checkin_counts(event=day.conf.event) == {"registered": 2, "checked_in": 0}


def test_check_in_by_a_member_of_the_organisation_is_forbidden(client, world):
    day = conference_day(world)
    client.force_login(world.ent_a_admin)

    own = client.post(reg_url(day, day.conf.reg_ent_a))
    other = client.post(reg_url(day, day.conf.reg_uni))

    assert own.status_code == 403  # they see their own registration, may not check it in
    assert other.status_code == 404  # another organisation's is none of their business
    assert checked_in(day.conf.reg_ent_a) == (None, None) and checked_in(day.conf.reg_uni) == (None, None)


def test_check_in_registration_of_another_event_is_404(client, world):
    day = conference_day(world)
    from tests.events.builders import make_event

    other_event = make_event(world, slug="dalian-2026")
    other = Registration.objects.create(event=other_event, organisation=world.ent_b)
    client.force_login(world.bureau)

    response = client.post(reverse("events:checkin-registration", kwargs={"slug": day.conf.event.slug,
                                                                          "pk": other.pk}))

    assert response.status_code == 404 and checked_in(other) == (None, None)


def test_check_in_is_refused_for_a_cancelled_event(world):
    day = conference_day(world)
    day.conf.event.status = EventStatus.CANCELLED
    day.conf.event.save(update_fields=["status"])

    with pytest.raises(ApplicationError) as refused:
        dayof.registration_check_in(actor=world.bureau, registration=day.conf.reg_ent_a)

    assert refused.value.code == "event_not_running"
    assert checked_in(day.conf.reg_ent_a) == (None, None)


def test_check_in_desk_is_get_only_and_check_in_post_only(client, world):
    day = conference_day(world)
    client.force_login(world.bureau)

    assert client.post(desk_url(day)).status_code == 405
    assert client.get(reg_url(day, day.conf.reg_ent_a)).status_code == 405
    assert checked_in(day.conf.reg_ent_a) == (None, None)


def test_desk_query_count_is_constant(client, world):
    day = conference_day(world)
    client.force_login(world.bureau)
    client.get(desk_url(day))
    Registration.objects.filter(pk=day.reg_ent_b.pk).delete()
    Registration.objects.filter(pk=day.conf.reg_uni.pk).update(checked_in_at=timezone.now(),
                                                               checked_in_by=world.bureau)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(desk_url(day))
        return len(ctx.captured_queries)

    two = count()
    for i in range(2):
        org = OrganisationFactory(name_zh=f"丙企业{i}")
        Registration.objects.create(event=day.conf.event, organisation=org, checked_in_at=timezone.now(),
                                    checked_in_by=world.bureau)
    four = count()

    assert two == four


# --- at the table ----------------------------------------------------------------------------------

def test_pair_broker_checks_a_side_in_idempotently(client, world):
    day = conference_day(world)
    client.force_login(world.broker)

    response = client.post(table_url(day, day.own), {"side": "requirement"})
    first = table_state(day.own)
    again = client.post(table_url(day, day.own), {"side": "requirement"})

    assert response.status_code == 302 and response["Location"].endswith(f"#meeting-{day.own.pk}")
    assert first[0] is not None and first[1] is None
    assert again.status_code == 302 and table_state(day.own) == first


def test_bureau_checks_the_university_in(client, world):
    day = conference_day(world)
    client.force_login(world.bureau)

    client.post(table_url(day, day.other_org), {"side": "achievement"})

    state = table_state(day.other_org)
    assert state[0] is None and state[1] is not None


def test_other_broker_cannot_check_in_a_negotiation_they_do_not_follow(client, world):
    day = conference_day(world)
    client.force_login(world.other_broker)

    response = client.post(table_url(day, day.own), {"side": "requirement"})

    assert response.status_code == 403
    assert table_state(day.own) == (None, None, PlanStatus.CONFIRMED)


def test_party_cannot_check_itself_in_at_the_table(client, world):
    day = conference_day(world)
    client.force_login(world.ent_a_member)

    own = client.post(table_url(day, day.own), {"side": "requirement"})
    other = client.post(table_url(day, day.other_org), {"side": "requirement"})

    assert own.status_code == 403 and other.status_code == 404
    assert table_state(day.own)[:2] == (None, None) and table_state(day.other_org)[:2] == (None, None)


def test_planned_negotiation_cannot_be_checked_in(client, world):
    day = conference_day(world)

    client.force_login(world.bureau)
    by_bureau = client.post(table_url(day, day.planned), {"side": "requirement"})
    client.force_login(world.broker)
    by_broker = client.post(table_url(day, day.planned), {"side": "requirement"})

    assert by_bureau.status_code == 409
    assert "Only a confirmed negotiation" in by_bureau.content.decode()
    assert by_broker.status_code == 404  # a draft of the plan: the broker does not see it
    assert table_state(day.planned) == (None, None, PlanStatus.PLANNED)


def test_check_in_with_an_unknown_side_is_refused(client, world):
    day = conference_day(world)
    client.force_login(world.broker)

    response = client.post(table_url(day, day.own), {"side": "checked_in_at"})

    assert response.status_code == 400
    assert table_state(day.own)[:2] == (None, None)


def test_meeting_check_in_service_refuses_other_broker(world):
    day = conference_day(world)

    with pytest.raises(PermissionDenied):
        dayof.meeting_check_in(actor=world.other_broker, scheduled=day.own, side="achievement")

    assert table_state(day.own)[:2] == (None, None)


# --- the broker's phone page -----------------------------------------------------------------------

def test_my_meetings_shows_the_brokers_confirmed_negotiations_of_the_day(client, world):
    day = conference_day(world)
    client.force_login(world.broker)

    response = client.get(meetings_url(day))

    assert response.status_code == 200
    body = response.content.decode()
    assert re.findall(r'id="meeting-(\d+)"', body) == [str(day.own.pk)]  # not B's, not the draft
    assert world.ent_a.display_name in body and world.uni.display_name in body
    assert f">{dayof.event_local(day.conf.slots[0].starts_at):%H:%M}</time>" in body
    assert 'data-action="check-in-requirement"' in body and 'data-action="check-in-achievement"' in body
    assert 'data-action="record-outcome"' in body
    assert 'name="viewport"' in body


def test_my_meetings_for_bureau_lists_every_confirmed_negotiation(client, world):
    day = conference_day(world)
    client.force_login(world.bureau)

    body = client.get(meetings_url(day)).content.decode()

    assert set(re.findall(r'id="meeting-(\d+)"', body)) == {str(day.own.pk), str(day.other_org.pk)}


def test_my_meetings_of_another_day_is_empty(client, world):
    day = conference_day(world)
    client.force_login(world.broker)
    second = day.conf.event.ends_on

    body = client.get(meetings_url(day, second.isoformat())).content.decode()

    assert "data-empty" in body and "id=\"meeting-" not in body
    assert f'href="?day={second.isoformat()}" aria-current="page"' in body


def test_my_meetings_ignores_a_day_outside_the_event(client, world):
    day = conference_day(world)
    client.force_login(world.broker)

    body = client.get(meetings_url(day, "1999-01-01")).content.decode()

    assert re.findall(r'id="meeting-(\d+)"', body) == [str(day.own.pk)]


@pytest.mark.parametrize("who", ["ent_a_member", "uni_member", "investor", "expert"])
def test_my_meetings_is_for_brokers_and_bureau(client, world, who):
    day = conference_day(world)
    client.force_login(getattr(world, who))

    response = client.get(meetings_url(day))

    assert response.status_code == 403 and "meeting-" not in response.content.decode()


def test_my_meetings_query_count_is_constant(client, world):
    day = conference_day(world)
    client.force_login(world.broker)
    client.get(meetings_url(day))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(meetings_url(day))
        return len(ctx.captured_queries)

    one = count()
    for i in range(2):
        pair = enter_pair(world, day.conf, RequirementFactory(organisation=world.ent_a), day.conf.reg_ent_a,
                          broker=world.broker)
        schedule(world, day.conf, pair, slot=2 + i, table=0)
    three = count()

    assert len(dayof.negotiations_for_day(user=world.broker, event=day.conf.event,
                                          day=day.conf.event.starts_on)) == 3
    assert one == three


# --- outcomes --------------------------------------------------------------------------------------

def test_broker_records_held_negotiation_and_the_pair_has_met(client, world):
    day = conference_day(world)
    client.force_login(world.broker)

    response = client.post(outcome_url(day, day.own), {"held": "yes", "outcome": "双方同意签订技术开发合同"})

    assert response.status_code == 302
    meeting = Meeting.objects.get(pk=day.own.meeting_id)
    assert meeting.status == MeetingStatus.HELD and meeting.outcome == "双方同意签订技术开发合同"
    assert meeting.closed_by == world.broker
    assert Suggestion.objects.get(pk=day.conf.pair.pk).status == SuggestionStatus.MET
    event = PairEvent.objects.get(suggestion=day.conf.pair, action="met")
    assert (event.from_status, event.to_status, event.actor_id) == (SuggestionStatus.MEETING, SuggestionStatus.MET,
                                                                     world.broker.pk)
    page = client.get(response["Location"]).content.decode()
    agreement = reverse("matchmaking:pair-detail", kwargs={"pk": day.conf.pair.pk}) + "#agreement"
    assert f'href="{agreement}"' in page
    assert 'data-outcome="held"' in page and 'data-action="record-outcome"' not in page


def test_broker_records_a_negotiation_that_did_not_take_place(client, world):
    day = conference_day(world)
    client.force_login(world.broker)

    client.post(outcome_url(day, day.own), {"held": "no", "outcome": "企业未到场"})

    assert Meeting.objects.get(pk=day.own.meeting_id).status == MeetingStatus.MISSED
    assert Suggestion.objects.get(pk=day.conf.pair.pk).status == SuggestionStatus.MUTUAL
    assert PairEvent.objects.filter(suggestion=day.conf.pair, action="meeting_missed").count() == 1


def test_outcome_twice_is_refused_and_changes_nothing(client, world):
    day = conference_day(world)
    client.force_login(world.broker)
    client.post(outcome_url(day, day.own), {"held": "yes", "outcome": "谈妥"})

    again = client.post(outcome_url(day, day.own), {"held": "no", "outcome": "改口"})

    assert again.status_code == 409
    assert Meeting.objects.get(pk=day.own.meeting_id).outcome == "谈妥"
    assert PairEvent.objects.filter(suggestion=day.conf.pair, action__in=["met", "meeting_missed"]).count() == 1


def test_outcome_without_an_answer_is_a_form_error(client, world):
    day = conference_day(world)
    client.force_login(world.broker)

    response = client.post(outcome_url(day, day.own), {"outcome": "?"})

    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert Meeting.objects.get(pk=day.own.meeting_id).status == MeetingStatus.CONFIRMED


@pytest.mark.parametrize("who,status", [("other_broker", 403), ("ent_a_member", 403), ("uni_member", 403),
                                        ("investor", 404), ("expert", 404)])
def test_outcome_by_anyone_but_the_broker_or_bureau_is_refused(client, world, who, status):
    day = conference_day(world)
    client.force_login(getattr(world, who))

    response = client.post(outcome_url(day, day.own), {"held": "yes", "outcome": "x"})

    assert response.status_code == status
    assert Meeting.objects.get(pk=day.own.meeting_id).status == MeetingStatus.CONFIRMED
    assert Suggestion.objects.get(pk=day.conf.pair.pk).status == SuggestionStatus.MEETING
    assert not PairEvent.objects.filter(suggestion=day.conf.pair).exists()


def test_outcome_of_a_planned_negotiation_is_refused(client, world):
    day = conference_day(world)
    client.force_login(world.bureau)

    response = client.post(outcome_url(day, day.planned), {"held": "yes", "outcome": "x"})

    assert response.status_code == 409
    assert "Only a confirmed negotiation takes place" in response.content.decode()
    assert ScheduledMeeting.objects.get(pk=day.planned.pk).meeting_id is None
    client.force_login(world.broker)
    assert client.post(outcome_url(day, day.planned), {"held": "yes"}).status_code == 404  # a draft: unseen


def test_outcome_anonymous_is_sent_to_sign_in(client, world):
    day = conference_day(world)

    response = client.post(outcome_url(day, day.own), {"held": "yes"})

    assert response.status_code == 302
    assert Meeting.objects.get(pk=day.own.meeting_id).status == MeetingStatus.CONFIRMED


def test_agenda_shows_check_in_and_outcome_to_the_party(client, world):
    day = conference_day(world)
    dayof.meeting_check_in(actor=world.broker, scheduled=day.own, side="requirement")
    client.force_login(world.ent_a_member)

    before = client.get(reverse("events:agenda", kwargs={"slug": day.conf.event.slug})).content.decode()
    dayof.scheduled_record_outcome(actor=world.broker, scheduled=ScheduledMeeting.objects.get(pk=day.own.pk),
                                   held=True, outcome="会谈顺利")
    after = client.get(reverse("events:agenda", kwargs={"slug": day.conf.event.slug})).content.decode()

    assert "at the table" in before and "not yet arrived" in before
    assert 'data-outcome="held"' in after and "会谈顺利" in after


def test_negotiations_for_day_bounds_are_the_venues_day(world):
    day = conference_day(world)
    # 23:30 at the venue on the first day is 15:30 UTC; 00:30 on the next day is 16:30 UTC the same UTC day.
    first = day.conf.event.starts_on
    start, _ = dayof.event_day_bounds(first)
    late = ScheduledMeeting.objects.get(pk=day.own.pk)
    late.slot.starts_at = start + timedelta(hours=23, minutes=30)
    late.slot.ends_at = late.slot.starts_at + timedelta(minutes=30)
    late.slot.save(update_fields=["starts_at", "ends_at"])

    on_first = dayof.negotiations_for_day(user=world.broker, event=day.conf.event, day=first)
    on_second = dayof.negotiations_for_day(user=world.broker, event=day.conf.event, day=first + timedelta(days=1))

    assert [s.pk for s in on_first] == [day.own.pk] and on_second == []
