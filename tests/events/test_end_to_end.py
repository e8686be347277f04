"""A docking conference end to end, as its users go through it: bureau staff set the event up,
an enterprise and a university register and enter their listings, the event's pre-docking runs
with the real embedding model, the broker approves, both parties answer, the planner schedules
the negotiation, bureau staff publish the plan and check the delegations in at the desk, the
broker records the outcome and the agreement from the phone page, and the report counts it.
(The test does not wait for the conference day: outcomes are recorded straight after planning,
and the agreement is dated today, since a signing date may not lie in the future.)

Each actor uses the portal where a page exists for the step (so the step's permission checks
and forms are part of the test); the setup goes through the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from events import planning, predocking, services
from events.enums import PlanStatus, SessionKind
from events.models import EventListing, Registration, ScheduledMeeting
from events.reports import event_report
from events.selectors import event_suggestions
from matchmaking import lifecycle
from matchmaking.models import Agreement, MeetingStatus, PairEvent, Side, SuggestionStatus
from tests.factories import field

pytestmark = pytest.mark.model


def _post(client, user, name: str, kwargs: dict, data: dict, expect=(302,)):
    client.force_login(user)
    response = client.post(reverse(name, kwargs=kwargs), data)
    assert response.status_code in expect, (name, response.status_code, response.content[:2000])
    return response


def test_a_conference_from_registration_to_the_report(world, client, settings, tmp_path,
                                                       django_capture_on_commit_callbacks):
    settings.VAR_DIR = tmp_path
    now = timezone.now()
    day = (now + timedelta(days=3)).date()
    # --- bureau staff set the event up -------------------------------------------------------
    event = services.event_create(actor=world.bureau, data={
        "slug": "e2e-2026", "name_zh": "端到端对接会", "name_en": "End-to-end conference", "starts_on": day,
        "ends_on": day, "venue": "沈阳新世界博览馆", "registration_opens_at": now - timedelta(hours=1),
        "registration_closes_at": now + timedelta(days=1), "predocking_opens_at": now - timedelta(minutes=30),
        "predocking_closes_at": now + timedelta(days=2)})
    event = services.event_publish(actor=world.bureau, event=event)
    area = services.area_create(actor=world.bureau, event=event, fields=[field("energy-storage")],
                                data={"code": "energy", "name_zh": "新能源展区", "name_en": "New energy"})
    planning.tables_set(actor=world.bureau, area=area, count=2)
    start = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=1)
    services.session_create(actor=world.bureau, event=event, data={
        "kind": SessionKind.NEGOTIATION, "area": area, "title_zh": "新能源洽谈", "title_en": "New energy talks",
        "room": "A馆", "starts_at": start, "ends_at": start + timedelta(hours=1)})

    # --- the parties register and enter their listings (portal) -----------------------------
    _post(client, world.ent_a_admin, "events:registration-create", {"slug": event.slug},
          {"organisation": world.ent_a.pk, "delegates": 1, "contact_name": "张经理"})
    _post(client, world.uni_member, "events:registration-create", {"slug": event.slug},
          {"organisation": world.uni.pk, "delegates": 2})
    assert set(Registration.objects.filter(event=event).values_list("organisation_id", flat=True)) == {
        world.ent_a.pk, world.uni.pk}
    predocking.listing_enter(actor=world.ent_a_admin, event=event, listing=world.req_public)
    predocking.listing_enter(actor=world.uni_member, event=event, listing=world.ach_public)
    assert EventListing.objects.filter(event=event, area=area).count() == 2

    # --- pre-docking with the real model (bureau staff start it from the event page) ---------
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, world.bureau, "events:event-predocking", {"slug": event.slug}, {})
    event.refresh_from_db()
    assert event.run is not None and event.run.scope_key == event.scope_key
    event.run.refresh_from_db()
    assert event.run.status == "succeeded", event.run.error
    pair = event_suggestions(event=event).get(requirement=world.req_public, achievement=world.ach_public)

    # --- the broker approves, both parties answer ------------------------------------------
    if pair.broker_id is None:
        pair.broker = world.broker
        pair.save(update_fields=["broker"])
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.suggestion_approve(actor=world.broker, suggestion=pair, note="建议现场洽谈")
    pair.refresh_from_db()
    assert pair.status == SuggestionStatus.SENT
    client.force_login(world.ent_a_member)
    assert client.get(reverse("events:candidates", kwargs={"slug": event.slug})).status_code == 200
    lifecycle.suggestion_answer(actor=world.ent_a_member, suggestion=pair, side=Side.REQUIREMENT, interested=True)
    lifecycle.suggestion_answer(actor=world.uni_member, suggestion=pair, side=Side.ACHIEVEMENT, interested=True)
    pair.refresh_from_db()
    assert pair.status == SuggestionStatus.MUTUAL

    # --- bureau staff plan and publish the negotiations (portal) ----------------------------
    _post(client, world.bureau, "events:plan-run", {"slug": event.slug}, {})
    row = ScheduledMeeting.objects.get(event=event, suggestion=pair)
    assert row.status == PlanStatus.PLANNED and row.slot.session.area_id == area.pk
    _post(client, world.bureau, "events:plan-publish", {"slug": event.slug}, {})
    row.refresh_from_db()
    pair.refresh_from_db()
    assert row.status == PlanStatus.CONFIRMED and row.meeting.status == MeetingStatus.CONFIRMED
    assert pair.status == SuggestionStatus.MEETING
    client.force_login(world.ent_a_member)
    agenda = client.get(reverse("events:agenda", kwargs={"slug": event.slug}))
    assert row.table.label in agenda.content.decode()

    # --- the day: check-in at the desk and at the table, outcome and agreement -------------
    reg_ent = Registration.objects.get(event=event, organisation=world.ent_a)
    _post(client, world.bureau, "events:checkin-registration", {"slug": event.slug, "pk": reg_ent.pk}, {})
    for side in (Side.REQUIREMENT, Side.ACHIEVEMENT):
        _post(client, world.broker, "events:checkin-meeting", {"slug": event.slug, "pk": row.pk}, {"side": side})
    _post(client, world.broker, "events:meeting-outcome", {"slug": event.slug, "pk": row.pk},
          {"held": "yes", "outcome": "双方同意签署技术开发合同"})
    row.refresh_from_db()
    reg_ent.refresh_from_db()
    assert reg_ent.checked_in_at is not None
    assert row.requirement_checked_in_at and row.achievement_checked_in_at
    assert row.meeting.status == MeetingStatus.HELD
    _post(client, world.broker, "matchmaking:pair-agreement", {"pk": pair.pk},
          {"contract_type": "development", "amount": "120.50", "signed_on": timezone.localdate().isoformat(),
           "meeting": row.meeting.pk})
    pair.refresh_from_db()
    assert pair.status == SuggestionStatus.SIGNED
    agreement = Agreement.objects.get(suggestion=pair)
    assert agreement.amount == Decimal("120.50") and agreement.broker == world.broker
    actions = list(PairEvent.objects.filter(suggestion=pair).order_by("seq").values_list("action", flat=True))
    assert actions[-7:] == ["approved", "sent", "interested", "mutual", "meeting_confirmed", "met", "signed"]

    # --- the report counts it ----------------------------------------------------------------
    report = event_report(event=event)
    assert (report["registrations"]["active"], report["registrations"]["checked_in"]) == (2, 1)
    assert report["meetings"]["confirmed"] == 1 and report["meetings"]["held"] == 1
    assert report["agreements"]["count"] == 1 and report["agreements"]["amount"] == Decimal("120.50")
    client.force_login(world.bureau)
    page = client.get(reverse("events:report", kwargs={"slug": event.slug}))
    assert page.status_code == 200 and "120.5" in page.content.decode()
