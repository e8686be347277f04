"""Roadshows (路演): bureau staff put achievements into an event's roadshow sessions, investors
registered at the event describe what they look for and record their interest in each
presentation. Reads (the programme, an investor's matches, interest received):
``events.roadshow_selectors``.

Every service takes keyword-only arguments, checks who acts (``PermissionDenied``), refuses an
action the event's state or the data does not allow with an ``ApplicationError`` (or a field's
``ValidationError``) and writes nothing when it refuses."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.enums import OrganisationKind
from accounts.models import Membership, User
from accounts.rules import roles_for
from accounts.services import notify
from catalog.enums import LIVE_STATUSES, Confidentiality
from catalog.models import Achievement, Field
from common.errors import ApplicationError, PermissionDenied
from events import rules
from events.enums import EventStatus, InterestLevel, InvestmentStage, SessionKind
from events.models import Event, InvestorInterest, InvestorProfile, Registration, RoadshowEntry, Session
from events.roadshow_selectors import investor_registrations, is_presentable

ENDED_STATUSES = (EventStatus.CLOSED, EventStatus.CANCELLED)
# Interest the achievement's organisation is told about as soon as it is recorded.
NOTIFIED_LEVELS = (InterestLevel.MEETING, InterestLevel.DUE_DILIGENCE)


def _require_bureau(actor: User) -> None:
    if not rules.can_manage_events(actor):
        raise PermissionDenied(_("Only bureau staff can arrange roadshows."))


def _require_open(event: Event) -> None:
    if event.status in ENDED_STATUSES:
        raise ApplicationError(_("This event is closed or cancelled: its roadshows can no longer change."),
                               code="event_closed")


def _require_roadshow(session: Session) -> None:
    if session.kind != SessionKind.ROADSHOW:
        raise ApplicationError(
            _("“%(session)s” is not a roadshow session (%(kind)s): achievements are presented only in roadshow "
              "sessions.")
            % {"session": session.title, "kind": session.get_kind_display()}, code="not_roadshow")


# --- the investor's profile ----------------------------------------------------------------------

@transaction.atomic
def investor_profile_set(*, actor: User, registration: Registration, stages: Iterable[str],
                         ticket_min: int | None, ticket_max: int | None, field_ids: Iterable[int],
                         focus: str = "") -> InvestorProfile:
    """What an investor registered at the event looks for: stages (``InvestmentStage`` values),
    a ticket range in 10k CNY (either end may be open), fields and a free-text focus. Set by a
    member of the investor organisation or by bureau staff; created or replaced as a whole."""
    if not (rules.is_investor_for(actor, registration) or roles_for(actor).is_bureau):
        raise PermissionDenied(_("Only the investor's own members and bureau staff can edit its profile."))
    if registration.organisation.kind != OrganisationKind.INVESTOR:
        raise ApplicationError(_("Only investors have an investor profile."), code="not_investor")
    if not registration.is_active:
        raise ApplicationError(_("This registration was withdrawn: register again first."),
                               code="registration_withdrawn")
    _require_open(registration.event)
    errors: dict[str, list[str]] = {}
    stages = list(stages or [])
    unknown = [str(s) for s in stages if s not in InvestmentStage.values]
    if unknown:
        errors["stages"] = [_("Unknown investment stage: %(stages)s.") % {"stages": ", ".join(unknown)}]
    for name, value in (("ticket_min", ticket_min), ("ticket_max", ticket_max)):
        if value is not None and (not isinstance(value, int) or value < 0):
            errors[name] = [_("Give a whole number of 10,000 CNY, zero or more.")]
    if "ticket_min" not in errors and "ticket_max" not in errors and ticket_min is not None \
            and ticket_max is not None and ticket_min > ticket_max:
        errors["ticket_max"] = [_("The largest ticket must not be below the smallest.")]
    raw_ids = list(field_ids or [])
    field_ids = sorted({pk for pk in raw_ids if isinstance(pk, int) and not isinstance(pk, bool)})
    known = set(Field.objects.filter(pk__in=field_ids).values_list("pk", flat=True))
    unknown_ids = [str(pk) for pk in raw_ids if pk not in known]
    if unknown_ids:
        errors["fields"] = [_("Unknown field: %(ids)s.") % {"ids": ", ".join(unknown_ids)}]
    if errors:
        raise ValidationError(errors)
    order = {value: i for i, value in enumerate(InvestmentStage.values)}
    profile = InvestorProfile.objects.select_for_update().filter(registration=registration).first() \
        or InvestorProfile(registration=registration)
    profile.stages = sorted(set(stages), key=order.get)
    profile.ticket_min, profile.ticket_max, profile.focus = ticket_min, ticket_max, (focus or "").strip()
    profile.full_clean(exclude=["registration"])
    profile.save()
    profile.fields.set(field_ids)
    return profile


# --- the programme -------------------------------------------------------------------------------

@transaction.atomic
def roadshow_entry_add(*, actor: User, session: Session, achievement: Achievement, minutes: int = 10,
                       presenter: str = "") -> RoadshowEntry:
    """Bureau staff put a live, non-confidential achievement into a roadshow session of an event
    that is not closed, after the presentations already there, if its minutes fit what is left
    of the session."""
    _require_bureau(actor)
    _require_roadshow(session)
    session = Session.objects.select_for_update().select_related("event").get(pk=session.pk)
    _require_open(session.event)
    if achievement.status not in LIVE_STATUSES:
        raise ApplicationError(_("“%(title)s” is not published: only live achievements can be presented.")
                               % {"title": achievement.title}, code="not_live")
    if achievement.confidentiality == Confidentiality.RESTRICTED:
        raise ApplicationError(
            _("“%(title)s” is confidential (bureau and assigned brokers only) and cannot be presented in a public "
              "roadshow. Its organisation can make it public or members-only first.") % {"title": achievement.title},
            code="confidential")
    if RoadshowEntry.objects.filter(session=session, achievement=achievement).exists():
        raise ApplicationError(_("“%(title)s” is already presented in this session.") % {"title": achievement.title},
                               code="duplicate")
    if not isinstance(minutes, int) or minutes < 1:
        raise ValidationError({"minutes": _("A presentation lasts at least one minute.")})
    total = int((session.ends_at - session.starts_at).total_seconds() // 60)
    used = RoadshowEntry.objects.filter(session=session).aggregate(n=Sum("minutes"))["n"] or 0
    left = max(0, total - used)
    if minutes > left:
        raise ApplicationError(ngettext(
            "Not enough time in “%(session)s”: %(left)d minute is left and this presentation needs %(minutes)d.",
            "Not enough time in “%(session)s”: %(left)d minutes are left and this presentation needs %(minutes)d.",
            left) % {"session": session.title, "left": left, "minutes": minutes},
            code="session_full", extra={"minutes_left": left})
    last = RoadshowEntry.objects.filter(session=session).aggregate(n=Max("order"))["n"] or 0
    entry = RoadshowEntry(session=session, achievement=achievement, order=last + 1, minutes=minutes,
                          presenter=(presenter or "").strip(), added_by=actor)
    entry.full_clean(exclude=["session", "achievement", "added_by"])
    entry.save()
    return entry


def _renumber(session: Session, ordered_ids: list[int]) -> None:
    entries = {entry.pk: entry for entry in RoadshowEntry.objects.filter(session=session)}
    changed = []
    for position, pk in enumerate(ordered_ids, start=1):
        entry = entries[pk]
        if entry.order != position:
            entry.order = position
            changed.append(entry)
    RoadshowEntry.objects.bulk_update(changed, ["order"])


@transaction.atomic
def roadshow_entry_remove(*, actor: User, entry: RoadshowEntry) -> int:
    """Bureau staff take a presentation out of its session; the ones after it move up. Side
    effect: the interest investors recorded in it goes with it. Returns how many interest
    records were deleted (the page says so)."""
    _require_bureau(actor)
    session = Session.objects.select_for_update().select_related("event").get(pk=entry.session_id)
    _require_open(session.event)
    entry = RoadshowEntry.objects.filter(pk=entry.pk, session=session).first()
    if entry is None:
        raise ApplicationError(_("This presentation was already removed."), code="already_removed")
    interests = InvestorInterest.objects.filter(entry=entry).count()
    entry.delete()
    _renumber(session, list(RoadshowEntry.objects.filter(session=session).order_by("order", "pk")
                            .values_list("pk", flat=True)))
    return interests


@transaction.atomic
def roadshow_reorder(*, actor: User, session: Session, entry_ids: list[int]) -> list[RoadshowEntry]:
    """Bureau staff set the order of a session's presentations: ``entry_ids`` lists every one of
    them exactly once, first to last."""
    _require_bureau(actor)
    _require_roadshow(session)
    session = Session.objects.select_for_update().select_related("event").get(pk=session.pk)
    _require_open(session.event)
    current = list(RoadshowEntry.objects.filter(session=session).values_list("pk", flat=True))
    try:
        wanted = [int(pk) for pk in entry_ids]
    except (TypeError, ValueError):
        wanted = []
    if len(wanted) != len(set(wanted)) or sorted(wanted) != sorted(current):
        raise ApplicationError(_("The new order must list each presentation of this session exactly once."),
                               code="not_permutation")
    _renumber(session, wanted)
    return list(RoadshowEntry.objects.filter(session=session).order_by("order", "pk"))


def roadshow_entry_move(*, actor: User, entry: RoadshowEntry, up: bool) -> list[RoadshowEntry]:
    """One place earlier (``up``) or later: ``roadshow_reorder`` with the neighbours swapped.
    The first cannot go up nor the last down (nothing changes)."""
    ids = list(RoadshowEntry.objects.filter(session_id=entry.session_id).order_by("order", "pk")
               .values_list("pk", flat=True))
    i = ids.index(entry.pk) if entry.pk in ids else -1
    j = i - 1 if up else i + 1
    if i >= 0 and 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return roadshow_reorder(actor=actor, session=entry.session, entry_ids=ids)


# --- investors' interest -------------------------------------------------------------------------

def _organisation_users(organisation) -> list[User]:
    """Those who speak for the organisation at events: its admins and the members holding the
    role that fits its kind (not, say, an expert who belongs to it)."""
    role = rules.PARTICIPANT_ROLE_BY_KIND.get(organisation.kind)
    users = {}
    for membership in Membership.objects.filter(organisation=organisation, user__is_active=True) \
            .select_related("user"):
        if membership.is_admin or membership.role == role:
            users[membership.user_id] = membership.user
    return list(users.values())


@transaction.atomic
def investor_interest_record(*, actor: User, entry: RoadshowEntry, level: str, note: str = "",
                             registration: Registration | None = None) -> InvestorInterest:
    """An investor records (or changes) its interest in a presentation: one row per presentation
    and investor registration, the latest answer wins. The actor speaks for an investor
    organisation actively registered at the event (``registration`` picks which, for someone
    who speaks for several). Side effect: when the interest becomes "wants a meeting" or "due
    diligence", the achievement's organisation is notified, each member in their language."""
    event = entry.session.event
    mine = investor_registrations(user=actor, event=event, active_only=False)
    if registration is not None:
        mine = [reg for reg in mine if reg.pk == registration.pk]
    if not mine:
        raise PermissionDenied(_("Only investors registered for this event can record interest in its "
                                 "presentations."), code="not_investor")
    active = [reg for reg in mine if reg.is_active]
    if not active:
        raise ApplicationError(_("Your organisation withdrew from this event: register again to record interest."),
                               code="registration_withdrawn")
    reg = active[0]
    if event.status in (EventStatus.DRAFT, EventStatus.CANCELLED):
        raise ApplicationError(_("This event is not open: interest cannot be recorded."), code="event_closed")
    if level not in InterestLevel.values:
        raise ValidationError({"level": _("Choose one of the offered levels of interest.")})
    entry = RoadshowEntry.objects.select_related("session__event", "achievement__organisation").get(pk=entry.pk)
    if not is_presentable(entry.achievement):
        raise ApplicationError(_("This presentation is no longer shown: interest cannot be recorded."),
                               code="not_presentable")
    interest = (InvestorInterest.objects.select_for_update().filter(entry=entry, registration=reg).first()
                or InvestorInterest(entry=entry, registration=reg))
    previous = interest.level if interest.pk else None
    interest.level, interest.note, interest.recorded_by = level, (note or "").strip(), actor
    interest.full_clean(exclude=["entry", "registration", "recorded_by"], validate_constraints=False)
    if interest.pk:
        interest.save(update_fields=["level", "note", "recorded_by", "updated_at"])
    else:
        try:
            with transaction.atomic():
                interest.save()
        except IntegrityError:
            # A double click: the other request created the row first; this answer wins.
            interest = InvestorInterest.objects.select_for_update().get(entry=entry, registration=reg)
            previous = interest.level
            interest.level, interest.note, interest.recorded_by = level, (note or "").strip(), actor
            interest.save(update_fields=["level", "note", "recorded_by", "updated_at"])
    if level in NOTIFIED_LEVELS and level != previous:
        _notify_interest(entry, reg, level, interest.note)
    return interest


def _notify_interest(entry: RoadshowEntry, registration: Registration, level: str, note: str) -> None:
    achievement, event, investor = entry.achievement, entry.session.event, registration.organisation
    url = reverse("events:roadshow-entry-investors", kwargs={"slug": event.slug, "pk": entry.pk})

    def message() -> tuple[str, str]:
        params = {"investor": investor.display_name, "achievement": achievement.title, "event": event.name}
        if level == InterestLevel.DUE_DILIGENCE:
            title = _("%(investor)s starts due diligence on “%(achievement)s”") % params
        else:
            title = _("%(investor)s wants a meeting about “%(achievement)s”") % params
        body = _("Interest recorded after the roadshow of %(event)s.") % params
        return title, f"{body}\n{note}" if note else body

    notify(users=_organisation_users(achievement.organisation), kind="investor_interest", url=url, message=message)
