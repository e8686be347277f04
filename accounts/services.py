"""Writes for accounts: sign-up, approval, invitations, memberships, broker profiles, notifications."""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.enums import DEFAULT_ROLE_BY_KIND, OrganisationKind, OrganisationStatus, Role
from accounts.models import BrokerProfile, Invitation, Membership, Notification, Organisation, User
from accounts.rules import (
    can_decide_organisations,
    can_manage_organisation,
    forget_roles,
    organisation_kind_allows_role,
    roles_for,
)
from common.audit import audit_event_on_commit
from common.errors import ApplicationError, PermissionDenied


def user_create(*, email: str, password: str | None, full_name: str = "", phone: str = "",
                preferred_language: str = "zh-hans") -> User:
    """Create a user after validating the email and the password policy."""
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(_("An account with this email already exists."), code="email_taken")
    user = User(email=email, full_name=full_name, phone=phone, preferred_language=preferred_language)
    if password is not None:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def organisation_signup(*, kind: str, name_zh: str, name_en: str = "", credit_code: str = "",
                        region: str = "other", address: str = "", website: str = "", description: str = "",
                        admin_email: str, admin_password: str, admin_full_name: str = "",
                        admin_phone: str = "", preferred_language: str = "zh-hans") -> Organisation:
    """A new organisation applies to join. Creates the organisation (pending), its first user and
    that user's admin membership. Side effects: bureau staff are emailed and the membership is
    audited after commit."""
    if kind == OrganisationKind.BUREAU:
        raise ApplicationError(_("Bureaus are set up by the platform operator, not by sign-up."))
    org = Organisation(
        kind=kind, name_zh=name_zh, name_en=name_en, credit_code=credit_code, region=region,
        address=address, website=website, description=description, status=OrganisationStatus.PENDING,
    )
    org.full_clean()
    org.save()
    user = user_create(email=admin_email, password=admin_password, full_name=admin_full_name,
                       phone=admin_phone, preferred_language=preferred_language)
    membership = Membership.objects.create(user=user, organisation=org, role=DEFAULT_ROLE_BY_KIND[kind],
                                           is_admin=True)
    audit_event_on_commit("membership.granted", user=user, organisation_id=org.pk, member_id=user.pk,
                          role=membership.role, is_admin=True, via="signup")
    transaction.on_commit(lambda: _notify_bureau_of_signup(org.pk))
    return org


def _notify_bureau_of_signup(organisation_id: int) -> None:
    from accounts.tasks import send_mail_task

    staff_emails = list(
        Membership.objects.filter(
            role=Role.BUREAU_STAFF, organisation__status=OrganisationStatus.APPROVED
        ).values_list("user__email", flat=True).distinct()
    )
    if staff_emails:
        send_mail_task.delay(
            template="organisation_signup", to=staff_emails, context={"organisation_id": organisation_id}
        )


@transaction.atomic
def organisation_decide(*, actor: User, organisation: Organisation, approve: bool, reason: str = "") -> Organisation:
    """Bureau staff approve or reject a pending organisation (its members' roles take effect on
    approval). Side effects: its admins are emailed and the decision is audited after commit."""
    if not can_decide_organisations(actor):
        raise PermissionDenied(_("Only bureau staff can approve organisations."))
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if org.status != OrganisationStatus.PENDING:
        raise ApplicationError(_("This organisation has already been decided."), code="already_decided")
    if not approve and not reason.strip():
        raise ApplicationError(_("Give a reason for the rejection."), code="reason_required")
    org.status = OrganisationStatus.APPROVED if approve else OrganisationStatus.REJECTED
    org.status_reason = reason.strip()
    org.decided_by = actor
    org.decided_at = timezone.now()
    org.save(update_fields=["status", "status_reason", "decided_by", "decided_at", "updated_at"])
    audit_event_on_commit("organisation.decided", user=actor, organisation_id=org.pk, status=org.status)
    admin_emails = list(org.memberships.filter(is_admin=True).values_list("user__email", flat=True))

    def notify() -> None:
        from accounts.tasks import send_mail_task

        if admin_emails:
            send_mail_task.delay(template="organisation_decided", to=admin_emails,
                                 context={"organisation_id": org.pk})

    transaction.on_commit(notify)
    return org


def organisation_update(*, actor: User, organisation: Organisation, data: dict) -> Organisation:
    """An organisation admin or bureau staff edits the organisation's profile."""
    if not can_manage_organisation(actor, organisation):
        raise PermissionDenied(_("You cannot edit this organisation."))
    editable = {"name_zh", "name_en", "credit_code", "region", "address", "website", "description"}
    changed = [key for key in data if key in editable]
    for key in changed:
        setattr(organisation, key, data[key])
    organisation.full_clean()
    organisation.save(update_fields=[*changed, "updated_at"])
    return organisation


@transaction.atomic
def invitation_create(*, actor: User, organisation: Organisation, email: str, role: str,
                      is_admin: bool = False) -> Invitation:
    """An organisation admin invites a member. Side effects: the invitation email and the audit
    line, after commit."""
    if not can_manage_organisation(actor, organisation):
        raise PermissionDenied(_("Only this organisation's admins can invite members."))
    if not organisation.is_approved:
        raise ApplicationError(_("The organisation must be approved before it can invite members."))
    if role == Role.BUREAU_STAFF and not roles_for(actor).is_bureau:
        raise PermissionDenied(_("Only bureau staff can grant the bureau staff role."))
    if not organisation_kind_allows_role(organisation.kind, role):
        raise ApplicationError(_("This role does not exist in this kind of organisation."), code="bad_role")
    email = User.objects.normalize_email(email).strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email, role=role).exists():
        raise ApplicationError(_("This person is already a member with this role."), code="already_member")
    Invitation.objects.filter(organisation=organisation, email=email, accepted_at__isnull=True).delete()
    invitation = Invitation(organisation=organisation, email=email, role=role, is_admin=is_admin, invited_by=actor)
    invitation.full_clean(exclude=["token", "invited_by"])
    invitation.save()
    audit_event_on_commit("invitation.created", user=actor, organisation_id=organisation.pk,
                          invitation_id=invitation.pk, email=email, role=role, is_admin=is_admin)
    link = settings.TECHDOCK_SITE_URL.rstrip("/") + reverse("accounts:invitation-accept", args=[invitation.token])

    def notify() -> None:
        from accounts.tasks import send_mail_task

        send_mail_task.delay(template="invitation", to=[email],
                             context={"invitation_id": invitation.pk, "link": link})

    transaction.on_commit(notify)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User | None = None, password: str | None = None,
                      full_name: str = "") -> User:
    """Accept an invitation: an existing signed-in user joins, or a new account is created.
    Side effect: the role granted is audited after commit."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ApplicationError(_("This invitation has expired or was already used."), code="invitation_closed")
    if user is None:
        existing = User.objects.filter(email__iexact=invitation.email).first()
        if existing is not None:
            raise ApplicationError(_("Sign in with this email first, then open the link again."),
                                   code="sign_in_first")
        user = user_create(email=invitation.email, password=password, full_name=full_name)
    elif user.email.lower() != invitation.email.lower():
        raise PermissionDenied(_("This invitation was sent to another email address."))
    try:
        with transaction.atomic():
            Membership.objects.create(user=user, organisation=invitation.organisation, role=invitation.role,
                                      is_admin=invitation.is_admin)
    except IntegrityError:
        pass  # already a member with that role: accepting twice is harmless
    else:
        audit_event_on_commit("membership.granted", user=user, organisation_id=invitation.organisation_id,
                              member_id=user.pk, role=invitation.role, is_admin=invitation.is_admin,
                              via="invitation", invitation_id=invitation.pk, invited_by_id=invitation.invited_by_id)
    if invitation.role == Role.BROKER:
        BrokerProfile.objects.get_or_create(user=user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    forget_roles(user)
    return user


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """An organisation admin removes a member; the last admin cannot remove themself. Side
    effect: the removal is audited after commit."""
    org = membership.organisation
    if not can_manage_organisation(actor, org):
        raise PermissionDenied(_("Only this organisation's admins can remove members."))
    if membership.is_admin and not org.memberships.filter(is_admin=True).exclude(pk=membership.pk).exists():
        raise ApplicationError(_("An organisation needs at least one admin."), code="last_admin")
    audit_event_on_commit("membership.removed", user=actor, organisation_id=org.pk, member_id=membership.user_id,
                          role=membership.role, is_admin=membership.is_admin)
    membership.delete()


def broker_profile_update(*, actor: User, profile: BrokerProfile, capacity: int | None = None,
                          is_active: bool | None = None, bio: str | None = None) -> BrokerProfile:
    """A broker edits their own profile; bureau staff may edit any."""
    if actor.pk != profile.user_id and not roles_for(actor).is_bureau:
        raise PermissionDenied(_("You cannot edit this broker profile."))
    fields = []
    for name, value in (("capacity", capacity), ("is_active", is_active), ("bio", bio)):
        if value is not None:
            setattr(profile, name, value)
            fields.append(name)
    profile.full_clean()
    profile.save(update_fields=[*fields, "updated_at"])
    return profile


def notify(*, users: Iterable[User], kind: str, message: Callable[[], tuple[str, str]], url: str = "",
           email: bool = True) -> list[Notification]:
    """Notify each user in the portal and (``email``) by mail. ``message`` returns (title, body)
    and is called once per recipient language, inside ``translation.override``, so each user
    reads it in their own language. Side effect: a mail task per batch, queued after commit."""
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    if not recipients:
        return []
    rendered: dict[str, tuple[str, str]] = {}
    notes = []
    for user in recipients.values():
        language = user.preferred_language or settings.LANGUAGE_CODE
        if language not in rendered:
            with translation.override(language):
                title, body = message()
                rendered[language] = (str(title)[:300], str(body)[:2000])
        title, body = rendered[language]
        notes.append(Notification(user=user, kind=kind[:40], title=title, body=body, url=url[:300]))
    notes = Notification.objects.bulk_create(notes)
    if email:
        # PostgreSQL and SQLite (3.35+) return the new primary keys from bulk_create.
        ids = [note.pk for note in notes]
        transaction.on_commit(lambda: _mail_notifications(ids))
    return notes


def _mail_notifications(ids: list[int]) -> None:
    from accounts.tasks import send_notification_mail_task

    send_notification_mail_task.delay(notification_ids=ids)


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when ``ids`` is None). Others' are untouched."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
