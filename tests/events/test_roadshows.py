"""Roadshows and investors, the services and the matching: putting achievements into roadshow
sessions (and every refusal, with its message and nothing written), the investor's profile,
interest recorded once per investor and presentation with the achievement's organisation told in
its own language, and the ranking of presentations for an investor.

The helpers at the top are shared by test_roadshows_pages.py and test_roadshows_api.py."""

from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.enums import OrganisationKind, Role
from accounts.models import Notification
from catalog.enums import Confidentiality, ListingStatus
from catalog.models import Achievement
from common.errors import ApplicationError, PermissionDenied
from events import roadshows
from events.enums import EventStatus, InterestLevel, InvestmentStage, RegistrationStatus
from events.models import (
    EventListing,
    InvestorInterest,
    InvestorProfile,
    Registration,
    RoadshowEntry,
)
from events.roadshow_selectors import WEIGHTS, entry_investors, investor_matches, stages_for_trl
from tests.events.builders import Conference, conference
from tests.factories import AchievementFactory, OrganisationFactory, field, member

# Asking-price figures that appear nowhere else: their absence from what an investor reads
# proves the price stays confidential.
ASK_MIN = 7319
ASK_MAX = 8461


# --- helpers (shared with the page and API tests) -----------------------------------------------

@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the catalogue's translations may change)."""
    with translation.override("en"):
        yield


@dataclass
class Roadshow:
    conf: Conference
    reg_investor: Registration  # world.investor_org, registered
    entry: RoadshowEntry  # world.ach_public, first in conf.roadshow (asking ASK_MIN..ASK_MAX)
    members_entry: RoadshowEntry  # a members-only achievement: not for anonymous visitors
    restricted_entry: RoadshowEntry  # world.ach_restricted, made confidential after it was added
    other_investor: object  # a second investor organisation's member
    reg_other_investor: Registration
    other_interest: InvestorInterest  # the second investor's "meeting" on ``entry``, with a note

    @property
    def event(self):
        return self.conf.event


OTHER_NOTE = "乙基金内部备注：估值偏高"


def make_roadshow(world, *, slug: str = "shenyang-2026") -> Roadshow:
    """``conference(world)`` with the investor registered and three presentations: the public
    achievement, a members-only one and a restricted one (written straight to the database, as
    if made confidential after it was added: the service refuses to add it)."""
    conf = conference(world, slug=slug)
    world.ach_public.budget_min, world.ach_public.budget_max = ASK_MIN, ASK_MAX
    world.ach_public.save(update_fields=["budget_min", "budget_max"])
    members_ach = AchievementFactory(organisation=world.uni, title="会员成果：固态电解质",
                                     confidentiality=Confidentiality.MEMBERS)
    reg_investor = Registration.objects.create(event=conf.event, organisation=world.investor_org,
                                               registered_by=world.investor)
    other_org = OrganisationFactory(kind=OrganisationKind.INVESTOR, name_zh="乙基金", name_en="Fund B",
                                    credit_code="")
    other_investor = member(other_org, Role.INVESTOR, email="vc@fund-b.cn")
    reg_other = Registration.objects.create(event=conf.event, organisation=other_org, registered_by=other_investor)
    entry = RoadshowEntry.objects.create(session=conf.roadshow, achievement=world.ach_public, order=1, minutes=15,
                                         presenter="李教授")
    members_entry = RoadshowEntry.objects.create(session=conf.roadshow, achievement=members_ach, order=2,
                                                 minutes=10)
    restricted_entry = RoadshowEntry.objects.create(session=conf.roadshow, achievement=world.ach_restricted,
                                                    order=3, minutes=10)
    other_interest = InvestorInterest.objects.create(entry=entry, registration=reg_other,
                                                     level=InterestLevel.MEETING, note=OTHER_NOTE,
                                                     recorded_by=other_investor)
    return Roadshow(conf=conf, reg_investor=reg_investor, entry=entry, members_entry=members_entry,
                    restricted_entry=restricted_entry, other_investor=other_investor,
                    reg_other_investor=reg_other, other_interest=other_interest)


def set_profile(registration, *, stages=(), ticket=(None, None), fields=(), focus="") -> InvestorProfile:
    profile, _ = InvestorProfile.objects.update_or_create(
        registration=registration,
        defaults={"stages": list(stages), "ticket_min": ticket[0], "ticket_max": ticket[1], "focus": focus})
    profile.fields.set([field(code) for code in fields])
    return profile


def add_entry(session, achievement, *, minutes: int = 10) -> RoadshowEntry:
    last = RoadshowEntry.objects.filter(session=session).order_by("-order").first()
    return RoadshowEntry.objects.create(session=session, achievement=achievement, minutes=minutes,
                                        order=(last.order + 1) if last else 1)


def entry_rows(session) -> list[tuple[int, int]]:
    return list(RoadshowEntry.objects.filter(session=session).order_by("order", "pk")
                .values_list("achievement_id", "order"))


# --- adding presentations ------------------------------------------------------------------------

def test_bureau_adds_a_live_achievement_after_the_others(world):
    # given a roadshow session with one presentation
    rs = make_roadshow(world)
    extra = AchievementFactory(organisation=world.uni, title="新成果：钠离子电池")

    # when bureau staff add another
    entry = roadshows.roadshow_entry_add(actor=world.bureau, session=rs.conf.roadshow, achievement=extra,
                                         minutes=20, presenter="王博士")

    # then it comes last, with its minutes and presenter
    entry.refresh_from_db()
    assert (entry.order, entry.minutes, entry.presenter, entry.added_by_id) == (4, 20, "王博士", world.bureau.pk)


def test_adding_to_a_negotiation_session_is_refused_and_nothing_is_written(world):
    conf = conference(world)

    with pytest.raises(ApplicationError) as refused:
        roadshows.roadshow_entry_add(actor=world.bureau, session=conf.session, achievement=world.ach_public)

    assert refused.value.code == "not_roadshow"
    assert "roadshow sessions" in str(refused.value.message) and conf.session.title in str(refused.value.message)
    assert not RoadshowEntry.objects.exists()


def test_adding_beyond_the_session_length_says_how_many_minutes_are_left(world):
    # given a 120-minute roadshow session with 100 minutes planned
    conf = conference(world)
    roadshows.roadshow_entry_add(actor=world.bureau, session=conf.roadshow, achievement=world.ach_public, minutes=100)
    other = AchievementFactory(organisation=world.uni)

    # when a 30-minute presentation is added
    with pytest.raises(ApplicationError) as refused:
        roadshows.roadshow_entry_add(actor=world.bureau, session=conf.roadshow, achievement=other, minutes=30)

    # then it is refused with the minutes left, and only the first presentation exists
    assert refused.value.code == "session_full"
    assert "20 minutes are left" in str(refused.value.message)
    assert refused.value.extra == {"minutes_left": 20}
    assert entry_rows(conf.roadshow) == [(world.ach_public.pk, 1)]
    # and exactly what is left still fits
    roadshows.roadshow_entry_add(actor=world.bureau, session=conf.roadshow, achievement=other, minutes=20)
    assert entry_rows(conf.roadshow) == [(world.ach_public.pk, 1), (other.pk, 2)]


def test_a_restricted_achievement_is_never_put_into_a_public_roadshow(world):
    conf = conference(world)

    with pytest.raises(ApplicationError) as refused:
        roadshows.roadshow_entry_add(actor=world.bureau, session=conf.roadshow, achievement=world.ach_restricted)

    assert refused.value.code == "confidential"
    message = str(refused.value.message)
    assert world.ach_restricted.title in message and "cannot be presented in a public roadshow" in message
    assert not RoadshowEntry.objects.exists()


@pytest.mark.parametrize("case", ["not_live", "event_closed", "duplicate", "not_bureau", "zero_minutes"])
def test_other_refusals_to_add_write_nothing(world, case):
    conf = conference(world)
    roadshows.roadshow_entry_add(actor=world.bureau, session=conf.roadshow, achievement=world.ach_public)
    actor, achievement, minutes = world.bureau, AchievementFactory(organisation=world.uni), 10
    if case == "not_live":
        achievement = world.ach_screened
    elif case == "event_closed":
        conf.event.status = EventStatus.CLOSED
        conf.event.save(update_fields=["status"])
    elif case == "duplicate":
        achievement = world.ach_public
    elif case == "not_bureau":
        actor = world.uni_member
    elif case == "zero_minutes":
        minutes = 0
    expected = {"not_bureau": PermissionDenied, "zero_minutes": ValidationError}.get(case, ApplicationError)

    with pytest.raises(expected) as refused:
        roadshows.roadshow_entry_add(actor=actor, session=conf.roadshow, achievement=achievement, minutes=minutes)

    if expected is ApplicationError:
        assert refused.value.code == case
    assert entry_rows(conf.roadshow) == [(world.ach_public.pk, 1)]


# --- removing and reordering ---------------------------------------------------------------------

def test_reorder_takes_a_permutation_and_refuses_anything_else(world):
    rs = make_roadshow(world)
    session = rs.conf.roadshow
    ids = [rs.entry.pk, rs.members_entry.pk, rs.restricted_entry.pk]
    before = entry_rows(session)

    for wrong in ([ids[0], ids[1]], [ids[0], ids[0], ids[1]], [*ids, 999999], [ids[0], ids[1], 999999]):
        with pytest.raises(ApplicationError) as refused:
            roadshows.roadshow_reorder(actor=world.bureau, session=session, entry_ids=wrong)
        assert refused.value.code == "not_permutation"
        assert "exactly once" in str(refused.value.message)
    assert entry_rows(session) == before

    roadshows.roadshow_reorder(actor=world.bureau, session=session, entry_ids=[ids[2], ids[0], ids[1]])
    assert list(RoadshowEntry.objects.filter(session=session).order_by("order").values_list("pk", "order")) == [
        (ids[2], 1), (ids[0], 2), (ids[1], 3)]


def test_reorder_by_anyone_but_the_bureau_is_forbidden(world):
    rs = make_roadshow(world)
    before = entry_rows(rs.conf.roadshow)

    with pytest.raises(PermissionDenied):
        roadshows.roadshow_reorder(actor=world.uni_member, session=rs.conf.roadshow,
                                   entry_ids=[rs.restricted_entry.pk, rs.members_entry.pk, rs.entry.pk])

    assert entry_rows(rs.conf.roadshow) == before


def test_moving_the_first_up_changes_nothing_and_down_swaps(world):
    rs = make_roadshow(world)
    roadshows.roadshow_entry_move(actor=world.bureau, entry=rs.entry, up=True)
    assert RoadshowEntry.objects.get(pk=rs.entry.pk).order == 1

    roadshows.roadshow_entry_move(actor=world.bureau, entry=rs.entry, up=False)
    assert RoadshowEntry.objects.get(pk=rs.entry.pk).order == 2
    assert RoadshowEntry.objects.get(pk=rs.members_entry.pk).order == 1


def test_removing_renumbers_and_reports_the_interest_deleted_with_it(world):
    rs = make_roadshow(world)

    deleted = roadshows.roadshow_entry_remove(actor=world.bureau, entry=rs.entry)

    assert deleted == 1
    assert not InvestorInterest.objects.filter(pk=rs.other_interest.pk).exists()
    assert entry_rows(rs.conf.roadshow) == [(rs.members_entry.achievement_id, 1), (world.ach_restricted.pk, 2)]
    with pytest.raises(ApplicationError) as again:
        roadshows.roadshow_entry_remove(actor=world.bureau, entry=rs.entry)
    assert again.value.code == "already_removed"


# --- the investor's profile ----------------------------------------------------------------------

def test_investor_sets_and_replaces_its_profile(world):
    rs = make_roadshow(world)
    energy, ai = field("energy-storage"), field("ai")

    roadshows.investor_profile_set(actor=world.investor, registration=rs.reg_investor,
                                   stages=[InvestmentStage.SERIES_A, InvestmentStage.SEED], ticket_min=100,
                                   ticket_max=500, field_ids=[energy.pk, ai.pk], focus=" 储能 ")
    profile = InvestorProfile.objects.get(registration=rs.reg_investor)
    assert (profile.stages, profile.ticket_min, profile.ticket_max, profile.focus) == (
        ["seed", "series_a"], 100, 500, "储能")
    assert set(profile.fields.values_list("pk", flat=True)) == {energy.pk, ai.pk}

    # bureau staff may correct it; the whole profile is replaced
    roadshows.investor_profile_set(actor=world.bureau, registration=rs.reg_investor, stages=[], ticket_min=None,
                                   ticket_max=None, field_ids=[], focus="")
    profile.refresh_from_db()
    assert (profile.stages, profile.ticket_min, profile.ticket_max, list(profile.fields.all())) == ([], None, None, [])


@pytest.mark.parametrize("bad, error_field, words", [
    ({"stages": ["series_z"]}, "stages", "Unknown investment stage: series_z"),
    ({"ticket_min": 500, "ticket_max": 100}, "ticket_max", "must not be below the smallest"),
    ({"ticket_min": -1}, "ticket_min", "zero or more"),
    ({"field_ids": [987654]}, "fields", "Unknown field: 987654"),
])
def test_a_bad_profile_is_refused_and_the_old_one_kept(world, bad, error_field, words):
    rs = make_roadshow(world)
    set_profile(rs.reg_investor, stages=["seed"], ticket=(10, 20), fields=["ai"], focus="旧的")
    args = {"stages": ["seed"], "ticket_min": 10, "ticket_max": 20, "field_ids": [field("ai").pk], "focus": "新的"}

    with pytest.raises(ValidationError) as refused:
        roadshows.investor_profile_set(actor=world.investor, registration=rs.reg_investor, **(args | bad))

    assert words in " ".join(refused.value.message_dict[error_field])
    profile = InvestorProfile.objects.get(registration=rs.reg_investor)
    assert (profile.stages, profile.ticket_min, profile.ticket_max, profile.focus) == (["seed"], 10, 20, "旧的")


@pytest.mark.parametrize("who", ["ent_a", "university", "broker", "other_investor"])
def test_only_the_investor_and_the_bureau_edit_the_profile(world, who):
    rs = make_roadshow(world)
    actor = rs.other_investor if who == "other_investor" else world.users()[who]

    with pytest.raises(PermissionDenied):
        roadshows.investor_profile_set(actor=actor, registration=rs.reg_investor, stages=["seed"], ticket_min=None,
                                       ticket_max=None, field_ids=[], focus="")

    assert not InvestorProfile.objects.exists()


# --- interest ------------------------------------------------------------------------------------

def test_interest_is_one_row_per_investor_and_presentation_the_latest_wins(world):
    rs = make_roadshow(world)

    first = roadshows.investor_interest_record(actor=world.investor, entry=rs.entry, level=InterestLevel.FOLLOW,
                                               note="关注")
    second = roadshows.investor_interest_record(actor=world.investor, entry=rs.entry,
                                                level=InterestLevel.DUE_DILIGENCE, note="启动尽调")

    assert first.pk == second.pk
    rows = list(InvestorInterest.objects.filter(entry=rs.entry).order_by("registration_id")
                .values_list("registration_id", "level", "note", "recorded_by_id"))
    assert rows == [(rs.reg_investor.pk, "due_diligence", "启动尽调", world.investor.pk),
                    (rs.reg_other_investor.pk, "meeting", OTHER_NOTE, rs.other_investor.pk)]


@pytest.mark.parametrize("who", ["ent_a", "university", "broker", "bureau", "anonymous"])
def test_interest_from_anyone_but_a_registered_investor_is_forbidden(world, who):
    from django.contrib.auth.models import AnonymousUser

    rs = make_roadshow(world)
    actor = world.users()[who] or AnonymousUser()

    with pytest.raises(PermissionDenied) as refused:
        roadshows.investor_interest_record(actor=actor, entry=rs.entry, level=InterestLevel.MEETING)

    assert "Only investors registered for this event" in str(refused.value.message)
    assert list(InvestorInterest.objects.values_list("pk", flat=True)) == [rs.other_interest.pk]


def test_an_investor_not_registered_at_the_event_cannot_record_interest(world):
    rs = make_roadshow(world)
    rs.reg_investor.delete()

    with pytest.raises(PermissionDenied):
        roadshows.investor_interest_record(actor=world.investor, entry=rs.entry, level=InterestLevel.MEETING)

    assert InvestorInterest.objects.count() == 1


def test_a_withdrawn_investor_cannot_record_interest(world):
    rs = make_roadshow(world)
    Registration.objects.filter(pk=rs.reg_investor.pk).update(status=RegistrationStatus.WITHDRAWN)

    with pytest.raises(ApplicationError) as refused:
        roadshows.investor_interest_record(actor=world.investor, entry=rs.entry, level=InterestLevel.MEETING)

    assert refused.value.code == "registration_withdrawn"
    assert "withdrew from this event" in str(refused.value.message)
    assert not InvestorInterest.objects.filter(registration=rs.reg_investor).exists()
    assert not Notification.objects.filter(kind="investor_interest").exists()


def test_interest_in_a_presentation_no_longer_shown_or_with_a_bad_level_is_refused(world):
    rs = make_roadshow(world)

    with pytest.raises(ApplicationError) as hidden:
        roadshows.investor_interest_record(actor=world.investor, entry=rs.restricted_entry,
                                           level=InterestLevel.MEETING)
    with pytest.raises(ValidationError) as bad:
        roadshows.investor_interest_record(actor=world.investor, entry=rs.entry, level="adore")

    assert hidden.value.code == "not_presentable"
    assert "level" in bad.value.message_dict
    assert not InvestorInterest.objects.filter(registration=rs.reg_investor).exists()


def test_a_meeting_request_notifies_the_achievement_organisation_in_each_members_language(world):
    # given two members of the university, one reading English and one Chinese
    rs = make_roadshow(world)
    world.uni_member.preferred_language = "en"
    world.uni_member.save(update_fields=["preferred_language"])
    colleague = member(world.uni, Role.UNIVERSITY_MEMBER, email="colleague@uni.edu.cn",
                       preferred_language="zh-hans")
    member(world.uni, Role.EXPERT, email="expert@uni.edu.cn")  # does not speak for the university

    # when the investor follows (no notice), then asks for a meeting (notice)
    roadshows.investor_interest_record(actor=world.investor, entry=rs.entry, level=InterestLevel.FOLLOW)
    assert not Notification.objects.filter(kind="investor_interest").exists()
    roadshows.investor_interest_record(actor=world.investor, entry=rs.entry, level=InterestLevel.MEETING,
                                       note="下周到访")

    # then each member of the university is told once, in their language, with the note
    notes = {n.user_id: n for n in Notification.objects.filter(kind="investor_interest")}
    assert set(notes) == {world.uni_member.pk, colleague.pk}
    english, chinese = notes[world.uni_member.pk], notes[colleague.pk]
    assert english.title == f"VC Fund wants a meeting about “{world.ach_public.title}”"
    assert "创投基金" in chinese.title and "VC Fund" not in chinese.title
    assert "下周到访" in english.body and "下周到访" in chinese.body
    assert english.url == f"/events/{rs.event.slug}/roadshows/entries/{rs.entry.pk}/investors/"

    # and saving the same level again (a new note) tells nobody again; due diligence does
    roadshows.investor_interest_record(actor=world.investor, entry=rs.entry, level=InterestLevel.MEETING, note="改期")
    assert Notification.objects.filter(kind="investor_interest").count() == 2
    roadshows.investor_interest_record(actor=world.investor, entry=rs.entry, level=InterestLevel.DUE_DILIGENCE)
    latest = Notification.objects.filter(kind="investor_interest", user=world.uni_member).order_by("-pk").first()
    assert latest.title == f"VC Fund starts due diligence on “{world.ach_public.title}”"
    assert Notification.objects.filter(kind="investor_interest").count() == 4


# --- matching ------------------------------------------------------------------------------------

def test_weights_sum_to_one_and_trl_maps_to_stages():
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    assert stages_for_trl(2) == ("angel", "seed")
    assert stages_for_trl(5) == ("seed", "series_a")
    assert stages_for_trl(9) == ("series_a", "series_b", "growth")
    assert stages_for_trl(None) == ()


def test_field_match_and_the_right_stage_beat_a_field_mismatch(world):
    # given an investor in energy storage at seed / series A, and three presentations
    conf = conference(world)
    reg = Registration.objects.create(event=conf.event, organisation=world.investor_org)
    set_profile(reg, stages=["angel", "seed"], fields=["energy-storage"])
    right = AchievementFactory(organisation=world.uni, title="储能·中试", trl=5, fields=[field("energy-storage")])
    late = AchievementFactory(organisation=world.uni, title="储能·量产", trl=8, fields=[field("energy-storage")])
    elsewhere = AchievementFactory(organisation=world.uni, title="AI·中试", trl=5, fields=[field("ai")])
    # added in the opposite order, so that the ranking is not the programme's order
    e_elsewhere, e_late, e_right = (add_entry(conf.roadshow, a) for a in (elsewhere, late, right))

    matches = [m for m in investor_matches(registration=reg) if m.entry is not None]

    # then: field and stage (0.5 + 0.25 + neutral ticket 0.075) > field only > stage only
    assert [(m.entry.pk, m.score) for m in matches] == [(e_right.pk, 0.825), (e_late.pk, 0.575),
                                                       (e_elsewhere.pk, 0.325)]
    codes = [[r.code for r in m.reasons] for m in matches]
    assert codes == [["shared_field", "stage_fit"], ["shared_field", "stage_mismatch"],
                     ["no_shared_field", "stage_fit"]]
    assert [r.message for r in matches[0].reasons] == ["Shared field: Energy storage & batteries",
                                                       "TRL 5 fits your stages: Seed"]
    assert [r.message for r in matches[1].reasons][1] == "TRL 8 suits other stages: Series A, Series B and later, " \
                                                         "Growth / pre-IPO"


def test_ticket_fit_and_focus_are_explained_without_figures(world):
    conf = conference(world)
    reg = Registration.objects.create(event=conf.event, organisation=world.investor_org)
    set_profile(reg, ticket=(7000, 9000), focus="关注锂电池回收与湿法冶金")
    world.ach_public.budget_min, world.ach_public.budget_max = ASK_MIN, ASK_MAX
    world.ach_public.save(update_fields=["budget_min", "budget_max"])
    pricey = AchievementFactory(organisation=world.uni, budget_min=20000, budget_max=30000, keywords=["氢能"])
    entry, other = add_entry(conf.roadshow, world.ach_public), add_entry(conf.roadshow, pricey)

    matches = {m.entry.pk: m for m in investor_matches(registration=reg)}

    fit = matches[entry.pk]
    assert fit.components == {"fields": 0.5, "stage": 0.5, "ticket": 1.0, "focus": 1.0}
    assert [r.message for r in fit.reasons] == ["Asking price within your ticket range",
                                                "Your focus mentions: 锂电池, 湿法冶金"]
    assert matches[other.pk].components["ticket"] == 0.0 and matches[other.pk].reasons == []
    text = " ".join(r.message for m in matches.values() for r in m.reasons)
    for figure in (ASK_MIN, ASK_MAX, 20000, 30000, 7000, 9000):
        assert str(figure) not in text


def test_presentations_come_before_entered_achievements_and_ties_go_by_id(world):
    # given two identical presentations, a perfect achievement entered but not presented, and a
    # restricted one entered (never recommended)
    conf = conference(world)
    reg = Registration.objects.create(event=conf.event, organisation=world.investor_org)
    set_profile(reg, stages=["seed"], fields=["energy-storage"])
    twin_a, twin_b = (AchievementFactory(organisation=world.uni, trl=8, fields=[field("ai")]) for _ in range(2))
    e_b, e_a = add_entry(conf.roadshow, twin_b), add_entry(conf.roadshow, twin_a)
    perfect = AchievementFactory(organisation=world.uni, trl=5, fields=[field("energy-storage")])
    for achievement in (perfect, world.ach_restricted):
        EventListing.objects.create(event=conf.event, registration=conf.reg_uni, achievement=achievement)

    matches = investor_matches(registration=reg)

    ranked = [(m.entry.pk if m.entry else None, m.achievement.pk) for m in matches]
    # (ach_public, entered by the builder and as good a fit as ``perfect``, comes first by its id)
    assert ranked == [(e_b.pk, twin_b.pk), (e_a.pk, twin_a.pk), (None, world.ach_public.pk), (None, perfect.pk)]
    assert world.ach_restricted.pk not in [m.achievement.pk for m in matches]
    assert investor_matches(registration=reg, limit=2) == matches[:2]


def test_hidden_achievements_and_withdrawn_investors_get_no_matches(world):
    rs = make_roadshow(world)
    Achievement.objects.filter(pk=rs.members_entry.achievement_id).update(
        status=ListingStatus.WITHDRAWN)

    ranked = [m.achievement.pk for m in investor_matches(registration=rs.reg_investor)]

    assert ranked == [world.ach_public.pk]  # neither the restricted nor the withdrawn one
    Registration.objects.filter(pk=rs.reg_investor.pk).update(status=RegistrationStatus.WITHDRAWN)
    rs.reg_investor.refresh_from_db()
    assert investor_matches(registration=rs.reg_investor) == []


def test_entry_investors_ranks_the_investors_with_a_profile_for_the_owner(world):
    rs = make_roadshow(world)
    set_profile(rs.reg_investor, stages=["seed"], fields=["energy-storage"], ticket=(7000, 9000))
    set_profile(rs.reg_other_investor, stages=["growth"], fields=["ai"])
    late = Registration.objects.create(
        event=rs.event, organisation=OrganisationFactory(kind=OrganisationKind.INVESTOR, credit_code=""),
        status=RegistrationStatus.WITHDRAWN)
    set_profile(late, fields=["energy-storage"])

    matches = entry_investors(entry=rs.entry)

    assert [m.registration.pk for m in matches] == [rs.reg_investor.pk, rs.reg_other_investor.pk]
    assert [r.message for r in matches[0].reasons] == [
        "Shared field: Energy storage & batteries", "TRL 6 fits the investor's stages: Seed",
        "Asking price within the investor's ticket range"]
    assert matches[1].interest.pk == rs.other_interest.pk and matches[0].interest is None
