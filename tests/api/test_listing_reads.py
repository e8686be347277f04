"""Who sees which listing through the API, and which keys of it."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.enums import OrganisationKind, Role
from catalog.api.serializers import (
    AchievementOutputSerializer,
    ListingAccessCache,
    RequirementOutputSerializer,
)
from catalog.enums import ListingKind
from catalog.models import Attachment
from catalog.rules import FULL_FIELDS, MEMBER_FIELDS, SUMMARY_FIELDS, listing_access
from tests.factories import OrganisationFactory, RequirementFactory, member

ROLES = ["anonymous", "ent_a", "ent_b", "university", "bureau", "broker", "other_broker", "investor", "expert",
         "pending"]
REQUIREMENT_OUTPUT_KEYS = set(RequirementOutputSerializer.Meta.fields)
ACHIEVEMENT_OUTPUT_KEYS = set(AchievementOutputSerializer.Meta.fields)


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def titles(response) -> list[str]:
    return sorted(item["title"] for item in response.json()["results"])


# --- Lists ------------------------------------------------------------------------------------

REQUIREMENT_LIST = {
    "anonymous": ["req_public"],
    "ent_a": ["req_public", "req_members", "req_restricted"],
    "ent_b": ["req_public", "req_members"],
    "university": ["req_public", "req_members"],
    "bureau": ["req_public", "req_members", "req_restricted"],
    "broker": ["req_public", "req_members", "req_restricted"],
    "other_broker": ["req_public", "req_members"],
    "investor": ["req_public", "req_members"],
    "expert": ["req_public", "req_members"],
    "pending": ["req_public"],
}
ACHIEVEMENT_LIST = {
    "anonymous": ["ach_public"],
    "ent_a": ["ach_public"],
    "ent_b": ["ach_public"],
    "university": ["ach_public", "ach_restricted"],
    "bureau": ["ach_public", "ach_restricted"],
    "broker": ["ach_public"],
    "other_broker": ["ach_public"],
    "investor": ["ach_public"],
    "expert": ["ach_public"],
    "pending": ["ach_public"],
}


@pytest.mark.parametrize("role", ROLES)
def test_requirement_list_shows_exactly_the_live_listings_each_role_may_see(world, role):
    response = client_for(world.users()[role]).get(reverse("catalog-api:requirement-list"))

    assert response.status_code == 200
    assert titles(response) == sorted(getattr(world, name).title for name in REQUIREMENT_LIST[role])
    assert response.json()["count"] == len(REQUIREMENT_LIST[role])


@pytest.mark.parametrize("role", ROLES)
def test_achievement_list_shows_exactly_the_live_listings_each_role_may_see(world, role):
    response = client_for(world.users()[role]).get(reverse("catalog-api:achievement-list"))

    assert response.status_code == 200
    assert titles(response) == sorted(getattr(world, name).title for name in ACHIEVEMENT_LIST[role])


def test_requirement_list_mine_shows_own_listings_in_every_status(world):
    response = client_for(world.ent_a_member).get(reverse("catalog-api:requirement-list"), {"mine": "true"})

    assert response.status_code == 200
    assert titles(response) == sorted(
        [world.req_public.title, world.req_members.title, world.req_restricted.title, world.req_draft.title]
    )


def test_requirement_list_status_filter_never_widens_visibility(world):
    response = client_for(world.ent_b_member).get(reverse("catalog-api:requirement-list"), {"status": "draft"})

    assert response.status_code == 200
    assert titles(response) == []


def test_requirement_list_filters_by_field_and_trl(world):
    client = client_for(world.bureau)
    url = reverse("catalog-api:requirement-list")

    assert titles(client.get(url, {"field": ["ai", "energy-storage"]})) == sorted(
        [world.req_public.title, world.req_members.title, world.req_restricted.title]
    )
    assert titles(client.get(url, {"field": "ai"})) == []
    assert titles(client.get(url, {"trl_min": 6})) == []


def test_requirement_list_malformed_filter_is_400_with_field_key(world):
    response = client_for(None).get(reverse("catalog-api:requirement-list"), {"trl_min": "high", "region": "mars"})

    assert response.status_code == 400
    assert set(response.json()) == {"trl_min", "region"}


def test_requirement_list_page_size_is_capped_at_100(world):
    response = client_for(world.bureau).get(reverse("catalog-api:requirement-list"), {"page_size": 1})

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert len(response.json()["results"]) == 1
    assert response.json()["next"] is not None


# --- Retrieve ---------------------------------------------------------------------------------

EVERYONE = set(ROLES)
MEMBERS = EVERYONE - {"anonymous", "pending"}
REQUIREMENT_DETAIL = {
    "req_public": EVERYONE,
    "req_members": MEMBERS,
    "req_restricted": {"ent_a", "bureau", "broker"},
    "req_draft": {"ent_a", "bureau"},
    "req_rejected_b": {"ent_b", "bureau"},
}
ACHIEVEMENT_DETAIL = {
    "ach_public": EVERYONE,
    "ach_screened": {"university", "bureau"},
    "ach_restricted": {"university", "bureau"},
}


@pytest.mark.parametrize("listing_name", sorted(REQUIREMENT_DETAIL))
def test_requirement_retrieve_is_404_for_roles_that_cannot_see_it(world, listing_name):
    listing = getattr(world, listing_name)
    url = reverse("catalog-api:requirement-detail", args=[listing.pk])

    got = {role: client_for(user).get(url).status_code for role, user in world.users().items()}

    assert got == {role: 200 if role in REQUIREMENT_DETAIL[listing_name] else 404 for role in ROLES}


@pytest.mark.parametrize("listing_name", sorted(ACHIEVEMENT_DETAIL))
def test_achievement_retrieve_is_404_for_roles_that_cannot_see_it(world, listing_name):
    listing = getattr(world, listing_name)
    url = reverse("catalog-api:achievement-detail", args=[listing.pk])

    got = {role: client_for(user).get(url).status_code for role, user in world.users().items()}

    assert got == {role: 200 if role in ACHIEVEMENT_DETAIL[listing_name] else 404 for role in ROLES}


def test_requirement_internal_note_is_shown_to_bureau_only(world):
    url = reverse("catalog-api:requirement-detail", args=[world.req_restricted.pk])

    bodies = {role: client_for(getattr(world, attr)).get(url).json()
              for role, attr in [("ent_a", "ent_a_member"), ("broker", "broker"), ("bureau", "bureau")]}

    assert bodies["bureau"]["internal_note"] == "局内备注：重点企业"
    assert "internal_note" not in bodies["ent_a"]
    assert "internal_note" not in bodies["broker"]
    assert bodies["broker"]["budget_max"] == 200  # an assigned broker has full access otherwise


def test_requirement_budget_is_shown_with_full_access_only(world):
    url = reverse("catalog-api:requirement-detail", args=[world.req_public.pk])

    got = {role: client_for(user).get(url).json().get("budget_max", "absent")
           for role, user in world.users().items()}

    assert got == {role: 300 if role in {"ent_a", "bureau"} else "absent" for role in ROLES}


def test_requirement_anonymous_gets_summary_keys_only(world):
    body = client_for(None).get(reverse("catalog-api:requirement-detail", args=[world.req_public.pk])).json()

    assert set(body) == SUMMARY_FIELDS & REQUIREMENT_OUTPUT_KEYS
    assert "contact_phone" not in body
    assert body["organisation"] == {"id": world.ent_a.pk, "kind": "enterprise", "name_zh": "甲企业",
                                    "name_en": "Enterprise A"}
    assert body["fields"] == ["energy-storage"]


def test_requirement_member_gets_contact_but_not_internals(world):
    body = client_for(world.ent_b_member).get(
        reverse("catalog-api:requirement-detail", args=[world.req_public.pk])
    ).json()

    assert set(body) == MEMBER_FIELDS & REQUIREMENT_OUTPUT_KEYS
    assert body["contact_phone"] == "024-12345678"


def test_requirement_owner_gets_full_keys_but_not_bureau_note(world):
    body = client_for(world.ent_a_member).get(
        reverse("catalog-api:requirement-detail", args=[world.req_public.pk])
    ).json()

    assert set(body) == (FULL_FIELDS - {"internal_note"}) & REQUIREMENT_OUTPUT_KEYS


def test_requirement_list_items_hide_contact_and_budget_from_anonymous(world):
    results = client_for(None).get(reverse("catalog-api:requirement-list")).json()["results"]

    assert [set(item) for item in results] == [SUMMARY_FIELDS & REQUIREMENT_OUTPUT_KEYS]


def test_listing_output_serializers_declare_only_keys_the_rules_know():
    # A key outside FULL_FIELDS would be silently dropped for everyone.
    assert REQUIREMENT_OUTPUT_KEYS <= FULL_FIELDS
    assert ACHIEVEMENT_OUTPUT_KEYS <= FULL_FIELDS


def test_listing_access_cache_agrees_with_rules_for_every_role_and_listing(world):
    listings = {
        ListingKind.REQUIREMENT: [world.req_public, world.req_members, world.req_restricted, world.req_draft,
                                  world.req_rejected_b],
        ListingKind.ACHIEVEMENT: [world.ach_public, world.ach_screened, world.ach_restricted],
    }
    # The expert evaluates one achievement, so the expert branch is exercised too.
    world.ach_screened.evaluations.create(expert=world.expert, assigned_by=world.bureau)

    for kind, items in listings.items():
        for user in world.users().values():
            user = user or AnonymousUser()
            cache = ListingAccessCache(user=user, kind=kind, listing_ids=[item.pk for item in items])
            assert [cache.access(item) for item in items] == [listing_access(user, item) for item in items]


# --- Query counts -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["anonymous", "member", "broker", "bureau"])
def test_requirement_list_query_count_does_not_grow_with_items(db, role):
    owner = OrganisationFactory()
    bureau_org = OrganisationFactory(kind=OrganisationKind.BUREAU, credit_code="")
    agency = OrganisationFactory(kind=OrganisationKind.AGENCY, credit_code="")
    users = {
        "anonymous": None,
        "member": member(OrganisationFactory(), Role.ENTERPRISE_MEMBER),
        "broker": member(agency, Role.BROKER),
        "bureau": member(bureau_org, Role.BUREAU_STAFF),
    }
    url = reverse("catalog-api:requirement-list")

    def add_requirements(count: int) -> None:
        for _ in range(count):
            requirement = RequirementFactory(organisation=owner)
            requirement.assigned_brokers.add(users["broker"])
            Attachment.objects.create(requirement=requirement, file="attachments/spec.pdf",
                                      original_name="spec.pdf", size=10)

    def queries_for_list(expected_items: int) -> int:
        client = client_for(users[role])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.json()["results"]) == expected_items
        return len(ctx.captured_queries)

    add_requirements(1)
    one = queries_for_list(1)
    add_requirements(2)
    three = queries_for_list(3)

    assert one == three
    assert three <= 10
