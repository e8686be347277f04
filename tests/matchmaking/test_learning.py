"""Learning ranking from brokers' decisions: the learner on synthetic data (no database), then
training from decided suggestions and a run that ranks with the stored model (no encoder: the
run's vectors are written straight to the database)."""

import json

import numpy as np
import pytest

from catalog.enums import ListingKind
from common.errors import PermissionDenied
from matchmaking import learning, learning_services, services
from matchmaking.engine import Calibration, MatchParams
from matchmaking.models import (
    ListingEmbedding,
    PreDockingRun,
    RankingModel,
    RunCandidate,
    RunStage,
    RunStatus,
    Suggestion,
    SuggestionStatus,
)
from matchmaking.tasks import train_ranking_model_task
from tests.factories import AchievementFactory, RequirementFactory
from tests.matchmaking.builders import make_run, make_suggestion

F = {name: i for i, name in enumerate(learning.FEATURES)}


def synthetic(n: int, seed: int = 7, *, field_of=lambda i: [1], region_taste: dict | None = None):
    """Pairs whose approval depends on dense (+), fields (+) and blocking (−); a field listed in
    ``region_taste`` also cares about the region component with that weight."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, len(learning.FEATURES)))
    x[:, F["blocking"]] = rng.random(n) < 0.2
    x[:, F["cross_language"]] = rng.random(n) < 0.1
    field_ids = [field_of(i) for i in range(n)]
    logit = -1.0 + 4.0 * x[:, F["dense"]] + 2.0 * x[:, F["fields"]] - 3.0 * x[:, F["blocking"]]
    for i, fids in enumerate(field_ids):
        for f in fids:
            logit[i] += (region_taste or {}).get(f, 0.0) * (x[i, F["region"]] - 0.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    return x, y, field_ids


# --- the learner -----------------------------------------------------------------------------

def test_fit_recovers_the_direction_of_the_true_weights():
    x, y, field_ids = synthetic(3000)

    ranker = learning.fit(x, y, field_ids)

    weights = ranker.readable_weights()["global"]
    assert weights["dense"] > 2.5 and weights["fields"] > 1.0 and weights["blocking"] < -2.0
    noise = [abs(weights[name]) for name in ("lexical", "trl", "modes", "ip", "budget", "region")]
    assert max(noise) < 0.5
    learned = np.array([weights[name] for name in learning.FEATURES])
    true = np.zeros(len(learning.FEATURES))
    true[[F["dense"], F["fields"], F["blocking"]]] = [4.0, 2.0, -3.0]
    assert learned @ true / (np.linalg.norm(learned) * np.linalg.norm(true)) > 0.95
    assert learning.auc(ranker.predict(x, field_ids), y) > 0.75


def test_a_field_with_few_decisions_keeps_the_global_weights():
    x, y, field_ids = synthetic(600, field_of=lambda i: [2] if i < 3 else [1])
    y[:3] = [1.0, 0.0, 1.0]

    default = learning.fit(x, y, field_ids)
    no_floor = learning.fit(x, y, field_ids, min_field_decisions=0)

    assert 2 not in default.field_weights and default.counts["fields"]["2"] == 3
    np.testing.assert_array_equal(default.predict(x[:20], [[2]] * 20), default.predict(x[:20], [[]] * 20))
    # even fitted, three decisions barely move the field away from the global model (shrinkage)
    assert 2 in no_floor.field_weights
    gap = np.abs(no_floor.predict(x, [[2]] * len(x)) - no_floor.predict(x, [[]] * len(x)))
    assert gap.max() < 0.05


def test_a_field_with_enough_decisions_learns_its_own_taste():
    x, y, field_ids = synthetic(4000, field_of=lambda i: [1] if i % 2 else [2], region_taste={2: 6.0})

    ranker = learning.fit(x, y, field_ids)

    readable = ranker.readable_weights()
    assert readable["fields"]["2"]["region"] > 2.0
    assert abs(readable["fields"]["1"]["region"]) < readable["fields"]["2"]["region"] / 2
    # a requirement in both fields gets the mean of their corrections
    both = ranker.logits(x[:5], [[1, 2]] * 5)
    expected = (ranker.logits(x[:5], [[1]] * 5) + ranker.logits(x[:5], [[2]] * 5)) / 2
    np.testing.assert_allclose(both, expected)


def test_a_model_round_trips_through_json_and_fits_deterministically():
    x, y, field_ids = synthetic(1500, field_of=lambda i: [1 + i % 3], region_taste={3: 4.0})

    ranker = learning.fit(x, y, field_ids)
    again = learning.fit(x, y, field_ids)
    loaded = learning.Ranker.from_json(json.loads(json.dumps(ranker.to_json())))

    assert json.dumps(again.to_json()) == json.dumps(ranker.to_json())
    np.testing.assert_array_equal(loaded.predict(x, field_ids), ranker.predict(x, field_ids))
    assert loaded.counts["decisions"] == 1500 and set(loaded.field_weights) == {1, 2, 3}
    with pytest.raises(ValueError):
        learning.Ranker.from_json({**ranker.to_json(), "version": 0})


def test_fit_refuses_a_single_class():
    x, _y, field_ids = synthetic(50)
    with pytest.raises(ValueError):
        learning.fit(x, np.ones(50), field_ids)


def test_pair_features_use_the_run_calibration_per_language_pair():
    calibration = Calibration(dense_mu=0.8, lexical_k=4.0, dense_mu_by_language={("zh", "en"): 0.7})
    components = {"fields": 1.0, "trl": 0.75, "modes": 1.0, "ip": 0.0, "budget": 0.4}  # region missing
    flags = [{"code": "ip_mode", "blocking": True, "params": {}}]

    same = learning.pair_features(dense=0.9, lexical=4.0, components=components, flags=flags, req_lang="zh",
                                  ach_lang="zh", calibration=calibration)
    cross = learning.pair_features(dense=0.85, lexical=0.0, components=components, flags=[], req_lang="zh",
                                   ach_lang="en", calibration=calibration)

    assert same == pytest.approx([0.5, 0.5, 1.0, 0.75, 1.0, 0.0, 0.4, 0.5, 1.0, 0.0])
    assert cross[F["dense"]] == pytest.approx(0.5) and cross[F["cross_language"]] == 1.0
    assert cross[F["blocking"]] == 0.0
    restored = learning.calibration_from_report({"dense_mu": 0.8, "lexical_k": 4.0,
                                                 "dense_mu_by_language": {"zh→en": 0.7}})
    assert restored == calibration


def test_ranking_metrics_and_the_holdout_split():
    groups = [1, 1, 1, 2, 2, 3]  # group 3 has one item: nothing to rank
    labels = np.array([0, 1, 1, 1, 0, 1])
    good = np.array([0.1, 0.9, 0.8, 0.7, 0.2, 0.5])
    bad = -good

    assert learning.ranking_metrics(groups, good, labels) == {"p@1": 1.0, "p@3": 0.5833, "ndcg@5": 1.0, "groups": 2}
    worst = learning.ranking_metrics(groups, bad, labels)
    assert worst["p@1"] == 0.0 and worst["ndcg@5"] < 1.0
    assert learning.auc(good, labels) == 1.0 and learning.auc(bad, labels) == 0.0

    many = list(range(100)) * 3
    mask = learning.holdout_groups(many, fraction=0.25, seed=3)
    held = {g for g, m in zip(many, mask, strict=True) if m}
    assert len(held) == 25 and all(mask[i] == (many[i] in held) for i in range(len(many)))
    np.testing.assert_array_equal(mask, learning.holdout_groups(many, fraction=0.25, seed=3))
    assert held != {g for g, m in zip(many, learning.holdout_groups(many, fraction=0.25, seed=4), strict=True) if m}


# --- with the database -----------------------------------------------------------------------

CALIBRATION = {"dense_mu": 0.7, "lexical_k": 5.0, "dense_mu_by_language": {}}


def decided(world, n_requirements: int = 12, n_achievements: int = 5):
    """Decisions that a broker made on one clear habit: approve a pair whose TRL fits, reject the
    others, although the engine ranked the rejected ones higher."""
    run = make_run(world, report={"calibration": CALIBRATION})
    reqs = [RequirementFactory(organisation=world.ent_a) for _ in range(n_requirements)]
    achs = [AchievementFactory(organisation=world.uni) for _ in range(n_achievements)]
    for i, req in enumerate(reqs):
        for j, ach in enumerate(achs):
            approve = (i + j) % 2 == 0
            make_suggestion(
                run, req, ach, status=SuggestionStatus.APPROVED if approve else SuggestionStatus.REJECTED,
                score=0.5 - 0.02 * j if approve else 0.6 + 0.02 * j,
                dense=0.85, lexical=3.0,
                components={"fields": 1.0, "trl": 1.0 if approve else 0.25, "modes": 1.0, "ip": 1.0,
                            "budget": 1.0, "region": 0.5},
                flags=[] if approve else [{"code": "trl_gap", "blocking": False, "params": {}}],
            )
    return run, reqs, achs


@pytest.mark.django_db
def test_training_stores_evaluates_and_activates_the_model(world):
    decided(world)
    previous = RankingModel.objects.create(n_decisions=10, n_fields=0, weights={}, metrics={}, is_active=True)

    model = learning_services.ranking_model_train(actor=world.bureau, min_decisions=40)

    model.refresh_from_db()
    previous.refresh_from_db()
    assert model.is_active and not previous.is_active
    assert model.n_decisions == 60 and model.trained_by == world.bureau
    heldout = model.metrics["heldout"]
    assert heldout["heldout_requirements"] == 3 and heldout["train_decisions"] == 45
    assert heldout["default"]["p@1"] == 0.0 and heldout["blend"]["p@1"] == 1.0
    assert heldout["learned"]["auc"] == 1.0 and heldout["default"]["auc"] == 0.0
    assert model.metrics["weights"]["global"]["trl"] > 0
    ranker = learning.Ranker.from_json(model.weights)
    assert ranker.counts == {"decisions": 60, "approvals": 30, "fields": {str(world.req_public.fields.get().pk): 60}}
    # the same decisions again (the nightly task too): the same model, not a second one
    assert learning_services.ranking_model_train(min_decisions=40) == model
    assert train_ranking_model_task.apply(kwargs={"min_decisions": 40}).get() == model.pk
    assert RankingModel.objects.count() == 2
    assert learning_services.active_ranking_model() == model


@pytest.mark.django_db
def test_training_needs_enough_decisions_and_bureau_staff(world):
    decided(world, n_requirements=4)

    assert learning_services.ranking_model_train(min_decisions=50) is None
    with pytest.raises(PermissionDenied):
        learning_services.ranking_model_train(actor=world.broker, min_decisions=10)
    assert not RankingModel.objects.exists()


@pytest.mark.django_db
def test_a_model_that_would_lower_precision_is_stored_but_not_activated(world, settings):
    settings.TECHDOCK_LEARNED_BLEND = 1.0
    run, reqs, _achs = decided(world)
    # Every pair looks the same to the learner, while the engine's score ranks every approval
    # first; each requirement's first decision is a rejection, which a flat model puts on top.
    for req in reqs:
        first = Suggestion.objects.filter(run=run, requirement=req).order_by("pk").first()
        Suggestion.objects.filter(pk=first.pk).update(status=SuggestionStatus.REJECTED)
    Suggestion.objects.filter(run=run).update(
        components={"fields": 1.0, "trl": 1.0, "modes": 1.0, "ip": 1.0, "budget": 1.0, "region": 0.5}, flags=[])
    Suggestion.objects.filter(run=run, status=SuggestionStatus.APPROVED).update(score=0.9)
    Suggestion.objects.filter(run=run, status=SuggestionStatus.REJECTED).update(score=0.1)

    model = learning_services.ranking_model_train(min_decisions=40)

    assert model is not None and not model.is_active and model.metrics["activated"] is False
    assert model.metrics["heldout"]["default"]["p@1"] == 1.0
    assert model.metrics["heldout"]["blend"]["p@1"] == 0.0
    assert learning_services.active_ranking_model() is None


def coverage_run(reqs, achs) -> PreDockingRun:
    """A run whose matching is done: vectors and candidates are in the database, the coverage
    stage is next (what a worker finds when it picks up the coverage task)."""
    rng = np.random.default_rng(1)
    for kind, listings in ((ListingKind.REQUIREMENT, reqs), (ListingKind.ACHIEVEMENT, achs)):
        for listing in listings:
            vector = rng.normal(size=16).astype("<f4")
            vector /= np.linalg.norm(vector)
            ListingEmbedding.objects.create(kind=kind, listing_id=listing.pk, model_name="test-encoder",
                                            content_hash="h", dim=16, vector=vector.tobytes())
    run = PreDockingRun.objects.create(
        scope_key="learning-test", status=RunStatus.RUNNING, stage=RunStage.COVERAGE,
        params=MatchParams(k_requirement=2).to_dict(), model_name="test-encoder",
        requirement_ids=[r.pk for r in reqs], achievement_ids=[a.pk for a in achs], chunks_total=1)
    for i, req in enumerate(reqs):
        for j, ach in enumerate(achs):
            fits = (i + j) % 2 == 0
            RunCandidate.objects.create(
                run=run, requirement=req, achievement=ach, score=0.5 if fits else 0.6, dense=0.85, lexical=3.0,
                structured=0.8, components={"fields": 1.0, "trl": 1.0 if fits else 0.25, "modes": 1.0, "ip": 1.0,
                                            "budget": 1.0, "region": 0.5},
                flags=[] if fits else [{"code": "trl_gap", "blocking": False, "params": {}}], requirement_rank=j + 1)
    return run


@pytest.mark.django_db
def test_a_run_ranks_with_the_active_model_and_records_it(world, settings):
    settings.TECHDOCK_LEARNED_BLEND = 0.5
    _run, reqs, achs = decided(world)
    model = learning_services.ranking_model_train(min_decisions=40)
    assert model.is_active
    new_reqs = [RequirementFactory(organisation=world.ent_b) for _ in range(3)]
    run = coverage_run(new_reqs, achs[:4])
    services._engines.clear()  # the coverage task runs where no engine of this run is loaded

    services.run_coverage(run.pk)

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.report["learned_ranking"]["model_id"] == model.pk
    assert run.report["learned_ranking"]["blend"] == 0.5 and "calibration" in run.report
    suggestions = list(Suggestion.objects.filter(run=run))
    assert len(suggestions) >= 6
    for s in suggestions:
        assert 0.0 < s.components["learned"] < 1.0
        assert s.score == pytest.approx(0.5 * s.components["fused"] + 0.5 * s.components["learned"])
    # the broker's habit wins over the engine's higher fused score: each requirement's two
    # suggestions are the pairs whose TRL fits
    for req in new_reqs:
        chosen = Suggestion.objects.filter(run=run, requirement=req).order_by("-score")[:2]
        assert all(s.components["trl"] == 1.0 for s in chosen)


@pytest.mark.django_db
def test_learned_ranking_can_be_switched_off(world, settings):
    settings.TECHDOCK_LEARNED_RANKING = False
    _run, _reqs, achs = decided(world)
    assert learning_services.ranking_model_train(min_decisions=40).is_active
    run = coverage_run([RequirementFactory(organisation=world.ent_b)], achs[:4])

    services.run_coverage(run.pk)

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and "learned_ranking" not in run.report
    assert all("learned" not in s.components for s in Suggestion.objects.filter(run=run))
    assert set(Suggestion.objects.filter(run=run, via_coverage=False).values_list("score", flat=True)) == {0.6}
