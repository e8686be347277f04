"""Portal pages of taking part in an event: every page × every role (the data each role must not
see is there and asserted absent), the forms' effects on the database, the status board with
its export and nudges, and query counts of the list pages."""

import csv
import io

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Notification
from events.enums import EventStatus, RegistrationStatus
from events.models import Event, EventListing, ExhibitionArea, Registration, Session
from matchmaking.models import PreDockingRun, SuggestionStatus
from tests.events.builders import conference, make_event
from tests.events.test_participation_services import board_world, enter, event_data
from tests.factories import RequirementFactory, field
from tests.matchmaking.builders import make_suggestion
from tests.pages import html, login

ROLES = ["anonymous", "ent_a", "ent_b", "university", "bureau", "broker", "investor"]


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def url(name: str, event=None, **kwargs) -> str:
    if event is not None:
        kwargs["slug"] = event.slug
    return reverse(f"events:{name}", kwargs=kwargs)


def page_messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# --- the list and the programme ------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_event_list_shows_drafts_to_bureau_staff_only(client, world, role):
    conf = conference(world)
    draft = make_event(world, slug="draft-2026", status=EventStatus.DRAFT, name_en="Secret draft event")
    login(client, world, role)

    response = client.get(url("event-list"))

    assert response.status_code == 200
    shown = {event.slug for event in response.context["events"]}
    assert shown == ({conf.event.slug, draft.slug} if role == "bureau" else {conf.event.slug})
    assert ("Secret draft event" in html(response)) == (role == "bureau")
    assert ("New event" in html(response)) == (role == "bureau")


@pytest.mark.parametrize("n", [1, 3])
def test_event_list_queries_do_not_grow(client, world, django_assert_max_num_queries, n):
    for i in range(n):
        make_event(world, slug=f"event-{i}")
    login(client, world, "ent_a")

    with django_assert_max_num_queries(8):
        response = client.get(url("event-list"))

    assert len(response.context["events"]) == n


@pytest.mark.parametrize("role", ROLES)
def test_event_detail_offers_each_role_its_own_things(client, world, role):
    conf = conference(world)
    login(client, world, role)

    response = client.get(url("event-detail", conf.event))

    assert response.status_code == 200
    page = html(response)
    assert "New energy" in page and "Achievement roadshow" in page  # the public programme
    assert (url("status-board", conf.event) in page) == (role == "bureau")
    assert ("张经理" in page) == (role == "bureau")  # registrations' contacts: bureau staff only
    assert (url("candidates", conf.event) in page) == (role in ("ent_a", "university"))
    mine = [row["organisation"] for row in response.context.get("my_organisations") or []]
    expected = {"ent_a": [world.ent_a], "ent_b": [world.ent_b], "university": [world.uni], "broker": [world.agency],
                "investor": [world.investor_org]}.get(role, [])
    assert mine == expected


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_is_a_404_to_everyone_but_bureau_staff(client, world, role):
    draft = make_event(world, slug="draft-2026", status=EventStatus.DRAFT)
    login(client, world, role)

    pages = [client.get(url(name, draft)) for name in ("event-detail", "candidates", "status-board")]

    if role == "bureau":
        assert [p.status_code for p in pages] == [200, 200, 200]
    elif role == "anonymous":
        assert pages[0].status_code == 404 and all(is_login_redirect(p) for p in pages[1:])
    else:
        assert [p.status_code for p in pages] == [404, 404, 404]


# --- the bureau's programme pages ----------------------------------------------------------------

def _form(data: dict) -> dict:
    out = {"meeting_minutes": 30, "max_meetings_per_party": 8, "max_meetings_per_broker": 16}
    for key, value in data.items():
        out[key] = value.strftime("%Y-%m-%dT%H:%M") if hasattr(value, "hour") else value
    return out


@pytest.mark.parametrize("role", ROLES)
def test_only_bureau_staff_create_events(client, world, role):
    login(client, world, role)

    response = client.post(url("event-create"), _form(event_data(series="")))

    if role == "bureau":
        event = Event.objects.get(slug="dalian-2026")
        assert response.status_code == 302 and response["Location"] == url("event-detail", event)
        assert event.status == EventStatus.DRAFT
    else:
        assert is_login_redirect(response) if role == "anonymous" else response.status_code == 403
        assert not Event.objects.exists()


def test_an_event_form_shows_the_services_message_on_its_field(client, world):
    login(client, world, "bureau")

    response = client.post(url("event-create"), _form(event_data(series="", venue="", online="")))

    assert response.status_code == 400
    assert response.context["form"].errors["venue"] == ["Give a venue, or hold the event online."]
    assert not Event.objects.exists()


def test_bureau_staff_publish_and_edit_areas_and_sessions(client, world):
    draft = make_event(world, slug="draft-2026", status=EventStatus.DRAFT)
    login(client, world, "bureau")

    client.post(url("event-status", draft), {"action": "publish"})
    client.post(url("area-create", draft), {"code": "ai", "name_zh": "人工智能", "name_en": "AI", "hall": "B",
                                            "order": 1, "field_ids": [field("ai").pk]})
    day = f"{draft.starts_on.isoformat()}T10:00"
    response = client.post(url("session-create", draft), {
        "kind": "forum", "title_zh": "论坛", "title_en": "Forum", "starts_at": day,
        "ends_at": f"{draft.starts_on.isoformat()}T11:00", "room": "A"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == EventStatus.PUBLISHED
    area = ExhibitionArea.objects.get(event=draft)
    assert [f.code for f in area.fields.all()] == ["ai"]
    assert Session.objects.get(event=draft).title_en == "Forum"


@pytest.mark.parametrize("role", ["ent_a", "university", "broker"])
def test_programme_pages_are_forbidden_to_others(client, world, role):
    conf = conference(world)
    login(client, world, role)

    responses = [client.get(url("event-edit", conf.event)), client.get(url("area-create", conf.event)),
                 client.post(url("event-status", conf.event), {"action": "close"}),
                 client.get(url("session-edit", conf.event, pk=conf.session.pk))]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert Event.objects.get(pk=conf.event.pk).status == EventStatus.PUBLISHED


# --- registration --------------------------------------------------------------------------------

REGISTRABLE = {"ent_b": "ent_b", "broker": "agency", "investor": "investor_org"}


@pytest.mark.parametrize("role", ROLES)
def test_registration_page_per_role(client, world, role):
    conf = conference(world)
    login(client, world, role)

    response = client.get(url("registration-create", conf.event))

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in ("ent_a", "university"):  # already registered
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        offered = {pk for pk, _label in response.context["form"].fields["organisation"].choices}
        if role == "bureau":
            assert {world.ent_b.pk, world.agency.pk, world.investor_org.pk} <= offered
            assert not offered & {world.ent_a.pk, world.uni.pk, world.pending_org.pk, world.bureau_org.pk}
        else:
            assert offered == {getattr(world, REGISTRABLE[role]).pk}


def test_an_enterprise_registers_through_the_page(client, world):
    conf = conference(world)
    login(client, world, "ent_b")

    response = client.post(url("registration-create", conf.event), {
        "organisation": world.ent_b.pk, "delegates": 2, "contact_name": "李工", "contact_phone": "139"})
    forged = client.post(url("registration-create", conf.event), {"organisation": world.pending_org.pk,
                                                                  "delegates": 1})

    assert response.status_code == 302
    registration = Registration.objects.get(event=conf.event, organisation=world.ent_b)
    assert (registration.delegates, registration.contact_name, registration.registered_by) == (
        2, "李工", world.ent_b_member)
    assert forged.status_code == 403  # ent_b is registered now: nothing left to register
    assert not Registration.objects.filter(organisation=world.pending_org).exists()


@pytest.mark.parametrize("role", ROLES)
def test_a_registration_is_managed_by_its_organisation_and_bureau_staff(client, world, role):
    conf = conference(world)
    login(client, world, role)

    response = client.get(url("registration-edit", conf.event, pk=conf.reg_ent_a.pk))

    if role == "anonymous":
        assert is_login_redirect(response)
    elif role in ("ent_a", "bureau"):
        assert response.status_code == 200 and "张经理" in html(response)
    else:
        assert response.status_code == 404 and "张经理" not in html(response)


def test_availability_is_saved_and_a_withdrawal_needs_a_reason(client, world):
    conf = conference(world)
    login(client, world, "ent_a")

    saved = client.post(url("registration-edit", conf.event, pk=conf.reg_ent_a.pk), {
        "delegates": 3, "contact_name": "王", "unavailable_slots": [conf.slots[1].pk]})
    blank = client.post(url("registration-withdraw", conf.event, pk=conf.reg_ent_a.pk), {"reason": ""})
    done = client.post(url("registration-withdraw", conf.event, pk=conf.reg_ent_a.pk), {"reason": "出差"})

    assert saved.status_code == 302 and blank.status_code == 400 and done.status_code == 302
    conf.reg_ent_a.refresh_from_db()
    assert conf.reg_ent_a.delegates == 3
    assert list(conf.reg_ent_a.unavailable_slots.values_list("pk", flat=True)) == [conf.slots[1].pk]
    assert (conf.reg_ent_a.status, conf.reg_ent_a.withdraw_reason) == (RegistrationStatus.WITHDRAWN, "出差")


# --- entering listings ---------------------------------------------------------------------------

def test_a_party_enters_its_own_listings_and_withdraws_one(client, world):
    conf = conference(world)
    login(client, world, "ent_a")

    page = client.get(url("listing-enter", conf.event))
    offered = {value for value, _label in page.context["form"].fields["listings"].choices}
    response = client.post(url("listing-enter", conf.event), {"listings": [f"requirement:{world.req_members.pk}"]})
    withdrawn = client.post(url("listing-withdraw", conf.event, kind="requirement", pk=world.req_public.pk))

    # live listings of its own not yet entered; never the draft, never another organisation's
    assert offered == {f"requirement:{world.req_members.pk}", f"requirement:{world.req_restricted.pk}"}
    assert response.status_code == 302 and withdrawn.status_code == 302
    assert set(EventListing.objects.filter(event=conf.event, requirement__isnull=False).values_list(
        "requirement_id", flat=True)) == {world.req_members.pk}


def test_others_cannot_withdraw_an_entry_nor_enter_what_is_not_theirs(client, world):
    conf = conference(world)
    login(client, world, "ent_b")

    withdraw = client.post(url("listing-withdraw", conf.event, kind="requirement", pk=world.req_public.pk))
    forged = client.post(url("listing-enter", conf.event), {"listings": [f"requirement:{world.req_members.pk}"]})

    assert withdraw.status_code == 404 and forged.status_code == 400
    assert set(EventListing.objects.filter(event=conf.event).values_list("requirement_id", flat=True)) == {
        world.req_public.pk, None}


@pytest.mark.parametrize("role", ["ent_a", "university", "broker"])
def test_bulk_entry_and_predocking_are_for_bureau_staff(client, world, role):
    conf = conference(world)
    login(client, world, role)

    responses = [client.post(url("listing-bulk-enter", conf.event), {"requirement_ids": str(world.req_members.pk)}),
                 client.post(url("event-predocking", conf.event))]

    assert [r.status_code for r in responses] == [403, 403]
    assert not EventListing.objects.filter(requirement=world.req_members).exists()
    assert PreDockingRun.objects.filter(scope_key=conf.event.scope_key).count() == 1  # the builder's


def test_bulk_entry_page_reports_the_refused_listings(client, world):
    conf = conference(world)
    login(client, world, "bureau")

    response = client.post(url("listing-bulk-enter", conf.event), {
        "requirement_ids": f"{world.req_members.pk}, {world.req_draft.pk}", "achievement_ids": ""})

    assert response.status_code == 200
    assert response.context["report"] == {"entered": 1, "already": 0, "refused": [
        ("requirement", world.req_draft.pk, "Only published listings can be entered (this one is Draft).")]}
    assert f'data-refused-row="requirement-{world.req_draft.pk}"' in html(response)
    assert EventListing.objects.filter(event=conf.event, requirement=world.req_members).exists()


def test_bureau_staff_start_the_predocking_from_the_page(client, world, django_capture_on_commit_callbacks):
    conf = conference(world)
    login(client, world, "bureau")

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url("event-predocking", conf.event))

    conf.event.refresh_from_db()
    assert response.status_code == 302
    assert conf.event.run.requirement_ids == [world.req_public.pk]
    assert page_messages(response) == [f"Pre-docking run {conf.event.run.pk} was queued for the event's listings."]


# --- candidates, the status board and nudges -----------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_candidates_page_shows_each_party_its_own_pairs(client, world, role):
    conf = conference(world)
    req_b = RequirementFactory(organisation=world.ent_b, title="乙企业的秘密需求")
    unsent = make_suggestion(conf.event.run, world.req_members, world.ach_public, status=SuggestionStatus.SUGGESTED)
    enter(conf, conf.reg_ent_a, world.req_members)
    login(client, world, role)

    response = client.get(url("candidates", conf.event))

    if role == "anonymous":
        assert is_login_redirect(response)
        return
    assert response.status_code == 200
    page = html(response)
    pair_url = reverse("matchmaking:pair-detail", kwargs={"pk": conf.pair.pk})
    assert (pair_url in page) == (role in ("ent_a", "university"))
    assert reverse("matchmaking:pair-detail", kwargs={"pk": unsent.pk}) not in page
    assert req_b.title not in page


@pytest.mark.parametrize("role", ROLES)
def test_status_board_is_for_bureau_staff(client, world, role):
    conf = conference(world)
    login(client, world, role)

    response = client.get(url("status-board", conf.event))

    if role == "bureau":
        assert response.status_code == 200
        assert [row.requirement for row in response.context["rows"]] == [world.req_public]
    elif role == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == 403 and world.req_public.title not in html(response)


def test_status_board_shows_states_filters_and_exports(client, world):
    conf = conference(world)
    built = board_world(world, conf)
    login(client, world, "bureau")

    page = client.get(url("status-board", conf.event))
    viewed = client.get(url("status-board", conf.event), {"state": "viewed"})
    export = client.get(url("status-board", conf.event), {"format": "csv"})
    workbook = client.get(url("status-board", conf.event), {"format": "xlsx"})

    assert {t["state"]: t["count"] for t in page.context["totals"]} == {
        "no_candidates": 1, "suggested": 1, "viewed": 1, "both_interested": 1, "meeting_booked": 2}
    assert f'data-requirement="{built["reqs"]["viewed"].pk}" data-state="viewed"' in html(page)
    assert [row.requirement.pk for row in viewed.context["rows"]] == [built["reqs"]["viewed"].pk]
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert export["Content-Type"].startswith("text/csv")
    assert workbook["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert workbook.content.startswith(b"PK")
    assert {row["ID"]: row["State"] for row in rows} == {
        str(built["reqs"]["no_candidates"].pk): "No candidates", str(built["reqs"]["suggested"].pk): "Suggested",
        str(built["reqs"]["viewed"].pk): "Viewed", str(world.req_public.pk): "Both interested",
        str(built["reqs"]["meeting_booked"].pk): "Meeting booked",
        str(built["reqs"]["meeting_confirmed"].pk): "Meeting booked"}


@pytest.mark.parametrize("n", [1, 3])
def test_status_board_page_queries_do_not_grow(client, world, django_assert_max_num_queries, n):
    conf = conference(world)
    for i in range(n - 1):
        enter(conf, conf.reg_ent_a, RequirementFactory(organisation=world.ent_a, title=f"需求 {i}"))
    login(client, world, "bureau")

    with django_assert_max_num_queries(9):
        response = client.get(url("status-board", conf.event))

    assert len(response.context["rows"]) == n


def test_nudge_button_reminds_and_says_how_many(client, world):
    conf = conference(world)
    req2 = RequirementFactory(organisation=world.ent_a)
    enter(conf, conf.reg_ent_a, req2)
    make_suggestion(conf.event.run, req2, world.ach_public, status=SuggestionStatus.SENT)
    login(client, world, "bureau")

    first = client.post(url("event-nudge", conf.event), {"state": "suggested"}, follow=True)
    second = client.post(url("event-nudge", conf.event), {"state": "suggested"}, follow=True)

    assert [str(m) for m in first.context["messages"]] == ["2 organisations were reminded."]
    assert [str(m) for m in second.context["messages"]] == [
        "0 organisations were reminded. 2 were left out: they were reminded less than a day ago."]
    assert Notification.objects.filter(kind="event_nudge").count() == 3


@pytest.mark.parametrize("role", ["ent_a", "university", "broker"])
def test_nudges_are_for_bureau_staff(client, world, role):
    conf = conference(world)
    login(client, world, role)

    response = client.post(url("event-nudge", conf.event), {"state": "suggested"})

    assert response.status_code == 403
    assert not Notification.objects.filter(kind="event_nudge").exists()


def test_the_main_navigation_links_the_conferences(client, world):
    response = client.get(reverse("portal:home"))

    assert f'href="{url("event-list")}"' in html(response)
