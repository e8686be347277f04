"""Spreadsheet imports and listing exports through the API, for bureau staff.

``POST /imports/`` (multipart: kind, file, dry_run) stores and checks a file: 201 with the job
and its preview when the check ran in the request, 202 when a worker runs it (poll
``GET /imports/{id}/``), 400 when the file cannot be read at all. ``POST /imports/{id}/commit/``
imports the valid rows (200 when done, 202 while a worker does it); ``GET
/imports/{id}/errors.csv`` is the error file. ``GET /requirements/export/?format=csv|xlsx``
(and achievements) export a listing list with the list endpoint's filters. Anyone else gets
403 with the reason; nothing here answers 500 for a bad file.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.views import Pagination
from catalog import exports, imports, intake, rules, selectors
from catalog.api.filters import ListingFilterSerializer, parse_listing_filters
from catalog.api.import_serializers import ImportCreateInputSerializer, ImportJobOutputSerializer
from catalog.enums import ListingKind
from catalog.models import ImportStatus
from common.errors import ApplicationError
from common.throttling import ScopedWriteRateThrottle

CSV_AND_XLSX = {(200, "text/csv"): OpenApiTypes.BINARY, (200, exports.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY}


class IsBureauStaff(BasePermission):
    message = _("Only bureau staff can import spreadsheets.")

    def has_permission(self, request, view) -> bool:
        return rules.can_screen_listings(request.user)


class FileNegotiation(DefaultContentNegotiation):
    """For endpoints that answer with a file: ``?format=`` names the file's format, not a
    renderer, and errors are JSON whatever the client accepts."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(tags=["imports"])
class ImportJobViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Spreadsheet imports of requirements, achievements or organisations (bureau staff)."""

    serializer_class = ImportJobOutputSerializer
    permission_classes = [IsAuthenticated, IsBureauStaff]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    pagination_class = Pagination
    filter_backends: list = []
    lookup_value_regex = r"\d+"
    # Uploads and commits are expensive: limited per user (reads are not).
    throttle_classes = [ScopedWriteRateThrottle]
    throttle_scope = "imports"

    def get_queryset(self):
        return imports.import_job_list_for_user(user=self.request.user)

    def get_object(self):
        return imports.import_job_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def _render(self, job) -> Response:
        if job.status == ImportStatus.FAILED and job.preview is None:
            raise ApplicationError(job.error_message, code="bad_file", extra={"errors": job.errors, "id": job.pk})
        code = status.HTTP_202_ACCEPTED if job.is_active else status.HTTP_200_OK
        return Response(self.get_serializer(job).data, status=code)

    @extend_schema(
        request={"multipart/form-data": ImportCreateInputSerializer},
        responses={201: ImportJobOutputSerializer, 202: ImportJobOutputSerializer,
                   400: OpenApiResponse(description="The file cannot be read: detail, code and errors.")},
    )
    def create(self, request):
        """Upload a file: it is checked (and, with dry_run=false, imported) at once or by a worker."""
        serializer = ImportCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = imports.import_job_create(actor=request.user, kind=data["kind"], upload=data["file"])
        job = imports.import_start(actor=request.user, job=job, commit=not data["dry_run"])
        response = self._render(job)
        if response.status_code == status.HTTP_200_OK:
            response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(responses={200: ImportJobOutputSerializer})
    def retrieve(self, request, pk=None):
        """A job's status, progress, counts, preview and row errors."""
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=None, responses={200: ImportJobOutputSerializer, 202: ImportJobOutputSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Import the valid rows of a checked file (or resume an interrupted import)."""
        job = imports.import_commit_start(actor=request.user, job=self.get_object())
        return self._render(job)

    # Routed by catalog.api.urls as "imports/<pk>/errors.csv", without the router's trailing slash.
    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def errors_csv(self, request, pk=None):
        """The rows with errors as uploaded, with the row number and the reasons (UTF-8 CSV)."""
        job = self.get_object()
        try:
            columns, rows = imports.import_error_rows(job=job)
        except intake.IntakeError as error:
            raise ApplicationError(error.message, code=error.code) from None
        return exports.export_response(columns=columns, rows=rows, fmt="csv",
                                       filename=f"import-{job.pk}-errors")


class IsBureauExporter(BasePermission):
    message = _("Only bureau staff can export listings.")

    def has_permission(self, request, view) -> bool:
        return rules.can_screen_listings(request.user)


class ListingExportView(APIView):
    kind: str = ""
    permission_classes = [IsAuthenticated, IsBureauExporter]
    content_negotiation_class = FileNegotiation

    @extend_schema(
        parameters=[ListingFilterSerializer, OpenApiParameter("format", str, enum=list(exports.FORMATS),
                                                              description="xlsx (default) or csv")],
        responses={**CSV_AND_XLSX, 400: OpenApiResponse(description="A bad filter or format.")},
    )
    def get(self, request):
        """The listings of the list endpoint (same filters) as a spreadsheet, for bureau staff."""
        filters = parse_listing_filters(request.query_params)
        listings = selectors.listing_list_for_user(kind=self.kind, user=request.user, filters=filters)
        return exports.listing_export(user=request.user, kind=self.kind, listings=listings.iterator(chunk_size=500),
                                      fmt=request.query_params.get("format", "xlsx"))


@extend_schema(tags=["requirements"])
class RequirementExportView(ListingExportView):
    kind = ListingKind.REQUIREMENT


@extend_schema(tags=["achievements"])
class AchievementExportView(ListingExportView):
    kind = ListingKind.ACHIEVEMENT
