"""Pre-docking: listing vectors, runs, their work chunks and candidates, and suggestions.

Vectors live here (PostgreSQL is the source of truth); FAISS index files are derived from
them (``matchmaking.index``). A run is driven by its ``RunChunk`` rows: each chunk is done
exactly once, whatever the workers do (``matchmaking.services``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.enums import ListingKind
from catalog.models import Achievement, Requirement
from common.models import TimeStampedModel


class ListingEmbedding(models.Model):
    """One listing's vector under one encoder. A listing is re-embedded only when the hash of
    its canonical text or the encoder changed; rows of other encoders are kept until the new
    encoder has caught up, so switching models never leaves the index empty."""

    kind = models.CharField(max_length=20, choices=ListingKind.choices)
    listing_id = models.PositiveBigIntegerField()
    model_name = models.CharField(max_length=200)
    content_hash = models.CharField(max_length=64)
    dim = models.PositiveSmallIntegerField()
    vector = models.BinaryField()  # float32, L2-normalised, little-endian
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "listing_id", "model_name"], name="embedding_unique_per_model"),
        ]
        indexes = [models.Index(fields=["model_name", "kind"])]

    def __str__(self):
        return f"{self.kind}:{self.listing_id} @ {self.model_name}"


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_RUN_STATUSES = (RunStatus.PENDING, RunStatus.RUNNING)


class RunStage(models.TextChoices):
    EMBEDDING = "embedding", _("Embedding listings")
    MATCHING = "matching", _("Matching in both directions")
    COVERAGE = "coverage", _("Coverage pass")
    DONE = "done", _("Done")


class RunTrigger(models.TextChoices):
    MANUAL = "manual", _("Started by bureau staff")
    EVENT = "event", _("Conference pre-docking")
    INCREMENTAL = "incremental", _("Incremental (listing published)")


class PreDockingRun(TimeStampedModel):
    """One two-way matching of a scope of listings. Parameters, encoder, index checksum and
    counts are recorded so that the run can be audited and reproduced."""

    scope_key = models.CharField(_("scope"), max_length=100)
    label = models.CharField(_("label"), max_length=200, blank=True)
    trigger = models.CharField(max_length=20, choices=RunTrigger.choices, default=RunTrigger.MANUAL)
    # None: every published listing of that kind when the run starts; a list: exactly those.
    requirement_ids = models.JSONField(null=True, blank=True)
    achievement_ids = models.JSONField(null=True, blank=True)
    params = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(_("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.PENDING)
    stage = models.CharField(_("stage"), max_length=20, choices=RunStage.choices, default=RunStage.EMBEDDING)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    report = models.JSONField(default=dict)
    model_name = models.CharField(_("encoder"), max_length=200, blank=True)
    index_checksum = models.CharField(max_length=64, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A second run of the same scope is refused by the database too, not only by the service.
            models.UniqueConstraint(
                fields=["scope_key"], condition=Q(status__in=["pending", "running"]), name="one_active_run_per_scope"
            ),
        ]

    def __str__(self):
        return f"run {self.pk} ({self.scope_key}, {self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def progress(self) -> int:
        """Percent done over all stages: embedding and matching chunks, then the coverage pass."""
        if self.status == RunStatus.SUCCEEDED:
            return 100
        weights = {RunStage.EMBEDDING: (0, 40), RunStage.MATCHING: (40, 50), RunStage.COVERAGE: (90, 10)}
        start, span = weights.get(self.stage, (100, 0))
        share = self.chunks_done / self.chunks_total if self.chunks_total else 0
        return min(99, int(start + span * share))


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")


class RunChunk(models.Model):
    """A unit of a run's work (a slice of listing ids for one stage). Its results are written
    in the same transaction that marks it done, so a redelivered chunk is a no-op."""

    run = models.ForeignKey(PreDockingRun, on_delete=models.CASCADE, related_name="chunks")
    stage = models.CharField(max_length=20, choices=RunStage.choices)
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=ListingKind.choices)
    item_ids = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["run", "stage", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "stage", "seq"], name="chunk_unique_per_run_stage")]

    def __str__(self):
        return f"{self.run_id}/{self.stage}/{self.seq}"


class Scores(models.Model):
    """The scores of one requirement–achievement pair, shared by candidates and suggestions."""

    score = models.FloatField(_("score"))
    dense = models.FloatField(_("semantic similarity"))
    lexical = models.FloatField(_("keyword overlap"))
    structured = models.FloatField(_("structured compatibility"))
    components = models.JSONField(default=dict)
    flags = models.JSONField(default=list)  # [{"code", "blocking", "params"}] — see matchmaking.compat
    requirement_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    achievement_rank = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def blocking(self) -> bool:
        return any(flag.get("blocking") for flag in self.flags)


class RunCandidate(Scores):
    """A pair found by the k-NN of either direction, before the coverage pass chooses."""

    run = models.ForeignKey(PreDockingRun, on_delete=models.CASCADE, related_name="candidates")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "requirement", "achievement"], name="candidate_unique_per_run_pair"),
        ]

    def __str__(self):
        return f"R{self.requirement_id} ↔ A{self.achievement_id} (run {self.run_id})"


class SuggestionStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Awaiting broker review")
    APPROVED = "approved", _("Approved by broker")
    REJECTED = "rejected", _("Rejected by broker")
    SUPERSEDED = "superseded", _("Superseded by a later run")


REVIEWED_STATUSES = (SuggestionStatus.APPROVED, SuggestionStatus.REJECTED)


class Suggestion(Scores, TimeStampedModel):
    """A suggested partner, with the reasons. Unique per run and pair; a later run never
    duplicates a pair a broker has reviewed and never discards that review."""

    run = models.ForeignKey(PreDockingRun, on_delete=models.CASCADE, related_name="suggestions")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="suggestions")
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="suggestions")
    status = models.CharField(
        _("status"), max_length=20, choices=SuggestionStatus.choices, default=SuggestionStatus.SUGGESTED
    )
    explanation = models.JSONField(default=dict)
    low_confidence = models.BooleanField(_("low confidence"), default=False)
    via_coverage = models.BooleanField(_("added by the coverage pass"), default=False)
    # The listings' content hashes when suggested: a rejected pair comes back only if one changed.
    requirement_hash = models.CharField(max_length=64, blank=True)
    achievement_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-score"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "requirement", "achievement"], name="suggestion_unique_per_run_pair"
            ),
        ]
        indexes = [
            models.Index(fields=["requirement", "status"]),
            models.Index(fields=["achievement", "status"]),
        ]

    def __str__(self):
        return f"R{self.requirement_id} ↔ A{self.achievement_id} ({self.score:.3f})"
