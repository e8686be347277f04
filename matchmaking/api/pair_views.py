"""A pair's life through the API: broker review, the parties' answers and inbox, the negotiation
thread and meetings, agreements, and notifications (the reports: ``report_views``).

Every view parses with an input serializer, calls one service (``matchmaking.lifecycle``,
``matchmaking.routing``) or selector and renders with an output serializer. A pair, meeting or
message the reader may not see is a 404 (``matchmaking.selectors``), checked before the body is
read; an action the reader may not take on a pair they see is a 403 with the service's message;
a pair in the wrong state for the action is a 409 (``already_decided``, ``already_answered``,
``illegal_transition``…). ``common.api`` turns the services' errors into these responses.
"""


from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.api.views import Pagination
from accounts.services import notification_mark_read
from common.errors import PermissionDenied
from matchmaking import lifecycle, routing, rules, selectors
from matchmaking.api.pair_serializers import (
    AgreementFilterSerializer,
    AgreementOutputSerializer,
    AgreementRecordInputSerializer,
    DecideOutputSerializer,
    ErrorOutputSerializer,
    InboxFilterSerializer,
    MeetingCancelInputSerializer,
    MeetingOutcomeInputSerializer,
    MeetingOutputSerializer,
    MeetingRequestInputSerializer,
    MessageOutputSerializer,
    MessagePostInputSerializer,
    NotificationFilterSerializer,
    NotificationOutputSerializer,
    NotificationReadInputSerializer,
    NotificationReadOutputSerializer,
    PairEventOutputSerializer,
    ReviewQueueFilterSerializer,
    SuggestionAnswerInputSerializer,
    SuggestionApproveInputSerializer,
    SuggestionAssignInputSerializer,
    SuggestionCloseInputSerializer,
    SuggestionDiscloseInputSerializer,
    SuggestionNoteInputSerializer,
    SuggestionRejectInputSerializer,
    SuggestionsDecideInputSerializer,
)
from matchmaking.api.serializers import SUGGESTION_PREFETCH, SuggestionOutputSerializer, render_suggestions

# --- responses shared by the schema of many actions -----------------------------------------------

E400 = OpenApiResponse(OpenApiTypes.OBJECT, description=(
    "Malformed input: each field at fault with its messages ({\"field\": [\"message\"]}), or a refused "
    "action ({\"detail\", \"code\"})."))
E403 = OpenApiResponse(ErrorOutputSerializer, description="Not signed in, or not allowed to do this (the message "
                                                          "says why).")
E404 = OpenApiResponse(ErrorOutputSerializer, description="No such object, or one the reader may not see.")
E409 = OpenApiResponse(ErrorOutputSerializer, description=(
    "The pair is no longer in a state that allows this: already_decided, already_answered, illegal_transition, "
    "meeting_open, already_signed; the message says which."))
ACTION_ERRORS = {400: E400, 403: E403, 404: E404, 409: E409}
READ_ERRORS = {403: E403, 404: E404}


class FirstRendererNegotiation(DefaultContentNegotiation):
    """For endpoints that answer with a file: errors are JSON whatever the client accepts, and
    ``?format=`` names the export (csv, xlsx), not one of DRF's renderers."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class FileEndpointMixin:
    """Endpoints that may answer with a file (a download, an export) or a JSON error."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRendererNegotiation


def parse(serializer_class, data, **context):
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- review and the pair's actions ---------------------------------------------------------------

@extend_schema(tags=["pairs"])
class PairViewSet(viewsets.GenericViewSet):
    """What happens to a suggested pair: the broker's review, the parties' answers, the
    negotiation thread, meetings and the outcome. Mounted under /suggestions/{id}/."""

    serializer_class = SuggestionOutputSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.suggestion_queryset_for_user(self.request.user).prefetch_related(*SUGGESTION_PREFETCH)

    def get_object(self):
        return selectors.suggestion_get_for_user(self.request.user, self.kwargs["pk"])

    def _data(self, serializer_class):
        return parse(serializer_class, self.request.data, request=self.request)

    def _render(self, suggestion) -> Response:
        """The pair after the action, read again with everything its payload shows."""
        fresh = get_object_or_404(self.get_queryset(), pk=suggestion.pk)
        return Response(render_suggestions([fresh], context=self.get_serializer_context())[0])

    def _list(self, queryset, serializer_class) -> Response:
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context()
        return self.get_paginated_response(serializer_class(page, many=True, context=context).data)

    # --- broker review -----------------------------------------------------------------------

    @extend_schema(request=SuggestionApproveInputSerializer, responses={200: SuggestionOutputSerializer,
                                                                        **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The pair's broker (or bureau staff) approve it, optionally with the note the parties
        read; it is sent to both parties right after."""
        suggestion = self.get_object()
        data = self._data(SuggestionApproveInputSerializer)
        return self._render(lifecycle.suggestion_approve(actor=request.user, suggestion=suggestion,
                                                         note=data.get("note")))

    @extend_schema(request=SuggestionRejectInputSerializer, responses={200: SuggestionOutputSerializer,
                                                                       **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """The pair's broker (or bureau staff) reject it with a reason (not suggested again unless
        one of the listings changes)."""
        suggestion = self.get_object()
        reason = self._data(SuggestionRejectInputSerializer)["reason"]
        return self._render(lifecycle.suggestion_reject(actor=request.user, suggestion=suggestion, reason=reason))

    @extend_schema(request=SuggestionNoteInputSerializer, responses={200: SuggestionOutputSerializer,
                                                                     **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        """The broker edits the note both parties read (until they have answered)."""
        suggestion = self.get_object()
        note = self._data(SuggestionNoteInputSerializer)["note"]
        return self._render(lifecycle.suggestion_edit_note(actor=request.user, suggestion=suggestion, note=note))

    @extend_schema(request=SuggestionAssignInputSerializer, responses={200: SuggestionOutputSerializer,
                                                                       **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Bureau staff give a pair awaiting review to a broker (free of conflicts of interest,
        within capacity), or hand it back to routing with null."""
        suggestion = self.get_object()
        if not rules.can_route_suggestions(request.user):
            # before the body is read: a user id that exists or not is none of the caller's business
            raise PermissionDenied(_("Only bureau staff can assign suggestions to brokers."))
        broker = self._data(SuggestionAssignInputSerializer)["broker"]
        return self._render(routing.suggestion_assign(actor=request.user, suggestion=suggestion, broker=broker))

    @extend_schema(request=SuggestionsDecideInputSerializer,
                   responses={200: DecideOutputSerializer, 400: E400, 403: E403})
    @action(detail=False, methods=["post"])
    def decide(self, request):
        """Bulk review: approve, or reject with one reason, many pairs at once. Each is decided on
        its own; the refused ones are listed with the reason and do not undo the others."""
        if not rules.sees_unreviewed_suggestions(request.user):
            raise PermissionDenied(_("The review queue is for brokers and bureau staff."))
        data = self._data(SuggestionsDecideInputSerializer)
        # A pair the reader may not see is reported like one that does not exist (by the service).
        result = lifecycle.suggestions_decide(actor=request.user, ids=data["ids"], approve=data["approve"],
                                              reason=data["reason"])
        return Response(DecideOutputSerializer(result).data)

    # --- the parties -------------------------------------------------------------------------

    @extend_schema(request=SuggestionAnswerInputSerializer, responses={200: SuggestionOutputSerializer,
                                                                       **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """A party answers for its side: interested, or not interested with a reason. Two
        "interested" make the pair mutual and open the negotiation thread."""
        suggestion = self.get_object()
        data = self._data(SuggestionAnswerInputSerializer)
        return self._render(lifecycle.suggestion_answer(actor=request.user, suggestion=suggestion, side=data["side"],
                                                        interested=data["interested"], reason=data["reason"]))

    @extend_schema(request=SuggestionDiscloseInputSerializer, responses={200: SuggestionOutputSerializer,
                                                                         **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def disclose(self, request, pk=None):
        """The owner of one side lets the other party read its budget or asking price (from
        mutual interest on; final)."""
        suggestion = self.get_object()
        side = self._data(SuggestionDiscloseInputSerializer)["side"]
        return self._render(lifecycle.suggestion_disclose(actor=request.user, suggestion=suggestion, side=side))

    # --- negotiation -------------------------------------------------------------------------

    def _require_participant(self, suggestion) -> None:
        if not rules.is_participant(self.request.user, suggestion):
            raise PermissionDenied(_("Only the two parties, their broker and bureau staff read the negotiation."))

    @extend_schema(methods=["GET"], request=None,
                   responses={200: MessageOutputSerializer(many=True), **READ_ERRORS})
    @extend_schema(methods=["POST"], request={"multipart/form-data": MessagePostInputSerializer,
                                              "application/json": MessagePostInputSerializer},
                   responses={201: MessageOutputSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        """The negotiation thread, oldest first (GET), or a new message with an optional
        attachment (POST, multipart): open to the two parties, their broker and bureau staff
        once both sides are interested."""
        suggestion = self.get_object()
        if request.method == "GET":
            self._require_participant(suggestion)
            return self._list(selectors.pair_messages(suggestion), MessageOutputSerializer)
        data = self._data(MessagePostInputSerializer)
        message = lifecycle.message_post(actor=request.user, suggestion=suggestion, body=data["body"],
                                         upload=data.get("attachment"))
        return Response(MessageOutputSerializer(message, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PairEventOutputSerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """The pair's audit trail: every transition and action, in order, with who and when."""
        suggestion = self.get_object()
        return self._list(selectors.pair_events_for_user(user=request.user, suggestion=suggestion),
                          PairEventOutputSerializer)

    @extend_schema(methods=["GET"], request=None,
                   responses={200: MeetingOutputSerializer(many=True), **READ_ERRORS})
    @extend_schema(methods=["POST"], request=MeetingRequestInputSerializer,
                   responses={201: MeetingOutputSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["get", "post"])
    def meetings(self, request, pk=None):
        """The pair's meetings, latest first (GET), or a proposed one (POST): the proposer's side
        accepts it at once; it is confirmed when the other side accepts."""
        suggestion = self.get_object()
        if request.method == "GET":
            self._require_participant(suggestion)
            return self._list(selectors.pair_meetings(suggestion), MeetingOutputSerializer)
        data = self._data(MeetingRequestInputSerializer)
        meeting = lifecycle.meeting_request(actor=request.user, suggestion=suggestion, **data)
        return Response(MeetingOutputSerializer(meeting, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    # --- outcomes ----------------------------------------------------------------------------

    @extend_schema(request=AgreementRecordInputSerializer, responses={201: AgreementOutputSerializer,
                                                                      **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def agreement(self, request, pk=None):
        """The broker (or bureau staff) record the agreement the pair signed after meeting; the
        requirement becomes resolved / contracted."""
        suggestion = self.get_object()
        data = self._data(AgreementRecordInputSerializer)
        meeting = None
        if data.get("meeting") is not None:
            meeting = selectors.pair_meetings(suggestion).filter(pk=data["meeting"]).first()
            if meeting is None:
                raise ValidationError({"meeting": _("Choose a meeting of this pair that took place.")})
        agreement = lifecycle.agreement_record(
            actor=request.user, suggestion=suggestion, contract_type=data["contract_type"], amount=data["amount"],
            signed_on=data["signed_on"], note=data["note"], meeting=meeting,
        )
        agreement = selectors.agreement_list_for_user(request.user).get(pk=agreement.pk)
        return Response(AgreementOutputSerializer(agreement, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=SuggestionCloseInputSerializer, responses={200: SuggestionOutputSerializer,
                                                                      **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """A participant ends the negotiation without a deal, with a reason."""
        suggestion = self.get_object()
        reason = self._data(SuggestionCloseInputSerializer)["reason"]
        return self._render(lifecycle.suggestion_close(actor=request.user, suggestion=suggestion, reason=reason))


@extend_schema(tags=["pairs"])
class ReviewQueueView(generics.GenericAPIView):
    """Pairs awaiting review with both listings and the explanation: a broker's own, or
    (bureau staff) everyone's."""

    serializer_class = SuggestionOutputSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    filter_backends: list = []

    @extend_schema(parameters=[ReviewQueueFilterSerializer],
                   responses={200: SuggestionOutputSerializer(many=True), 400: E400, 403: E403})
    def get(self, request):
        data = parse(ReviewQueueFilterSerializer, request.query_params)
        queue = selectors.review_queue_for_user(
            request.user, field_id=data.get("field"), run_id=data.get("run"), broker_id=data.get("broker"),
            unassigned=data["unassigned"], overdue=data["overdue"], sort=data["sort"],
        ).prefetch_related(*SUGGESTION_PREFETCH)
        page = self.paginate_queryset(queue)
        return self.get_paginated_response(render_suggestions(page, context=self.get_serializer_context()))


@extend_schema(tags=["pairs"])
class InboxView(generics.GenericAPIView):
    """The pairs sent to the reader's organisations (as enterprise or university), newest first,
    or those still waiting for the reader's answer first."""

    serializer_class = SuggestionOutputSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    filter_backends: list = []

    @extend_schema(parameters=[InboxFilterSerializer],
                   responses={200: SuggestionOutputSerializer(many=True), 400: E400, 403: E403})
    def get(self, request):
        data = parse(InboxFilterSerializer, request.query_params)
        inbox = selectors.inbox_for_user(request.user, awaiting_first=data["awaiting_first"])
        page = self.paginate_queryset(inbox.prefetch_related(*SUGGESTION_PREFETCH))
        return self.get_paginated_response(render_suggestions(page, context=self.get_serializer_context()))


# --- meetings and messages -----------------------------------------------------------------------

@extend_schema(tags=["pairs"])
class MeetingViewSet(viewsets.GenericViewSet):
    """A pair's meeting: the other party accepts it, a participant cancels it, the broker records
    whether it took place."""

    serializer_class = MeetingOutputSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_object(self):
        return selectors.meeting_get_for_user(self.request.user, self.kwargs["pk"])

    def _render(self, meeting) -> Response:
        return Response(self.get_serializer(meeting).data)

    @extend_schema(request=None, responses={200: MeetingOutputSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """A party accepts a proposed meeting for its side; with both sides in, it is confirmed."""
        return self._render(lifecycle.meeting_accept(actor=request.user, meeting=self.get_object()))

    @extend_schema(request=MeetingCancelInputSerializer, responses={200: MeetingOutputSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """A participant cancels an open meeting with a reason."""
        meeting = self.get_object()
        reason = parse(MeetingCancelInputSerializer, request.data)["reason"]
        return self._render(lifecycle.meeting_cancel(actor=request.user, meeting=meeting, reason=reason))

    @extend_schema(request=MeetingOutcomeInputSerializer, responses={200: MeetingOutputSerializer, **ACTION_ERRORS})
    @action(detail=True, methods=["post"])
    def outcome(self, request, pk=None):
        """The broker (or bureau staff) record whether a confirmed meeting took place, and how."""
        meeting = self.get_object()
        data = parse(MeetingOutcomeInputSerializer, request.data)
        return self._render(lifecycle.meeting_record_outcome(actor=request.user, meeting=meeting, held=data["held"],
                                                             outcome=data["outcome"]))


@extend_schema(tags=["pairs"])
class MessageViewSet(FileEndpointMixin, viewsets.GenericViewSet):
    """A message's attachment, streamed to the thread's participants only."""

    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    @extend_schema(request=None, responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                                            **READ_ERRORS})
    @action(detail=True, methods=["get"])
    def attachment(self, request, pk=None):
        """The file, as a download under its original name."""
        message = selectors.message_get_for_user(request.user, pk)
        if not message.attachment:
            raise Http404
        try:
            handle = message.attachment.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, as_attachment=True, filename=message.attachment_name or "attachment",
                            content_type="application/octet-stream")


# --- agreements ----------------------------------------------------------------------------------

@extend_schema(tags=["pairs"])
class AgreementViewSet(viewsets.GenericViewSet):
    """Signed agreements: bureau staff all, a broker those of the pairs they followed, a party its
    own organisations'."""

    serializer_class = AgreementOutputSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    filter_backends: list = []

    @extend_schema(parameters=[AgreementFilterSerializer],
                   responses={200: AgreementOutputSerializer(many=True), 400: E400, 403: E403})
    def list(self, request):
        data = parse(AgreementFilterSerializer, request.query_params)
        agreements = selectors.agreement_list_for_user(request.user)
        if data.get("run"):
            agreements = agreements.filter(suggestion__run_id=data["run"])
        if data.get("broker"):
            agreements = agreements.filter(broker_id=data["broker"])
        if data.get("since"):
            agreements = agreements.filter(signed_on__gte=data["since"])
        if data.get("until"):
            agreements = agreements.filter(signed_on__lte=data["until"])
        page = self.paginate_queryset(agreements.order_by("-signed_on", "-pk"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# --- notifications -------------------------------------------------------------------------------

@extend_schema(tags=["notifications"])
class NotificationViewSet(viewsets.GenericViewSet):
    """The reader's own in-portal notifications, newest first."""

    serializer_class = NotificationOutputSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    filter_backends: list = []

    @extend_schema(parameters=[NotificationFilterSerializer],
                   responses={200: NotificationOutputSerializer(many=True), 400: E400, 403: E403})
    def list(self, request):
        data = parse(NotificationFilterSerializer, request.query_params)
        notes = selectors.notifications_for_user(request.user)
        if data["unread"] is not None:
            notes = notes.filter(read_at__isnull=data["unread"])
        page = self.paginate_queryset(notes)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=NotificationReadInputSerializer,
                   responses={200: NotificationReadOutputSerializer, 400: E400, 403: E403})
    @action(detail=False, methods=["post"])
    def read(self, request):
        """Mark some (``ids``) or all of the reader's notifications read; others' are untouched."""
        ids = parse(NotificationReadInputSerializer, request.data).get("ids")
        marked = notification_mark_read(user=request.user, ids=ids)
        return Response(NotificationReadOutputSerializer({"marked": marked}).data)
