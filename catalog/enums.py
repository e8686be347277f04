from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class ListingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SCREENED = "screened", _("Screened")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    IN_NEGOTIATION = "in_negotiation", _("In negotiation")
    CONTRACTED = "contracted", _("Resolved / contracted")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Statuses in which a listing is visible beyond its owner, the bureau and assigned brokers.
LIVE_STATUSES = (ListingStatus.PUBLISHED, ListingStatus.IN_NEGOTIATION, ListingStatus.CONTRACTED)
# Statuses in which the owner may edit the content.
EDITABLE_STATUSES = (ListingStatus.DRAFT, ListingStatus.REJECTED)
CLOSED_STATUSES = (ListingStatus.CONTRACTED, ListingStatus.EXPIRED, ListingStatus.WITHDRAWN)


class ListingKind(models.TextChoices):
    REQUIREMENT = "requirement", _("Technical requirement")
    ACHIEVEMENT = "achievement", _("Achievement")


class Confidentiality(models.TextChoices):
    PUBLIC = "public", _("Public summary")
    MEMBERS = "members", _("Members only")
    RESTRICTED = "restricted", _("Bureau and assigned brokers only")


class CooperationMode(models.TextChoices):
    DEVELOPMENT = "development", _("Joint / commissioned development")
    TRANSFER = "transfer", _("Technology transfer")
    LICENCE = "licence", _("Licensing")
    CONSULTING = "consulting", _("Technical consulting")
    SERVICE = "service", _("Technical service")
    EQUITY = "equity", _("Equity investment (作价入股)")


class IPStatus(models.TextChoices):
    NONE = "none", _("No IP")
    KNOW_HOW = "know_how", _("Secret know-how")
    APPLIED = "applied", _("Patent applied")
    GRANTED = "granted", _("Patent granted")


class Language(models.TextChoices):
    ZH = "zh-hans", _("Chinese")
    EN = "en", _("English")


class Provenance(models.TextChoices):
    SELF = "self", _("Posted by the owner")
    BUREAU = "bureau", _("Collected by the bureau")
    DISTRICT = "district", _("Collected by a district")
    SURVEY = "survey", _("Survey batch")
    IMPORT = "import", _("Spreadsheet import")


class EvaluationResult(models.TextChoices):
    PENDING = "pending", _("Not evaluated")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class EvaluationStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    SUBMITTED = "submitted", _("Submitted")


TRL_CHOICES = [(i, format_lazy("{} {}", _("TRL"), i)) for i in range(1, 10)]
