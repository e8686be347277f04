"""Catalog API: taxonomy, requirements, achievements, expert evaluations.

Every view parses with an input serializer, calls one selector or service and renders with an
output serializer. Visibility comes from ``catalog.selectors`` (a listing the user cannot see
is a 404, also for writes); what the user may do comes from ``catalog.services`` (a refusal
is an ``ApplicationError``, a 400 or 403 by way of ``common.api``).
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts.api.views import Pagination
from accounts.rules import roles_for
from catalog import rules, selectors, services
from catalog.api.filters import ListingFilterSerializer, parse_listing_filters
from catalog.api.serializers import (
    AchievementCreateInputSerializer,
    AchievementOutputSerializer,
    AchievementUpdateInputSerializer,
    EvaluationAssignInputSerializer,
    EvaluationOutputSerializer,
    EvaluationSubmitInputSerializer,
    FieldClusterOutputSerializer,
    ListingAssignBrokersInputSerializer,
    ListingDecideInputSerializer,
    ListingInputSerializer,
    ListingOutputSerializer,
    ListingRejectInputSerializer,
    ListingScreenInputSerializer,
    ListingWithdrawInputSerializer,
    RequirementCreateInputSerializer,
    RequirementOutputSerializer,
    RequirementUpdateInputSerializer,
)
from catalog.enums import Confidentiality, ListingKind
from common.audit import audit_event


@extend_schema(tags=["taxonomy"])
class TaxonomyView(generics.ListAPIView):
    """The field taxonomy: clusters, each with its fields. Codes are what listings refer to."""

    serializer_class = FieldClusterOutputSerializer
    permission_classes = [AllowAny]
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return selectors.taxonomy()


class ListingViewSet(viewsets.GenericViewSet):
    kind: str
    output_serializer_class: type[ListingOutputSerializer]
    create_serializer_class: type[ListingInputSerializer]
    update_serializer_class: type[ListingInputSerializer]

    pagination_class = Pagination
    filter_backends: list = []  # the selector filters, from parse_listing_filters()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.listing_queryset_for_user(kind=self.kind, user=self.request.user)

    def get_object(self):
        return selectors.listing_get_for_user(kind=self.kind, pk=self.kwargs["pk"], user=self.request.user)

    def get_serializer_class(self):
        return self.output_serializer_class

    def _parse(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer

    def _render(self, listing, *, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(listing).data, status=status_code)

    @extend_schema(parameters=[ListingFilterSerializer])
    def list(self, request):
        filters = parse_listing_filters(request.query_params)
        listings = selectors.listing_list_for_user(kind=self.kind, user=request.user, filters=filters)
        # Rendered for readers with member or full access; prefetched so that a page costs the
        # same number of queries whatever its size.
        page = self.paginate_queryset(listings.prefetch_related("attachments", "assigned_brokers"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        listing = self.get_object()
        access = rules.listing_access(request.user, listing)
        # Security audit: a confidential listing, or the budget and internals shown to a non-owner
        # (bureau staff, an assigned broker or expert).
        if listing.confidentiality == Confidentiality.RESTRICTED or (
                access == rules.Access.FULL and listing.organisation_id not in roles_for(request.user).org_ids):
            audit_event("listing.confidential_view", organisation_id=listing.organisation_id, kind=self.kind,
                        listing_id=listing.pk, confidentiality=listing.confidentiality, access=access.name)
        return self._render(listing)

    def create(self, request):
        serializer = self._parse(self.create_serializer_class)
        data, field_objs = serializer.split()
        listing = services.listing_create(
            actor=request.user, kind=self.kind, organisation=serializer.validated_data["organisation"],
            data=data, fields=field_objs or [], submit=serializer.validated_data["submit"],
        )
        return self._render(listing, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        listing = self.get_object()
        data, field_objs = self._parse(self.update_serializer_class, partial=True).split()
        listing = services.listing_update(actor=request.user, listing=listing, data=data, fields=field_objs)
        return self._render(listing)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The owner submits a draft, or a rejected listing after fixing it, for screening."""
        return self._render(services.listing_submit(actor=request.user, listing=self.get_object()))

    @extend_schema(request=ListingScreenInputSerializer)
    @action(detail=True, methods=["post"])
    def screen(self, request, pk=None):
        """Bureau staff accept a submitted listing after the formal check."""
        listing = self.get_object()
        note = self._parse(ListingScreenInputSerializer).validated_data["note"]
        return self._render(services.listing_screen(actor=request.user, listing=listing, note=note))

    @extend_schema(request=ListingRejectInputSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Bureau staff send a submitted or screened listing back to its owner with a reason."""
        listing = self.get_object()
        reason = self._parse(ListingRejectInputSerializer).validated_data["reason"]
        return self._render(services.listing_reject(actor=request.user, listing=listing, reason=reason))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Bureau staff publish a screened listing (achievements: after passing evaluation)."""
        return self._render(services.listing_publish(actor=request.user, listing=self.get_object()))

    @extend_schema(request=ListingWithdrawInputSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The owner or the bureau withdraw an open listing."""
        listing = self.get_object()
        reason = self._parse(ListingWithdrawInputSerializer).validated_data["reason"]
        return self._render(services.listing_withdraw(actor=request.user, listing=listing, reason=reason))

    @extend_schema(request=ListingAssignBrokersInputSerializer)
    @action(detail=True, methods=["post"], url_path="assign-brokers", url_name="assign-brokers")
    def assign_brokers(self, request, pk=None):
        """Bureau staff set the brokers who follow the listing (they see it even if restricted)."""
        listing = self.get_object()
        brokers = self._parse(ListingAssignBrokersInputSerializer).validated_data["brokers"]
        return self._render(services.listing_assign_brokers(actor=request.user, listing=listing, brokers=brokers))


@extend_schema_view(
    create=extend_schema(request=RequirementCreateInputSerializer, responses={201: RequirementOutputSerializer}),
    partial_update=extend_schema(request=RequirementUpdateInputSerializer),
)
@extend_schema(tags=["requirements"])
class RequirementViewSet(ListingViewSet):
    """Technical requirements posted by enterprises."""

    kind = ListingKind.REQUIREMENT
    output_serializer_class = RequirementOutputSerializer
    create_serializer_class = RequirementCreateInputSerializer
    update_serializer_class = RequirementUpdateInputSerializer


@extend_schema_view(
    create=extend_schema(request=AchievementCreateInputSerializer, responses={201: AchievementOutputSerializer}),
    partial_update=extend_schema(request=AchievementUpdateInputSerializer),
)
@extend_schema(tags=["achievements"])
class AchievementViewSet(ListingViewSet):
    """Achievements posted by universities and institutes."""

    kind = ListingKind.ACHIEVEMENT
    output_serializer_class = AchievementOutputSerializer
    create_serializer_class = AchievementCreateInputSerializer
    update_serializer_class = AchievementUpdateInputSerializer

    @extend_schema(request=ListingDecideInputSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Bureau staff decide from the experts' scores: passed publishes, failed rejects."""
        achievement = self.get_object()
        data = self._parse(ListingDecideInputSerializer).validated_data
        achievement = services.evaluation_decide(
            actor=request.user, achievement=achievement, passed=data["passed"], reason=data["reason"]
        )
        return self._render(achievement)


@extend_schema(tags=["evaluations"])
class EvaluationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Expert evaluations of achievements: experts see their own, bureau staff all of them."""

    serializer_class = EvaluationOutputSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.evaluation_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.evaluation_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=EvaluationAssignInputSerializer, responses={201: EvaluationOutputSerializer})
    def create(self, request):
        """Bureau staff assign an expert to a screened achievement."""
        serializer = EvaluationAssignInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        evaluation = services.evaluation_assign(
            actor=request.user, achievement=serializer.validated_data["achievement"],
            expert=serializer.validated_data["expert"],
        )
        return Response(self.get_serializer(evaluation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EvaluationSubmitInputSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The assigned expert scores the achievement, 1 to 10 per criterion."""
        evaluation = self.get_object()
        serializer = EvaluationSubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evaluation = services.evaluation_submit(actor=request.user, evaluation=evaluation,
                                                **serializer.validated_data)
        return Response(self.get_serializer(evaluation).data)
