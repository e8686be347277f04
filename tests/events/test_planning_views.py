"""The negotiation plan's pages and API endpoints: bureau staff only (everyone else 403, or 404
for a draft, with nothing changed and nothing shown), the grid with clashes and unscheduled
pairs, runs inline and in the background, manual edits refused with every clash (409), and
the plan page's query count."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from events import planning
from events.enums import EventStatus, PlanStatus, SessionKind
from events.models import ScheduledMeeting, Session, Slot, Table
from matchmaking.models import Meeting, MeetingStatus, SuggestionStatus
from tests.events.builders import conference
from tests.events.test_planning import active_rows, add_pair, cells, snapshot
from tests.pages import html

OUTSIDERS = ["ent_a", "ent_b", "university", "broker", "other_broker", "investor", "expert", "pending"]


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def conf(world):
    return conference(world, slots=4, tables=3)


@pytest.fixture
def planned(world, conf):
    """The conference's pair and two more, planned."""
    pairs = [conf.pair, add_pair(conf, university=world.uni), add_pair(conf, enterprise=world.ent_b)]
    planning.plan_run(actor=world.bureau, event=conf.event)
    return pairs


def portal_requests(conf, row):
    slug = conf.event.slug
    return [
        ("get", reverse("events:plan", args=[slug]), {}),
        ("get", reverse("events:setup", args=[slug]), {}),
        ("get", reverse("events:scheduled-move", args=[slug, row.pk]), {}),
        ("post", reverse("events:plan-run", args=[slug]), {}),
        ("post", reverse("events:plan-publish", args=[slug]), {}),
        ("post", reverse("events:setup", args=[slug]), {"action": "tables", "area": conf.area.pk, "count": 9}),
        ("post", reverse("events:scheduled-create", args=[slug]),
         {"suggestion": row.suggestion_id, "slot": conf.slots[3].pk, "table": conf.tables[2].pk}),
        ("post", reverse("events:scheduled-move", args=[slug, row.pk]),
         {"slot": conf.slots[3].pk, "table": conf.tables[2].pk, "reason": "x"}),
        ("post", reverse("events:scheduled-cancel", args=[slug, row.pk]), {"reason": "x"}),
    ]


def api_requests(conf, row):
    base = f"/api/v1/events/{conf.event.slug}/plan/"
    return [
        ("get", base, {}),
        ("post", base + "run/", {}),
        ("post", base + "publish/", {}),
        ("post", base + "meetings/", {"suggestion": row.suggestion_id, "slot": conf.slots[3].pk,
                                      "table": conf.tables[2].pk}),
        ("post", base + f"meetings/{row.pk}/move/", {"slot": conf.slots[3].pk, "table": conf.tables[2].pk,
                                                      "reason": "x"}),
        ("post", base + f"meetings/{row.pk}/cancel/", {"reason": "x"}),
    ]


def state(conf) -> tuple:
    return (snapshot(ScheduledMeeting.objects.all()), Table.objects.filter(area=conf.area).count(),
            Meeting.objects.count())


# --- permissions -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", OUTSIDERS)
def test_portal_plan_pages_are_forbidden_to_everyone_but_bureau_staff(client, world, conf, planned, role):
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    before = state(conf)
    client.force_login(world.users()[role])

    for method, url, data in portal_requests(conf, row):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, url
        assert str(world.ent_b) not in html(response) and "A01" not in html(response)

    assert state(conf) == before


def test_portal_plan_pages_send_anonymous_users_to_sign_in(client, world, conf, planned):
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    before = state(conf)

    for method, url, data in portal_requests(conf, row):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"], url

    assert state(conf) == before


@pytest.mark.parametrize("role", OUTSIDERS)
def test_a_draft_events_plan_is_not_found_for_anyone_but_bureau_staff(client, world, conf, planned, role):
    conf.event.status = EventStatus.DRAFT
    conf.event.save(update_fields=["status"])
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    before = state(conf)
    client.force_login(world.users()[role])

    for method, url, data in portal_requests(conf, row):
        assert getattr(client, method)(url, data).status_code == 404, url
    for method, url, data in api_requests(conf, row):
        assert getattr(api(world.users()[role]), method)(url, data, format="json").status_code == 404, url

    assert state(conf) == before


@pytest.mark.parametrize("role", ["anonymous", *OUTSIDERS])
def test_plan_api_is_forbidden_to_everyone_but_bureau_staff(world, conf, planned, role):
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    before = state(conf)
    client = api(world.users()[role])

    for method, url, data in api_requests(conf, row):
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == 403, url
        assert str(world.ent_b) not in response.content.decode()

    assert state(conf) == before


def test_a_negotiation_of_another_event_is_not_found(client, world, conf, planned):
    other = conference(world, slug="dalian-2026")
    planning.plan_run(actor=world.bureau, event=other.event)
    foreign = ScheduledMeeting.objects.get(event=other.event)
    client.force_login(world.bureau)

    assert client.get(reverse("events:scheduled-move", args=[conf.event.slug, foreign.pk])).status_code == 404
    response = api(world.bureau).post(f"/api/v1/events/{conf.event.slug}/plan/meetings/{foreign.pk}/cancel/",
                                      {"reason": "x"}, format="json")
    assert response.status_code == 404
    assert ScheduledMeeting.objects.get(pk=foreign.pk).status == PlanStatus.PLANNED


# --- the plan page -----------------------------------------------------------------------------

def test_plan_page_shows_the_grid_the_report_and_no_clash(client, world, conf, planned):
    client.force_login(world.bureau)

    response = client.get(reverse("events:plan", args=[conf.event.slug]))

    page = html(response)
    assert response.status_code == 200
    for row in active_rows(conf.event):
        assert f'data-scheduled="{row.pk}" data-status="planned"' in page
    assert str(world.ent_b) in page and str(world.broker) in page
    assert "data-no-conflicts" in page and "data-report-scheduled" in page
    assert 'data-stat="planned">3<' in page


def test_plan_page_lists_clashes_and_unscheduled_pairs_with_reasons(client, world, conf, planned):
    a = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    other = next(r for r in active_rows(conf.event) if r.suggestion.achievement.organisation_id == world.uni.pk
                 and r.pk != a.pk)
    # Put enterprise A's negotiation at the same time as the university's other one, then make
    # the university unable to take two at once: a clash the bureau has to see.
    if a.slot_id != other.slot_id:
        used = set(ScheduledMeeting.objects.filter(slot=other.slot).values_list("table_id", flat=True))
        free_table = next(t for t in conf.tables if t.pk not in used)
        ScheduledMeeting.objects.filter(pk=a.pk).update(slot=other.slot, table=free_table)
    conf.reg_uni.delegates = 1
    conf.reg_uni.save(update_fields=["delegates"])
    conf.reg_ent_a.unavailable_slots.set(conf.slots)
    extra = add_pair(conf, enterprise=world.ent_a)
    client.force_login(world.bureau)

    page = html(client.get(reverse("events:plan", args=[conf.event.slug])))

    assert "data-conflicts" in page and "plan-clash" in page
    assert f"{world.uni}" in page.split("data-conflicts")[1].split("</ul>")[0]
    assert f'data-unscheduled="{extra.pk}" data-code="no_common_slot"' in page


def test_plan_page_shows_planning_while_a_background_run_works(client, world, conf):
    cache.set(planning.planning_key(conf.event.pk), {"since": "now"}, 60)
    client.force_login(world.bureau)

    page = html(client.get(reverse("events:plan", args=[conf.event.slug])))
    part = html(client.get(reverse("events:plan", args=[conf.event.slug]), {"part": "status"}))

    assert "data-planning" in page and 'data-action="plan-run" disabled' in page
    assert "data-planning" in part and "<html" not in part


def test_large_events_are_planned_in_the_background(client, world, conf, monkeypatch,
                                                    django_capture_on_commit_callbacks):
    monkeypatch.setattr(planning, "INLINE_MAX_PAIRS", 0)
    client.force_login(world.bureau)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("events:plan-run", args=[conf.event.slug]))

    assert response.status_code == 302 and len(callbacks) == 1
    assert cells(conf.event).keys() == {conf.pair.pk}  # the (eager) task planned it
    assert not planning.plan_is_running(event=conf.event)
    assert planning.plan_report_get(event=conf.event)["planned"] == 1


def test_large_plans_are_published_in_the_background(client, world, conf, planned, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    monkeypatch.setattr(planning, "INLINE_MAX_PAIRS", 0)
    client.force_login(world.bureau)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:plan-publish", args=[conf.event.slug]))
    page = html(client.get(reverse("events:plan", args=[conf.event.slug])))

    assert response.status_code == 302
    assert {r.status for r in active_rows(conf.event)} == {PlanStatus.CONFIRMED}
    assert not planning.plan_is_running(event=conf.event)
    assert 'data-publication="3"' in page


def test_small_events_are_planned_in_the_request(client, world, conf):
    client.force_login(world.bureau)

    response = client.post(reverse("events:plan-run", args=[conf.event.slug]), follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")

    assert cells(conf.event).keys() == {conf.pair.pk}
    assert "1 of 1 pairs scheduled" in html(response)


def test_publish_button_confirms_the_plan(client, world, conf, planned):
    client.force_login(world.bureau)

    client.post(reverse("events:plan-publish", args=[conf.event.slug]))

    assert {r.status for r in active_rows(conf.event)} == {PlanStatus.CONFIRMED}
    conf.pair.refresh_from_db()
    assert conf.pair.status == SuggestionStatus.MEETING


def test_a_move_into_a_clash_is_refused_on_the_page_with_the_conflict(client, world, conf, planned):
    rows = active_rows(conf.event)
    mover, taken = rows[0], rows[1]
    before = snapshot(rows)
    client.force_login(world.bureau)

    response = client.post(reverse("events:scheduled-move", args=[conf.event.slug, mover.pk]),
                           {"slot": taken.slot_id, "table": taken.table_id, "reason": ""})

    assert response.status_code == 409
    assert f"Table {taken.table.label} is already taken" in html(response) or taken.table.label in html(response)
    assert snapshot(active_rows(conf.event)) == before


def test_a_move_to_a_free_cell_on_the_page_moves_it(client, world, conf, planned):
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    taken = {(r.slot_id, r.table_id) for r in active_rows(conf.event)}
    slot, table = next((s, t) for s in conf.slots for t in conf.tables if (s.pk, t.pk) not in taken
                       and s.pk != row.slot_id)
    client.force_login(world.bureau)

    page = html(client.get(reverse("events:scheduled-move", args=[conf.event.slug, row.pk])))
    response = client.post(reverse("events:scheduled-move", args=[conf.event.slug, row.pk]),
                           {"slot": slot.pk, "table": table.pk, "reason": ""})

    assert 'data-form="move"' in page and 'data-form="cancel"' in page
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.slot_id, row.table_id) == (slot.pk, table.pk)


def test_a_pair_is_placed_by_hand_from_the_plan_page(client, world, conf, planned):
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    planning.scheduled_cancel(actor=world.bureau, scheduled=row, reason="")
    client.force_login(world.bureau)

    page = html(client.get(reverse("events:plan", args=[conf.event.slug])))
    response = client.post(reverse("events:scheduled-create", args=[conf.event.slug]) + "?area=energy",
                           {"suggestion": conf.pair.pk, "slot": row.slot_id, "table": row.table_id})

    assert f'data-unscheduled="{conf.pair.pk}" data-code="cancelled"' in page
    assert response.status_code == 302
    assert cells(conf.event)[conf.pair.pk] == (row.slot_id, row.table_id)


def test_cancel_on_the_page_needs_a_reason_for_a_confirmed_negotiation(client, world, conf, planned):
    planning.plan_publish(actor=world.bureau, event=conf.event)
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    client.force_login(world.bureau)
    url = reverse("events:scheduled-cancel", args=[conf.event.slug, row.pk])

    refused = client.post(url, {"reason": ""})
    done = client.post(url, {"reason": "企业代表无法到场"})

    assert refused.status_code == 400 and done.status_code == 302
    row.refresh_from_db()
    assert row.status == PlanStatus.CANCELLED
    assert Meeting.objects.get(pk=row.meeting_id).status == MeetingStatus.CANCELLED


def test_setup_page_sets_tables_and_refuses_overlapping_sessions(client, world, conf):
    other = Session.objects.create(event=conf.event, area=conf.area, kind=SessionKind.NEGOTIATION,
                                   title_zh="加场洽谈", title_en="Extra", starts_at=conf.session.starts_at
                                   + timedelta(minutes=30), ends_at=conf.session.ends_at + timedelta(hours=1))
    client.force_login(world.bureau)
    url = reverse("events:setup", args=[conf.event.slug])

    page = html(client.get(url))
    tables = client.post(url, {"action": "tables", "area": conf.area.pk, "count": 5})
    slots = client.post(url, {"action": "slots", "session": other.pk})

    assert f'data-session="{conf.session.pk}"' in page
    assert tables.status_code == 302 and Table.objects.filter(area=conf.area, is_active=True).count() == 5
    assert slots.status_code == 409 and "加场洽谈" in html(slots) and "新能源洽谈" in html(slots)
    assert not Slot.objects.filter(session=other).exists()


def test_plan_page_query_count_does_not_grow_with_meetings(client, world, conf):
    client.force_login(world.bureau)
    url = reverse("events:plan", args=[conf.event.slug])

    def count() -> tuple[int, int]:
        planning.plan_run(actor=world.bureau, event=conf.event)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            assert response.status_code == 200
        return len(ctx.captured_queries), html(response).count("data-scheduled=")

    count()  # warm-up: per-process caches (content types, translations) fill on the first request
    one, rows_one = count()
    add_pair(conf, university=world.uni, broker=world.broker)
    add_pair(conf, enterprise=world.ent_b, broker=world.other_broker)
    three, rows_three = count()

    assert (rows_one, rows_three) == (1, 3)
    assert three == one


# --- the API -----------------------------------------------------------------------------------

def test_api_reads_the_plan_with_conflicts_and_unscheduled_pairs(world, conf, planned):
    extra = add_pair(conf, status=SuggestionStatus.MUTUAL, area=None)
    conf.area.fields.clear()

    response = api(world.bureau).get(f"/api/v1/events/{conf.event.slug}/plan/")

    body = response.json()
    assert response.status_code == 200 and body["planning"] is False
    assert {r["pair"] for r in body["rows"]} == {p.pk for p in planned}
    assert body["conflicts"] == []
    assert [(u["pair"], u["code"], u["area"]) for u in body["unscheduled"]] == [(extra.pk, "no_area", None)]
    assert body["report"]["scheduled"] == 3
    row = next(r for r in body["rows"] if r["pair"] == conf.pair.pk)
    assert row["enterprise"] == world.ent_a.display_name and row["area"] == "energy" and row["status"] == "planned"


def test_api_runs_publishes_moves_and_cancels(world, conf, planned):
    client = api(world.bureau)
    base = f"/api/v1/events/{conf.event.slug}/plan/"

    run = client.post(base + "run/")
    published = client.post(base + "publish/")
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    taken = {(r.slot_id, r.table_id) for r in active_rows(conf.event)}
    slot, table = next((s, t) for s in conf.slots for t in conf.tables
                       if (s.pk, t.pk) not in taken and s.pk != row.slot_id)
    no_reason = client.post(base + f"meetings/{row.pk}/move/", {"slot": slot.pk, "table": table.pk}, format="json")
    moved = client.post(base + f"meetings/{row.pk}/move/", {"slot": slot.pk, "table": table.pk, "reason": "调整"},
                        format="json")
    cancelled = client.post(base + f"meetings/{row.pk}/cancel/", {"reason": "无法到场"}, format="json")

    assert run.status_code == 200 and run.json()["scheduled"] == 3 and run.json()["moved"] == 0
    assert published.status_code == 200 and published.json() == {"published": 3, "refused": []}
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert moved.status_code == 200 and moved.json()["slot"]["id"] == slot.pk
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert Meeting.objects.get(pk=row.meeting_id).status == MeetingStatus.CANCELLED


def test_api_move_into_a_clash_is_a_409_with_every_conflict(world, conf, planned):
    rows = active_rows(conf.event)
    mover, taken = rows[0], rows[1]
    before = snapshot(rows)

    response = api(world.bureau).post(f"/api/v1/events/{conf.event.slug}/plan/meetings/{mover.pk}/move/",
                                      {"slot": taken.slot_id, "table": taken.table_id}, format="json")

    body = response.json()
    assert response.status_code == 409 and body["code"] == "conflict"
    assert "table_double_booked" in {c["code"] for c in body["conflicts"]}
    assert all(c["message"] and c["pair"] == mover.suggestion_id for c in body["conflicts"])
    assert snapshot(active_rows(conf.event)) == before


def test_api_places_a_pair_by_hand_and_refuses_a_foreign_slot(world, conf, planned):
    other = conference(world, slug="dalian-2026")
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    planning.scheduled_cancel(actor=world.bureau, scheduled=row, reason="")
    client = api(world.bureau)
    url = f"/api/v1/events/{conf.event.slug}/plan/meetings/"

    foreign = client.post(url, {"suggestion": conf.pair.pk, "slot": other.slots[0].pk, "table": row.table_id},
                          format="json")
    placed = client.post(url, {"suggestion": conf.pair.pk, "slot": row.slot_id, "table": row.table_id},
                         format="json")

    assert foreign.status_code == 400 and "slot" in foreign.json()
    assert placed.status_code == 201 and placed.json()["status"] == "planned"
    assert cells(conf.event)[conf.pair.pk] == (row.slot_id, row.table_id)
