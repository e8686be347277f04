"""Serializers of the spreadsheet-import API (bureau staff): the upload's input and the job's
output (status, progress, counts, the preview and every row's errors)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import StrictInputSerializer
from catalog import imports
from catalog.models import ImportJob, ImportKind, ImportStatus


# Explicit component names: "kind" and "status" are also organisation and listing fields.
@extend_schema_field({"type": "string", "enum": ImportKind.values}, component_name="ImportKindEnum")
class ImportKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ImportKind.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": ImportStatus.values}, component_name="ImportStatusEnum")
class ImportStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ImportStatus.choices, **kwargs)


class ImportCreateInputSerializer(StrictInputSerializer):
    kind = ImportKindField(help_text=_("What the file holds."))
    file = serializers.FileField(help_text=_("An Excel workbook (.xlsx) or a CSV file (UTF-8, UTF-8 with BOM, "
                                             "GB18030/GBK)."))
    dry_run = serializers.BooleanField(
        required=False, default=True,
        help_text=_("True (the default): only check the file and report. False: import the valid rows right "
                    "after a check that found no file-level error."),
    )


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text=_("The row number as Excel shows it."))
    column = serializers.CharField(allow_null=True, help_text=_("The column's header as written in the file."))
    message = serializers.CharField()


class ImportCountsSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField(help_text=_("Created, or to be created before the import."))
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    duplicates = serializers.IntegerField(help_text=_("Rows flagged as possible duplicates."))
    organisations_created = serializers.IntegerField()
    error_rows = serializers.IntegerField()


class ImportProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class ImportJobOutputSerializer(serializers.ModelSerializer):
    kind = ImportKindField(read_only=True)
    status = ImportStatusField(read_only=True)
    progress = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    errors = ImportRowErrorSerializer(many=True, read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id", "kind", "status", "original_name", "size", "sha256", "file_format", "encoding", "created_at",
            "started_at", "finished_at", "progress", "counts", "preview", "error_count", "errors", "error_message",
            "links",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportProgressSerializer)
    def get_progress(self, job: ImportJob) -> dict:
        return {"done": job.progress_done, "total": job.progress_total, "percent": job.progress}

    @extend_schema_field(ImportCountsSerializer)
    def get_counts(self, job: ImportJob) -> dict:
        return imports.report_of(job)

    @extend_schema_field({"type": "object", "properties": {"self": {"type": "string"}, "commit": {"type": "string"},
                                                            "errors_csv": {"type": "string"}}})
    def get_links(self, job: ImportJob) -> dict:
        return {name: reverse(f"catalog-api:import-{route}", kwargs={"pk": job.pk})
                for name, route in (("self", "detail"), ("commit", "commit"), ("errors_csv", "errors-csv"))}
