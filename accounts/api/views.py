"""Accounts API: token sign-in and organisations. Each view parses with an input serializer,
calls one selector or service and renders with an output serializer; refusals from services
arrive as ``ApplicationError`` and are turned into responses by ``common.api``."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import filters, mixins, pagination, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import (
    OrganisationApproveInputSerializer,
    OrganisationOutputSerializer,
    OrganisationRejectInputSerializer,
    OrganisationUpdateInputSerializer,
    TokenObtainInputSerializer,
    TokenOutputSerializer,
)
from common.audit import audit_event


class Pagination(pagination.PageNumberPagination):
    """Every list endpoint: ``?page=`` and ``?page_size=`` (at most 100)."""

    page_size_query_param = "page_size"
    max_page_size = 100


@extend_schema(tags=["auth"])
class TokenObtainView(APIView):
    """Exchange an email and a password for an API token (send it as ``Authorization: Token …``)."""

    # No session authentication here: a browser that is signed in would otherwise need a CSRF
    # token just to obtain an API token.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenObtainInputSerializer, responses=TokenOutputSerializer, auth=[])
    def post(self, request):
        serializer = TokenObtainInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _created = Token.objects.get_or_create(user=user)
        audit_event("auth.login", user=user, method="api_token")
        return Response(TokenOutputSerializer({"token": token.key}).data)


@extend_schema(tags=["organisations"])
class OrganisationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Organisations: approved ones are public; pending and rejected ones only to their own
    members and the bureau. Sign-up is a portal flow, so there is no create here."""

    serializer_class = OrganisationOutputSerializer
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    filterset_fields = ["kind", "status", "region"]
    search_fields = ["name_zh", "name_en"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.organisation_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.organisation_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=OrganisationUpdateInputSerializer, responses=OrganisationOutputSerializer)
    def partial_update(self, request, pk=None):
        organisation = self.get_object()
        serializer = OrganisationUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organisation = services.organisation_update(
            actor=request.user, organisation=organisation, data=serializer.validated_data
        )
        return Response(self.get_serializer(organisation).data)

    @extend_schema(request=OrganisationApproveInputSerializer, responses=OrganisationOutputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, approve=True, input_class=OrganisationApproveInputSerializer)

    @extend_schema(request=OrganisationRejectInputSerializer, responses=OrganisationOutputSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, approve=False, input_class=OrganisationRejectInputSerializer)

    def _decide(self, request, *, approve: bool, input_class) -> Response:
        organisation = self.get_object()
        serializer = input_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = services.organisation_decide(
            actor=request.user, organisation=organisation, approve=approve,
            reason=serializer.validated_data["reason"],
        )
        return Response(self.get_serializer(organisation).data, status=status.HTTP_200_OK)
