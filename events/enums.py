from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    DOCKING_CONFERENCE = "docking", _("Docking conference")
    ROADSHOW_DAY = "roadshow", _("Roadshow day")
    SUMMIT = "summit", _("Summit")


class EventStatus(models.TextChoices):
    """An event's life. Registration and pre-docking are windows in time (the event's dates);
    the status is what the bureau declared, so that a draft is never shown and a cancelled or
    closed event takes no more registrations whatever the dates say."""

    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class SessionKind(models.TextChoices):
    NEGOTIATION = "negotiation", _("Negotiation by field")
    ROADSHOW = "roadshow", _("Roadshow")
    FORUM = "forum", _("Forum")


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PlanStatus(models.TextChoices):
    """A scheduled negotiation: proposed by the planner, confirmed when bureau staff publish the
    plan (the parties are told and a conference meeting is recorded on the pair), or cancelled."""

    PLANNED = "planned", _("Planned")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_PLAN_STATUSES = (PlanStatus.PLANNED, PlanStatus.CONFIRMED)


class InvestmentStage(models.TextChoices):
    ANGEL = "angel", _("Angel")
    SEED = "seed", _("Seed")
    SERIES_A = "series_a", _("Series A")
    SERIES_B = "series_b", _("Series B and later")
    GROWTH = "growth", _("Growth / pre-IPO")


class InterestLevel(models.TextChoices):
    FOLLOW = "follow", _("Following")
    MEETING = "meeting", _("Wants a meeting")
    DUE_DILIGENCE = "due_diligence", _("Due diligence")
    DECLINED = "declined", _("Not interested")
