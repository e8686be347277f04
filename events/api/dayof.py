"""The day of the event through the API: the reader's agenda (JSON, or an ICS calendar file),
check-in of a registration (bureau staff at the desk) and of a party at a negotiation's table
(bureau staff or the pair's broker), and a negotiation's outcome (the pair's broker or bureau
staff). Each view parses with an input serializer, calls one service or selector of
``events.dayof`` and renders with an output serializer. An event, registration or negotiation
the reader may not address is a 404; a refused action a 403 (not allowed) or 409 (withdrawn,
not confirmed, already recorded), as ``common.api`` turns the services' errors."""

from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.serializers import StrictInputSerializer
from events import dayof
from events.enums import PlanStatus, RegistrationStatus
from events.selectors import event_get_for_user
from matchmaking.api.pair_serializers import MeetingStatusField, RequiredBooleanField
from matchmaking.api.pair_views import E400, E403, E404, E409, FileEndpointMixin, parse
from matchmaking.api.serializers import SuggestionStatusField, _choice_field

# Path parameters as the URL converters match them (<slug:slug>, <int:pk>), so that the schema
# promises no URL that Django would not route.
SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$",
                        description=_("The event's short name."))
ID = OpenApiParameter("id", str, OpenApiParameter.PATH, pattern=r"^\d+$")
EVENT_DATETIME = {"default_timezone": dayof.EVENT_TZ}
AgendaKindField = _choice_field([(kind, kind) for kind in dayof.AgendaKind.ALL], "AgendaItemKindEnum")
CheckInSideField = _choice_field([("requirement", _("Enterprise (requirement)")),
                                  ("achievement", _("University (achievement)"))], "CheckInSideEnum")
PlanStatusField = _choice_field(PlanStatus.choices, "DayOfPlanStatusEnum")
RegistrationStatusField = _choice_field(RegistrationStatus.choices, "DayOfRegistrationStatusEnum")


# --- serializers ---------------------------------------------------------------------------------

class AgendaItemOutputSerializer(serializers.Serializer):
    kind = AgendaKindField(help_text=_("negotiation, roadshow, forum or presentation (a roadshow presentation)."))
    starts_at = serializers.DateTimeField(**EVENT_DATETIME, help_text=_("In China Standard Time (+08:00)."))
    ends_at = serializers.DateTimeField(**EVENT_DATETIME)
    title = serializers.CharField()
    where = serializers.CharField(help_text=_("Exhibition area · hall · table, or the room."))
    subject = serializers.CharField(help_text=_("A negotiation's two listings; a presentation's achievement."))
    counterpart = serializers.CharField(help_text=_("The other organisation (both, for brokers and bureau staff)."))
    broker = serializers.CharField()
    pair_id = serializers.IntegerField(allow_null=True)
    pair_url = serializers.CharField(source="url", help_text=_("The pair's page in the portal (negotiations)."))
    scheduled_id = serializers.IntegerField(allow_null=True, help_text=_("A negotiation's id, for check-in and "
                                                                         "outcome."))
    session_id = serializers.IntegerField(allow_null=True)
    planned = serializers.BooleanField(help_text=_("A draft of the plan, not yet confirmed (bureau staff only)."))
    requirement_checked_in_at = serializers.DateTimeField(**EVENT_DATETIME, allow_null=True)
    achievement_checked_in_at = serializers.DateTimeField(**EVENT_DATETIME, allow_null=True)
    outcome = serializers.CharField(help_text=_("held or missed once the broker recorded it, else empty."))
    outcome_note = serializers.CharField()
    position = serializers.IntegerField(allow_null=True, help_text=_("A presentation's place in its roadshow."))
    of = serializers.IntegerField(allow_null=True)


class AgendaOutputSerializer(serializers.Serializer):
    event = serializers.CharField(help_text=_("The event's short name."))
    name = serializers.CharField()
    time_zone = serializers.CharField(help_text=_("The time zone of every time of the agenda."))
    items = AgendaItemOutputSerializer(many=True)


class RegistrationCheckInOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.CharField(source="organisation.display_name")
    status = RegistrationStatusField()
    checked_in_at = serializers.DateTimeField(**EVENT_DATETIME, allow_null=True)
    checked_in_by = serializers.CharField(allow_null=True)


class MeetingCheckInInputSerializer(StrictInputSerializer):
    side = serializers.ChoiceField(choices=dayof.SIDES, help_text=_("The side that arrived at the table."))


class ScheduledCheckInOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = PlanStatusField()
    requirement_checked_in_at = serializers.DateTimeField(**EVENT_DATETIME, allow_null=True)
    achievement_checked_in_at = serializers.DateTimeField(**EVENT_DATETIME, allow_null=True)


class NegotiationOutcomeInputSerializer(StrictInputSerializer):
    held = RequiredBooleanField(help_text=_("Whether the negotiation took place."))
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class NegotiationOutcomeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The negotiation (scheduled meeting)."))
    meeting_id = serializers.IntegerField()
    meeting_status = MeetingStatusField()
    outcome = serializers.CharField()
    pair_id = serializers.IntegerField()
    pair_status = SuggestionStatusField()


# --- views ---------------------------------------------------------------------------------------

def _event(request, slug: str):
    event = event_get_for_user(user=request.user, slug=slug)
    if event is None:
        raise Http404
    return event


class _DayOfView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []


class AgendaView(_DayOfView):
    """The reader's agenda of the event, in time order: their confirmed negotiations (a broker:
    of the pairs routed to them), roadshow presentations and sessions, and forums. Bureau staff
    also see planned negotiations, marked ``planned``. Times in China Standard Time."""

    @extend_schema(tags=["events"], parameters=[SLUG], request=None,
                   responses={200: AgendaOutputSerializer, 403: E403, 404: E404})
    def get(self, request, slug: str):
        event = _event(request, slug)
        items = dayof.agenda_for_user(user=request.user, event=event)
        return Response(AgendaOutputSerializer({"event": event.slug, "name": event.name,
                                                "time_zone": dayof.EVENT_TZ_NAME, "items": items}).data)


class AgendaIcsView(FileEndpointMixin, _DayOfView):
    """The reader's agenda as an iCalendar file (RFC 5545) for their calendar app."""

    @extend_schema(tags=["events"], operation_id="v1_events_agenda_ics_retrieve", parameters=[SLUG],
                   request=None, responses={
        (200, "text/calendar"): OpenApiResponse(OpenApiTypes.BINARY, description="An iCalendar file."),
        403: E403, 404: E404})
    def get(self, request, slug: str):
        event = _event(request, slug)
        items = dayof.agenda_for_user(user=request.user, event=event)
        body = dayof.agenda_ics(user=request.user, event=event, items=items,
                                base_url=f"{request.scheme}://{request.get_host()}")
        response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{event.slug}-agenda.ics"'
        response["Cache-Control"] = "private, no-store"
        return response


class RegistrationCheckInView(_DayOfView):
    """Bureau staff at the desk check an organisation's delegation in. Idempotent: a second call
    answers the first check-in. A withdrawn registration is refused (409, ``withdrawn``)."""

    @extend_schema(tags=["events"], parameters=[SLUG, ID], request=None, responses={
        200: RegistrationCheckInOutputSerializer, 403: E403, 404: E404, 409: E409})
    def post(self, request, slug: str, pk: int):
        event = _event(request, slug)
        registration = dayof.registration_get_for_checkin(user=request.user, event=event, pk=pk)
        registration = dayof.registration_check_in(actor=request.user, registration=registration)
        return Response(RegistrationCheckInOutputSerializer(registration).data)


class MeetingCheckInView(_DayOfView):
    """Bureau staff or the pair's broker record that one side arrived at a confirmed
    negotiation's table (idempotent). A planned negotiation is refused (409, ``not_confirmed``)."""

    @extend_schema(tags=["events"], parameters=[SLUG, ID], request=MeetingCheckInInputSerializer, responses={
        200: ScheduledCheckInOutputSerializer, 400: E400, 403: E403, 404: E404, 409: E409})
    def post(self, request, slug: str, pk: int):
        event = _event(request, slug)
        scheduled = dayof.scheduled_get_for_user(user=request.user, event=event, pk=pk)
        side = parse(MeetingCheckInInputSerializer, request.data)["side"]
        scheduled = dayof.meeting_check_in(actor=request.user, scheduled=scheduled, side=side)
        return Response(ScheduledCheckInOutputSerializer(scheduled).data)


class NegotiationOutcomeView(_DayOfView):
    """The pair's broker (or bureau staff) record whether a confirmed negotiation took place and
    how it went; held, the pair becomes "met" and its agreement can be recorded."""

    @extend_schema(tags=["events"], parameters=[SLUG, ID], request=NegotiationOutcomeInputSerializer, responses={
        200: NegotiationOutcomeOutputSerializer, 400: E400, 403: E403, 404: E404, 409: E409})
    def post(self, request, slug: str, pk: int):
        event = _event(request, slug)
        scheduled = dayof.scheduled_get_for_user(user=request.user, event=event, pk=pk)
        data = parse(NegotiationOutcomeInputSerializer, request.data)
        meeting = dayof.scheduled_record_outcome(actor=request.user, scheduled=scheduled, held=data["held"],
                                                 outcome=data["outcome"])
        meeting.suggestion.refresh_from_db(fields=["status"])
        return Response(NegotiationOutcomeOutputSerializer({
            "id": scheduled.pk, "meeting_id": meeting.pk, "meeting_status": meeting.status,
            "outcome": meeting.outcome, "pair_id": meeting.suggestion_id,
            "pair_status": meeting.suggestion.status}).data)


urlpatterns = [
    path("events/<slug:slug>/agenda/", AgendaView.as_view(), name="agenda"),
    path("events/<slug:slug>/agenda.ics", AgendaIcsView.as_view(), name="agenda-ics"),
    path("events/<slug:slug>/checkin/registrations/<int:pk>/", RegistrationCheckInView.as_view(),
         name="checkin-registration"),
    path("events/<slug:slug>/checkin/meetings/<int:pk>/", MeetingCheckInView.as_view(), name="checkin-meeting"),
    path("events/<slug:slug>/meetings/<int:pk>/outcome/", NegotiationOutcomeView.as_view(), name="meeting-outcome"),
]
