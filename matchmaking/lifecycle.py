"""Writes of a suggested pair's life, from a broker's review to a signed agreement.

suggested → approved / rejected → sent → interest from each side → mutual (or declined) →
meeting scheduled → met → agreement signed / no deal.

Every change goes through a service here: it locks the pair's row, checks the rule
(``matchmaking.rules``) on the fresh row, refuses an illegal transition with a message, and
writes a ``PairEvent`` in the same transaction. Events take the pair's next sequence number,
unique per pair, so a double click or two concurrent decisions record one transition and the
other caller gets "already decided". Notifications and mails go out after commit.
"""

import logging
import os
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import Role
from accounts.models import Membership, User
from accounts.services import notify
from catalog.enums import LIVE_STATUSES, CooperationMode, ListingStatus
from catalog.services import ALLOWED_ATTACHMENT_EXTENSIONS, listing_record_outcome
from common.audit import audit_event
from common.errors import ApplicationError, PermissionDenied
from matchmaking import rules
from matchmaking.models import (
    PARTY_STATUSES,
    THREAD_STATUSES,
    Agreement,
    Meeting,
    MeetingMode,
    MeetingStatus,
    Message,
    PairEvent,
    PartyAnswer,
    Side,
    Suggestion,
    SuggestionStatus,
)

logger = logging.getLogger(__name__)
S = SuggestionStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUGGESTED: frozenset({S.APPROVED, S.REJECTED, S.SUPERSEDED}),
    S.APPROVED: frozenset({S.SENT}),
    S.SENT: frozenset({S.MUTUAL, S.DECLINED}),
    S.MUTUAL: frozenset({S.MEETING, S.NO_DEAL}),
    S.MEETING: frozenset({S.MET, S.MUTUAL, S.NO_DEAL}),  # back to mutual: the meeting was cancelled
    S.MET: frozenset({S.SIGNED, S.NO_DEAL, S.MEETING}),  # a follow-up meeting
}
# Statuses in which a pair is negotiating: its requirement is "in negotiation".
NEGOTIATING = (S.MUTUAL, S.MEETING, S.MET)
MAX_MESSAGE_ATTACHMENT_BYTES = 10 * 1024 * 1024


# --- plumbing ------------------------------------------------------------------------------------

def _lock(suggestion: Suggestion | int) -> Suggestion:
    pk = suggestion if isinstance(suggestion, int) else suggestion.pk
    try:
        return (Suggestion.objects.select_for_update(of=("self",))
                .select_related("requirement", "achievement", "run").get(pk=pk))
    except Suggestion.DoesNotExist:
        raise ApplicationError(_("This suggestion no longer exists."), code="gone", status=404) from None


def _record(suggestion: Suggestion, *, action: str, actor: User | None, to: str | None = None, note: str = "",
            data: dict | None = None, extra_fields: Iterable[str] = ()) -> PairEvent:
    """Apply ``to`` (if any) and log the event. The caller holds the row lock."""
    previous = suggestion.status
    fields = {"event_seq", "updated_at", *extra_fields}
    if to is not None and to != previous:
        if to not in TRANSITIONS.get(previous, ()):
            raise ApplicationError(
                _("A pair in status “%(status)s” cannot become “%(target)s”.")
                % {"status": S(previous).label, "target": S(to).label},
                code="illegal_transition", status=409,
            )
        suggestion.status = to
        suggestion.status_changed_at = timezone.now()
        fields |= {"status", "status_changed_at"}
    suggestion.event_seq += 1
    suggestion.save(update_fields=sorted(fields))
    return PairEvent.objects.create(
        suggestion=suggestion, seq=suggestion.event_seq, action=action, from_status=previous,
        to_status=suggestion.status, actor=actor, note=note[:2000], data=data or {},
    )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _require_undecided(actor: User, suggestion: Suggestion) -> None:
    _require(rules.can_follow_up(actor, suggestion), _("Only the pair's broker or bureau staff can review it."))
    if suggestion.status != S.SUGGESTED:
        raise ApplicationError(_("This suggestion has already been decided (%(status)s).")
                               % {"status": suggestion.get_status_display()}, code="already_decided", status=409)


def _require_participant(actor: User, suggestion: Suggestion, message: str) -> None:
    """Participants first (403 for anyone else), then the pair's state (409 before mutual interest)."""
    _require(rules.is_participant(actor, suggestion), message)
    if suggestion.status not in THREAD_STATUSES:
        raise ApplicationError(_("The negotiation opens once both sides are interested (now: %(status)s).")
                               % {"status": suggestion.get_status_display()}, code="illegal_transition", status=409)


def _pair_url(suggestion: Suggestion) -> str:
    return reverse("matchmaking:pair-detail", kwargs={"pk": suggestion.pk})


def _party_users(suggestion: Suggestion, sides: Iterable[str] = (Side.REQUIREMENT, Side.ACHIEVEMENT)) -> list[User]:
    wanted = []
    for side in sides:
        if side == Side.REQUIREMENT:
            wanted.append((suggestion.requirement.organisation_id, Role.ENTERPRISE_MEMBER))
        else:
            wanted.append((suggestion.achievement.organisation_id, Role.UNIVERSITY_MEMBER))
    users: dict[int, User] = {}
    for org_id, role in wanted:
        for membership in Membership.objects.select_related("user").filter(
                organisation_id=org_id, role=role, user__is_active=True):
            users[membership.user_id] = membership.user
    return list(users.values())


def _participants(suggestion: Suggestion, *, exclude: User | None = None) -> list[User]:
    users = _party_users(suggestion)
    if suggestion.broker_id:
        users.append(suggestion.broker)
    return [u for u in {u.pk: u for u in users}.values() if exclude is None or u.pk != exclude.pk]


def _titles(suggestion: Suggestion) -> dict:
    return {"requirement": suggestion.requirement.title, "achievement": suggestion.achievement.title}


def _listings_live(suggestion: Suggestion) -> bool:
    return suggestion.requirement.status in LIVE_STATUSES and suggestion.achievement.status in LIVE_STATUSES


def _after_commit_send(suggestion_id: int) -> None:
    from matchmaking.tasks import send_suggestion_task

    transaction.on_commit(lambda: send_suggestion_task.delay(suggestion_id=suggestion_id))


# --- broker review -------------------------------------------------------------------------------

@transaction.atomic
def suggestion_approve(*, actor: User, suggestion: Suggestion, note: str | None = None) -> Suggestion:
    """The pair's broker (or bureau staff) approve a suggestion, optionally with the note the
    parties will read. Side effects: the pair is sent to both parties after commit; audit line."""
    suggestion = _lock(suggestion)
    _require_undecided(actor, suggestion)
    if not _listings_live(suggestion):
        raise ApplicationError(_("One of the two listings is no longer published; the pair cannot be approved."),
                               code="listing_gone")
    extra = ["reviewed_by", "reviewed_at"]
    if note is not None:
        suggestion.party_note = note.strip()[:2000]
        extra.append("party_note")
    suggestion.reviewed_by, suggestion.reviewed_at = actor, timezone.now()
    _record(suggestion, action="approved", actor=actor, to=S.APPROVED, note=suggestion.party_note,
            extra_fields=extra)
    audit_event("broker.decision", user=actor, suggestion_id=suggestion.pk, decision="approved")
    _after_commit_send(suggestion.pk)
    return suggestion


@transaction.atomic
def suggestion_reject(*, actor: User, suggestion: Suggestion, reason: str) -> Suggestion:
    """The pair's broker (or bureau staff) reject a suggestion with a reason. The pair is not
    suggested again unless one of the listings changes (``services._reviewed_pairs``)."""
    suggestion = _lock(suggestion)
    _require_undecided(actor, suggestion)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for rejecting: it teaches the matching.")})
    suggestion.reviewed_by, suggestion.reviewed_at = actor, timezone.now()
    suggestion.reject_reason = reason[:1000]
    _record(suggestion, action="rejected", actor=actor, to=S.REJECTED, note=reason,
            extra_fields=["reviewed_by", "reviewed_at", "reject_reason"])
    audit_event("broker.decision", user=actor, suggestion_id=suggestion.pk, decision="rejected")
    transaction.on_commit(_route_later)
    return suggestion


def _route_later() -> None:
    from matchmaking.tasks import route_suggestions_task

    route_suggestions_task.delay()


def suggestions_decide(*, actor: User, ids: Iterable[int], approve: bool, reason: str = "") -> dict:
    """Bulk review: each pair is decided in its own transaction; one refused pair does not undo
    the others. Returns {"done": [ids], "failed": [{"id", "message"}]}."""
    from matchmaking.selectors import suggestion_queryset_for_user

    done, failed = [], []
    visible = suggestion_queryset_for_user(actor)
    for pk in dict.fromkeys(int(i) for i in ids):
        try:
            suggestion = visible.get(pk=pk)
            if approve:
                suggestion_approve(actor=actor, suggestion=suggestion)
            else:
                suggestion_reject(actor=actor, suggestion=suggestion, reason=reason)
            done.append(pk)
        except Suggestion.DoesNotExist:
            failed.append({"id": pk, "message": _("This suggestion no longer exists.")})
        except ValidationError as exc:
            failed.append({"id": pk, "message": " ".join(exc.messages)})
        except (ApplicationError, PermissionDenied) as exc:
            failed.append({"id": pk, "message": str(exc.message)})
    return {"done": done, "failed": failed}


@transaction.atomic
def suggestion_edit_note(*, actor: User, suggestion: Suggestion, note: str) -> Suggestion:
    """The broker edits the note both parties read (until the parties answered)."""
    suggestion = _lock(suggestion)
    _require(rules.can_edit_party_note(actor, suggestion), _("You cannot edit the note of this pair."))
    suggestion.party_note = (note or "").strip()[:2000]
    _record(suggestion, action="note_edited", actor=actor, note=suggestion.party_note, extra_fields=["party_note"])
    return suggestion


@transaction.atomic
def suggestion_send(*, suggestion_id: int) -> Suggestion | None:
    """Release an approved pair to both parties (the worker runs this after the approval commits).
    Safe to run twice: a pair that is no longer "approved" is left alone."""
    try:
        suggestion = _lock(suggestion_id)
    except ApplicationError:
        return None
    if suggestion.status != S.APPROVED:
        return suggestion
    if not _listings_live(suggestion):
        logger.info("suggestion %s not sent: a listing is no longer live", suggestion.pk)
        return suggestion
    suggestion.sent_at = timezone.now()
    _record(suggestion, action="sent", actor=None, to=S.SENT, extra_fields=["sent_at"])
    titles = _titles(suggestion)
    url = _pair_url(suggestion)
    note = suggestion.party_note

    def message() -> tuple[str, str]:
        title = _("A vetted partner for “%(requirement)s” ↔ “%(achievement)s”") % titles
        body = _("A technology broker suggests this pair. Tell us whether you are interested.")
        return title, f"{body}\n{note}" if note else body

    notify(users=_party_users(suggestion), kind="suggestion_sent", message=message, url=url)
    return suggestion


# --- the parties' answers ------------------------------------------------------------------------

@transaction.atomic
def suggestion_answer(*, actor: User, suggestion: Suggestion, side: str, interested: bool,
                      reason: str = "") -> Suggestion:
    """One side answers interested / not interested (with a reason). Two "interested" make the
    pair mutual: the negotiation thread opens and the requirement is in negotiation. One "not
    interested" closes the pair (declined). Side effects: notifications; listing status."""
    suggestion = _lock(suggestion)
    if side not in rules.party_sides(actor, suggestion) or not rules.can_view_suggestion(actor, suggestion):
        raise PermissionDenied(_("Only the %(side)s can answer for this side of the pair.")
                               % {"side": Side(side).label})
    reason = (reason or "").strip()
    if not interested and not reason:
        raise ValidationError({"reason": _("Say why you are not interested; the broker will read it.")})
    if PartyAnswer.objects.filter(suggestion=suggestion, side=side).exists():
        raise ApplicationError(_("Your organisation has already answered this suggestion."),
                               code="already_answered", status=409)
    if suggestion.status != S.SENT:
        raise ApplicationError(_("This suggestion is no longer waiting for answers (%(status)s).")
                               % {"status": suggestion.get_status_display()}, code="illegal_transition", status=409)
    try:
        with transaction.atomic():
            PartyAnswer.objects.create(suggestion=suggestion, side=side, interested=interested, reason=reason[:1000],
                                       answered_by=actor)
    except IntegrityError:
        raise ApplicationError(_("Your organisation has already answered this suggestion."),
                               code="already_answered", status=409) from None
    answers = {a.side: a.interested for a in suggestion.answers.all()}
    titles, url = _titles(suggestion), _pair_url(suggestion)
    if not interested:
        _record(suggestion, action="declined", actor=actor, to=S.DECLINED, note=reason, data={"side": side})
        notify(users=_participants(suggestion, exclude=actor), kind="suggestion_declined", url=url, message=lambda: (
            _("No interest in “%(requirement)s” ↔ “%(achievement)s”") % titles, reason))
    elif answers.get(Side.REQUIREMENT) and answers.get(Side.ACHIEVEMENT):
        _record(suggestion, action="mutual", actor=actor, to=S.MUTUAL, data={"side": side})
        listing_record_outcome(actor=actor, listing=suggestion.requirement, to=ListingStatus.IN_NEGOTIATION,
                               reason=_("Mutual interest with “%(achievement)s”") % titles)
        notify(users=_participants(suggestion), kind="suggestion_mutual", url=url, message=lambda: (
            _("Mutual interest: “%(requirement)s” ↔ “%(achievement)s”") % titles,
            _("Both sides are interested. The negotiation thread is open: agree on a meeting.")))
    else:
        _record(suggestion, action="interested", actor=actor, data={"side": side})
        other = Side.ACHIEVEMENT if side == Side.REQUIREMENT else Side.REQUIREMENT
        notify(users=_party_users(suggestion, [other]), kind="suggestion_interest", url=url, message=lambda: (
            _("The other side is interested in “%(requirement)s” ↔ “%(achievement)s”") % titles,
            _("Answer the suggestion to open the negotiation.")))
    return suggestion


@transaction.atomic
def suggestion_disclose(*, actor: User, suggestion: Suggestion, side: str) -> Suggestion:
    """The owner of one side lets the other party read its listing's confidential fields
    (budget or asking price) and, for a confidential listing, the listing itself — possible once
    the pair was sent to the parties, and final. Until then the other party of a confidential
    listing does not even see the pair, so the owner decides whether it can go on."""
    suggestion = _lock(suggestion)
    _require(side in rules.party_sides(actor, suggestion), _("Only the listing's owner can disclose it."))
    if suggestion.status not in PARTY_STATUSES:
        raise ApplicationError(_("A listing can be disclosed once the pair was sent to both parties (now: "
                                 "%(status)s).") % {"status": suggestion.get_status_display()},
                               code="illegal_transition", status=409)
    field = f"{side}_disclosed_at"
    if getattr(suggestion, field) is None:
        setattr(suggestion, field, timezone.now())
        _record(suggestion, action="disclosed", actor=actor, data={"side": side}, extra_fields=[field])
    return suggestion


# --- negotiation: thread and meetings ------------------------------------------------------------

@transaction.atomic
def message_post(*, actor: User, suggestion: Suggestion, body: str, upload: UploadedFile | None = None) -> Message:
    """Post to the pair's negotiation thread (parties, the broker, bureau staff), with an
    optional attachment. Side effect: the other participants are notified."""
    body = (body or "").strip()
    suggestion = _lock(suggestion)
    _require_participant(actor, suggestion, _("The negotiation thread is open to the two parties and their broker."))
    if not body and upload is None:
        raise ValidationError({"body": _("Write a message or attach a file.")})
    if len(body) > 5000:
        raise ValidationError({"body": _("At most %(max)d characters (this has %(n)d).")
                               % {"max": 5000, "n": len(body)}})
    message = Message(suggestion=suggestion, author=actor, body=body)
    if upload is not None:
        name = os.path.basename(upload.name or "file")[:200]
        if os.path.splitext(name)[1].lower() not in ALLOWED_ATTACHMENT_EXTENSIONS:
            raise ValidationError({"attachment": _("This file type is not accepted.")})
        if upload.size > MAX_MESSAGE_ATTACHMENT_BYTES:
            raise ValidationError({"attachment": _("The file is larger than %(mb)d MB.")
                                   % {"mb": MAX_MESSAGE_ATTACHMENT_BYTES // (1024 * 1024)}})
        message.attachment, message.attachment_name, message.attachment_size = upload, name, upload.size
    message.save()
    titles = _titles(suggestion)
    author = str(actor)
    notify(users=_participants(suggestion, exclude=actor), kind="message", url=_pair_url(suggestion), email=False,
           message=lambda: (_("New message from %(author)s about “%(requirement)s”") % {**titles, "author": author},
                            body[:300]))
    return message


def _side_accept_fields(sides: Iterable[str]) -> list[str]:
    return [f"{side}_accepted_at" for side in sides]


@transaction.atomic
def meeting_request(*, actor: User, suggestion: Suggestion, starts_at: datetime, duration_minutes: int = 30,
                    mode: str = MeetingMode.ONLINE, location: str = "", note: str = "") -> Meeting:
    """A participant proposes a meeting; the proposer's own side accepts it at once. The pair is
    "meeting scheduled" when both parties accepted (``meeting_accept``)."""
    suggestion = _lock(suggestion)
    _require_participant(actor, suggestion, _("Only the two parties and their broker can arrange a meeting."))
    if suggestion.status not in (S.MUTUAL, S.MET):
        raise ApplicationError(_("A meeting can be requested once both sides are interested (now: %(status)s).")
                               % {"status": suggestion.get_status_display()}, code="illegal_transition", status=409)
    if suggestion.meetings.filter(status__in=(MeetingStatus.REQUESTED, MeetingStatus.CONFIRMED)).exists():
        raise ApplicationError(_("This pair already has an open meeting: cancel it before proposing another."),
                               code="meeting_open", status=409)
    if mode not in MeetingMode.values:
        raise ValidationError({"mode": _("Unknown meeting mode.")})
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("The meeting must start in the future.")})
    if not 10 <= int(duration_minutes) <= 480:
        raise ValidationError({"duration_minutes": _("A meeting lasts 10 to 480 minutes.")})
    now = timezone.now()
    meeting = Meeting(suggestion=suggestion, mode=mode, starts_at=starts_at, duration_minutes=int(duration_minutes),
                      location=location.strip()[:300], note=note.strip()[:1000], requested_by=actor)
    for side in rules.party_sides(actor, suggestion):
        setattr(meeting, f"{side}_accepted_at", now)
    try:
        with transaction.atomic():
            meeting.save()
    except IntegrityError:
        raise ApplicationError(_("This pair already has an open meeting: cancel it before proposing another."),
                               code="meeting_open", status=409) from None
    _record(suggestion, action="meeting_requested", actor=actor, data={"meeting": meeting.pk})
    _maybe_confirm(meeting, suggestion, actor)
    if meeting.status == MeetingStatus.REQUESTED:
        titles, when = _titles(suggestion), timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")
        notify(users=_participants(suggestion, exclude=actor), kind="meeting_requested", url=_pair_url(suggestion),
               message=lambda: (_("Meeting proposed for “%(requirement)s” ↔ “%(achievement)s”") % titles,
                                _("Proposed time: %(when)s. Accept it or propose another.") % {"when": when}))
    return meeting


def _lock_meeting(meeting: Meeting) -> tuple[Meeting, Suggestion]:
    suggestion = _lock(meeting.suggestion_id)
    return Meeting.objects.select_for_update().get(pk=meeting.pk), suggestion


def _maybe_confirm(meeting: Meeting, suggestion: Suggestion, actor: User) -> None:
    both = meeting.requirement_accepted_at and meeting.achievement_accepted_at
    if both and meeting.status == MeetingStatus.REQUESTED:
        meeting.status = MeetingStatus.CONFIRMED
        meeting.save(update_fields=["status", "updated_at"])
        _record(suggestion, action="meeting_confirmed", actor=actor, to=S.MEETING, data={"meeting": meeting.pk})
        titles = _titles(suggestion)
        when = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")
        notify(users=_participants(suggestion), kind="meeting_confirmed", url=_pair_url(suggestion),
               message=lambda: (_("Meeting confirmed: “%(requirement)s” ↔ “%(achievement)s”") % titles,
                                _("Time: %(when)s.") % {"when": when}))


@transaction.atomic
def meeting_accept(*, actor: User, meeting: Meeting) -> Meeting:
    """A party accepts a proposed meeting for its side(s); with both sides in, it is confirmed."""
    meeting, suggestion = _lock_meeting(meeting)
    sides = rules.party_sides(actor, suggestion)
    _require(bool(sides), _("Only the two parties accept a meeting."))
    if meeting.status != MeetingStatus.REQUESTED:
        raise ApplicationError(_("This meeting is no longer awaiting acceptance (%(status)s).")
                               % {"status": meeting.get_status_display()}, code="illegal_transition", status=409)
    pending = [side for side in sides if getattr(meeting, f"{side}_accepted_at") is None]
    if not pending:
        raise ApplicationError(_("Your side has already accepted this meeting."), code="already_answered", status=409)
    for side in pending:
        setattr(meeting, f"{side}_accepted_at", timezone.now())
    meeting.save(update_fields=[*_side_accept_fields(pending), "updated_at"])
    _record(suggestion, action="meeting_accepted", actor=actor, data={"meeting": meeting.pk, "sides": pending})
    _maybe_confirm(meeting, suggestion, actor)
    return meeting


def _status_without_open_meeting(suggestion: Suggestion) -> str:
    held = suggestion.meetings.filter(status=MeetingStatus.HELD).exists()
    return S.MET if held else S.MUTUAL


@transaction.atomic
def meeting_cancel(*, actor: User, meeting: Meeting, reason: str) -> Meeting:
    """A participant cancels an open meeting with a reason; the pair goes back to negotiating."""
    meeting, suggestion = _lock_meeting(meeting)
    _require_participant(actor, suggestion, _("Only the two parties and their broker can cancel it."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason so the others can plan again.")})
    if not meeting.is_open:
        raise ApplicationError(_("This meeting is already closed (%(status)s).")
                               % {"status": meeting.get_status_display()}, code="illegal_transition", status=409)
    was_confirmed = meeting.status == MeetingStatus.CONFIRMED
    meeting.status, meeting.closed_by, meeting.closed_at = MeetingStatus.CANCELLED, actor, timezone.now()
    meeting.outcome = reason[:2000]
    meeting.save(update_fields=["status", "closed_by", "closed_at", "outcome", "updated_at"])
    to = _status_without_open_meeting(suggestion) if was_confirmed else None
    _record(suggestion, action="meeting_cancelled", actor=actor, to=to, note=reason, data={"meeting": meeting.pk})
    titles = _titles(suggestion)
    notify(users=_participants(suggestion, exclude=actor), kind="meeting_cancelled", url=_pair_url(suggestion),
           message=lambda: (_("Meeting cancelled: “%(requirement)s” ↔ “%(achievement)s”") % titles, reason))
    return meeting


@transaction.atomic
def meeting_record_outcome(*, actor: User, meeting: Meeting, held: bool, outcome: str = "") -> Meeting:
    """The broker (or bureau staff) record whether a confirmed meeting took place, and how it went."""
    meeting, suggestion = _lock_meeting(meeting)
    _require(rules.can_follow_up(actor, suggestion), _("Only the pair's broker or bureau staff record outcomes."))
    if meeting.status != MeetingStatus.CONFIRMED:
        raise ApplicationError(_("Only a confirmed meeting has an outcome (this one: %(status)s).")
                               % {"status": meeting.get_status_display()}, code="illegal_transition", status=409)
    meeting.status = MeetingStatus.HELD if held else MeetingStatus.MISSED
    meeting.outcome, meeting.closed_by, meeting.closed_at = outcome.strip()[:2000], actor, timezone.now()
    meeting.save(update_fields=["status", "outcome", "closed_by", "closed_at", "updated_at"])
    to = S.MET if held else _status_without_open_meeting(suggestion)
    _record(suggestion, action="met" if held else "meeting_missed", actor=actor, to=to, note=meeting.outcome,
            data={"meeting": meeting.pk})
    return meeting


def suggestion_mark_viewed(*, actor: User, suggestion: Suggestion) -> list[str]:
    """Remember when each side first opened a pair sent to it (the conference status board's
    "viewed"). One conditional UPDATE per side, so concurrent page views never race; returns the
    sides marked now."""
    marked = []
    if suggestion.status not in PARTY_STATUSES:
        return marked
    now = timezone.now()
    for side in rules.party_sides(actor, suggestion):
        field = f"{side}_viewed_at"
        if Suggestion.objects.filter(pk=suggestion.pk, **{f"{field}__isnull": True}).update(**{field: now}):
            setattr(suggestion, field, now)
            marked.append(side)
    return marked


@transaction.atomic
def meeting_arrange(*, actor: User, suggestion: Suggestion, starts_at: datetime, duration_minutes: int,
                    location: str, mode: str = MeetingMode.CONFERENCE, note: str = "") -> Meeting:
    """Bureau staff (or the pair's broker) book a meeting for both parties at once: a conference
    negotiation published from the event's plan. The meeting is confirmed straight away and the
    pair becomes "meeting scheduled". Side effects: pair event, notification to the participants."""
    suggestion = _lock(suggestion)
    _require(rules.can_follow_up(actor, suggestion),
             _("Only bureau staff or the pair's broker book meetings for both parties."))
    if suggestion.status not in (S.MUTUAL, S.MET):
        raise ApplicationError(_("A meeting can be booked once both sides are interested (now: %(status)s).")
                               % {"status": suggestion.get_status_display()}, code="illegal_transition", status=409)
    if mode not in MeetingMode.values:
        raise ValidationError({"mode": _("Unknown meeting mode.")})
    if not 10 <= int(duration_minutes) <= 480:
        raise ValidationError({"duration_minutes": _("A meeting lasts 10 to 480 minutes.")})
    now = timezone.now()
    meeting = Meeting(suggestion=suggestion, mode=mode, starts_at=starts_at, duration_minutes=int(duration_minutes),
                      location=location.strip()[:300], note=note.strip()[:1000], requested_by=actor,
                      status=MeetingStatus.CONFIRMED, requirement_accepted_at=now, achievement_accepted_at=now)
    try:
        with transaction.atomic():
            meeting.save()
    except IntegrityError:
        raise ApplicationError(_("This pair already has an open meeting: cancel it before booking another."),
                               code="meeting_open", status=409) from None
    _record(suggestion, action="meeting_confirmed", actor=actor, to=S.MEETING,
            data={"meeting": meeting.pk, "arranged": True})
    titles = _titles(suggestion)
    when, where = timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M"), meeting.location
    notify(users=_participants(suggestion, exclude=actor), kind="meeting_confirmed", url=_pair_url(suggestion),
           message=lambda: (_("Meeting booked: “%(requirement)s” ↔ “%(achievement)s”") % titles,
                            _("Time: %(when)s. Place: %(where)s.") % {"when": when, "where": where}))
    return meeting


@transaction.atomic
def meeting_move(*, actor: User, meeting: Meeting, starts_at: datetime, location: str, reason: str) -> Meeting:
    """Move a confirmed meeting to another time or place, saying why: the participants are told
    (a confirmed conference negotiation is never moved silently)."""
    meeting, suggestion = _lock_meeting(meeting)
    _require(rules.can_follow_up(actor, suggestion), _("Only bureau staff or the pair's broker move a booked meeting."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason so the others can plan again.")})
    if meeting.status != MeetingStatus.CONFIRMED:
        raise ApplicationError(_("Only a confirmed meeting can be moved (this one: %(status)s).")
                               % {"status": meeting.get_status_display()}, code="illegal_transition", status=409)
    before = (timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M"), meeting.location)
    meeting.starts_at, meeting.location = starts_at, location.strip()[:300]
    meeting.save(update_fields=["starts_at", "location", "updated_at"])
    _record(suggestion, action="meeting_moved", actor=actor, note=reason,
            data={"meeting": meeting.pk, "from": list(before)})
    titles = _titles(suggestion)
    when, where = timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M"), meeting.location
    notify(users=_participants(suggestion, exclude=actor), kind="meeting_moved", url=_pair_url(suggestion),
           message=lambda: (_("Meeting moved: “%(requirement)s” ↔ “%(achievement)s”") % titles,
                            _("New time: %(when)s. Place: %(where)s. Reason: %(reason)s")
                            % {"when": when, "where": where, "reason": reason}))
    return meeting


# --- outcomes ------------------------------------------------------------------------------------

def _parse_amount(amount) -> Decimal:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": _("Enter the amount as a number (in 10,000 CNY).")}) from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e10"):
        raise ValidationError({"amount": _("Enter an amount from 0 to 9,999,999,999 (in 10,000 CNY).")})
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def agreement_record(*, actor: User, suggestion: Suggestion, contract_type: str, amount, signed_on: date,
                     note: str = "", meeting: Meeting | None = None) -> Agreement:
    """The broker (or bureau staff) record the agreement the pair signed after meeting. The
    requirement becomes resolved / contracted; every report counts this row. One per pair."""
    suggestion = _lock(suggestion)
    _require(rules.can_follow_up(actor, suggestion), _("Only the pair's broker or bureau staff record agreements."))
    if Agreement.objects.filter(suggestion=suggestion).exists():
        raise ApplicationError(_("This pair's agreement is already recorded."), code="already_signed", status=409)
    if suggestion.status != S.MET:
        raise ApplicationError(_("An agreement is recorded after the parties met (now: %(status)s).")
                               % {"status": suggestion.get_status_display()}, code="illegal_transition", status=409)
    if contract_type not in CooperationMode.values:
        raise ValidationError({"contract_type": _("Unknown contract type.")})
    value = _parse_amount(amount)
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("The signing date cannot be in the future.")})
    held = suggestion.meetings.filter(status=MeetingStatus.HELD)
    if meeting is not None and not held.filter(pk=meeting.pk).exists():
        raise ValidationError({"meeting": _("Choose a meeting of this pair that took place.")})
    meeting = meeting or held.order_by("-starts_at").first()
    agreement = Agreement.objects.create(
        suggestion=suggestion, meeting=meeting, contract_type=contract_type, amount=value, signed_on=signed_on,
        requirement_organisation_id=suggestion.requirement.organisation_id,
        achievement_organisation_id=suggestion.achievement.organisation_id, broker_id=suggestion.broker_id,
        note=note.strip()[:2000], recorded_by=actor,
    )
    _record(suggestion, action="signed", actor=actor, to=S.SIGNED,
            data={"agreement": agreement.pk, "amount": str(value), "contract_type": contract_type})
    listing_record_outcome(actor=actor, listing=suggestion.requirement, to=ListingStatus.CONTRACTED,
                           reason=_("Agreement signed with “%(achievement)s”") % _titles(suggestion))
    audit_event("pair.agreement", user=actor, suggestion_id=suggestion.pk, agreement_id=agreement.pk)
    titles = _titles(suggestion)
    notify(users=_participants(suggestion, exclude=actor), kind="agreement", url=_pair_url(suggestion),
           message=lambda: (_("Agreement recorded: “%(requirement)s” ↔ “%(achievement)s”") % titles, ""))
    return agreement


@transaction.atomic
def suggestion_close(*, actor: User, suggestion: Suggestion, reason: str) -> Suggestion:
    """A participant ends a negotiation without a deal, with a reason. Open meetings are
    cancelled; the requirement is published again unless another pair still negotiates for it."""
    suggestion = _lock(suggestion)
    _require_participant(actor, suggestion, _("Only the two parties and their broker can close the pair."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why there is no deal; the report counts the reasons.")})
    if suggestion.status not in NEGOTIATING:
        raise ApplicationError(_("Only a pair in negotiation can end without a deal (now: %(status)s).")
                               % {"status": suggestion.get_status_display()}, code="illegal_transition", status=409)
    suggestion.meetings.filter(status__in=(MeetingStatus.REQUESTED, MeetingStatus.CONFIRMED)).update(
        status=MeetingStatus.CANCELLED, closed_by=actor, closed_at=timezone.now(), outcome=reason[:2000])
    _record(suggestion, action="no_deal", actor=actor, to=S.NO_DEAL, note=reason)
    still = Suggestion.objects.filter(requirement_id=suggestion.requirement_id, status__in=NEGOTIATING) \
        .exclude(pk=suggestion.pk).exists()
    if not still and suggestion.requirement.status == ListingStatus.IN_NEGOTIATION:
        listing_record_outcome(actor=actor, listing=suggestion.requirement, to=ListingStatus.PUBLISHED,
                               reason=_("Negotiation ended without a deal"))
    titles = _titles(suggestion)
    notify(users=_participants(suggestion, exclude=actor), kind="no_deal", url=_pair_url(suggestion),
           message=lambda: (_("No deal: “%(requirement)s” ↔ “%(achievement)s”") % titles, reason))
    return suggestion


def review_due(assigned_at: datetime) -> datetime:
    return assigned_at + timedelta(hours=settings.TECHDOCK_REVIEW_SLA_HOURS)
