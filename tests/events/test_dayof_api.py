"""The day of the event through the API: the agenda as JSON (times at the venue, +08:00) and as
an ICS file, check-in of registrations and of sides at a table, and negotiation outcomes; per
role, with the data that must stay hidden present, and the database state after each refusal."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from events.enums import PlanStatus, RegistrationStatus
from events.models import Registration, ScheduledMeeting
from matchmaking.models import Meeting, MeetingStatus, PairEvent, Suggestion, SuggestionStatus
from tests.events.test_dayof import (
    assert_folded_safely,
    conference_day,
    more_negotiations,
    parse_ics,
    register_investor,
)


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def url(name: str, day, **kwargs) -> str:
    return reverse(f"events-api:{name}", kwargs={"slug": day.conf.event.slug, **kwargs})


# --- the agenda ------------------------------------------------------------------------------------

def test_api_agenda_of_a_party(world):
    day = conference_day(world)

    response = client_for(world.ent_a_member).get(url("agenda", day))

    assert response.status_code == 200
    data = response.json()
    assert (data["event"], data["time_zone"]) == (day.conf.event.slug, "Asia/Shanghai")
    negotiations = [item for item in data["items"] if item["kind"] == "negotiation"]
    assert [item["scheduled_id"] for item in negotiations] == [day.own.pk]
    item = negotiations[0]
    assert item["starts_at"].endswith("+08:00") and item["starts_at"][11:16] == "09:00"
    assert item["counterpart"] == world.uni.name_en
    assert item["pair_id"] == day.conf.pair.pk
    assert item["pair_url"] == reverse("matchmaking:pair-detail", kwargs={"pk": day.conf.pair.pk})
    assert item["planned"] is False and item["outcome"] == ""
    assert {i["session_id"] for i in data["items"] if i["kind"] == "forum"} == {day.forum.pk}


def test_api_agenda_of_an_investor_and_of_someone_not_taking_part(world):
    day = conference_day(world)
    register_investor(world, day.conf, interest_in=day.entry)

    investor = client_for(world.investor).get(url("agenda", day)).json()["items"]
    expert = client_for(world.expert).get(url("agenda", day))

    assert sorted(i["kind"] for i in investor) == ["forum", "presentation", "roadshow"]
    presentation = next(i for i in investor if i["kind"] == "presentation")
    assert (presentation["position"], presentation["of"]) == (2, 2)
    assert expert.status_code == 200 and expert.json()["items"] == []


def test_api_agenda_of_bureau_marks_drafts(world):
    day = conference_day(world)

    items = client_for(world.bureau).get(url("agenda", day)).json()["items"]

    assert {i["scheduled_id"] for i in items if i["planned"]} == {day.planned.pk}


def test_api_agenda_anonymous_and_unknown_event(world):
    day = conference_day(world)

    anonymous = client_for(None).get(url("agenda", day))
    unknown = client_for(world.bureau).get(reverse("events-api:agenda", kwargs={"slug": "no-such-event"}))

    assert anonymous.status_code == 403 and "items" not in anonymous.json()
    assert unknown.status_code == 404


def test_api_agenda_query_count_is_constant(world):
    day = conference_day(world)
    client = client_for(world.ent_a_member)
    client.get(url("agenda", day))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("agenda", day)).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    more_negotiations(world, day.conf, 2)
    three = count()

    assert one == three


def test_api_agenda_ics(world):
    day = conference_day(world)

    response = client_for(world.broker).get(url("agenda-ics", day))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    text = response.content.decode()
    assert_folded_safely(text)
    _, events = parse_ics(text)
    assert f"scheduled-{day.own.pk}@techdock" in [e["UID"] for e in events]
    assert f"scheduled-{day.other_org.pk}@techdock" not in text


def test_api_agenda_ics_errors_are_json(world):
    day = conference_day(world)

    response = client_for(None).get(url("agenda-ics", day), HTTP_ACCEPT="text/calendar")

    assert response.status_code == 403 and response["Content-Type"] == "application/json"


# --- check-in --------------------------------------------------------------------------------------

def test_api_registration_check_in_is_idempotent(world):
    day = conference_day(world)
    client = client_for(world.bureau)

    first = client.post(url("checkin-registration", day, pk=day.conf.reg_uni.pk))
    second = client.post(url("checkin-registration", day, pk=day.conf.reg_uni.pk))

    assert first.status_code == second.status_code == 200
    assert first.json()["checked_in_at"] == second.json()["checked_in_at"]
    assert first.json()["checked_in_at"].endswith("+08:00")
    assert first.json()["organisation"] == world.uni.name_en
    reg = Registration.objects.get(pk=day.conf.reg_uni.pk)
    assert reg.checked_in_at is not None and reg.checked_in_by == world.bureau


def test_api_registration_check_in_refusals(world):
    day = conference_day(world)
    Registration.objects.filter(pk=day.reg_ent_b.pk).update(status=RegistrationStatus.WITHDRAWN)

    withdrawn = client_for(world.bureau).post(url("checkin-registration", day, pk=day.reg_ent_b.pk))
    own = client_for(world.ent_a_admin).post(url("checkin-registration", day, pk=day.conf.reg_ent_a.pk))
    other = client_for(world.ent_a_admin).post(url("checkin-registration", day, pk=day.conf.reg_uni.pk))
    broker = client_for(world.broker).post(url("checkin-registration", day, pk=day.conf.reg_uni.pk))

    assert withdrawn.status_code == 409 and withdrawn.json()["code"] == "withdrawn"
    assert own.status_code == 403 and other.status_code == 404 and broker.status_code == 404
    assert not Registration.objects.filter(event=day.conf.event, checked_in_at__isnull=False).exists()


def test_api_meeting_check_in_by_the_pairs_broker(world):
    day = conference_day(world)
    client = client_for(world.broker)

    response = client.post(url("checkin-meeting", day, pk=day.own.pk), {"side": "achievement"}, format="json")

    assert response.status_code == 200
    assert response.json()["achievement_checked_in_at"] is not None
    assert response.json()["requirement_checked_in_at"] is None
    assert ScheduledMeeting.objects.get(pk=day.own.pk).achievement_checked_in_at is not None


def test_api_meeting_check_in_refusals_leave_the_row_alone(world):
    day = conference_day(world)

    other_broker = client_for(world.other_broker).post(url("checkin-meeting", day, pk=day.own.pk),
                                                       {"side": "requirement"}, format="json")
    planned = client_for(world.bureau).post(url("checkin-meeting", day, pk=day.planned.pk),
                                            {"side": "requirement"}, format="json")
    smuggled = client_for(world.broker).post(url("checkin-meeting", day, pk=day.own.pk),
                                             {"side": "requirement", "status": "cancelled"}, format="json")
    bad_side = client_for(world.broker).post(url("checkin-meeting", day, pk=day.own.pk),
                                             {"side": "broker"}, format="json")
    party = client_for(world.ent_b_member).post(url("checkin-meeting", day, pk=day.own.pk),
                                                {"side": "requirement"}, format="json")

    assert other_broker.status_code == 403
    assert planned.status_code == 409 and planned.json()["code"] == "not_confirmed"
    assert smuggled.status_code == 400 and "status" in smuggled.json()
    assert bad_side.status_code == 400
    assert party.status_code == 404
    rows = ScheduledMeeting.objects.filter(pk__in=[day.own.pk, day.planned.pk])
    assert set(rows.values_list("requirement_checked_in_at", "achievement_checked_in_at")) == {(None, None)}
    assert ScheduledMeeting.objects.get(pk=day.own.pk).status == PlanStatus.CONFIRMED


# --- outcomes --------------------------------------------------------------------------------------

def test_api_outcome_held_makes_the_pair_met(world):
    day = conference_day(world)

    response = client_for(world.broker).post(url("meeting-outcome", day, pk=day.own.pk),
                                             {"held": True, "outcome": "达成意向"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"id": day.own.pk, "meeting_id": day.own.meeting_id, "meeting_status": "held",
                               "outcome": "达成意向", "pair_id": day.conf.pair.pk, "pair_status": "met"}
    assert Meeting.objects.get(pk=day.own.meeting_id).status == MeetingStatus.HELD
    assert Suggestion.objects.get(pk=day.conf.pair.pk).status == SuggestionStatus.MET
    assert PairEvent.objects.filter(suggestion=day.conf.pair, action="met", actor=world.broker).count() == 1


def test_api_outcome_refusals(world):
    day = conference_day(world)

    missing = client_for(world.broker).post(url("meeting-outcome", day, pk=day.own.pk), {"outcome": "x"},
                                            format="json")
    other = client_for(world.other_broker).post(url("meeting-outcome", day, pk=day.own.pk), {"held": True},
                                                format="json")
    party = client_for(world.uni_member).post(url("meeting-outcome", day, pk=day.own.pk), {"held": True},
                                              format="json")
    planned = client_for(world.bureau).post(url("meeting-outcome", day, pk=day.planned.pk), {"held": True},
                                            format="json")

    assert missing.status_code == 400 and "held" in missing.json()
    assert other.status_code == 403 and party.status_code == 403
    assert planned.status_code == 409
    assert Meeting.objects.get(pk=day.own.meeting_id).status == MeetingStatus.CONFIRMED
    assert not PairEvent.objects.filter(suggestion=day.conf.pair).exists()


@pytest.mark.parametrize("name", ["checkin-registration", "checkin-meeting", "meeting-outcome"])
def test_api_day_of_actions_need_sign_in(world, name):
    day = conference_day(world)
    pk = day.conf.reg_ent_a.pk if name == "checkin-registration" else day.own.pk

    response = client_for(None).post(url(name, day, pk=pk), {"side": "requirement", "held": True}, format="json")

    assert response.status_code == 403
    assert Registration.objects.get(pk=day.conf.reg_ent_a.pk).checked_in_at is None
    assert table_untouched(day.own)


def table_untouched(scheduled) -> bool:
    row = ScheduledMeeting.objects.select_related("meeting").get(pk=scheduled.pk)
    return (row.requirement_checked_in_at is None and row.achievement_checked_in_at is None
            and row.meeting.status == MeetingStatus.CONFIRMED)
