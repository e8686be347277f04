"""Lifecycle rules of catalog.services, asserted on database state."""

import pytest
from django.core.exceptions import ValidationError

from catalog.enums import EvaluationResult, ListingStatus
from catalog.models import ExpertEvaluation, ListingStatusChange, Requirement
from catalog.services import (
    evaluation_assign,
    evaluation_decide,
    evaluation_submit,
    listing_create,
    listing_publish,
    listing_reject,
    listing_screen,
    listing_submit,
    listing_update,
    listing_withdraw,
)
from common.errors import ApplicationError, PermissionDenied
from tests.factories import field

DATA = {
    "title": "数控机床主轴热变形补偿技术需求",
    "summary": "高速主轴运行两小时后热伸长超过20微米，寻求实时补偿算法与传感方案。",
    "cooperation_modes": ["development"],
    "keywords": ["数控机床", "热变形"],
    "trl_min": 5,
}


def _history(listing):
    return list(
        ListingStatusChange.objects.filter(kind=listing.KIND, listing_id=listing.pk).values_list(
            "from_status", "to_status"
        )
    )


def test_requirement_lifecycle_draft_to_published_is_logged(world):
    req = listing_create(actor=world.ent_a_member, kind="requirement", organisation=world.ent_a, data=DATA,
                         fields=[field("machine-tools")])
    listing_submit(actor=world.ent_a_member, listing=req)
    listing_screen(actor=world.bureau, listing=req)
    listing_publish(actor=world.bureau, listing=req)

    req.refresh_from_db()
    assert req.status == ListingStatus.PUBLISHED
    assert req.published_at is not None and req.submitted_at is not None
    assert _history(req) == [("", "draft"), ("draft", "submitted"), ("submitted", "screened"),
                             ("screened", "published")]
    assert {"热变形", "变形", "数控机床"} <= set(req.search_text.split())


def test_listing_create_refuses_other_organisation_and_pending_organisation(world):
    with pytest.raises(PermissionDenied):
        listing_create(actor=world.ent_b_member, kind="requirement", organisation=world.ent_a, data=DATA,
                       fields=[field("ai")])
    with pytest.raises(ApplicationError):
        listing_create(actor=world.pending_user, kind="requirement", organisation=world.pending_org, data=DATA,
                       fields=[field("ai")])
    with pytest.raises(PermissionDenied):  # a university member cannot post requirements
        listing_create(actor=world.uni_member, kind="requirement", organisation=world.uni, data=DATA,
                       fields=[field("ai")])
    assert not Requirement.objects.filter(title=DATA["title"]).exists()


def test_listing_create_rejects_protected_fields(world):
    with pytest.raises(ApplicationError, match="status"):
        listing_create(actor=world.ent_a_member, kind="requirement", organisation=world.ent_a,
                       data={**DATA, "status": "published"}, fields=[field("ai")])
    assert not Requirement.objects.filter(title=DATA["title"]).exists()


def test_listing_create_validates_keywords_modes_and_fields(world):
    with pytest.raises(ValidationError) as exc:
        listing_create(actor=world.ent_a_member, kind="requirement", organisation=world.ent_a,
                       data={**DATA, "keywords": list("abcdef"), "cooperation_modes": []}, fields=[])
    assert {"keywords", "cooperation_modes", "fields"} <= set(exc.value.message_dict)
    assert not Requirement.objects.filter(title=DATA["title"]).exists()


def test_illegal_transition_is_refused_with_message(world):
    with pytest.raises(ApplicationError) as exc:
        listing_publish(actor=world.bureau, listing=world.req_draft)
    assert exc.value.code == "illegal_transition"
    world.req_draft.refresh_from_db()
    assert world.req_draft.status == ListingStatus.DRAFT


def test_only_bureau_screens_and_publishes(world):
    listing_submit(actor=world.ent_a_member, listing=world.req_draft)
    for actor in (world.ent_a_member, world.broker, world.expert, world.investor):
        with pytest.raises(PermissionDenied):
            listing_screen(actor=actor, listing=world.req_draft)
    world.req_draft.refresh_from_db()
    assert world.req_draft.status == ListingStatus.SUBMITTED


def test_rejected_listing_keeps_content_and_can_be_resubmitted(world):
    listing_submit(actor=world.ent_a_member, listing=world.req_draft)
    with pytest.raises(ValidationError):
        listing_reject(actor=world.bureau, listing=world.req_draft, reason="  ")
    listing_reject(actor=world.bureau, listing=world.req_draft, reason="请补充技术指标")
    req = Requirement.objects.get(pk=world.req_draft.pk)
    assert req.status == ListingStatus.REJECTED and req.status_reason == "请补充技术指标"
    assert req.title == "草稿需求：未提交"

    listing_update(actor=world.ent_a_member, listing=req, data={"technical_indicators": "精度 ±2 微米"})
    listing_submit(actor=world.ent_a_member, listing=req)
    req.refresh_from_db()
    assert req.status == ListingStatus.SUBMITTED and req.status_reason == ""
    assert req.technical_indicators == "精度 ±2 微米"


def test_owner_cannot_edit_published_listing_but_bureau_can(world):
    with pytest.raises(PermissionDenied):
        listing_update(actor=world.ent_a_member, listing=world.req_public, data={"title": "改标题"})
    listing_update(actor=world.bureau, listing=world.req_public, data={"internal_note": "跟进"})
    world.req_public.refresh_from_db()
    assert world.req_public.internal_note == "跟进"
    assert world.req_public.title == "公开需求：锂电池回收"


def test_withdraw_removes_listing_from_public_lists(world):
    from django.contrib.auth.models import AnonymousUser

    from catalog.selectors import listing_list_for_user

    listing_withdraw(actor=world.ent_a_member, listing=world.req_public, reason="已解决")
    titles = [r.title for r in listing_list_for_user(kind="requirement", user=AnonymousUser())]
    assert "公开需求：锂电池回收" not in titles
    with pytest.raises(PermissionDenied):  # already closed
        listing_withdraw(actor=world.ent_a_member, listing=world.req_public)


def test_achievement_publish_requires_passed_evaluation(world):
    with pytest.raises(ApplicationError) as exc:
        listing_publish(actor=world.bureau, listing=world.ach_screened)
    assert exc.value.code == "evaluation_required"


def test_expert_evaluation_flow_publishes_with_average_score(world):
    ev = evaluation_assign(actor=world.bureau, achievement=world.ach_screened, expert=world.expert)
    with pytest.raises(ApplicationError):
        evaluation_decide(actor=world.bureau, achievement=world.ach_screened, passed=True)
    with pytest.raises(PermissionDenied):
        evaluation_submit(actor=world.broker, evaluation=ev, novelty=9, maturity=9, market=9, team=9)
    with pytest.raises(ValidationError):
        evaluation_submit(actor=world.expert, evaluation=ev, novelty=11, maturity=8, market=7, team=6)
    evaluation_submit(actor=world.expert, evaluation=ev, novelty=9, maturity=8, market=7, team=6, comment="好")
    evaluation_decide(actor=world.bureau, achievement=world.ach_screened, passed=True)

    ach = type(world.ach_screened).objects.get(pk=world.ach_screened.pk)
    assert ach.status == ListingStatus.PUBLISHED
    assert ach.evaluation_result == EvaluationResult.PASSED
    assert float(ach.evaluation_score) == 7.5


def test_expert_cannot_evaluate_own_organisation_or_be_assigned_twice(world):
    from accounts.enums import Role
    from tests.factories import member

    uni_expert = member(world.uni, Role.EXPERT)
    with pytest.raises(ApplicationError) as exc:
        evaluation_assign(actor=world.bureau, achievement=world.ach_screened, expert=uni_expert)
    assert exc.value.code == "conflict_of_interest"
    evaluation_assign(actor=world.bureau, achievement=world.ach_screened, expert=world.expert)
    with pytest.raises(ApplicationError):
        evaluation_assign(actor=world.bureau, achievement=world.ach_screened, expert=world.expert)
    assert ExpertEvaluation.objects.filter(achievement=world.ach_screened).count() == 1


def test_failed_evaluation_rejects_and_resubmission_restarts_it(world):
    ev = evaluation_assign(actor=world.bureau, achievement=world.ach_screened, expert=world.expert)
    evaluation_submit(actor=world.expert, evaluation=ev, novelty=2, maturity=3, market=2, team=3)
    evaluation_decide(actor=world.bureau, achievement=world.ach_screened, passed=False, reason="成熟度不足")
    ach = type(world.ach_screened).objects.get(pk=world.ach_screened.pk)
    assert ach.status == ListingStatus.REJECTED and ach.status_reason == "成熟度不足"

    listing_submit(actor=world.uni_member, listing=ach)
    ach.refresh_from_db()
    assert ach.status == ListingStatus.SUBMITTED
    assert ach.evaluation_result == EvaluationResult.PENDING
    assert not ach.evaluations.exists()


def test_oversized_text_is_refused_with_field_message(world):
    with pytest.raises(ValidationError) as exc:
        listing_create(actor=world.ent_a_member, kind="requirement", organisation=world.ent_a,
                       data={**DATA, "description": "长" * 20001}, fields=[field("ai")])
    assert "description" in exc.value.message_dict
    assert not Requirement.objects.filter(title=DATA["title"]).exists()
