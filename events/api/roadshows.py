"""An event's roadshows through the API: the programme (public for a published event), an
investor's ranked matches and profile, and investors' interest in each presentation.

Each view parses with an input serializer, calls one service (``events.roadshows``) or selector
(``events.roadshow_selectors``) and renders with an output serializer. An event or presentation
the reader may not see is a 404, checked before the body is read; an action the reader may not
take is a 403 with the reason; a refused action (``ApplicationError``, a field's
``ValidationError``) a 400 (``common.api``). Achievements are shown at summary level only: never
their asking price, which only decides whether a reason says "within your ticket range"."""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from common.errors import PermissionDenied
from events import roadshow_selectors as selectors
from events import roadshows
from events.enums import InterestLevel, InvestmentStage
from events.selectors import event_get_for_user

# The largest value a PositiveIntegerField (ticket sizes) or an integer key holds everywhere.
DB_INT_MAX = 2**31 - 1
MAX_PROFILE_FIELDS = 50

E400 = OpenApiResponse(OpenApiTypes.OBJECT, description=(
    "Malformed input: each field at fault with its messages ({\"field\": [\"message\"]}), or a refused action "
    "({\"detail\", \"code\"}: registration_withdrawn, event_closed, not_presentable…)."))
E403 = OpenApiResponse(OpenApiTypes.OBJECT, description="Not signed in, or not allowed to do this (the message "
                                                        "says why).")
E404 = OpenApiResponse(OpenApiTypes.OBJECT, description="No such event or presentation, or one the reader may not "
                                                        "see.")
# Django's <int:> converter: a negative id never reaches the API (the resolver's HTML 404). The
# event's slug is constrained for every operation by common.schema.constrain_slug_parameters.
ENTRY_ID = OpenApiParameter("id", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, OpenApiParameter.PATH,
                            description="The presentation (roadshow entry).")
READ_ERRORS = {403: E403, 404: E404}
ACTION_ERRORS = {400: E400, 403: E403, 404: E404}


# --- serializers ---------------------------------------------------------------------------------

class RoadshowFieldOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class RoadshowAchievementOutputSerializer(serializers.Serializer):
    """Summary-level fields only (``catalog.rules.SUMMARY_FIELDS``)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    organisation = serializers.CharField(source="organisation.display_name")
    trl = serializers.IntegerField(allow_null=True)
    keywords = serializers.ListField(child=serializers.CharField())

    def get_fields(self):
        # A field called "fields" cannot be a class attribute: it would shadow Serializer.fields.
        declared = super().get_fields()
        declared["fields"] = RoadshowFieldOutputSerializer(many=True, read_only=True, source="fields.all")
        return declared


class RoadshowInterestOutputSerializer(serializers.Serializer):
    entry = serializers.IntegerField(source="entry_id")
    level = serializers.ChoiceField(choices=InterestLevel.choices)
    level_label = serializers.CharField(source="get_level_display")
    note = serializers.CharField()
    updated_at = serializers.DateTimeField()


class RoadshowEntryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    session = serializers.IntegerField(source="session_id")
    order = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    minutes = serializers.IntegerField()
    presenter = serializers.CharField()
    achievement = RoadshowAchievementOutputSerializer()
    my_interest = serializers.SerializerMethodField(help_text=gettext_lazy(
        "The reader's own interest (an investor registered for the event), else null."))

    @extend_schema_field(RoadshowInterestOutputSerializer(allow_null=True))
    def get_my_interest(self, entry) -> dict | None:
        interest = self.context.get("own", {}).get(entry.pk)
        return RoadshowInterestOutputSerializer(interest).data if interest is not None else None


class RoadshowSessionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    room = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    seats = serializers.IntegerField(allow_null=True)
    entries = RoadshowEntryOutputSerializer(many=True)


class RoadshowMatchReasonOutputSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy(
        "shared_field, shared_cluster, no_shared_field, stage_fit, stage_mismatch, ticket_fit, focus"))
    message = serializers.CharField()


class RoadshowMatchOutputSerializer(serializers.Serializer):
    entry = serializers.SerializerMethodField(help_text=gettext_lazy(
        "The presentation; null for an achievement entered into the event but not presented."))
    session = serializers.SerializerMethodField()
    in_roadshow = serializers.SerializerMethodField()
    achievement = RoadshowAchievementOutputSerializer()
    score = serializers.FloatField(help_text=gettext_lazy("0 to 1: 0.50 fields, 0.25 stage, 0.15 ticket, "
                                                          "0.10 focus."))
    components = serializers.DictField(child=serializers.FloatField(), help_text=gettext_lazy(
        "Each component, 0 to 1: fields, stage, ticket, focus."))
    reasons = RoadshowMatchReasonOutputSerializer(many=True)
    my_interest = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_entry(self, match) -> int | None:
        return match.entry.pk if match.entry is not None else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_session(self, match) -> int | None:
        return match.entry.session_id if match.entry is not None else None

    def get_in_roadshow(self, match) -> bool:
        return match.entry is not None

    @extend_schema_field(RoadshowInterestOutputSerializer(allow_null=True))
    def get_my_interest(self, match) -> dict | None:
        return RoadshowInterestOutputSerializer(match.interest).data if match.interest is not None else None


class RoadshowMatchQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20, required=False)


class RoadshowEntryInterestOutputSerializer(serializers.Serializer):
    """One investor's interest, as bureau staff and the achievement's organisation read it."""

    id = serializers.IntegerField()
    registration = serializers.IntegerField(source="registration_id")
    investor = serializers.CharField(source="registration.organisation.display_name")
    registration_active = serializers.BooleanField(source="registration.is_active")
    level = serializers.ChoiceField(choices=InterestLevel.choices)
    level_label = serializers.CharField(source="get_level_display")
    note = serializers.CharField()
    updated_at = serializers.DateTimeField()


class RoadshowInterestInputSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=InterestLevel.choices)
    note = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")


class InvestorProfileInputSerializer(serializers.Serializer):
    """The whole profile (PUT replaces it): stages, ticket range in 10k CNY (null: open), field
    ids and focus."""

    stages = serializers.ListField(child=serializers.ChoiceField(choices=InvestmentStage.choices),
                                   max_length=len(InvestmentStage.values) * 2, required=False, default=list)
    ticket_min = serializers.IntegerField(min_value=0, max_value=DB_INT_MAX, allow_null=True, required=False,
                                          default=None)
    ticket_max = serializers.IntegerField(min_value=0, max_value=DB_INT_MAX, allow_null=True, required=False,
                                          default=None)
    focus = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")

    def get_fields(self):
        declared = super().get_fields()
        declared["fields"] = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=DB_INT_MAX), max_length=MAX_PROFILE_FIELDS,
            required=False, default=list, help_text=gettext_lazy("Field ids (taxonomy); none: any field."))
        return declared


class InvestorProfileOutputSerializer(serializers.Serializer):
    registration = serializers.IntegerField()
    investor = serializers.CharField()
    stages = serializers.ListField(child=serializers.ChoiceField(choices=InvestmentStage.choices))
    ticket_min = serializers.IntegerField(allow_null=True)
    ticket_max = serializers.IntegerField(allow_null=True)
    focus = serializers.CharField()

    def get_fields(self):
        declared = super().get_fields()
        declared["fields"] = RoadshowFieldOutputSerializer(many=True)
        return declared


# --- views ---------------------------------------------------------------------------------------

def parse(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _event(request, slug):
    event = event_get_for_user(user=request.user, slug=slug)
    if event is None:
        raise Http404
    return event


def _entry(request, event, pk):
    entry = selectors.roadshow_entry_get_for_user(user=request.user, event=event, pk=pk)
    if entry is None:
        raise Http404
    return entry


def _investor_registration(request, event):
    registration = selectors.investor_registration_for(user=request.user, event=event)
    if registration is None:
        raise PermissionDenied(_("This is for investors registered for this event."), code="not_investor")
    return registration


def _profile_data(registration, profile) -> dict:
    fields = list(profile.fields.all()) if profile is not None else []
    return {
        "registration": registration.pk, "investor": registration.organisation.display_name,
        "stages": profile.stages if profile is not None else [],
        "ticket_min": profile.ticket_min if profile is not None else None,
        "ticket_max": profile.ticket_max if profile is not None else None,
        "focus": profile.focus if profile is not None else "",
        "fields": [{"id": f.pk, "code": f.code, "name": f.name} for f in fields],
    }


class _Base(generics.GenericAPIView):
    pagination_class = None
    filter_backends: list = []
    serializer_class = None


@extend_schema(tags=["events"])
class RoadshowListView(_Base):
    """The event's roadshow sessions and their presentations in order, each with its time
    (public for a published event; restricted achievements are never listed)."""

    permission_classes = [AllowAny]

    @extend_schema(request=None,
                   responses={200: RoadshowSessionOutputSerializer(many=True), 404: E404})
    def get(self, request, slug: str):
        event = _event(request, slug)
        sessions = selectors.roadshow_sessions(user=request.user, event=event)
        registration = selectors.investor_registration_for(user=request.user, event=event)
        own = selectors.own_interest_by_entry(registration=registration,
                                              entry_ids=[e.pk for s in sessions for e in s.entries])
        return Response(RoadshowSessionOutputSerializer(sessions, many=True, context={"own": own}).data)


@extend_schema(tags=["events"])
class RoadshowMatchesView(_Base):
    """The reader's matches (an investor registered for the event): presentations first, then
    achievements entered into the event but not presented, each ranked by score with the
    reasons (never the asking price)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[RoadshowMatchQuerySerializer], request=None,
                   responses={200: RoadshowMatchOutputSerializer(many=True), 400: E400, **READ_ERRORS})
    def get(self, request, slug: str):
        event = _event(request, slug)
        registration = _investor_registration(request, event)
        limit = parse(RoadshowMatchQuerySerializer, request.query_params)["limit"]
        matches = selectors.investor_matches(registration=registration, limit=limit)
        return Response(RoadshowMatchOutputSerializer(matches, many=True).data)


@extend_schema(tags=["events"])
class EntryInterestView(_Base):
    """Investors' interest in one presentation: read by bureau staff and the achievement's
    organisation (GET); recorded or changed by an investor registered for the event (POST; one
    per investor, the latest wins; "meeting" and "due_diligence" notify the organisation)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[ENTRY_ID], request=None,
                   responses={200: RoadshowEntryInterestOutputSerializer(many=True), **READ_ERRORS})
    def get(self, request, slug: str, id: int):  # noqa: A002 - the path's parameter
        entry = _entry(request, _event(request, slug), id)
        if not selectors.can_view_interest(request.user, entry.achievement):
            raise PermissionDenied(_("Only bureau staff and the achievement's organisation see its investors."))
        return Response(RoadshowEntryInterestOutputSerializer(selectors.entry_interest(entry=entry), many=True).data)

    @extend_schema(parameters=[ENTRY_ID], request=RoadshowInterestInputSerializer,
                   responses={200: RoadshowInterestOutputSerializer, **ACTION_ERRORS})
    def post(self, request, slug: str, id: int):  # noqa: A002 - the path's parameter
        entry = _entry(request, _event(request, slug), id)
        data = parse(RoadshowInterestInputSerializer, request.data)
        interest = roadshows.investor_interest_record(actor=request.user, entry=entry, level=data["level"],
                                                      note=data["note"])
        return Response(RoadshowInterestOutputSerializer(interest).data)


@extend_schema(tags=["events"])
class InvestorProfileView(_Base):
    """The reader's investor profile for this event (an investor registered for it): what the
    matches are ranked by. PUT replaces it as a whole."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: InvestorProfileOutputSerializer, **READ_ERRORS})
    def get(self, request, slug: str):
        registration = _investor_registration(request, _event(request, slug))
        profile = selectors.investor_profile_for(registration=registration)
        return Response(InvestorProfileOutputSerializer(_profile_data(registration, profile)).data)

    @extend_schema(request=InvestorProfileInputSerializer,
                   responses={200: InvestorProfileOutputSerializer, **ACTION_ERRORS})
    def put(self, request, slug: str):
        registration = _investor_registration(request, _event(request, slug))
        data = parse(InvestorProfileInputSerializer, request.data)
        roadshows.investor_profile_set(actor=request.user, registration=registration, stages=data["stages"],
                                       ticket_min=data["ticket_min"], ticket_max=data["ticket_max"],
                                       field_ids=data["fields"], focus=data["focus"])
        profile = selectors.investor_profile_for(registration=registration)
        return Response(InvestorProfileOutputSerializer(_profile_data(registration, profile)).data)


urlpatterns = [
    path("events/<slug:slug>/roadshows/", RoadshowListView.as_view(), name="roadshow-list"),
    path("events/<slug:slug>/roadshows/matches/", RoadshowMatchesView.as_view(), name="roadshow-matches"),
    path("events/<slug:slug>/roadshows/entries/<int:id>/interest/", EntryInterestView.as_view(),
         name="roadshow-entry-interest"),
    path("events/<slug:slug>/investor-profile/", InvestorProfileView.as_view(), name="investor-profile"),
]
