"""One-click search: free text in Chinese or English → ranked listings the user may see.

Semantic hits come from the FAISS index of each kind (the same vectors as pre-docking; a query
in one language finds listings in the other), keyword hits from the catalogue's full-text
search; both pools are re-checked against the user's visibility in the database and ranked by
the engine's calibrated fusion of cosine and BM25. Without an encoder (package missing) the
keyword ranking is returned and ``semantic`` is False, so the page still works."""

import logging
from dataclasses import dataclass

import numpy as np

from catalog.enums import ListingKind
from catalog.selectors import ListingFilters, listing_list_for_user
from matchmaking import index as index_files
from matchmaking.engine import Calibration, MatchParams
from matchmaking.lexical import BM25, tokenize
from matchmaking.text import canonical_text

logger = logging.getLogger(__name__)
MAX_QUERY_CHARS = 500


@dataclass
class Hit:
    kind: str
    listing: object
    score: float
    dense: float
    lexical: float


@dataclass
class SearchResult:
    hits: list[Hit]
    semantic: bool
    message: str = ""


def search_listings(user, query: str, *, kinds=(ListingKind.REQUIREMENT, ListingKind.ACHIEVEMENT),
                    limit: int = 20) -> SearchResult:
    query = " ".join((query or "").split())[:MAX_QUERY_CHARS]
    if not query:
        return SearchResult([], semantic=False)
    pool = max(limit * 5, 50)
    vector, model, message = _encode(query)
    candidates: dict[tuple[str, int], float] = {}
    for kind in kinds:
        if vector is not None:
            cached = index_files.cached_index(kind, model)
            if cached is None:
                from matchmaking.services import sync_index

                sync_index(kind, model=model)
                cached = index_files.cached_index(kind, model)
            if cached is not None:
                scores, ids = cached[0].search(vector[None, :], pool)
                for score, pk in zip(scores[0].tolist(), ids[0].tolist(), strict=True):
                    if pk >= 0:
                        candidates[(kind, pk)] = score
        for listing_id in listing_list_for_user(kind=kind, user=user, filters=ListingFilters(q=query)) \
                .values_list("pk", flat=True)[:pool]:
            candidates.setdefault((kind, listing_id), None)
    hits = []
    for kind in kinds:
        ids = [pk for (k, pk) in candidates if k == kind]
        # The database decides what the user may see, whatever the index returned.
        for listing in listing_list_for_user(kind=kind, user=user).filter(pk__in=ids):
            hits.append(Hit(kind, listing, 0.0, candidates[(kind, listing.pk)] or 0.0, 0.0))
    if not hits:
        return SearchResult([], semantic=vector is not None, message=message)
    _rank(hits, query, vector, model)
    hits.sort(key=lambda h: (-h.score, h.kind, h.listing.pk))
    return SearchResult(hits[:limit], semantic=vector is not None, message=message)


def _encode(query: str):
    from matchmaking.encoder import EncoderUnavailable, get_encoder

    try:
        encoder = get_encoder()
        return encoder.encode([query], kind="query")[0], encoder.key, ""
    except EncoderUnavailable as exc:
        logger.error("semantic search unavailable: %s", exc)
        return None, "", str(exc)


def _rank(hits: list[Hit], query: str, vector, model: str) -> None:
    texts = [canonical_text(h.listing, h.listing.fields.all()) for h in hits]
    bm25 = BM25([tokenize(t) for t in texts])
    lexical = bm25.score_pairs([tokenize(query)], np.zeros(len(hits), dtype=np.int64), np.arange(len(hits)))
    if vector is not None:
        from matchmaking.services import load_vectors

        for kind in {h.kind for h in hits}:
            ids, vectors, _ = load_vectors(kind, [h.listing.pk for h in hits if h.kind == kind], model=model)
            if not len(ids):
                continue  # not embedded yet: ranked by keywords alone
            by_id = dict(zip(ids.tolist(), (vectors @ vector).tolist(), strict=True))
            for h in hits:
                if h.kind == kind:
                    h.dense = by_id.get(h.listing.pk, 0.0)
    params = MatchParams()
    positive = lexical[lexical > 0]
    calibration = Calibration(dense_mu=0.0 if vector is None else _random_mu(hits),
                              lexical_k=float(np.median(positive)) if len(positive) else 1.0)
    dense = calibration.dense(np.array([h.dense for h in hits], dtype=np.float32))
    lex = calibration.lexical(lexical)
    w_dense = params.weight_dense if vector is not None else 0.0
    fused = (w_dense * dense + params.weight_lexical * lex) / (w_dense + params.weight_lexical)
    for h, value, raw in zip(hits, fused.tolist(), lexical.tolist(), strict=True):
        h.score, h.lexical = float(value), float(raw)


def _random_mu(hits: list[Hit]) -> float:
    """Cosine a query reaches by chance: the lowest dense score in the pool is a fair floor."""
    return float(min(h.dense for h in hits)) if hits else 0.0
