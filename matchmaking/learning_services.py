"""Learning from brokers' decisions, with the database: the decided suggestions as a data set,
training and activating a ``RankingModel``, and re-scoring a run's candidates with the active
one (called from the coverage stage, ``services.run_coverage``). The learner itself is
``matchmaking.learning``; the measurement is ``manage.py bench_learning`` (BENCHMARKS.md §3).

A decision is a suggestion in a reviewed status: ``APPROVED_STATUSES`` (approved and every
status after an approval) is an approval, ``rejected`` a rejection. A pair suggested again in
a later run counts once, with its latest status.
"""

import hashlib
import json
import logging
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from catalog.models import Achievement, Requirement
from common.errors import PermissionDenied
from matchmaking import learning, rules
from matchmaking.engine import Calibration
from matchmaking.models import APPROVED_STATUSES, REVIEWED_STATUSES, PreDockingRun, RankingModel, RunStatus, Suggestion

logger = logging.getLogger(__name__)

DEFAULT_BLEND = 0.5  # BENCHMARKS.md §3: most of 0.75's precision gain, more answer pairs kept in the top 3
HOLDOUT = 0.25
LEARNED_KEY = "learned"  # components key of the learned approval probability
FUSED_KEY = "fused"  # components key of the engine's score before blending
_BATCH = 2000  # ids per IN (…) query: SQLite's variable limit


def learned_ranking_enabled() -> bool:
    return bool(getattr(settings, "TECHDOCK_LEARNED_RANKING", True))


def learned_blend() -> float:
    return min(1.0, max(0.0, float(getattr(settings, "TECHDOCK_LEARNED_BLEND", DEFAULT_BLEND))))


def _batches(ids) -> list[list[int]]:
    ids = sorted(set(ids))
    return [ids[i:i + _BATCH] for i in range(0, len(ids), _BATCH)]


def requirement_fields(requirement_ids) -> dict[int, list[int]]:
    """Each requirement's field ids, in the order they were attached (the first is its primary field)."""
    through = Requirement.fields.through
    out: dict[int, list[int]] = {}
    for batch in _batches(requirement_ids):
        for req_id, field_id in through.objects.filter(requirement_id__in=batch).order_by("pk").values_list(
                "requirement_id", "field_id"):
            out.setdefault(req_id, []).append(field_id)
    return out


def _languages(model, ids) -> dict[int, str]:
    out: dict[int, str] = {}
    for batch in _batches(ids):
        out.update(model.objects.filter(pk__in=batch).values_list("pk", "language"))
    return out


# --- the data set ----------------------------------------------------------------------------

@dataclass
class Decisions:
    features: np.ndarray
    labels: np.ndarray  # 1 approved, 0 rejected
    fused: np.ndarray  # the engine's own score of each pair: the baseline ranking
    groups: np.ndarray  # requirement id: decisions are split by requirement
    field_ids: list[list[int]]
    suggestion_ids: list[int]
    skipped: int  # decisions whose run recorded no calibration (and no other run did either)

    def __len__(self) -> int:
        return len(self.labels)

    def fingerprint(self, extra: dict) -> str:
        """The same decisions (and training parameters) give the same fingerprint."""
        body = json.dumps([self.suggestion_ids, self.labels.astype(int).tolist(), extra], sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()


def _calibrations(run_ids) -> dict[int, Calibration]:
    """Each run's calibration from its report; a run without one (an incremental run, a run
    whose coverage ran on another worker than its matching) borrows the latest recorded one:
    calibration describes the encoder and corpus, which change slowly."""
    out: dict[int, Calibration] = {}
    for batch in _batches(run_ids):
        for pk, report in PreDockingRun.objects.filter(pk__in=batch).values_list("pk", "report"):
            calibration = learning.calibration_from_report((report or {}).get("calibration"))
            if calibration is not None:
                out[pk] = calibration
    missing = set(run_ids) - set(out)
    if missing:
        fallback = None
        for report in PreDockingRun.objects.filter(status=RunStatus.SUCCEEDED, report__has_key="calibration") \
                .order_by("-finished_at", "-pk").values_list("report", flat=True)[:20]:
            fallback = learning.calibration_from_report(report.get("calibration"))
            if fallback is not None:
                break
        if fallback is not None:
            out.update(dict.fromkeys(missing, fallback))
    return out


def decision_dataset() -> Decisions:
    """Every broker decision, one per pair (its latest), with the pair's features."""
    latest: dict[tuple[int, int], dict] = {}
    for row in Suggestion.objects.filter(status__in=REVIEWED_STATUSES).order_by("updated_at", "pk").values(
            "pk", "run_id", "requirement_id", "achievement_id", "status", "score", "dense", "lexical",
            "components", "flags", "requirement__language", "achievement__language"):
        latest[(row["requirement_id"], row["achievement_id"])] = row
    rows = sorted(latest.values(), key=lambda r: r["pk"])
    calibrations = _calibrations({r["run_id"] for r in rows})
    fields = requirement_fields({r["requirement_id"] for r in rows})
    features, labels, fused, groups, field_ids, ids = [], [], [], [], [], []
    skipped = 0
    approved = {str(s) for s in APPROVED_STATUSES}
    for r in rows:
        calibration = calibrations.get(r["run_id"])
        if calibration is None:
            skipped += 1
            continue
        components = r["components"] or {}
        features.append(learning.pair_features(
            dense=r["dense"], lexical=r["lexical"], components=components, flags=r["flags"] or [],
            req_lang=r["requirement__language"], ach_lang=r["achievement__language"], calibration=calibration))
        labels.append(1.0 if r["status"] in approved else 0.0)
        fused.append(float(components.get(FUSED_KEY, r["score"])))
        groups.append(r["requirement_id"])
        field_ids.append(fields.get(r["requirement_id"], []))
        ids.append(r["pk"])
    return Decisions(
        features=np.array(features, dtype=np.float64).reshape(-1, len(learning.FEATURES)),
        labels=np.array(labels, dtype=np.float64), fused=np.array(fused, dtype=np.float64),
        groups=np.array(groups, dtype=np.int64), field_ids=field_ids, suggestion_ids=ids, skipped=skipped,
    )


# --- training --------------------------------------------------------------------------------

def evaluate_holdout(data: Decisions, *, holdout: float, seed: int, blend: float) -> dict | None:
    """Train on the decisions of (1 − holdout) of the requirements, rank the other requirements'
    decided suggestions by the engine's score, the learned probability and the blend, and score
    each ranking against the held-back decisions. None when a side of the split lacks a class."""
    test = learning.holdout_groups(data.groups, fraction=holdout, seed=seed)
    train = ~test
    if not test.any() or len(set(data.labels[train].tolist())) < 2:
        return None
    ranker = learning.fit(data.features[train], data.labels[train], [data.field_ids[i] for i in np.flatnonzero(train)])
    probability = ranker.predict(data.features[test], [data.field_ids[i] for i in np.flatnonzero(test)])
    groups, labels = data.groups[test], data.labels[test]
    out = {"train_decisions": int(train.sum()), "heldout_decisions": int(test.sum()),
           "heldout_requirements": len(set(groups.tolist()))}
    for name, scores in (("default", data.fused[test]), ("learned", probability),
                         ("blend", learning.blend(data.fused[test], probability, blend))):
        out[name] = learning.ranking_metrics(groups, scores, labels) | {"auc": learning.auc(scores, labels)}
    return out


def _not_worse(evaluation: dict) -> bool:
    default, blended = evaluation["default"], evaluation["blend"]
    for key in ("p@1", "p@3"):
        if default[key] is None or blended[key] is None:
            return False  # no held-out requirement with two decisions: nothing shows it helps
        if blended[key] < default[key] - 1e-9:
            return False
    return True


def ranking_model_train(*, actor=None, min_decisions: int = 50, holdout: float = HOLDOUT,
                        seed: int = 0) -> RankingModel | None:
    """Learn ranking from every broker decision and store it as a ``RankingModel``.

    The model is evaluated on the decisions of a held-out ``holdout`` share of the requirements
    (trained on the rest), then refitted on all decisions; it is activated only when, held out,
    the blend a run would use is at least as precise at 1 and at 3 as the engine's own score.
    Returns None with fewer than ``min_decisions`` decisions or without both approvals and
    rejections. Idempotent: unchanged decisions give back the model already trained on them.

    Side effects: one ``RankingModel`` row; when it is activated, the previously active model
    is deactivated in the same transaction.
    """
    if actor is not None and not rules.can_start_run(actor):
        raise PermissionDenied(_("Only bureau staff can train the ranking model."))
    data = decision_dataset()
    params = {"holdout": holdout, "seed": seed, "blend": learned_blend(), "version": learning.VERSION,
              "l2": learning.L2, "field_l2": learning.FIELD_L2, "min_field_decisions": learning.MIN_FIELD_DECISIONS}
    if len(data) < max(1, min_decisions) or len(set(data.labels.tolist())) < 2:
        logger.info("ranking model not trained: %s decisions (at least %s, approvals and rejections needed)",
                    len(data), min_decisions)
        return None
    fingerprint = data.fingerprint(params)
    existing = RankingModel.objects.filter(metrics__fingerprint=fingerprint).order_by("-created_at", "-pk").first()
    if existing is not None:
        return existing
    evaluation = evaluate_holdout(data, holdout=holdout, seed=seed, blend=params["blend"])
    activate = evaluation is not None and _not_worse(evaluation)
    ranker = learning.fit(data.features, data.labels, data.field_ids)
    metrics = {
        "fingerprint": fingerprint, "params": params, "decisions": len(data), "approvals": int(data.labels.sum()),
        "requirements": len(set(data.groups.tolist())), "skipped_uncalibrated": data.skipped,
        "heldout": evaluation, "activated": activate, "weights": ranker.readable_weights(),
    }
    with transaction.atomic():
        model = RankingModel(trained_by=actor, n_decisions=len(data), n_fields=len(ranker.field_weights),
                             weights=ranker.to_json(), metrics=metrics)
        model.save()
        if activate:
            try:
                with transaction.atomic():
                    RankingModel.objects.filter(is_active=True).update(is_active=False)
                    RankingModel.objects.filter(pk=model.pk).update(is_active=True)
                    model.is_active = True
            except IntegrityError:  # a concurrent training activated its model first
                model.metrics["activated"] = False
                RankingModel.objects.filter(pk=model.pk).update(metrics=model.metrics)
    return model


# --- the active model ------------------------------------------------------------------------

_cache: dict[str, tuple] = {}


def active_ranking_model() -> RankingModel | None:
    """The active model, loaded once per process and reloaded when another one is activated
    (one small query per call compares its id and creation time)."""
    head = RankingModel.objects.filter(is_active=True).values_list("pk", "created_at").first()
    if head is None:
        return None
    hit = _cache.get("active")
    if hit is None or hit[0] != head:
        model = RankingModel.objects.get(pk=head[0])
        hit = (head, model, learning.Ranker.from_json(model.weights))
        _cache["active"] = hit
    return hit[1]


def ranker_for(model: RankingModel) -> learning.Ranker:
    hit = _cache.get("active")
    if hit is not None and hit[1].pk == model.pk and hit[0][1] == model.created_at:
        return hit[2]
    return learning.Ranker.from_json(model.weights)


# --- applying it -----------------------------------------------------------------------------

def pair_feature_rows(rows, calibration: Calibration) -> tuple[np.ndarray, list[list[int]]]:
    """Features and requirement fields of candidate or suggestion objects (``Scores`` rows)."""
    req_lang = _languages(Requirement, {r.requirement_id for r in rows})
    ach_lang = _languages(Achievement, {r.achievement_id for r in rows})
    fields = requirement_fields({r.requirement_id for r in rows})
    features = np.array([learning.pair_features(
        dense=r.dense, lexical=r.lexical, components=r.components or {}, flags=r.flags or [],
        req_lang=req_lang.get(r.requirement_id, ""), ach_lang=ach_lang.get(r.achievement_id, ""),
        calibration=calibration) for r in rows], dtype=np.float64).reshape(-1, len(learning.FEATURES))
    return features, [fields.get(r.requirement_id, []) for r in rows]


def candidates_rescore(cands: list, *, model: RankingModel, calibration: Calibration, blend: float) -> dict:
    """Blend the model's approval probability into each candidate's score, in memory (the
    candidate rows are not saved): ``score = (1 − blend)·fused + blend·p``; ``components`` gains
    the fused score and p. Returns the entry the run's report records."""
    features, field_ids = pair_feature_rows(cands, calibration)
    probability = ranker_for(model).predict(features, field_ids)
    fused = np.array([c.score for c in cands], dtype=np.float64)
    scores = learning.blend(fused, probability, blend)
    for c, p, f, s in zip(cands, probability.tolist(), fused.tolist(), scores.tolist(), strict=True):
        c.components = {**(c.components or {}), FUSED_KEY: f, LEARNED_KEY: p}
        c.score = s
    return {"learned_ranking": {"model_id": model.pk, "model_created_at": model.created_at.isoformat(),
                                "blend": blend, "version": learning.VERSION, "candidates": len(cands)}}
