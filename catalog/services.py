"""Writes to the catalog: listings and their lifecycle, attachments, expert evaluation.

Lifecycle (DESIGN.md §2), enforced here and nowhere else:
    draft → submitted → screened → published        (requirements)
    draft → submitted → screened → [expert evaluation] → published   (achievements)
    submitted | screened → rejected (with a reason) → submitted again after editing
    any open status → withdrawn
Every transition writes a ``ListingStatusChange`` row in the same transaction.
"""

import os
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import Role
from accounts.models import Membership, Organisation, User
from accounts.rules import roles_for
from catalog import rules, signals
from catalog.enums import (
    CLOSED_STATUSES,
    EvaluationResult,
    EvaluationStatus,
    ListingKind,
    ListingStatus,
    Provenance,
)
from catalog.models import (
    Achievement,
    Attachment,
    ExpertEvaluation,
    Field,
    Listing,
    ListingStatusChange,
    Requirement,
)
from catalog.search import build_search_text
from common.errors import ApplicationError, PermissionDenied

MODELS: dict[str, type[Listing]] = {ListingKind.REQUIREMENT: Requirement, ListingKind.ACHIEVEMENT: Achievement}

COMMON_EDITABLE = {
    "title", "summary", "description", "keywords", "language", "region", "contact_name", "contact_email",
    "contact_phone", "cooperation_modes", "ip_status", "patent_numbers", "budget_min", "budget_max",
    "confidentiality", "valid_from", "valid_until",
}
EDITABLE = {
    ListingKind.REQUIREMENT: COMMON_EDITABLE | {"problem_statement", "technical_indicators", "trl_min", "deadline"},
    ListingKind.ACHIEVEMENT: COMMON_EDITABLE | {"advantages", "application_scenarios", "team", "trl"},
}
# Only bureau staff set these (provenance of collected listings, internal notes).
BUREAU_EDITABLE = {"provenance", "collected_by", "source_batch", "external_ref", "internal_note"}

ALLOWED_ATTACHMENT_EXTENSIONS = {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".png", ".jpg",
                                 ".jpeg", ".txt", ".zip"}
MAX_ATTACHMENTS = 10


def listing_search_text(listing: Listing, field_objs: Iterable[Field] | None = None) -> str:
    field_objs = list(field_objs) if field_objs is not None else list(listing.fields.all())
    parts = [listing.title, listing.summary, listing.description, " ".join(listing.keywords or [])]
    if isinstance(listing, Requirement):
        parts += [listing.problem_statement, listing.technical_indicators]
    else:
        parts += [listing.advantages, listing.application_scenarios]
    parts += [f"{f.name_zh} {f.name_en}" for f in field_objs]
    parts.append(listing.organisation.name_zh + " " + listing.organisation.name_en)
    return build_search_text(*parts, terms=listing.keywords or [])


def _log(listing: Listing, *, from_status: str, actor: User | None, reason: str = "") -> None:
    ListingStatusChange.objects.create(
        kind=listing.KIND, listing_id=listing.pk, from_status=from_status, to_status=listing.status,
        actor=actor, reason=reason[:1000],
    )


def _announce(listing: Listing, *, content_changed: bool) -> None:
    kind, pk, status = listing.KIND, listing.pk, listing.status
    transaction.on_commit(lambda: signals.listing_changed.send(
        sender=type(listing), kind=kind, listing_id=pk, status=status, content_changed=content_changed,
    ))


def _lock(listing: Listing) -> Listing:
    return type(listing).objects.select_for_update().get(pk=listing.pk)


def _set_fields(listing: Listing, field_objs: list[Field] | None) -> None:
    if field_objs is not None:
        listing.fields.set(field_objs)


def _full_clean(listing: Listing, field_objs: list[Field] | None) -> None:
    """Validate the listing and its taxonomy fields together, so that every error is reported
    at once (``field_objs`` None means the fields are not being changed)."""
    errors: dict[str, list] = {}
    if field_objs is not None and not field_objs:
        errors["fields"] = [_("Choose at least one field.")]
    elif field_objs is not None and len(field_objs) > 5:
        errors["fields"] = [_("Choose at most 5 fields.")]
    try:
        listing.full_clean()
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def listing_create(*, actor: User, kind: str, organisation: Organisation, data: dict,
                   fields: list[Field], submit: bool = False) -> Listing:
    """Create a listing as a draft (or submit it at once). The actor must be a member of the
    owning organisation with the right role, or bureau staff collecting on its behalf."""
    if not organisation.is_approved:
        raise ApplicationError(_("The organisation has not been approved yet."), code="organisation_pending")
    if not rules.can_create_listing(actor, kind, organisation.pk):
        raise PermissionDenied(_("You cannot post listings for this organisation."))
    allowed = EDITABLE[kind] | (BUREAU_EDITABLE if roles_for(actor).is_bureau else set())
    unknown = set(data) - allowed
    if unknown:
        raise ApplicationError(_("These fields cannot be set: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    model = MODELS[kind]
    listing = model(organisation=organisation, created_by=actor, status=ListingStatus.DRAFT, **data)
    if roles_for(actor).is_bureau and organisation.pk not in roles_for(actor).org_ids and "provenance" not in data:
        listing.provenance = Provenance.BUREAU
    if not listing.region or listing.region == "other":
        listing.region = organisation.region
    if not listing.contact_email and not listing.contact_name:
        listing.contact_name = actor.full_name
        listing.contact_email = actor.email
    _full_clean(listing, fields)
    listing.search_text = listing_search_text(listing, fields)
    listing.save()
    _set_fields(listing, fields)
    _log(listing, from_status="", actor=actor, reason="created")
    _announce(listing, content_changed=True)
    if submit:
        listing_submit(actor=actor, listing=listing)
        listing.refresh_from_db()
    return listing


@transaction.atomic
def listing_update(*, actor: User, listing: Listing, data: dict, fields: list[Field] | None = None) -> Listing:
    """Edit a listing's content. Owners edit drafts and rejected listings; bureau staff edit
    any open listing. Status and ownership never change here."""
    listing = _lock(listing)
    if not rules.can_edit_listing(actor, listing):
        raise PermissionDenied(_("You cannot edit this listing in its current status."))
    allowed = EDITABLE[listing.KIND] | (BUREAU_EDITABLE if roles_for(actor).is_bureau else set())
    unknown = set(data) - allowed
    if unknown:
        raise ApplicationError(_("These fields cannot be set: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for key, value in data.items():
        setattr(listing, key, value)
    _full_clean(listing, fields)
    field_objs = fields if fields is not None else list(listing.fields.all())
    listing.search_text = listing_search_text(listing, field_objs)
    listing.save(update_fields=[*data.keys(), "search_text", "updated_at"])
    _set_fields(listing, fields)
    _announce(listing, content_changed=True)
    return listing


def _check_complete(listing: Listing) -> None:
    errors: dict[str, str] = {}
    if not listing.fields.exists():
        errors["fields"] = _("Choose at least one field.")
    if len((listing.summary or "").strip()) < 10:
        errors["summary"] = _("Write a summary of at least 10 characters.")
    if not listing.cooperation_modes:
        errors["cooperation_modes"] = _("Choose at least one cooperation mode.")
    if errors:
        raise ValidationError(errors)


def _transition(*, actor: User, listing: Listing, allowed_from: Iterable[str], to: str, reason: str = "",
                extra_fields: Iterable[str] = ()) -> Listing:
    if listing.status not in allowed_from:
        raise ApplicationError(
            _("A listing in status “%(status)s” cannot become “%(target)s”.")
            % {"status": listing.get_status_display(), "target": ListingStatus(to).label},
            code="illegal_transition",
        )
    previous = listing.status
    listing.status = to
    listing.save(update_fields=["status", *extra_fields, "updated_at"])
    _log(listing, from_status=previous, actor=actor, reason=reason)
    _announce(listing, content_changed=False)
    return listing


@transaction.atomic
def listing_submit(*, actor: User, listing: Listing) -> Listing:
    """Owner submits a draft (or a fixed rejected listing) for screening."""
    listing = _lock(listing)
    if not rules.can_submit_listing(actor, listing):
        raise PermissionDenied(_("Only the owner can submit this listing."))
    _check_complete(listing)
    if isinstance(listing, Achievement) and listing.status == ListingStatus.REJECTED:
        evaluation_reset_for_resubmission(listing)
    listing.submitted_at = timezone.now()
    listing.status_reason = ""
    return _transition(actor=actor, listing=listing, allowed_from=(ListingStatus.DRAFT, ListingStatus.REJECTED),
                       to=ListingStatus.SUBMITTED, extra_fields=("submitted_at", "status_reason"))


@transaction.atomic
def listing_screen(*, actor: User, listing: Listing, note: str = "") -> Listing:
    """Bureau staff accept a submitted listing after screening (formal check)."""
    if not rules.can_screen_listings(actor):
        raise PermissionDenied(_("Only bureau staff can screen listings."))
    listing = _lock(listing)
    return _transition(actor=actor, listing=listing, allowed_from=(ListingStatus.SUBMITTED,),
                       to=ListingStatus.SCREENED, reason=note)


@transaction.atomic
def listing_reject(*, actor: User, listing: Listing, reason: str) -> Listing:
    """Bureau staff reject a listing with a reason; its content is kept for the owner to fix."""
    if not rules.can_screen_listings(actor):
        raise PermissionDenied(_("Only bureau staff can reject listings."))
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Give a reason so the owner can fix the listing.")})
    listing = _lock(listing)
    listing.status_reason = reason.strip()[:1000]
    return _transition(actor=actor, listing=listing,
                       allowed_from=(ListingStatus.SUBMITTED, ListingStatus.SCREENED),
                       to=ListingStatus.REJECTED, reason=reason, extra_fields=("status_reason",))


@transaction.atomic
def listing_publish(*, actor: User, listing: Listing) -> Listing:
    """Bureau staff publish a screened listing. Achievements must have passed expert evaluation."""
    if not rules.can_screen_listings(actor):
        raise PermissionDenied(_("Only bureau staff can publish listings."))
    listing = _lock(listing)
    if isinstance(listing, Achievement) and listing.evaluation_result != EvaluationResult.PASSED:
        raise ApplicationError(_("An achievement is published only after it passed expert evaluation."),
                               code="evaluation_required")
    listing.published_at = timezone.now()
    return _transition(actor=actor, listing=listing, allowed_from=(ListingStatus.SCREENED,),
                       to=ListingStatus.PUBLISHED, extra_fields=("published_at",))


@transaction.atomic
def listing_withdraw(*, actor: User, listing: Listing, reason: str = "") -> Listing:
    """The owner (or the bureau) withdraws a listing; it disappears from every list but its own."""
    listing = _lock(listing)
    if not rules.can_withdraw_listing(actor, listing):
        raise PermissionDenied(_("You cannot withdraw this listing."))
    open_statuses = [s for s in ListingStatus.values if s not in CLOSED_STATUSES]
    return _transition(actor=actor, listing=listing, allowed_from=open_statuses, to=ListingStatus.WITHDRAWN,
                       reason=reason)


@transaction.atomic
def listing_assign_brokers(*, actor: User, listing: Listing, brokers: list[User]) -> Listing:
    """Bureau staff assign the brokers who follow a listing (they see it even if restricted)."""
    if not rules.can_screen_listings(actor):
        raise PermissionDenied(_("Only bureau staff can assign brokers."))
    broker_ids = set(
        Membership.objects.filter(user__in=brokers, role=Role.BROKER).values_list("user_id", flat=True)
    )
    not_brokers = [str(b) for b in brokers if b.pk not in broker_ids]
    if not_brokers:
        raise ApplicationError(_("Not brokers: %(names)s") % {"names": ", ".join(not_brokers)}, code="not_broker")
    listing.assigned_brokers.set(brokers)
    return listing


# Moves driven by a negotiation (matchmaking calls these; it never writes a listing's status itself).
_OUTCOME_MOVES = {
    ListingStatus.IN_NEGOTIATION: (ListingStatus.PUBLISHED,),
    ListingStatus.PUBLISHED: (ListingStatus.IN_NEGOTIATION,),
    ListingStatus.CONTRACTED: (ListingStatus.PUBLISHED, ListingStatus.IN_NEGOTIATION),
}


@transaction.atomic
def listing_record_outcome(*, actor: User | None, listing: Listing, to: str, reason: str = "") -> Listing:
    """A negotiation started (published → in negotiation), ended without a deal (back to
    published) or produced a signed agreement (→ resolved / contracted). A listing already in the
    target status is left alone, so callers need not check first."""
    listing = _lock(listing)
    if listing.status == to:
        return listing
    return _transition(actor=actor, listing=listing, allowed_from=_OUTCOME_MOVES[ListingStatus(to)], to=to,
                       reason=reason)


def attachment_add(*, actor: User, listing: Listing, upload: UploadedFile) -> Attachment:
    """Attach a file to a listing the actor may edit; size and type are checked first."""
    if not (rules.can_edit_listing(actor, listing) or rules.is_owner(actor, listing)):
        raise PermissionDenied(_("You cannot add files to this listing."))
    name = os.path.basename(upload.name or "file")[:200]
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED_ATTACHMENT_EXTENSIONS:
        raise ValidationError({"file": _("This file type is not accepted.")})
    if upload.size > settings.TECHDOCK_MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": _("The file is larger than %(mb)d MB.")
                               % {"mb": settings.TECHDOCK_MAX_ATTACHMENT_BYTES // (1024 * 1024)}})
    if listing.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError({"file": _("A listing can have at most %(n)d files.") % {"n": MAX_ATTACHMENTS}})
    kwargs = {"requirement": listing} if isinstance(listing, Requirement) else {"achievement": listing}
    return Attachment.objects.create(file=upload, original_name=name, size=upload.size, uploaded_by=actor, **kwargs)


# --- Expert evaluation -------------------------------------------------------------------------

@transaction.atomic
def evaluation_assign(*, actor: User, achievement: Achievement, expert: User) -> ExpertEvaluation:
    """Bureau staff assign an expert to a screened achievement. An expert never evaluates an
    achievement of their own organisation."""
    if not rules.can_screen_listings(actor):
        raise PermissionDenied(_("Only bureau staff can assign experts."))
    achievement = _lock(achievement)
    if achievement.status != ListingStatus.SCREENED:
        raise ApplicationError(_("Experts are assigned to screened achievements only."), code="not_screened")
    expert_roles = roles_for(expert)
    if not expert_roles.is_expert:
        raise ApplicationError(_("This user is not an expert reviewer."), code="not_expert")
    if achievement.organisation_id in expert_roles.org_ids:
        raise ApplicationError(_("An expert cannot evaluate an achievement of their own organisation."),
                               code="conflict_of_interest")
    try:
        with transaction.atomic():
            return ExpertEvaluation.objects.create(achievement=achievement, expert=expert, assigned_by=actor)
    except IntegrityError:
        raise ApplicationError(_("This expert is already assigned."), code="already_assigned") from None


@transaction.atomic
def evaluation_submit(*, actor: User, evaluation: ExpertEvaluation, novelty: int, maturity: int, market: int,
                      team: int, comment: str = "", recommend: bool | None = None) -> ExpertEvaluation:
    """The assigned expert scores the achievement (1–10 per criterion). Re-submitting updates
    the scores until the bureau has decided."""
    evaluation = ExpertEvaluation.objects.select_for_update().select_related("achievement").get(pk=evaluation.pk)
    if evaluation.expert_id != actor.pk:
        raise PermissionDenied(_("Only the assigned expert can score this achievement."))
    if evaluation.achievement.evaluation_result != EvaluationResult.PENDING:
        raise ApplicationError(_("The bureau has already decided on this achievement."), code="decided")
    evaluation.novelty, evaluation.maturity, evaluation.market, evaluation.team = novelty, maturity, market, team
    evaluation.comment = comment
    evaluation.recommend = recommend
    evaluation.status = EvaluationStatus.SUBMITTED
    evaluation.submitted_at = timezone.now()
    evaluation.full_clean()
    missing = [name for name in ("novelty", "maturity", "market", "team") if getattr(evaluation, name) is None]
    if missing:
        raise ValidationError({name: _("Give a score from 1 to 10.") for name in missing})
    evaluation.save()
    return evaluation


@transaction.atomic
def evaluation_decide(*, actor: User, achievement: Achievement, passed: bool, reason: str = "") -> Achievement:
    """Bureau staff decide from the submitted scores: passed → published, failed → rejected."""
    if not rules.can_screen_listings(actor):
        raise PermissionDenied(_("Only bureau staff can decide evaluations."))
    achievement = _lock(achievement)
    evaluations = list(achievement.evaluations.all())
    submitted = [e for e in evaluations if e.status == EvaluationStatus.SUBMITTED]
    if not submitted:
        raise ApplicationError(_("Wait for at least one expert's scores."), code="no_scores")
    if len(submitted) < len(evaluations):
        raise ApplicationError(_("Some assigned experts have not submitted their scores yet."),
                               code="scores_outstanding")
    if achievement.evaluation_result != EvaluationResult.PENDING:
        raise ApplicationError(_("This achievement has already been decided."), code="decided")
    totals = [e.total for e in submitted if e.total is not None]
    achievement.evaluation_score = Decimal(str(round(sum(totals) / len(totals), 2)))
    achievement.evaluation_result = EvaluationResult.PASSED if passed else EvaluationResult.FAILED
    achievement.evaluation_decided_by = actor
    achievement.evaluation_decided_at = timezone.now()
    achievement.save(update_fields=["evaluation_score", "evaluation_result", "evaluation_decided_by",
                                    "evaluation_decided_at", "updated_at"])
    if passed:
        return listing_publish(actor=actor, listing=achievement)
    return listing_reject(actor=actor, listing=achievement,
                          reason=reason or _("Did not pass expert evaluation."))


def evaluation_reset_for_resubmission(achievement: Achievement) -> None:
    """After a rejected achievement is resubmitted the evaluation starts over."""
    if achievement.evaluation_result != EvaluationResult.PENDING:
        achievement.evaluation_result = EvaluationResult.PENDING
        achievement.evaluation_score = None
        achievement.save(update_fields=["evaluation_result", "evaluation_score", "updated_at"])
        achievement.evaluations.all().delete()
