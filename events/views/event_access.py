"""The one gate of the event pages: an event the user may not see is a 404 (``events.selectors``),
an action on a visible event that the user may not take is a 403 with the rule's message, and a
service's refusal re-renders the form with its message (400, or the error's own status)."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse

from common.errors import ApplicationError, PermissionDenied
from common.forms import add_service_errors
from events import rules, selectors
from events.models import Event, Registration


def event_for(request: HttpRequest, slug: str) -> Event:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    if event is None:
        raise Http404("No such event.")
    return event


def require(allowed: bool, message) -> None:
    if not allowed:
        raise PermissionDenied(message)


def registration_for(request: HttpRequest, event: Event, pk: int) -> Registration:
    """A registration of the event that the user manages (its organisation's people, bureau
    staff); anyone else's is a 404, as if it did not exist."""
    registration = Registration.objects.filter(event=event, pk=pk).select_related("organisation", "event").first()
    if registration is None or not rules.can_manage_registration(request.user, registration):
        raise Http404("No such registration.")
    return registration


def event_url(event: Event, name: str = "event-detail") -> str:
    return reverse(f"events:{name}", kwargs={"slug": event.slug})


def refused(form, error: Exception) -> int:
    """Put a service's refusal on the form; the status code to answer with."""
    if not isinstance(error, (ApplicationError, ValidationError)):
        raise error
    add_service_errors(form, error)
    return getattr(error, "status", 400)
