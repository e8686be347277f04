"""Who may see and do what with a listing. Selectors apply the same rules to querysets
(``catalog.selectors``); both read this module so that HTML and JSON never disagree.

Access levels for one listing and one user:
- FULL: the owner organisation's members, bureau staff, brokers assigned to the listing and
  (achievements) experts assigned to evaluate it — everything, including budget, the bureau's
  note, provenance and the status history.
- MEMBER: signed-in members of approved organisations, for live public / members-tier listings —
  the full technical text and the contact, but not the budget or the bureau's internals.
- SUMMARY: anonymous visitors and pending accounts, for live public listings — the public
  summary only.
- NONE: everyone else, and everyone but FULL for restricted ("confidential") listings and for
  listings that are not live (drafts, submitted, rejected, withdrawn…).
"""

import enum

from accounts.rules import Roles, roles_for
from catalog.enums import (
    CLOSED_STATUSES,
    EDITABLE_STATUSES,
    LIVE_STATUSES,
    Confidentiality,
    EvaluationStatus,
    ListingKind,
)


class Access(enum.IntEnum):
    NONE = 0
    SUMMARY = 1
    MEMBER = 2
    FULL = 3


SUMMARY_FIELDS = frozenset({
    "id", "kind", "title", "summary", "keywords", "fields", "language", "region", "organisation",
    "cooperation_modes", "ip_status", "trl", "trl_min", "status", "published_at", "confidentiality",
})
MEMBER_FIELDS = SUMMARY_FIELDS | {
    "description", "problem_statement", "technical_indicators", "deadline", "advantages",
    "application_scenarios", "team", "contact_name", "contact_email", "contact_phone", "patent_numbers",
    "valid_from", "valid_until", "attachments", "evaluation_result",
}
FULL_FIELDS = MEMBER_FIELDS | {
    "budget_min", "budget_max", "status_reason", "internal_note", "provenance", "collected_by",
    "source_batch", "external_ref", "assigned_brokers", "submitted_at", "created_at", "updated_at",
    "evaluation_score", "created_by",
}
# Fields only the bureau (and the platform admin) may see, even on the owner's own listing.
BUREAU_ONLY_FIELDS = frozenset({"internal_note"})


def fields_for(access: Access, roles: Roles) -> frozenset[str]:
    if access == Access.FULL:
        return FULL_FIELDS if roles.is_bureau else FULL_FIELDS - BUREAU_ONLY_FIELDS
    if access == Access.MEMBER:
        return MEMBER_FIELDS
    if access == Access.SUMMARY:
        return SUMMARY_FIELDS
    return frozenset()


def _is_assigned_broker(roles: Roles, listing) -> bool:
    if not roles.is_broker or listing.pk is None:
        return False
    return listing.assigned_brokers.filter(pk=roles.user_id).exists()


def _is_assigned_expert(roles: Roles, listing) -> bool:
    if listing.KIND != ListingKind.ACHIEVEMENT or not roles.is_expert or listing.pk is None:
        return False
    return listing.evaluations.filter(expert_id=roles.user_id).exists()


def listing_access(user, listing, *, assigned: bool | None = None) -> Access:
    """The user's access level to one listing. ``assigned`` (the user follows the listing as an
    assigned broker or expert) may be given when the caller has read it in bulk for a page of
    listings; otherwise it is looked up here."""
    roles = roles_for(user)
    if roles.is_bureau or listing.organisation_id in roles.org_ids:
        return Access.FULL
    if assigned is None:
        assigned = _is_assigned_broker(roles, listing) or _is_assigned_expert(roles, listing)
    if assigned:
        return Access.FULL
    if listing.status not in LIVE_STATUSES or listing.confidentiality == Confidentiality.RESTRICTED:
        return Access.NONE
    if roles.is_member:
        return Access.MEMBER
    if listing.confidentiality == Confidentiality.PUBLIC:
        return Access.SUMMARY
    return Access.NONE


def is_owner(user, listing) -> bool:
    roles = roles_for(user)
    role = "enterprise_member" if listing.KIND == ListingKind.REQUIREMENT else "university_member"
    return listing.organisation_id in roles.orgs_with(role)


def can_create_listing(user, kind: str, organisation_id: int) -> bool:
    roles = roles_for(user)
    if roles.is_bureau:
        return True
    org_ids = roles.requirement_org_ids if kind == ListingKind.REQUIREMENT else roles.achievement_org_ids
    return organisation_id in org_ids


def can_edit_listing(user, listing) -> bool:
    roles = roles_for(user)
    if roles.is_bureau:
        return listing.status not in CLOSED_STATUSES
    return is_owner(user, listing) and listing.status in EDITABLE_STATUSES


def can_submit_listing(user, listing) -> bool:
    return is_owner(user, listing) or roles_for(user).is_bureau


def can_withdraw_listing(user, listing) -> bool:
    return (is_owner(user, listing) or roles_for(user).is_bureau) and listing.status not in CLOSED_STATUSES


def can_screen_listings(user) -> bool:
    return roles_for(user).is_bureau


def can_submit_evaluation(user, evaluation) -> bool:
    return evaluation.expert_id == getattr(user, "pk", None) and evaluation.status in (
        EvaluationStatus.ASSIGNED, EvaluationStatus.SUBMITTED
    )
