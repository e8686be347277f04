"""Serializers of the events API (participation; the other parts of the event keep theirs in
their own api module). Input serializers only parse and refuse keys they do not declare;
``events.services`` / ``events.predocking`` decide what is allowed. Output serializers are
read-only views of rows the selectors chose; a listing is shown by its number, kind, title and
organisation only — never a confidential field (budget, contact, the bureau's notes)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.serializers import OrganisationSummarySerializer, StrictInputSerializer
from events.enums import EventKind, EventStatus, RegistrationStatus, SessionKind
from events.models import Event, EventListing, ExhibitionArea, Registration, Session
from events.selectors import BOARD_STATES
from events.services import MAX_DELEGATES
from matchmaking.api.serializers import _choice_field
from matchmaking.models import SuggestionStatus

EventKindField = _choice_field(EventKind.choices, "EventKindEnum")
EventStatusField = _choice_field(EventStatus.choices, "EventStatusEnum")
RegistrationStatusField = _choice_field(RegistrationStatus.choices, "RegistrationStatusEnum")
SessionKindField = _choice_field(SessionKind.choices, "SessionKindEnum")
BoardStateField = _choice_field([(state, state) for state in BOARD_STATES], "BoardStateEnum")
LISTING_KINDS = [("requirement", _("Technical requirement")), ("achievement", _("Achievement"))]
EntryKindField = _choice_field(LISTING_KINDS, "EventListingKindEnum")


# --- events --------------------------------------------------------------------------------------

class EventOutputSerializer(serializers.ModelSerializer):
    kind = EventKindField()
    status = EventStatusField()
    organiser = OrganisationSummarySerializer(read_only=True)
    registration_open = serializers.SerializerMethodField()
    predocking_open = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "slug", "name_zh", "name_en", "kind", "status", "series", "organiser", "starts_on", "ends_on",
                  "venue", "online", "registration_opens_at", "registration_closes_at", "predocking_opens_at",
                  "predocking_closes_at", "registration_open", "predocking_open"]
        read_only_fields = fields

    def get_registration_open(self, event) -> bool:
        return event.registration_open()

    def get_predocking_open(self, event) -> bool:
        return event.predocking_open()


class AreaOutputSerializer(serializers.ModelSerializer):
    fields = serializers.SerializerMethodField(method_name="get_field_codes")

    class Meta:
        model = ExhibitionArea
        fields = ["id", "code", "name_zh", "name_en", "hall", "order", "fields"]
        read_only_fields = fields

    def get_field_codes(self, area) -> list[str]:
        return [field.code for field in area.fields.all()]


class SessionOutputSerializer(serializers.ModelSerializer):
    kind = SessionKindField()

    class Meta:
        model = Session
        fields = ["id", "kind", "area", "title_zh", "title_en", "room", "starts_at", "ends_at", "seats"]
        read_only_fields = fields


class EventDetailOutputSerializer(EventOutputSerializer):
    """An event's public programme: its areas (with their field codes) and sessions."""

    areas = AreaOutputSerializer(many=True, read_only=True)
    sessions = SessionOutputSerializer(many=True, read_only=True)

    class Meta(EventOutputSerializer.Meta):
        fields = [*EventOutputSerializer.Meta.fields, "description_zh", "description_en", "meeting_minutes",
                  "max_meetings_per_party", "max_meetings_per_broker", "areas", "sessions"]
        read_only_fields = fields


# --- registrations and entered listings ----------------------------------------------------------

class RegistrationCreateInputSerializer(StrictInputSerializer):
    organisation = serializers.IntegerField(min_value=1, help_text=_("The id of an organisation you act for "
                                                                     "(bureau staff: any approved one)."))
    delegates = serializers.IntegerField(min_value=1, max_value=MAX_DELEGATES, default=1,
                                         help_text=_("How many negotiations the delegation holds at the same time."))
    max_meetings = serializers.IntegerField(min_value=1, max_value=1000, required=False, allow_null=True,
                                            default=None, help_text=_("Negotiations at most; the event's limit "
                                                                      "when omitted."))
    contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class RegistrationOutputSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer(read_only=True)
    status = RegistrationStatusField()
    registered_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Registration
        fields = ["id", "organisation", "status", "delegates", "max_meetings", "contact_name", "contact_phone",
                  "note", "registered_at", "withdrawn_at", "withdraw_reason"]
        read_only_fields = fields


class EventListingInputSerializer(StrictInputSerializer):
    kind = EntryKindField(read_only=False)
    id = serializers.IntegerField(min_value=1, help_text=_("The requirement's or achievement's id."))


class EventListingOutputSerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    listing_id = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    organisation = OrganisationSummarySerializer(source="registration.organisation", read_only=True)

    class Meta:
        model = EventListing
        fields = ["id", "kind", "listing_id", "title", "organisation", "area", "entered_at"]
        read_only_fields = fields

    def get_kind(self, entry) -> str:
        return "requirement" if entry.requirement_id else "achievement"

    def get_listing_id(self, entry) -> int:
        return entry.requirement_id or entry.achievement_id

    def get_title(self, entry) -> str:
        return entry.listing.title


# --- the status board ----------------------------------------------------------------------------

class StatusBoardFilterSerializer(serializers.Serializer):
    area = serializers.IntegerField(required=False, min_value=1, help_text=_("Only this exhibition area's rows."))
    state = serializers.ChoiceField(choices=BOARD_STATES, required=False, help_text=_("Only rows in this state."))


class PairCountsSerializer(serializers.Serializer):
    """Pairs of a requirement by status (superseded pairs are never counted)."""

    def get_fields(self):
        return {status: serializers.IntegerField(read_only=True, min_value=0)
                for status in SuggestionStatus.values if status != SuggestionStatus.SUPERSEDED}

    def to_representation(self, counts):
        return {name: counts.get(name, 0) for name in self.get_fields()}


class BoardTotalsSerializer(serializers.Serializer):
    def get_fields(self):
        return {state: serializers.IntegerField(read_only=True, min_value=0) for state in BOARD_STATES}

    def to_representation(self, totals):
        return {state: totals.get(state, 0) for state in BOARD_STATES}


class StatusBoardRowOutputSerializer(serializers.Serializer):
    requirement_id = serializers.IntegerField(source="requirement.pk", read_only=True)
    title = serializers.CharField(source="requirement.title", read_only=True)
    organisation = OrganisationSummarySerializer(read_only=True)
    area = serializers.IntegerField(source="area.pk", read_only=True, allow_null=True, default=None)
    state = BoardStateField()
    candidates = serializers.IntegerField(read_only=True, help_text=_("Pairs other than those a broker rejected."))
    sent = serializers.IntegerField(read_only=True, help_text=_("Pairs released to the parties."))
    viewed = serializers.IntegerField(read_only=True, help_text=_("Sent pairs the enterprise opened."))
    counts = PairCountsSerializer(read_only=True)


class StatusBoardOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(read_only=True, help_text=_("Rows of every state (before ?state= narrows)."))
    totals = BoardTotalsSerializer(read_only=True)
    rows = StatusBoardRowOutputSerializer(many=True, read_only=True)
