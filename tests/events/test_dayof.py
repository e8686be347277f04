"""The day of the event (issue 5, item 5): personal agendas per role (only confirmed
negotiations of one's own organisations or routed pairs; drafts of the plan for bureau staff
only, marked), times at the venue (China Standard Time), the print view, the ICS file (RFC 5545:
escaping, 75-octet folding that never splits a UTF-8 character, CRLF) and query counts.

The conference is written straight to the database (tests/events/builders.py); confirmed
negotiations too (``schedule`` below): a conference matchmaking.Meeting, the pair in "meeting"
and a confirmed ScheduledMeeting, as publishing the plan leaves them."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from events import dayof
from events.enums import EventStatus, InterestLevel, PlanStatus, RegistrationStatus, SessionKind
from events.models import (
    EventListing,
    InvestorInterest,
    Registration,
    RoadshowEntry,
    ScheduledMeeting,
    Session,
)
from matchmaking.models import Meeting, MeetingMode, MeetingStatus, Suggestion, SuggestionStatus
from tests.events.builders import Conference, conference
from tests.factories import AchievementFactory, OrganisationFactory, RequirementFactory
from tests.matchmaking.builders import make_suggestion

# --- helpers shared with test_dayof_api.py and test_dayof_checkin.py -------------------------------


def enter_pair(world, conf: Conference, requirement, registration, *, broker, achievement=None,
               status=SuggestionStatus.MUTUAL) -> Suggestion:
    """A requirement entered into the event and a pair of it with the university's achievement."""
    EventListing.objects.get_or_create(event=conf.event, requirement=requirement,
                                       defaults={"registration": registration, "area": conf.area})
    return make_suggestion(conf.event.run, requirement, achievement or world.ach_public, status=status, broker=broker)


def schedule(world, conf: Conference, pair: Suggestion, *, slot: int = 0, table: int = 0,
             status: str = PlanStatus.CONFIRMED) -> ScheduledMeeting:
    """A negotiation of the plan; confirmed ones carry a confirmed conference meeting on the pair,
    which is then "meeting scheduled" (what publishing the plan leaves behind)."""
    now = timezone.now()
    slot_row, table_row = conf.slots[slot], conf.tables[table]
    meeting = None
    if status == PlanStatus.CONFIRMED:
        meeting = Meeting.objects.create(
            suggestion=pair, mode=MeetingMode.CONFERENCE, status=MeetingStatus.CONFIRMED, starts_at=slot_row.starts_at,
            duration_minutes=30, location=str(table_row), requested_by=world.bureau,
            requirement_accepted_at=now, achievement_accepted_at=now)
        Suggestion.objects.filter(pk=pair.pk).update(status=SuggestionStatus.MEETING)
    return ScheduledMeeting.objects.create(
        event=conf.event, suggestion=pair, slot=slot_row, table=table_row, status=status, meeting=meeting,
        confirmed_at=now if meeting else None, changed_by=world.bureau)


@dataclass
class Day:
    conf: Conference
    own: ScheduledMeeting  # enterprise A ↔ the university, confirmed, world.broker
    other_org: ScheduledMeeting  # enterprise B ↔ the university, confirmed, world.other_broker
    planned: ScheduledMeeting  # enterprise A (members-tier requirement) ↔ the university, a draft
    reg_ent_b: Registration
    forum: Session
    first_entry: RoadshowEntry  # another university's presentation, first in the roadshow
    entry: RoadshowEntry  # the university's presentation, second


def conference_day(world) -> Day:
    conf = conference(world)
    reg_ent_b = Registration.objects.create(event=conf.event, organisation=world.ent_b,
                                            registered_by=world.ent_b_member)
    req_b = RequirementFactory(organisation=world.ent_b, title="乙企业需求：动力电池拆解")
    other_pair = enter_pair(world, conf, req_b, reg_ent_b, broker=world.other_broker)
    planned_pair = enter_pair(world, conf, world.req_members, conf.reg_ent_a, broker=world.broker)
    forum = Session.objects.create(event=conf.event, kind=SessionKind.FORUM, title_zh="成果转化高峰论坛",
                                   title_en="Technology transfer forum", room="二楼报告厅",
                                   starts_at=conf.session.starts_at + timedelta(hours=5),
                                   ends_at=conf.session.starts_at + timedelta(hours=7))
    other_uni = OrganisationFactory(kind="university", name_zh="另一所大学", name_en="Another University",
                                    credit_code="")
    first = RoadshowEntry.objects.create(session=conf.roadshow, achievement=AchievementFactory(organisation=other_uni),
                                         order=1, minutes=15)
    entry = RoadshowEntry.objects.create(session=conf.roadshow, achievement=world.ach_public, order=2, minutes=10)
    return Day(
        conf=conf, own=schedule(world, conf, conf.pair, slot=0, table=0),
        other_org=schedule(world, conf, other_pair, slot=0, table=1),
        planned=schedule(world, conf, planned_pair, slot=1, table=0, status=PlanStatus.PLANNED),
        reg_ent_b=reg_ent_b, forum=forum, first_entry=first, entry=entry,
    )


def register_investor(world, conf: Conference, *, interest_in: RoadshowEntry | None = None) -> Registration:
    reg = Registration.objects.create(event=conf.event, organisation=world.investor_org,
                                      registered_by=world.investor)
    if interest_in is not None:
        InvestorInterest.objects.create(entry=interest_in, registration=reg, level=InterestLevel.MEETING,
                                        recorded_by=world.investor)
    return reg


def keys(items) -> set:
    return {item.key for item in items}


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- the agenda per role ---------------------------------------------------------------------------

def test_agenda_party_sees_only_its_organisations_confirmed_negotiations(world):
    day = conference_day(world)

    with translation.override("en"):
        items = dayof.agenda_for_user(user=world.ent_a_member, event=day.conf.event)
        counterpart, area_name = world.uni.display_name, day.conf.area.name

    negotiations = [item for item in items if item.kind == "negotiation"]
    assert [item.key for item in negotiations] == [("scheduled", day.own.pk)]  # not B's, not the draft
    item = negotiations[0]
    assert item.counterpart == counterpart
    assert item.pair_id == day.conf.pair.pk
    assert item.url == reverse("matchmaking:pair-detail", kwargs={"pk": day.conf.pair.pk})
    assert item.broker == str(world.broker)
    assert item.where == f"{area_name} · A馆 · table A01"
    assert item.starts_at == day.conf.slots[0].starts_at and item.ends_at == day.conf.slots[0].ends_at
    assert not item.planned
    # registered: the forum too; not the roadshow (no presentation of theirs, not an investor)
    assert ("session", day.forum.pk) in keys(items)
    assert ("session", day.conf.roadshow.pk) not in keys(items)


def test_agenda_university_sees_both_enterprises_and_its_presentation_slot(world):
    day = conference_day(world)

    items = dayof.agenda_for_user(user=world.uni_member, event=day.conf.event)

    assert keys(items) == {("scheduled", day.own.pk), ("scheduled", day.other_org.pk), ("session", day.forum.pk),
                           ("entry", day.entry.pk)}
    counterparts = {item.counterpart for item in items if item.kind == "negotiation"}
    assert counterparts == {world.ent_a.display_name, world.ent_b.display_name}
    presentation = next(item for item in items if item.kind == "presentation")
    start = day.conf.roadshow.starts_at + timedelta(minutes=15)  # after the first presentation's 15 minutes
    assert (presentation.starts_at, presentation.ends_at) == (start, start + timedelta(minutes=10))
    assert (presentation.position, presentation.of) == (2, 2)
    assert presentation.where == "主会场"


def test_agenda_shows_a_presentation_the_bureau_entered_for_an_unregistered_university(world):
    day = conference_day(world)
    Registration.objects.filter(pk=day.conf.reg_uni.pk).update(status=RegistrationStatus.WITHDRAWN)

    items = dayof.agenda_for_user(user=world.uni_member, event=day.conf.event)

    assert ("entry", day.entry.pk) in keys(items)
    assert ("entry", day.first_entry.pk) not in keys(items)  # another university's


def test_agenda_broker_sees_only_pairs_routed_to_them(world):
    day = conference_day(world)

    mine = dayof.agenda_for_user(user=world.broker, event=day.conf.event)
    theirs = dayof.agenda_for_user(user=world.other_broker, event=day.conf.event)

    assert [i.key for i in mine if i.kind == "negotiation"] == [("scheduled", day.own.pk)]  # not the draft
    assert [i.key for i in theirs if i.kind == "negotiation"] == [("scheduled", day.other_org.pk)]
    assert mine[0].counterpart == f"{world.ent_a.display_name} ↔ {world.uni.display_name}"
    assert ("session", day.forum.pk) in keys(mine)  # working at the event: the forums too


def test_agenda_investor_sees_roadshows_and_the_presentations_they_follow(world):
    day = conference_day(world)
    register_investor(world, day.conf, interest_in=day.first_entry)

    items = dayof.agenda_for_user(user=world.investor, event=day.conf.event)

    assert keys(items) == {("session", day.conf.roadshow.pk), ("session", day.forum.pk),
                           ("entry", day.first_entry.pk)}
    presentation = next(item for item in items if item.kind == "presentation")
    assert presentation.counterpart == "另一所大学"
    assert (presentation.position, presentation.starts_at) == (1, day.conf.roadshow.starts_at)


def test_agenda_investor_does_not_read_a_confidential_presentations_title(world):
    day = conference_day(world)
    secret = RoadshowEntry.objects.create(session=day.conf.roadshow, achievement=world.ach_restricted, order=3)
    register_investor(world, day.conf, interest_in=secret)

    with translation.override("en"):
        items = dayof.agenda_for_user(user=world.investor, event=day.conf.event)
        owner = dayof.agenda_for_user(user=world.uni_member, event=day.conf.event)

    presentation = next(item for item in items if item.kind == "presentation")
    assert world.ach_restricted.title not in presentation.title + presentation.subject
    assert "A confidential achievement" in presentation.title
    assert any(world.ach_restricted.title in item.title for item in owner if item.kind == "presentation")


def test_agenda_investor_not_registered_sees_nothing(world):
    day = conference_day(world)

    assert dayof.agenda_for_user(user=world.investor, event=day.conf.event) == []


def test_agenda_bureau_sees_drafts_marked_and_every_session(world):
    day = conference_day(world)

    items = dayof.agenda_for_user(user=world.bureau, event=day.conf.event)

    assert keys(items) == {("scheduled", day.own.pk), ("scheduled", day.other_org.pk),
                           ("scheduled", day.planned.pk), ("session", day.forum.pk),
                           ("session", day.conf.roadshow.pk)}
    assert {item.key for item in items if item.planned} == {("scheduled", day.planned.pk)}


def test_agenda_cancelled_negotiation_is_not_shown(world):
    day = conference_day(world)
    ScheduledMeeting.objects.filter(pk=day.own.pk).update(status=PlanStatus.CANCELLED)

    for user in (world.ent_a_member, world.broker, world.bureau):
        assert ("scheduled", day.own.pk) not in keys(dayof.agenda_for_user(user=user, event=day.conf.event))


def test_agenda_page_lists_items_in_event_local_time(client, world):
    day = conference_day(world)
    client.force_login(world.ent_a_member)

    response = client.get(reverse("events:agenda", kwargs={"slug": day.conf.event.slug}))

    assert response.status_code == 200
    body = response.content.decode()
    assert re.findall(r'data-scheduled="(\d+)"', body) == [str(day.own.pk)]
    local = dayof.event_local(day.conf.slots[0].starts_at)
    assert local.utcoffset() == timedelta(hours=8)
    utc = day.conf.slots[0].starts_at.astimezone(UTC)
    assert f">{local:%H:%M}</time>–" in body  # 09:00 at the venue…
    assert f">{utc:%H:%M}</time>" not in body  # …not 01:00 UTC
    assert "China Standard Time" in body
    assert day.conf.area.name in body and world.uni.display_name in body
    assert "乙企业" not in body  # enterprise B's negotiation is none of A's business
    assert "Technology transfer forum" in body
    assert 'href="?print=1"' in body
    assert reverse("events:agenda-ics", kwargs={"slug": day.conf.event.slug}) in body


def test_agenda_page_bureau_sees_draft_clearly_marked(client, world):
    day = conference_day(world)
    client.force_login(world.bureau)

    body = client.get(reverse("events:agenda", kwargs={"slug": day.conf.event.slug})).content.decode()

    assert set(re.findall(r'data-scheduled="(\d+)"', body)) == {str(day.own.pk), str(day.other_org.pk),
                                                                 str(day.planned.pk)}
    assert body.count("data-planned") == 1
    assert "Planned (draft, not yet confirmed)" in body


def test_agenda_anonymous_is_sent_to_sign_in(client, world):
    day = conference_day(world)
    url = reverse("events:agenda", kwargs={"slug": day.conf.event.slug})

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_agenda_user_who_takes_no_part_sees_an_empty_agenda(client, world):
    day = conference_day(world)
    client.force_login(world.expert)

    response = client.get(reverse("events:agenda", kwargs={"slug": day.conf.event.slug}))

    assert response.status_code == 200
    assert dayof.agenda_for_user(user=world.expert, event=day.conf.event) == []
    body = response.content.decode()
    assert "data-empty-agenda" in body and "data-agenda-item" not in body


def test_agenda_of_a_draft_event_is_404_except_for_bureau(client, world):
    day = conference_day(world)
    day.conf.event.status = EventStatus.DRAFT
    day.conf.event.save(update_fields=["status"])
    url = reverse("events:agenda", kwargs={"slug": day.conf.event.slug})

    client.force_login(world.ent_a_member)
    assert client.get(url).status_code == 404
    assert client.get(reverse("events:agenda-ics", kwargs={"slug": day.conf.event.slug})).status_code == 404
    client.force_login(world.bureau)
    assert client.get(url).status_code == 200


def test_agenda_withdrawn_registration_loses_the_forums(world):
    day = conference_day(world)
    Registration.objects.filter(pk=day.reg_ent_b.pk).update(status=RegistrationStatus.WITHDRAWN)
    ScheduledMeeting.objects.filter(pk=day.other_org.pk).update(status=PlanStatus.CANCELLED)

    assert dayof.agenda_for_user(user=world.ent_b_member, event=day.conf.event) == []


# --- print view ------------------------------------------------------------------------------------

def test_agenda_print_view_renders_without_navigation(client, world):
    day = conference_day(world)
    client.force_login(world.uni_member)

    response = client.get(reverse("events:agenda", kwargs={"slug": day.conf.event.slug}), {"print": "1"})

    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="agenda-print"' in body
    assert "mainnav" not in body and "topbar" not in body
    assert re.search(r'<link rel="stylesheet" href="[^"]*events-print\.css" media="print">', body)
    assert "events-print.js" in body and "<script>" not in body  # no inline script (CSP)
    assert body.count('class="agenda-day"') == 1  # one day, one page
    assert set(re.findall(r'data-scheduled="(\d+)"', body)) == {str(day.own.pk), str(day.other_org.pk)}
    assert world.uni_member.get_full_name() in body


def test_agenda_page_links_the_print_stylesheet(client, world):
    day = conference_day(world)
    client.force_login(world.ent_a_member)

    body = client.get(reverse("events:agenda", kwargs={"slug": day.conf.event.slug})).content.decode()

    assert re.search(r'href="[^"]*events-print\.css" media="print"', body)
    assert re.search(r'href="[^"]*css/events\.css"', body)


def test_agenda_print_puts_each_day_on_its_own_page(client, world):
    day = conference_day(world)
    later = day.conf.slots[0].starts_at + timedelta(days=1)
    Session.objects.create(event=day.conf.event, kind=SessionKind.FORUM, title_zh="第二天论坛", title_en="Day two",
                           room="报告厅", starts_at=later, ends_at=later + timedelta(hours=1))
    client.force_login(world.ent_a_member)

    body = client.get(reverse("events:agenda", kwargs={"slug": day.conf.event.slug}), {"print": "1"}).content.decode()

    days = re.findall(r'class="agenda-day" data-day="([\d-]+)"', body)
    assert days == [day.conf.event.starts_on.isoformat(), (day.conf.event.starts_on + timedelta(days=1)).isoformat()]


# --- ICS -------------------------------------------------------------------------------------------

def unfold(text: str) -> list[str]:
    """RFC 5545 §3.1: CRLF followed by a space or tab continues the previous line."""
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # no bare LF
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse_ics(text: str) -> tuple[dict, list[dict]]:
    """The calendar's properties and each VEVENT's (name → unescaped value; no parameters used)."""
    calendar, events, current = {}, [], None
    for line in unfold(text):
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            current[name] = unescape(value)
        else:
            calendar.setdefault(name, unescape(value))
    return calendar, events


def assert_folded_safely(text: str) -> None:
    raw = text.encode("utf-8")
    assert raw.endswith(b"\r\n")
    for physical in raw.split(b"\r\n")[:-1]:
        assert len(physical) <= 75, physical
        physical.decode("utf-8")  # never cut inside a multi-byte character


def test_ics_escape_and_fold_by_octets():
    assert dayof.ics_escape('a\\b;c,d\ne\r\nf') == "a\\\\b\\;c\\,d\\ne\\nf"
    line = "SUMMARY:" + "洽谈" * 60  # 8 + 360 octets
    folded = dayof.ics_fold(line)
    assert_folded_safely(folded + "\r\n")
    assert folded.replace("\r\n ", "") == line
    assert all(len(part.encode()) >= 73 for part in folded.split("\r\n")[:-1])  # filled, not cut early
    assert dayof.ics_fold("x" * 75) == "x" * 75


def test_agenda_ics_is_rfc5545(client, world):
    day = conference_day(world)
    # Text that needs escaping and folding: commas, semicolons, a backslash, a newline, Chinese.
    world.uni.name_zh = "东北测试大学（沈阳校区），冶金学院;实验室\\二部"
    world.uni.save(update_fields=["name_zh"])
    world.req_public.title = "公开需求：锂电池回收，" + "高效低能耗湿法冶金工艺与装备集成" * 4 + "\n第二行"
    world.req_public.save(update_fields=["title"])
    client.force_login(world.ent_a_member)

    response = client.get(reverse("events:agenda-ics", kwargs={"slug": day.conf.event.slug}))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{day.conf.event.slug}-agenda.ics"'
    text = response.content.decode("utf-8")
    assert_folded_safely(text)
    calendar, events = parse_ics(text)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert calendar["VERSION"] == "2.0" and calendar["METHOD"] == "PUBLISH"
    assert calendar["CALSCALE"] == "GREGORIAN" and calendar["PRODID"].startswith("-//TechDock//")
    assert day.conf.event.name_en in calendar["X-WR-CALNAME"]
    assert [e["UID"] for e in events] == [f"scheduled-{day.own.pk}@techdock",
                                         f"session-{day.forum.pk}-user-{world.ent_a_member.pk}@techdock"]
    negotiation = events[0]
    slot = day.conf.slots[0]
    assert negotiation["DTSTART"] == slot.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert negotiation["DTEND"] == slot.ends_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert re.fullmatch(r"\d{8}T\d{6}Z", negotiation["DTSTAMP"])
    assert negotiation["STATUS"] == "CONFIRMED"
    assert negotiation["SUMMARY"] == f"Negotiation with {world.uni.name_en}"
    assert negotiation["LOCATION"] == f"{day.conf.area.name_en} · A馆 · table A01"
    description = negotiation["DESCRIPTION"].split("\n")
    assert description[0] == world.req_public.title.split("\n")[0]
    assert description[1] == f"第二行 ↔ {world.ach_public.title}"
    assert f"Broker: {world.broker}" in description
    assert f"http://testserver{reverse('matchmaking:pair-detail', kwargs={'pk': day.conf.pair.pk})}" in description


def test_agenda_ics_escapes_chinese_names_with_separators(world):
    day = conference_day(world)
    world.uni.name_zh = "东北测试大学（沈阳校区），冶金学院;实验室\\二部"
    world.uni.save(update_fields=["name_zh"])
    from django.utils import translation

    with translation.override("zh-hans"):
        items = dayof.agenda_for_user(user=world.ent_a_member, event=day.conf.event)
        text = dayof.agenda_ics(user=world.ent_a_member, event=day.conf.event, items=items)

    assert_folded_safely(text)
    assert "冶金学院\\;实验室\\\\二部" in "".join(unfold(text))
    _, events = parse_ics(text)
    assert world.uni.name_zh in events[0]["SUMMARY"]
    assert events[0]["LOCATION"].startswith("新能源展区 · A馆")


def test_agenda_ics_of_bureau_marks_drafts_tentative(world):
    day = conference_day(world)
    items = dayof.agenda_for_user(user=world.bureau, event=day.conf.event)

    _, events = parse_ics(dayof.agenda_ics(user=world.bureau, event=day.conf.event, items=items))

    status = {e["UID"]: e["STATUS"] for e in events}
    assert status[f"scheduled-{day.planned.pk}@techdock"] == "TENTATIVE"
    assert status[f"scheduled-{day.own.pk}@techdock"] == "CONFIRMED"


def test_agenda_ics_empty_agenda_is_a_valid_calendar(client, world):
    day = conference_day(world)
    client.force_login(world.expert)

    text = client.get(reverse("events:agenda-ics", kwargs={"slug": day.conf.event.slug})).content.decode()

    calendar, events = parse_ics(text)
    assert events == [] and calendar["VERSION"] == "2.0"


def test_agenda_ics_anonymous_is_sent_to_sign_in(client, world):
    day = conference_day(world)

    response = client.get(reverse("events:agenda-ics", kwargs={"slug": day.conf.event.slug}))

    assert response.status_code == 302 and "BEGIN:VCALENDAR" not in response.content.decode()


# --- query counts ----------------------------------------------------------------------------------

def more_negotiations(world, conf: Conference, n: int) -> None:
    """n more confirmed negotiations of enterprise A (and the broker) in later slots."""
    for i in range(n):
        requirement = RequirementFactory(organisation=world.ent_a, title=f"需求 {i}")
        pair = enter_pair(world, conf, requirement, conf.reg_ent_a, broker=world.broker)
        schedule(world, conf, pair, slot=2 + i // 2, table=i % 2)


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["ent_a_member", "uni_member", "broker", "bureau"])
def test_agenda_query_count_is_constant(client, world, who):
    day = conference_day(world)
    user = getattr(world, who)
    client.force_login(user)
    url = reverse("events:agenda", kwargs={"slug": day.conf.event.slug})
    client.get(url)  # warm-up: session, caches

    one = count_queries(lambda: client.get(url))
    more_negotiations(world, day.conf, 2)
    three = count_queries(lambda: client.get(url))

    assert len([i for i in dayof.agenda_for_user(user=user, event=day.conf.event) if i.kind == "negotiation"]) >= 3
    assert one == three


def test_agenda_selector_queries_for_a_party(world, django_assert_max_num_queries):
    day = conference_day(world)
    more_negotiations(world, day.conf, 2)
    user = type(world.uni_member).objects.get(pk=world.uni_member.pk)

    # roles, negotiations, registrations, sessions, presentations
    with django_assert_max_num_queries(5):
        items = dayof.agenda_for_user(user=user, event=day.conf.event)
    assert len(items) == 6


def test_event_local_reads_shenyang_time():
    value = datetime(2026, 5, 20, 1, 0, tzinfo=UTC)

    assert f"{dayof.event_local(value):%Y-%m-%d %H:%M}" == "2026-05-20 09:00"
    start, end = dayof.event_day_bounds(value.date())
    assert start.astimezone(UTC) == datetime(2026, 5, 19, 16, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)
