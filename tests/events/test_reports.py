"""The event report's figures (events.reports): every figure equals a count taken straight from
the database here, for the whole event and narrowed by area and field; the report's query count
does not grow with the event.

``report_event(world)`` builds on ``conference(world)`` an event with two areas, registrations of
every kind (one withdrawn, with a listing and a pair that must not count), listings in one, two or
no fields, pairs in every status (and pairs that are not the event's: superseded, of a withdrawn
organisation, of a listing not entered — one of them signed), negotiations held, missed, planned
and cancelled, two agreements, and roadshow presentations with investors' interest."""

from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.enums import OrganisationKind
from catalog.enums import CooperationMode
from events import reports
from events.enums import InterestLevel, PlanStatus, RegistrationStatus
from events.models import (
    EventListing,
    ExhibitionArea,
    InvestorInterest,
    InvestorProfile,
    Registration,
    RoadshowEntry,
    ScheduledMeeting,
)
from matchmaking.models import (
    Agreement,
    Meeting,
    MeetingMode,
    MeetingStatus,
    PairEvent,
    Suggestion,
    SuggestionStatus,
)
from tests.events.builders import conference
from tests.factories import AchievementFactory, OrganisationFactory, RequirementFactory, field
from tests.matchmaking.builders import make_run, make_suggestion

S = SuggestionStatus

# Per funnel stage, the statuses that mean a pair reached it (the lifecycle's transitions).
REACHED_BY_STATUS = {
    "suggested": list(S.values),
    "approved": [S.APPROVED, S.SENT, S.DECLINED, S.MUTUAL, S.NO_DEAL, S.MEETING, S.MET, S.SIGNED],
    "sent": [S.SENT, S.DECLINED, S.MUTUAL, S.NO_DEAL, S.MEETING, S.MET, S.SIGNED],
    "mutual": [S.MUTUAL, S.NO_DEAL, S.MEETING, S.MET, S.SIGNED],
    "meeting": [S.MEETING, S.MET, S.SIGNED],
    "met": [S.MET, S.SIGNED],
    "signed": [S.SIGNED],
}
# Names and amounts that the public summary must never show.
ORG_NAMES = ("甲企业", "Enterprise A", "乙企业", "Enterprise B", "东北测试大学", "NE Test University",
             "丙企业", "创投基金", "VC Fund")
AMOUNT_SIGNED = Decimal("120.50")
AMOUNT_SIGNED_2 = Decimal("35.25")
AMOUNT_OUTSIDE = Decimal("999.99")


@dataclass
class ReportEvent:
    conf: object
    event: object
    energy: object  # area: energy storage
    smart: object  # area: smart manufacturing
    regs: dict
    listings: dict
    pairs: dict
    agreements: list
    entries: list
    outsiders: dict = dc_field(default_factory=dict)


def _meeting(pair, status, *, when=None) -> Meeting:
    return Meeting.objects.create(suggestion=pair, mode=MeetingMode.CONFERENCE, status=status,
                                  starts_at=when or timezone.now() - timedelta(hours=2), location="A馆")


def _agreement(world, pair, amount, contract_type, *, days_ago=1) -> Agreement:
    return Agreement.objects.create(
        suggestion=pair, contract_type=contract_type, amount=amount,
        signed_on=timezone.localdate() - timedelta(days=days_ago),
        requirement_organisation=pair.requirement.organisation, achievement_organisation=pair.achievement.organisation,
        broker=world.broker, recorded_by=world.bureau)


def _events(pair, path: list[str]) -> None:
    """The pair's audit trail: a transition into each status of ``path`` in turn."""
    for seq, (before, after) in enumerate(zip(path, path[1:], strict=False), 1):
        PairEvent.objects.create(suggestion=pair, seq=seq, action="transition", from_status=before, to_status=after)


def report_event(world) -> ReportEvent:
    conf = conference(world)
    event, energy, run = conf.event, conf.area, conf.event.run
    smart = ExhibitionArea.objects.create(event=event, code="smart", name_zh="智能制造展区",
                                          name_en="Smart manufacturing", order=1)
    smart.fields.add(field("robotics"), field("smart-manufacturing"))
    now = timezone.now()

    # Registrations: enterprise A and the university (from the conference, both checked in), enterprise B,
    # two investors, the agency; enterprise C withdrew after entering a requirement.
    Registration.objects.filter(pk__in=[conf.reg_ent_a.pk, conf.reg_uni.pk]).update(checked_in_at=now)
    reg_b = Registration.objects.create(event=event, organisation=world.ent_b)
    reg_inv = Registration.objects.create(event=event, organisation=world.investor_org, checked_in_at=now)
    InvestorProfile.objects.create(registration=reg_inv, stages=["angel"], ticket_min=100, ticket_max=500)
    angel = OrganisationFactory(kind=OrganisationKind.INVESTOR, name_zh="天使基金", name_en="Angel Fund",
                                credit_code="")
    reg_angel = Registration.objects.create(event=event, organisation=angel)
    reg_agency = Registration.objects.create(event=event, organisation=world.agency)
    ent_c = OrganisationFactory(name_zh="丙企业", name_en="Enterprise C")
    reg_c = Registration.objects.create(event=event, organisation=ent_c, status=RegistrationStatus.WITHDRAWN,
                                        withdrawn_at=now, checked_in_at=now)

    # Listings: req_members in two fields, req_b in none of the areas (its fields place its pairs),
    # restricted ones on both sides, an achievement nobody is paired with.
    world.req_members.fields.set([field("robotics"), field("ai")])
    world.ach_restricted.fields.set([field("robotics")])
    req_b = RequirementFactory(organisation=world.ent_b, title="乙企业需求：储能电站", fields=[field("energy-storage")])
    ach_x = AchievementFactory(organisation=world.uni, title="公开成果：焊接机器人", fields=[field("robotics")])
    ach_lonely = AchievementFactory(organisation=world.uni, title="公开成果：无人问津", fields=[field("hydrogen")])
    req_c = RequirementFactory(organisation=ent_c, title="丙企业需求：退出", fields=[field("energy-storage")])
    for reg, kw in ((conf.reg_ent_a, {"requirement": world.req_members, "area": smart}),
                    (conf.reg_ent_a, {"requirement": world.req_restricted, "area": energy}),
                    (reg_b, {"requirement": req_b}),
                    (conf.reg_uni, {"achievement": world.ach_restricted, "area": smart}),
                    (conf.reg_uni, {"achievement": ach_x, "area": smart}),
                    (conf.reg_uni, {"achievement": ach_lonely, "area": energy}),
                    (reg_c, {"requirement": req_c, "area": energy})):
        EventListing.objects.create(event=event, registration=reg, entered_by=world.bureau, **kw)

    pairs = {
        "mutual": conf.pair,  # req_public ↔ ach_public
        "signed": make_suggestion(run, world.req_members, world.ach_restricted, status=S.SIGNED, broker=world.broker),
        "signed_2": make_suggestion(run, req_b, ach_x, status=S.SIGNED, broker=world.broker),
        "met": make_suggestion(run, world.req_restricted, world.ach_public, status=S.MET, broker=world.broker),
        "no_deal": make_suggestion(run, req_b, world.ach_public, status=S.NO_DEAL, broker=world.broker),
        "rejected": make_suggestion(run, world.req_public, world.ach_restricted, status=S.REJECTED),
        "sent": make_suggestion(run, world.req_members, world.ach_public, status=S.SENT, broker=world.broker),
        "declined": make_suggestion(run, world.req_restricted, world.ach_restricted, status=S.DECLINED),
        "suggested": make_suggestion(run, req_b, world.ach_restricted, status=S.SUGGESTED),
        "approved": make_suggestion(run, world.req_public, ach_x, status=S.APPROVED),
    }
    # The no-deal pair met before it ended: its audit trail says so.
    _events(pairs["no_deal"], [S.SENT, S.MUTUAL, S.MEETING, S.MET, S.NO_DEAL])
    old_run = make_run(world, scope_key=event.scope_key)
    outside = make_suggestion(run, world.req_draft, world.ach_screened, status=S.SIGNED)
    outsiders = {
        "superseded": make_suggestion(old_run, world.req_public, world.ach_public, status=S.SUPERSEDED),
        "withdrawn": make_suggestion(run, req_c, world.ach_public, status=S.SENT),
        "not_entered": outside,
    }
    agreements = [_agreement(world, pairs["signed"], AMOUNT_SIGNED, CooperationMode.TRANSFER),
                  _agreement(world, pairs["signed_2"], AMOUNT_SIGNED_2, CooperationMode.DEVELOPMENT, days_ago=0)]
    outsiders["agreement"] = _agreement(world, outside, AMOUNT_OUTSIDE, CooperationMode.TRANSFER)

    # Negotiations: held with both checked in, held without check-in, missed with the enterprise
    # only, planned, and a cancelled one.
    slots, tables = conf.slots, conf.tables
    plan = [
        (pairs["met"], slots[0], tables[0], PlanStatus.CONFIRMED, MeetingStatus.HELD, now, now),
        (pairs["no_deal"], slots[0], tables[1], PlanStatus.CONFIRMED, MeetingStatus.HELD, None, None),
        (pairs["mutual"], slots[1], tables[0], PlanStatus.CONFIRMED, MeetingStatus.MISSED, now, None),
        (pairs["sent"], slots[1], tables[1], PlanStatus.PLANNED, None, None, None),
        (pairs["mutual"], slots[2], tables[0], PlanStatus.CANCELLED, MeetingStatus.CANCELLED, None, None),
    ]
    for pair, slot, table, plan_status, meeting_status, req_at, ach_at in plan:
        ScheduledMeeting.objects.create(
            event=event, suggestion=pair, slot=slot, table=table, status=plan_status,
            meeting=_meeting(pair, meeting_status) if meeting_status else None,
            requirement_checked_in_at=req_at, achievement_checked_in_at=ach_at)

    entries = [RoadshowEntry.objects.create(session=conf.roadshow, achievement=world.ach_public, order=0),
               RoadshowEntry.objects.create(session=conf.roadshow, achievement=world.ach_restricted, order=1),
               RoadshowEntry.objects.create(session=conf.roadshow, achievement=ach_lonely, order=2)]
    InvestorInterest.objects.create(entry=entries[0], registration=reg_inv, level=InterestLevel.MEETING)
    InvestorInterest.objects.create(entry=entries[0], registration=reg_angel, level=InterestLevel.FOLLOW)
    InvestorInterest.objects.create(entry=entries[1], registration=reg_inv, level=InterestLevel.DECLINED)
    return ReportEvent(
        conf=conf, event=event, energy=energy, smart=smart,
        regs={"ent_a": conf.reg_ent_a, "uni": conf.reg_uni, "ent_b": reg_b, "investor": reg_inv, "angel": reg_angel,
              "agency": reg_agency, "withdrawn": reg_c},
        listings={"req_b": req_b, "ach_x": ach_x, "ach_lonely": ach_lonely, "req_c": req_c},
        pairs=pairs, agreements=agreements, entries=entries, outsiders=outsiders,
    )


def add_signed_pair(world, data: ReportEvent, amount: Decimal) -> Agreement:
    """One more achievement entered, paired with req_public, signed."""
    ach = AchievementFactory(organisation=world.uni, title=f"成果 {amount}")
    EventListing.objects.create(event=data.event, registration=data.regs["uni"], achievement=ach, area=data.energy)
    pair = make_suggestion(data.event.run, world.req_public, ach, status=S.SIGNED)
    return _agreement(world, pair, amount, CooperationMode.LICENCE)


# --- the figures, straight from the database -------------------------------------------------------

def db_entered(event, kind: str, *, area=None, field_id=None):
    """Entered listings of active registrations (ids), narrowed like the report."""
    rows = EventListing.objects.filter(event=event, registration__status=RegistrationStatus.REGISTERED,
                                       **{f"{kind}__isnull": False})
    if area is not None:
        rows = rows.filter(area=area)
    if field_id is not None:
        rows = rows.filter(**{f"{kind}__fields": field_id})
    return set(rows.values_list(f"{kind}_id", flat=True))


def db_pairs(event, *, area=None, field_id=None):
    reqs, achs = db_entered(event, "requirement"), db_entered(event, "achievement")
    pairs = Suggestion.objects.filter(requirement_id__in=reqs, achievement_id__in=achs).exclude(status=S.SUPERSEDED)
    if area is not None:
        # The requirement's area, else the achievement's, else the area of the requirement's fields.
        listings = EventListing.objects.filter(event=event)
        in_area = Q(requirement_id__in=listings.filter(area=area).values("requirement_id"))
        no_area = Q(requirement_id__in=listings.filter(area__isnull=True).values("requirement_id"))
        ach_in_area = Q(achievement_id__in=listings.filter(area=area).values("achievement_id"))
        ach_no_area = Q(achievement_id__in=listings.filter(area__isnull=True).values("achievement_id"))
        by_fields = Q(requirement__fields__in=area.fields.all())
        pairs = pairs.filter(in_area | (no_area & ach_in_area) | (no_area & ach_no_area & by_fields))
    if field_id is not None:
        pairs = pairs.filter(requirement__fields=field_id)
    return pairs.distinct()


def db_reached(pairs, stage: str) -> int:
    return pairs.filter(Q(status__in=REACHED_BY_STATUS[stage]) | Q(events__to_status=stage)).distinct().count()


def assert_report_matches_database(report: dict, event, *, area=None, field_id=None) -> None:
    # Registrations (the whole event's, whatever the filters).
    regs = Registration.objects.filter(event=event)
    active = regs.filter(status=RegistrationStatus.REGISTERED)
    assert report["registrations"]["active"] == active.count()
    assert report["registrations"]["withdrawn"] == regs.filter(status=RegistrationStatus.WITHDRAWN).count()
    assert report["registrations"]["checked_in"] == active.filter(checked_in_at__isnull=False).count()
    for row in report["registrations"]["by_kind"]:
        assert row["n"] == active.filter(organisation__kind=row["kind"]).count(), row
    assert sum(row["n"] for row in report["registrations"]["by_kind"]) == active.count()

    # Entered listings.
    reqs = db_entered(event, "requirement", area=area, field_id=field_id)
    achs = db_entered(event, "achievement", area=area, field_id=field_id)
    assert report["listings"]["requirements"] == len(reqs)
    assert report["listings"]["achievements"] == len(achs)

    # Pre-docking coverage: over all the event's pairs.
    all_pairs = db_pairs(event)
    cov = report["coverage"]
    assert cov["requirements"]["entered"] == len(reqs)
    assert cov["requirements"]["with_candidates"] == all_pairs.filter(requirement_id__in=reqs).values(
        "requirement_id").distinct().count()
    assert cov["requirements"]["sent"] == all_pairs.filter(
        requirement_id__in=reqs, status__in=REACHED_BY_STATUS["sent"]).values("requirement_id").distinct().count()
    assert cov["achievements"]["with_candidates"] == all_pairs.filter(achievement_id__in=achs).values(
        "achievement_id").distinct().count()
    assert cov["achievements"]["sent"] == all_pairs.filter(
        achievement_id__in=achs, status__in=REACHED_BY_STATUS["sent"]).values("achievement_id").distinct().count()

    # Pairs: statuses and the funnel.
    pairs = db_pairs(event, area=area, field_id=field_id)
    sug = report["suggestions"]
    assert sug["total"] == pairs.count()
    for row in sug["by_status"]:
        assert row["n"] == pairs.filter(status=row["status"]).count(), row
    funnel = {row["stage"]: row for row in sug["funnel"]}
    assert list(funnel) == list(REACHED_BY_STATUS)
    for stage in REACHED_BY_STATUS:
        assert funnel[stage]["n"] == db_reached(pairs, stage), stage
    for previous, stage in zip(list(funnel), list(funnel)[1:], strict=False):
        expected = round(100 * funnel[stage]["n"] / funnel[previous]["n"], 1) if funnel[previous]["n"] else None
        assert funnel[stage]["rate"] == expected
    for row in sug["ended"]:
        assert row["n"] == pairs.filter(status=row["stage"]).count()

    # Negotiations.
    planned = ScheduledMeeting.objects.filter(event=event, suggestion__in=pairs)
    confirmed = planned.filter(status=PlanStatus.CONFIRMED)
    meetings = report["meetings"]
    assert meetings["scheduled"] == planned.filter(status__in=[PlanStatus.PLANNED, PlanStatus.CONFIRMED]).count()
    assert meetings["confirmed"] == confirmed.count()
    assert meetings["held"] == planned.filter(meeting__status=MeetingStatus.HELD).count()
    assert meetings["missed"] == planned.filter(meeting__status=MeetingStatus.MISSED).count()
    assert meetings["requirement_checked_in"] == confirmed.filter(requirement_checked_in_at__isnull=False).count()
    assert meetings["achievement_checked_in"] == confirmed.filter(achievement_checked_in_at__isnull=False).count()
    assert meetings["both_checked_in"] == confirmed.filter(requirement_checked_in_at__isnull=False,
                                                           achievement_checked_in_at__isnull=False).count()

    # Agreements.
    signed = Agreement.objects.filter(suggestion__in=pairs)
    agreements = report["agreements"]
    assert agreements["count"] == signed.count()
    assert agreements["amount"] == (signed.aggregate(total=Sum("amount"))["total"] or Decimal("0"))
    by_type = {row["type"]: row for row in agreements["by_type"]}
    assert set(by_type) == set(signed.values_list("contract_type", flat=True))
    for contract_type, row in by_type.items():
        of_type = signed.filter(contract_type=contract_type)
        assert row["n"] == of_type.count()
        assert row["amount"] == of_type.aggregate(total=Sum("amount"))["total"]
    assert sorted(row["id"] for row in agreements["rows"]) == sorted(signed.values_list("pk", flat=True))
    for row in agreements["rows"]:
        agreement = signed.get(pk=row["id"])
        assert (row["amount"], row["signed_on"], row["contract_type"]) == (
            agreement.amount, agreement.signed_on, agreement.contract_type)
        assert row["enterprise"] == str(agreement.requirement_organisation)
        assert row["university"] == str(agreement.achievement_organisation)


def test_report_figures_equal_the_database_for_the_whole_event(world):
    # Given an event with data of every kind, including rows that are not the event's
    data = report_event(world)
    # When the report is computed
    report = reports.event_report(event=data.event)
    # Then every figure equals the database's
    assert_report_matches_database(report, data.event)
    # And the rows that are not the event's count nowhere
    assert report["suggestions"]["total"] == len(data.pairs)
    assert AMOUNT_OUTSIDE not in [row["amount"] for row in report["agreements"]["rows"]]
    assert report["agreements"]["amount"] == AMOUNT_SIGNED + AMOUNT_SIGNED_2
    # And the no-deal pair counts as met through its audit trail
    met = Suggestion.objects.filter(pk__in=[p.pk for p in data.pairs.values()], status__in=[S.MET, S.SIGNED]).count()
    assert next(r["n"] for r in report["suggestions"]["funnel"] if r["stage"] == "met") == met + 1


def test_report_roadshow_figures_equal_the_database(world):
    data = report_event(world)
    report = reports.event_report(event=data.event)["roadshows"]
    interests = InvestorInterest.objects.filter(entry__session__event=data.event)
    assert report["presentations"] == RoadshowEntry.objects.filter(session__event=data.event).count()
    assert report["investors"] == Registration.objects.filter(
        event=data.event, status=RegistrationStatus.REGISTERED, organisation__kind=OrganisationKind.INVESTOR).count()
    assert report["interests"] == interests.count()
    assert report["presentations_with_interest"] == interests.exclude(
        level=InterestLevel.DECLINED).values("entry_id").distinct().count()
    for row in report["by_level"]:
        assert row["n"] == interests.filter(level=row["level"]).count()


def test_report_area_and_field_tables_equal_the_database(world):
    data = report_event(world)
    report = reports.event_report(event=data.event)
    areas = {row["key"]: row for row in report["areas"]}
    # Both areas have a row (req_b has no area: its listing counts under "no area").
    assert {data.energy.pk, data.smart.pk} <= set(areas)
    for area in (data.energy, data.smart):
        row = areas[area.pk]
        pairs = db_pairs(data.event, area=area)
        assert row["requirements"] == len(db_entered(data.event, "requirement", area=area))
        assert row["achievements"] == len(db_entered(data.event, "achievement", area=area))
        assert row["pairs"] == pairs.count()
        assert row["mutual"] == db_reached(pairs, "mutual")
        assert row["meetings_held"] == ScheduledMeeting.objects.filter(
            event=data.event, suggestion__in=pairs, meeting__status=MeetingStatus.HELD).count()
        signed = Agreement.objects.filter(suggestion__in=pairs)
        assert row["agreements"] == signed.count()
        assert row["amount"] == (signed.aggregate(total=Sum("amount"))["total"] or Decimal("0"))
    assert areas[None]["requirements"] == EventListing.objects.filter(
        event=data.event, area__isnull=True, registration__status=RegistrationStatus.REGISTERED).count()
    fields = {row["key"]: row for row in report["fields"]}
    robotics, ai = field("robotics"), field("ai")
    for f in (robotics, ai, field("energy-storage")):
        row = fields[f.pk]
        pairs = db_pairs(data.event, field_id=f.pk)
        assert row["requirements"] == len(db_entered(data.event, "requirement", field_id=f.pk))
        assert row["achievements"] == len(db_entered(data.event, "achievement", field_id=f.pk))
        assert row["pairs"] == pairs.count()
        assert row["agreements"] == Agreement.objects.filter(suggestion__in=pairs).count()
    # A listing in two fields counts in both.
    assert fields[robotics.pk]["requirements"] >= 1 and fields[ai.pk]["requirements"] >= 1
    assert (sum(r["requirements"] for r in report["fields"]) > report["listings"]["requirements"])


def test_report_narrowed_to_an_area_equals_the_database(world):
    data = report_event(world)
    report = reports.event_report(event=data.event, area_id=data.smart.pk)
    assert_report_matches_database(report, data.event, area=data.smart)
    assert [row["key"] for row in report["areas"]] == [data.smart.pk]
    # The suggested pair of req_b (no area) with an achievement in the smart area is the area's.
    assert report["suggestions"]["total"] == db_pairs(data.event, area=data.smart).count() > 0


def test_report_narrowed_to_a_field_equals_the_database(world):
    data = report_event(world)
    robotics = field("robotics")
    report = reports.event_report(event=data.event, field_id=robotics.pk)
    assert_report_matches_database(report, data.event, field_id=robotics.pk)
    assert {row["key"] for row in report["fields"]} == {robotics.pk}
    assert report["agreements"]["count"] == 1  # req_members (robotics, ai) ↔ ach_restricted


def test_report_of_an_empty_event_has_no_rates(world):
    conf = conference(world)
    EventListing.objects.filter(event=conf.event).delete()
    report = reports.event_report(event=conf.event)
    assert report["suggestions"]["total"] == 0
    assert all(row["rate"] is None and row["n"] == 0 for row in report["suggestions"]["funnel"])
    assert report["coverage"]["requirements"]["with_candidates_pct"] is None
    assert report["agreements"] == {"count": 0, "amount": Decimal("0.00"), "by_type": [], "rows": []}


def _report_queries(event) -> int:
    with CaptureQueriesContext(connection) as queries:
        reports.event_report(event=event)
    return len(queries)


def test_report_query_count_is_the_same_with_1_and_3_agreements(world):
    # Given an event whose pairs signed one agreement
    conf = conference(world)
    data = ReportEvent(conf=conf, event=conf.event, energy=conf.area, smart=None,
                       regs={"uni": conf.reg_uni}, listings={}, pairs={}, agreements=[], entries=[])
    add_signed_pair(world, data, Decimal("10.00"))
    one = _report_queries(conf.event)
    # When two more are signed (with their listings, pairs, fields)
    add_signed_pair(world, data, Decimal("20.00"))
    add_signed_pair(world, data, Decimal("30.00"))
    three = _report_queries(conf.event)
    # Then the report reads the database as many times
    assert reports.event_report(event=conf.event)["agreements"]["count"] == 3
    assert one == three


def test_report_query_count_does_not_grow_with_the_whole_event(world):
    data = report_event(world)
    before = _report_queries(data.event)
    add_signed_pair(world, data, Decimal("10.00"))
    RoadshowEntry.objects.create(session=data.conf.roadshow, achievement=world.ach_screened, order=5)
    assert _report_queries(data.event) == before


def test_summary_holds_totals_only(world):
    data = report_event(world)
    data.event.summary_note_zh, data.event.summary_note_en = "感谢参会", "Thank you"
    summary = reports.event_summary(event=data.event)
    report = reports.event_report(event=data.event)
    assert summary["organisations"] == report["registrations"]["active"]
    assert summary["agreements"] == Agreement.objects.filter(suggestion__in=db_pairs(data.event)).count()
    assert summary["amount"] == AMOUNT_SIGNED + AMOUNT_SIGNED_2
    assert summary["negotiations_held"] == ScheduledMeeting.objects.filter(
        event=data.event, meeting__status=MeetingStatus.HELD).count()
    assert summary["note"] == "感谢参会"
    text = repr(summary)
    for secret in (*ORG_NAMES, str(AMOUNT_SIGNED), str(AMOUNT_SIGNED_2), world.req_restricted.title,
                   world.ach_restricted.title):
        assert secret not in text
