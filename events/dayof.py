"""The day of the event: each participant's agenda (in the portal, printable, and as an ICS
calendar file), check-in at the desk and at the negotiation tables, and the negotiations a
broker follows from their phone, whose outcomes go to the pair (``matchmaking.lifecycle``).

Who sees what (``events.rules``, ``matchmaking.rules``):
- a member of an enterprise or a university: the confirmed negotiations of their
  organisations' pairs (those ``matchmaking.selectors.suggestion_queryset_for_user`` lets
  them see), their achievements' roadshow presentations, and the forums;
- a broker: the confirmed negotiations of the pairs routed to them, and the forums;
- an investor registered for the event: the roadshow sessions, the presentations they recorded
  interest in, and the forums;
- bureau staff: every negotiation of the plan, the planned ones (drafts of the plan) marked as
  such, and every roadshow and forum session.
Planned negotiations are drafts of the bureau's plan: nobody but bureau staff sees them, and
nothing is checked in or recorded against them.

Times: the project stores and renders UTC (``settings.TIME_ZONE``, a known gap); conferences
take place in Shenyang, so what this module shows is in China Standard Time (``EVENT_TZ``)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.rules import roles_for
from catalog.rules import Access, listing_access
from common.errors import ApplicationError, PermissionDenied
from events import rules
from events.enums import EventStatus, InterestLevel, PlanStatus, RegistrationStatus, SessionKind
from events.models import (
    BrokerAttendance,
    Event,
    InvestorInterest,
    Registration,
    RoadshowEntry,
    ScheduledMeeting,
    Session,
)
from events.selectors import registrations_for_user
from matchmaking.lifecycle import meeting_record_outcome
from matchmaking.models import MeetingStatus
from matchmaking.rules import is_pair_broker
from matchmaking.selectors import suggestion_queryset_for_user

EVENT_TZ = ZoneInfo("Asia/Shanghai")
EVENT_TZ_NAME = "Asia/Shanghai"
SIDES = ("requirement", "achievement")


def event_local(value: datetime) -> datetime:
    """A stored (UTC) time as it reads at the venue."""
    return timezone.localtime(value, EVENT_TZ)


def event_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The venue's calendar day as a half-open range of aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=EVENT_TZ)
    return start, start + timedelta(days=1)


def event_days(event: Event) -> list[date]:
    days, day = [], event.starts_on
    while day <= event.ends_on and len(days) < 31:
        days.append(day)
        day += timedelta(days=1)
    return days


def default_day(event: Event) -> date:
    """Today at the venue while the event runs; its first day before, its last day after."""
    today = event_local(timezone.now()).date()
    return min(max(today, event.starts_on), event.ends_on)


# --- the agenda ----------------------------------------------------------------------------------

class AgendaKind:
    NEGOTIATION = "negotiation"
    ROADSHOW = "roadshow"
    FORUM = "forum"
    PRESENTATION = "presentation"
    ALL = (NEGOTIATION, ROADSHOW, FORUM, PRESENTATION)


KIND_ORDER = {kind: i for i, kind in enumerate(AgendaKind.ALL)}


@dataclass
class AgendaItem:
    """One line of a personal agenda. ``key`` names its source row (("scheduled", id),
    ("session", id) or ("entry", id)); ``planned`` marks a draft of the plan (bureau staff)."""

    kind: str
    key: tuple[str, int]
    starts_at: datetime
    ends_at: datetime
    title: str
    where: str = ""
    subject: str = ""  # a negotiation's two listings, a presentation's achievement
    counterpart: str = ""
    broker: str = ""
    pair_id: int | None = None
    planned: bool = False
    requirement_checked_in_at: datetime | None = None
    achievement_checked_in_at: datetime | None = None
    outcome: str = ""  # the meeting's status once recorded: "held" or "missed"
    outcome_note: str = ""
    position: int | None = None  # a presentation's place in its roadshow, of ``of``
    of: int | None = None

    @property
    def scheduled_id(self) -> int | None:
        return self.key[1] if self.key[0] == "scheduled" else None

    @property
    def session_id(self) -> int | None:
        return self.key[1] if self.key[0] == "session" else None

    @property
    def url(self) -> str:
        return reverse("matchmaking:pair-detail", kwargs={"pk": self.pair_id}) if self.pair_id else ""

    @property
    def local_day(self) -> date:
        return event_local(self.starts_at).date()


def _scheduled_queryset(event: Event) -> QuerySet[ScheduledMeeting]:
    return (ScheduledMeeting.objects.filter(event=event)
            .select_related("slot", "table__area", "meeting", "suggestion__broker",
                            "suggestion__requirement__organisation", "suggestion__achievement__organisation")
            .order_by("slot__starts_at", "table__area__order", "table__label", "pk"))


def scheduled_list_for_user(*, user, event: Event) -> QuerySet[ScheduledMeeting]:
    """The negotiations of the event the user takes part in: bureau staff every active one of
    the plan (planned and confirmed); a broker the confirmed ones of the pairs routed to them; a
    party the confirmed ones of its organisations' pairs that it may see."""
    roles = roles_for(user)
    scheduled = _scheduled_queryset(event)
    if roles.is_bureau:
        return scheduled.filter(status__in=(PlanStatus.PLANNED, PlanStatus.CONFIRMED))
    mine = Q(pk__in=[])
    if roles.is_broker:
        mine |= Q(suggestion__broker_id=roles.user_id)
    if roles.requirement_org_ids:
        mine |= Q(suggestion__requirement__organisation_id__in=roles.requirement_org_ids)
    if roles.achievement_org_ids:
        mine |= Q(suggestion__achievement__organisation_id__in=roles.achievement_org_ids)
    if not roles.is_member:
        return scheduled.none()
    return scheduled.filter(mine, status=PlanStatus.CONFIRMED,
                            suggestion__in=suggestion_queryset_for_user(user).values("pk"))


def negotiation_where(scheduled: ScheduledMeeting) -> str:
    area = scheduled.table.area
    return " · ".join(part for part in (area.name, area.hall, _("table %(label)s") % {"label": scheduled.table.label})
                      if part)


def _negotiation_item(roles, scheduled: ScheduledMeeting) -> AgendaItem:
    pair = scheduled.suggestion
    req_org, ach_org = pair.requirement.organisation, pair.achievement.organisation
    as_requirement = req_org.pk in roles.requirement_org_ids
    as_achievement = ach_org.pk in roles.achievement_org_ids
    if as_requirement != as_achievement:
        counterpart = ach_org.display_name if as_requirement else req_org.display_name
        title = _("Negotiation with %(counterpart)s") % {"counterpart": counterpart}
    else:  # the broker, bureau staff, or an organisation on both sides
        counterpart = f"{req_org.display_name} ↔ {ach_org.display_name}"
        title = _("Negotiation: %(parties)s") % {"parties": counterpart}
    meeting = scheduled.meeting
    recorded = meeting is not None and meeting.status in (MeetingStatus.HELD, MeetingStatus.MISSED)
    return AgendaItem(
        kind=AgendaKind.NEGOTIATION, key=("scheduled", scheduled.pk), starts_at=scheduled.slot.starts_at,
        ends_at=scheduled.slot.ends_at, title=title,
        where=negotiation_where(scheduled), subject=f"{pair.requirement.title} ↔ {pair.achievement.title}",
        counterpart=counterpart, broker=str(pair.broker) if pair.broker_id else "", pair_id=pair.pk,
        planned=scheduled.status == PlanStatus.PLANNED,
        requirement_checked_in_at=scheduled.requirement_checked_in_at,
        achievement_checked_in_at=scheduled.achievement_checked_in_at,
        outcome=meeting.status if recorded else "", outcome_note=meeting.outcome if recorded else "",
    )


def _session_item(session: Session, kind: str) -> AgendaItem:
    return AgendaItem(kind=kind, key=("session", session.pk), starts_at=session.starts_at, ends_at=session.ends_at,
                      title=session.title, where=session.room)


def _presentations(event: Event) -> dict[int, tuple[RoadshowEntry, datetime, datetime, int, int]]:
    """Every roadshow presentation of the event with its time slot (the session's start plus
    the minutes of the presentations before it) and its place in the session."""
    entries = list(RoadshowEntry.objects.filter(session__event=event, session__kind=SessionKind.ROADSHOW)
                   .select_related("session", "achievement__organisation")
                   .order_by("session__starts_at", "session_id", "order", "pk"))
    per_session: dict[int, int] = {}
    for entry in entries:
        per_session[entry.session_id] = per_session.get(entry.session_id, 0) + 1
    out, offsets, positions = {}, {}, {}
    for entry in entries:
        start = entry.session.starts_at + timedelta(minutes=offsets.get(entry.session_id, 0))
        offsets[entry.session_id] = offsets.get(entry.session_id, 0) + entry.minutes
        positions[entry.session_id] = positions.get(entry.session_id, 0) + 1
        out[entry.pk] = (entry, start, start + timedelta(minutes=entry.minutes), positions[entry.session_id],
                         per_session[entry.session_id])
    return out


def _presentation_item(user, row, *, own: bool) -> AgendaItem:
    entry, start, end, position, of = row
    achievement = entry.achievement
    # An investor reads the title of a presentation they may see in the catalogue; an owner always.
    visible = own or listing_access(user, achievement, assigned=False) >= Access.SUMMARY
    subject = achievement.title if visible else _("A confidential achievement")
    return AgendaItem(
        kind=AgendaKind.PRESENTATION, key=("entry", entry.pk), starts_at=start, ends_at=end,
        title=_("Roadshow presentation: %(subject)s") % {"subject": subject}, where=entry.session.room,
        subject=f"{entry.session.title} · {subject}",
        counterpart="" if own else achievement.organisation.display_name, position=position, of=of,
    )


def agenda_for_user(*, user, event: Event) -> list[AgendaItem]:
    """The user's agenda of the event, in time order (see the module's docstring for who sees
    what). A user who takes no part gets an empty agenda. A constant number of queries."""
    roles = roles_for(user)
    if not roles.authenticated:
        return []
    items = [_negotiation_item(roles, scheduled) for scheduled in scheduled_list_for_user(user=user, event=event)]
    registrations = [reg for reg in registrations_for_user(user=user, event=event)
                     if reg.status == RegistrationStatus.REGISTERED]
    investor_regs = [reg for reg in registrations if rules.is_investor_for(user, reg)]
    # The university's own presentations, whoever entered them (bureau staff enter roadshows).
    own_orgs = set(roles.achievement_org_ids)
    interested: set[int] = set()
    if investor_regs:
        interested = set(InvestorInterest.objects.filter(registration__in=investor_regs)
                         .exclude(level=InterestLevel.DECLINED).values_list("entry_id", flat=True))
    if own_orgs or interested:
        for entry_id, row in _presentations(event).items():
            own = row[0].achievement.organisation_id in own_orgs
            if own or entry_id in interested:
                items.append(_presentation_item(user, row, own=own))
    attends = roles.is_bureau or bool(registrations) or bool(items)
    if not attends and roles.is_broker:
        attends = BrokerAttendance.objects.filter(event=event, broker_id=roles.user_id).exists()
    if attends:
        kinds = [SessionKind.FORUM] + ([SessionKind.ROADSHOW] if roles.is_bureau or investor_regs else [])
        for session in Session.objects.filter(event=event, kind__in=kinds).order_by("starts_at", "pk"):
            items.append(_session_item(session, AgendaKind.FORUM if session.kind == SessionKind.FORUM
                                       else AgendaKind.ROADSHOW))
    items.sort(key=lambda item: (item.starts_at, KIND_ORDER[item.kind], item.where, item.title, item.key))
    return items


def agenda_by_day(items: list[AgendaItem]) -> list[tuple[date, list[AgendaItem]]]:
    days: dict[date, list[AgendaItem]] = {}
    for item in items:
        days.setdefault(item.local_day, []).append(item)
    return sorted(days.items())


# --- the agenda as an iCalendar file (RFC 5545) ---------------------------------------------------

ICS_PRODID = "-//TechDock//Docking conference agenda//EN"
ICS_LINE_OCTETS = 75


def ics_escape(text: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped; other
    control characters, which TEXT does not allow, dropped."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    return "".join(ch for ch in text if ch == "\t" or ord(ch) >= 0x20 and ord(ch) != 0x7F)


def ics_fold(line: str) -> str:
    """Fold a content line (RFC 5545 §3.1) into physical lines of at most 75 octets without the
    CRLF, each continuation starting with a space. Cuts fall between characters, never inside a
    UTF-8 sequence (a Chinese character is 3 octets)."""
    lines, current, size = [], [], 0
    for ch in line:
        octets = len(ch.encode("utf-8"))
        if size + octets > ICS_LINE_OCTETS:
            lines.append("".join(current))
            current, size = [" "], 1
        current.append(ch)
        size += octets
    lines.append("".join(current))
    return "\r\n".join(lines)


def ics_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_uid(item: AgendaItem, user) -> str:
    """Stable per item: a negotiation is the same calendar entry for everyone at its table; a
    session or presentation is the reader's own entry."""
    kind, pk = item.key
    if kind == "scheduled":
        return f"scheduled-{pk}@techdock"
    return f"{kind}-{pk}-user-{user.pk}@techdock"


def agenda_ics(*, user, event: Event, items: list[AgendaItem], base_url: str = "") -> str:
    """The agenda as an iCalendar object (METHOD:PUBLISH), times in UTC, CRLF line endings.
    ``base_url`` (scheme and host) makes the pair links in the descriptions absolute."""
    stamp = ics_datetime(timezone.now())
    name = _("%(event)s: my agenda") % {"event": event.name}
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{ICS_PRODID}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ics_escape(name)}",
        f"X-WR-TIMEZONE:{EVENT_TZ_NAME}",
    ]
    for item in items:
        description = []
        if item.subject:
            description.append(item.subject)
        if item.counterpart:
            description.append(_("With: %(counterpart)s") % {"counterpart": item.counterpart})
        if item.broker:
            description.append(_("Broker: %(broker)s") % {"broker": item.broker})
        if item.position:
            description.append(_("Presentation %(position)s of %(of)s") % {"position": item.position, "of": item.of})
        if item.url:
            description.append(f"{base_url}{item.url}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{ics_uid(item, user)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{ics_datetime(item.starts_at)}",
            f"DTEND:{ics_datetime(item.ends_at)}",
            f"SUMMARY:{ics_escape(item.title)}",
        ]
        if item.where:
            lines.append(f"LOCATION:{ics_escape(item.where)}")
        if description:
            lines.append(f"DESCRIPTION:{ics_escape(chr(10).join(description))}")
        lines += [f"STATUS:{'TENTATIVE' if item.planned else 'CONFIRMED'}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(ics_fold(line) + "\r\n" for line in lines)


# --- check-in ------------------------------------------------------------------------------------

def registration_get_for_checkin(*, user, event: Event, pk: int) -> Registration:
    """A registration of the event the user may address at the desk: bureau staff any, a member
    its own organisations' (the service then refuses them); anything else is a 404."""
    registrations = Registration.objects.filter(event=event).select_related("organisation", "event")
    if not roles_for(user).is_bureau:
        registrations = registrations.filter(pk__in=[reg.pk for reg in registrations_for_user(user=user, event=event)])
    registration = registrations.filter(pk=pk).first()
    if registration is None:
        raise Http404
    return registration


def scheduled_get_for_user(*, user, event: Event, pk: int) -> ScheduledMeeting:
    """A negotiation of the event the user may address: bureau staff any of the plan; a broker
    working the floor any confirmed one (the services refuse, 403, those routed to another
    broker); a party its own confirmed ones. Anything else is a 404."""
    roles = roles_for(user)
    if roles.is_bureau:
        visible = _scheduled_queryset(event)
    elif roles.is_broker:
        visible = _scheduled_queryset(event).filter(
            Q(status=PlanStatus.CONFIRMED) | Q(pk__in=scheduled_list_for_user(user=user, event=event).values("pk")))
    else:
        visible = scheduled_list_for_user(user=user, event=event)
    scheduled = visible.filter(pk=pk).first()
    if scheduled is None:
        raise Http404
    return scheduled


def checkin_counts(*, event: Event) -> dict:
    return Registration.objects.filter(event=event, status=RegistrationStatus.REGISTERED).aggregate(
        registered=Count("pk"), checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)))


def checkin_desk_for_user(*, user, event: Event, query: str = "") -> QuerySet[Registration]:
    """The desk's list (bureau staff): the event's registrations, by organisation name, those
    whose Chinese or English name contains ``query``."""
    if not rules.can_check_in(user, event):
        raise PermissionDenied(_("Only bureau staff run the check-in desk."))
    registrations = (Registration.objects.filter(event=event)
                     .select_related("organisation", "checked_in_by").order_by("organisation__name_zh", "pk"))
    query = query.strip()
    if query:
        registrations = registrations.filter(Q(organisation__name_zh__icontains=query)
                                             | Q(organisation__name_en__icontains=query))
    return registrations


@transaction.atomic
def registration_check_in(*, actor, registration: Registration) -> Registration:
    """Bureau staff at the desk record that an organisation's delegation arrived. Idempotent: a
    second check-in keeps the first time and who recorded it. Refused (409) for a withdrawn
    registration and for a draft or cancelled event. Side effects: none beyond the row."""
    registration = (Registration.objects.select_for_update(of=("self",)).select_related("event", "organisation")
                    .get(pk=registration.pk))
    event = registration.event
    if not rules.can_check_in(actor, event):
        raise PermissionDenied(_("Only bureau staff check delegations in."))
    if event.status in (EventStatus.DRAFT, EventStatus.CANCELLED):
        raise ApplicationError(_("This event is %(status)s: nobody is checked in.")
                               % {"status": event.get_status_display()}, code="event_not_running", status=409)
    if registration.status == RegistrationStatus.WITHDRAWN:
        raise ApplicationError(_("%(organisation)s withdrew from this event and cannot be checked in.")
                               % {"organisation": registration.organisation.display_name},
                               code="withdrawn", status=409)
    if registration.checked_in_at is None:
        registration.checked_in_at, registration.checked_in_by = timezone.now(), actor
        registration.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
    return registration


def _lock_scheduled(scheduled: ScheduledMeeting) -> ScheduledMeeting:
    return (ScheduledMeeting.objects.select_for_update(of=("self",))
            .select_related("event", "meeting", "suggestion__requirement", "suggestion__achievement")
            .get(pk=scheduled.pk))


def _require_floor(actor, scheduled: ScheduledMeeting, message: str) -> None:
    if not (rules.can_check_in(actor, scheduled.event) or is_pair_broker(actor, scheduled.suggestion)):
        raise PermissionDenied(message)


def _require_confirmed(scheduled: ScheduledMeeting) -> None:
    if scheduled.status != PlanStatus.CONFIRMED:
        raise ApplicationError(_("Only a confirmed negotiation takes place (this one is %(status)s).")
                               % {"status": scheduled.get_status_display()}, code="not_confirmed", status=409)


@transaction.atomic
def meeting_check_in(*, actor, scheduled: ScheduledMeeting, side: str) -> ScheduledMeeting:
    """Bureau staff or the pair's broker record that one side ("requirement": the enterprise,
    "achievement": the university) arrived at the table. Only confirmed negotiations;
    idempotent (the first time is kept). Side effects: none beyond the row."""
    if side not in SIDES:
        raise ValidationError({"side": _("Choose the enterprise (requirement) or the university (achievement).")})
    scheduled = _lock_scheduled(scheduled)
    _require_floor(actor, scheduled, _("Only bureau staff and the pair's broker check parties in at the table."))
    _require_confirmed(scheduled)
    field = f"{side}_checked_in_at"
    if getattr(scheduled, field) is None:
        setattr(scheduled, field, timezone.now())
        scheduled.save(update_fields=[field, "updated_at"])
    return scheduled


def scheduled_record_outcome(*, actor, scheduled: ScheduledMeeting, held: bool, outcome: str = ""):
    """The broker (or bureau staff) record whether a confirmed negotiation took place, on the
    pair's conference meeting (``matchmaking.lifecycle.meeting_record_outcome``: the pair
    becomes "met" when held, with its PairEvent). Returns the meeting."""
    _require_floor(actor, scheduled, _("Only the pair's broker or bureau staff record outcomes."))
    _require_confirmed(scheduled)
    if scheduled.meeting_id is None:
        raise ApplicationError(_("This negotiation has no meeting on the pair yet; publish the plan first."),
                               code="not_confirmed", status=409)
    return meeting_record_outcome(actor=actor, meeting=scheduled.meeting, held=held, outcome=outcome)


# --- the broker's phone page ------------------------------------------------------------------------

def negotiations_for_day(*, user, event: Event, day: date) -> list[ScheduledMeeting]:
    """The confirmed negotiations of one day at the venue that the user follows: a broker the
    pairs routed to them, bureau staff all of them."""
    roles = roles_for(user)
    if not (roles.is_bureau or roles.is_broker):
        raise PermissionDenied(_("This page is for brokers and bureau staff."))
    start, end = event_day_bounds(day)
    scheduled = _scheduled_queryset(event).filter(status=PlanStatus.CONFIRMED, slot__starts_at__gte=start,
                                                  slot__starts_at__lt=end)
    if not roles.is_bureau:
        scheduled = scheduled.filter(suggestion__broker_id=roles.user_id)
    return list(scheduled)
