"""Taking part in a docking conference through the API: the events and their programme
(public, like the portal), registrations, entering a listing, the bureau's status board and
its pre-docking run.

Each view parses with an input serializer, calls one service or selector and renders with an
output serializer. An event the reader may not see (a draft, for anyone but bureau staff) or a
listing they may not see is a 404; an action they may not take on what they see is a 403 with
the service's message; a refusal because of the event's or registration's state is a 409."""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.views import Pagination
from accounts.models import Organisation
from catalog.selectors import listing_get_for_user
from common.errors import ApplicationError, PermissionDenied
from common.throttling import ScopedWriteRateThrottle
from events import predocking, rules, selectors, services
from events.api.serializers import (
    EventDetailOutputSerializer,
    EventListingInputSerializer,
    EventListingOutputSerializer,
    EventOutputSerializer,
    RegistrationCreateInputSerializer,
    RegistrationOutputSerializer,
    StatusBoardFilterSerializer,
    StatusBoardOutputSerializer,
)
from events.models import Event, Registration
from matchmaking.api.pair_serializers import ErrorOutputSerializer
from matchmaking.api.serializers import RunOutputSerializer

E400 = OpenApiResponse(ErrorOutputSerializer, description="Malformed input (each field at fault with its "
                                                          "messages), or a refused action (detail, code).")
E403 = OpenApiResponse(ErrorOutputSerializer, description="Not signed in, or not allowed to do this.")
E404 = OpenApiResponse(ErrorOutputSerializer, description="No such event or listing, or one the reader may not see.")
E409 = OpenApiResponse(ErrorOutputSerializer, description=(
    "The event or registration is in a state that does not allow this: registration_closed, already_registered, "
    "event_closed, not_registered, nothing_to_match, run_in_progress."))
E429 = OpenApiResponse(ErrorOutputSerializer, description="Too many pre-docking runs started; retry later.")
CONFLICT_CODES = frozenset({"run_in_progress"})


def _event(request, slug: str) -> Event:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    if event is None:
        raise Http404(_("No such event."))
    return event


def _parse(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema(tags=["events"])
class EventListView(generics.GenericAPIView):
    """Docking conferences, newest first: published, closed and cancelled ones for everyone,
    drafts too for bureau staff."""

    serializer_class = EventOutputSerializer
    permission_classes = [AllowAny]
    pagination_class = Pagination
    filter_backends: list = []

    @extend_schema(responses={200: EventOutputSerializer(many=True)})
    def get(self, request):
        events = selectors.event_list_for_user(user=request.user).order_by("-starts_on", "pk")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["events"])
class EventDetailView(APIView):
    """An event's programme: dates, venue, windows, exhibition areas with their fields, sessions."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: EventDetailOutputSerializer, 404: E404})
    def get(self, request, slug: str):
        event = _event(request, slug)
        event = (Event.objects.select_related("organiser").prefetch_related("areas__fields", "sessions")
                 .get(pk=event.pk))
        return Response(EventDetailOutputSerializer(event).data)


@extend_schema(tags=["events"])
class EventRegistrationsView(generics.GenericAPIView):
    """Registrations of an event: bureau staff read all of them, anyone else those of the
    organisations they act for; an organisation registers with POST."""

    serializer_class = RegistrationOutputSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    filter_backends: list = []

    @extend_schema(responses={200: RegistrationOutputSerializer(many=True), 403: E403, 404: E404})
    def get(self, request, slug: str):
        event = _event(request, slug)
        if rules.can_manage_events(request.user):
            registrations = list(Registration.objects.filter(event=event).select_related("organisation")
                                 .order_by("pk"))
        else:
            registrations = sorted(selectors.registrations_for_user(user=request.user, event=event),
                                   key=lambda reg: reg.pk)
        page = self.paginate_queryset(registrations)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=RegistrationCreateInputSerializer,
                   responses={201: RegistrationOutputSerializer, 400: E400, 403: E403, 404: E404, 409: E409})
    def post(self, request, slug: str):
        """Register an organisation you act for (bureau staff: any approved one). A withdrawn
        registration comes back; registering twice is a 409."""
        event = _event(request, slug)
        data = _parse(RegistrationCreateInputSerializer, request.data)
        organisation = Organisation.objects.filter(pk=data.pop("organisation")).first()
        if organisation is None:
            raise serializers.ValidationError({"organisation": [_("No such organisation.")]})
        registration = services.registration_create(actor=request.user, event=event, organisation=organisation,
                                                    **data)
        return Response(RegistrationOutputSerializer(registration).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["events"])
class EventListingsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=EventListingInputSerializer,
                   responses={201: EventListingOutputSerializer, 400: E400, 403: E403, 404: E404, 409: E409})
    def post(self, request, slug: str):
        """Enter a live listing into the event: your organisation's own while registration is
        open (once registered), any (bureau staff) before the event closes. Entering it again
        answers with the existing entry."""
        event = _event(request, slug)
        data = _parse(EventListingInputSerializer, request.data)
        listing = listing_get_for_user(kind=data["kind"], pk=data["id"], user=request.user)
        entry = predocking.listing_enter(actor=request.user, event=event, listing=listing)
        return Response(EventListingOutputSerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["events"])
class StatusBoardView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[StatusBoardFilterSerializer],
                   responses={200: StatusBoardOutputSerializer, 400: E400, 403: E403, 404: E404})
    def get(self, request, slug: str):
        """Bureau staff: every requirement entered in the event with its pairs by status and its
        state (no_candidates, suggested, viewed, both_interested, meeting_booked), and the
        number of requirements in each state."""
        event = _event(request, slug)
        if not rules.can_view_board(request.user, event):
            raise PermissionDenied(_("Only bureau staff can follow the event's pre-docking."))
        serializer = StatusBoardFilterSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        board = selectors.status_board(event=event, area_id=serializer.validated_data.get("area"),
                                       state=serializer.validated_data.get("state"))
        return Response(StatusBoardOutputSerializer(board).data)


@extend_schema(tags=["events"])
class PredockingView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedWriteRateThrottle]
    throttle_scope = "runs"

    @extend_schema(request=None, responses={201: RunOutputSerializer, 403: E403, 404: E404, 409: E409, 429: E429})
    def post(self, request, slug: str):
        """Bureau staff start the event's pre-docking: a run over the listings entered by active
        registrations (queued; follow it at /api/v1/runs/{id}/)."""
        event = _event(request, slug)
        try:
            run = predocking.event_predocking_start(actor=request.user, event=event)
        except ApplicationError as error:
            if error.code in CONFLICT_CODES:
                raise ApplicationError(error.message, code=error.code, status=409) from error
            raise
        return Response(RunOutputSerializer(run).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("events/", EventListView.as_view(), name="event-list"),
    path("events/<slug:slug>/", EventDetailView.as_view(), name="event-detail"),
    path("events/<slug:slug>/registrations/", EventRegistrationsView.as_view(), name="event-registrations"),
    path("events/<slug:slug>/listings/", EventListingsView.as_view(), name="event-listings"),
    path("events/<slug:slug>/status-board/", StatusBoardView.as_view(), name="event-status-board"),
    path("events/<slug:slug>/predocking/", PredockingView.as_view(), name="event-predocking"),
]
