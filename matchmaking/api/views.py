"""Pre-docking API: runs (bureau staff), suggestions (whoever may see them) and one-click search
(everyone, anonymous visitors included).

As in the catalog API, every view parses with an input serializer, calls one selector or
service and renders with an output serializer. Runs are the bureau's: anyone else gets a 403
with the reason. A suggestion the reader may not see is a 404, as is a listing."""


from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.views import Pagination
from accounts.rules import roles_for
from common.errors import ApplicationError, PermissionDenied
from common.throttling import ScopedRateThrottle, ScopedWriteRateThrottle
from matchmaking import rules, selectors, services
from matchmaking.api.serializers import (
    SUGGESTION_PREFETCH,
    RunDetailOutputSerializer,
    RunOutputSerializer,
    RunStartInputSerializer,
    SearchOutputSerializer,
    SearchQuerySerializer,
    SuggestionFilterSerializer,
    SuggestionOutputSerializer,
    prime_listing_access,
    render_suggestions,
)
from matchmaking.search import search_listings

# Refusals that are about the run's state, not the request: 409, so that a client can tell
# "wait and retry" from "fix the request".
CONFLICT_CODES = frozenset({"run_in_progress", "run_not_active"})


def _conflict_as_409(error: ApplicationError) -> ApplicationError:
    if error.code in CONFLICT_CODES:
        return ApplicationError(error.message, code=error.code, status=status.HTTP_409_CONFLICT, extra=error.extra)
    return error


@extend_schema(tags=["pre-docking"])
class RunViewSet(viewsets.GenericViewSet):
    """Pre-docking runs: bureau staff start them, watch their progress and read their reports."""

    serializer_class = RunOutputSerializer
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedWriteRateThrottle]  # starting (and cancelling) runs; reads are free
    throttle_scope = "runs"
    pagination_class = Pagination
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.run_list_for_user(self.request.user)

    def get_object(self):
        return selectors.run_get_for_user(self.request.user, self.kwargs["pk"])

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=RunStartInputSerializer,
        responses={
            201: RunDetailOutputSerializer,
            400: OpenApiResponse(description="Malformed input or invalid parameters (the message says which)."),
            403: OpenApiResponse(description="Only bureau staff start runs."),
            409: OpenApiResponse(description="A run of the same scope is already in progress."),
        },
    )
    def create(self, request):
        """Queue a run over every published listing, or over the given ones."""
        if not rules.can_start_run(request.user):
            raise PermissionDenied(_("Only bureau staff can start pre-docking runs."))
        serializer = RunStartInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        requirement_ids, achievement_ids = data.get("requirement_ids"), data.get("achievement_ids")
        try:
            run = services.run_start(
                actor=request.user,
                requirement_ids=requirement_ids, achievement_ids=achievement_ids,
                params=data["params"], label=data["label"],
            )
        except ApplicationError as error:
            raise _conflict_as_409(error) from error
        return Response(RunDetailOutputSerializer(run, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses=RunDetailOutputSerializer)
    def retrieve(self, request, pk=None):
        """A run with its progress, counts, parameters, encoder, index checksum and report."""
        return Response(RunDetailOutputSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(
        request=None,
        responses={200: RunDetailOutputSerializer,
                   409: OpenApiResponse(description="The run is no longer in progress.")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Stop a queued or running run; the suggestions of earlier runs stay."""
        run = self.get_object()
        try:
            run = services.run_cancel(actor=request.user, run=run)
        except ApplicationError as error:
            raise _conflict_as_409(error) from error
        return Response(RunDetailOutputSerializer(run, context=self.get_serializer_context()).data)


@extend_schema(tags=["pre-docking"])
class SuggestionViewSet(viewsets.GenericViewSet):
    """Suggested partners with their reasons. Bureau staff see all current suggestions, brokers
    those of the listings they can read, the parties only the ones a broker approved."""

    serializer_class = SuggestionOutputSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        # The listings are rendered with the catalog's serializers: prefetched so that a page
        # costs the same number of queries whatever its size.
        return selectors.suggestion_queryset_for_user(self.request.user).prefetch_related(*SUGGESTION_PREFETCH)

    def _render(self, suggestions: list) -> list:
        return render_suggestions(suggestions, context=self.get_serializer_context())

    @extend_schema(parameters=[SuggestionFilterSerializer])
    def list(self, request):
        filters = SuggestionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        suggestions = self.get_queryset().order_by("-score", "pk")
        for name in ("run", "requirement", "achievement"):
            if data.get(name) is not None:
                suggestions = suggestions.filter(**{f"{name}_id": data[name]})
        if data.get("low_confidence") is not None:
            suggestions = suggestions.filter(low_confidence=data["low_confidence"])
        page = self.paginate_queryset(suggestions)
        return self.get_paginated_response(self._render(list(page)))

    def retrieve(self, request, pk=None):
        suggestion = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(self._render([suggestion])[0])


@extend_schema(tags=["search"])
class SearchView(APIView):
    """One-click search: free text in Chinese or English → ranked listings the caller may see,
    each rendered with the keys the caller's access level allows."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]  # per user, or per IP for anonymous callers
    throttle_scope = "search"

    @extend_schema(parameters=[SearchQuerySerializer], responses=SearchOutputSerializer)
    def get(self, request):
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        kinds = (data["kind"],) if data.get("kind") else ("requirement", "achievement")
        result = search_listings(request.user, data["q"], kinds=kinds, limit=data["limit"])
        message = ""
        if not result.semantic:
            message = _("Semantic search is unavailable at the moment: results are ranked by keywords only, "
                        "so listings written in the other language may be missed.")
            if result.message and roles_for(request.user).is_bureau:
                message = f"{message} ({result.message})"
        context = {"request": request, "view": self}
        # The listing serializer reads attachments and assigned brokers: one query per relation
        # and kind instead of two per hit (as the catalogue's list endpoints do).
        for kind in kinds:
            prefetch_related_objects([hit.listing for hit in result.hits if hit.kind == kind],
                                     "attachments", "assigned_brokers")
        prime_listing_access(context, user=request.user, listings=[hit.listing for hit in result.hits])
        return Response(SearchOutputSerializer(
            {"query": data["q"], "semantic": result.semantic, "message": message, "results": result.hits},
            context=context,
        ).data)
