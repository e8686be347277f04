"""Creating, editing and moving listings through their lifecycle via the API."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.enums import ListingStatus
from catalog.models import Achievement, ListingStatusChange, Requirement


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def requirement_payload(world, **overrides) -> dict:
    payload = {
        "organisation": world.ent_a.pk,
        "title": "氢燃料电池双极板涂层需求",
        "summary": "寻求耐腐蚀、导电性好的金属双极板涂层技术，寿命达到5000小时。",
        "fields": ["hydrogen", "energy-storage"],
        "keywords": ["氢能", "双极板"],
        "cooperation_modes": ["development", "transfer"],
        "trl_min": 4,
        "budget_min": 20,
        "budget_max": 80,
    }
    payload.update(overrides)
    return payload


def url(name: str, *args) -> str:
    return reverse(f"catalog-api:{name}", args=args)


def test_requirement_create_submit_screen_publish_through_the_api(world):
    owner, bureau = client_for(world.ent_a_member), client_for(world.bureau)

    created = owner.post(url("requirement-list"), requirement_payload(world), format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    requirement = Requirement.objects.get(pk=pk)
    assert (requirement.status, requirement.organisation_id, requirement.created_by_id) == (
        ListingStatus.DRAFT, world.ent_a.pk, world.ent_a_member.pk)
    assert sorted(requirement.fields.values_list("code", flat=True)) == ["energy-storage", "hydrogen"]
    assert requirement.keywords == ["氢能", "双极板"]
    assert created.json()["status"] == "draft"
    assert created.json()["budget_max"] == 80

    assert owner.post(url("requirement-submit", pk)).json()["status"] == "submitted"
    refused = owner.post(url("requirement-screen", pk), {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only bureau staff can screen listings."
    assert Requirement.objects.get(pk=pk).status == ListingStatus.SUBMITTED

    assert bureau.post(url("requirement-screen", pk), {"note": "ok"}, format="json").json()["status"] == "screened"
    published = bureau.post(url("requirement-publish", pk))
    assert published.status_code == 200
    assert published.json()["status"] == "published"

    requirement.refresh_from_db()
    assert requirement.status == ListingStatus.PUBLISHED
    assert requirement.submitted_at is not None and requirement.published_at is not None
    assert list(ListingStatusChange.objects.filter(listing_id=pk, kind="requirement").values_list(
        "from_status", "to_status")) == [("", "draft"), ("draft", "submitted"), ("submitted", "screened"),
                                        ("screened", "published")]
    anonymous = client_for(None).get(url("requirement-detail", pk))
    assert anonymous.status_code == 200
    assert "budget_max" not in anonymous.json()


def test_requirement_create_with_submit_flag_goes_straight_to_screening(world):
    response = client_for(world.ent_a_member).post(
        url("requirement-list"), requirement_payload(world, submit=True), format="json"
    )

    assert response.status_code == 201
    assert Requirement.objects.get(pk=response.json()["id"]).status == ListingStatus.SUBMITTED


def test_achievement_create_requires_trl_and_university_role(world):
    payload = {
        "organisation": world.uni.pk, "title": "高熵合金增材制造", "summary": "一种高熵合金粉末及其激光增材制造工艺。",
        "fields": ["energy-storage"], "cooperation_modes": ["licence"],
    }
    missing_trl = client_for(world.uni_member).post(url("achievement-list"), payload, format="json")
    assert missing_trl.status_code == 400
    assert set(missing_trl.json()) == {"trl"}

    wrong_role = client_for(world.ent_a_member).post(
        url("achievement-list"), {**payload, "trl": 5, "organisation": world.ent_a.pk}, format="json"
    )
    assert wrong_role.status_code == 403

    created = client_for(world.uni_member).post(url("achievement-list"), {**payload, "trl": 5}, format="json")
    assert created.status_code == 201
    achievement = Achievement.objects.get(pk=created.json()["id"])
    assert (achievement.trl, achievement.organisation_id, achievement.status) == (5, world.uni.pk, "draft")


# --- Who may edit what -------------------------------------------------------------------------

def test_requirement_patch_by_other_enterprise_is_404_when_invisible_and_403_when_visible(world):
    client = client_for(world.ent_b_member)

    invisible = client.patch(url("requirement-detail", world.req_draft.pk), {"title": "hijacked"}, format="json")
    visible = client.patch(url("requirement-detail", world.req_public.pk), {"title": "hijacked"}, format="json")

    assert invisible.status_code == 404
    assert visible.status_code == 403
    assert visible.json() == {"detail": "You cannot edit this listing in its current status.",
                              "code": "permission_denied"}
    assert Requirement.objects.get(pk=world.req_draft.pk).title == "草稿需求：未提交"
    assert Requirement.objects.get(pk=world.req_public.pk).title == "公开需求：锂电池回收"


def test_requirement_patch_by_owner_edits_draft_but_not_published(world):
    client = client_for(world.ent_a_member)

    draft = client.patch(url("requirement-detail", world.req_draft.pk),
                         {"title": "草稿需求：已修改", "fields": ["ai"]}, format="json")
    published = client.patch(url("requirement-detail", world.req_public.pk), {"title": "改"}, format="json")

    assert draft.status_code == 200
    assert draft.json()["title"] == "草稿需求：已修改"
    world.req_draft.refresh_from_db()
    assert world.req_draft.title == "草稿需求：已修改"
    assert list(world.req_draft.fields.values_list("code", flat=True)) == ["ai"]
    assert published.status_code == 403
    assert Requirement.objects.get(pk=world.req_public.pk).title == "公开需求：锂电池回收"


def test_requirement_put_is_not_offered(world):
    response = client_for(world.ent_a_member).put(
        url("requirement-detail", world.req_draft.pk), requirement_payload(world), format="json"
    )

    assert response.status_code == 405


def test_listing_writes_by_anonymous_are_refused(world):
    client = client_for(None)
    count = Requirement.objects.count()

    created = client.post(url("requirement-list"), requirement_payload(world), format="json")
    patched = client.patch(url("requirement-detail", world.req_public.pk), {"title": "x"}, format="json")
    withdrawn = client.post(url("requirement-withdraw", world.req_public.pk))

    assert [created.status_code, patched.status_code, withdrawn.status_code] == [403, 403, 403]
    assert Requirement.objects.count() == count
    world.req_public.refresh_from_db()
    assert (world.req_public.title, world.req_public.status) == ("公开需求：锂电池回收", ListingStatus.PUBLISHED)


@pytest.mark.parametrize("action", ["submit", "screen", "publish", "withdraw", "assign-brokers"])
def test_requirement_actions_on_an_invisible_listing_are_404(world, action):
    response = client_for(world.ent_b_member).post(url(f"requirement-{action}", world.req_draft.pk), {},
                                                   format="json")

    assert response.status_code == 404
    assert Requirement.objects.get(pk=world.req_draft.pk).status == ListingStatus.DRAFT


def test_requirement_withdraw_of_a_visible_foreign_listing_is_403(world):
    response = client_for(world.ent_b_member).post(url("requirement-withdraw", world.req_public.pk))

    assert response.status_code == 403
    assert response.json()["detail"] == "You cannot withdraw this listing."
    assert Requirement.objects.get(pk=world.req_public.pk).status == ListingStatus.PUBLISHED


def test_requirement_withdraw_by_owner_records_reason(world):
    response = client_for(world.ent_a_member).post(
        url("requirement-withdraw", world.req_public.pk), {"reason": "已找到合作方"}, format="json"
    )

    assert response.status_code == 200
    assert Requirement.objects.get(pk=world.req_public.pk).status == ListingStatus.WITHDRAWN
    change = ListingStatusChange.objects.get(listing_id=world.req_public.pk, kind="requirement")
    assert (change.from_status, change.to_status, change.reason) == ("published", "withdrawn", "已找到合作方")


def test_requirement_reject_needs_a_reason_and_shows_it_to_the_owner(world):
    client_for(world.ent_a_member).post(url("requirement-submit", world.req_draft.pk))
    bureau = client_for(world.bureau)

    no_reason = bureau.post(url("requirement-reject", world.req_draft.pk), {}, format="json")
    assert no_reason.status_code == 400
    assert set(no_reason.json()) == {"reason"}
    assert Requirement.objects.get(pk=world.req_draft.pk).status == ListingStatus.SUBMITTED

    rejected = bureau.post(url("requirement-reject", world.req_draft.pk), {"reason": "预算缺失"}, format="json")
    assert rejected.status_code == 200
    assert Requirement.objects.get(pk=world.req_draft.pk).status_reason == "预算缺失"
    owner_view = client_for(world.ent_a_member).get(url("requirement-detail", world.req_draft.pk)).json()
    assert (owner_view["status"], owner_view["status_reason"]) == ("rejected", "预算缺失")


def test_requirement_illegal_transition_is_400_with_code(world):
    response = client_for(world.bureau).post(url("requirement-publish", world.req_draft.pk))

    assert response.status_code == 400
    assert response.json()["code"] == "illegal_transition"
    assert Requirement.objects.get(pk=world.req_draft.pk).status == ListingStatus.DRAFT


def test_requirement_assign_brokers_lets_the_broker_see_a_restricted_listing(world):
    detail = url("requirement-detail", world.req_restricted.pk)
    assert client_for(world.other_broker).get(detail).status_code == 404

    response = client_for(world.bureau).post(url("requirement-assign-brokers", world.req_restricted.pk),
                                             {"brokers": [world.other_broker.pk]}, format="json")

    assert response.status_code == 200
    assert response.json()["assigned_brokers"] == [world.other_broker.pk]
    assert list(world.req_restricted.assigned_brokers.values_list("pk", flat=True)) == [world.other_broker.pk]
    seen = client_for(world.other_broker).get(detail)
    assert seen.status_code == 200
    assert seen.json()["budget_max"] == 200


def test_requirement_assign_brokers_refuses_non_brokers_and_unknown_ids(world):
    client = client_for(world.bureau)
    target = url("requirement-assign-brokers", world.req_restricted.pk)

    not_broker = client.post(target, {"brokers": [world.ent_b_member.pk]}, format="json")
    unknown = client.post(target, {"brokers": [999999]}, format="json")
    by_owner = client_for(world.ent_a_member).post(target, {"brokers": [world.other_broker.pk]}, format="json")

    assert (not_broker.status_code, not_broker.json()["code"]) == (400, "not_broker")
    assert (unknown.status_code, set(unknown.json())) == (400, {"brokers"})
    assert by_owner.status_code == 403
    assert list(world.req_restricted.assigned_brokers.values_list("pk", flat=True)) == [world.broker.pk]


# --- Mass assignment and malformed input ---------------------------------------------------------

def test_requirement_create_refuses_status_and_server_owned_keys(world):
    count = Requirement.objects.count()

    response = client_for(world.ent_a_member).post(
        url("requirement-list"),
        requirement_payload(world, status="published", created_by=world.bureau.pk, search_text="x"),
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"status", "created_by", "search_text"}
    assert Requirement.objects.count() == count


def test_requirement_create_for_another_organisation_is_refused(world):
    count = Requirement.objects.count()

    response = client_for(world.ent_a_member).post(
        url("requirement-list"), requirement_payload(world, organisation=world.ent_b.pk), format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "You cannot post listings for this organisation."
    assert Requirement.objects.count() == count


def test_requirement_patch_refuses_status_and_organisation(world):
    response = client_for(world.ent_a_member).patch(
        url("requirement-detail", world.req_draft.pk),
        {"status": "published", "organisation": world.ent_b.pk, "title": "改"}, format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"status", "organisation"}
    world.req_draft.refresh_from_db()
    assert (world.req_draft.status, world.req_draft.organisation_id, world.req_draft.title) == (
        ListingStatus.DRAFT, world.ent_a.pk, "草稿需求：未提交")


def test_requirement_internal_note_is_refused_from_non_bureau(world):
    response = client_for(world.ent_a_member).patch(
        url("requirement-detail", world.req_draft.pk), {"internal_note": "我们自己写的"}, format="json"
    )

    assert response.status_code == 400
    assert "internal_note" in response.json()["detail"]
    assert Requirement.objects.get(pk=world.req_draft.pk).internal_note == ""


def test_requirement_internal_note_is_set_by_bureau(world):
    response = client_for(world.bureau).patch(
        url("requirement-detail", world.req_draft.pk), {"internal_note": "需回访"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["internal_note"] == "需回访"
    assert Requirement.objects.get(pk=world.req_draft.pk).internal_note == "需回访"


def test_requirement_create_with_invalid_json_is_400(world):
    response = client_for(world.ent_a_member).generic(
        "POST", url("requirement-list"), '{"title": "unterminated', content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize(
    ("overrides", "error_keys"),
    [
        ({"trl_min": 42}, {"trl_min"}),
        ({"keywords": ["一", "二", "三", "四", "五", "六"]}, {"keywords"}),
        ({"fields": ["nope"]}, {"fields"}),
        ({"fields": []}, {"fields"}),
        ({"fields": ["ai", "iot", "software", "communications", "big-data-cloud", "integrated-circuits"]},
         {"fields"}),
        ({"keywords": "锂电池"}, {"keywords"}),
        ({"budget_min": "lots", "contact_email": "not-an-email"}, {"budget_min", "contact_email"}),
        ({"cooperation_modes": ["barter"]}, {"cooperation_modes"}),
        ({"cooperation_modes": []}, {"cooperation_modes"}),
        ({"title": "x" * 201}, {"title"}),
        ({"budget_min": 100, "budget_max": 10}, {"budget_max"}),
        ({"organisation": 999999}, {"organisation"}),
    ],
)
def test_requirement_create_with_malformed_payload_is_400_with_field_keys(world, overrides, error_keys):
    count = Requirement.objects.count()

    response = client_for(world.ent_a_member).post(
        url("requirement-list"), requirement_payload(world, **overrides), format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == error_keys
    assert Requirement.objects.count() == count


def test_requirement_create_with_a_list_body_is_400(world):
    response = client_for(world.ent_a_member).post(url("requirement-list"), [1, 2], format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}
