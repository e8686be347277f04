"""Docking conferences (成果转化对接会): events, their themed exhibition areas, sessions, time
slots and tables; who registered and which listings they entered; the negotiation plan; and
roadshows with investors' interest.

An event owns its pre-docking by handing its entered listings to a ``matchmaking`` run; the
pairs it schedules are ``matchmaking.Suggestion`` rows between its listings, and a published
negotiation becomes a conference ``matchmaking.Meeting`` on the pair, so that the pair's
timeline, the broker's outcome and the agreement stay where every report reads them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from catalog.models import Achievement, BilingualNameMixin, Field, Requirement
from common.models import TimeStampedModel
from events.enums import (
    EventKind,
    EventStatus,
    InterestLevel,
    PlanStatus,
    RegistrationStatus,
    SessionKind,
)


class EventSeries(BilingualNameMixin, TimeStampedModel):
    """A recurring conference (Dalian holds one every 2–3 months): reports compare its events."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    organiser = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("organising bureau"))

    class Meta:
        verbose_name = _("event series")
        verbose_name_plural = _("event series")
        ordering = ["name_zh"]


class Event(BilingualNameMixin, TimeStampedModel):
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices, default=EventKind.DOCKING_CONFERENCE)
    series = models.ForeignKey(EventSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="events",
                               verbose_name=_("series"))
    organiser = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="organised_events",
                                  verbose_name=_("organising bureau"))
    description_zh = models.TextField(_("description (Chinese)"), max_length=5000, blank=True)
    description_en = models.TextField(_("description (English)"), max_length=5000, blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    online = models.BooleanField(_("also online"), default=True,
                                 help_text=_("“3 days on site + 365 days online”: the platform stays open."))
    registration_opens_at = models.DateTimeField(_("registration opens"))
    registration_closes_at = models.DateTimeField(_("registration closes"))
    predocking_opens_at = models.DateTimeField(_("pre-docking opens"))
    predocking_closes_at = models.DateTimeField(_("pre-docking closes"))
    status = models.CharField(_("status"), max_length=20, choices=EventStatus.choices, default=EventStatus.DRAFT)
    meeting_minutes = models.PositiveSmallIntegerField(_("negotiation length (minutes)"), default=30)
    max_meetings_per_party = models.PositiveSmallIntegerField(
        _("negotiations per organisation at most"), default=8,
        help_text=_("An organisation may raise or lower its own limit when it registers."))
    max_meetings_per_broker = models.PositiveSmallIntegerField(_("negotiations per broker at most"), default=16)
    # The latest pre-docking run of the event's listings (matchmaking.PreDockingRun, scope "event:<pk>").
    run = models.ForeignKey("matchmaking.PreDockingRun", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+", verbose_name=_("pre-docking run"))
    summary_published = models.BooleanField(_("public summary published"), default=False)
    summary_note_zh = models.TextField(_("summary note (Chinese)"), max_length=5000, blank=True)
    summary_note_en = models.TextField(_("summary note (English)"), max_length=5000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="event_dates_in_order"),
            models.CheckConstraint(condition=Q(registration_closes_at__gt=F("registration_opens_at")),
                                   name="event_registration_window_in_order"),
            models.CheckConstraint(condition=Q(predocking_closes_at__gt=F("predocking_opens_at")),
                                   name="event_predocking_window_in_order"),
        ]

    @property
    def scope_key(self) -> str:
        """The pre-docking scope of this event's runs (``matchmaking.PreDockingRun.scope_key``)."""
        return f"event:{self.pk}"

    @property
    def is_visible(self) -> bool:
        return self.status != EventStatus.DRAFT

    def registration_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == EventStatus.PUBLISHED and self.registration_opens_at <= now < self.registration_closes_at

    def predocking_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == EventStatus.PUBLISHED and self.predocking_opens_at <= now < self.predocking_closes_at

    @property
    def description(self) -> str:
        from django.utils.translation import get_language

        english = (get_language() or "").startswith("en")
        return (self.description_en if english else self.description_zh) or self.description_zh or self.description_en


class ExhibitionArea(BilingualNameMixin, models.Model):
    """A themed zone (展区) tied to fields: negotiations of a pair take place in the area of its
    fields, at that area's tables."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="areas")
    code = models.SlugField(_("code"), max_length=40)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    fields = models.ManyToManyField(Field, blank=True, related_name="+", verbose_name=_("fields"))
    hall = models.CharField(_("hall or floor"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("exhibition area")
        verbose_name_plural = _("exhibition areas")
        ordering = ["event", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["event", "code"], name="area_code_unique_per_event")]

    def __str__(self) -> str:
        return self.name


class Table(models.Model):
    area = models.ForeignKey(ExhibitionArea, on_delete=models.CASCADE, related_name="tables")
    label = models.CharField(_("table"), max_length=40)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("table")
        verbose_name_plural = _("tables")
        ordering = ["area", "label"]
        constraints = [models.UniqueConstraint(fields=["area", "label"], name="table_label_unique_per_area")]

    def __str__(self) -> str:
        return f"{self.area} · {self.label}"


class Session(models.Model):
    """A negotiation session by field (in an area, cut into slots), a roadshow or a forum."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    area = models.ForeignKey(ExhibitionArea, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions",
                             verbose_name=_("exhibition area"))
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    room = models.CharField(_("room"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    seats = models.PositiveIntegerField(_("seats"), null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_times_in_order"),
            models.CheckConstraint(condition=~Q(kind="negotiation") | Q(area__isnull=False),
                                   name="negotiation_session_has_area"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        from django.utils.translation import get_language

        return self.title_en if (get_language() or "").startswith("en") else self.title_zh


class Slot(models.Model):
    """A time slot of a negotiation session: one meeting per table."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        verbose_name = _("time slot")
        verbose_name_plural = _("time slots")
        ordering = ["starts_at", "session_id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "starts_at"], name="slot_unique_start_per_session"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_times_in_order"),
        ]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.starts_at):%m-%d %H:%M}–{timezone.localtime(self.ends_at):%H:%M}"


class Registration(TimeStampedModel):
    """An organisation taking part: an enterprise, a university or institute, an investor or a
    service agency. ``delegates`` is how many negotiations it can staff at the same time."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="event_registrations",
                                     verbose_name=_("organisation"))
    status = models.CharField(_("status"), max_length=20, choices=RegistrationStatus.choices,
                              default=RegistrationStatus.REGISTERED)
    delegates = models.PositiveSmallIntegerField(
        _("parallel negotiations"), default=1,
        help_text=_("How many negotiations your delegation can hold at the same time."))
    max_meetings = models.PositiveSmallIntegerField(_("negotiations at most"), null=True, blank=True)
    unavailable_slots = models.ManyToManyField(Slot, blank=True, related_name="+",
                                               verbose_name=_("time slots you cannot attend"))
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.CharField(_("reason for withdrawing"), max_length=1000, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["event", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "organisation"], name="registration_unique_per_event"),
            models.CheckConstraint(condition=Q(delegates__gte=1), name="registration_delegates_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} @ {self.event}"

    @property
    def is_active(self) -> bool:
        return self.status == RegistrationStatus.REGISTERED


class BrokerAttendance(models.Model):
    """A broker working at the event: limits and the slots they cannot attend. A broker without
    a row is available throughout, within the event's limit."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="brokers")
    broker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_attendances")
    max_meetings = models.PositiveSmallIntegerField(_("negotiations at most"), null=True, blank=True)
    unavailable_slots = models.ManyToManyField(Slot, blank=True, related_name="+",
                                               verbose_name=_("time slots you cannot attend"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "broker"], name="broker_attendance_unique")]

    def __str__(self) -> str:
        return f"{self.broker} @ {self.event}"


class EventListing(models.Model):
    """A requirement or an achievement entered into the event by its organisation (or in bulk
    by bureau staff): the event's pre-docking scope."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="listings")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="listings")
    requirement = models.ForeignKey(Requirement, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    achievement = models.ForeignKey(Achievement, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(ExhibitionArea, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("exhibition area"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("entered listing")
        verbose_name_plural = _("entered listings")
        ordering = ["event", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requirement__isnull=False, achievement__isnull=True)
                | Q(requirement__isnull=True, achievement__isnull=False),
                name="event_listing_exactly_one"),
            models.UniqueConstraint(fields=["event", "requirement"], name="event_requirement_once"),
            models.UniqueConstraint(fields=["event", "achievement"], name="event_achievement_once"),
        ]

    def __str__(self) -> str:
        return f"{self.listing} @ {self.event}"

    @property
    def listing(self):
        return self.requirement or self.achievement


class ScheduledMeeting(TimeStampedModel):
    """One negotiation of the plan: a pair at a table in a slot. Confirmed ones carry the pair's
    conference ``matchmaking.Meeting``; re-planning never moves them silently."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="scheduled_meetings")
    suggestion = models.ForeignKey("matchmaking.Suggestion", on_delete=models.CASCADE, related_name="+")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="meetings")
    table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="meetings")
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.PLANNED)
    meeting = models.OneToOneField("matchmaking.Meeting", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="scheduled")
    requirement_checked_in_at = models.DateTimeField(null=True, blank=True)
    achievement_checked_in_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    change_reason = models.CharField(_("reason"), max_length=1000, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled negotiation")
        verbose_name_plural = _("scheduled negotiations")
        ordering = ["slot__starts_at", "table__label"]
        constraints = [
            # The last line of defence against a double-booked table or a pair planned twice;
            # participants' clashes are checked by events.scheduler.find_conflicts before writing.
            models.UniqueConstraint(fields=["slot", "table"], condition=Q(status__in=["planned", "confirmed"]),
                                    name="scheduled_table_once_per_slot"),
            models.UniqueConstraint(fields=["event", "suggestion"], condition=Q(status__in=["planned", "confirmed"]),
                                    name="scheduled_pair_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.suggestion_id} @ {self.slot} / {self.table.label}"


class InvestorProfile(models.Model):
    """What an investor registered for a roadshow looks for."""

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="investor_profile")
    stages = models.JSONField(_("stages"), default=list, blank=True)
    ticket_min = models.PositiveIntegerField(_("smallest ticket (10k CNY)"), null=True, blank=True)
    ticket_max = models.PositiveIntegerField(_("largest ticket (10k CNY)"), null=True, blank=True)
    fields = models.ManyToManyField(Field, blank=True, related_name="+", verbose_name=_("fields"))
    focus = models.TextField(_("investment focus"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("investor profile")
        verbose_name_plural = _("investor profiles")
        constraints = [models.CheckConstraint(
            condition=Q(ticket_min__isnull=True) | Q(ticket_max__isnull=True) | Q(ticket_max__gte=F("ticket_min")),
            name="investor_ticket_range_in_order")]

    def __str__(self) -> str:
        return str(self.registration)


class RoadshowEntry(models.Model):
    """An achievement presented in a roadshow session (路演)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="roadshow_entries")
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=10)
    presenter = models.CharField(_("presenter"), max_length=100, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    class Meta:
        verbose_name = _("roadshow presentation")
        verbose_name_plural = _("roadshow presentations")
        ordering = ["session", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["session", "achievement"], name="roadshow_entry_once")]

    def __str__(self) -> str:
        return f"{self.achievement} @ {self.session}"


class InvestorInterest(TimeStampedModel):
    """An investor's interest in a roadshow presentation, recorded by the investor."""

    entry = models.ForeignKey(RoadshowEntry, on_delete=models.CASCADE, related_name="interests")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="interests")
    level = models.CharField(_("interest"), max_length=20, choices=InterestLevel.choices)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        verbose_name = _("investor interest")
        verbose_name_plural = _("investor interests")
        constraints = [models.UniqueConstraint(fields=["entry", "registration"], name="investor_interest_once")]
