"""Query parameters of the listing lists, parsed into ``catalog.selectors.ListingFilters``.
The selector does the filtering, so the API and the portal filter the same way."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.enums import Region
from catalog.enums import CooperationMode, Language, ListingStatus
from catalog.selectors import ListingFilters


class ListingFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text=_("Keywords; Chinese text is segmented."))
    field = serializers.ListField(
        child=serializers.SlugField(max_length=40), required=False, max_length=20,
        help_text=_("Taxonomy field code; repeat the parameter for several (any of them matches)."),
    )
    cluster = serializers.SlugField(required=False, allow_blank=True, max_length=40,
                                    help_text=_("Taxonomy cluster code."))
    trl_min = serializers.IntegerField(required=False, min_value=1, max_value=9)
    trl_max = serializers.IntegerField(required=False, min_value=1, max_value=9)
    cooperation_mode = serializers.ChoiceField(choices=CooperationMode.choices, required=False, allow_blank=True)
    region = serializers.ChoiceField(choices=Region.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=ListingStatus.choices, required=False, allow_blank=True,
        help_text=_("Without it, only live listings (published, in negotiation, contracted)."),
    )
    organisation = serializers.IntegerField(required=False, min_value=1, help_text=_("Organisation id."))
    language = serializers.ChoiceField(choices=Language.choices, required=False, allow_blank=True)
    mine = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Only my organisations' listings, in every status."),
    )

    def validate(self, attrs):
        low, high = attrs.get("trl_min"), attrs.get("trl_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"trl_max": _("The maximum must not be below the minimum.")})
        return attrs


def parse_listing_filters(query_params) -> ListingFilters:
    """Raises ``ValidationError`` (400) for a malformed parameter; unknown ones are ignored."""
    serializer = ListingFilterSerializer(data=query_params)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    return ListingFilters(
        q=data.get("q", ""),
        fields=data.get("field", []),
        cluster=data.get("cluster", ""),
        trl_min=data.get("trl_min"),
        trl_max=data.get("trl_max"),
        cooperation_mode=data.get("cooperation_mode", ""),
        region=data.get("region", ""),
        status=data.get("status", ""),
        organisation=data.get("organisation"),
        language=data.get("language", ""),
        mine=data.get("mine", False),
    )
