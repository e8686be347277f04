"""The outcome reports through the API (bureau staff): the funnel from suggestion to signed
agreement per run, field or broker, and the brokers' league table; each as JSON or, with
``?format=csv|xlsx``, as a spreadsheet written by ``catalog.exports.export_response`` with
headers in the reader's language. The figures come from ``matchmaking.reports`` through
``matchmaking.selectors`` (which refuse anyone but bureau staff)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from catalog.exports import XLSX_CONTENT_TYPE, Column, export_response
from matchmaking import selectors
from matchmaking.api.pair_serializers import (
    BrokerLeagueRowOutputSerializer,
    FunnelOutputSerializer,
    FunnelQuerySerializer,
    LeagueQuerySerializer,
)
from matchmaking.api.pair_views import E400, E403, FileEndpointMixin, parse
from matchmaking.exports import pairs_export
from matchmaking.reports import STAGE_LABELS, STAGES


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _range(data: dict) -> dict:
    """Days (both included) as the reports' half-open range of aware datetimes."""
    since, until = data.get("since"), data.get("until")
    return {"since": _day_start(since) if since else None,
            "until": _day_start(until + timedelta(days=1)) if until else None}


FUNNEL_COLUMNS = [
    Column("label", gettext_lazy("Group")),
    *(Column(stage, STAGE_LABELS[stage]) for stage in STAGES),
    *(Column(f"rate_{stage}", format_lazy(gettext_lazy("{stage}: conversion from the previous stage (%)"),
                                          stage=STAGE_LABELS[stage])) for stage in STAGES[1:]),
    Column("overall_pct", gettext_lazy("Overall conversion to signed (%)")),
    *(Column(f"hours_{stage}", format_lazy(gettext_lazy("{stage}: median hours to the next stage"),
                                           stage=STAGE_LABELS[stage])) for stage in STAGES[:-1]),
    Column("amount", gettext_lazy("Agreements (10k CNY)")),
    Column("key", gettext_lazy("ID")),
]

LEAGUE_COLUMNS = [
    Column("rank", gettext_lazy("Rank")),
    Column("broker", gettext_lazy("Broker")),
    Column("suggested", STAGE_LABELS["suggested"]),
    Column("approved", STAGE_LABELS["approved"]),
    Column("rejected", gettext_lazy("Rejected by a broker")),
    Column("mutual", STAGE_LABELS["mutual"]),
    Column("met", STAGE_LABELS["met"]),
    Column("signed", STAGE_LABELS["signed"]),
    Column("amount", gettext_lazy("Agreements (10k CNY)")),
    Column("review_hours", gettext_lazy("Median hours to review")),
    Column("broker_id", gettext_lazy("ID")),
]

EXPORT_RESPONSES = {
    (200, "text/csv"): OpenApiTypes.BINARY,
    (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
    400: E400,
    403: E403,
}


def _funnel_export_row(row: dict) -> dict:
    out = {"key": row["key"], "label": row["label"], "overall_pct": row["overall_pct"], "amount": row["amount"]}
    out.update(row["counts"])
    out.update({f"rate_{stage}": value for stage, value in row["rates"].items()})
    out.update({f"hours_{stage}": value for stage, value in row["median_hours"].items()})
    return out


@extend_schema(tags=["reports"])
class FunnelReportView(FileEndpointMixin, generics.GenericAPIView):
    """The funnel from suggestion to signed agreement (bureau staff): pairs that reached each
    stage, conversion rates, median hours per stage and agreements' amount, per run, field or
    broker; as JSON, CSV or XLSX."""

    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []

    @extend_schema(parameters=[FunnelQuerySerializer],
                   responses={(200, "application/json"): FunnelOutputSerializer, **EXPORT_RESPONSES})
    def get(self, request):
        data = parse(FunnelQuerySerializer, request.query_params)
        group_by = data.get("group_by")
        rows = [row.as_dict() for row in selectors.funnel_for_user(
            request.user, group_by=group_by, run_id=data.get("run"), field_id=data.get("field"),
            broker_id=data.get("broker"), **_range(data))]
        if data["format"] != "json":
            export = [_funnel_export_row({**row, "amount": Decimal(row["amount"])}) for row in rows]
            return export_response(columns=FUNNEL_COLUMNS, rows=export, fmt=data["format"],
                                   filename=f"funnel-{group_by or 'all'}-{timezone.localdate().isoformat()}")
        stages = [{"key": stage, "label": str(STAGE_LABELS[stage])} for stage in STAGES]
        return Response(FunnelOutputSerializer({"group_by": group_by, "stages": stages, "rows": rows}).data)


@extend_schema(tags=["reports"])
class BrokerLeagueView(FileEndpointMixin, generics.GenericAPIView):
    """Brokers ranked by agreements signed, their amount and mutual-interest pairs (bureau staff):
    the figures read out when brokers are commended; as JSON, CSV or XLSX."""

    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []

    @extend_schema(parameters=[LeagueQuerySerializer],
                   responses={(200, "application/json"): BrokerLeagueRowOutputSerializer(many=True),
                              **EXPORT_RESPONSES})
    def get(self, request):
        data = parse(LeagueQuerySerializer, request.query_params)
        league = selectors.broker_league_for_user(request.user, **_range(data))
        if data["format"] != "json":
            export = [{**row, "amount": Decimal(row["amount"])} for row in league]
            return export_response(columns=LEAGUE_COLUMNS, rows=export, fmt=data["format"],
                                   filename=f"broker-league-{timezone.localdate().isoformat()}")
        return Response(BrokerLeagueRowOutputSerializer(league, many=True).data)


class PairExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["csv", "xlsx"], help_text=gettext_lazy("Spreadsheet format."))
    run = serializers.IntegerField(required=False, min_value=1, help_text=gettext_lazy("Only this run's pairs."))


@extend_schema(tags=["reports"])
class PairExportView(FileEndpointMixin, generics.GenericAPIView):
    """Suggestions, meetings or agreements the reader may see, as CSV or XLSX (headers in the
    reader's language; cells that start like a formula are neutralised)."""

    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []

    @extend_schema(parameters=[PairExportQuerySerializer], responses={
        (200, "text/csv"): OpenApiTypes.BINARY, (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, 400: E400})
    def get(self, request, kind: str):
        data = parse(PairExportQuerySerializer, request.query_params)
        return pairs_export(request.user, kind=kind, fmt=data["format"], run_id=data.get("run"))
