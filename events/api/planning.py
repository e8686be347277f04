"""The negotiation plan through the API (bureau staff): read the plan with its clashes and
unscheduled pairs, run the planner, publish, place, move and cancel negotiations.

Each view parses with an input serializer, calls one service of ``events.planning`` (or reads
``events.plan_selectors``) and renders with an output serializer. An event the reader may not
see is a 404, a visible one they may not plan a 403; an edit that clashes with the plan is a
409 whose ``conflicts`` lists every clash (code, message, pair, slot, table, participant)."""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import PermissionDenied
from events import planning, rules, selectors
from events.enums import ACTIVE_PLAN_STATUSES, PlanStatus, SessionKind
from events.models import Event, ScheduledMeeting, Slot, Table
from events.plan_selectors import assignment, conflict_dict, humanise, plan_problem, reason_text, unscheduled
from events.scheduler import find_conflicts
from matchmaking.api.pair_serializers import ErrorOutputSerializer
from matchmaking.models import Suggestion

DB_INT_MAX = 2**31 - 1


# --- serializers -------------------------------------------------------------------------------

class PlanConflictOutputSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy(
        "table_double_booked, participant_overbooked, participant_over_limit, participant_unavailable, "
        "table_unavailable, wrong_area, pair_twice or unknown_reference."))
    message = serializers.CharField()
    pair = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("The pair (suggestion id)."))
    slot = serializers.IntegerField(allow_null=True)
    table = serializers.IntegerField(allow_null=True)
    participant = serializers.CharField(allow_null=True, help_text=gettext_lazy(
        "org:<organisation id> or broker:<user id>."))


class PlanConflictErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    conflicts = PlanConflictOutputSerializer(many=True, required=False)


class PlanSlotOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class PlanTableOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class PlanRowOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PlanStatus.choices)
    pair = serializers.IntegerField(source="suggestion_id")
    requirement = serializers.CharField(source="suggestion.requirement.title")
    achievement = serializers.CharField(source="suggestion.achievement.title")
    enterprise = serializers.CharField(source="suggestion.requirement.organisation.display_name")
    university = serializers.CharField(source="suggestion.achievement.organisation.display_name")
    broker = serializers.SerializerMethodField()
    area = serializers.CharField(source="table.area.code")
    slot = PlanSlotOutputSerializer()
    table = PlanTableOutputSerializer()
    meeting = serializers.IntegerField(source="meeting_id", allow_null=True)
    change_reason = serializers.CharField()

    def get_broker(self, row) -> str | None:
        broker = row.suggestion.broker
        return str(broker) if broker is not None else None


class PlanUnscheduledOutputSerializer(serializers.Serializer):
    pair = serializers.IntegerField()
    enterprise = serializers.CharField()
    university = serializers.CharField()
    area = serializers.CharField(allow_null=True, help_text=gettext_lazy("The area's code, if it has one."))
    code = serializers.CharField()
    reason = serializers.CharField()


class PlanReportUnscheduledSerializer(serializers.Serializer):
    pair = serializers.IntegerField()
    label = serializers.CharField()
    area = serializers.CharField()
    code = serializers.CharField()
    reason = serializers.CharField()


class PlanReportConflictSerializer(serializers.Serializer):
    pair = serializers.IntegerField()
    code = serializers.CharField(help_text=gettext_lazy("confirmed_dropped or confirmed_cancelled."))
    message = serializers.CharField()


class PlanReportOutputSerializer(serializers.Serializer):
    at = serializers.CharField()
    by = serializers.CharField()
    pairs = serializers.IntegerField()
    scheduled = serializers.IntegerField()
    planned = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    moved = serializers.IntegerField()
    solve_s = serializers.FloatField()
    status = serializers.CharField()
    upper_bound = serializers.IntegerField()
    cancelled_outside = serializers.IntegerField()
    unscheduled = PlanReportUnscheduledSerializer(many=True)
    conflicts = PlanReportConflictSerializer(many=True)


class PlanOutputSerializer(serializers.Serializer):
    planning = serializers.BooleanField(help_text=gettext_lazy("A background run is working on the plan."))
    error = serializers.CharField(allow_null=True, help_text=gettext_lazy("Why the last background run failed."))
    report = PlanReportOutputSerializer(allow_null=True)
    rows = PlanRowOutputSerializer(many=True)
    conflicts = PlanConflictOutputSerializer(many=True)
    unscheduled = PlanUnscheduledOutputSerializer(many=True)


class PlanQuerySerializer(serializers.Serializer):
    area = serializers.SlugField(required=False, max_length=40, help_text=gettext_lazy("Only this area's rows."))


class PlanQueuedOutputSerializer(serializers.Serializer):
    queued = serializers.BooleanField()
    detail = serializers.CharField()


class PlanPublishRefusalSerializer(serializers.Serializer):
    pair = serializers.IntegerField()
    label = serializers.CharField()
    detail = serializers.CharField()


class PlanPublishOutputSerializer(serializers.Serializer):
    published = serializers.IntegerField()
    refused = PlanPublishRefusalSerializer(many=True)


class PlanCellInputSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=DB_INT_MAX)
    table = serializers.IntegerField(min_value=1, max_value=DB_INT_MAX)

    def resolve(self, event: Event) -> tuple[Slot, Table]:
        data = self.validated_data
        slot = Slot.objects.filter(pk=data["slot"], session__event=event, session__kind=SessionKind.NEGOTIATION).first()
        table = Table.objects.filter(pk=data["table"], area__event=event).first()
        errors = {}
        if slot is None:
            errors["slot"] = [_("Choose a negotiation slot of this event.")]
        if table is None:
            errors["table"] = [_("Choose a table of this event.")]
        if errors:
            raise serializers.ValidationError(errors)
        return slot, table


class PlanMoveInputSerializer(PlanCellInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class PlanPlaceInputSerializer(PlanCellInputSerializer):
    suggestion = serializers.IntegerField(min_value=1, max_value=DB_INT_MAX)


class PlanCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


E400 = OpenApiResponse(ErrorOutputSerializer, description="Malformed input (each field at fault with its messages), "
                                                          "or a refused action (detail, code).")
E403 = OpenApiResponse(ErrorOutputSerializer, description="Not signed in, or not bureau staff.")
E404 = OpenApiResponse(ErrorOutputSerializer, description="No such event or negotiation, or one the reader may not "
                                                          "see.")
E409 = OpenApiResponse(PlanConflictErrorSerializer, description=(
    "The change clashes with the plan (code conflict: every clash in conflicts), or the plan is in a state that "
    "does not allow it: planning (a run is in progress), sessions_overlap, illegal_transition, not_placeable."))
EDIT_ERRORS = {400: E400, 403: E403, 404: E404, 409: E409}
# The URL only matches a slug, so the schema says so (generated clients and the fuzz test send
# only values the route can answer with JSON).
SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$",
                        description=gettext_lazy("The event's short name."))


# --- views -------------------------------------------------------------------------------------

ROW_RELATED = ("slot", "table__area", "suggestion__requirement__organisation",
               "suggestion__achievement__organisation", "suggestion__broker")


def _event(request, slug: str) -> Event:
    event = selectors.event_get_for_user(user=request.user, slug=slug)
    if event is None:
        raise Http404(_("No such event."))
    if not rules.can_plan(request.user, event):
        raise PermissionDenied(_("Only bureau staff plan the negotiations."))
    return event


def _row(event: Event, pk: int) -> ScheduledMeeting:
    row = ScheduledMeeting.objects.filter(event=event, pk=pk, status__in=ACTIVE_PLAN_STATUSES).first()
    if row is None:
        raise Http404(_("No such negotiation in this plan."))
    return row


def _render_row(row: ScheduledMeeting, status_code: int = 200) -> Response:
    fresh = ScheduledMeeting.objects.select_related(*ROW_RELATED).get(pk=row.pk)
    return Response(PlanRowOutputSerializer(fresh).data, status=status_code)


def _parse(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer


def _report(event: Event) -> dict | None:
    report = planning.plan_report_get(event=event)
    if report is None:
        return None
    return {**report,
            "unscheduled": [{**u, "reason": reason_text(u["code"], u["params"])} for u in report["unscheduled"]],
            "conflicts": [{**c, "message": reason_text(c["code"], c["params"])} for c in report["conflicts"]]}


@extend_schema(tags=["events"])
class PlanView(APIView):
    """The event's negotiation plan (bureau staff): its active negotiations, the clashes in it,
    the pairs without a negotiation and why, and the last run's report."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[SLUG, PlanQuerySerializer], responses={200: PlanOutputSerializer, 400: E400, 403: E403,
                                                                404: E404})
    def get(self, request, slug: str):
        event = _event(request, slug)
        area_code = _parse(PlanQuerySerializer, request.query_params).validated_data.get("area")
        problem, context = plan_problem(event=event)
        assignments = [assignment(r) for r in context["rows"]]
        conflicts = humanise(find_conflicts(problem, assignments), problem=problem, context=context,
                             assignments=assignments)
        waiting = unscheduled(problem=problem, context=context, assignments=assignments)
        areas = context["areas"]
        rows = context["rows"] + context["stale"]
        if area_code:
            rows = [r for r in rows if r.table.area_id in areas and areas[r.table.area_id].code == area_code]
            waiting = [u for u in waiting if u["area"] in areas and areas[u["area"]].code == area_code]
        for row in rows:
            row.table.area = areas[row.table.area_id]
        return Response(PlanOutputSerializer({
            "planning": planning.plan_is_running(event=event), "error": planning.plan_error_get(event=event),
            "report": _report(event), "rows": rows,
            "conflicts": [conflict_dict(c) for c in conflicts],
            "unscheduled": [{"pair": u["suggestion"].pk,
                             "enterprise": u["suggestion"].requirement.organisation.display_name,
                             "university": u["suggestion"].achievement.organisation.display_name,
                             "area": areas[u["area"]].code if u["area"] in areas else None,
                             "code": u["code"], "reason": u["reason"]} for u in waiting],
        }).data)


@extend_schema(tags=["events"])
class PlanRunView(APIView):
    """Run the planner (bureau staff): at once for events with up to 300 pairs (200, the
    report), in the background for larger ones (202; GET the plan until planning is false)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[SLUG], request=None, responses={
        200: PlanReportOutputSerializer, 202: PlanQueuedOutputSerializer, 403: E403, 404: E404, 409: E409})
    def post(self, request, slug: str):
        event = _event(request, slug)
        report = planning.plan_start(actor=request.user, event=event)
        if report is None:
            return Response({"queued": True, "detail": _("The planner is working on the event in the background.")},
                            status=status.HTTP_202_ACCEPTED)
        return Response(PlanReportOutputSerializer(_report(event)).data)


@extend_schema(tags=["events"])
class PlanPublishView(APIView):
    """Publish the plan (bureau staff): every planned negotiation becomes a confirmed conference
    meeting of its pair and the participants are told; refused pairs are listed and stay planned.
    More than 300 planned negotiations are published in the background (202)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[SLUG], request=None, responses={
        200: PlanPublishOutputSerializer, 202: PlanQueuedOutputSerializer, 403: E403, 404: E404, 409: E409})
    def post(self, request, slug: str):
        event = _event(request, slug)
        result = planning.plan_publish_start(actor=request.user, event=event)
        if result is None:
            return Response({"queued": True, "detail": _("The plan is being published in the background.")},
                            status=status.HTTP_202_ACCEPTED)
        return Response(PlanPublishOutputSerializer({"published": result.published, "refused": result.refused}).data)


@extend_schema(tags=["events"])
class ScheduledCreateView(APIView):
    """Place a pair by hand (planned), if the plan stays free of clashes."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[SLUG], request=PlanPlaceInputSerializer,
                   responses={201: PlanRowOutputSerializer, **EDIT_ERRORS})
    def post(self, request, slug: str):
        event = _event(request, slug)
        parsed = _parse(PlanPlaceInputSerializer, request.data)
        slot, table = parsed.resolve(event)
        suggestion = Suggestion.objects.filter(pk=parsed.validated_data["suggestion"]).first()
        if suggestion is None:
            raise serializers.ValidationError({"suggestion": [_("No such pair.")]})
        row = planning.scheduled_create(actor=request.user, event=event, suggestion=suggestion, slot=slot,
                                        table=table)
        return _render_row(row, status.HTTP_201_CREATED)


@extend_schema(tags=["events"])
class ScheduledMoveView(APIView):
    """Move a negotiation to another slot and table; a confirmed one needs a reason and its
    participants are told. 409 with every clash when the move does not fit."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[SLUG], request=PlanMoveInputSerializer,
                   responses={200: PlanRowOutputSerializer, **EDIT_ERRORS})
    def post(self, request, slug: str, pk: int):
        event = _event(request, slug)
        row = _row(event, pk)
        parsed = _parse(PlanMoveInputSerializer, request.data)
        slot, table = parsed.resolve(event)
        row = planning.scheduled_move(actor=request.user, scheduled=row, slot=slot, table=table,
                                      reason=parsed.validated_data["reason"])
        return _render_row(row)


@extend_schema(tags=["events"])
class ScheduledCancelView(APIView):
    """Cancel a negotiation; a confirmed one needs a reason and its meeting is cancelled too."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[SLUG], request=PlanCancelInputSerializer,
                   responses={200: PlanRowOutputSerializer, **EDIT_ERRORS})
    def post(self, request, slug: str, pk: int):
        event = _event(request, slug)
        row = _row(event, pk)
        reason = _parse(PlanCancelInputSerializer, request.data).validated_data["reason"]
        row = planning.scheduled_cancel(actor=request.user, scheduled=row, reason=reason)
        return _render_row(row)


urlpatterns = [
    path("events/<slug:slug>/plan/", PlanView.as_view(), name="plan"),
    path("events/<slug:slug>/plan/run/", PlanRunView.as_view(), name="plan-run"),
    path("events/<slug:slug>/plan/publish/", PlanPublishView.as_view(), name="plan-publish"),
    path("events/<slug:slug>/plan/meetings/", ScheduledCreateView.as_view(), name="scheduled-create"),
    path("events/<slug:slug>/plan/meetings/<int:pk>/move/", ScheduledMoveView.as_view(), name="scheduled-move"),
    path("events/<slug:slug>/plan/meetings/<int:pk>/cancel/", ScheduledCancelView.as_view(),
         name="scheduled-cancel"),
]
