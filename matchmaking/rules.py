"""Who may see and do what in pre-docking. Selectors apply the same rules to querysets.

- Bureau staff start, watch and cancel runs and see every suggestion with its full reasons.
- A broker sees the suggestions routed to them (by field and capacity, ``matchmaking.routing``)
  and vets them before the parties see anything; other brokers see none of them.
- A party (a member of the requirement's enterprise or the achievement's university) sees a
  suggestion once it was approved and sent; from mutual interest on, the two parties, the broker
  and bureau staff share a negotiation thread.
- Budget figures in a mismatch flag are shown only to someone who reads both listings'
  confidential fields (full access, the pair's broker, or disclosure by the owner); everyone
  else reads that budget and price may not match.
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


def party_sides(user, suggestion) -> set[str]:
    """The sides of the pair the user speaks for: a member of the requirement's enterprise
    (enterprise member role) and/or of the achievement's university (university member role)."""
    from matchmaking.models import Side

    roles = roles_for(user)
    sides = set()
    if suggestion.requirement.organisation_id in roles.requirement_org_ids:
        sides.add(Side.REQUIREMENT)
    if suggestion.achievement.organisation_id in roles.achievement_org_ids:
        sides.add(Side.ACHIEVEMENT)
    return sides


def is_pair_broker(user, suggestion) -> bool:
    roles = roles_for(user)
    return roles.is_broker and suggestion.broker_id is not None and suggestion.broker_id == roles.user_id


def can_view_suggestion(user, suggestion) -> bool:
    """Bureau staff see every pair; a broker the pairs routed to them; a party the pairs sent to
    its organisation (after a broker's approval) whose counterpart listing it may read."""
    from matchmaking.models import PARTY_STATUSES, Side, SuggestionStatus

    roles = roles_for(user)
    if roles.is_bureau:
        return True
    if suggestion.status == SuggestionStatus.SUPERSEDED:
        return False
    if is_pair_broker(user, suggestion):
        return True
    sides = party_sides(user, suggestion)
    if not sides or suggestion.status not in PARTY_STATUSES:
        return False
    for side in sides:
        other = Side.ACHIEVEMENT if side == Side.REQUIREMENT else Side.REQUIREMENT
        if other not in sides and listing_access(user, suggestion.listing(other)) < Access.MEMBER \
                and suggestion.disclosed_at(other) is None:
            return False
    return True


def can_review_suggestion(user, suggestion) -> bool:
    from matchmaking.models import SuggestionStatus

    return suggestion.status == SuggestionStatus.SUGGESTED and (
        roles_for(user).is_bureau or is_pair_broker(user, suggestion))


def can_route_suggestions(user) -> bool:
    return roles_for(user).is_bureau


def can_edit_party_note(user, suggestion) -> bool:
    from matchmaking.models import SuggestionStatus

    return suggestion.status in (SuggestionStatus.SUGGESTED, SuggestionStatus.APPROVED, SuggestionStatus.SENT) and (
        roles_for(user).is_bureau or is_pair_broker(user, suggestion))


def can_answer(user, suggestion, side: str) -> bool:
    from matchmaking.models import SuggestionStatus

    return suggestion.status == SuggestionStatus.SENT and side in party_sides(user, suggestion)


def is_participant(user, suggestion) -> bool:
    """The two parties, the pair's broker and bureau staff: who reads and writes the thread."""
    return roles_for(user).is_bureau or is_pair_broker(user, suggestion) or bool(party_sides(user, suggestion))


def can_use_thread(user, suggestion) -> bool:
    from matchmaking.models import THREAD_STATUSES

    return suggestion.status in THREAD_STATUSES and is_participant(user, suggestion)


def can_follow_up(user, suggestion) -> bool:
    """Record meeting outcomes and agreements: the pair's broker and bureau staff."""
    return roles_for(user).is_bureau or is_pair_broker(user, suggestion)


def can_disclose(user, suggestion, side: str) -> bool:
    from matchmaking.models import PARTY_STATUSES

    return suggestion.status in PARTY_STATUSES and side in party_sides(user, suggestion)


def sees_confidential(user, suggestion, side: str) -> bool:
    """Whether the user reads the confidential fields (budget, asking price) of one side's
    listing: full access to it, the pair's broker, or its owner disclosed it to this pair."""
    if listing_access(user, suggestion.listing(side)) == Access.FULL or is_pair_broker(user, suggestion):
        return True
    return suggestion.disclosed_at(side) is not None and bool(party_sides(user, suggestion))


def reveals_budget(user, suggestion) -> bool:
    from matchmaking.models import Side

    return all(sees_confidential(user, suggestion, side) for side in (Side.REQUIREMENT, Side.ACHIEVEMENT))
