from events.selectors import event_suggestions
from matchmaking.models import SuggestionStatus
from tests.events.builders import conference


def test_conference_builder_gives_one_mutual_pair_between_entered_listings(world):
    conf = conference(world)
    mutual = list(event_suggestions(event=conf.event, statuses=[SuggestionStatus.MUTUAL]))
    assert [s.pk for s in mutual] == [conf.pair.pk]
    assert len(conf.slots) == 4 and len(conf.tables) == 2
