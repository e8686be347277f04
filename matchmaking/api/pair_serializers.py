"""Serializers of a pair's life in the API: broker review, the parties' answers, the negotiation
thread and meetings, agreements, the outcome reports and notifications.

Input serializers only parse: they name exactly the keys a client may send (others are refused,
``StrictInputSerializer``) and their types and lengths; ``matchmaking.lifecycle`` decides what
is allowed. Output serializers are read-only views of the rows the selectors chose."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import OrganisationSummarySerializer, StrictInputSerializer
from accounts.models import User
from catalog.enums import CooperationMode
from catalog.models import Field
from matchmaking.api.serializers import SideField, SuggestionStatusField, UserSummarySerializer, _choice_field
from matchmaking.models import Agreement, Meeting, MeetingMode, MeetingStatus, Message, PairEvent
from matchmaking.reports import GROUPS, STAGES
from matchmaking.selectors import REVIEW_SORTS

MAX_BULK_IDS = 200
MAX_NOTIFICATION_IDS = 500

MeetingModeField = _choice_field(MeetingMode.choices, "MeetingModeEnum")
MeetingStatusField = _choice_field(MeetingStatus.choices, "MeetingStatusEnum")
ContractTypeField = _choice_field(CooperationMode.choices, "ContractTypeEnum")


class ErrorOutputSerializer(serializers.Serializer):
    """A refusal (``common.api``): the message in the reader's language and a stable code."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False, help_text=_("e.g. permission_denied, already_decided, "
                                                             "already_answered, illegal_transition."))


class RequiredBooleanField(serializers.BooleanField):
    """A yes/no the client must state: DRF reads a missing boolean of a form post as ``false``,
    which would turn a forgotten field into "not interested" or "did not take place"."""

    default_empty_html = serializers.empty


class FieldCodeField(serializers.SlugField):
    """A taxonomy field code, parsed to the field's id."""

    default_error_messages = {"unknown": _("Unknown field code “{code}”.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("Taxonomy field code (see /api/v1/taxonomy/)."))
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        code = super().run_validation(data)  # a slug of at most 40 characters first
        if code in (serializers.empty, None):
            return code
        pk = Field.objects.filter(code=code).values_list("pk", flat=True).first()
        if pk is None:
            self.fail("unknown", code=code)
        return pk


class DateRangeSerializer(serializers.Serializer):
    """Subclasses declare ``since`` and ``until`` (days, both included)."""

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since > until:
            raise serializers.ValidationError({"until": _("The end date must not be before the start date.")})
        return attrs


# --- review --------------------------------------------------------------------------------------

class ReviewQueueFilterSerializer(serializers.Serializer):
    field = FieldCodeField(required=False, help_text=_("Only pairs with this field on either side (a code)."))
    run = serializers.IntegerField(required=False, min_value=1, help_text=_("Only pairs of this run (an event's "
                                                                            "pre-docking is a run)."))
    broker = serializers.IntegerField(required=False, min_value=1,
                                      help_text=_("Bureau staff: only this broker's queue (a user id)."))
    unassigned = serializers.BooleanField(required=False, default=False,
                                          help_text=_("Bureau staff: only pairs no broker has yet."))
    overdue = serializers.BooleanField(required=False, default=False, help_text=_("Only reviews past due."))
    sort = serializers.ChoiceField(choices=sorted(REVIEW_SORTS), required=False, default="score",
                                   help_text=_("score: best first; age: longest waiting first; due: due first."))


class SuggestionApproveInputSerializer(StrictInputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                 help_text=_("The note both parties read with the pair; the current note is kept "
                                             "when omitted."))


class SuggestionRejectInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=1000, help_text=_("Why the pair does not fit; it teaches the matching."))


class SuggestionNoteInputSerializer(StrictInputSerializer):
    note = serializers.CharField(allow_blank=True, max_length=2000,
                                 help_text=_("The note both parties read with the pair."))


class SuggestionAssignInputSerializer(StrictInputSerializer):
    broker = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True,
        help_text=_("The broker's user id, or null to hand the pair back to automatic routing."),
    )


class SuggestionsDecideInputSerializer(StrictInputSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=MAX_BULK_IDS,
                                help_text=_("Suggestion ids; each is decided on its own."))
    approve = RequiredBooleanField(help_text=_("true approves every pair, false rejects them with the reason."))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="",
                                   help_text=_("Required to reject."))

    def validate(self, attrs):
        if not attrs["approve"] and not attrs["reason"].strip():
            raise serializers.ValidationError({"reason": _("Give a reason for rejecting: it teaches the matching.")})
        return attrs


class DecideFailureOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.CharField()


class DecideOutputSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField(), help_text=_("Ids decided."))
    failed = DecideFailureOutputSerializer(many=True, help_text=_("Ids refused, each with the reason."))


# --- parties -------------------------------------------------------------------------------------

class SuggestionAnswerInputSerializer(StrictInputSerializer):
    side = SideField(read_only=False, help_text=_("The side you answer for (see my_sides)."))
    interested = RequiredBooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="",
                                   help_text=_("Required when not interested; the broker reads it."))


class SuggestionDiscloseInputSerializer(StrictInputSerializer):
    side = SideField(read_only=False,
                     help_text=_("Your side, whose budget or asking price the other party may read."))


class InboxFilterSerializer(serializers.Serializer):
    awaiting_first = serializers.BooleanField(required=False, default=False,
                                              help_text=_("Pairs still waiting for your side's answer first."))


# --- negotiation ---------------------------------------------------------------------------------

class MessagePostInputSerializer(StrictInputSerializer):
    body = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    attachment = serializers.FileField(required=False, allow_empty_file=False,
                                       help_text=_("Optional file (PDF, Office, image, text or ZIP; at most 10 MB)."))


class MessageAttachmentOutputSerializer(serializers.Serializer):
    name = serializers.CharField(source="attachment_name")
    size = serializers.IntegerField(source="attachment_size", allow_null=True)
    url = serializers.SerializerMethodField(help_text=_("Download link (for the thread's participants only)."))

    def get_url(self, message) -> str:
        path = reverse("matchmaking-api:message-attachment", args=[message.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class MessageOutputSerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True, allow_null=True)
    attachment = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "suggestion", "author", "body", "attachment", "created_at"]
        read_only_fields = fields

    @extend_schema_field(MessageAttachmentOutputSerializer(allow_null=True))
    def get_attachment(self, message) -> dict | None:
        if not message.attachment:
            return None
        return MessageAttachmentOutputSerializer(message, context=self.context).data


class PairEventOutputSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True, allow_null=True, help_text=_("null: the platform."))
    from_status = SuggestionStatusField()
    to_status = SuggestionStatusField()

    class Meta:
        model = PairEvent
        fields = ["seq", "action", "from_status", "to_status", "actor", "note", "data", "created_at"]
        read_only_fields = fields


class MeetingRequestInputSerializer(StrictInputSerializer):
    starts_at = serializers.DateTimeField(help_text=_("In the future; with a time zone, or local time."))
    duration_minutes = serializers.IntegerField(required=False, default=30, min_value=10, max_value=480)
    mode = MeetingModeField(read_only=False, required=False, default=MeetingMode.ONLINE)
    location = serializers.CharField(required=False, allow_blank=True, max_length=300, default="",
                                     help_text=_("Place or meeting link."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class MeetingCancelInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000, help_text=_("So the others can plan again."))


class MeetingOutcomeInputSerializer(StrictInputSerializer):
    held = RequiredBooleanField(help_text=_("Whether the meeting took place."))
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class MeetingOutputSerializer(serializers.ModelSerializer):
    mode = MeetingModeField()
    status = MeetingStatusField()
    requested_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Meeting
        fields = [
            "id", "suggestion", "mode", "starts_at", "duration_minutes", "location", "status", "requested_by",
            "requirement_accepted_at", "achievement_accepted_at", "note", "outcome", "closed_at", "created_at",
        ]
        read_only_fields = fields


# --- outcomes ------------------------------------------------------------------------------------

class AgreementRecordInputSerializer(StrictInputSerializer):
    contract_type = ContractTypeField(read_only=False)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0,
                                      help_text=_("In 10,000 CNY."))
    signed_on = serializers.DateField()
    meeting = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                       help_text=_("The meeting of this pair that led to it; the latest held one "
                                                   "when omitted."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class SuggestionCloseInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000, help_text=_("Why there is no deal; the report counts reasons."))


class ListingTitleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class AgreementOutputSerializer(serializers.ModelSerializer):
    run = serializers.IntegerField(source="suggestion.run_id", read_only=True)
    requirement = ListingTitleSerializer(source="suggestion.requirement", read_only=True)
    achievement = ListingTitleSerializer(source="suggestion.achievement", read_only=True)
    requirement_organisation = OrganisationSummarySerializer(read_only=True)
    achievement_organisation = OrganisationSummarySerializer(read_only=True)
    broker = UserSummarySerializer(read_only=True, allow_null=True)
    contract_type = ContractTypeField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True,
                                      help_text=_("In 10,000 CNY."))

    class Meta:
        model = Agreement
        fields = [
            "id", "suggestion", "run", "requirement", "achievement", "requirement_organisation",
            "achievement_organisation", "broker", "meeting", "contract_type", "amount", "signed_on", "note",
            "created_at",
        ]
        read_only_fields = fields


class AgreementFilterSerializer(DateRangeSerializer):
    run = serializers.IntegerField(required=False, min_value=1)
    broker = serializers.IntegerField(required=False, min_value=1, help_text=_("The broker's user id."))
    since = serializers.DateField(required=False, help_text=_("Signed on or after this day."))
    until = serializers.DateField(required=False, help_text=_("Signed on or before this day."))


# --- reports -------------------------------------------------------------------------------------

EXPORT_FORMATS = ("json", "csv", "xlsx")


class FunnelQuerySerializer(DateRangeSerializer):
    group_by = serializers.ChoiceField(choices=GROUPS, required=False,
                                       help_text=_("One row per run, field or broker; one row for all pairs when "
                                                   "omitted."))
    run = serializers.IntegerField(required=False, min_value=1)
    field = FieldCodeField(required=False, help_text=_("Only pairs whose requirement has this field (a code)."))
    broker = serializers.IntegerField(required=False, min_value=1, help_text=_("The broker's user id."))
    since = serializers.DateField(required=False, help_text=_("Pairs suggested on or after this day."))
    until = serializers.DateField(required=False, help_text=_("Pairs suggested on or before this day."))
    format = serializers.ChoiceField(choices=EXPORT_FORMATS, required=False, default="json",
                                     help_text=_("json, or a csv / xlsx download."))


class LeagueQuerySerializer(DateRangeSerializer):
    since = serializers.DateField(required=False, help_text=_("Pairs suggested and agreements signed on or after "
                                                              "this day."))
    until = serializers.DateField(required=False, help_text=_("Pairs suggested and agreements signed on or before "
                                                              "this day."))
    format = serializers.ChoiceField(choices=EXPORT_FORMATS, required=False, default="json",
                                     help_text=_("json, or a csv / xlsx download."))


def _stage_serializer(name: str, stages, field_factory) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), {stage: field_factory() for stage in stages})


FunnelCountsSerializer = _stage_serializer("FunnelCountsSerializer", STAGES, serializers.IntegerField)
FunnelRatesSerializer = _stage_serializer(
    "FunnelRatesSerializer", STAGES[1:], lambda: serializers.FloatField(allow_null=True))
FunnelHoursSerializer = _stage_serializer(
    "FunnelHoursSerializer", STAGES[:-1], lambda: serializers.FloatField(allow_null=True))


class FunnelRowOutputSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text=_("The run, field or broker id; null for pairs "
                                                                "without one, or for all pairs."))
    label = serializers.CharField()
    counts = FunnelCountsSerializer(help_text=_("Pairs that reached each stage."))
    rates = FunnelRatesSerializer(help_text=_("Each stage as a percentage of the previous one."))
    overall_pct = serializers.FloatField(allow_null=True, help_text=_("Signed as a percentage of suggested."))
    median_hours = FunnelHoursSerializer(help_text=_("Median hours from entering a stage to entering the next."))
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text=_("Agreements' total, "
                                                                                     "10,000 CNY."))


class StageOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class FunnelOutputSerializer(serializers.Serializer):
    group_by = serializers.CharField(allow_null=True)
    stages = StageOutputSerializer(many=True)
    rows = FunnelRowOutputSerializer(many=True)


class BrokerLeagueRowOutputSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    broker_id = serializers.IntegerField()
    broker = serializers.CharField()
    suggested = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    mutual = serializers.IntegerField()
    met = serializers.IntegerField()
    signed = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text=_("10,000 CNY."))
    review_hours = serializers.FloatField(allow_null=True, help_text=_("Median hours to review."))


# --- notifications -------------------------------------------------------------------------------

class NotificationFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None,
                                      help_text=_("true: unread only; false: read only."))


class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationReadInputSerializer(StrictInputSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                max_length=MAX_NOTIFICATION_IDS,
                                help_text=_("Mark these read; every unread notification when omitted."))


class NotificationReadOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("How many were unread and are now read."))
