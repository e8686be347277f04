"""Who may see and do what in pre-docking. Selectors apply the same rules to querysets.

- Bureau staff start, watch and cancel runs and see every suggestion with its full reasons.
- Brokers see the suggestions of listings they can read (they vet matches before the parties).
- A party (a member of the requirement's or the achievement's organisation) sees a suggestion
  only once a broker approved it.
- Budget figures in a mismatch flag are shown only to someone with full access to both
  listings; everyone else reads that budget and price may not match.
"""

from accounts.rules import roles_for
from catalog.rules import Access, listing_access


def can_start_run(user) -> bool:
    return roles_for(user).is_bureau


def can_view_runs(user) -> bool:
    return roles_for(user).is_bureau


def sees_unreviewed_suggestions(user) -> bool:
    roles = roles_for(user)
    return roles.is_bureau or roles.is_broker


def can_view_suggestion(user, suggestion) -> bool:
    from matchmaking.models import SuggestionStatus

    roles = roles_for(user)
    if roles.is_bureau:
        return True
    req_access = listing_access(user, suggestion.requirement)
    ach_access = listing_access(user, suggestion.achievement)
    if min(req_access, ach_access) < Access.MEMBER:
        return False
    if roles.is_broker:
        return suggestion.status != SuggestionStatus.SUPERSEDED
    party = {suggestion.requirement.organisation_id, suggestion.achievement.organisation_id} & roles.org_ids
    return bool(party) and suggestion.status == SuggestionStatus.APPROVED


def reveals_budget(user, suggestion) -> bool:
    return (listing_access(user, suggestion.requirement) == Access.FULL
            and listing_access(user, suggestion.achievement) == Access.FULL)
