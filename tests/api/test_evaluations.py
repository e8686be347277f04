"""Expert evaluation through the API: the bureau assigns, the expert scores, the bureau decides."""

from decimal import Decimal

from django.urls import reverse
from rest_framework.test import APIClient

from catalog.enums import EvaluationResult, EvaluationStatus, ListingStatus
from catalog.models import Achievement, ExpertEvaluation

SCORES = {"novelty": 8, "maturity": 7, "market": 9, "team": 6, "comment": "工艺成熟，市场前景好。", "recommend": True}


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def url(name: str, *args) -> str:
    return reverse(f"catalog-api:{name}", args=args)


def assign(world) -> ExpertEvaluation:
    response = client_for(world.bureau).post(
        url("evaluation-list"), {"achievement": world.ach_screened.pk, "expert": world.expert.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    return ExpertEvaluation.objects.get(pk=response.json()["id"])


def test_evaluation_assign_submit_decide_publishes_the_achievement(world):
    evaluation = assign(world)
    assert (evaluation.achievement_id, evaluation.expert_id, evaluation.status) == (
        world.ach_screened.pk, world.expert.pk, EvaluationStatus.ASSIGNED)
    expert = client_for(world.expert)
    # The assigned expert now has full access to the achievement under evaluation.
    assert expert.get(url("achievement-detail", world.ach_screened.pk)).status_code == 200

    submitted = expert.post(url("evaluation-submit", evaluation.pk), SCORES, format="json")
    assert submitted.status_code == 200
    assert submitted.json()["total"] == 7.5
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.novelty, evaluation.team, evaluation.recommend) == (
        EvaluationStatus.SUBMITTED, 8, 6, True)

    decided = client_for(world.bureau).post(url("achievement-decide", world.ach_screened.pk),
                                            {"passed": True}, format="json")
    assert decided.status_code == 200
    assert decided.json()["status"] == "published"
    achievement = Achievement.objects.get(pk=world.ach_screened.pk)
    assert (achievement.status, achievement.evaluation_result, achievement.evaluation_score) == (
        ListingStatus.PUBLISHED, EvaluationResult.PASSED, Decimal("7.50"))
    assert achievement.evaluation_decided_by_id == world.bureau.pk


def test_evaluation_decide_failed_rejects_with_reason(world):
    evaluation = assign(world)
    client_for(world.expert).post(url("evaluation-submit", evaluation.pk), SCORES, format="json")

    response = client_for(world.bureau).post(url("achievement-decide", world.ach_screened.pk),
                                             {"passed": False, "reason": "创新性不足"}, format="json")

    assert response.status_code == 200
    achievement = Achievement.objects.get(pk=world.ach_screened.pk)
    assert (achievement.status, achievement.evaluation_result, achievement.status_reason) == (
        ListingStatus.REJECTED, EvaluationResult.FAILED, "创新性不足")


def test_evaluation_decide_before_scores_is_400_and_by_non_bureau_403(world):
    assign(world)

    early = client_for(world.bureau).post(url("achievement-decide", world.ach_screened.pk), {"passed": True},
                                          format="json")
    by_expert = client_for(world.expert).post(url("achievement-decide", world.ach_screened.pk), {"passed": True},
                                              format="json")
    missing = client_for(world.bureau).post(url("achievement-decide", world.ach_screened.pk), {}, format="json")

    assert (early.status_code, early.json()["code"]) == (400, "no_scores")
    assert by_expert.status_code == 403
    assert (missing.status_code, set(missing.json())) == (400, {"passed"})
    assert Achievement.objects.get(pk=world.ach_screened.pk).status == ListingStatus.SCREENED


def test_evaluation_list_shows_experts_their_own_and_bureau_all(world):
    evaluation = assign(world)

    def ids(user) -> list[int]:
        return [item["id"] for item in client_for(user).get(url("evaluation-list")).json()["results"]]

    assert ids(world.expert) == [evaluation.pk]
    assert ids(world.bureau) == [evaluation.pk]
    assert ids(world.uni_member) == []
    assert ids(world.ent_a_member) == []
    assert client_for(None).get(url("evaluation-list")).status_code == 403


def test_evaluation_submit_by_someone_else_is_404_and_nothing_changes(world):
    evaluation = assign(world)

    response = client_for(world.uni_member).post(url("evaluation-submit", evaluation.pk), SCORES, format="json")

    assert response.status_code == 404
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.novelty) == (EvaluationStatus.ASSIGNED, None)


def test_evaluation_submit_with_out_of_range_scores_is_400_with_field_keys(world):
    evaluation = assign(world)

    response = client_for(world.expert).post(
        url("evaluation-submit", evaluation.pk), {**SCORES, "novelty": 11, "market": 0, "team": "good"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"novelty", "market", "team"}
    assert ExpertEvaluation.objects.get(pk=evaluation.pk).status == EvaluationStatus.ASSIGNED


def test_evaluation_assign_refusals(world):
    bureau = client_for(world.bureau)

    not_screened = bureau.post(url("evaluation-list"), {"achievement": world.ach_public.pk,
                                                        "expert": world.expert.pk}, format="json")
    not_expert = bureau.post(url("evaluation-list"), {"achievement": world.ach_screened.pk,
                                                      "expert": world.ent_b_member.pk}, format="json")
    # ent_a cannot see the screened achievement: a field error, not a hint that it exists.
    invisible = client_for(world.ent_a_member).post(
        url("evaluation-list"), {"achievement": world.ach_screened.pk, "expert": world.expert.pk}, format="json"
    )
    visible_not_bureau = client_for(world.ent_a_member).post(
        url("evaluation-list"), {"achievement": world.ach_public.pk, "expert": world.expert.pk}, format="json"
    )

    assert (not_screened.status_code, not_screened.json()["code"]) == (400, "not_screened")
    assert (not_expert.status_code, not_expert.json()["code"]) == (400, "not_expert")
    assert (invisible.status_code, set(invisible.json())) == (400, {"achievement"})
    assert visible_not_bureau.status_code == 403
    assert ExpertEvaluation.objects.count() == 0
