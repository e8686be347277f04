"""Reads of events, with visibility in one place (``events.rules``).

The pairs of an event are the pre-docking suggestions between two listings entered into it,
whatever run produced them (the event's own, or the catalogue-wide one before it); superseded
suggestions are never counted."""

from copy import copy
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from accounts.rules import roles_for
from events import rules
from events.enums import EventStatus, RegistrationStatus
from events.models import Event, EventListing, ExhibitionArea, Registration


def event_list_for_user(*, user) -> QuerySet[Event]:
    events = Event.objects.select_related("organiser", "series")
    if roles_for(user).is_bureau:
        return events
    return events.exclude(status=EventStatus.DRAFT)


def event_get_for_user(*, user, slug: str) -> Event | None:
    """None when the event does not exist or the user may not see it (views answer 404)."""
    return event_list_for_user(user=user).filter(slug=slug).first()


def registration_for(*, event: Event, organisation_id: int) -> Registration | None:
    return Registration.objects.filter(event=event, organisation_id=organisation_id).first()


def registrations_for_user(*, user, event: Event) -> list[Registration]:
    """The registrations the user acts for at this event (their own organisations')."""
    roles = roles_for(user)
    regs = Registration.objects.filter(event=event, organisation_id__in=roles.org_ids).select_related("organisation")
    return [reg for reg in regs if rules.acts_for(user, reg.organisation)]


def event_listing_ids(*, event: Event, active_only: bool = True) -> tuple[list[int], list[int]]:
    """(requirement ids, achievement ids) entered into the event by active registrations."""
    rows = EventListing.objects.filter(event=event)
    if active_only:
        rows = rows.filter(registration__status=RegistrationStatus.REGISTERED)
    req_ids = sorted(i for i in rows.values_list("requirement_id", flat=True) if i is not None)
    ach_ids = sorted(i for i in rows.values_list("achievement_id", flat=True) if i is not None)
    return req_ids, ach_ids


def event_suggestions(*, event: Event, statuses=None) -> QuerySet:
    """The event's pairs: suggestions between two of its (actively) entered listings, newest
    run's row per pair first. ``statuses`` narrows them (e.g. ``(SuggestionStatus.MUTUAL,)``)."""
    from matchmaking.models import Suggestion, SuggestionStatus

    req_ids, ach_ids = event_listing_ids(event=event)
    pairs = (Suggestion.objects.filter(requirement_id__in=req_ids, achievement_id__in=ach_ids)
             .exclude(status=SuggestionStatus.SUPERSEDED))
    if statuses is not None:
        pairs = pairs.filter(status__in=list(statuses))
    return pairs.select_related("requirement", "achievement", "broker", "run")


def best_area(field_ids, areas):
    """The key of the area whose fields overlap ``field_ids`` the most; ties go to the first
    (areas come in their order); None when no area shares a field. ``areas`` is an iterable of
    (key, set of field ids) — every caller that places listings or pairs decides with this."""
    field_ids = set(field_ids)
    best, best_overlap = None, 0
    for key, area_fields in areas:
        overlap = len(field_ids & area_fields)
        if overlap > best_overlap:
            best, best_overlap = key, overlap
    return best


def areas_with_fields(*, event: Event) -> list[tuple[ExhibitionArea, set[int]]]:
    """The event's areas in their order, each with its field ids (two queries)."""
    areas = ExhibitionArea.objects.filter(event=event).prefetch_related("fields").order_by("order", "code")
    return [(area, {f.pk for f in area.fields.all()}) for area in areas]


def area_for_fields(*, event: Event, field_ids, areas: list | None = None) -> ExhibitionArea | None:
    """The themed area whose fields overlap the listing's the most (ties: the area's order).
    ``areas`` (from ``areas_with_fields``) spares the queries when placing many listings."""
    return best_area(field_ids, areas if areas is not None else areas_with_fields(event=event))


# --- the pre-docking status board and the parties' candidates ---------------------------------

# A requirement's progress on the status board, in order.
BOARD_STATES = ("no_candidates", "suggested", "viewed", "both_interested", "meeting_booked")


@dataclass
class BoardRow:
    entry: EventListing
    requirement: object
    organisation: object
    area: ExhibitionArea | None
    counts: dict  # suggestion status -> pairs
    candidates: int  # pairs other than those a broker rejected
    sent: int  # pairs released to the parties
    viewed: int  # sent pairs the enterprise opened
    state: str


def _board_state(counts: dict, *, viewed: int, booked: int) -> str:
    from matchmaking.models import THREAD_STATUSES, SuggestionStatus

    if booked:
        return "meeting_booked"
    if any(counts.get(status) for status in THREAD_STATUSES):
        return "both_interested"
    if viewed:
        return "viewed"
    if any(n for status, n in counts.items() if status != SuggestionStatus.REJECTED):
        return "suggested"
    return "no_candidates"


def status_board(*, event: Event, area_id: int | None = None, state: str | None = None) -> dict:
    """One row per requirement entered by an active registration (optionally of one area), with
    its pairs counted by status and its state (``BOARD_STATES``): no candidates (none, or only
    pairs a broker rejected); suggested; viewed (the enterprise opened a pair sent to it); both
    interested (a pair mutual or later); meeting booked (a pair on the event's plan, or with a
    confirmed or held meeting). ``totals`` counts the rows of each state before ``state``
    narrows them. Two queries, whatever the number of rows."""
    from django.db.models import Count, Exists, OuterRef

    from events.enums import ACTIVE_PLAN_STATUSES
    from events.models import ScheduledMeeting
    from matchmaking.models import PARTY_STATUSES, Meeting, MeetingStatus, Suggestion, SuggestionStatus

    entered = EventListing.objects.filter(event=event, requirement__isnull=False,
                                          registration__status=RegistrationStatus.REGISTERED)
    if area_id is not None:
        entered = entered.filter(area_id=area_id)
    entries = list(entered.select_related("requirement__organisation", "area").order_by(
        "area__order", "area__code", "requirement__title", "pk"))
    stats: dict[int, dict] = {}
    if entries:
        achievements = EventListing.objects.filter(event=event, achievement__isnull=False,
                                                   registration__status=RegistrationStatus.REGISTERED)
        on_plan = ScheduledMeeting.objects.filter(event=event, suggestion=OuterRef("pk"),
                                                  status__in=ACTIVE_PLAN_STATUSES)
        met = Meeting.objects.filter(suggestion=OuterRef("pk"), status__in=[MeetingStatus.CONFIRMED,
                                                                            MeetingStatus.HELD])
        grouped = (Suggestion.objects
                   .filter(requirement_id__in=[e.requirement_id for e in entries],
                           achievement_id__in=achievements.values("achievement_id"))
                   .exclude(status=SuggestionStatus.SUPERSEDED)
                   .values("requirement_id", "status")
                   .annotate(n=Count("pk"),
                             viewed=Count("pk", filter=Q(status__in=PARTY_STATUSES,
                                                         requirement_viewed_at__isnull=False)),
                             booked=Count("pk", filter=Q(Exists(on_plan)) | Q(Exists(met))))
                   .order_by())
        for row in grouped:
            stat = stats.setdefault(row["requirement_id"], {"counts": {}, "viewed": 0, "booked": 0, "sent": 0})
            stat["counts"][row["status"]] = row["n"]
            stat["viewed"] += row["viewed"]
            stat["booked"] += row["booked"]
            if row["status"] in PARTY_STATUSES:
                stat["sent"] += row["n"]
    rows: list[BoardRow] = []
    for entry in entries:
        requirement = entry.requirement
        if requirement is None:  # never: entries are filtered on requirement__isnull=False
            continue
        stat = stats.get(requirement.pk, {"counts": {}, "viewed": 0, "booked": 0, "sent": 0})
        counts = stat["counts"]
        rows.append(BoardRow(
            entry=entry, requirement=requirement, organisation=requirement.organisation, area=entry.area,
            counts=counts, candidates=sum(n for s, n in counts.items() if s != SuggestionStatus.REJECTED),
            sent=stat["sent"], viewed=stat["viewed"],
            state=_board_state(counts, viewed=stat["viewed"], booked=stat["booked"])))
    totals = {name: 0 for name in BOARD_STATES}
    for board_row in rows:
        totals[board_row.state] += 1
    if state is not None:
        rows = [board_row for board_row in rows if board_row.state == state]
    return {"rows": rows, "totals": totals, "count": sum(totals.values())}


@dataclass
class CandidateGroup:
    entry: EventListing
    listing: object
    kind: str  # "requirement" or "achievement"
    pairs: list = field(default_factory=list)  # Suggestion rows, each with .counterpart and .awaiting


def my_event_candidates(*, user, event: Event) -> list[CandidateGroup]:
    """A party's view of the pre-docking: the user's organisations' listings entered into the
    event (by active registrations), each with its pairs whose counterpart is entered too —
    only pairs released to the parties and visible to the user
    (``matchmaking.selectors.suggestion_queryset_for_user``), never those awaiting a broker.
    ``pair.awaiting``: the user's side has not answered yet. Four queries at most."""
    from matchmaking.models import PARTY_STATUSES, Side, SuggestionStatus
    from matchmaking.selectors import suggestion_queryset_for_user

    roles = roles_for(user)
    req_orgs, ach_orgs = roles.requirement_org_ids, roles.achievement_org_ids
    if not (req_orgs or ach_orgs):
        return []
    active = EventListing.objects.filter(event=event, registration__status=RegistrationStatus.REGISTERED)
    entries = list(active.filter(Q(requirement__organisation_id__in=req_orgs)
                                 | Q(achievement__organisation_id__in=ach_orgs))
                   .select_related("requirement", "achievement", "area").order_by("pk"))
    if not entries:
        return []
    groups = {(("requirement", e.requirement_id) if e.requirement_id else ("achievement", e.achievement_id)):
              CandidateGroup(entry=e, listing=e.listing, kind="requirement" if e.requirement_id else "achievement")
              for e in entries}
    req_ids = [pk for kind, pk in groups if kind == "requirement"]
    ach_ids = [pk for kind, pk in groups if kind == "achievement"]
    pairs = (suggestion_queryset_for_user(user)
             .filter(status__in=PARTY_STATUSES)
             .filter(Q(requirement_id__in=req_ids,
                       achievement_id__in=active.filter(achievement__isnull=False).values("achievement_id"))
                     | Q(achievement_id__in=ach_ids,
                         requirement_id__in=active.filter(requirement__isnull=False).values("requirement_id")))
             .prefetch_related("answers").order_by("-score", "pk"))
    placed: set[int] = set()
    for pair in pairs:
        answered = {answer.side for answer in pair.answers.all()}
        for kind, pk, side, other in (("requirement", pair.requirement_id, Side.REQUIREMENT, pair.achievement),
                                      ("achievement", pair.achievement_id, Side.ACHIEVEMENT, pair.requirement)):
            group = groups.get((kind, pk))
            if group is None:
                continue
            # One object per group: a pair between two of the user's own listings shows twice.
            row = copy(pair) if pair.pk in placed else pair
            placed.add(pair.pk)
            row.counterpart = other
            row.awaiting = pair.status == SuggestionStatus.SENT and side not in answered
            group.pairs.append(row)
    return list(groups.values())
