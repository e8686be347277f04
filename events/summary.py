"""Publishing an event's public summary (the page a bureau points its news release at)."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from common.audit import audit_event_on_commit
from common.errors import ApplicationError, PermissionDenied
from events import rules
from events.enums import EventStatus
from events.models import Event


@transaction.atomic
def event_summary_publish(*, actor: User, event: Event, published: bool, note_zh: str = "",
                          note_en: str = "") -> Event:
    """Bureau staff publish (or withdraw) the event's public summary with its note in both
    languages. A draft or cancelled event's summary cannot be published. Side effect: an audit
    line after commit."""
    if not rules.can_manage_events(actor):
        raise PermissionDenied(_("Only bureau staff can publish an event's summary."))
    event = Event.objects.select_for_update().get(pk=event.pk)
    if published and event.status not in (EventStatus.PUBLISHED, EventStatus.CLOSED):
        raise ApplicationError(_("Publish the event before its summary."), code="event_not_published")
    event.summary_published = published
    event.summary_note_zh = (note_zh or "").strip()
    event.summary_note_en = (note_en or "").strip()
    event.full_clean()
    event.save(update_fields=["summary_published", "summary_note_zh", "summary_note_en", "updated_at"])
    audit_event_on_commit("event.summary_published" if published else "event.summary_withdrawn", user=actor,
                          event_id=event.pk)
    return event
