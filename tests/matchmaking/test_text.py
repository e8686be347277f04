"""The canonical text a listing is embedded, indexed and searched by."""

import pytest

from catalog.models import Achievement, Requirement
from matchmaking.text import TEXT_ATTRS, canonical_text, canonical_text_of
from tests.factories import AchievementFactory, RequirementFactory, field


@pytest.mark.parametrize("factory", [RequirementFactory, AchievementFactory])
def test_text_from_a_values_row_is_the_text_of_the_listing(world, factory):
    # Search builds the text from .values() rows; embeddings from model instances. Both must give
    # the same string (its hash decides whether a vector is current).
    extra = ({"problem_statement": "现有  涂层\\n易脱落", "technical_indicators": "附着力 ≥ 5B"}
             if factory is RequirementFactory else {"advantages": "成本低", "application_scenarios": ""})
    listing = factory(organisation=world.ent_a, title="耐腐蚀涂层", keywords=["涂层", "anti-corrosion"],
                      summary="  ", description="long text", fields=[field("energy-storage"), field("composites")],
                      **extra)
    model = Requirement if factory is RequirementFactory else Achievement
    row = model.objects.values("pk", *TEXT_ATTRS[listing.kind]).get(pk=listing.pk)
    names = [(f.name_zh, f.name_en) for f in listing.fields.all()]

    text = canonical_text(listing)

    assert canonical_text_of(listing.kind, row, names) == text
    assert text.splitlines()[:2] == ["耐腐蚀涂层", "涂层 anti-corrosion"]
    assert "\\n\\n" not in text  # the blank summary is left out
