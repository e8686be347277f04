"""Serializers for the catalog API.

Output: one serializer per listing kind. It renders only the keys that
``catalog.rules.fields_for(listing_access(user, listing), roles)`` allows, so the budget, the
bureau's note, the status reason and the contact never reach a lower access level. Access for
a whole page of listings is computed by ``ListingAccessCache`` in at most two queries.

Input: separate, explicit field lists that never include status, ownership or search text;
unknown keys are refused. The views pass ``validated_data`` to ``catalog.services``.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import OrganisationSummarySerializer, StrictInputModelSerializer, StrictInputSerializer
from accounts.models import Organisation
from accounts.rules import roles_for
from catalog import rules
from catalog.enums import (
    CooperationMode,
    ListingKind,
    ListingStatus,
)
from catalog.models import (
    MAX_COOPERATION_MODES,
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORDS,
    Achievement,
    Attachment,
    ExpertEvaluation,
    Field,
    FieldCluster,
    Requirement,
)
from catalog.rules import Access
from catalog.selectors import MODELS, listing_queryset_for_user

User = get_user_model()

# The same bound as catalog.services._validate_fields; checked here too so that a long list is
# refused before one lookup per code.
MAX_FIELDS = 5
MAX_BROKERS = 50


# The listing enums get explicit component names: "status" and "kind" are also organisation
# and evaluation fields, and the generated names would collide.
@extend_schema_field({"type": "string", "enum": ListingStatus.values}, component_name="ListingStatusEnum")
class ListingStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ListingStatus.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": ListingKind.values}, component_name="ListingKindEnum")
class ListingKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ListingKind.choices, **kwargs)


def trl_field(**kwargs) -> serializers.IntegerField:
    """A technology readiness level, 1 to 9."""
    return serializers.IntegerField(min_value=1, max_value=9, **kwargs)


# --- Taxonomy -------------------------------------------------------------------------------

class FieldOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Field
        fields = ["code", "name_zh", "name_en"]
        read_only_fields = fields


class FieldClusterOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = FieldCluster
        fields = ["code", "name_zh", "name_en", "fields"]
        read_only_fields = fields

    def get_fields(self):
        # A field called "fields" cannot be a class attribute: it would shadow Serializer.fields.
        declared = super().get_fields()
        declared["fields"] = FieldOutputSerializer(many=True, read_only=True)
        return declared


# --- Listings: output -----------------------------------------------------------------------

class ListingAccessCache:
    """``catalog.rules.listing_access`` for many listings of one kind, without a query per
    listing: the listings among them that the user follows as an assigned broker or expert are
    read in one query each, up front, and handed to the rule."""

    def __init__(self, *, user, kind: str, listing_ids):
        self.user = user
        self.roles = roles_for(user)
        self.kind = kind
        self.listing_ids = frozenset(listing_ids)
        self.assigned_ids = self._assigned_ids()

    def _assigned_ids(self) -> frozenset[int]:
        roles = self.roles
        if not roles.authenticated or roles.is_bureau or not self.listing_ids:
            return frozenset()
        model = MODELS[self.kind]
        ids: set[int] = set()
        if roles.is_broker:
            column = f"{model._meta.model_name}_id"
            ids.update(model.assigned_brokers.through.objects.filter(
                user_id=roles.user_id, **{f"{column}__in": self.listing_ids}
            ).values_list(column, flat=True))
        if model is Achievement and roles.is_expert:
            ids.update(ExpertEvaluation.objects.filter(
                expert_id=roles.user_id, achievement_id__in=self.listing_ids
            ).values_list("achievement_id", flat=True))
        return frozenset(ids)

    def access(self, listing) -> Access:
        if listing.pk not in self.listing_ids:
            return rules.listing_access(self.user, listing)
        return rules.listing_access(self.user, listing, assigned=listing.pk in self.assigned_ids)


class AttachmentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "size", "created_at"]
        read_only_fields = fields


class ListingOutputSerializer(serializers.ModelSerializer):
    """Keys absent from a response are those the reader's access level does not include."""

    kind = ListingKindField(read_only=True)
    status = ListingStatusField(read_only=True)
    organisation = OrganisationSummarySerializer(read_only=True)
    keywords = serializers.ListField(child=serializers.CharField(), read_only=True)
    cooperation_modes = serializers.ListField(
        child=serializers.ChoiceField(choices=CooperationMode.choices), read_only=True
    )
    attachments = AttachmentOutputSerializer(many=True, read_only=True)
    assigned_brokers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    COMMON_FIELDS = [
        "id", "kind", "title", "summary", "keywords", "fields", "language", "region", "organisation",
        "cooperation_modes", "ip_status", "status", "published_at", "confidentiality",
        "description", "contact_name", "contact_email", "contact_phone", "patent_numbers", "valid_from",
        "valid_until", "attachments",
        "budget_min", "budget_max", "status_reason", "internal_note", "provenance", "collected_by",
        "source_batch", "external_ref", "assigned_brokers", "submitted_at", "created_at", "updated_at",
        "created_by",
    ]

    def get_fields(self):
        declared = super().get_fields()
        declared["fields"] = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
        return declared

    def _access_cache(self, listing) -> ListingAccessCache:
        context = self.context
        key = f"_listing_access_{self.Meta.model.KIND}"
        cache = context.get(key)
        if cache is None:
            parent = self.parent
            # In a list, the parent holds the whole page: one cache for all of it.
            many = isinstance(parent, serializers.ListSerializer) and parent.instance is not None
            instances = parent.instance if many else [listing]
            request = context.get("request")
            cache = ListingAccessCache(user=getattr(request, "user", None), kind=self.Meta.model.KIND,
                                       listing_ids=[item.pk for item in instances])
            context[key] = cache
        return cache

    def to_representation(self, instance):
        cache = self._access_cache(instance)
        visible = rules.fields_for(cache.access(instance), cache.roles)
        data = super().to_representation(instance)
        return {key: value for key, value in data.items() if key in visible}


class RequirementOutputSerializer(ListingOutputSerializer):
    trl_min = trl_field(read_only=True, allow_null=True)

    class Meta:
        model = Requirement
        fields = [
            *ListingOutputSerializer.COMMON_FIELDS,
            "trl_min", "problem_statement", "technical_indicators", "deadline",
        ]
        read_only_fields = fields


class AchievementOutputSerializer(ListingOutputSerializer):
    trl = trl_field(read_only=True)

    class Meta:
        model = Achievement
        fields = [
            *ListingOutputSerializer.COMMON_FIELDS,
            "trl", "advantages", "application_scenarios", "team", "evaluation_result", "evaluation_score",
        ]
        read_only_fields = fields


class ListingOutputSchema(OpenApiSerializerExtension):
    """In the schema only the summary keys are required: the others depend on the reader."""

    target_class = ListingOutputSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["required"] = sorted(set(schema.get("required", [])) & rules.SUMMARY_FIELDS)
        return schema


# --- Listings: input ------------------------------------------------------------------------

class FieldCodesField(serializers.ManyRelatedField):
    """A list of taxonomy codes (``catalog.Field.code``)."""

    default_error_messages = {"too_many": _("Choose at most {max} fields.")}

    def __init__(self, **kwargs):
        child = serializers.SlugRelatedField(slug_field="code", queryset=Field.objects.all())
        super().__init__(child_relation=child, allow_empty=False, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) > MAX_FIELDS:
            self.fail("too_many", max=MAX_FIELDS)
        return list(dict.fromkeys(super().to_internal_value(data)))


LISTING_INPUT_FIELDS = [
    "title", "summary", "description", "keywords", "fields", "language", "region", "contact_name",
    "contact_email", "contact_phone", "cooperation_modes", "ip_status", "patent_numbers", "budget_min",
    "budget_max", "confidentiality", "valid_from", "valid_until",
    # Bureau staff only; catalog.services refuses them from anyone else.
    "provenance", "collected_by", "source_batch", "external_ref", "internal_note",
]
REQUIREMENT_INPUT_FIELDS = [*LISTING_INPUT_FIELDS, "problem_statement", "technical_indicators", "trl_min", "deadline"]
ACHIEVEMENT_INPUT_FIELDS = [*LISTING_INPUT_FIELDS, "advantages", "application_scenarios", "team", "trl"]


class ListingInputSerializer(StrictInputModelSerializer):
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=MAX_KEYWORD_LENGTH), max_length=MAX_KEYWORDS, required=False
    )
    cooperation_modes = serializers.ListField(
        child=serializers.ChoiceField(choices=CooperationMode.choices), min_length=1,
        max_length=MAX_COOPERATION_MODES,
    )

    class Meta:
        # Constraints (the external reference's uniqueness) are checked by the service's full_clean().
        validators: list = []

    def get_fields(self):
        declared = super().get_fields()
        declared["fields"] = FieldCodesField()
        return declared

    def split(self) -> tuple[dict, list[Field] | None]:
        """``validated_data`` as the services take it: the model's data and the fields apart."""
        data = dict(self.validated_data)
        field_objs = data.pop("fields", None)
        data.pop("organisation", None)
        data.pop("submit", None)
        return data, field_objs


class RequirementUpdateInputSerializer(ListingInputSerializer):
    trl_min = trl_field(required=False, allow_null=True)

    class Meta(ListingInputSerializer.Meta):
        model = Requirement
        fields = REQUIREMENT_INPUT_FIELDS


class AchievementUpdateInputSerializer(ListingInputSerializer):
    trl = trl_field()

    class Meta(ListingInputSerializer.Meta):
        model = Achievement
        fields = ACHIEVEMENT_INPUT_FIELDS


class _CreateFields(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), write_only=True,
        help_text=_("The owning organisation; you must be allowed to post for it."),
    )
    submit = serializers.BooleanField(
        default=False, write_only=True, help_text=_("Submit for screening at once instead of saving a draft.")
    )


class RequirementCreateInputSerializer(_CreateFields, RequirementUpdateInputSerializer):
    class Meta(RequirementUpdateInputSerializer.Meta):
        fields = [*REQUIREMENT_INPUT_FIELDS, "organisation", "submit"]


class AchievementCreateInputSerializer(_CreateFields, AchievementUpdateInputSerializer):
    class Meta(AchievementUpdateInputSerializer.Meta):
        fields = [*ACHIEVEMENT_INPUT_FIELDS, "organisation", "submit"]


class ListingScreenInputSerializer(StrictInputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class ListingRejectInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=1000)


class ListingWithdrawInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class ListingAssignBrokersInputSerializer(StrictInputSerializer):
    brokers = serializers.ListField(
        child=serializers.IntegerField(min_value=1), max_length=MAX_BROKERS,
        help_text=_("User ids of the brokers who follow the listing; an empty list removes them all."),
    )

    def validate_brokers(self, ids: list[int]) -> list:
        users = list(User.objects.filter(pk__in=ids, is_active=True))
        missing = sorted(set(ids) - {user.pk for user in users})
        if missing:
            raise serializers.ValidationError(
                _("No such user: %(ids)s") % {"ids": ", ".join(str(pk) for pk in missing)}
            )
        return users


class ListingDecideInputSerializer(StrictInputSerializer):
    passed = serializers.BooleanField(help_text=_("True publishes the achievement, false rejects it."))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


# --- Expert evaluation ----------------------------------------------------------------------

class EvaluationOutputSerializer(serializers.ModelSerializer):
    achievement_title = serializers.CharField(source="achievement.title", read_only=True)
    expert_name = serializers.CharField(source="expert.get_full_name", read_only=True)
    total = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = ExpertEvaluation
        fields = [
            "id", "achievement", "achievement_title", "expert", "expert_name", "status", "novelty", "maturity",
            "market", "team", "total", "comment", "recommend", "submitted_at", "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class VisibleAchievementField(serializers.PrimaryKeyRelatedField):
    """An achievement id, looked up among the achievements the requesting user can see."""

    def get_queryset(self):
        request = self.context.get("request")
        return listing_queryset_for_user(kind=ListingKind.ACHIEVEMENT, user=getattr(request, "user", None))


class EvaluationAssignInputSerializer(StrictInputSerializer):
    achievement = VisibleAchievementField()
    expert = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class EvaluationSubmitInputSerializer(StrictInputSerializer):
    novelty = serializers.IntegerField(min_value=1, max_value=10)
    maturity = serializers.IntegerField(min_value=1, max_value=10)
    market = serializers.IntegerField(min_value=1, max_value=10)
    team = serializers.IntegerField(min_value=1, max_value=10)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    recommend = serializers.BooleanField(required=False, allow_null=True, default=None)
