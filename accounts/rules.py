"""Who a user is, in one place. Every permission check in the project starts from
``roles_for(user)``; it reads the user's memberships once per request (cached on the user
object) and only counts organisations the bureau has approved."""

from dataclasses import dataclass, field

from accounts.enums import ROLES_BY_KIND, OrganisationKind, OrganisationStatus, Role
from accounts.models import Membership, Organisation


@dataclass(frozen=True)
class Roles:
    authenticated: bool = False
    user_id: int | None = None
    superuser: bool = False
    # organisation id -> set of roles held there (approved organisations only)
    by_org: dict[int, frozenset[str]] = field(default_factory=dict)
    admin_of: frozenset[int] = frozenset()
    # organisations the user belongs to that still await approval
    pending_org_ids: frozenset[int] = frozenset()

    def has(self, role: str) -> bool:
        return any(role in roles for roles in self.by_org.values())

    def orgs_with(self, role: str) -> list[int]:
        return sorted(org_id for org_id, roles in self.by_org.items() if role in roles)

    @property
    def org_ids(self) -> frozenset[int]:
        return frozenset(self.by_org)

    @property
    def is_bureau(self) -> bool:
        return self.superuser or self.has(Role.BUREAU_STAFF)

    @property
    def is_broker(self) -> bool:
        return self.has(Role.BROKER)

    @property
    def is_expert(self) -> bool:
        return self.has(Role.EXPERT)

    @property
    def is_investor(self) -> bool:
        return self.has(Role.INVESTOR)

    @property
    def is_member(self) -> bool:
        """Signed in and belonging to at least one approved organisation."""
        return bool(self.by_org) or self.superuser

    @property
    def requirement_org_ids(self) -> list[int]:
        return self.orgs_with(Role.ENTERPRISE_MEMBER)

    @property
    def achievement_org_ids(self) -> list[int]:
        return self.orgs_with(Role.UNIVERSITY_MEMBER)


ANONYMOUS = Roles()


def roles_for(user) -> Roles:
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_techdock_roles", None)
    if cached is not None:
        return cached
    by_org: dict[int, set[str]] = {}
    admin_of: set[int] = set()
    pending: set[int] = set()
    rows = Membership.objects.filter(user_id=user.pk).values_list(
        "organisation_id", "role", "is_admin", "organisation__status"
    )
    for org_id, role, is_admin, status in rows:
        if status != OrganisationStatus.APPROVED:
            pending.add(org_id)
            continue
        by_org.setdefault(org_id, set()).add(role)
        if is_admin:
            admin_of.add(org_id)
    roles = Roles(
        authenticated=True,
        user_id=user.pk,
        superuser=bool(user.is_superuser),
        by_org={k: frozenset(v) for k, v in by_org.items()},
        admin_of=frozenset(admin_of),
        pending_org_ids=frozenset(pending),
    )
    user._techdock_roles = roles
    return roles


def forget_roles(user) -> None:
    """Drop the cached roles after a membership change within the same request."""
    if hasattr(user, "_techdock_roles"):
        del user._techdock_roles


def can_manage_organisation(user, organisation: Organisation) -> bool:
    roles = roles_for(user)
    return roles.is_bureau or organisation.pk in roles.admin_of


def can_decide_organisations(user) -> bool:
    return roles_for(user).is_bureau


def organisation_kind_allows_role(kind: str, role: str) -> bool:
    return role in ROLES_BY_KIND.get(OrganisationKind(kind), set())
