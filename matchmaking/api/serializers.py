"""Serializers of the pre-docking API.

Input serializers only parse (unknown keys are refused); ``matchmaking.services`` validates
the run parameters. Output serializers render the two listings of a suggestion and each search
hit with the catalog's listing serializers, so a listing shows exactly the keys that
``catalog.rules.fields_for`` allows its reader, and flags with their messages only (a budget
flag's figures are redacted by ``matchmaking.selectors.explanation_for``), never their raw
parameters."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import StrictInputSerializer
from accounts.rules import roles_for
from catalog.api.serializers import (
    AchievementOutputSerializer,
    ListingAccessCache,
    ListingKindField,
    RequirementOutputSerializer,
)
from catalog.enums import ListingKind
from catalog.rules import Access
from matchmaking import rules, selectors
from matchmaking.models import (
    PreDockingRun,
    RunStage,
    RunStatus,
    RunTrigger,
    Side,
    Suggestion,
    SuggestionStatus,
)

MAX_SCOPE_IDS = 20000
SEARCH_MAX_LIMIT = 50

OUTPUT_SERIALIZERS = {ListingKind.REQUIREMENT: RequirementOutputSerializer,
                      ListingKind.ACHIEVEMENT: AchievementOutputSerializer}


def prime_listing_access(context: dict, *, user, listings) -> None:
    """Read the access of many listings up front (``ListingAccessCache``: at most one query per
    kind) and leave it where the catalog's output serializers look for it, so that rendering a
    page of suggestions or hits costs no query per listing."""
    by_kind: dict[str, list[int]] = {}
    for listing in listings:
        by_kind.setdefault(listing.KIND, []).append(listing.pk)
    for kind, ids in by_kind.items():
        context[f"_listing_access_{kind}"] = ListingAccessCache(user=user, kind=kind, listing_ids=ids)


def render_listing(listing, context: dict) -> dict:
    """One serializer per kind for the whole response, kept in ``context``: building a listing
    serializer's ~40 fields costs about 2 ms, which a page of 20 pairs used to pay 40 times."""
    cached = context.setdefault("_listing_serializers", {})
    serializer = cached.get(listing.KIND)
    if serializer is None:
        serializer = cached[listing.KIND] = OUTPUT_SERIALIZERS[listing.KIND](context=context)
    return serializer.to_representation(listing)


LISTING_SCHEMA = PolymorphicProxySerializer(
    component_name="SuggestedListing",
    serializers={ListingKind.REQUIREMENT.value: RequirementOutputSerializer,
                 ListingKind.ACHIEVEMENT.value: AchievementOutputSerializer},
    resource_type_field_name="kind",
)


def _choice_field(choices, component_name: str):
    """A read-only choice field with its own schema component: "status" is also the name of
    listing, organisation and evaluation fields, and generated enum names would collide."""

    @extend_schema_field({"type": "string", "enum": [value for value, _label in choices]},
                         component_name=component_name)
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs):
            kwargs.setdefault("read_only", True)  # one class for input too: one component
            super().__init__(choices=choices, **kwargs)

    Field.__name__ = component_name.removesuffix("Enum") + "Field"
    return Field


RunStatusField = _choice_field(RunStatus.choices, "RunStatusEnum")
RunStageField = _choice_field(RunStage.choices, "RunStageEnum")
RunTriggerField = _choice_field(RunTrigger.choices, "RunTriggerEnum")
SuggestionStatusField = _choice_field(SuggestionStatus.choices, "SuggestionStatusEnum")
SideField = _choice_field(Side.choices, "PairSideEnum")


# --- runs ------------------------------------------------------------------------------------

class RunStartInputSerializer(StrictInputSerializer):
    params = serializers.DictField(
        required=False, default=dict,
        help_text=_("Run parameters (k_requirement, min_per_achievement, pool, cap, min_score, fusion, "
                    "weight_dense, weight_lexical, weight_structured, lexical_retrieval); omitted ones take "
                    "their defaults, unknown ones are refused."),
    )
    label = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    requirement_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=MAX_SCOPE_IDS,
        help_text=_("Only these requirements (among the published ones); all of them when omitted."),
    )
    achievement_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=MAX_SCOPE_IDS,
        help_text=_("Only these achievements (among the published ones); all of them when omitted."),
    )


class RunOutputSerializer(serializers.ModelSerializer):
    status = RunStatusField()
    stage = RunStageField()
    trigger = RunTriggerField()
    progress = serializers.IntegerField(read_only=True, min_value=0, max_value=100,
                                        help_text=_("Percent done over all stages."))
    is_active = serializers.BooleanField(read_only=True)
    started_by_name = serializers.SerializerMethodField()

    class Meta:
        model = PreDockingRun
        fields = [
            "id", "scope_key", "label", "trigger", "status", "stage", "progress", "is_active", "chunks_total",
            "chunks_done", "counts", "params", "model_name", "index_checksum", "started_by", "started_by_name",
            "created_at", "started_at", "finished_at", "error",
        ]
        read_only_fields = fields

    def get_started_by_name(self, run) -> str:
        return run.started_by.get_full_name() if run.started_by else ""


class RunDetailOutputSerializer(RunOutputSerializer):
    """A run with its report and the exact listings it covered."""

    class Meta(RunOutputSerializer.Meta):
        fields = [*RunOutputSerializer.Meta.fields, "report", "requirement_ids", "achievement_ids"]
        read_only_fields = fields


# --- suggestions -----------------------------------------------------------------------------

class SuggestionFilterSerializer(serializers.Serializer):
    run = serializers.IntegerField(required=False, min_value=1, help_text=_("Run id."))
    requirement = serializers.IntegerField(required=False, min_value=1, help_text=_("Requirement id."))
    achievement = serializers.IntegerField(required=False, min_value=1, help_text=_("Achievement id."))
    low_confidence = serializers.BooleanField(required=False, allow_null=True, default=None)


class FlagOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    blocking = serializers.BooleanField()
    message = serializers.CharField(help_text=_("In the reader's language; budget figures only for readers "
                                                "with full access to both listings."))


class ExplanationOutputSerializer(serializers.Serializer):
    method = serializers.CharField(help_text=_("lexical: the sentences share terms; semantic: closest in meaning."))
    requirement_sentence = serializers.CharField()
    achievement_sentence = serializers.CharField()
    shared_terms = serializers.ListField(child=serializers.CharField())
    shared_fields = serializers.ListField(child=serializers.CharField(), help_text=_("Field names."))


class UserSummarySerializer(serializers.Serializer):
    """A person named in a pair's life (its broker, an author, an actor): id and display name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)


class PartyAnswerOutputSerializer(serializers.Serializer):
    side = SideField()
    interested = serializers.BooleanField(read_only=True)
    reason = serializers.CharField(read_only=True)
    answered_at = serializers.DateTimeField(read_only=True)


class BudgetOutputSerializer(serializers.Serializer):
    budget_min = serializers.IntegerField(allow_null=True, read_only=True)
    budget_max = serializers.IntegerField(allow_null=True, read_only=True)


class PairBudgetsOutputSerializer(serializers.Serializer):
    requirement = BudgetOutputSerializer(allow_null=True, read_only=True, help_text=_(
        "The enterprise's budget, or null when the reader may not see it (full access, the pair's broker, "
        "or disclosed to the other party)."))
    achievement = BudgetOutputSerializer(allow_null=True, read_only=True, help_text=_(
        "The asking price, or null when the reader may not see it."))


def reader_sees_confidential(context: dict, suggestion, side: str) -> bool:
    """``rules.sees_confidential`` with the page's listing access read in bulk
    (``prime_listing_access``): full access to that side's listing, the pair's broker, or its
    owner disclosed it to the pair's parties."""
    user = context["request"].user
    listing = suggestion.listing(side)
    if rules.is_pair_broker(user, suggestion):
        return True
    if context[f"_listing_access_{listing.KIND}"].access(listing) == Access.FULL:
        return True
    return suggestion.disclosed_at(side) is not None and bool(rules.party_sides(user, suggestion))


# Rendering a page of suggestions costs the same number of queries whatever its size.
SUGGESTION_PREFETCH = (
    "requirement__fields", "requirement__attachments", "requirement__assigned_brokers",
    "achievement__fields", "achievement__attachments", "achievement__assigned_brokers", "answers",
)


class SuggestionOutputSerializer(serializers.ModelSerializer):
    """``context["explanations"]`` maps suggestion ids to ``selectors.explanation_for``
    (``render_suggestions`` puts it there)."""

    status = SuggestionStatusField()
    components = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField()
    requirement = serializers.SerializerMethodField()
    achievement = serializers.SerializerMethodField()
    broker = UserSummarySerializer(read_only=True, allow_null=True,
                                   help_text=_("The broker who reviews the pair and follows it; null until routed."))
    overdue = serializers.BooleanField(source="is_overdue", read_only=True,
                                       help_text=_("Awaiting review past its due date."))
    reject_reason = serializers.SerializerMethodField(
        help_text=_("The broker's reason for rejecting; null for readers other than bureau staff and the "
                    "pair's broker."))
    answers = PartyAnswerOutputSerializer(many=True, read_only=True)
    my_sides = serializers.SerializerMethodField(
        help_text=_("The sides of the pair the reader speaks for (answers and disclosure take one of them)."))
    budgets = serializers.SerializerMethodField()

    class Meta:
        model = Suggestion
        fields = [
            "id", "run", "status", "score", "dense", "lexical", "structured", "components", "flags",
            "explanation", "low_confidence", "via_coverage", "requirement_rank", "achievement_rank",
            "requirement", "achievement", "broker", "assigned_at", "due_at", "overdue", "reviewed_at",
            "party_note", "reject_reason", "sent_at", "answers", "my_sides", "requirement_disclosed_at",
            "achievement_disclosed_at", "budgets", "status_changed_at", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def _explanation(self, suggestion) -> dict:
        return self.context["explanations"][suggestion.pk]

    @extend_schema_field(serializers.DictField(child=serializers.FloatField()))
    def get_components(self, suggestion) -> dict:
        # The budget component is the ratio of the two budgets: with one's own budget it gives
        # away the other side's, so it is shown only to whom both figures are (as in
        # matchmaking.rules.reveals_budget), read from the cache.
        components = dict(suggestion.components or {})
        if "budget" in components and not all(reader_sees_confidential(self.context, suggestion, side)
                                              for side in Side.values):
            components.pop("budget")
        return components

    @extend_schema_field(FlagOutputSerializer(many=True))
    def get_flags(self, suggestion) -> list:
        return self._explanation(suggestion)["flags"]

    @extend_schema_field(ExplanationOutputSerializer)
    def get_explanation(self, suggestion) -> dict:
        return {key: value for key, value in self._explanation(suggestion).items() if key != "flags"}

    @extend_schema_field(RequirementOutputSerializer)
    def get_requirement(self, suggestion) -> dict:
        return render_listing(suggestion.requirement, self.context)

    @extend_schema_field(AchievementOutputSerializer)
    def get_achievement(self, suggestion) -> dict:
        return render_listing(suggestion.achievement, self.context)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reject_reason(self, suggestion) -> str | None:
        user = self.context["request"].user
        if roles_for(user).is_bureau or rules.is_pair_broker(user, suggestion):
            return suggestion.reject_reason
        return None

    @extend_schema_field(serializers.ListField(child=SideField()))
    def get_my_sides(self, suggestion) -> list[str]:
        return sorted(rules.party_sides(self.context["request"].user, suggestion))

    @extend_schema_field(PairBudgetsOutputSerializer)
    def get_budgets(self, suggestion) -> dict:
        out = {}
        for side in Side.values:
            listing = suggestion.listing(side)
            out[side] = ({"budget_min": listing.budget_min, "budget_max": listing.budget_max}
                         if reader_sees_confidential(self.context, suggestion, side) else None)
        return out


def render_suggestions(suggestions, *, context: dict) -> list:
    """A page of suggestions (from a queryset with ``SUGGESTION_PREFETCH``) as the reader may
    see them: listings' access and the explanations' field names read once for the page."""
    suggestions = list(suggestions)
    user = context["request"].user
    prime_listing_access(context, user=user, listings=[listing for s in suggestions
                                                       for listing in (s.requirement, s.achievement)])
    context["explanations"] = selectors.explanations_for(
        user, suggestions,
        reveal=lambda s: all(reader_sees_confidential(context, s, side) for side in Side.values))
    return SuggestionOutputSerializer(suggestions, many=True, context=context).data


# --- search ----------------------------------------------------------------------------------

class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=500, help_text=_("Free text in Chinese or English."))
    kind = ListingKindField(required=False, help_text=_("Only requirements or only achievements."))
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=SEARCH_MAX_LIMIT)


class SearchHitOutputSerializer(serializers.Serializer):
    kind = ListingKindField()
    id = serializers.IntegerField(source="listing.pk")
    title = serializers.CharField(source="listing.title")
    score = serializers.FloatField(help_text=_("Fused relevance, 0 to 1."))
    dense = serializers.FloatField(help_text=_("Cosine similarity of the embeddings (0 without semantic search)."))
    lexical = serializers.FloatField(help_text=_("BM25 keyword score."))
    listing = serializers.SerializerMethodField()

    @extend_schema_field(LISTING_SCHEMA)
    def get_listing(self, hit) -> dict:
        return render_listing(hit.listing, self.context)


class SearchOutputSerializer(serializers.Serializer):
    query = serializers.CharField()
    semantic = serializers.BooleanField(help_text=_("False when the encoder is unavailable: keyword ranking only."))
    message = serializers.CharField(allow_blank=True)
    results = SearchHitOutputSerializer(many=True)
