from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.enums import Region
from accounts.models import BrokerProfile, Organisation
from catalog.enums import (
    TRL_CHOICES,
    Confidentiality,
    CooperationMode,
    EvaluationResult,
    EvaluationStatus,
    IPStatus,
    Language,
    ListingKind,
    ListingStatus,
    Provenance,
)
from common.models import TimeStampedModel

MAX_KEYWORDS = 5
MAX_KEYWORD_LENGTH = 30
MAX_COOPERATION_MODES = 3


class BilingualNameMixin:
    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        if (get_language() or "").startswith("en"):
            return self.name_en
        return self.name_zh

    def __str__(self) -> str:
        return self.name


class FieldCluster(BilingualNameMixin, models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("field cluster")
        verbose_name_plural = _("field clusters")
        ordering = ["order", "code"]


class Field(BilingualNameMixin, models.Model):
    """An industry / technology field (行业领域), the second level of the taxonomy."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    cluster = models.ForeignKey(FieldCluster, on_delete=models.PROTECT, related_name="fields")
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)
    brokers = models.ManyToManyField(
        BrokerProfile, blank=True, related_name="fields", verbose_name=_("brokers with this expertise")
    )

    class Meta:
        verbose_name = _("field")
        verbose_name_plural = _("fields")
        ordering = ["cluster__order", "order", "code"]


def validate_keywords(value) -> None:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ValidationError(_("Keywords must be a list of words."), code="invalid_keywords")
    if len(value) > MAX_KEYWORDS:
        raise ValidationError(
            _("Give at most %(max)d keywords.") % {"max": MAX_KEYWORDS}, code="too_many_keywords"
        )
    if any(len(k) > MAX_KEYWORD_LENGTH or not k.strip() for k in value):
        raise ValidationError(
            _("Each keyword must be 1 to %(max)d characters.") % {"max": MAX_KEYWORD_LENGTH},
            code="invalid_keyword",
        )


def validate_cooperation_modes(value) -> None:
    valid = set(CooperationMode.values)
    if not isinstance(value, list) or not value or len(value) > MAX_COOPERATION_MODES:
        raise ValidationError(
            _("Choose one to %(max)d cooperation modes.") % {"max": MAX_COOPERATION_MODES},
            code="invalid_cooperation_modes",
        )
    if len(set(value)) != len(value) or not set(value) <= valid:
        raise ValidationError(_("Unknown or repeated cooperation mode."), code="invalid_cooperation_modes")


class Listing(TimeStampedModel):
    """What requirements and achievements share (DESIGN.md §2)."""

    KIND: str = ""

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=500)
    description = models.TextField(_("description"), max_length=20000, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True, validators=[validate_keywords])
    fields = models.ManyToManyField(Field, related_name="%(class)ss", verbose_name=_("fields"))
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ZH)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, default=Region.OTHER)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="%(class)ss", verbose_name=_("organisation")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    cooperation_modes = models.JSONField(
        _("cooperation modes"), default=list, validators=[validate_cooperation_modes]
    )
    ip_status = models.CharField(_("IP status"), max_length=20, choices=IPStatus.choices, default=IPStatus.NONE)
    patent_numbers = models.CharField(_("patent numbers"), max_length=500, blank=True)
    budget_min = models.PositiveIntegerField(_("minimum (10k CNY)"), null=True, blank=True)
    budget_max = models.PositiveIntegerField(_("maximum (10k CNY)"), null=True, blank=True)
    confidentiality = models.CharField(
        _("confidentiality"), max_length=20, choices=Confidentiality.choices, default=Confidentiality.PUBLIC
    )
    status = models.CharField(_("status"), max_length=20, choices=ListingStatus.choices, default=ListingStatus.DRAFT)
    status_reason = models.CharField(_("reason"), max_length=1000, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    provenance = models.CharField(
        _("collected by"), max_length=20, choices=Provenance.choices, default=Provenance.SELF
    )
    collected_by = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="collected_%(class)ss",
        verbose_name=_("collecting organisation"),
    )
    source_batch = models.CharField(_("survey batch"), max_length=100, blank=True)
    external_ref = models.CharField(
        _("external reference"), max_length=100, blank=True,
        help_text=_("Row id in the source survey or spreadsheet; keeps re-imports idempotent."),
    )
    internal_note = models.TextField(_("bureau note"), max_length=5000, blank=True)
    assigned_brokers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_%(class)ss",
        verbose_name=_("assigned brokers"),
    )
    # jieba-segmented title/summary/description/keywords; kept by the services for search.
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["-published_at", "-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def kind(self) -> str:
        return self.KIND

    def clean(self) -> None:
        errors = {}
        if self.budget_min is not None and self.budget_max is not None and self.budget_min > self.budget_max:
            errors["budget_max"] = _("The maximum must not be below the minimum.")
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            errors["valid_until"] = _("The end date must not be before the start date.")
        if self.ip_status in (IPStatus.APPLIED, IPStatus.GRANTED) and not self.patent_numbers.strip():
            errors["patent_numbers"] = _("Give the patent or application numbers.")
        # TextField.max_length is only a form hint in Django; enforce it for the API and imports.
        for model_field in self._meta.concrete_fields:
            if isinstance(model_field, models.TextField) and model_field.max_length:
                value = getattr(self, model_field.attname) or ""
                if len(value) > model_field.max_length:
                    errors[model_field.name] = _("At most %(max)d characters (this has %(n)d).") % {
                        "max": model_field.max_length, "n": len(value)}
        if self.keywords and isinstance(self.keywords, list):
            self.keywords = [k.strip() for k in self.keywords if isinstance(k, str) and k.strip()]
        if errors:
            raise ValidationError(errors)


class Requirement(Listing):
    KIND = ListingKind.REQUIREMENT

    problem_statement = models.TextField(_("problem statement"), max_length=5000, blank=True)
    technical_indicators = models.TextField(_("technical indicators sought"), max_length=5000, blank=True)
    trl_min = models.PositiveSmallIntegerField(
        _("minimum acceptable TRL"), choices=TRL_CHOICES, null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)

    class Meta(Listing.Meta):
        verbose_name = _("technical requirement")
        verbose_name_plural = _("technical requirements")
        indexes = [models.Index(fields=["status", "confidentiality"]), models.Index(fields=["organisation", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_ref"], condition=~Q(external_ref=""),
                name="requirement_external_ref_unique",
            )
        ]

    @property
    def trl_display(self) -> int | None:
        return self.trl_min


class Achievement(Listing):
    KIND = ListingKind.ACHIEVEMENT

    trl = models.PositiveSmallIntegerField(
        _("technology readiness level"), choices=TRL_CHOICES,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    advantages = models.TextField(_("advantages and innovation"), max_length=5000, blank=True)
    application_scenarios = models.TextField(_("application scenarios"), max_length=5000, blank=True)
    team = models.TextField(_("team"), max_length=2000, blank=True)
    evaluation_result = models.CharField(
        _("expert evaluation"), max_length=20, choices=EvaluationResult.choices, default=EvaluationResult.PENDING
    )
    evaluation_score = models.DecimalField(
        _("evaluation score"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    evaluation_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluation_decided_at = models.DateTimeField(null=True, blank=True)

    class Meta(Listing.Meta):
        verbose_name = _("achievement")
        verbose_name_plural = _("achievements")
        indexes = [models.Index(fields=["status", "confidentiality"]), models.Index(fields=["organisation", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_ref"], condition=~Q(external_ref=""),
                name="achievement_external_ref_unique",
            )
        ]

    @property
    def trl_display(self) -> int | None:
        return self.trl


def attachment_path(instance: "Attachment", filename: str) -> str:
    owner = "requirement" if instance.requirement_id else "achievement"
    owner_id = instance.requirement_id or instance.achievement_id
    return f"attachments/{owner}/{owner_id}/{filename}"


class Attachment(TimeStampedModel):
    requirement = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    achievement = models.ForeignKey(
        Achievement, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(requirement__isnull=False) & Q(achievement__isnull=True))
                | (Q(requirement__isnull=True) & Q(achievement__isnull=False)),
                name="attachment_exactly_one_listing",
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class ListingStatusChange(models.Model):
    """Audit trail of every lifecycle transition, written in the same transaction."""

    kind = models.CharField(max_length=20, choices=ListingKind.choices)
    listing_id = models.PositiveBigIntegerField()
    from_status = models.CharField(max_length=20, choices=ListingStatus.choices)
    to_status = models.CharField(max_length=20, choices=ListingStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["kind", "listing_id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.listing_id}: {self.from_status} → {self.to_status}"


class ExpertEvaluation(TimeStampedModel):
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="evaluations")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluations")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=EvaluationStatus.choices, default=EvaluationStatus.ASSIGNED
    )
    novelty = models.PositiveSmallIntegerField(
        _("novelty"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    maturity = models.PositiveSmallIntegerField(
        _("maturity"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    market = models.PositiveSmallIntegerField(
        _("market potential"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    team = models.PositiveSmallIntegerField(
        _("team"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    comment = models.TextField(_("comment"), max_length=5000, blank=True)
    recommend = models.BooleanField(_("recommend publication"), null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("expert evaluation")
        verbose_name_plural = _("expert evaluations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["achievement", "expert"], name="evaluation_one_per_expert")
        ]

    def __str__(self) -> str:
        return f"{self.achievement} / {self.expert}"

    @property
    def total(self) -> float | None:
        scores = [self.novelty, self.maturity, self.market, self.team]
        if any(s is None for s in scores):
            return None
        return round(sum(scores) / len(scores), 2)


# --- Spreadsheet intake and duplicate flags (catalog.intake, catalog.imports, catalog.duplicates) ---

class ImportKind(models.TextChoices):
    REQUIREMENT = "requirement", _("Technical requirements")
    ACHIEVEMENT = "achievement", _("Achievements")
    ORGANISATION = "organisation", _("Organisations")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Uploaded")
    VALIDATING = "validating", _("Checking")
    PREVIEWED = "previewed", _("Checked, not imported yet")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


ACTIVE_IMPORT_STATUSES = (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


class ImportJob(TimeStampedModel):
    """One uploaded spreadsheet: its dry-run preview, then its import. The file is kept under
    ``catalog.imports.import_dir()`` (never served) so that the worker, the error file and a
    resumed import read exactly the bytes that were previewed (checked against ``sha256``)."""

    kind = models.CharField(_("what it holds"), max_length=20, choices=ImportKind.choices)
    file_name = models.CharField(max_length=300, editable=False)  # relative to import_dir()
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)
    file_format = models.CharField(max_length=10, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=10, default="zh-hans")  # of the row messages
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices,
                              default=ImportStatus.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    preview = models.JSONField(null=True, blank=True)  # the dry run's report (counts, columns, notices, samples)
    rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    duplicates_count = models.PositiveIntegerField(default=0)
    organisations_created = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)  # rows with at least one error
    errors = models.JSONField(default=list, blank=True)  # [{row, column, message}], capped
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # Rows up to this spreadsheet row number are committed (with the counts above, in the same
    # transaction); a resumed import starts after it.
    cursor = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)  # the task (or request) that owns the job
    heartbeat = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)  # a file-level error
    auto_commit = models.BooleanField(default=False)  # import right after a clean preview (API dry_run=false)

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "heartbeat"])]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_IMPORT_STATUSES

    @property
    def progress(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class DuplicateMethod(models.TextChoices):
    OWNER_TITLE = "owner_title", _("Same organisation and title")
    TEXT = "text", _("Very similar text")
    EMBEDDING = "embedding", _("Very similar meaning")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("To decide")
    MERGED = "merged", _("Merged")
    KEPT = "kept", _("Kept both")


class DuplicateCandidate(TimeStampedModel):
    """Two listings of one kind that may be the same. ``listing_id`` is the newer (larger id,
    the suspected duplicate) and ``other_id`` the older, so flagging a pair twice, in either
    order or by another method, is one row."""

    kind = models.CharField(_("kind"), max_length=20, choices=ListingKind.choices)
    listing_id = models.PositiveBigIntegerField()
    other_id = models.PositiveBigIntegerField(null=True, blank=True)
    method = models.CharField(_("found by"), max_length=20, choices=DuplicateMethod.choices)
    similarity = models.FloatField(_("similarity"))
    status = models.CharField(_("status"), max_length=20, choices=DuplicateStatus.choices,
                              default=DuplicateStatus.OPEN)
    import_job = models.ForeignKey(ImportJob, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="duplicates")
    import_row = models.PositiveIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    withdrawn_id = models.PositiveBigIntegerField(null=True, blank=True)  # which of the two a merge withdrew

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "listing_id", "other_id"], name="duplicate_one_per_pair"),
        ]
        indexes = [models.Index(fields=["status", "kind"]), models.Index(fields=["kind", "other_id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.listing_id} ~ {self.other_id} ({self.method})"
