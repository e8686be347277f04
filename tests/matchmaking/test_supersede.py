"""A pair never waits for review twice: a run's suggestion replaces the unreviewed suggestion of
the same pair from a run of another scope (an event's run after the catalogue-wide one), while
reviewed ones and other pairs stay as they are."""

from matchmaking.models import SuggestionStatus
from matchmaking.services import _supersede_older
from tests.factories import RequirementFactory
from tests.matchmaking.builders import make_run, make_suggestion


def test_supersede_replaces_the_same_pair_from_another_scope_only(world):
    catalogue, event_run = make_run(world, scope_key="all"), make_run(world, scope_key="event:1")
    other_req = RequirementFactory(organisation=world.ent_a)
    same_pair = make_suggestion(catalogue, world.req_public, world.ach_public, status=SuggestionStatus.SUGGESTED)
    other_pair = make_suggestion(catalogue, other_req, world.ach_public, status=SuggestionStatus.SUGGESTED)
    reviewed = make_suggestion(catalogue, world.req_members, world.ach_public, status=SuggestionStatus.APPROVED)
    make_suggestion(event_run, world.req_public, world.ach_public, status=SuggestionStatus.SUGGESTED)

    count = _supersede_older(event_run, [world.req_public.pk, world.req_members.pk], [world.ach_public.pk],
                             pairs={(world.req_public.pk, world.ach_public.pk),
                                    (world.req_members.pk, world.ach_public.pk)})

    assert count == 1
    for suggestion, expected in ((same_pair, SuggestionStatus.SUPERSEDED), (other_pair, SuggestionStatus.SUGGESTED),
                                 (reviewed, SuggestionStatus.APPROVED)):
        suggestion.refresh_from_db()
        assert suggestion.status == expected
