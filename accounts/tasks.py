"""Mail goes out from the worker, never inside a request."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import Invitation, Notification, Organisation, User

logger = logging.getLogger(__name__)

TEMPLATES = {"organisation_signup", "organisation_decided", "invitation"}


def _context(template: str, context: dict) -> dict | None:
    ctx = dict(context)
    ctx["site_url"] = settings.TECHDOCK_SITE_URL
    if "organisation_id" in context:
        ctx["organisation"] = Organisation.objects.filter(pk=context["organisation_id"]).first()
        if ctx["organisation"] is None:
            return None
    if "invitation_id" in context:
        ctx["invitation"] = Invitation.objects.select_related("organisation").filter(
            pk=context["invitation_id"]).first()
        if ctx["invitation"] is None:
            return None
    return ctx


@shared_task(name="accounts.send_mail", autoretry_for=(ConnectionError, OSError), retry_backoff=True,
             max_retries=5, acks_late=True)
def send_mail_task(*, template: str, to: list[str], context: dict) -> int:
    """Render ``emails/<template>_{subject,body}.txt`` in each recipient's language and send it.
    Returns the number of messages sent; the object behind the mail may be gone (0)."""
    if template not in TEMPLATES:
        logger.error("unknown mail template %s", template)
        return 0
    ctx = _context(template, context)
    if ctx is None:
        logger.info("mail %s skipped: its object is gone", template)
        return 0
    languages = dict(User.objects.filter(email__in=to).values_list("email", "preferred_language"))
    sent = 0
    for address in to:
        with translation.override(languages.get(address, settings.LANGUAGE_CODE)):
            subject = render_to_string(f"emails/{template}_subject.txt", ctx).strip()
            body = render_to_string(f"emails/{template}_body.txt", ctx)
        sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    return sent


@shared_task(name="accounts.send_notification_mail", autoretry_for=(ConnectionError, OSError), retry_backoff=True,
             max_retries=5, acks_late=True)
def send_notification_mail_task(*, notification_ids: list[int]) -> int:
    """Mail each notification to its user, with the wrapper text in the user's language (the
    notification itself was written in it). Safe to run twice only in the sense that a redelivered
    task mails again: notices are cheap, a lost one is not."""
    sent = 0
    for note in Notification.objects.select_related("user").filter(pk__in=notification_ids):
        if not note.user.is_active or not note.user.email:
            continue
        ctx = {"notification": note, "site_url": settings.TECHDOCK_SITE_URL, "user": note.user}
        with translation.override(note.user.preferred_language or settings.LANGUAGE_CODE):
            subject = render_to_string("emails/notification_subject.txt", ctx).strip()
            body = render_to_string("emails/notification_body.txt", ctx)
        sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [note.user.email])
    return sent
