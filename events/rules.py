"""Who may see and do what at a docking conference. Selectors and services read this module,
so the portal and the API never disagree.

- Bureau staff create and run events: areas, sessions, bulk entry, pre-docking, the status
  board and nudges, the negotiation plan, check-in and the report.
- Anyone (signed in or not) sees a published event's programme; its public summary once the
  bureau publishes it. Drafts are bureau-only.
- An approved enterprise, university/institute, investor or service agency registers itself
  (an admin or member of that organisation) while registration is open; bureau staff register
  anyone at any time before the event closes.
- Members of a registered organisation enter their own live listings, see their candidates,
  their agenda and check-in state; they never see other registrations' details.
- Brokers see the negotiations of the pairs routed to them and record their outcomes.
- Investors registered for the event record interest in roadshow presentations.
"""

from accounts.enums import OrganisationKind, Role
from accounts.rules import roles_for
from events.enums import EventStatus

# Organisation kinds that take part, and the role a member needs to act for it.
PARTICIPANT_ROLE_BY_KIND = {
    OrganisationKind.ENTERPRISE: Role.ENTERPRISE_MEMBER,
    OrganisationKind.UNIVERSITY: Role.UNIVERSITY_MEMBER,
    OrganisationKind.INSTITUTE: Role.UNIVERSITY_MEMBER,
    OrganisationKind.INVESTOR: Role.INVESTOR,
    OrganisationKind.AGENCY: Role.BROKER,
}


def can_manage_events(user) -> bool:
    return roles_for(user).is_bureau


def can_view_event(user, event) -> bool:
    return event.status != EventStatus.DRAFT or roles_for(user).is_bureau


def can_view_summary(user, event) -> bool:
    return (event.summary_published and event.status != EventStatus.DRAFT) or roles_for(user).is_bureau


def acts_for(user, organisation) -> bool:
    """Whether the user speaks for this organisation at events: its admin, or a member holding
    the role that fits the organisation's kind."""
    roles = roles_for(user)
    if organisation.pk in roles.admin_of:
        return True
    role = PARTICIPANT_ROLE_BY_KIND.get(organisation.kind)
    return role is not None and role in roles.by_org.get(organisation.pk, frozenset())


def can_register(user, event, organisation) -> bool:
    if organisation.kind not in PARTICIPANT_ROLE_BY_KIND or organisation.status != "approved":
        return False
    if roles_for(user).is_bureau:
        return event.status == EventStatus.PUBLISHED
    return event.registration_open() and acts_for(user, organisation)


def can_manage_registration(user, registration) -> bool:
    """Edit availability and limits, enter listings, withdraw."""
    return roles_for(user).is_bureau or acts_for(user, registration.organisation)


def can_view_board(user, event) -> bool:
    return roles_for(user).is_bureau


def can_plan(user, event) -> bool:
    return roles_for(user).is_bureau


def can_check_in(user, event) -> bool:
    return roles_for(user).is_bureau


def can_view_report(user, event) -> bool:
    return roles_for(user).is_bureau


def is_investor_for(user, registration) -> bool:
    return registration.organisation.kind == OrganisationKind.INVESTOR and acts_for(user, registration.organisation)
