"""The public home page and the per-role dashboard."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.enums import Role
from accounts.models import Membership
from catalog.enums import EvaluationStatus, ListingStatus
from catalog.models import ExpertEvaluation
from tests.factories import AchievementFactory, RequirementFactory, UserFactory

SECTIONS = ("requirements", "achievements", "bureau", "broker", "expert", "investor")


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def hidden_from_outsiders(world) -> list:
    return [world.req_members, world.req_restricted, world.req_draft, world.req_rejected_b,
            world.ach_screened, world.ach_restricted]


# --- home -------------------------------------------------------------------------------

def test_home_anonymous_sees_only_public_live_listings(client, world):
    response = client.get(reverse("portal:home"))

    content = response.content.decode()
    assert response.status_code == 200
    assert world.req_public.title in content
    assert world.ach_public.title in content
    assert reverse("catalog:requirement-detail", args=[world.req_public.pk]) in content
    assert reverse("catalog:achievement-detail", args=[world.ach_public.pk]) in content
    for listing in hidden_from_outsiders(world):
        assert listing.title not in content
    assert (response.context["requirement_count"], response.context["achievement_count"]) == (1, 1)
    # approved organisations only: the pending one is not counted
    assert response.context["organisation_count"] == 6


def test_home_search_box_targets_requirement_list(client, db):
    content = client.get(reverse("portal:home")).content.decode()

    assert f'action="{reverse("catalog:requirement-list")}"' in content
    assert 'name="q"' in content


def test_home_member_also_sees_members_tier_but_not_restricted_or_drafts(client, world):
    client.force_login(world.ent_b_member)

    content = client.get(reverse("portal:home")).content.decode()

    assert world.req_public.title in content
    assert world.req_members.title in content
    for listing in (world.req_restricted, world.req_draft, world.ach_restricted, world.ach_screened):
        assert listing.title not in content


def test_home_shows_at_most_six_latest_requirements(client, world):
    RequirementFactory.create_batch(7, organisation=world.ent_b)

    response = client.get(reverse("portal:home"))

    assert len(response.context["latest_requirements"]) == 6


# --- dashboard --------------------------------------------------------------------------

def dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    return response


def sections_of(response) -> set[str]:
    return {name for name in SECTIONS if response.context.get(name)}


def test_dashboard_requires_sign_in(client, db):
    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_dashboard_enterprise_member_sees_own_requirements_only(client, world):
    response = dashboard(client, world.ent_b_member)

    content = response.content.decode()
    assert sections_of(response) == {"requirements"}
    assert world.req_rejected_b.title in content
    assert world.req_draft.title not in content  # ent_a's draft
    assert world.req_restricted.title not in content
    assert reverse("catalog:requirement-create") in content
    assert response.context["requirements"]["counts"] == [
        {"status": ListingStatus.REJECTED, "label": "Rejected", "n": 1}
    ]


def test_dashboard_enterprise_counts_own_requirements_by_status(client, world):
    response = dashboard(client, world.ent_a_member)

    counts = {row["status"]: row["n"] for row in response.context["requirements"]["counts"]}
    assert counts == {ListingStatus.DRAFT: 1, ListingStatus.PUBLISHED: 3}
    assert world.req_draft.title in response.content.decode()


def test_dashboard_university_member_sees_own_achievements(client, world):
    response = dashboard(client, world.uni_member)

    content = response.content.decode()
    assert sections_of(response) == {"achievements"}
    assert world.ach_screened.title in content
    assert world.ach_restricted.title in content
    assert world.req_draft.title not in content
    assert reverse("catalog:achievement-create") in content


def test_dashboard_bureau_sees_queue_counts(client, world):
    RequirementFactory(organisation=world.ent_b, status=ListingStatus.SUBMITTED)

    response = dashboard(client, world.bureau)

    assert sections_of(response) == {"bureau"}
    assert response.context["bureau"] == {
        "pending_organisations": 1,
        "requirements": {"submitted": 1, "screened": 0},
        "achievements": {"submitted": 0, "screened": 1},
    }
    content = response.content.decode()
    assert reverse("catalog:screening") in content
    assert reverse("accounts:organisation-pending") in content


def test_dashboard_broker_sees_only_listings_assigned_to_them(client, world):
    response = dashboard(client, world.broker)

    assert sections_of(response) == {"broker"}
    assert [r.pk for r in response.context["broker"]["requirements"]] == [world.req_restricted.pk]
    assert world.req_restricted.title in response.content.decode()

    other = dashboard(client, world.other_broker)
    assert other.context["broker"] == {"requirements": [], "achievements": []}
    assert world.req_restricted.title not in other.content.decode()


def test_dashboard_expert_sees_open_evaluations(client, world):
    ExpertEvaluation.objects.create(achievement=world.ach_screened, expert=world.expert, assigned_by=world.bureau)
    ExpertEvaluation.objects.create(achievement=world.ach_public, expert=world.expert,
                                    status=EvaluationStatus.SUBMITTED)
    ExpertEvaluation.objects.create(achievement=world.ach_restricted, expert=UserFactory())

    response = dashboard(client, world.expert)

    content = response.content.decode()
    assert sections_of(response) == {"expert"}
    assert response.context["expert"]["count"] == 1
    assert world.ach_screened.title in content
    assert world.ach_restricted.title not in content
    assert reverse("catalog:evaluation-list") in content


def test_dashboard_investor_sees_latest_published_achievements(client, world):
    response = dashboard(client, world.investor)

    content = response.content.decode()
    assert sections_of(response) == {"investor"}
    assert [a.pk for a in response.context["investor"]["achievements"]] == [world.ach_public.pk]
    assert world.ach_screened.title not in content


def test_dashboard_pending_account_is_told_to_wait(client, world):
    response = dashboard(client, world.pending_user)

    assert sections_of(response) == set()
    assert response.context["pending_organisations"] == [world.pending_org]
    assert "your organisation awaits approval by the bureau" in response.content.decode()


def test_dashboard_user_with_several_roles_sees_each_section(client, world):
    Membership.objects.create(user=world.ent_a_member, organisation=world.ent_a, role=Role.EXPERT)
    ExpertEvaluation.objects.create(achievement=world.ach_screened, expert=world.ent_a_member)

    response = dashboard(client, world.ent_a_member)

    assert sections_of(response) == {"requirements", "expert"}
    content = response.content.decode()
    assert world.req_draft.title in content
    assert world.ach_screened.title in content


def test_dashboard_queries_do_not_grow_with_listings(client, world):
    """Every section on at once; adding listings to each must not add queries."""
    user = world.ent_a_member
    for org, role in ((world.ent_a, Role.EXPERT), (world.uni, Role.UNIVERSITY_MEMBER),
                      (world.bureau_org, Role.BROKER), (world.investor_org, Role.INVESTOR)):
        Membership.objects.create(user=user, organisation=org, role=role)
    client.force_login(user)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("portal:dashboard")).status_code == 200
        return len(ctx.captured_queries)

    def add_one() -> None:
        requirement = RequirementFactory(organisation=world.ent_a, status=ListingStatus.DRAFT)
        requirement.assigned_brokers.add(user)
        achievement = AchievementFactory(organisation=world.uni)
        ExpertEvaluation.objects.create(achievement=achievement, expert=user)

    add_one()
    first = count()
    add_one()
    add_one()
    assert count() == first


def test_home_queries_do_not_grow_with_listings(client, world):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("portal:home"))
        return len(ctx.captured_queries)

    first = count()
    RequirementFactory.create_batch(2, organisation=world.ent_b)
    AchievementFactory.create_batch(2, organisation=world.uni)
    assert count() == first
