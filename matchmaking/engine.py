"""The matching engine, free of the database: pre-docking runs, incremental matching,
one-click search and ``evaluate_matching`` all call this code.

Given the vectors, tokens and (optionally) structured attributes of requirements and
achievements it finds, for a set of query rows of one side, a candidate pool on the other
side — dense k-NN united with BM25 k-NN — and scores every pair:

    score = w_dense · dense' + w_lexical · lexical' + w_structured · structured

``dense'`` and ``lexical'`` are calibrated per run so that weights mean the same thing for any
encoder and corpus: ``dense' = (cos − μ) / (1 − μ)`` with μ the mean cosine of random pairs,
and ``lexical' = bm25 / (bm25 + K)`` with K the median best BM25 score of a query. A pair's
score is a property of the pair (the same in both directions), so a two-way run can merge its
two candidate lists. Reciprocal-rank fusion is kept as an option: BENCHMARKS.md compares them.

Memory is bounded by the pool size and the query block, never by |requirements| × |achievements|.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from matchmaking.compat import Compatibility, ListingAttrs, compatibility
from matchmaking.index import HNSW_THRESHOLD, VectorIndex
from matchmaking.lexical import BM25

REQUIREMENT = "requirement"
ACHIEVEMENT = "achievement"


@dataclass(frozen=True)
class MatchParams:
    """Parameters of a run. Stored on the run (``to_dict``) so that it can be reproduced."""

    k_requirement: int = 5  # candidates every requirement gets
    min_per_achievement: int = 1  # candidates every achievement gets (coverage pass)
    pool: int = 30  # k-NN depth per direction and retriever before fusion
    cap: int = 15  # an achievement appears in at most this many requirements' lists
    min_score: float = 0.3  # below this (or with a blocking flag) a candidate is low-confidence
    fusion: str = "weighted"  # "weighted" (calibrated) or "rrf"
    weight_dense: float = 0.6
    weight_lexical: float = 0.25
    weight_structured: float = 0.15
    lexical_retrieval: bool = True  # add BM25's own top hits to the pool, not only dense hits

    LIMITS = {
        "k_requirement": (1, 50), "min_per_achievement": (0, 20), "pool": (1, 500), "cap": (1, 1000),
        "min_score": (0.0, 1.0), "weight_dense": (0.0, 1.0), "weight_lexical": (0.0, 1.0),
        "weight_structured": (0.0, 1.0),
    }

    def __post_init__(self):
        for name, (low, high) in self.LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be a number between {low} and {high}")
        if self.fusion not in ("weighted", "rrf"):
            raise ValueError("fusion must be 'weighted' or 'rrf'")
        if self.weight_dense + self.weight_lexical + self.weight_structured <= 0:
            raise ValueError("at least one weight must be positive")
        if self.pool < self.k_requirement:
            raise ValueError("pool must be at least k_requirement")

    @classmethod
    def from_dict(cls, data: dict | None) -> "MatchParams":
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown parameters: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Side:
    """One side of the match: listing ids with their vectors (rows L2-normalised), BM25 tokens
    and, for pre-docking, structured attributes."""

    ids: np.ndarray
    vectors: np.ndarray
    tokens: Sequence[Sequence[str]]
    attrs: list[ListingAttrs] | None = None
    langs: np.ndarray | None = None  # language code per row; from attrs when not given
    _rows: dict[int, int] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.ids = np.asarray(self.ids, dtype=np.int64)
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        if not (len(self.ids) == len(self.vectors) == len(self.tokens)):
            raise ValueError("ids, vectors and tokens must have the same length")
        if self.attrs is not None and len(self.attrs) != len(self.ids):
            raise ValueError("attrs must have one entry per id")
        if self.langs is None:
            self.langs = np.array([a.language for a in self.attrs] if self.attrs is not None else [""] * len(self.ids))
        self.langs = np.asarray(self.langs, dtype=str)

    def __len__(self) -> int:
        return len(self.ids)

    def rows_of(self, ids) -> np.ndarray:
        if not self._rows:
            self._rows = {int(i): r for r, i in enumerate(self.ids.tolist())}
        return np.array([self._rows[int(i)] for i in ids], dtype=np.int64)


@dataclass
class Pairs:
    """Scored pairs as parallel arrays (rows index the engine's sides, not listing ids)."""

    req: np.ndarray
    ach: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    structured: np.ndarray
    score: np.ndarray
    rank: np.ndarray  # 1-based rank within its query's list (in the direction searched)
    compat: list[Compatibility | None]

    def __len__(self) -> int:
        return len(self.req)

    def take(self, index: np.ndarray) -> "Pairs":
        return Pairs(self.req[index], self.ach[index], self.dense[index], self.lexical[index],
                     self.structured[index], self.score[index], self.rank[index],
                     [self.compat[i] for i in index.tolist()])


@dataclass(frozen=True)
class Calibration:
    dense_mu: float  # mean cosine of random pairs
    lexical_k: float  # median best BM25 score of a requirement
    # Mean cosine of random pairs per (requirement language, achievement language): a
    # multilingual encoder puts translations less close than same-language paraphrases, so
    # cross-language pairs are measured against their own chance level.
    dense_mu_by_language: dict = field(default_factory=dict)

    def dense(self, cos: np.ndarray, mu: np.ndarray | float | None = None) -> np.ndarray:
        mu = self.dense_mu if mu is None else mu
        return np.clip((cos - mu) / np.maximum(1e-6, 1 - mu), 0.0, 1.0)

    def lexical(self, bm25: np.ndarray) -> np.ndarray:
        return bm25 / (bm25 + self.lexical_k)


class Engine:
    def __init__(self, requirements: Side, achievements: Side, params: MatchParams | None = None,
                 *, index_method: str = "auto", seed: int = 13):
        self.req = requirements
        self.ach = achievements
        self.params = params or MatchParams()
        # Indexes hold row numbers as ids; listing ids are mapped back at the edges.
        self.ach_index = self._indexes(achievements, index_method)
        self.req_index = self._indexes(requirements, index_method)
        # The pair's lexical score is always BM25 of the requirement against the achievements,
        # whichever direction found the pair; the reverse index only widens the reverse pool.
        self.bm25 = BM25(achievements.tokens)
        self._bm25_reverse: BM25 | None = None
        self.calibration = self._calibrate(seed)

    @staticmethod
    def _indexes(side: Side, method: str) -> list[VectorIndex]:
        """One index per language of the side. A multilingual encoder still ranks same-language
        texts closer than translations, so each query draws its dense pool from every language
        separately; the per-language calibration then ranks them fairly."""
        if method == "auto":
            # Batched two-way search: exact up to 50k vectors, IVF above (BENCHMARKS.md §2:
            # 100k × 100k in 39 s at recall@10 0.997, exact would take ~98 s).
            method = "ivf" if len(side) > HNSW_THRESHOLD else "flat"
        languages = sorted(set(side.langs.tolist())) or [""]
        if len(languages) == 1:
            return [VectorIndex.build(np.arange(len(side)), side.vectors, method=method)]
        out = []
        for language in languages:
            rows = np.flatnonzero(side.langs == language)
            out.append(VectorIndex.build(rows, side.vectors[rows], method=method))
        return out

    @property
    def bm25_reverse(self) -> BM25:
        if self._bm25_reverse is None:
            self._bm25_reverse = BM25(self.req.tokens)
        return self._bm25_reverse

    def _calibrate(self, seed: int) -> Calibration:
        rng = np.random.default_rng(seed)
        n_req, n_ach = len(self.req), len(self.ach)
        if not n_req or not n_ach:
            return Calibration(0.0, 1.0)
        sample = min(2000, n_req * n_ach)
        r = rng.integers(0, n_req, sample)
        a = rng.integers(0, n_ach, sample)
        mu = float(np.einsum("ij,ij->i", self.req.vectors[r], self.ach.vectors[a]).mean())
        by_language = {}
        for lr in sorted(set(self.req.langs.tolist())):
            for la in sorted(set(self.ach.langs.tolist())):
                r_rows, a_rows = np.flatnonzero(self.req.langs == lr), np.flatnonzero(self.ach.langs == la)
                if len(r_rows) * len(a_rows) < 50:
                    continue  # too few pairs to estimate: the global level applies
                rs, as_ = rng.choice(r_rows, 500), rng.choice(a_rows, 500)
                by_language[(lr, la)] = min(0.95, float(
                    np.einsum("ij,ij->i", self.req.vectors[rs], self.ach.vectors[as_]).mean()))
        queries = rng.choice(n_req, size=min(200, n_req), replace=False)
        best, _ = self.bm25.top_k([self.req.tokens[i] for i in queries], 1)
        positive = best[:, 0][best[:, 0] > 0]
        k = float(np.median(positive)) if len(positive) else 1.0
        return Calibration(dense_mu=min(mu, 0.95), lexical_k=max(k, 1e-3), dense_mu_by_language=by_language)

    # --- scoring -----------------------------------------------------------------------------

    def score(self, req_rows: np.ndarray, ach_rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """dense cosine, raw BM25, structured score and fused score of each pair, plus compat."""
        req_rows = np.asarray(req_rows, dtype=np.int64)
        ach_rows = np.asarray(ach_rows, dtype=np.int64)
        dense = np.einsum("ij,ij->i", self.req.vectors[req_rows], self.ach.vectors[ach_rows]).astype(np.float32)
        req_tokens = self.req.tokens
        unique_req, inverse = np.unique(req_rows, return_inverse=True)
        lexical = self.bm25.score_pairs([req_tokens[i] for i in unique_req], inverse, ach_rows)
        compat: list[Compatibility | None]
        if self.req.attrs is not None and self.ach.attrs is not None:
            compat = [compatibility(self.req.attrs[r], self.ach.attrs[a])
                      for r, a in zip(req_rows.tolist(), ach_rows.tolist(), strict=True)]
            structured = np.array([c.score for c in compat], dtype=np.float32)
        else:
            compat = [None] * len(req_rows)
            structured = np.zeros(len(req_rows), dtype=np.float32)
        fused = self.fuse(dense, lexical, structured, self.req.langs[req_rows], self.ach.langs[ach_rows],
                          with_structure=self.req.attrs is not None)
        return dense, lexical.astype(np.float32), structured, fused, compat

    def fuse(self, dense: np.ndarray, lexical: np.ndarray, structured: np.ndarray, req_langs: np.ndarray,
             ach_langs: np.ndarray, *, with_structure: bool) -> np.ndarray:
        """Calibrated weighted fusion. Across languages BM25 cannot see a match, so it abstains:
        its weight goes to the other components instead of counting as a zero."""
        p, cal = self.params, self.calibration
        mu = np.full(len(dense), cal.dense_mu, dtype=np.float32)
        for (lr, la), value in cal.dense_mu_by_language.items():
            mu[(req_langs == lr) & (ach_langs == la)] = value
        w_lex = np.where(req_langs == ach_langs, p.weight_lexical, 0.0)
        w_struct = p.weight_structured if with_structure else 0.0
        total = np.maximum(p.weight_dense + w_lex + w_struct, 1e-9)
        return ((p.weight_dense * cal.dense(dense, mu) + w_lex * cal.lexical(lexical) + w_struct * structured)
                / total).astype(np.float32)

    # --- candidate generation ----------------------------------------------------------------

    def candidates(self, direction: str, rows: np.ndarray, *, keep: int | None = None,
                   exclude: np.ndarray | None = None, block: int = 2048) -> Pairs:
        """For query ``rows`` of one side (``direction`` names that side), the best ``keep``
        pairs of each from a pool of dense and BM25 hits on the other side. ``exclude`` is a
        boolean mask over the other side's rows that may not be returned (capped achievements).
        Queries are taken ``block`` at a time, so memory does not grow with their number."""
        rows = np.asarray(rows, dtype=np.int64)
        parts = [self._candidates(direction, rows[i:i + block], keep, exclude) for i in range(0, len(rows), block)]
        return concat(parts)

    def _candidates(self, direction: str, rows: np.ndarray, keep: int | None, exclude: np.ndarray | None) -> Pairs:
        p = self.params
        keep = keep or p.pool
        rows = np.asarray(rows, dtype=np.int64)
        if direction == REQUIREMENT:
            query_side, index, bm25, n_other = self.req, self.ach_index, self.bm25, len(self.ach)
        else:
            query_side, index, n_other = self.ach, self.req_index, len(self.req)
            bm25 = self.bm25_reverse
        if not len(rows) or not n_other:
            return _empty_pairs()
        depth = min(n_other, p.pool + (int(exclude.sum()) if exclude is not None else 0))
        pools: list[set[int]] = [set() for _ in range(len(rows))]
        for sub_index in index:
            _, dense_hits = sub_index.search(query_side.vectors[rows], min(depth, len(sub_index)))
            for pool, hits in zip(pools, dense_hits, strict=True):
                pool.update(hits[hits >= 0].tolist())
        if p.lexical_retrieval:
            _, lex_hits = bm25.top_k([query_side.tokens[i] for i in rows], depth)
            for pool, hits in zip(pools, lex_hits, strict=True):
                pool.update(hits[hits >= 0].tolist())
        if exclude is not None:
            pools = [{o for o in pool if not exclude[o]} for pool in pools]
        q_rows = np.repeat(rows, [len(pool) for pool in pools])
        o_rows = np.fromiter((o for pool in pools for o in sorted(pool)), dtype=np.int64, count=len(q_rows))
        req_rows, ach_rows = (q_rows, o_rows) if direction == REQUIREMENT else (o_rows, q_rows)
        dense, lexical, structured, fused, compat = self.score(req_rows, ach_rows)
        pairs = Pairs(req_rows, ach_rows, dense, lexical, structured, fused, np.zeros(len(q_rows), np.int64), compat)
        order_key = fused if p.fusion == "weighted" else self._rrf(q_rows, dense, lexical)
        return self._top_per_query(pairs, q_rows, order_key, keep)

    @staticmethod
    def _rrf(q_rows: np.ndarray, dense: np.ndarray, lexical: np.ndarray, k: int = 60) -> np.ndarray:
        fused = np.zeros(len(q_rows), dtype=np.float64)
        for values in (dense, lexical):
            fused += 1.0 / (k + _rank_within(q_rows, values))
        return fused

    @staticmethod
    def _top_per_query(pairs: Pairs, q_rows: np.ndarray, key: np.ndarray, keep: int) -> Pairs:
        ranks = _rank_within(q_rows, key)
        selected = np.flatnonzero(ranks <= keep)
        out = pairs.take(selected)
        out.rank = ranks[selected]
        return out


def _rank_within(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """1-based rank of each value within its group (descending; ties broken by position)."""
    order = np.lexsort((np.arange(len(values)), -np.asarray(values, dtype=np.float64), groups))
    ranks = np.empty(len(values), dtype=np.int64)
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks[order] = np.arange(len(order)) - group_start + 1
    return ranks


def concat(parts: list[Pairs]) -> Pairs:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_pairs()
    if len(parts) == 1:
        return parts[0]
    return Pairs(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                   ("req", "ach", "dense", "lexical", "structured", "score", "rank")),
                 compat=[c for p in parts for c in p.compat])


def _empty_pairs() -> Pairs:
    e_i, e_f = np.zeros(0, np.int64), np.zeros(0, np.float32)
    return Pairs(e_i, e_i, e_f, e_f, e_f, e_f, e_i, [])


# --- coverage pass ---------------------------------------------------------------------------

@dataclass
class Selection:
    chosen: np.ndarray  # indices into the pairs given to ``select``
    via_coverage: np.ndarray  # bool per chosen pair: added to cover an achievement
    low_confidence: np.ndarray  # bool per chosen pair
    short_requirements: list[int]  # requirement rows with fewer than k candidates
    uncovered_achievements: list[int]  # achievement rows with no candidate at all


def select(req: np.ndarray, ach: np.ndarray, score: np.ndarray, blocking: np.ndarray,
           n_req: int, n_ach: int, params: MatchParams) -> Selection:
    """Choose suggestions among candidate pairs (row numbers ``req``/``ach``, one entry per pair).

    1. Requirements first: the pairs in order of (no blocking flag, score) fill each
       requirement's list up to k, skipping achievements that already reached the cap.
    2. Every achievement still below ``min_per_achievement`` gets its best remaining pairs,
       even if that lengthens a requirement's list (cover every achievement).
    A chosen pair below ``min_score`` or with a blocking flag is marked low-confidence.
    """
    req, ach = np.asarray(req, dtype=np.int64), np.asarray(ach, dtype=np.int64)
    score, blocking = np.asarray(score, dtype=np.float64), np.asarray(blocking, dtype=bool)
    order = np.lexsort((ach, req, -score, blocking)).tolist()
    req_count = np.zeros(n_req, dtype=np.int64)
    ach_count = np.zeros(n_ach, dtype=np.int64)
    chosen = np.zeros(len(req), dtype=bool)
    via = np.zeros(len(req), dtype=bool)
    req_list, ach_list = req.tolist(), ach.tolist()
    for i in order:
        r, a = req_list[i], ach_list[i]
        if req_count[r] < params.k_requirement and ach_count[a] < params.cap:
            chosen[i] = True
            req_count[r] += 1
            ach_count[a] += 1
    if params.min_per_achievement:
        for i in order:
            a = ach_list[i]
            if not chosen[i] and ach_count[a] < params.min_per_achievement:
                chosen[i] = via[i] = True
                req_count[req_list[i]] += 1
                ach_count[a] += 1
    index = np.flatnonzero(chosen)
    return Selection(
        chosen=index,
        via_coverage=via[index],
        low_confidence=(score[index] < params.min_score) | blocking[index],
        short_requirements=np.flatnonzero(req_count < params.k_requirement).tolist(),
        uncovered_achievements=np.flatnonzero(ach_count == 0).tolist(),
    )


def merge(*parts: Pairs) -> Pairs:
    """Concatenate candidate pairs of both directions, one row per pair; where both directions
    found a pair, its rank in each list is kept (``rank`` from the first, the other returned)."""
    allp = concat(list(parts))
    if not len(allp):
        return allp
    keys = allp.req * (int(allp.ach.max()) + 1) + allp.ach
    _, first = np.unique(keys, return_index=True)
    return allp.take(np.sort(first))
