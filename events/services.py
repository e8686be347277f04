"""Writes of a docking conference's programme and participation: events and their status,
exhibition areas, roadshow and forum sessions, registrations, listings entered into the event,
its pre-docking run and the nudges of the status board. (The negotiation plan — slots, tables,
scheduled meetings — is ``events.planning``'s.)

Each service checks ``events.rules`` itself, so the portal, the API and the admin agree:
``PermissionDenied`` (403) for who may not, ``ApplicationError`` for a refused action (409 when
the event or registration is in the wrong state), Django's ``ValidationError`` (by field) for
bad values. Audit lines and notifications go out after commit."""

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import OrganisationKind, OrganisationStatus, Role
from accounts.models import Membership, Organisation, User
from accounts.rules import roles_for
from accounts.services import notify
from common.audit import audit_event_on_commit
from common.errors import ApplicationError, PermissionDenied
from events import rules
from events.enums import ACTIVE_PLAN_STATUSES, EventStatus, RegistrationStatus, SessionKind
from events.models import Event, ExhibitionArea, Registration, ScheduledMeeting, Session

EVENT_FIELDS = frozenset({
    "slug", "name_zh", "name_en", "kind", "series", "description_zh", "description_en", "starts_on", "ends_on",
    "venue", "online", "registration_opens_at", "registration_closes_at", "predocking_opens_at",
    "predocking_closes_at", "meeting_minutes", "max_meetings_per_party", "max_meetings_per_broker",
})
AREA_FIELDS = frozenset({"code", "name_zh", "name_en", "hall", "order"})
SESSION_FIELDS = frozenset({"kind", "area", "title_zh", "title_en", "room", "starts_at", "ends_at", "seats"})
REGISTRATION_FIELDS = frozenset({"delegates", "max_meetings", "contact_name", "contact_phone", "note"})
RESERVED_SLUGS = frozenset({"new"})  # taken by the portal's own paths under /events/
MAX_DELEGATES = 50


# --- plumbing ------------------------------------------------------------------------------------

def require_bureau(actor: User) -> None:
    if not rules.can_manage_events(actor):
        raise PermissionDenied(_("Only bureau staff can manage conferences."))


def require_changeable(event: Event) -> None:
    if event.status in (EventStatus.CLOSED, EventStatus.CANCELLED):
        raise ApplicationError(_("This event is %(status)s: it can no longer be changed.")
                               % {"status": event.get_status_display()}, code="event_closed", status=409)


def _only(data: dict, allowed: frozenset) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ApplicationError(_("These fields cannot be set: %(fields)s") % {"fields": ", ".join(sorted(unknown))})


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def acting_users(org_ids: Iterable[int], *, party_role: str | None = None) -> dict[int, list[User]]:
    """Active users who speak for each organisation at events (``rules.acts_for``: its admins
    and members holding the role of its kind), or only the members holding ``party_role``."""
    users: dict[int, dict[int, User]] = {}
    rows = Membership.objects.filter(organisation_id__in=list(org_ids), user__is_active=True).select_related(
        "user", "organisation")
    for row in rows:
        role = party_role or rules.PARTICIPANT_ROLE_BY_KIND.get(OrganisationKind(row.organisation.kind))
        if row.role == role or (party_role is None and row.is_admin):
            users.setdefault(row.organisation_id, {})[row.user_id] = row.user
    return {org_id: list(found.values()) for org_id, found in users.items()}


def event_url(event: Event, name: str = "event-detail") -> str:
    return reverse(f"events:{name}", kwargs={"slug": event.slug})


# --- events --------------------------------------------------------------------------------------

def _check_event(event: Event) -> None:
    errors = {}
    if event.slug in RESERVED_SLUGS:
        errors["slug"] = _("“%(slug)s” is reserved; choose another short name.") % {"slug": event.slug}
    if event.starts_on and event.ends_on and event.ends_on < event.starts_on:
        errors["ends_on"] = _("The last day cannot be before the first day.")
    reg_open, reg_close = event.registration_opens_at, event.registration_closes_at
    pre_open, pre_close = event.predocking_opens_at, event.predocking_closes_at
    if reg_open and reg_close and reg_close <= reg_open:
        errors["registration_closes_at"] = _("Registration must close after it opens.")
    if pre_open and pre_close and pre_close <= pre_open:
        errors["predocking_closes_at"] = _("Pre-docking must close after it opens.")
    if reg_open and pre_open and pre_open < reg_open:
        errors["predocking_opens_at"] = _("Pre-docking cannot open before registration: there would be no "
                                          "listings to match.")
    if event.ends_on and "ends_on" not in errors:
        end = _day_start(event.ends_on + timedelta(days=1))
        if reg_close and reg_close > end:
            errors.setdefault("registration_closes_at", _("Registration must close by the end of the last day."))
        if pre_close and pre_close > end:
            errors.setdefault("predocking_closes_at", _("Pre-docking must close by the end of the last day."))
    if not (event.venue or "").strip() and not event.online:
        errors["venue"] = _("Give a venue, or hold the event online.")
    if event.meeting_minutes is not None and not 10 <= event.meeting_minutes <= 240:
        errors["meeting_minutes"] = _("A negotiation lasts between 10 and 240 minutes.")
    _raise(errors)
    event.full_clean()


def _bureau_of(actor: User) -> Organisation:
    org = Organisation.objects.filter(kind=OrganisationKind.BUREAU, pk__in=roles_for(actor).orgs_with(
        Role.BUREAU_STAFF)).order_by("pk").first()
    if org is None:
        raise ApplicationError(_("Your account belongs to no bureau, which would organise the event."),
                               code="no_bureau")
    return org


@transaction.atomic
def event_create(*, actor: User, data: dict, organiser: Organisation | None = None) -> Event:
    """Bureau staff create an event as a draft (seen by bureau staff only until published),
    organised by their bureau unless ``organiser`` (a bureau) is given. Side effect: audit line."""
    require_bureau(actor)
    _only(data, EVENT_FIELDS)
    if organiser is not None and organiser.kind != OrganisationKind.BUREAU:
        raise ValidationError({"organiser": _("Events are organised by a science and technology bureau.")})
    event = Event(**data, organiser=organiser or _bureau_of(actor), created_by=actor, status=EventStatus.DRAFT)
    _check_event(event)
    event.save()
    audit_event_on_commit("event.created", user=actor, event_id=event.pk, slug=event.slug)
    return event


@transaction.atomic
def event_update(*, actor: User, event: Event, data: dict) -> Event:
    """Bureau staff edit an event that is not closed or cancelled; its short name (its links)
    only while it is a draft."""
    require_bureau(actor)
    _only(data, EVENT_FIELDS)
    event = Event.objects.select_for_update().get(pk=event.pk)
    require_changeable(event)
    if "slug" in data and data["slug"] != event.slug and event.status != EventStatus.DRAFT:
        raise ValidationError({"slug": _("The short name is part of the event's links: it can only change "
                                         "while the event is a draft.")})
    for key, value in data.items():
        setattr(event, key, value)
    _check_event(event)
    event.save(update_fields=[*data, "updated_at"])
    audit_event_on_commit("event.updated", user=actor, event_id=event.pk, fields=sorted(data))
    return event


TRANSITIONS = {
    "publish": ({EventStatus.DRAFT}, EventStatus.PUBLISHED),
    "close": ({EventStatus.PUBLISHED}, EventStatus.CLOSED),
    "cancel": ({EventStatus.DRAFT, EventStatus.PUBLISHED}, EventStatus.CANCELLED),
}


def _transition(*, actor: User, event: Event, action: str) -> Event:
    require_bureau(actor)
    event = Event.objects.select_for_update().get(pk=event.pk)
    sources, target = TRANSITIONS[action]
    if event.status not in sources:
        messages = {"publish": _("Only a draft can be published (this event is %(status)s)."),
                    "close": _("Only a published event can be closed (this event is %(status)s)."),
                    "cancel": _("This event is already %(status)s.")}
        raise ApplicationError(messages[action] % {"status": event.get_status_display()},
                               code="illegal_transition", status=409)
    event.status = target
    event.save(update_fields=["status", "updated_at"])
    audit_event_on_commit(f"event.{action}", user=actor, event_id=event.pk)
    return event


@transaction.atomic
def event_publish(*, actor: User, event: Event) -> Event:
    """A draft becomes public: its programme is shown and registration opens in its window."""
    return _transition(actor=actor, event=event, action="publish")


@transaction.atomic
def event_close(*, actor: User, event: Event) -> Event:
    """The event is over: no more registrations, entries or changes; its report stays."""
    return _transition(actor=actor, event=event, action="close")


@transaction.atomic
def event_cancel(*, actor: User, event: Event, reason: str) -> Event:
    """Cancel a draft or published event. Side effect: every registered organisation's people
    are notified, each in their language, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the event is cancelled: the registered organisations read it.")})
    event = _transition(actor=actor, event=event, action="cancel")
    org_ids = Registration.objects.filter(event=event, status=RegistrationStatus.REGISTERED).values_list(
        "organisation_id", flat=True)
    users = [user for found in acting_users(org_ids).values() for user in found]
    notify(users=users, kind="event_cancelled", url=event_url(event), message=lambda: (
        _("Cancelled: %(event)s") % {"event": event.name},
        _("The bureau cancelled %(event)s (%(day)s). Reason: %(reason)s")
        % {"event": event.name, "day": event.starts_on.isoformat(), "reason": reason}))
    return event


# --- areas and sessions --------------------------------------------------------------------------

def _save_area(*, actor: User, area: ExhibitionArea, data: dict, fields) -> ExhibitionArea:
    require_bureau(actor)
    _only(data, AREA_FIELDS)
    require_changeable(area.event)
    for key, value in data.items():
        setattr(area, key, value)
    if ExhibitionArea.objects.filter(event=area.event, code=area.code).exclude(pk=area.pk).exists():
        raise ValidationError({"code": _("Another area of this event already has the code “%(code)s”.")
                               % {"code": area.code}})
    area.full_clean(exclude=["fields"])
    area.save()
    if fields is not None:
        area.fields.set(list(fields))
    audit_event_on_commit("event.area_saved", user=actor, event_id=area.event_id, area_id=area.pk)
    return area


@transaction.atomic
def area_create(*, actor: User, event: Event, data: dict, fields: Iterable = ()) -> ExhibitionArea:
    """A themed exhibition area (code, names, hall) and the taxonomy fields it gathers."""
    return _save_area(actor=actor, area=ExhibitionArea(event=event), data=data, fields=fields)


@transaction.atomic
def area_update(*, actor: User, area: ExhibitionArea, data: dict, fields: Iterable | None = None) -> ExhibitionArea:
    """Edit an area; its fields are replaced when ``fields`` is given. Listings already entered
    keep their area."""
    return _save_area(actor=actor, area=area, data=data, fields=fields)


def _check_session(session: Session) -> None:
    event, errors = session.event, {}
    if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
        errors["ends_at"] = _("A session must end after it starts.")
    elif session.starts_at and session.ends_at and (
            session.starts_at < _day_start(event.starts_on)
            or session.ends_at > _day_start(event.ends_on + timedelta(days=1))):
        errors["starts_at"] = _("Sessions take place during the event (%(first)s to %(last)s).") % {
            "first": event.starts_on.isoformat(), "last": event.ends_on.isoformat()}
    if session.area is not None and session.area.event_id != event.pk:
        errors["area"] = _("This area belongs to another event.")
    elif session.kind == SessionKind.NEGOTIATION and not session.area_id:
        errors["area"] = _("A negotiation session takes place in an exhibition area: choose one.")
    _raise(errors)
    session.full_clean()


def _generate_slots(*, actor: User, session: Session) -> None:
    if session.kind == SessionKind.NEGOTIATION:
        from events.planning import session_generate_slots

        session_generate_slots(actor=actor, session=session)


@transaction.atomic
def session_create(*, actor: User, event: Event, data: dict) -> Session:
    """A roadshow, a forum, or a negotiation session in an area (cut into slots by
    ``events.planning.session_generate_slots``)."""
    require_bureau(actor)
    _only(data, SESSION_FIELDS)
    require_changeable(event)
    session = Session(event=event, **data)
    _check_session(session)
    session.save()
    _generate_slots(actor=actor, session=session)
    audit_event_on_commit("event.session_saved", user=actor, event_id=event.pk, session_id=session.pk)
    return session


@transaction.atomic
def session_update(*, actor: User, session: Session, data: dict) -> Session:
    """Edit a session; its kind is fixed. A negotiation session's slots follow new times."""
    require_bureau(actor)
    _only(data, SESSION_FIELDS)
    session = Session.objects.select_for_update().select_related("event").get(pk=session.pk)
    require_changeable(session.event)
    if "kind" in data and data["kind"] != session.kind:
        raise ValidationError({"kind": _("A session's kind cannot change; create a new session instead.")})
    moved = any(key in data and data[key] != getattr(session, key) for key in ("starts_at", "ends_at"))
    for key, value in data.items():
        setattr(session, key, value)
    _check_session(session)
    session.save()
    if moved:
        _generate_slots(actor=actor, session=session)
    audit_event_on_commit("event.session_saved", user=actor, event_id=session.event_id, session_id=session.pk)
    return session


# --- registrations -------------------------------------------------------------------------------

def _check_registration(registration: Registration) -> None:
    errors = {}
    if registration.delegates is None or not 1 <= registration.delegates <= MAX_DELEGATES:
        errors["delegates"] = _("Between 1 and %(max)d negotiations at the same time.") % {"max": MAX_DELEGATES}
    if registration.max_meetings is not None and registration.max_meetings < 1:
        errors["max_meetings"] = _("Leave it empty for the event's limit, or give at least 1.")
    _raise(errors)
    registration.full_clean(exclude=["event", "organisation", "unavailable_slots"], validate_unique=False)


def registration_activate(*, actor: User, event: Event, organisation: Organisation, values: dict) -> Registration:
    """Create the registration, or bring a withdrawn one back (refused while it is active).
    No rule is checked here: ``registration_create`` and ``events.predocking`` (bureau staff
    entering a listing of an unregistered organisation) check theirs first."""
    registration = Registration.objects.select_for_update().filter(event=event, organisation=organisation).first()
    if registration is not None and registration.is_active:
        raise ApplicationError(_("%(organisation)s is already registered for this event.")
                               % {"organisation": organisation.display_name}, code="already_registered", status=409)
    if registration is None:
        registration = Registration(event=event, organisation=organisation)
    registration.status = RegistrationStatus.REGISTERED
    registration.withdrawn_at, registration.withdraw_reason, registration.registered_by = None, "", actor
    for key, value in values.items():
        setattr(registration, key, value)
    _check_registration(registration)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:  # registered at the same moment by someone else
        raise ApplicationError(_("%(organisation)s is already registered for this event.")
                               % {"organisation": organisation.display_name}, code="already_registered",
                               status=409) from None
    audit_event_on_commit("event.registered", user=actor, organisation_id=organisation.pk, event_id=event.pk,
                          registration_id=registration.pk)
    return registration


def _check_can_register(actor: User, event: Event, organisation: Organisation) -> None:
    """``rules.can_register`` with the reason of a refusal."""
    if rules.can_register(actor, event, organisation):
        return
    if not roles_for(actor).is_bureau and not rules.acts_for(actor, organisation):
        raise PermissionDenied(_("You can only register an organisation you act for."))
    if organisation.kind not in rules.PARTICIPANT_ROLE_BY_KIND:
        raise ApplicationError(_("A %(kind)s does not register for conferences.")
                               % {"kind": organisation.get_kind_display()}, code="cannot_register")
    if organisation.status != OrganisationStatus.APPROVED:
        raise ApplicationError(_("%(organisation)s has not been approved yet: only approved organisations register.")
                               % {"organisation": organisation.display_name}, code="cannot_register")
    if event.status != EventStatus.PUBLISHED:
        raise ApplicationError(_("Registration is only possible for a published event (this one is %(status)s).")
                               % {"status": event.get_status_display()}, code="registration_closed", status=409)
    raise ApplicationError(
        _("Registration is open from %(opens)s to %(closes)s.") % {
            "opens": timezone.localtime(event.registration_opens_at).strftime("%Y-%m-%d %H:%M"),
            "closes": timezone.localtime(event.registration_closes_at).strftime("%Y-%m-%d %H:%M")},
        code="registration_closed", status=409)


@transaction.atomic
def registration_create(*, actor: User, event: Event, organisation: Organisation, delegates: int = 1,
                        max_meetings: int | None = None, contact_name: str = "", contact_phone: str = "",
                        note: str = "") -> Registration:
    """An organisation registers (``rules.can_register``): its own people while registration is
    open, bureau staff for any approved organisation while the event is published. A withdrawn
    registration comes back; an active one is refused. Side effect: audit line."""
    _check_can_register(actor, event, organisation)
    return registration_activate(actor=actor, event=event, organisation=organisation, values={
        "delegates": delegates, "max_meetings": max_meetings, "contact_name": contact_name.strip(),
        "contact_phone": contact_phone.strip(), "note": note.strip()})


def _require_registration_open(actor: User, registration: Registration) -> Registration:
    if not rules.can_manage_registration(actor, registration):
        raise PermissionDenied(_("Only the organisation's own people and bureau staff manage its registration."))
    registration = Registration.objects.select_for_update().select_related("event", "organisation").get(
        pk=registration.pk)
    require_changeable(registration.event)
    if not registration.is_active:
        raise ApplicationError(_("This registration was withdrawn; register again to take part."),
                               code="registration_withdrawn", status=409)
    return registration


@transaction.atomic
def registration_update(*, actor: User, registration: Registration, data: dict,
                        unavailable_slot_ids: Iterable[int] | None = None) -> Registration:
    """Change delegates, the meeting limit, the contact, and (``unavailable_slot_ids``) the
    slots of the event's negotiation sessions the organisation cannot attend."""
    _only(data, REGISTRATION_FIELDS)
    registration = _require_registration_open(actor, registration)
    for key, value in data.items():
        setattr(registration, key, value.strip() if isinstance(value, str) else value)
    _check_registration(registration)
    registration.save(update_fields=[*data, "updated_at"])
    if unavailable_slot_ids is not None:
        from events.models import Slot

        wanted = set(unavailable_slot_ids)
        slots = list(Slot.objects.filter(pk__in=wanted, session__event=registration.event,
                                         session__kind=SessionKind.NEGOTIATION))
        if len(slots) != len(wanted):
            raise ValidationError({"unavailable_slots": _(
                "Some of these time slots are not part of this event's negotiation sessions.")})
        registration.unavailable_slots.set(slots)
    audit_event_on_commit("event.registration_updated", user=actor, organisation_id=registration.organisation_id,
                          event_id=registration.event_id, registration_id=registration.pk)
    return registration


@transaction.atomic
def registration_withdraw(*, actor: User, registration: Registration, reason: str) -> Registration:
    """The organisation withdraws: its listings leave the event's scope and its scheduled
    negotiations are cancelled (``events.planning``; the count is left on
    ``registration.cancelled_meetings``). Side effects: the event's organiser is told (when
    someone else withdraws), audit line."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you withdraw: the bureau plans with it.")})
    registration = _require_registration_open(actor, registration)
    registration.status = RegistrationStatus.WITHDRAWN
    registration.withdrawn_at, registration.withdraw_reason = timezone.now(), reason[:1000]
    registration.save(update_fields=["status", "withdrawn_at", "withdraw_reason", "updated_at"])
    org_id, event = registration.organisation_id, registration.event
    cancelled = 0
    if ScheduledMeeting.objects.filter(event=event, status__in=ACTIVE_PLAN_STATUSES).filter(
            Q(suggestion__requirement__organisation_id=org_id) | Q(suggestion__achievement__organisation_id=org_id)
    ).exists():
        from events.planning import scheduled_cancel_for_registration

        cancelled = scheduled_cancel_for_registration(actor=actor, registration=registration, reason=reason)
    # The view tells the user how many negotiations went with the registration.
    registration.cancelled_meetings = cancelled  # type: ignore[attr-defined]
    organiser = event.created_by
    if organiser is not None and organiser.pk != actor.pk:
        notify(users=[organiser], kind="event_withdrawal", url=event_url(event), message=lambda: (
            _("%(organisation)s withdrew from %(event)s") % {"organisation": registration.organisation.display_name,
                                                             "event": event.name},
            _("Reason: %(reason)s") % {"reason": reason}))
    audit_event_on_commit("event.withdrawn", user=actor, organisation_id=org_id, event_id=event.pk,
                          registration_id=registration.pk, cancelled=cancelled)
    return registration
