"""Input and output serializers for the accounts API. Input serializers only parse: they never
save, the views hand ``validated_data`` to a service."""

from collections.abc import Mapping

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import exceptions, serializers

from accounts.models import Organisation
from accounts.rules import roles_for
from accounts.throttling import LoginThrottled, login_throttle_check


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not declare instead of silently dropping them, so that a client
    posting ``status`` or ``created_by`` learns at once that it cannot set them."""

    # Sent along by HTML forms (the browsable API), never a field.
    IGNORED_KEYS = frozenset({"csrfmiddlewaretoken"})

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable and key not in self.IGNORED_KEYS)
            if unknown:
                raise serializers.ValidationError({key: [_("This field cannot be set.")] for key in unknown})
        return super().to_internal_value(data)


class StrictInputModelSerializer(StrictInputSerializer, serializers.ModelSerializer):
    pass


# --- Token sign-in --------------------------------------------------------------------------

class TokenObtainInputSerializer(StrictInputSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"}, max_length=128)

    def validate(self, attrs):
        request = self.context.get("request")
        email = attrs["email"].strip().lower()
        try:
            login_throttle_check(request=request, email=email)
        except LoginThrottled as refusal:
            # 429 without a wait: the lock ends when the last failure is a window old, which
            # may be sooner than the whole window.
            raise exceptions.Throttled(detail=str(refusal.message))
        user = authenticate(request=request, email=email, password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                _("Unable to sign in with this email and password."), code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


# --- Organisations --------------------------------------------------------------------------

class OrganisationSummarySerializer(serializers.ModelSerializer):
    """The owner of a listing, nested in listing payloads."""

    class Meta:
        model = Organisation
        fields = ["id", "kind", "name_zh", "name_en"]
        read_only_fields = fields


class OrganisationOutputSerializer(serializers.ModelSerializer):
    """The decision's reason is shown only to the organisation's members and the bureau."""

    status_reason = serializers.CharField(read_only=True, required=False)

    class Meta:
        model = Organisation
        fields = [
            "id", "kind", "name_zh", "name_en", "credit_code", "region", "address", "website", "description",
            "status", "status_reason", "decided_at", "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        roles = roles_for(getattr(request, "user", None))
        if not (roles.is_bureau or instance.pk in roles.org_ids or instance.pk in roles.pending_org_ids):
            data.pop("status_reason", None)
        return data


class OrganisationOutputSchema(OpenApiSerializerExtension):
    target_class = OrganisationOutputSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["required"] = [name for name in schema.get("required", []) if name != "status_reason"]
        return schema


class OrganisationUpdateInputSerializer(StrictInputModelSerializer):
    class Meta:
        model = Organisation
        fields = ["name_zh", "name_en", "credit_code", "region", "address", "website", "description"]
        # The credit code's format and uniqueness are checked once, by the service's full_clean().
        validators: list = []
        extra_kwargs = {"credit_code": {"validators": []}}


class OrganisationApproveInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class OrganisationRejectInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500)
