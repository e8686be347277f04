"""The roadshow pages: every page × every role with the data each must not see (restricted and
members-only achievements, another investor's note, asking prices), the forms (interest buttons,
bureau's add / move / remove, the investor's profile) with their refusals shown on the page and
nothing written, and the programme's query count with 1 and 3 presentations."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.enums import EventStatus, InterestLevel, RegistrationStatus
from events.models import InvestorInterest, InvestorProfile, Registration, RoadshowEntry
from tests.events.builders import conference
from tests.events.test_roadshows import ASK_MAX, ASK_MIN, OTHER_NOTE, add_entry, make_roadshow, set_profile
from tests.factories import AchievementFactory, field
from tests.pages import html, login

ROLES = ["anonymous", "ent_a", "university", "investor", "bureau", "broker"]
PUBLIC_TITLE = "公开成果：湿法冶金回收"
MEMBERS_TITLE = "会员成果：固态电解质"
RESTRICTED_TITLE = "保密成果：隐身材料"


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def urls(rs) -> dict[str, str]:
    slug = rs.event.slug
    return {
        "list": reverse("events:roadshow-list", kwargs={"slug": slug}),
        "session": reverse("events:roadshow-session", kwargs={"slug": slug, "pk": rs.conf.roadshow.pk}),
        "manage": reverse("events:roadshow-manage", kwargs={"slug": slug, "pk": rs.conf.roadshow.pk}),
        "profile": reverse("events:investor-profile", kwargs={"slug": slug}),
        "recommended": reverse("events:roadshow-recommended", kwargs={"slug": slug}),
        "investors": reverse("events:roadshow-entry-investors", kwargs={"slug": slug, "pk": rs.entry.pk}),
        "received": reverse("events:roadshow-interest-received", kwargs={"slug": slug}),
        "board": reverse("events:roadshow-board", kwargs={"slug": slug}),
    }


ANY = set(ROLES) - {"anonymous"}
# Which signed-in roles open each page (200); the others get 403, anonymous visitors the login
# page, except on the public programme.
OPENS = {
    "list": set(ROLES), "session": set(ROLES), "manage": {"bureau"}, "profile": {"investor"},
    "recommended": {"investor"}, "investors": {"university", "bureau"}, "received": ANY, "board": {"bureau"},
}
# What each role reads on each page it opens: the public achievement everywhere it is listed; the
# members-only one only when signed in; the restricted one only on bureau staff's management
# page (flagged); the other investor's note only where the achievement's interest is shown to its
# organisation and the bureau.
SEES = {
    (page, role): texts
    for page in OPENS for role in OPENS[page]
    for texts in [{
        PUBLIC_TITLE: page in ("list", "session", "manage", "recommended", "investors", "board")
        or (page == "received" and role in ("university", "bureau")),
        MEMBERS_TITLE: (page in ("list", "session", "recommended") and role != "anonymous")
        or page in ("manage", "board") or (page == "received" and role in ("university", "bureau")),
        RESTRICTED_TITLE: page in ("manage", "board") or (page == "received" and role in ("university", "bureau")),
        OTHER_NOTE: page in ("investors", "received") and role in ("university", "bureau"),
    }]
}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role(client, world, role):
    # given a roadshow with a public, a members-only and a restricted presentation, another
    # investor's note, and the investor's ticket range around the asking price
    rs = make_roadshow(world)
    set_profile(rs.reg_investor, stages=["seed"], ticket=(7000, 9000), fields=["energy-storage"])
    login(client, world, role)

    for page, url in urls(rs).items():
        response = client.get(url)
        if role in OPENS[page]:
            assert response.status_code == 200, (page, role)
            body = html(response)
            for text, seen in SEES[(page, role)].items():
                assert (text in body) is seen, (page, role, text)
        elif role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], page
            continue
        else:
            assert response.status_code == 403, (page, role)
            body = html(response)
            assert OTHER_NOTE not in body and RESTRICTED_TITLE not in body
        # asking prices are never on a roadshow page, whoever reads it
        assert str(ASK_MIN) not in body and str(ASK_MAX) not in body, (page, role)


def test_recommendations_explain_the_ticket_fit_without_the_price(client, world):
    rs = make_roadshow(world)
    set_profile(rs.reg_investor, stages=["seed"], ticket=(7000, 9000), fields=["energy-storage"])
    login(client, world, "investor")

    body = html(client.get(urls(rs)["recommended"]))

    assert "Asking price within your ticket range" in body
    assert "Shared field: Energy storage &amp; batteries" in body
    assert str(ASK_MIN) not in body and str(ASK_MAX) not in body


def test_the_programme_of_a_draft_event_is_not_found_but_for_the_bureau(client, world):
    rs = make_roadshow(world)
    rs.event.status = EventStatus.DRAFT
    rs.event.save(update_fields=["status"])

    assert client.get(urls(rs)["list"]).status_code == 404
    login(client, world, "investor")
    assert client.get(urls(rs)["session"]).status_code == 404
    login(client, world, "bureau")
    assert client.get(urls(rs)["list"]).status_code == 200


def test_a_negotiation_session_has_no_roadshow_page(client, world):
    rs = make_roadshow(world)
    url = reverse("events:roadshow-session", kwargs={"slug": rs.event.slug, "pk": rs.conf.session.pk})

    assert client.get(url).status_code == 404


def test_the_programme_shows_times_in_order_and_the_presenter(client, world):
    rs = make_roadshow(world)
    start = rs.conf.roadshow.starts_at

    response = client.get(urls(rs)["list"])

    entries = response.context["sessions"][0].entries
    assert [e.pk for e in entries] == [rs.entry.pk]  # anonymous: the public one only
    assert (entries[0].starts_at, entries[0].ends_at) == (start, start + timedelta(minutes=15))
    assert "李教授" in html(response)

    # the members-only presentation follows the public one's 15 minutes
    login(client, world, "investor")
    entries = client.get(urls(rs)["list"]).context["sessions"][0].entries
    assert [(e.pk, e.starts_at) for e in entries] == [(rs.entry.pk, start),
                                                      (rs.members_entry.pk, start + timedelta(minutes=15))]


# --- interest ------------------------------------------------------------------------------------

def interest_url(rs, entry=None) -> str:
    return reverse("events:roadshow-interest", kwargs={"slug": rs.event.slug, "pk": (entry or rs.entry).pk})


def test_the_investor_records_interest_with_a_button(client, world):
    rs = make_roadshow(world)
    login(client, world, "investor")
    back = urls(rs)["recommended"]

    response = client.post(interest_url(rs), {"level": InterestLevel.MEETING, "note": "想约谈", "next": back},
                           follow=True)

    assert response.redirect_chain[-1][0] == back
    assert page_messages(response) == [f"Your interest in “{PUBLIC_TITLE}” was recorded."]
    row = InvestorInterest.objects.get(entry=rs.entry, registration=rs.reg_investor)
    assert (row.level, row.note, row.recorded_by_id) == ("meeting", "想约谈", world.investor.pk)
    assert 'aria-pressed="true"' in html(response)


def test_interest_goes_back_only_to_this_site(client, world):
    rs = make_roadshow(world)
    login(client, world, "investor")

    response = client.post(interest_url(rs), {"level": InterestLevel.FOLLOW, "next": "https://evil.example/"})

    assert response["Location"] == urls(rs)["session"]


@pytest.mark.parametrize("role", ["ent_a", "university", "bureau", "broker"])
def test_interest_from_other_roles_is_forbidden(client, world, role):
    rs = make_roadshow(world)
    login(client, world, role)

    response = client.post(interest_url(rs), {"level": InterestLevel.MEETING})

    assert response.status_code == 403
    assert list(InvestorInterest.objects.values_list("pk", flat=True)) == [rs.other_interest.pk]


def test_anonymous_interest_goes_to_sign_in(client, world):
    rs = make_roadshow(world)

    response = client.post(interest_url(rs), {"level": InterestLevel.MEETING})

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert InvestorInterest.objects.count() == 1


def test_a_withdrawn_investor_sees_why_its_interest_is_refused(client, world):
    rs = make_roadshow(world)
    Registration.objects.filter(pk=rs.reg_investor.pk).update(status=RegistrationStatus.WITHDRAWN)
    login(client, world, "investor")

    response = client.post(interest_url(rs), {"level": InterestLevel.MEETING, "note": "x"})

    assert response.status_code == 400
    assert "Your organisation withdrew from this event" in html(response)
    assert not InvestorInterest.objects.filter(registration=rs.reg_investor).exists()


def test_interest_in_a_restricted_presentation_is_not_found(client, world):
    rs = make_roadshow(world)
    login(client, world, "investor")

    response = client.post(interest_url(rs, rs.restricted_entry), {"level": InterestLevel.MEETING})

    assert response.status_code == 404
    assert not InvestorInterest.objects.filter(registration=rs.reg_investor).exists()


def test_a_post_without_the_csrf_token_is_refused(world):
    rs = make_roadshow(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.investor)

    response = client.post(interest_url(rs), {"level": InterestLevel.MEETING})

    assert response.status_code == 403
    assert not InvestorInterest.objects.filter(registration=rs.reg_investor).exists()


# --- bureau staff's management -------------------------------------------------------------------

def test_bureau_adds_a_presentation_from_the_manage_page(client, world):
    rs = make_roadshow(world)
    extra = AchievementFactory(organisation=world.uni, title="钠离子电池")
    login(client, world, "bureau")

    response = client.post(urls(rs)["manage"], {"achievement": extra.pk, "minutes": 20, "presenter": "王博士"},
                           follow=True)

    assert page_messages(response) == ["“钠离子电池” was added to the roadshow."]
    entry = RoadshowEntry.objects.get(session=rs.conf.roadshow, achievement=extra)
    assert (entry.order, entry.minutes, entry.presenter) == (4, 20, "王博士")


@pytest.mark.parametrize("case, words", [
    ("restricted", "cannot be presented in a public roadshow"),
    ("too_long", "85 minutes are left and this presentation needs 90"),
    ("unknown", "Select a valid choice"),
])
def test_a_refused_addition_shows_the_reason_and_writes_nothing(client, world, case, words):
    rs = make_roadshow(world)
    second = conference(world, slug="dalian-2026")  # its own roadshow, so the restricted one is not a duplicate
    achievement = {"restricted": world.ach_restricted, "too_long": AchievementFactory(organisation=world.uni)}
    session = second.roadshow if case == "restricted" else rs.conf.roadshow
    url = reverse("events:roadshow-manage", kwargs={"slug": session.event.slug, "pk": session.pk})
    chosen = achievement[case].pk if case in achievement else 99999999
    before = RoadshowEntry.objects.count()
    login(client, world, "bureau")

    response = client.post(url, {"achievement": chosen, "minutes": 90})

    assert response.status_code == 400
    assert words in html(response)
    assert RoadshowEntry.objects.count() == before


@pytest.mark.parametrize("role", ["anonymous", "ent_a", "university", "investor", "broker"])
def test_only_the_bureau_changes_the_programme(client, world, role):
    rs = make_roadshow(world)
    extra = AchievementFactory(organisation=world.uni)
    slug = rs.event.slug
    login(client, world, role)
    before = list(RoadshowEntry.objects.order_by("pk").values_list("pk", "order"))

    add = client.post(urls(rs)["manage"], {"achievement": extra.pk, "minutes": 5})
    move = client.post(reverse("events:roadshow-entry-move", kwargs={"slug": slug, "pk": rs.entry.pk}),
                       {"direction": "down"})
    remove = client.post(reverse("events:roadshow-entry-remove", kwargs={"slug": slug, "pk": rs.entry.pk}))

    if role == "anonymous":
        assert all(r.status_code == 302 and "/accounts/login/" in r["Location"] for r in (add, move, remove))
    else:
        assert (add.status_code, move.status_code, remove.status_code) == (403, 403, 403)
    assert list(RoadshowEntry.objects.order_by("pk").values_list("pk", "order")) == before


def test_bureau_moves_and_removes_presentations(client, world):
    rs = make_roadshow(world)
    slug = rs.event.slug
    login(client, world, "bureau")

    client.post(reverse("events:roadshow-entry-move", kwargs={"slug": slug, "pk": rs.entry.pk}),
                {"direction": "down"})
    assert list(RoadshowEntry.objects.order_by("order").values_list("pk", flat=True)) == [
        rs.members_entry.pk, rs.entry.pk, rs.restricted_entry.pk]

    response = client.post(reverse("events:roadshow-entry-remove", kwargs={"slug": slug, "pk": rs.entry.pk}),
                           follow=True)
    assert page_messages(response) == [f"“{PUBLIC_TITLE}” was removed from the roadshow. 1 investor's recorded "
                                       "interest was deleted with it."]
    assert list(RoadshowEntry.objects.order_by("order").values_list("pk", "order")) == [
        (rs.members_entry.pk, 1), (rs.restricted_entry.pk, 2)]


def test_the_manage_page_flags_presentations_no_longer_shown(client, world):
    rs = make_roadshow(world)
    login(client, world, "bureau")

    response = client.get(urls(rs)["manage"])

    entries = {e.pk: e for e in response.context["session"].entries}
    assert entries[rs.restricted_entry.pk].presentable is False
    assert html(response).count("data-not-presentable") == 1


# --- the investor's profile ----------------------------------------------------------------------

def test_the_investor_saves_its_profile(client, world):
    rs = make_roadshow(world)
    login(client, world, "investor")

    response = client.post(urls(rs)["profile"], {
        "stages": ["seed", "series_a"], "ticket_min": 100, "ticket_max": 500,
        "fields": [field("energy-storage").pk], "focus": "储能"})

    assert response.status_code == 302 and response["Location"] == urls(rs)["recommended"]
    profile = InvestorProfile.objects.get(registration=rs.reg_investor)
    assert (profile.stages, profile.ticket_min, profile.ticket_max, profile.focus) == (
        ["seed", "series_a"], 100, 500, "储能")


def test_a_profile_with_the_ticket_range_upside_down_is_refused(client, world):
    rs = make_roadshow(world)
    login(client, world, "investor")

    response = client.post(urls(rs)["profile"], {"ticket_min": 500, "ticket_max": 100})

    assert response.status_code == 400
    assert "The largest ticket must not be below the smallest." in html(response)
    assert not InvestorProfile.objects.exists()


# --- query counts --------------------------------------------------------------------------------

def _programme_queries(client, world, n: int, role: str) -> int:
    conf = conference(world, slug=f"event-{n}-{role}")
    Registration.objects.create(event=conf.event, organisation=world.investor_org)
    for i in range(n):
        add_entry(conf.roadshow, AchievementFactory(organisation=world.uni, title=f"成果{i}",
                                                    fields=[field("ai"), field("energy-storage")]))
    url = reverse("events:roadshow-list", kwargs={"slug": conf.event.slug})
    client.get(url)  # warm the session and the site's caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["sessions"][0].entries) == n
    return len(queries)


@pytest.mark.parametrize("role", ["anonymous", "investor", "bureau"])
def test_the_programme_costs_the_same_queries_for_1_and_3_presentations(client, world, role):
    login(client, world, role)

    assert _programme_queries(client, world, 1, role) == _programme_queries(client, world, 3, role)
