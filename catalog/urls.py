from django.urls import path, register_converter

from catalog import views
from catalog.enums import ListingKind

app_name = "catalog"


class ListingKindConverter:
    regex = "requirement|achievement"

    def to_python(self, value: str) -> str:
        return ListingKind(value)

    def to_url(self, value) -> str:
        return str(ListingKind(value).value)


class TransitionConverter:
    regex = "|".join(views.TRANSITIONS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ChoiceConverter:
    """A path segment from a fixed set of words."""

    choices: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.regex = "|".join(cls.choices)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


class ExportFormatConverter(ChoiceConverter):
    choices = ("csv", "xlsx")


class ImportKindConverter(ChoiceConverter):
    choices = ("requirement", "achievement", "organisation")


class DuplicateActionConverter(ChoiceConverter):
    choices = ("merge", "keep")


register_converter(ListingKindConverter, "listing_kind")
register_converter(TransitionConverter, "listing_action")
register_converter(ExportFormatConverter, "export_format")
register_converter(ImportKindConverter, "import_kind")
register_converter(DuplicateActionConverter, "duplicate_action")


def _listing_routes(kind: str) -> list:
    prefix = f"{kind}s/"
    kw = {"kind": kind}
    return [
        path(prefix, views.listing_list, kw, name=f"{kind}-list"),
        path(f"{prefix}new/", views.listing_create, kw, name=f"{kind}-create"),
        path(f"{prefix}export/", views.listing_export, kw, name=f"{kind}-export"),
        path(f"{prefix}<int:pk>/", views.listing_detail, kw, name=f"{kind}-detail"),
        path(f"{prefix}<int:pk>/edit/", views.listing_edit, kw, name=f"{kind}-edit"),
        path(f"{prefix}<int:pk>/brokers/", views.listing_assign_brokers, kw, name=f"{kind}-assign-brokers"),
        path(f"{prefix}<int:pk>/<listing_action:action>/", views.listing_transition, kw, name=f"{kind}-transition"),
    ]


urlpatterns = [
    *_listing_routes(ListingKind.REQUIREMENT),
    *_listing_routes(ListingKind.ACHIEVEMENT),
    path("achievements/<int:pk>/evaluation/", views.achievement_evaluation, name="achievement-evaluation"),
    path("<listing_kind:kind>s/<int:pk>/attachments/", views.attachment_upload, name="attachment-upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment-download"),
    path("screening/", views.screening, name="screening"),
    path("evaluations/", views.evaluation_list, name="evaluation-list"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation-detail"),
    path("imports/", views.import_upload, name="import-upload"),
    path("imports/template/<import_kind:kind>.xlsx", views.import_template, name="import-template"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import-progress"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import-commit"),
    path("imports/<int:pk>/errors.<export_format:fmt>", views.import_errors, name="import-errors"),
    path("duplicates/", views.duplicate_list, name="duplicate-list"),
    path("duplicates/<int:pk>/<duplicate_action:action>/", views.duplicate_decide, name="duplicate-decide"),
]
