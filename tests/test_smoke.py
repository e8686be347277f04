from catalog.rules import Access, listing_access


def test_world_restricted_requirement_access_by_role(world):
    expected = {
        "anonymous": Access.NONE, "ent_a": Access.FULL, "ent_b": Access.NONE, "university": Access.NONE,
        "bureau": Access.FULL, "broker": Access.FULL, "other_broker": Access.NONE, "investor": Access.NONE,
        "expert": Access.NONE, "pending": Access.NONE,
    }
    from django.contrib.auth.models import AnonymousUser

    got = {name: listing_access(user or AnonymousUser(), world.req_restricted) for name, user in world.users().items()}
    assert got == expected
