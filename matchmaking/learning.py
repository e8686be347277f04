"""Learning ranking from brokers' decisions, free of the database (``learning_services`` feeds it).

A broker's approval or rejection of a suggested pair is a label; the pair's stored scores are
its features: calibrated dense similarity, saturated BM25 (both as the engine fuses them, so
that a weight means the same for any encoder and corpus), the six compatibility components, a
blocking-flag indicator and a cross-language indicator. The model is an L2-regularised logistic
regression of the approval probability:

- a **global** model on every decision (features standardised; the intercept is not penalised);
- **per-field** corrections: a field's weights are the global ones plus a delta fitted on that
  field's decisions with the global logit as offset and a much stronger penalty on the delta,
  so a field moves away from the global weights only as far as its own decisions justify. A
  decision counts for each field of its requirement; a field with fewer than
  ``min_field_decisions`` decisions, or with only approvals or only rejections, keeps the global
  weights. A pair's logit is the global logit plus the mean of its fields' deltas.

Fitting is Newton's method with a backtracking line search: no random start, no sampling, the
same decisions give the same weights. A model is a JSON object (``Ranker.to_json``) that loads
back to identical predictions.
"""

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from matchmaking.compat import COMPONENT_WEIGHTS, NEUTRAL
from matchmaking.engine import Calibration

VERSION = 1
COMPONENTS = tuple(COMPONENT_WEIGHTS)
FEATURES = ("dense", "lexical", *COMPONENTS, "blocking", "cross_language")
# Chosen with ``bench_learning`` (BENCHMARKS.md §3): the global penalty hardly matters (0.1 to 10
# move held-out precision@1 by < 0.01); a weak delta penalty lets each field fit its own noise —
# at demo scale 1, 20 cost ground-truth recall@3 (−0.04 against the engine's score) where 100
# keeps the gain of the global model (+0.02 learned alone, +0.05 in the 0.5 blend).
L2 = 1.0
FIELD_L2 = 100.0
MIN_FIELD_DECISIONS = 30


# --- features --------------------------------------------------------------------------------

def calibration_from_report(data: Mapping | None) -> Calibration | None:
    """The calibration a run recorded in its report (``"zh→en"`` keys), or None."""
    if not data or data.get("dense_mu") is None:
        return None
    by_language = {}
    for key, mu in (data.get("dense_mu_by_language") or {}).items():
        req_lang, sep, ach_lang = str(key).partition("→")
        if sep:
            by_language[(req_lang, ach_lang)] = float(mu)
    return Calibration(float(data["dense_mu"]), float(data.get("lexical_k") or 1.0), by_language)


def pair_features(*, dense: float, lexical: float, components: Mapping, flags: Sequence[Mapping], req_lang: str,
                  ach_lang: str, calibration: Calibration) -> list[float]:
    """One pair's feature vector, in the order of ``FEATURES``, from its stored scores: ``dense``
    is the raw cosine, ``lexical`` the raw BM25 score, ``components`` and ``flags`` as stored on
    candidates and suggestions. A missing component is neutral, as in ``compat``."""
    mu = calibration.dense_mu_by_language.get((req_lang, ach_lang), calibration.dense_mu)
    dense_cal = min(1.0, max(0.0, (float(dense) - mu) / max(1e-6, 1.0 - mu)))
    bm25 = max(0.0, float(lexical))
    lexical_sat = bm25 / (bm25 + calibration.lexical_k)
    comps = [NEUTRAL if components.get(name) is None else float(components[name]) for name in COMPONENTS]
    blocking = 1.0 if any(flag.get("blocking") for flag in flags) else 0.0
    cross = 1.0 if (req_lang and ach_lang and req_lang != ach_lang) or any(
        flag.get("code") == "language" for flag in flags) else 0.0
    return [dense_cal, lexical_sat, *comps, blocking, cross]


# --- the model -------------------------------------------------------------------------------

def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # exact logistic, no overflow


@dataclass
class Ranker:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    bias: float
    weights: np.ndarray  # on standardised features
    field_bias: dict[int, float] = field(default_factory=dict)
    field_weights: dict[int, np.ndarray] = field(default_factory=dict)
    counts: dict = field(default_factory=dict)  # decisions, approvals, per field
    params: dict = field(default_factory=dict)
    version: int = VERSION

    def logits(self, features: np.ndarray, field_ids: Sequence[Sequence[int]]) -> np.ndarray:
        z_features = (np.asarray(features, dtype=np.float64).reshape(-1, len(self.features)) - self.mean) / self.scale
        out = z_features @ self.weights + self.bias
        if self.field_weights:
            for i, fids in enumerate(field_ids):
                if fids:
                    delta = sum(float(z_features[i] @ self.field_weights[f]) + self.field_bias[f]
                                for f in fids if f in self.field_weights)
                    out[i] += delta / len(fids)
        return out

    def predict(self, features: np.ndarray, field_ids: Sequence[Sequence[int]]) -> np.ndarray:
        """The probability that a broker approves each pair; ``field_ids`` are the fields of each
        pair's requirement (fields this model has no weights for count as the global model)."""
        return _sigmoid(self.logits(features, field_ids))

    def readable_weights(self, digits: int = 3) -> dict:
        """Weights per raw feature (a change of 1 in a feature moves the log-odds this much):
        the global ones and each field's, for people reading what the brokers taught."""
        def raw(weights: np.ndarray) -> dict[str, float]:
            return {name: round(float(w), digits) for name, w in zip(self.features, weights / self.scale, strict=True)}

        return {"global": raw(self.weights),
                "fields": {str(f): raw(self.weights + w) for f, w in sorted(self.field_weights.items())}}

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "global": {"bias": self.bias, "weights": self.weights.tolist()},
            "fields": {str(f): {"bias": self.field_bias[f], "weights": w.tolist()}
                       for f, w in sorted(self.field_weights.items())},
            "counts": self.counts,
            "params": self.params,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> "Ranker":
        if data.get("version") != VERSION or tuple(data.get("features", ())) != FEATURES:
            raise ValueError("this ranking model was trained by another version of the learner")
        return cls(
            features=tuple(data["features"]), mean=np.array(data["mean"], dtype=np.float64),
            scale=np.array(data["scale"], dtype=np.float64), bias=float(data["global"]["bias"]),
            weights=np.array(data["global"]["weights"], dtype=np.float64),
            field_bias={int(f): float(v["bias"]) for f, v in data.get("fields", {}).items()},
            field_weights={int(f): np.array(v["weights"], dtype=np.float64) for f, v in data.get("fields", {}).items()},
            counts=dict(data.get("counts", {})), params=dict(data.get("params", {})), version=int(data["version"]),
        )


def fit(features: np.ndarray, labels: np.ndarray, field_ids: Sequence[Sequence[int]], *, l2: float = L2,
        field_l2: float = FIELD_L2, min_field_decisions: int = MIN_FIELD_DECISIONS) -> Ranker:
    """Fit the global model, then each field's delta (see the module docstring)."""
    x = np.asarray(features, dtype=np.float64).reshape(-1, len(FEATURES))
    y = np.asarray(labels, dtype=np.float64)
    if len(y) != len(x) or len(field_ids) != len(x):
        raise ValueError("features, labels and field_ids must have the same length")
    if not len(y) or y.min() == y.max():
        raise ValueError("learning needs both approvals and rejections")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0  # a constant feature keeps weight 0 under the penalty
    z = (x - mean) / scale
    bias, weights = _newton(z, y, np.zeros(len(y)), l2, penalise_bias=False)
    base = z @ weights + bias
    rows_by_field: dict[int, list[int]] = {}
    for i, fids in enumerate(field_ids):
        for f in set(fids):
            rows_by_field.setdefault(int(f), []).append(i)
    field_bias, field_weights = {}, {}
    for f, rows in sorted(rows_by_field.items()):
        approvals = y[rows].sum()
        if len(rows) < min_field_decisions or approvals in (0, len(rows)):
            continue
        field_bias[f], field_weights[f] = _newton(z[rows], y[rows], base[rows], field_l2, penalise_bias=True)
    return Ranker(
        features=FEATURES, mean=mean, scale=scale, bias=bias, weights=weights, field_bias=field_bias,
        field_weights=field_weights,
        counts={"decisions": len(y), "approvals": int(y.sum()),
                "fields": {str(f): len(rows) for f, rows in sorted(rows_by_field.items())}},
        params={"l2": l2, "field_l2": field_l2, "min_field_decisions": min_field_decisions},
    )


def _newton(z: np.ndarray, y: np.ndarray, offset: np.ndarray, l2: float, *, penalise_bias: bool,
            max_iter: int = 100) -> tuple[float, np.ndarray]:
    """Minimise Σ log-loss(offset + z·w + b) + l2/2·(|w|² [+ b²]); returns (b, w)."""
    a = np.hstack([z, np.ones((len(z), 1))])
    penalty = np.full(a.shape[1], float(l2))
    if not penalise_bias:
        penalty[-1] = 1e-8  # keeps the Hessian invertible when a class is rare
    theta = np.zeros(a.shape[1])

    def objective(t: np.ndarray) -> float:
        logit = offset + a @ t
        return float(np.sum(np.logaddexp(0.0, logit) - y * logit) + 0.5 * np.sum(penalty * t * t))

    value = objective(theta)
    for _ in range(max_iter):
        p = _sigmoid(offset + a @ theta)
        gradient = a.T @ (p - y) + penalty * theta
        hessian = (a.T * (p * (1.0 - p))) @ a + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        t = 1.0
        while True:
            candidate = theta - t * step
            new_value = objective(candidate)
            if new_value <= value - 1e-4 * t * float(gradient @ step) or t < 1e-6:
                break
            t *= 0.5
        theta, converged = candidate, abs(value - new_value) < 1e-10 * max(1.0, abs(value))
        value = new_value
        if converged or float(np.max(np.abs(t * step))) < 1e-9:
            break
    return float(theta[-1]), theta[:-1]


def blend(fused: np.ndarray, probability: np.ndarray, weight: float) -> np.ndarray:
    """The score a run ranks by when a model is active: (1 − weight)·fused + weight·probability."""
    return (1.0 - weight) * np.asarray(fused, dtype=np.float64) + weight * np.asarray(probability, dtype=np.float64)


# --- evaluation ------------------------------------------------------------------------------

def holdout_groups(groups: Sequence[int], *, fraction: float = 0.25, seed: int = 0) -> np.ndarray:
    """A boolean mask of the rows whose group (requirement) is held out: ``fraction`` of the
    groups, chosen by a keyed hash, so the split is the same on every machine and run."""
    unique = sorted({int(g) for g in groups})
    if len(unique) < 2:
        return np.zeros(len(groups), dtype=bool)

    def key(group: int) -> bytes:
        return hashlib.blake2b(f"{seed}:{group}".encode(), digest_size=8).digest()

    n_out = min(len(unique) - 1, max(1, round(fraction * len(unique))))
    held = set(sorted(unique, key=key)[:n_out])
    return np.array([int(g) in held for g in groups], dtype=bool)


def ranking_metrics(groups: Sequence[int], scores: np.ndarray, labels: np.ndarray, *, ks: Sequence[int] = (1, 3),
                    ndcg_at: int = 5, min_items: int = 2) -> dict:
    """Approval precision@k and nDCG@``ndcg_at`` of each group's items ranked by ``scores``
    (ties by position), averaged over groups with at least ``min_items`` items: a group of one
    has nothing to rank. nDCG counts only groups with an approval."""
    groups = np.asarray(groups)
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    order = np.lexsort((np.arange(len(scores)), -scores, groups))
    precision: dict[int, list[float]] = {k: [] for k in ks}
    ndcg: list[float] = []
    boundaries = np.flatnonzero(np.diff(groups[order])) + 1
    for block in np.split(order, boundaries) if len(order) else []:
        if len(block) < min_items:
            continue
        ranked = labels[block]
        for k in ks:
            top = ranked[:k]
            precision[k].append(float(top.mean()))
        ideal = np.sort(ranked)[::-1][:ndcg_at]
        discounts = 1.0 / np.log2(np.arange(2, ndcg_at + 2))
        idcg = float(ideal @ discounts[:len(ideal)])
        if idcg > 0:
            ndcg.append(float(ranked[:ndcg_at] @ discounts[:min(ndcg_at, len(ranked))]) / idcg)
    out = {f"p@{k}": _mean(values) for k, values in precision.items()}
    out[f"ndcg@{ndcg_at}"] = _mean(ndcg)
    out["groups"] = len(precision[ks[0]]) if ks else 0
    return out


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Area under the ROC curve (ties count a half); None without both classes."""
    from scipy.stats import rankdata

    labels = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if not n_pos or not n_neg:
        return None
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    return round(float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)), 4)


def _mean(values: list[float]) -> float | None:
    return round(math.fsum(values) / len(values), 4) if values else None
