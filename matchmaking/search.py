"""One-click search: free text in Chinese or English → ranked listings the user may see.

Semantic hits come from the FAISS index of each kind (the same vectors as pre-docking; a query
in one language finds listings in the other), keyword hits from the catalogue's full-text
search; both pools are re-checked against the user's visibility in the database and ranked by
the engine's calibrated fusion of cosine and BM25. Without an encoder (package missing) the
keyword ranking is returned and ``semantic`` is False, so the page still works."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from catalog.enums import ListingKind
from catalog.models import Field
from catalog.selectors import MODELS, ListingFilters, listing_list_for_user
from matchmaking import index as index_files
from matchmaking.engine import Calibration, MatchParams
from matchmaking.lexical import bm25_query_scores, document_terms, tokenize
from matchmaking.text import TEXT_ATTRS, canonical_text_of

logger = logging.getLogger(__name__)
MAX_QUERY_CHARS = 500


@dataclass
class Hit:
    kind: str
    listing: Any
    score: float
    dense: float
    lexical: float
    pk: int = 0


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
    # Rank the pool (up to ~4 x limit listings) on their text alone, then load the winners whole:
    # full listings with organisation and fields cost ~0.2 ms each to build, and most are dropped.
    hits, texts = [], []
    for kind in kinds:
        ids = [pk for (k, pk) in candidates if k == kind]
        for pk, text in _visible_texts(kind, user, ids):
            hits.append(Hit(kind, None, 0.0, candidates[(kind, pk)] or 0.0, 0.0, pk))
            texts.append(text)
    if not hits:
        return SearchResult([], semantic=vector is not None, message=message)
    _rank(hits, texts, query, vector, model, {key for key, score in candidates.items() if score is not None})
    hits.sort(key=lambda h: (-h.score, h.kind, h.pk))
    return SearchResult(_load_listings(user, hits[:limit]), semantic=vector is not None, message=message)


def _visible_texts(kind: str, user, ids: list[int]) -> list[tuple[int, str]]:
    """(pk, canonical text) of the listings among ``ids`` the user may see. The database decides
    what the user may see, whatever the index returned."""
    if not ids:
        return []
    model = MODELS[kind]
    rows = list(listing_list_for_user(kind=kind, user=user).filter(pk__in=ids)
                .select_related(None).prefetch_related(None).values("pk", *TEXT_ATTRS[kind]))
    through = model.fields.through
    owner = f"{model._meta.model_name}_id"
    fields: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for listing_id, name_zh, name_en in (
            through.objects.filter(**{f"{owner}__in": [row["pk"] for row in rows]})
            .order_by(owner, *(f"field__{key}" for key in Field._meta.ordering))
            .values_list(owner, "field__name_zh", "field__name_en")):
        fields[listing_id].append((name_zh, name_en))
    return [(row["pk"], canonical_text_of(kind, row, fields[row["pk"]])) for row in rows]


def _load_listings(user, hits: list[Hit]) -> list[Hit]:
    """The ranked hits with their listings, as the pages and the API show them."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for hit in hits:
        by_kind[hit.kind].append(hit.pk)
    loaded = {(kind, listing.pk): listing for kind, ids in by_kind.items()
              for listing in listing_list_for_user(kind=kind, user=user).filter(pk__in=ids)}
    for hit in hits:
        hit.listing = loaded.get((hit.kind, hit.pk))
    # A listing hidden between the two reads (withdrawn a moment ago) is left out.
    return [hit for hit in hits if hit.listing is not None]


def _encode(query: str):
    from matchmaking.encoder import EncoderUnavailable, get_encoder

    try:
        encoder = get_encoder()
        return encoder.encode([query], kind="query")[0], encoder.key, ""
    except EncoderUnavailable as exc:
        logger.error("semantic search unavailable: %s", exc)
        return None, "", str(exc)


def _rank(hits: list[Hit], texts: list[str], query: str, vector, model: str, indexed: set) -> None:
    lexical = bm25_query_scores(tokenize(query), [document_terms(t) for t in texts])
    if vector is not None:
        from matchmaking.services import load_vectors

        # The index already gave the exact cosine of its hits (flat storage); the keyword-only
        # hits need their stored vectors.
        for kind in {h.kind for h in hits}:
            missing = [h.pk for h in hits if h.kind == kind and (kind, h.pk) not in indexed]
            if not missing:
                continue
            ids, vectors, _ = load_vectors(kind, missing, model=model)
            by_id = dict(zip(ids.tolist(), (vectors @ vector).tolist(), strict=True))
            for h in hits:
                if h.kind == kind and (kind, h.pk) not in indexed:
                    h.dense = by_id.get(h.pk, 0.0)  # not embedded yet: keywords alone
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
