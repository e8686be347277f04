from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    UNIVERSITY = "university", _("University")
    INSTITUTE = "institute", _("Research institute")
    INVESTOR = "investor", _("Investor")
    AGENCY = "agency", _("Service agency")
    BUREAU = "bureau", _("Science & technology bureau")


class OrganisationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Role(models.TextChoices):
    ENTERPRISE_MEMBER = "enterprise_member", _("Enterprise member")
    UNIVERSITY_MEMBER = "university_member", _("University member")
    BUREAU_STAFF = "bureau_staff", _("Bureau staff")
    BROKER = "broker", _("Technology broker")
    INVESTOR = "investor", _("Investor")
    EXPERT = "expert", _("Expert reviewer")


# Which roles make sense in which kind of organisation. Brokers work for bureaus and
# service agencies; experts may come from anywhere (universities, institutes, agencies).
ROLES_BY_KIND: dict[str, set[str]] = {
    OrganisationKind.ENTERPRISE: {Role.ENTERPRISE_MEMBER, Role.EXPERT},
    OrganisationKind.UNIVERSITY: {Role.UNIVERSITY_MEMBER, Role.EXPERT},
    OrganisationKind.INSTITUTE: {Role.UNIVERSITY_MEMBER, Role.EXPERT},
    OrganisationKind.INVESTOR: {Role.INVESTOR, Role.EXPERT},
    OrganisationKind.AGENCY: {Role.BROKER, Role.EXPERT},
    OrganisationKind.BUREAU: {Role.BUREAU_STAFF, Role.BROKER, Role.EXPERT},
}

DEFAULT_ROLE_BY_KIND: dict[str, str] = {
    OrganisationKind.ENTERPRISE: Role.ENTERPRISE_MEMBER,
    OrganisationKind.UNIVERSITY: Role.UNIVERSITY_MEMBER,
    OrganisationKind.INSTITUTE: Role.UNIVERSITY_MEMBER,
    OrganisationKind.INVESTOR: Role.INVESTOR,
    OrganisationKind.AGENCY: Role.BROKER,
    OrganisationKind.BUREAU: Role.BUREAU_STAFF,
}


class Region(models.TextChoices):
    """Districts and counties of Shenyang, the reference deployment; ``other`` for the rest."""

    HEPING = "heping", _("Heping District")
    SHENHE = "shenhe", _("Shenhe District")
    DADONG = "dadong", _("Dadong District")
    HUANGGU = "huanggu", _("Huanggu District")
    TIEXI = "tiexi", _("Tiexi District")
    SUJIATUN = "sujiatun", _("Sujiatun District")
    HUNNAN = "hunnan", _("Hunnan District")
    SHENBEI = "shenbei", _("Shenbei New District")
    YUHONG = "yuhong", _("Yuhong District")
    LIAOZHONG = "liaozhong", _("Liaozhong District")
    XINMIN = "xinmin", _("Xinmin City")
    KANGPING = "kangping", _("Kangping County")
    FAKU = "faku", _("Faku County")
    OTHER = "other", _("Outside Shenyang")
