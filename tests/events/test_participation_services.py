"""Services of an event's programme and participation (``events.services``,
``events.predocking``): every refusal with its message and the database unchanged, registration
and withdrawal, entering listings one by one and in bulk, the pre-docking run and the nudges.

The helpers at the top are shared by the other tests/events/test_participation_* modules."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from accounts.models import Notification
from catalog.enums import ListingStatus
from common.errors import ApplicationError, PermissionDenied
from events import predocking, services
from events.enums import EventStatus, PlanStatus, RegistrationStatus, SessionKind
from events.models import Event, EventListing, ExhibitionArea, Registration, ScheduledMeeting, Session
from events.selectors import event_listing_ids
from matchmaking.models import PartyAnswer, PreDockingRun, RunTrigger, Side, SuggestionStatus
from tests.events.builders import conference, make_event
from tests.factories import AchievementFactory, RequirementFactory, field
from tests.matchmaking.builders import make_run, make_suggestion

S = SuggestionStatus


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the services' own language)."""
    with translation.override("en"):
        yield


# --- helpers shared with the view, API and board tests ------------------------------------------

def event_data(**overrides) -> dict:
    now = timezone.now()
    start = (now + timedelta(days=20)).date()
    data = {
        "slug": "dalian-2026", "name_zh": "2026大连成果对接会", "name_en": "Dalian Docking Conference 2026",
        "kind": "docking", "starts_on": start, "ends_on": start + timedelta(days=2), "venue": "大连世界博览广场",
        "online": True, "registration_opens_at": now, "registration_closes_at": now + timedelta(days=10),
        "predocking_opens_at": now + timedelta(days=1), "predocking_closes_at": now + timedelta(days=18),
    }
    return data | overrides


def enter(conf, registration, listing, *, by=None) -> EventListing:
    """An entry written straight to the database (the service is tested here, not assumed)."""
    kind = listing.KIND
    return EventListing.objects.create(event=conf.event, registration=registration, area=conf.area,
                                       entered_by=by, **{kind: listing})


def board_world(world, conf) -> dict:
    """One entered requirement in each status-board state (world.req_public is the conference's
    mutual pair: both interested), plus pairs that must not count."""
    make = RequirementFactory
    reqs = {state: make(organisation=world.ent_a, title=f"看板需求 {state}")
            for state in ("no_candidates", "suggested", "viewed", "meeting_booked", "meeting_confirmed")}
    ach2 = AchievementFactory(organisation=world.uni, title="看板成果 2")
    for req in reqs.values():
        enter(conf, conf.reg_ent_a, req)
    enter(conf, conf.reg_uni, ach2)
    run = conf.event.run
    outside = AchievementFactory(organisation=world.uni, title="未参会成果")  # not entered: never counted
    make_suggestion(run, reqs["no_candidates"], ach2, status=S.REJECTED)
    make_suggestion(run, reqs["no_candidates"], outside, status=S.MUTUAL)
    make_suggestion(run, reqs["suggested"], conf.pair.achievement, status=S.SUGGESTED)
    make_suggestion(run, reqs["suggested"], ach2, status=S.SENT, sent_at=timezone.now())
    make_suggestion(make_run(world), reqs["suggested"], ach2, status=S.SUPERSEDED, requirement_viewed_at=timezone.now())
    make_suggestion(run, reqs["viewed"], ach2, status=S.SENT, requirement_viewed_at=timezone.now())
    booked = make_suggestion(run, reqs["meeting_booked"], ach2, status=S.MUTUAL)
    ScheduledMeeting.objects.create(event=conf.event, suggestion=booked, slot=conf.slots[0], table=conf.tables[0])
    confirmed = make_suggestion(run, reqs["meeting_confirmed"], ach2, status=S.MEETING)
    from matchmaking.models import Meeting, MeetingMode, MeetingStatus

    Meeting.objects.create(suggestion=confirmed, mode=MeetingMode.ONLINE, starts_at=timezone.now() + timedelta(days=1),
                           status=MeetingStatus.CONFIRMED)
    return {"reqs": reqs, "ach2": ach2, "outside": outside, "booked": booked, "confirmed": confirmed}


def refusal(error_info) -> str:
    error = error_info.value
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error.message)


# --- events --------------------------------------------------------------------------------------

def test_event_create_makes_a_draft_of_the_actors_bureau(world):
    event = services.event_create(actor=world.bureau, data=event_data())

    event.refresh_from_db()
    assert (event.status, event.organiser, event.created_by) == (EventStatus.DRAFT, world.bureau_org, world.bureau)
    assert event.name_en == "Dalian Docking Conference 2026"


def test_event_create_refuses_anyone_but_bureau_staff(world):
    with pytest.raises(PermissionDenied) as error:
        services.event_create(actor=world.ent_a_admin, data=event_data())

    assert refusal(error) == "Only bureau staff can manage conferences."
    assert not Event.objects.exists()


@pytest.mark.parametrize("overrides, field_name, message", [
    ({"ends_on": timezone.now().date()}, "ends_on", "The last day cannot be before the first day."),
    ({"registration_closes_at": timezone.now() - timedelta(days=1)}, "registration_closes_at",
     "Registration must close after it opens."),
    ({"predocking_closes_at": timezone.now()}, "predocking_closes_at", "Pre-docking must close after it opens."),
    ({"predocking_opens_at": timezone.now() - timedelta(days=1)}, "predocking_opens_at",
     "Pre-docking cannot open before registration: there would be no listings to match."),
    ({"registration_closes_at": timezone.now() + timedelta(days=40)}, "registration_closes_at",
     "Registration must close by the end of the last day."),
    ({"venue": "", "online": False}, "venue", "Give a venue, or hold the event online."),
    ({"slug": "new"}, "slug", "“new” is reserved; choose another short name."),
    ({"meeting_minutes": 5}, "meeting_minutes", "A negotiation lasts between 10 and 240 minutes."),
])
def test_event_create_refuses_bad_dates_and_windows_by_field(world, overrides, field_name, message):
    with pytest.raises(ValidationError) as error:
        services.event_create(actor=world.bureau, data=event_data(**overrides))

    assert error.value.message_dict[field_name] == [message]
    assert not Event.objects.exists()


def test_event_create_refuses_fields_it_does_not_own(world):
    with pytest.raises(ApplicationError) as error:
        services.event_create(actor=world.bureau, data=event_data(status="published"))

    assert refusal(error) == "These fields cannot be set: status"
    assert not Event.objects.exists()


def test_event_update_keeps_the_slug_of_a_published_event(world):
    conf = conference(world)

    with pytest.raises(ValidationError) as error:
        services.event_update(actor=world.bureau, event=conf.event, data={"slug": "renamed", "venue": "新馆"})

    assert "slug" in error.value.message_dict
    conf.event.refresh_from_db()
    assert (conf.event.slug, conf.event.venue) == ("shenyang-2026", "沈阳新世界博览馆")
    services.event_update(actor=world.bureau, event=conf.event, data={"venue": "新馆"})
    conf.event.refresh_from_db()
    assert conf.event.venue == "新馆"


def test_status_transitions_and_their_refusals(world):
    event = services.event_create(actor=world.bureau, data=event_data())

    with pytest.raises(ApplicationError) as error:
        services.event_close(actor=world.bureau, event=event)
    assert (refusal(error), error.value.status) == ("Only a published event can be closed (this event is Draft).",
                                                    409)
    services.event_publish(actor=world.bureau, event=event)
    with pytest.raises(ApplicationError) as error:
        services.event_publish(actor=world.bureau, event=event)
    assert refusal(error) == "Only a draft can be published (this event is Published)."
    services.event_close(actor=world.bureau, event=event)
    event.refresh_from_db()
    assert event.status == EventStatus.CLOSED
    with pytest.raises(ApplicationError) as error:
        services.event_update(actor=world.bureau, event=event, data={"venue": "x"})
    assert refusal(error) == "This event is Closed: it can no longer be changed."


def test_cancel_needs_a_reason_and_tells_the_registered_organisations(world):
    conf = conference(world)
    Registration.objects.create(event=conf.event, organisation=world.ent_b, status=RegistrationStatus.WITHDRAWN)

    with pytest.raises(ValidationError):
        services.event_cancel(actor=world.bureau, event=conf.event, reason="  ")
    assert Event.objects.get(pk=conf.event.pk).status == EventStatus.PUBLISHED

    services.event_cancel(actor=world.bureau, event=conf.event, reason="场馆检修")

    assert Event.objects.get(pk=conf.event.pk).status == EventStatus.CANCELLED
    notified = set(Notification.objects.filter(kind="event_cancelled").values_list("user__email", flat=True))
    assert notified == {"admin@ent-a.cn", "staff@ent-a.cn", "prof@uni.edu.cn"}
    assert "场馆检修" in Notification.objects.filter(kind="event_cancelled").first().body


# --- areas and sessions --------------------------------------------------------------------------

def test_area_codes_are_unique_per_event_and_fields_are_set(world):
    conf = conference(world)

    area = services.area_create(actor=world.bureau, event=conf.event, fields=[field("ai")],
                                data={"code": "ai", "name_zh": "人工智能展区", "name_en": "AI", "hall": "B馆"})
    with pytest.raises(ValidationError) as error:
        services.area_create(actor=world.bureau, event=conf.event, data={"code": "energy", "name_zh": "重复",
                                                                       "name_en": "Dup"})

    assert error.value.message_dict["code"] == ["Another area of this event already has the code “energy”."]
    assert [f.code for f in area.fields.all()] == ["ai"]
    assert sorted(ExhibitionArea.objects.filter(event=conf.event).values_list("code", flat=True)) == ["ai", "energy"]
    with pytest.raises(PermissionDenied):
        services.area_update(actor=world.broker, area=area, data={"hall": "C馆"})
    assert ExhibitionArea.objects.get(pk=area.pk).hall == "B馆"


def test_sessions_take_place_during_the_event_and_in_its_areas(world):
    conf = conference(world)
    other = make_event(world, slug="other")
    other_area = ExhibitionArea.objects.create(event=other, code="x", name_zh="外", name_en="Out")
    day = conf.session.starts_at
    forum = {"kind": SessionKind.FORUM, "title_zh": "论坛", "title_en": "Forum", "starts_at": day,
             "ends_at": day + timedelta(hours=1)}

    session = services.session_create(actor=world.bureau, event=conf.event, data=forum)
    refusals = {}
    for name, data in {
        "late": forum | {"starts_at": day + timedelta(days=5), "ends_at": day + timedelta(days=5, hours=1)},
        "backwards": forum | {"ends_at": day - timedelta(hours=1)},
        "no_area": forum | {"kind": SessionKind.NEGOTIATION},
        "other_area": forum | {"area": other_area},
    }.items():
        with pytest.raises(ValidationError) as error:
            services.session_create(actor=world.bureau, event=conf.event, data=data)
        refusals[name] = error.value.message_dict

    assert refusals == {
        "late": {"starts_at": [f"Sessions take place during the event ({conf.event.starts_on.isoformat()} to "
                               f"{conf.event.ends_on.isoformat()})."]},
        "backwards": {"ends_at": ["A session must end after it starts."]},
        "no_area": {"area": ["A negotiation session takes place in an exhibition area: choose one."]},
        "other_area": {"area": ["This area belongs to another event."]},
    }
    assert Session.objects.filter(event=conf.event, kind=SessionKind.FORUM).count() == 1
    with pytest.raises(ValidationError):
        services.session_update(actor=world.bureau, session=session, data={"kind": SessionKind.ROADSHOW})
    services.session_update(actor=world.bureau, session=session, data={"room": "二号厅"})
    assert Session.objects.get(pk=session.pk).room == "二号厅"


# --- registration --------------------------------------------------------------------------------

def test_an_enterprise_registers_itself_once(world):
    conf = conference(world)

    registration = services.registration_create(actor=world.ent_b_member, event=conf.event,
                                                organisation=world.ent_b, delegates=2, contact_name=" 李工 ")
    with pytest.raises(ApplicationError) as error:
        services.registration_create(actor=world.ent_b_member, event=conf.event, organisation=world.ent_b)

    assert (refusal(error), error.value.code, error.value.status) == (
        "Enterprise B is already registered for this event.", "already_registered", 409)
    registration.refresh_from_db()
    assert (registration.delegates, registration.contact_name, registration.registered_by) == (
        2, "李工", world.ent_b_member)
    assert Registration.objects.filter(event=conf.event, organisation=world.ent_b).count() == 1


@pytest.mark.parametrize("who, org, message, kind", [
    ("ent_a_member", "ent_b", "You can only register an organisation you act for.", PermissionDenied),
    ("pending_user", "pending_org", "You can only register an organisation you act for.", PermissionDenied),
    ("expert", "agency", "You can only register an organisation you act for.", PermissionDenied),
    ("bureau", "bureau_org", "A Science & technology bureau does not register for conferences.", ApplicationError),
    ("bureau", "pending_org", "Pending Co has not been approved yet: only approved organisations register.",
     ApplicationError),
])
def test_registration_refusals(world, who, org, message, kind):
    conf = conference(world)

    with pytest.raises(kind) as error:
        services.registration_create(actor=getattr(world, who), event=conf.event, organisation=getattr(world, org))

    assert refusal(error) == message
    assert not Registration.objects.filter(event=conf.event, organisation=getattr(world, org)).exists()


def test_registration_is_refused_outside_its_window_except_to_bureau_staff(world):
    conf = conference(world)
    Event.objects.filter(pk=conf.event.pk).update(registration_closes_at=timezone.now() - timedelta(hours=1))
    conf.event.refresh_from_db()

    with pytest.raises(ApplicationError) as error:
        services.registration_create(actor=world.ent_b_member, event=conf.event, organisation=world.ent_b)

    assert error.value.code == "registration_closed" and refusal(error).startswith("Registration is open from ")
    assert not Registration.objects.filter(organisation=world.ent_b).exists()
    services.registration_create(actor=world.bureau, event=conf.event, organisation=world.ent_b)
    assert Registration.objects.get(organisation=world.ent_b).registered_by == world.bureau


def test_a_withdrawn_registration_comes_back_on_the_same_row(world):
    conf = conference(world)
    services.registration_withdraw(actor=world.ent_a_member, registration=conf.reg_ent_a, reason="时间冲突")

    again = services.registration_create(actor=world.ent_a_admin, event=conf.event, organisation=world.ent_a,
                                         delegates=3)

    assert again.pk == conf.reg_ent_a.pk
    again.refresh_from_db()
    assert (again.status, again.withdrawn_at, again.withdraw_reason, again.delegates) == (
        RegistrationStatus.REGISTERED, None, "", 3)
    assert event_listing_ids(event=conf.event) == ([world.req_public.pk], [world.ach_public.pk])


def test_registration_update_checks_values_and_slots(world):
    conf = conference(world)
    other = conference(world, slug="other-2026")

    services.registration_update(actor=world.ent_a_member, registration=conf.reg_ent_a, data={"delegates": 2},
                                 unavailable_slot_ids=[conf.slots[0].pk, conf.slots[1].pk])
    with pytest.raises(ValidationError) as error:
        services.registration_update(actor=world.ent_a_member, registration=conf.reg_ent_a, data={"delegates": 4},
                                     unavailable_slot_ids=[other.slots[0].pk])
    assert error.value.message_dict == {"unavailable_slots": [
        "Some of these time slots are not part of this event's negotiation sessions."]}
    with pytest.raises(ValidationError) as error:
        services.registration_update(actor=world.ent_a_member, registration=conf.reg_ent_a, data={"delegates": 0})
    assert error.value.message_dict == {"delegates": ["Between 1 and 50 negotiations at the same time."]}
    with pytest.raises(PermissionDenied):
        services.registration_update(actor=world.ent_b_member, registration=conf.reg_ent_a, data={"delegates": 5})

    conf.reg_ent_a.refresh_from_db()
    assert conf.reg_ent_a.delegates == 2
    assert sorted(conf.reg_ent_a.unavailable_slots.values_list("pk", flat=True)) == [conf.slots[0].pk,
                                                                                     conf.slots[1].pk]


def test_withdrawing_takes_the_listings_out_and_tells_the_organiser(world):
    conf = conference(world)

    with pytest.raises(ValidationError):
        services.registration_withdraw(actor=world.ent_a_member, registration=conf.reg_ent_a, reason="")
    registration = services.registration_withdraw(actor=world.ent_a_member, registration=conf.reg_ent_a,
                                                  reason="领导出差")

    registration.refresh_from_db()
    assert (registration.status, registration.withdraw_reason) == (RegistrationStatus.WITHDRAWN, "领导出差")
    assert registration.withdrawn_at is not None
    assert event_listing_ids(event=conf.event) == ([], [world.ach_public.pk])
    assert list(Notification.objects.filter(kind="event_withdrawal").values_list("user", flat=True)) == [
        world.bureau.pk]
    with pytest.raises(ApplicationError) as error:
        services.registration_withdraw(actor=world.ent_a_member, registration=conf.reg_ent_a, reason="再次")
    assert error.value.code == "registration_withdrawn"


def test_withdrawing_cancels_the_scheduled_negotiations(world):
    pytest.importorskip("events.planning")
    conf = conference(world)
    planned = ScheduledMeeting.objects.create(event=conf.event, suggestion=conf.pair, slot=conf.slots[0],
                                              table=conf.tables[0])

    registration = services.registration_withdraw(actor=world.ent_a_member, registration=conf.reg_ent_a,
                                                  reason="领导出差")

    planned.refresh_from_db()
    assert planned.status == PlanStatus.CANCELLED
    assert registration.cancelled_meetings == 1


# --- entering listings ---------------------------------------------------------------------------

def test_a_registered_enterprise_enters_its_live_listing_once_in_the_right_area(world):
    conf = conference(world)
    req_b = RequirementFactory(organisation=world.ent_b, title="乙企业储能需求")
    services.registration_create(actor=world.ent_b_member, event=conf.event, organisation=world.ent_b)

    first = predocking.listing_enter(actor=world.ent_b_member, event=conf.event, listing=req_b)
    second = predocking.listing_enter(actor=world.ent_b_member, event=conf.event, listing=req_b)

    assert first.pk == second.pk and first.area == conf.area and first.entered_by == world.ent_b_member
    assert EventListing.objects.filter(event=conf.event, requirement=req_b).count() == 1


@pytest.mark.parametrize("case, message", [
    ("not_registered", "Register Enterprise B for the event before entering its listings."),
    ("draft", "Only published listings can be entered (this one is Draft)."),
    ("someone_elses", "You can only enter your own organisation's listings."),
    ("closed_window", "Listings are entered while registration is open."),
])
def test_listing_entry_refusals(world, case, message):
    conf = conference(world)
    actor, listing = world.ent_b_member, RequirementFactory(organisation=world.ent_b)
    if case != "not_registered":
        Registration.objects.create(event=conf.event, organisation=world.ent_b)
    if case == "draft":
        listing = RequirementFactory(organisation=world.ent_b, status=ListingStatus.DRAFT)
    if case == "someone_elses":
        listing = world.req_members
    if case == "closed_window":
        Event.objects.filter(pk=conf.event.pk).update(registration_closes_at=timezone.now() - timedelta(hours=1))
        conf.event.refresh_from_db()
    before = EventListing.objects.count()

    with pytest.raises((ApplicationError, PermissionDenied)) as error:
        predocking.listing_enter(actor=actor, event=conf.event, listing=listing)

    assert refusal(error) == message
    assert EventListing.objects.count() == before


def test_bureau_staff_enter_any_live_listing_registering_its_organisation(world):
    conf = conference(world)
    req_b = RequirementFactory(organisation=world.ent_b)
    Event.objects.filter(pk=conf.event.pk).update(registration_closes_at=timezone.now() - timedelta(hours=1))
    conf.event.refresh_from_db()

    entry = predocking.listing_enter(actor=world.bureau, event=conf.event, listing=req_b)

    registration = Registration.objects.get(event=conf.event, organisation=world.ent_b)
    assert (entry.registration, registration.registered_by, registration.status) == (
        registration, world.bureau, RegistrationStatus.REGISTERED)
    services.event_close(actor=world.bureau, event=conf.event)
    conf.event.refresh_from_db()
    with pytest.raises(ApplicationError) as error:
        predocking.listing_enter(actor=world.bureau, event=conf.event, listing=world.req_members)
    assert error.value.code == "event_closed"
    assert not EventListing.objects.filter(requirement=world.req_members).exists()


def test_bulk_entry_reports_every_listing_and_refuses_only_the_bad_ones(world):
    conf = conference(world)

    report = predocking.listings_bulk_enter(
        actor=world.bureau, event=conf.event,
        requirement_ids=[world.req_public.pk, world.req_members.pk, world.req_draft.pk, 999999],
        achievement_ids=[world.ach_screened.pk, world.ach_restricted.pk])

    assert report == {"entered": 2, "already": 1, "refused": [
        ("requirement", world.req_draft.pk, "Only published listings can be entered (this one is Draft)."),
        ("requirement", 999999, "No such listing."),
        ("achievement", world.ach_screened.pk, "Only published listings can be entered (this one is Screened)."),
    ]}
    assert event_listing_ids(event=conf.event) == (
        sorted([world.req_public.pk, world.req_members.pk]), sorted([world.ach_public.pk, world.ach_restricted.pk]))


def test_bulk_entry_by_field_takes_every_live_listing_of_the_field(world):
    conf = conference(world)
    ai = AchievementFactory(organisation=world.uni, fields=[field("ai")])
    energy = field("energy-storage")

    report = predocking.listings_bulk_enter(actor=world.bureau, event=conf.event, field_ids=[energy.pk])

    assert (report["entered"], report["already"], report["refused"]) == (3, 2, [])
    req_ids, ach_ids = event_listing_ids(event=conf.event)
    assert set(req_ids) == {world.req_public.pk, world.req_members.pk, world.req_restricted.pk}
    assert set(ach_ids) == {world.ach_public.pk, world.ach_restricted.pk} and ai.pk not in ach_ids
    with pytest.raises(PermissionDenied):
        predocking.listings_bulk_enter(actor=world.ent_a_admin, event=conf.event, requirement_ids=[world.req_draft.pk])


def test_withdrawing_a_listing_from_the_event(world):
    conf = conference(world)
    with pytest.raises(PermissionDenied):
        predocking.listing_withdraw_from_event(actor=world.ent_b_member, event=conf.event, listing=world.req_public)
    planned = ScheduledMeeting.objects.create(event=conf.event, suggestion=conf.pair, slot=conf.slots[0],
                                              table=conf.tables[0])
    with pytest.raises(ApplicationError) as error:
        predocking.listing_withdraw_from_event(actor=world.ent_a_member, event=conf.event, listing=world.req_public)
    assert error.value.code == "has_meetings"
    assert EventListing.objects.filter(requirement=world.req_public).exists()
    planned.status = PlanStatus.CANCELLED
    planned.save(update_fields=["status"])

    predocking.listing_withdraw_from_event(actor=world.uni_member, event=conf.event, listing=world.ach_public)

    assert event_listing_ids(event=conf.event) == ([world.req_public.pk], [])


# --- pre-docking ---------------------------------------------------------------------------------

def test_predocking_refuses_an_event_without_both_sides(world):
    event = make_event(world, slug="empty")

    with pytest.raises(ApplicationError) as error:
        predocking.event_predocking_start(actor=world.bureau, event=event)

    assert refusal(error) == "Pre-docking needs entered requirements and achievements (now 0 and 0)."
    assert not PreDockingRun.objects.filter(scope_key=event.scope_key).exists()
    event.refresh_from_db()
    assert event.run is None


def test_predocking_queues_a_run_scoped_to_the_entered_listings(world, django_capture_on_commit_callbacks):
    conf = conference(world)
    enter(conf, conf.reg_ent_a, world.req_members)
    with pytest.raises(PermissionDenied):
        predocking.event_predocking_start(actor=world.ent_a_admin, event=conf.event)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = predocking.event_predocking_start(actor=world.bureau, event=conf.event)

    conf.event.refresh_from_db()
    assert conf.event.run == run
    assert (run.scope_key, run.trigger, run.started_by, run.label) == (
        f"event:{conf.event.pk}", RunTrigger.EVENT, world.bureau, conf.event.name_zh)
    assert (run.requirement_ids, run.achievement_ids) == (sorted([world.req_public.pk, world.req_members.pk]),
                                                          [world.ach_public.pk])
    assert len(callbacks) >= 1  # the run is dispatched after commit


@pytest.mark.model
def test_predocking_runs_the_whole_pipeline_over_the_event(world, django_capture_on_commit_callbacks, settings,
                                                           tmp_path):
    settings.VAR_DIR = tmp_path
    conf = conference(world)

    with django_capture_on_commit_callbacks(execute=True):
        run = predocking.event_predocking_start(actor=world.bureau, event=conf.event)

    run.refresh_from_db()
    assert (run.status, run.error) == ("succeeded", "")
    assert run.counts["requirements"] == 1 and run.counts["achievements"] == 1
    assert set(run.suggestions.values_list("requirement_id", "achievement_id")) <= {
        (world.req_public.pk, world.ach_public.pk)}


# --- nudges --------------------------------------------------------------------------------------

def test_nudges_reach_the_silent_sides_once_a_day(world):
    conf = conference(world)
    req2 = RequirementFactory(organisation=world.ent_a, title="待答复需求")
    enter(conf, conf.reg_ent_a, req2)
    waiting = make_suggestion(conf.event.run, req2, world.ach_public, status=S.SENT, sent_at=timezone.now())
    world.ent_a_member.preferred_language = "en"
    world.ent_a_member.save(update_fields=["preferred_language"])

    counts = predocking.event_nudge(actor=world.bureau, event=conf.event, state="suggested")

    assert counts == {"organisations": 2, "users": 3, "skipped": 0}
    notes = Notification.objects.filter(kind="event_nudge")
    assert set(notes.values_list("user__email", flat=True)) == {"admin@ent-a.cn", "staff@ent-a.cn",
                                                                 "prof@uni.edu.cn"}
    assert set(notes.values_list("url", flat=True)) == {"/events/shenyang-2026/candidates/"}
    english = notes.get(user=world.ent_a_member)
    assert english.title == "Shenyang Technology Transfer Docking Conference 2026: partners are waiting for your answer"
    assert english.body.startswith("1 suggested partner for your listings at")

    again = predocking.event_nudge(actor=world.bureau, event=conf.event, state="suggested")
    assert again == {"organisations": 0, "users": 0, "skipped": 2}
    assert notes.count() == 3

    notes.update(created_at=timezone.now() - timedelta(hours=25))
    PartyAnswer.objects.create(suggestion=waiting, side=Side.ACHIEVEMENT, interested=True)
    later = predocking.event_nudge(actor=world.bureau, event=conf.event, state="suggested")
    assert later == {"organisations": 1, "users": 2, "skipped": 0}


def test_nudges_only_reach_rows_in_the_state_and_only_bureau_staff_send_them(world):
    conf = conference(world)
    built = board_world(world, conf)

    with pytest.raises(PermissionDenied):
        predocking.event_nudge(actor=world.broker, event=conf.event, state="viewed")
    with pytest.raises(ValidationError):
        predocking.event_nudge(actor=world.bureau, event=conf.event, state="meeting_booked")
    assert not Notification.objects.filter(kind="event_nudge").exists()

    counts = predocking.event_nudge(actor=world.bureau, event=conf.event, state="viewed")

    # only the "viewed" row's sent pair (reqs["viewed"] ↔ ach2): both sides are silent
    assert counts == {"organisations": 2, "users": 3, "skipped": 0}
    assert built["reqs"]["viewed"].organisation == world.ent_a


def test_a_negotiation_session_is_cut_into_slots(world):
    pytest.importorskip("events.planning")
    conf = conference(world)
    day = conf.session.ends_at + timedelta(hours=1)

    session = services.session_create(actor=world.bureau, event=conf.event, data={
        "kind": SessionKind.NEGOTIATION, "area": conf.area, "title_zh": "下午洽谈", "title_en": "Afternoon",
        "starts_at": day, "ends_at": day + timedelta(hours=1)})

    assert session.slots.count() == 2  # the event's 30-minute negotiations
