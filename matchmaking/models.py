"""Pre-docking: listing vectors, runs, their work chunks and candidates, and suggestions.

Vectors live here (PostgreSQL is the source of truth); FAISS index files are derived from
them (``matchmaking.index``). A run is driven by its ``RunChunk`` rows: each chunk is done
exactly once, whatever the workers do (``matchmaking.services``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.enums import CooperationMode, ListingKind
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
    """The life of a suggested pair (DESIGN.md §4.5). ``matchmaking.lifecycle`` holds the allowed
    transitions; every one goes through a service there and is logged as a ``PairEvent``."""

    SUGGESTED = "suggested", _("Awaiting broker review")
    APPROVED = "approved", _("Approved by broker")
    REJECTED = "rejected", _("Rejected by broker")
    SENT = "sent", _("Sent to both parties")
    DECLINED = "declined", _("Declined by a party")
    MUTUAL = "mutual", _("Mutual interest")
    MEETING = "meeting", _("Meeting scheduled")
    MET = "met", _("Met")
    SIGNED = "signed", _("Agreement signed")
    NO_DEAL = "no_deal", _("No deal")
    SUPERSEDED = "superseded", _("Superseded by a later run")


# Every status a broker's approval leads to: the pair was vetted.
APPROVED_STATUSES = (
    SuggestionStatus.APPROVED, SuggestionStatus.SENT, SuggestionStatus.DECLINED, SuggestionStatus.MUTUAL,
    SuggestionStatus.MEETING, SuggestionStatus.MET, SuggestionStatus.SIGNED, SuggestionStatus.NO_DEAL,
)
REVIEWED_STATUSES = (*APPROVED_STATUSES, SuggestionStatus.REJECTED)
# What the parties see: released to them by the platform after a broker's approval.
PARTY_STATUSES = (
    SuggestionStatus.SENT, SuggestionStatus.DECLINED, SuggestionStatus.MUTUAL, SuggestionStatus.MEETING,
    SuggestionStatus.MET, SuggestionStatus.SIGNED, SuggestionStatus.NO_DEAL,
)
# A negotiation thread is open from mutual interest on.
THREAD_STATUSES = (
    SuggestionStatus.MUTUAL, SuggestionStatus.MEETING, SuggestionStatus.MET, SuggestionStatus.SIGNED,
    SuggestionStatus.NO_DEAL,
)


class Side(models.TextChoices):
    REQUIREMENT = "requirement", _("Enterprise (requirement)")
    ACHIEVEMENT = "achievement", _("University (achievement)")


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
    # Broker review: routed by field and capacity (``matchmaking.routing``), due within the SLA.
    broker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="review_suggestions", verbose_name=_("broker"),
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    due_at = models.DateTimeField(_("review due"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejecting"), max_length=1000, blank=True)
    party_note = models.TextField(
        _("note to the parties"), max_length=2000, blank=True,
        help_text=_("Both parties read this note with the suggestion."),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Each owner may disclose its listing's confidential fields to the other party (after mutual interest).
    requirement_disclosed_at = models.DateTimeField(null=True, blank=True)
    achievement_disclosed_at = models.DateTimeField(null=True, blank=True)
    # When a member of each side first opened the sent pair: the conference status board's "viewed".
    requirement_viewed_at = models.DateTimeField(null=True, blank=True)
    achievement_viewed_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The number of ``PairEvent`` rows: each event takes the next number, unique per pair, so two
    # concurrent decisions can never both be recorded.
    event_seq = models.PositiveIntegerField(default=0)

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
            models.Index(fields=["broker", "status"]),
            models.Index(fields=["status", "due_at"]),
        ]

    def __str__(self):
        return f"R{self.requirement_id} ↔ A{self.achievement_id} ({self.score:.3f})"

    @property
    def is_overdue(self) -> bool:
        return (self.status == SuggestionStatus.SUGGESTED and self.due_at is not None
                and self.due_at < timezone.now())

    def listing(self, side: str):
        return self.requirement if side == Side.REQUIREMENT else self.achievement

    def disclosed_at(self, side: str):
        return self.requirement_disclosed_at if side == Side.REQUIREMENT else self.achievement_disclosed_at


class PairEvent(models.Model):
    """The audit trail of a pair: every transition and every action on it (assignment, note,
    disclosure, meeting…), written in the same transaction as the change it records."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, choices=SuggestionStatus.choices)
    to_status = models.CharField(max_length=20, choices=SuggestionStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=2000, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["suggestion", "seq"]
        constraints = [models.UniqueConstraint(fields=["suggestion", "seq"], name="pair_event_unique_seq")]
        indexes = [models.Index(fields=["to_status", "created_at"])]

    def __str__(self):
        return f"{self.suggestion_id}#{self.seq} {self.action}: {self.from_status} → {self.to_status}"


class PartyAnswer(models.Model):
    """One side's answer to a suggestion sent to it. One per side: a double click cannot answer twice."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="answers")
    side = models.CharField(_("side"), max_length=20, choices=Side.choices)
    interested = models.BooleanField(_("interested"))
    reason = models.CharField(_("reason"), max_length=1000, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["suggestion", "side"], name="answer_one_per_side")]

    def __str__(self):
        return f"{self.suggestion_id}/{self.side}: {'yes' if self.interested else 'no'}"


def message_attachment_path(instance: "Message", filename: str) -> str:
    return f"negotiations/{instance.suggestion_id}/{filename}"


class Message(models.Model):
    """A message in a pair's negotiation thread (the two parties and the broker)."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("message"), max_length=5000)
    attachment = models.FileField(_("attachment"), upload_to=message_attachment_path, max_length=300, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_size = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.suggestion_id}: {self.body[:40]}"


class MeetingMode(models.TextChoices):
    ONLINE = "online", _("Online")
    ONSITE = "onsite", _("On site")
    CONFERENCE = "conference", _("At a docking conference")


class MeetingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    HELD = "held", _("Held")
    MISSED = "missed", _("Did not take place")


OPEN_MEETING_STATUSES = (MeetingStatus.REQUESTED, MeetingStatus.CONFIRMED)


class Meeting(TimeStampedModel):
    """A negotiation meeting (洽谈) about one pair: requested by a participant, confirmed when both
    parties accepted, then held (the broker records the outcome) or cancelled."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="meetings")
    mode = models.CharField(_("mode"), max_length=20, choices=MeetingMode.choices, default=MeetingMode.ONLINE)
    starts_at = models.DateTimeField(_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=30)
    location = models.CharField(_("place or link"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=MeetingStatus.choices,
                              default=MeetingStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requirement_accepted_at = models.DateTimeField(null=True, blank=True)
    achievement_accepted_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    outcome = models.TextField(_("outcome"), max_length=2000, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.UniqueConstraint(fields=["suggestion"], condition=Q(status__in=["requested", "confirmed"]),
                                    name="meeting_one_open_per_pair"),
        ]

    def __str__(self):
        return f"{self.suggestion_id} @ {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_MEETING_STATUSES


class Agreement(TimeStampedModel):
    """The signed outcome of a pair (签约): what every report counts."""

    suggestion = models.OneToOneField(Suggestion, on_delete=models.PROTECT, related_name="agreement")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contract_type = models.CharField(_("contract type"), max_length=20, choices=CooperationMode.choices)
    amount = models.DecimalField(_("amount (10k CNY)"), max_digits=12, decimal_places=2)
    signed_on = models.DateField(_("signed on"))
    requirement_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise"))
    achievement_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("university or institute"))
    broker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="brokered_agreements", verbose_name=_("broker"))
    note = models.TextField(_("note"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-signed_on", "-pk"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="agreement_amount_not_negative")]

    def __str__(self):
        return f"{self.get_contract_type_display()} {self.amount} ({self.signed_on})"


class RankingModel(models.Model):
    """A ranking learned from brokers' approvals and rejections (``matchmaking.learning``):
    weights of the score components, globally and per field. At most one is active; pre-docking
    runs blend its approval probability into the fused score and record which model they used.
    ``metrics`` holds the held-out evaluation that decided whether it was activated."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("trained by"),
    )
    n_decisions = models.PositiveIntegerField(_("decisions"))
    n_fields = models.PositiveIntegerField(_("fields with their own weights"))
    weights = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("ranking model")
        verbose_name_plural = _("ranking models")
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_ranking_model"),
        ]

    def __str__(self):
        return f"ranking model {self.pk} ({self.n_decisions} decisions{', active' if self.is_active else ''})"
