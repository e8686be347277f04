"""The event report and its public summary through the API (``events-api:``).

- ``GET events/<slug>/report/`` — bureau staff: every figure of ``events.reports.event_report``,
  narrowed by ``area`` (an exhibition area's code) and ``field`` (a taxonomy code).
- ``GET events/<slug>/summary/`` — anyone, once the bureau has published it (bureau staff also
  before, with ``published: false``): totals only, no organisation's name, no agreement's amount.

An event the caller may not see, or a summary not published, is a 404; a report the caller may
not read is a 403.
"""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from common.errors import PermissionDenied
from events import reports, rules, selectors
from events.models import Event, ExhibitionArea
from matchmaking.api.pair_serializers import FieldCodeField
from matchmaking.api.pair_views import E400, E403, E404, parse

AMOUNT = {"max_digits": 14, "decimal_places": 2}
# The path's slug as Django's <slug:> converter matches it: anything else never reaches the view.
SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, required=True, pattern=r"^[-a-zA-Z0-9_]+$",
                        description=gettext_lazy("The event's short name."))


def _pct(help_text=None):
    return serializers.FloatField(allow_null=True, help_text=help_text or gettext_lazy(
        "A percentage; null when there is nothing to divide by."))


# --- input --------------------------------------------------------------------------------------

class ReportQuerySerializer(serializers.Serializer):
    area = serializers.SlugField(required=False, max_length=40,
                                 help_text=gettext_lazy("Only this exhibition area (its code)."))
    field = FieldCodeField(required=False, help_text=gettext_lazy(
        "Only this field (a taxonomy code): listings with it, and pairs whose requirement has it."))


# --- output -------------------------------------------------------------------------------------

class FiltersOutputSerializer(serializers.Serializer):
    area_id = serializers.IntegerField(allow_null=True)
    field_id = serializers.IntegerField(allow_null=True)


class KindCountOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    n = serializers.IntegerField()


class RegistrationsOutputSerializer(serializers.Serializer):
    active = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    checked_in = serializers.IntegerField()
    checked_in_pct = _pct()
    by_kind = KindCountOutputSerializer(many=True, help_text=gettext_lazy("Active registrations per kind."))


class ListingGroupOutputSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("The area or field id; null: none."))
    label = serializers.CharField()
    requirements = serializers.IntegerField()
    achievements = serializers.IntegerField()


class ListingsOutputSerializer(serializers.Serializer):
    requirements = serializers.IntegerField()
    achievements = serializers.IntegerField()
    by_area = ListingGroupOutputSerializer(many=True)
    by_field = ListingGroupOutputSerializer(many=True, help_text=gettext_lazy(
        "A listing with two fields counts in both."))


class CoverageSideOutputSerializer(serializers.Serializer):
    entered = serializers.IntegerField()
    with_candidates = serializers.IntegerField()
    with_candidates_pct = _pct()
    sent = serializers.IntegerField()
    sent_pct = _pct()


class CoverageOutputSerializer(serializers.Serializer):
    requirements = CoverageSideOutputSerializer()
    achievements = CoverageSideOutputSerializer()


class FunnelStageOutputSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    n = serializers.IntegerField()
    rate = _pct(gettext_lazy("Of the previous stage (%); null for the first."))
    of_suggested = _pct()


class EndedOutputSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    n = serializers.IntegerField()
    of_suggested = _pct()


class StatusCountOutputSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    n = serializers.IntegerField()


class SuggestionsOutputSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    funnel = FunnelStageOutputSerializer(many=True, help_text=gettext_lazy("Pairs that reached each stage."))
    ended = EndedOutputSerializer(many=True)
    by_status = StatusCountOutputSerializer(many=True, help_text=gettext_lazy("Pairs per current status."))
    overall_pct = _pct()


class MeetingsOutputSerializer(serializers.Serializer):
    scheduled = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    held = serializers.IntegerField()
    missed = serializers.IntegerField()
    held_pct = _pct()
    requirement_checked_in = serializers.IntegerField()
    achievement_checked_in = serializers.IntegerField()
    both_checked_in = serializers.IntegerField()
    requirement_checked_in_pct = _pct()
    achievement_checked_in_pct = _pct()
    both_checked_in_pct = _pct()


class AgreementTypeOutputSerializer(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField()
    n = serializers.IntegerField()
    amount = serializers.DecimalField(**AMOUNT)


class AgreementRowOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    suggestion_id = serializers.IntegerField()
    signed_on = serializers.DateField()
    contract_type = serializers.CharField()
    contract_type_label = serializers.CharField()
    amount = serializers.DecimalField(**AMOUNT)
    enterprise = serializers.CharField()
    university = serializers.CharField()
    area = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())


class AgreementsOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = serializers.DecimalField(**AMOUNT, help_text=gettext_lazy("10,000 CNY."))
    by_type = AgreementTypeOutputSerializer(many=True)
    rows = AgreementRowOutputSerializer(many=True)


class InterestLevelOutputSerializer(serializers.Serializer):
    level = serializers.CharField()
    label = serializers.CharField()
    n = serializers.IntegerField()


class RoadshowsOutputSerializer(serializers.Serializer):
    presentations = serializers.IntegerField()
    investors = serializers.IntegerField()
    interests = serializers.IntegerField()
    presentations_with_interest = serializers.IntegerField()
    by_level = InterestLevelOutputSerializer(many=True)


class GroupOutputSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("The area or field id; null: none."))
    label = serializers.CharField()
    requirements = serializers.IntegerField()
    achievements = serializers.IntegerField()
    pairs = serializers.IntegerField()
    mutual = serializers.IntegerField()
    meetings_held = serializers.IntegerField()
    agreements = serializers.IntegerField()
    amount = serializers.DecimalField(**AMOUNT)


class EventReportOutputSerializer(serializers.Serializer):
    filters = FiltersOutputSerializer()
    registrations = RegistrationsOutputSerializer()
    listings = ListingsOutputSerializer()
    coverage = CoverageOutputSerializer()
    suggestions = SuggestionsOutputSerializer()
    meetings = MeetingsOutputSerializer()
    agreements = AgreementsOutputSerializer()
    roadshows = RoadshowsOutputSerializer()
    areas = GroupOutputSerializer(many=True)
    fields = GroupOutputSerializer(many=True)


class SummaryAreaOutputSerializer(serializers.Serializer):
    label = serializers.CharField()
    requirements = serializers.IntegerField()
    achievements = serializers.IntegerField()


class EventSummaryOutputSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    venue = serializers.CharField()
    published = serializers.BooleanField(help_text=gettext_lazy("False: a preview for bureau staff."))
    organisations = serializers.IntegerField()
    organisations_by_kind = KindCountOutputSerializer(many=True)
    requirements = serializers.IntegerField()
    achievements = serializers.IntegerField()
    pairs = serializers.IntegerField()
    pairs_mutual = serializers.IntegerField()
    negotiations_held = serializers.IntegerField()
    agreements = serializers.IntegerField()
    amount = serializers.DecimalField(**AMOUNT, help_text=gettext_lazy("All agreements together, 10,000 CNY."))
    presentations = serializers.IntegerField()
    areas = SummaryAreaOutputSerializer(many=True)
    note = serializers.CharField(help_text=gettext_lazy("The bureau's note, in the reader's language."))


# --- views --------------------------------------------------------------------------------------

def _event(user, slug: str) -> Event:
    event = selectors.event_get_for_user(user=user, slug=slug)
    if event is None:
        raise Http404
    return event


@extend_schema(tags=["events"])
class EventReportView(generics.GenericAPIView):
    """The event's report (bureau staff): registrations, entered listings, pre-docking coverage,
    the pairs' funnel, negotiations, agreements and roadshows, per exhibition area and field."""

    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []
    serializer_class = EventReportOutputSerializer

    @extend_schema(parameters=[SLUG, ReportQuerySerializer],
                   responses={200: EventReportOutputSerializer, 400: E400, 403: E403, 404: E404})
    def get(self, request, slug: str):
        event = _event(request.user, slug)
        if not rules.can_view_report(request.user, event):
            raise PermissionDenied(_("Only bureau staff can read an event's report."))
        data = parse(ReportQuerySerializer, request.query_params)
        area_id = None
        if data.get("area"):
            area_id = ExhibitionArea.objects.filter(event=event, code=data["area"]).values_list("pk", flat=True).first()
            if area_id is None:
                raise serializers.ValidationError({"area": [_("This event has no exhibition area “%(code)s”.")
                                                            % {"code": data["area"]}]})
        report = reports.event_report(event=event, area_id=area_id, field_id=data.get("field"))
        return Response(EventReportOutputSerializer(report).data)


@extend_schema(tags=["events"])
class EventSummaryView(generics.GenericAPIView):
    """The event's public summary, once the bureau has published it: the totals of a news
    release, without any organisation's name or agreement's amount."""

    permission_classes = [AllowAny]
    pagination_class = None
    filter_backends: list = []
    serializer_class = EventSummaryOutputSerializer

    @extend_schema(parameters=[SLUG], responses={200: EventSummaryOutputSerializer, 404: E404})
    def get(self, request, slug: str):
        event = _event(request.user, slug)
        if not rules.can_view_summary(request.user, event):
            raise Http404
        summary = reports.event_summary(event=event)
        return Response(EventSummaryOutputSerializer({
            **summary, "slug": event.slug, "name": event.name, "starts_on": event.starts_on,
            "ends_on": event.ends_on, "venue": event.venue, "published": rules.can_view_summary(None, event),
        }).data)


urlpatterns = [
    path("events/<slug:slug>/report/", EventReportView.as_view(), name="event-report"),
    path("events/<slug:slug>/summary/", EventSummaryView.as_view(), name="event-summary"),
]
