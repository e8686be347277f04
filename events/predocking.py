"""The event's pre-docking: listings entered into it (one by one by their organisations, in bulk
by bureau staff), the run over them, and the status board's nudges to silent parties.

Same conventions as ``events.services`` (whose plumbing this module shares): ``PermissionDenied``
for who may not, ``ApplicationError`` for a refused action, ``ValidationError`` for bad values;
audit lines and notifications after commit."""

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.enums import OrganisationKind, OrganisationStatus, Role
from accounts.models import Notification, User
from accounts.rules import roles_for
from accounts.services import notify
from catalog.enums import LIVE_STATUSES
from catalog.models import Achievement, Requirement
from common.audit import audit_event_on_commit
from common.errors import ApplicationError, PermissionDenied
from events import rules, selectors
from events.enums import ACTIVE_PLAN_STATUSES, RegistrationStatus
from events.models import Event, EventListing, Registration, ScheduledMeeting
from events.services import acting_users, event_url, registration_activate, require_bureau, require_changeable

LISTING_MODELS = {"requirement": Requirement, "achievement": Achievement}
# Who brings which listings: enterprises their requirements, universities and institutes their achievements.
LISTING_ORG_KINDS = {"requirement": {OrganisationKind.ENTERPRISE},
                     "achievement": {OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE}}
# The board states whose rows have parties that owe an answer (``selectors.status_board``).
NUDGE_STATES = ("suggested", "viewed")
NUDGE_INTERVAL = timedelta(hours=24)


# --- listings entered into the event -------------------------------------------------------------

def _enter(*, actor: User, event: Event, listing, areas: list | None = None) -> tuple[EventListing, bool]:
    """Enter one listing (see ``listing_enter``); True when entered now. ``areas`` (from
    ``selectors.areas_with_fields``) is read once by a bulk entry instead of per listing."""
    kind, organisation, bureau = listing.KIND, listing.organisation, roles_for(actor).is_bureau
    if not bureau and not rules.acts_for(actor, organisation):
        raise PermissionDenied(_("You can only enter your own organisation's listings."))
    existing = EventListing.objects.filter(event=event, **{kind: listing}).select_related("registration").first()
    if existing is not None and existing.registration.is_active:
        return existing, False
    require_changeable(event)
    if not bureau and not event.registration_open():
        raise ApplicationError(_("Listings are entered while registration is open."), code="registration_closed",
                               status=409)
    if listing.status not in LIVE_STATUSES:
        raise ApplicationError(_("Only published listings can be entered (this one is %(status)s).")
                               % {"status": listing.get_status_display()}, code="listing_not_live")
    if organisation.kind not in LISTING_ORG_KINDS[kind]:
        message = (_("Requirements are entered by enterprises; %(organisation)s is not one.") if kind == "requirement"
                   else _("Achievements are entered by universities and institutes; %(organisation)s is neither."))
        raise ApplicationError(message % {"organisation": organisation.display_name}, code="wrong_organisation")
    registration = Registration.objects.filter(event=event, organisation=organisation).first()
    if registration is None or not registration.is_active:
        if not bureau:
            raise ApplicationError(_("Register %(organisation)s for the event before entering its listings.")
                                   % {"organisation": organisation.display_name}, code="not_registered", status=409)
        if organisation.status != OrganisationStatus.APPROVED:
            raise ApplicationError(_("%(organisation)s has not been approved yet: only approved organisations "
                                     "register.") % {"organisation": organisation.display_name},
                                   code="cannot_register")
        registration = registration_activate(actor=actor, event=event, organisation=organisation, values={})
    if existing is not None:  # entered before its organisation withdrew, and back now
        return existing, False
    area = selectors.area_for_fields(event=event, field_ids=[f.pk for f in listing.fields.all()], areas=areas)
    try:
        with transaction.atomic():
            entry = EventListing.objects.create(event=event, registration=registration, area=area, entered_by=actor,
                                                **{kind: listing})
    except IntegrityError:  # entered at the same moment by someone else
        return EventListing.objects.get(event=event, **{kind: listing}), False
    audit_event_on_commit("event.listing_entered", user=actor, organisation_id=organisation.pk, event_id=event.pk,
                          kind=kind, listing_id=listing.pk)
    return entry, True


@transaction.atomic
def listing_enter(*, actor: User, event: Event, listing) -> EventListing:
    """Enter a live requirement (an enterprise's) or achievement (a university's or institute's)
    into the event's pre-docking scope, in the area its fields fit best. Its own people do it
    while registration is open, once registered; bureau staff at any time before the event
    closes, registering the organisation if needed. Entering twice returns the first entry."""
    return _enter(actor=actor, event=event, listing=listing)[0]


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(getattr(error, "message", error))


def listings_bulk_enter(*, actor: User, event: Event, requirement_ids: Iterable[int] = (),
                        achievement_ids: Iterable[int] = (), field_ids: Iterable[int] | None = None) -> dict:
    """Bureau staff enter many listings at once: the given ids, plus (``field_ids``) every live
    listing of those fields. Each is entered on its own (``listing_enter``); one refused listing
    never undoes the others. Returns ``{"entered": n, "already": n, "refused": [(kind, id,
    message)]}``."""
    require_bureau(actor)
    require_changeable(event)
    wanted = {"requirement": set(requirement_ids), "achievement": set(achievement_ids)}
    field_ids = list(field_ids or [])
    if field_ids:
        for kind, model in LISTING_MODELS.items():
            wanted[kind] |= set(model.objects.filter(status__in=LIVE_STATUSES, fields__in=field_ids)
                                .values_list("pk", flat=True))
    report: dict = {"entered": 0, "already": 0, "refused": []}
    areas = selectors.areas_with_fields(event=event)
    for kind, model in LISTING_MODELS.items():
        found = model.objects.select_related("organisation").prefetch_related("fields").in_bulk(sorted(wanted[kind]))
        for pk in sorted(wanted[kind]):
            listing = found.get(pk)
            if listing is None:
                report["refused"].append((kind, pk, _("No such listing.")))
                continue
            try:
                with transaction.atomic():
                    _entry, created = _enter(actor=actor, event=event, listing=listing, areas=areas)
            except (ApplicationError, PermissionDenied, ValidationError) as error:
                report["refused"].append((kind, pk, _message(error)))
            else:
                report["entered" if created else "already"] += 1
    return report


@transaction.atomic
def listing_withdraw_from_event(*, actor: User, event: Event, listing) -> None:
    """Take a listing out of the event (its organisation's people or bureau staff), unless it
    has negotiations on the event's plan. Its pairs stay in the catalogue's matchmaking."""
    kind = listing.KIND
    entry = EventListing.objects.filter(event=event, **{kind: listing}).select_related("registration").first()
    if entry is None:
        raise ApplicationError(_("This listing is not entered in the event."), code="not_entered", status=404)
    if not rules.can_manage_registration(actor, entry.registration):
        raise PermissionDenied(_("You can only withdraw your own organisation's listings."))
    require_changeable(event)
    if ScheduledMeeting.objects.filter(event=event, status__in=ACTIVE_PLAN_STATUSES,
                                       **{f"suggestion__{kind}": listing}).exists():
        raise ApplicationError(_("This listing has negotiations on the event's plan: cancel them first."),
                               code="has_meetings", status=409)
    entry.delete()
    audit_event_on_commit("event.listing_withdrawn", user=actor, organisation_id=listing.organisation_id,
                          event_id=event.pk, kind=kind, listing_id=listing.pk)


# --- pre-docking and nudges ----------------------------------------------------------------------

@transaction.atomic
def event_predocking_start(*, actor: User, event: Event):
    """Bureau staff start the event's pre-docking: a run scoped to the listings entered by
    active registrations (``matchmaking.services.run_start``, queued after commit), remembered
    as ``event.run``. Refused without entered requirements and achievements, or while a run of
    the event is in progress."""
    from matchmaking.models import RunTrigger
    from matchmaking.services import run_start

    require_bureau(actor)
    event = Event.objects.select_for_update().get(pk=event.pk)
    require_changeable(event)
    requirement_ids, achievement_ids = selectors.event_listing_ids(event=event)
    if not requirement_ids or not achievement_ids:
        raise ApplicationError(_("Pre-docking needs entered requirements and achievements (now %(requirements)d "
                                 "and %(achievements)d).") % {"requirements": len(requirement_ids),
                                                             "achievements": len(achievement_ids)},
                               code="nothing_to_match", status=409)
    run = run_start(actor=actor, scope_key=event.scope_key, requirement_ids=requirement_ids,
                    achievement_ids=achievement_ids, trigger=RunTrigger.EVENT, label=event.name_zh)
    event.run = run
    event.save(update_fields=["run", "updated_at"])
    audit_event_on_commit("event.predocking_started", user=actor, event_id=event.pk, run_id=run.pk)
    return run


@transaction.atomic
def event_nudge(*, actor: User, event: Event, state: str) -> dict:
    """Remind the silent parties of the status board's rows in ``state`` ("suggested" or
    "viewed"): each organisation with pairs of the event sent to it and still unanswered by its
    side. Each is reminded (all its members of that side, each in their language) at most once
    in ``NUDGE_INTERVAL``. Returns ``{"organisations", "users", "skipped"}``: reminded, and
    left out as reminded recently."""
    from matchmaking.models import PartyAnswer, Side, Suggestion, SuggestionStatus

    require_bureau(actor)
    if state not in NUDGE_STATES:
        raise ValidationError({"state": _("Nudges go to parties that owe an answer: rows that are “suggested” "
                                          "or “viewed”.")})
    require_changeable(event)
    rows = selectors.status_board(event=event, state=state)["rows"]
    achievements = EventListing.objects.filter(event=event, achievement__isnull=False,
                                               registration__status=RegistrationStatus.REGISTERED)
    pairs = Suggestion.objects.filter(
        status=SuggestionStatus.SENT, requirement_id__in=[row.requirement.pk for row in rows],
        achievement_id__in=achievements.values("achievement_id")).select_related("requirement", "achievement")
    answered = set(PartyAnswer.objects.filter(suggestion__in=pairs).values_list("suggestion_id", "side"))
    waiting: dict[tuple[int, str], int] = {}  # (organisation, role) -> pairs awaiting its answer
    for pair in pairs:
        if (pair.pk, Side.REQUIREMENT) not in answered:
            key = (pair.requirement.organisation_id, Role.ENTERPRISE_MEMBER)
            waiting[key] = waiting.get(key, 0) + 1
        if (pair.pk, Side.ACHIEVEMENT) not in answered:
            key = (pair.achievement.organisation_id, Role.UNIVERSITY_MEMBER)
            waiting[key] = waiting.get(key, 0) + 1
    members = {role: acting_users({org for org, wanted in waiting if wanted == role}, party_role=role)
               for role in {role for _org, role in waiting}}
    recipients = {(org, role): members[role].get(org, []) for org, role in waiting}
    url = event_url(event, "candidates")
    recent = set(Notification.objects.filter(
        kind="event_nudge", url=url, created_at__gte=timezone.now() - NUDGE_INTERVAL,
        user_id__in=[user.pk for users in recipients.values() for user in users]).values_list("user_id", flat=True))
    counts = {"organisations": 0, "users": 0, "skipped": 0}
    for key, count in sorted(waiting.items()):
        users = recipients[key]
        if not users:
            continue
        if any(user.pk in recent for user in users):
            counts["skipped"] += 1
            continue
        notify(users=users, kind="event_nudge", url=url, message=lambda count=count: (
            _("%(event)s: partners are waiting for your answer") % {"event": event.name},
            ngettext("%(count)d suggested partner for your listings at %(event)s awaits your answer.",
                     "%(count)d suggested partners for your listings at %(event)s await your answer.", count)
            % {"count": count, "event": event.name}))
        counts["organisations"] += 1
        counts["users"] += len(users)
    audit_event_on_commit("event.nudged", user=actor, event_id=event.pk, state=state, **counts)
    return counts
