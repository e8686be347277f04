from django.contrib import admin

from catalog.models import (
    Achievement,
    Attachment,
    ExpertEvaluation,
    Field,
    FieldCluster,
    ListingStatusChange,
    Requirement,
)


class FieldInline(admin.TabularInline):
    model = Field
    fields = ["code", "name_zh", "name_en", "order"]
    extra = 0


@admin.register(FieldCluster)
class FieldClusterAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "order"]
    search_fields = ["code", "name_zh", "name_en"]
    inlines = [FieldInline]


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "cluster", "order"]
    list_filter = ["cluster"]
    list_select_related = ["cluster"]
    search_fields = ["code", "name_zh", "name_en"]
    filter_horizontal = ["brokers"]


class ListingAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "status", "confidentiality", "created_at"]
    list_filter = ["status", "confidentiality", "region", "provenance"]
    list_select_related = ["organisation"]
    search_fields = ["title", "summary", "organisation__name_zh", "organisation__name_en"]
    raw_id_fields = ["organisation", "created_by", "collected_by"]
    filter_horizontal = ["fields", "assigned_brokers"]
    date_hierarchy = "created_at"
    # Lifecycle changes go through the services (they write the audit trail), not the admin.
    readonly_fields = ["status", "submitted_at", "published_at", "search_text", "created_at", "updated_at"]


@admin.register(Requirement)
class RequirementAdmin(ListingAdmin):
    pass


@admin.register(Achievement)
class AchievementAdmin(ListingAdmin):
    list_display = [*ListingAdmin.list_display[:4], "evaluation_result", "created_at"]
    list_filter = [*ListingAdmin.list_filter, "evaluation_result"]
    readonly_fields = [*ListingAdmin.readonly_fields, "evaluation_result", "evaluation_score",
                       "evaluation_decided_by", "evaluation_decided_at"]


@admin.register(ExpertEvaluation)
class ExpertEvaluationAdmin(admin.ModelAdmin):
    list_display = ["achievement", "expert", "status", "novelty", "maturity", "market", "team", "submitted_at"]
    list_filter = ["status"]
    list_select_related = ["achievement", "expert"]
    raw_id_fields = ["achievement", "expert", "assigned_by"]
    search_fields = ["achievement__title", "expert__email", "expert__full_name"]


@admin.register(ListingStatusChange)
class ListingStatusChangeAdmin(admin.ModelAdmin):
    """The audit trail is read-only."""

    list_display = ["kind", "listing_id", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["kind", "to_status"]
    list_select_related = ["actor"]
    search_fields = ["listing_id", "reason"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "requirement", "achievement", "size", "uploaded_by", "created_at"]
    list_select_related = ["requirement", "achievement", "uploaded_by"]
    raw_id_fields = ["requirement", "achievement", "uploaded_by"]
    search_fields = ["original_name"]
