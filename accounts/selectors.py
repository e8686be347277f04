"""Reads of accounts that a user can reach; visibility lives here."""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.enums import OrganisationStatus
from accounts.models import Invitation, Membership, Organisation
from accounts.rules import roles_for


def organisation_list_for_user(*, user) -> QuerySet:
    """Approved organisations are public; pending and rejected ones only to their own members
    and the bureau."""
    roles = roles_for(user)
    qs = Organisation.objects.all()
    if roles.is_bureau:
        return qs
    own = list(roles.org_ids | roles.pending_org_ids)
    return qs.filter(Q(status=OrganisationStatus.APPROVED) | Q(pk__in=own))


def organisation_get_for_user(*, user, pk: int) -> Organisation:
    try:
        return organisation_list_for_user(user=user).get(pk=pk)
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such organisation.") from None


def organisations_pending(*, user) -> QuerySet:
    if not roles_for(user).is_bureau:
        return Organisation.objects.none()
    return Organisation.objects.filter(status=OrganisationStatus.PENDING).order_by("created_at")


def membership_list_for_organisation(*, user, organisation: Organisation) -> QuerySet:
    """Members of an organisation, for its own members and the bureau."""
    roles = roles_for(user)
    if not (roles.is_bureau or organisation.pk in roles.org_ids or organisation.pk in roles.pending_org_ids):
        return Membership.objects.none()
    return organisation.memberships.select_related("user").order_by("user__email")


def invitation_list_for_organisation(*, user, organisation: Organisation) -> QuerySet:
    roles = roles_for(user)
    if not (roles.is_bureau or organisation.pk in roles.admin_of):
        return Invitation.objects.none()
    return organisation.invitations.filter(accepted_at__isnull=True).order_by("-created_at")


def user_organisations(*, user) -> QuerySet:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user).distinct()


def membership_list_for_user(*, user) -> QuerySet:
    """The signed-in user's own memberships (any organisation status)."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return user.memberships.select_related("organisation").order_by("organisation__name_zh", "role")


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """An invitation by its secret token; the token itself is the credential."""
    if not token or len(token) > 64:
        return None
    return Invitation.objects.select_related("organisation").filter(token=token).first()


def notification_list_for_user(*, user) -> QuerySet:
    """The user's own notifications, newest first (nobody reads another's)."""
    from accounts.models import Notification

    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_unread_count(*, user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return notification_list_for_user(user=user).filter(read_at__isnull=True).count()
