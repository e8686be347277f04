"""Reads of events, with visibility in one place (``events.rules``).

The pairs of an event are the pre-docking suggestions between two listings entered into it,
whatever run produced them (the event's own, or the catalogue-wide one before it); superseded
suggestions are never counted."""

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


def area_for_fields(*, event: Event, field_ids) -> ExhibitionArea | None:
    """The themed area whose fields overlap the listing's the most (ties: the area's order)."""
    field_ids = set(field_ids)
    best, best_overlap = None, 0
    for area in ExhibitionArea.objects.filter(event=event).prefetch_related("fields"):
        overlap = len(field_ids & {f.pk for f in area.fields.all()})
        if overlap > best_overlap:
            best, best_overlap = area, overlap
    return best


def pair_area(*, event: Event, suggestion, areas: list[ExhibitionArea] | None = None) -> ExhibitionArea | None:
    """Where a pair negotiates: the area of the requirement's entered listing, else the
    achievement's, else the area matching the requirement's fields."""
    entries = EventListing.objects.filter(event=event).filter(
        Q(requirement_id=suggestion.requirement_id) | Q(achievement_id=suggestion.achievement_id))
    by_kind = {("r" if e.requirement_id else "a"): e.area for e in entries.select_related("area")}
    return by_kind.get("r") or by_kind.get("a") or area_for_fields(
        event=event, field_ids=suggestion.requirement.fields.values_list("pk", flat=True))
