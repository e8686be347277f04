"""Fixtures shared by the matchmaking view and API tests."""

import pytest

from catalog.enums import Confidentiality
from tests.factories import AchievementFactory, RequirementFactory


@pytest.fixture
def graphene(world):
    """Three listings on the same subject; only the public ones may be found by outsiders."""
    return {
        "public": RequirementFactory(organisation=world.ent_a, title="公开需求：石墨烯散热膜"),
        "restricted": RequirementFactory(organisation=world.ent_a, title="保密需求：石墨烯散热膜",
                                         confidentiality=Confidentiality.RESTRICTED),
        "restricted_ach": AchievementFactory(organisation=world.uni, title="保密成果：石墨烯散热膜",
                                             confidentiality=Confidentiality.RESTRICTED),
    }


@pytest.fixture
def keyword_search(settings):
    """Search without an encoder (one whose model is not on this server: a name of its own, so
    that no encoder loaded by an earlier test answers), ranked by keywords: fast and the same
    everywhere. Visibility of semantic hits: test_semantic_hits_are_checked_against_visibility."""
    settings.TECHDOCK_ENCODER = "st:/nonexistent/techdock-test-encoder"


SEARCH_VISIBLE = {
    "anonymous": {"public"}, "pending": {"public"}, "ent_b": {"public"}, "investor": {"public"},
    "expert": {"public"}, "other_broker": {"public"}, "broker": {"public"},
    "ent_a": {"public", "restricted"},  # its own
    "university": {"public", "restricted_ach"},  # its own
    "bureau": {"public", "restricted", "restricted_ach"},
}
