"""Writes of the matching engine: embeddings, index files, pre-docking runs and suggestions.

A run moves through stages — embedding → matching → coverage — and each stage's work is a set
of ``RunChunk`` rows. A chunk's results are written in the same transaction that marks it
done, under a row lock, so a chunk delivered twice (a worker killed after the work but before
the acknowledgement, or a resume that re-sends it) is done once. The last chunk of a stage
advances the run. ``run_resume`` re-sends what a vanished worker left behind.
"""

import hashlib
import json
import logging
import time
from collections import Counter
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.enums import LIVE_STATUSES, Confidentiality, ListingKind, ListingStatus
from catalog.models import Requirement
from common.errors import ApplicationError, PermissionDenied
from matchmaking import index as index_files
from matchmaking import rules
from matchmaking.engine import ACHIEVEMENT, REQUIREMENT, Engine, MatchParams, Side, select
from matchmaking.explain import best_sentence_pair, quote, split_sentences
from matchmaking.lexical import document_terms
from matchmaking.models import (
    REVIEWED_STATUSES,
    ChunkStatus,
    ListingEmbedding,
    PreDockingRun,
    RunCandidate,
    RunChunk,
    RunStage,
    RunStatus,
    RunTrigger,
    Suggestion,
    SuggestionStatus,
)
from matchmaking.text import ENCODE_AS, MODELS, canonical_text, content_hash, listing_attrs

logger = logging.getLogger(__name__)

EMBED_CHUNK = 128  # texts per embedding task: small enough to spread over workers, big enough to batch well
MATCH_CHUNK = 256  # query listings per matching task
SCOPE_ALL = "all"
SCOPE_INCREMENTAL = "incremental"


def encoder_name() -> str:
    """The key of the configured encoder (name and token cap), stored with every vector."""
    from matchmaking.encoder import get_encoder

    return get_encoder().key


def _encoder(key: str | None = None):
    """The configured encoder; refuses work meant for vectors of another encoder or cap."""
    from matchmaking.encoder import EncoderUnavailable, get_encoder

    encoder = get_encoder()
    if key and encoder.key != key:
        raise EncoderUnavailable(f"this work needs encoder {key}, but this process runs {encoder.key}")
    return encoder


# --- which listings take part ----------------------------------------------------------------

def matchable(kind: str):
    """Listings a run may suggest: published and not restricted to the bureau."""
    return MODELS[kind].objects.filter(status=ListingStatus.PUBLISHED).exclude(
        confidentiality=Confidentiality.RESTRICTED
    )


def _load_listings(kind: str, ids) -> dict:
    listings = MODELS[kind].objects.filter(pk__in=list(ids)).prefetch_related("fields")
    return {listing.pk: listing for listing in listings}


# --- embeddings ------------------------------------------------------------------------------

def embed_listings(kind: str, ids, *, model: str | None = None) -> int:
    """Embed the listings whose canonical text or encoder changed; return how many were embedded."""
    encoder = _encoder(model)
    listings = _load_listings(kind, ids)
    texts = {pk: canonical_text(listing, listing.fields.all()) for pk, listing in listings.items()}
    hashes = {pk: content_hash(text) for pk, text in texts.items()}
    current = dict(ListingEmbedding.objects.filter(
        kind=kind, listing_id__in=list(texts), model_name=encoder.key
    ).values_list("listing_id", "content_hash"))
    stale = [pk for pk in sorted(texts) if current.get(pk) != hashes[pk]]
    if not stale:
        return 0
    vectors = encoder.encode([texts[pk] for pk in stale], kind=ENCODE_AS[kind])
    ListingEmbedding.objects.bulk_create(
        [ListingEmbedding(kind=kind, listing_id=pk, model_name=encoder.key, content_hash=hashes[pk],
                          dim=vectors.shape[1], vector=vectors[i].astype("<f4").tobytes())
         for i, pk in enumerate(stale)],
        update_conflicts=True, unique_fields=["kind", "listing_id", "model_name"],
        update_fields=["content_hash", "dim", "vector", "updated_at"],
    )
    return len(stale)


def stale_listing_ids(kind: str, ids, *, model: str) -> list[int]:
    """Listings among ``ids`` with no vector of ``model`` for their current text."""
    listings = _load_listings(kind, ids)
    current = dict(ListingEmbedding.objects.filter(
        kind=kind, listing_id__in=list(listings), model_name=model
    ).values_list("listing_id", "content_hash"))
    return sorted(pk for pk, listing in listings.items()
                  if current.get(pk) != content_hash(canonical_text(listing, listing.fields.all())))


def load_vectors(kind: str, ids, *, model: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rows = list(ListingEmbedding.objects.filter(kind=kind, listing_id__in=list(ids), model_name=model)
                .order_by("listing_id").values_list("listing_id", "vector", "content_hash", "dim"))
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, 1), np.float32), []
    dim = rows[0][3]
    vectors = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype="<f4").reshape(len(rows), dim)
    return np.array([r[0] for r in rows], dtype=np.int64), vectors.astype(np.float32), [r[2] for r in rows]


def build_side(kind: str, ids, *, model: str) -> Side:
    """Vectors, BM25 tokens and attributes of listings that have a current vector."""
    listing_ids, vectors, _hashes = load_vectors(kind, ids, model=model)
    listings = _load_listings(kind, listing_ids.tolist())
    keep = [i for i, pk in enumerate(listing_ids.tolist()) if pk in listings]
    listing_ids, vectors = listing_ids[keep], vectors[keep]
    ordered = [listings[pk] for pk in listing_ids.tolist()]
    fields = [list(listing.fields.all()) for listing in ordered]
    return Side(
        ids=listing_ids, vectors=vectors,
        tokens=[document_terms(canonical_text(listing, f)) for listing, f in zip(ordered, fields, strict=True)],
        attrs=[listing_attrs(listing, f) for listing, f in zip(ordered, fields, strict=True)],
    )


# --- index files -----------------------------------------------------------------------------

def sync_index(kind: str, *, model: str | None = None, force: bool = False) -> index_files.IndexInfo:
    """Bring the index file of ``kind`` in line with the database (all vectors of ``model``);
    a missing, corrupt or outdated file is rebuilt. Safe to call from several workers."""
    model = model or encoder_name()
    with index_files.index_lock(kind, model):
        ids, vectors, hashes = load_vectors(kind, ListingEmbedding.objects.filter(
            kind=kind, model_name=model).values_list("listing_id", flat=True), model=model)
        db_checksum = index_files.rows_checksum(ids, hashes)
        if not force:
            try:
                _index, info = index_files.read_index(kind, model)
                if info.db_checksum == db_checksum:
                    return info
            except index_files.IndexCorrupt as exc:
                if index_files.read_info(kind, model) is not None or index_files.index_path(kind, model).exists():
                    logger.warning("rebuilding index %s/%s: %s", kind, model, exc)
        built = index_files.VectorIndex.build(ids, vectors.reshape(len(ids), -1) if len(ids) else
                                              np.zeros((0, _dim(model)), np.float32))
        return index_files.write_index(kind, model, built, db_checksum)


def _dim(model: str) -> int:
    return _encoder(model).dim


def index_drift(kind: str, *, model: str | None = None) -> dict:
    """Compare an index file with the database: what ``check_index`` reports."""
    model = model or encoder_name()
    db_ids, _vectors, hashes = load_vectors(kind, ListingEmbedding.objects.filter(
        kind=kind, model_name=model).values_list("listing_id", flat=True), model=model)
    live = set(matchable(kind).values_list("pk", flat=True))
    report = {
        "kind": kind, "model": model, "db_vectors": len(db_ids),
        "live_listings": len(live), "live_without_vector": len(live - set(db_ids.tolist())),
        "stale_vectors": len(stale_listing_ids(kind, live & set(db_ids.tolist()), model=model)),
    }
    try:
        index, info = index_files.read_index(kind, model)
    except index_files.IndexCorrupt as exc:
        return report | {"ok": False, "file": str(index_files.index_path(kind, model)), "error": str(exc)}
    file_ids = set(index.ids().tolist())
    report |= {
        "file": str(index_files.index_path(kind, model)), "file_vectors": info.count, "method": info.method,
        "checksum": info.checksum, "missing_from_file": len(set(db_ids.tolist()) - file_ids),
        "not_in_database": len(file_ids - set(db_ids.tolist())),
        "in_step": info.db_checksum == index_files.rows_checksum(db_ids, hashes),
    }
    report["ok"] = report["in_step"] and not report["live_without_vector"] and not report["stale_vectors"]
    return report


# --- runs ------------------------------------------------------------------------------------

def scope_key_for(requirement_ids: list[int] | None, achievement_ids: list[int] | None) -> str:
    """Runs of the same listings share a scope (one active at a time; a run supersedes the
    unreviewed suggestions of the earlier runs of its scope). A partial run gets a scope of its
    own so that it never supersedes the whole catalogue's suggestions."""
    if requirement_ids is None and achievement_ids is None:
        return SCOPE_ALL
    ids = {"requirements": sorted(set(requirement_ids)) if requirement_ids is not None else None,
           "achievements": sorted(set(achievement_ids)) if achievement_ids is not None else None}
    digest = hashlib.sha256(json.dumps(ids, sort_keys=True).encode()).hexdigest()[:16]
    return f"subset:{digest}"


def run_start(*, actor, scope_key: str = SCOPE_ALL, requirement_ids=None, achievement_ids=None,
              params: dict | None = None, label: str = "", trigger: str = RunTrigger.MANUAL) -> PreDockingRun:
    """Queue a pre-docking run. ``actor`` None is the system (events hand in their scope).
    A second active run of the same scope is refused."""
    if actor is not None and not rules.can_start_run(actor):
        raise PermissionDenied(_("Only bureau staff can start pre-docking runs."))
    try:
        match_params = MatchParams.from_dict(params)
    except (ValueError, TypeError) as exc:
        raise ApplicationError(_("Invalid run parameters: %(error)s") % {"error": exc}, code="invalid_params") from exc
    for name, ids in (("requirement_ids", requirement_ids), ("achievement_ids", achievement_ids)):
        if ids is not None and (not isinstance(ids, list | tuple) or not all(isinstance(i, int) for i in ids)):
            raise ApplicationError(_("%(name)s must be a list of listing ids.") % {"name": name}, code="invalid_scope")
    if scope_key == SCOPE_ALL:
        scope_key = scope_key_for(requirement_ids, achievement_ids)
    try:
        with transaction.atomic():
            run = PreDockingRun.objects.create(
                scope_key=scope_key[:100], label=label[:200], trigger=trigger, params=match_params.to_dict(),
                requirement_ids=sorted(set(requirement_ids)) if requirement_ids is not None else None,
                achievement_ids=sorted(set(achievement_ids)) if achievement_ids is not None else None,
                started_by=actor,
            )
    except IntegrityError:
        active = PreDockingRun.objects.filter(scope_key=scope_key, status__in=["pending", "running"]).first()
        raise ApplicationError(
            _("A pre-docking run of this scope is already in progress (run %(id)s). Wait for it to finish "
              "or cancel it.") % {"id": active.pk if active else "?"},
            code="run_in_progress",
        ) from None
    transaction.on_commit(lambda: _dispatch_prepare(run.pk))
    return run


def _dispatch_prepare(run_id: int) -> None:
    from matchmaking.tasks import run_prepare_task

    run_prepare_task.apply_async(args=[run_id], queue="matching")


def _dispatch_chunks(chunk_ids: list[int], stage: str) -> None:
    from matchmaking.tasks import process_chunk_task

    queue = "embeddings" if stage == RunStage.EMBEDDING else "matching"
    RunChunk.objects.filter(pk__in=chunk_ids).update(dispatched_at=timezone.now())
    for chunk_id in chunk_ids:
        process_chunk_task.apply_async(args=[chunk_id], queue=queue)


def _dispatch_coverage(run_id: int) -> None:
    from matchmaking.tasks import run_coverage_task

    run_coverage_task.apply_async(args=[run_id], queue="matching")


def _scope_ids(run: PreDockingRun, kind: str) -> list[int]:
    wanted = run.requirement_ids if kind == ListingKind.REQUIREMENT else run.achievement_ids
    qs = matchable(kind)
    if wanted is not None:
        qs = qs.filter(pk__in=wanted)
    return sorted(qs.values_list("pk", flat=True))


def run_prepare(run_id: int) -> None:
    """Fix the run's scope and encoder, then cut the embedding work into chunks."""
    model = encoder_name()  # fails here, before the run is marked running, if the model is missing
    with transaction.atomic():
        run = PreDockingRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.PENDING:
            return
        scope = {kind: _scope_ids(run, kind) for kind in (ListingKind.REQUIREMENT, ListingKind.ACHIEVEMENT)}
        run.requirement_ids = scope[ListingKind.REQUIREMENT]
        run.achievement_ids = scope[ListingKind.ACHIEVEMENT]
        run.model_name = model
        run.status = RunStatus.RUNNING
        run.stage = RunStage.EMBEDDING
        run.started_at = run.heartbeat_at = timezone.now()
        run.counts = {"requirements": len(run.requirement_ids), "achievements": len(run.achievement_ids)}
        chunks = []
        for kind, ids in scope.items():
            stale = stale_listing_ids(kind, ids, model=model)
            chunks += [(kind, stale[i:i + EMBED_CHUNK]) for i in range(0, len(stale), EMBED_CHUNK)]
        created = _create_chunks(run, RunStage.EMBEDDING, chunks)
        run.save()
    if created:
        transaction.on_commit(lambda: _dispatch_chunks(created, RunStage.EMBEDDING))
    else:
        run_advance(run_id)


def _create_chunks(run: PreDockingRun, stage: str, chunks: list[tuple[str, list[int]]]) -> list[int]:
    objs = RunChunk.objects.bulk_create(
        [RunChunk(run=run, stage=stage, seq=seq, kind=kind, item_ids=ids) for seq, (kind, ids) in enumerate(chunks)]
    )
    run.chunks_total, run.chunks_done = len(objs), 0
    return [obj.pk for obj in objs]


def chunk_process(chunk_id: int, *, worker: str = "") -> bool:
    """Do one chunk's work exactly once. Returns False when it was already done (a redelivery)."""
    chunk = RunChunk.objects.select_related("run").get(pk=chunk_id)
    if chunk.status == ChunkStatus.DONE or chunk.run.status != RunStatus.RUNNING:
        return False
    RunChunk.objects.filter(pk=chunk_id).update(attempts=chunk.attempts + 1)
    run = chunk.run
    if chunk.stage == RunStage.EMBEDDING:
        model = run.model_name
        encoder = _encoder(model)
        listings = _load_listings(chunk.kind, chunk.item_ids)
        texts = {pk: canonical_text(listing, listing.fields.all()) for pk, listing in listings.items()}
        ordered = sorted(texts)
        vectors = encoder.encode([texts[pk] for pk in ordered], kind=ENCODE_AS[chunk.kind]) if ordered else None
        rows = [ListingEmbedding(kind=chunk.kind, listing_id=pk, model_name=model, content_hash=content_hash(texts[pk]),
                                 dim=vectors.shape[1], vector=vectors[i].astype("<f4").tobytes())
                for i, pk in enumerate(ordered)]
        write = lambda: ListingEmbedding.objects.bulk_create(  # noqa: E731
            rows, update_conflicts=True, unique_fields=["kind", "listing_id", "model_name"],
            update_fields=["content_hash", "dim", "vector", "updated_at"])
    else:
        pairs, direction = _match_chunk(run, chunk)
        write = lambda: _write_candidates(run, pairs, direction)  # noqa: E731
    with transaction.atomic():
        locked = RunChunk.objects.select_for_update().get(pk=chunk_id)
        if locked.status == ChunkStatus.DONE:
            return False
        write()
        locked.status = ChunkStatus.DONE
        locked.finished_at = timezone.now()
        locked.worker = worker[:200]
        locked.save(update_fields=["status", "finished_at", "worker"])
        PreDockingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    run_advance(run.pk)
    return True


# One engine per run and process: every matching chunk of a run on a worker shares it.
_engines: dict[int, Engine] = {}


def run_engine(run: PreDockingRun) -> Engine:
    engine = _engines.get(run.pk)
    if engine is None:
        _engines.clear()
        engine = Engine(
            build_side(ListingKind.REQUIREMENT, run.requirement_ids, model=run.model_name),
            build_side(ListingKind.ACHIEVEMENT, run.achievement_ids, model=run.model_name),
            MatchParams.from_dict(run.params),
        )
        _engines[run.pk] = engine
    return engine


def _match_chunk(run: PreDockingRun, chunk: RunChunk):
    engine = run_engine(run)
    side = engine.req if chunk.kind == ListingKind.REQUIREMENT else engine.ach
    present = [i for i in chunk.item_ids if i in set(side.ids.tolist())]
    rows = side.rows_of(present)
    direction = REQUIREMENT if chunk.kind == ListingKind.REQUIREMENT else ACHIEVEMENT
    return engine.candidates(direction, rows), direction


def _flags_json(compat) -> list[dict]:
    return [{"code": f.code, "blocking": f.blocking, "params": f.params} for f in compat.flags] if compat else []


def _write_candidates(run: PreDockingRun, pairs, direction: str) -> None:
    engine = _engines[run.pk]
    rank_field = "requirement_rank" if direction == REQUIREMENT else "achievement_rank"
    objs = []
    for i in range(len(pairs)):
        compat = pairs.compat[i]
        obj = RunCandidate(
            run=run, requirement_id=int(engine.req.ids[pairs.req[i]]), achievement_id=int(engine.ach.ids[pairs.ach[i]]),
            score=float(pairs.score[i]), dense=float(pairs.dense[i]), lexical=float(pairs.lexical[i]),
            structured=float(pairs.structured[i]), components=compat.components if compat else {},
            flags=_flags_json(compat),
        )
        setattr(obj, rank_field, int(pairs.rank[i]))
        objs.append(obj)
    RunCandidate.objects.bulk_create(
        objs, batch_size=2000, update_conflicts=True, unique_fields=["run", "requirement", "achievement"],
        update_fields=["score", "dense", "lexical", "structured", "components", "flags", rank_field],
    )


def run_advance(run_id: int) -> None:
    """Move the run to its next stage once every chunk of the current one is done."""
    dispatch = None
    with transaction.atomic():
        run = PreDockingRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.RUNNING or run.stage in (RunStage.COVERAGE, RunStage.DONE):
            return
        chunks = RunChunk.objects.filter(run=run, stage=run.stage)
        done = chunks.filter(status=ChunkStatus.DONE).count()
        run.chunks_done = done
        if done < chunks.count():
            run.save(update_fields=["chunks_done", "updated_at"])
            return
        if run.stage == RunStage.EMBEDDING:
            checksums = [sync_index(kind, model=run.model_name).checksum
                         for kind in (ListingKind.REQUIREMENT, ListingKind.ACHIEVEMENT)]
            _r, _v, req_hashes = load_vectors(ListingKind.REQUIREMENT, run.requirement_ids, model=run.model_name)
            _a, _w, ach_hashes = load_vectors(ListingKind.ACHIEVEMENT, run.achievement_ids, model=run.model_name)
            run.index_checksum = index_files.rows_checksum(
                np.concatenate([_r, _a + 10**12]), req_hashes + ach_hashes)
            run.report = {**run.report, "index_files": checksums}
            run.stage = RunStage.MATCHING
            work = [(ListingKind.REQUIREMENT, run.requirement_ids[i:i + MATCH_CHUNK])
                    for i in range(0, len(run.requirement_ids), MATCH_CHUNK)]
            work += [(ListingKind.ACHIEVEMENT, run.achievement_ids[i:i + MATCH_CHUNK])
                     for i in range(0, len(run.achievement_ids), MATCH_CHUNK)]
            created = _create_chunks(run, RunStage.MATCHING, work)
            dispatch = (lambda: _dispatch_chunks(created, RunStage.MATCHING)) if created else None
        elif run.stage == RunStage.MATCHING:
            run.stage = RunStage.COVERAGE
            run.chunks_total, run.chunks_done = 1, 0
            dispatch = lambda: _dispatch_coverage(run_id)  # noqa: E731
        run.heartbeat_at = timezone.now()
        run.save()
        if run.stage == RunStage.MATCHING and dispatch is None:
            run.stage = RunStage.COVERAGE
            run.save(update_fields=["stage"])
            dispatch = lambda: _dispatch_coverage(run_id)  # noqa: E731
    if dispatch:
        transaction.on_commit(dispatch)


def _learned_ranking(run: PreDockingRun, cands: list[RunCandidate]) -> dict:
    """Re-score the candidates with the ranking learned from brokers' decisions when a model is
    active and ``settings.TECHDOCK_LEARNED_RANKING`` allows (``matchmaking.learning_services``):
    score = (1 − blend)·fused + blend·p(approval). Returns what the run's report records (model
    id and blend), so that the run can be reproduced; {} when nothing was re-scored."""
    from matchmaking import learning_services

    if not cands or not learning_services.learned_ranking_enabled():
        return {}
    model = learning_services.active_ranking_model()
    if model is None:
        return {}
    # The features need the calibration of this run's scores: the engine that matched it, rebuilt
    # (deterministically) when the coverage task runs on another worker than the matching.
    engine = _engines.get(run.pk) or run_engine(run)
    return learning_services.candidates_rescore(cands, model=model, calibration=engine.calibration,
                                                blend=learning_services.learned_blend())


def run_coverage(run_id: int) -> None:
    """Choose the suggestions from the run's candidates, explain them and report."""
    run = PreDockingRun.objects.get(pk=run_id)
    if run.status != RunStatus.RUNNING or run.stage != RunStage.COVERAGE:
        return
    started = time.monotonic()
    params = MatchParams.from_dict(run.params)
    # A listing withdrawn or made confidential during the run drops out here.
    live = {kind: set(matchable(kind).filter(pk__in=ids).values_list("pk", flat=True))
            for kind, ids in ((ListingKind.REQUIREMENT, run.requirement_ids),
                              (ListingKind.ACHIEVEMENT, run.achievement_ids))}
    req_ids = sorted(live[ListingKind.REQUIREMENT])
    ach_ids = sorted(live[ListingKind.ACHIEVEMENT])
    req_row = {pk: i for i, pk in enumerate(req_ids)}
    ach_row = {pk: i for i, pk in enumerate(ach_ids)}
    cands = [c for c in RunCandidate.objects.filter(run=run).order_by("pk")
             if c.requirement_id in req_row and c.achievement_id in ach_row]
    learned = _learned_ranking(run, cands)
    selection = select(
        np.array([req_row[c.requirement_id] for c in cands], dtype=np.int64),
        np.array([ach_row[c.achievement_id] for c in cands], dtype=np.int64),
        np.array([c.score for c in cands], dtype=np.float64),
        np.array([c.blocking for c in cands], dtype=bool),
        len(req_ids), len(ach_ids), params,
    )
    chosen = [cands[i] for i in selection.chosen.tolist()]
    hashes = _content_hashes(run.model_name, {c.requirement_id for c in chosen}, {c.achievement_id for c in chosen})
    reviewed = _reviewed_pairs({(c.requirement_id, c.achievement_id) for c in chosen}, hashes)
    explanations = _explanations(chosen)
    suggestions, kept = [], 0
    for c, via, low in zip(chosen, selection.via_coverage.tolist(), selection.low_confidence.tolist(), strict=True):
        if (c.requirement_id, c.achievement_id) in reviewed:
            kept += 1
            continue
        suggestions.append(Suggestion(
            run=run, requirement_id=c.requirement_id, achievement_id=c.achievement_id, score=c.score, dense=c.dense,
            lexical=c.lexical, structured=c.structured, components=c.components, flags=c.flags,
            requirement_rank=c.requirement_rank, achievement_rank=c.achievement_rank,
            explanation=explanations[(c.requirement_id, c.achievement_id)], low_confidence=low, via_coverage=via,
            requirement_hash=hashes.get((ListingKind.REQUIREMENT, c.requirement_id), ""),
            achievement_hash=hashes.get((ListingKind.ACHIEVEMENT, c.achievement_id), ""),
        ))
    report = _run_report(run, chosen, selection, req_ids, ach_ids, cands) | learned
    with transaction.atomic():
        locked = PreDockingRun.objects.select_for_update().get(pk=run_id)
        if locked.status != RunStatus.RUNNING or locked.stage != RunStage.COVERAGE:
            return
        Suggestion.objects.bulk_create(
            suggestions, batch_size=1000, update_conflicts=True,
            unique_fields=["run", "requirement", "achievement"],
            update_fields=["score", "dense", "lexical", "structured", "components", "flags", "requirement_rank",
                           "achievement_rank", "explanation", "low_confidence", "via_coverage",
                           "requirement_hash", "achievement_hash"],
        )
        superseded = _supersede_older(locked, req_ids, ach_ids,
                                      pairs={(c.requirement_id, c.achievement_id) for c in suggestions})
        engine = _engines.get(run_id)
        locked.counts = {
            **locked.counts,
            "candidates": len(cands),
            "suggestions": len(suggestions),
            "kept_reviewed": kept,
            "superseded": superseded,
            "dropped_hidden": (len(run.requirement_ids) - len(req_ids)) + (len(run.achievement_ids) - len(ach_ids)),
            "low_confidence": int(selection.low_confidence.sum()),
            "via_coverage": int(selection.via_coverage.sum()),
        }
        locked.report = {**locked.report, **report, "coverage_s": round(time.monotonic() - started, 2)}
        if engine is not None:
            cal = engine.calibration
            locked.report["calibration"] = {
                "dense_mu": round(cal.dense_mu, 4), "lexical_k": round(cal.lexical_k, 2),
                "dense_mu_by_language": {f"{lr}→{la}": round(mu, 4)
                                         for (lr, la), mu in cal.dense_mu_by_language.items()},
            }
        locked.status = RunStatus.SUCCEEDED
        locked.stage = RunStage.DONE
        locked.chunks_done = locked.chunks_total
        locked.finished_at = locked.heartbeat_at = timezone.now()
        locked.save()
        transaction.on_commit(lambda: _route_after(run_id))
    _engines.pop(run_id, None)


def _content_hashes(model: str, req_ids, ach_ids) -> dict:
    out = {}
    for kind, ids in ((ListingKind.REQUIREMENT, req_ids), (ListingKind.ACHIEVEMENT, ach_ids)):
        for pk, digest in ListingEmbedding.objects.filter(kind=kind, listing_id__in=list(ids), model_name=model) \
                .values_list("listing_id", "content_hash"):
            out[(kind, pk)] = digest
    return out


def _reviewed_pairs(pairs: set, hashes: dict) -> set:
    """Pairs a broker already decided in an earlier run: an approval stands; a rejection stands
    unless one of the two listings has changed since."""
    if not pairs:
        return set()
    req_ids = {r for r, _a in pairs}
    found = set()
    for s in Suggestion.objects.filter(requirement_id__in=req_ids, status__in=REVIEWED_STATUSES).only(
            "requirement_id", "achievement_id", "status", "requirement_hash", "achievement_hash"):
        key = (s.requirement_id, s.achievement_id)
        if key not in pairs:
            continue
        if s.status == SuggestionStatus.APPROVED:
            found.add(key)
        elif (hashes.get((ListingKind.REQUIREMENT, key[0])) == s.requirement_hash
              and hashes.get((ListingKind.ACHIEVEMENT, key[1])) == s.achievement_hash):
            found.add(key)
    return found


def _supersede_older(run: PreDockingRun, req_ids, ach_ids, *, pairs: set[tuple[int, int]] = frozenset()) -> int:
    """Unreviewed suggestions of earlier runs of this scope (and incremental ones about the
    same listings) give way to this run's; so does an unreviewed suggestion of the very same
    pair from a run of another scope (an event's run after the catalogue-wide one), so that a
    pair is never waiting for review twice. Reviewed ones are never touched."""
    older = Suggestion.objects.filter(status=SuggestionStatus.SUGGESTED).exclude(run=run)
    same_scope = Q(run__scope_key=run.scope_key)
    incremental = Q(run__scope_key=SCOPE_INCREMENTAL) & (Q(requirement_id__in=req_ids) | Q(achievement_id__in=ach_ids))
    now = timezone.now()
    count = older.filter(same_scope | incremental).update(status=SuggestionStatus.SUPERSEDED, updated_at=now)
    if pairs:
        same_pair = [pk for pk, r, a in older.filter(requirement_id__in={r for r, _ in pairs},
                                                     achievement_id__in={a for _, a in pairs})
                     .values_list("pk", "requirement_id", "achievement_id") if (r, a) in pairs]
        for start in range(0, len(same_pair), 1000):
            count += Suggestion.objects.filter(pk__in=same_pair[start:start + 1000]).update(
                status=SuggestionStatus.SUPERSEDED, updated_at=now)
    return count


def _explanations(cands) -> dict:
    """The best-matching sentence of each side, shared fields, blocking flags."""
    req_ids = {c.requirement_id for c in cands}
    ach_ids = {c.achievement_id for c in cands}
    reqs = _load_listings(ListingKind.REQUIREMENT, req_ids)
    achs = _load_listings(ListingKind.ACHIEVEMENT, ach_ids)
    texts = {("r", pk): canonical_text(obj, obj.fields.all()) for pk, obj in reqs.items()}
    texts |= {("a", pk): canonical_text(obj, obj.fields.all()) for pk, obj in achs.items()}
    fields = {("r", pk): {f.pk for f in obj.fields.all()} for pk, obj in reqs.items()}
    fields |= {("a", pk): {f.pk for f in obj.fields.all()} for pk, obj in achs.items()}
    engine = next(iter(_engines.values()), None)
    idf = engine.bm25.idf if engine is not None else (lambda term: 1.0)
    semantic_needed = []
    out = {}
    for c in cands:
        key = (c.requirement_id, c.achievement_id)
        req_text, ach_text = texts[("r", c.requirement_id)], texts[("a", c.achievement_id)]
        match = best_sentence_pair(req_text, ach_text, idf)
        explanation = {
            "shared_fields": sorted(fields[("r", c.requirement_id)] & fields[("a", c.achievement_id)]),
            "blocking": [f["code"] for f in c.flags if f.get("blocking")],
        }
        if match is not None:
            explanation |= {"method": "lexical", "requirement_sentence": quote(match.requirement),
                            "achievement_sentence": quote(match.achievement), "shared_terms": list(match.shared_terms)}
        else:
            semantic_needed.append(key)
        out[key] = explanation
    if semantic_needed:
        _semantic_sentences(semantic_needed, texts, out)
    return out


def _semantic_sentences(keys, texts, out, per_side: int = 6) -> None:
    """Where the two sides share no word (typically Chinese against English), the sentence pair
    with the closest embeddings is quoted instead."""
    encoder = _encoder()
    sentences = {}
    for r, a in keys:
        for side, pk in (("r", r), ("a", a)):
            if (side, pk) not in sentences:
                sentences[(side, pk)] = split_sentences(texts[(side, pk)])[:per_side] or [texts[(side, pk)][:200]]
    flat = [(key, s) for key, sents in sentences.items() for s in sents]
    vectors = encoder.encode([s for _key, s in flat], kind="query")
    by_key: dict = {}
    for (key, _s), vector in zip(flat, vectors, strict=True):
        by_key.setdefault(key, []).append(vector)
    for r, a in keys:
        sims = np.stack(by_key[("r", r)]) @ np.stack(by_key[("a", a)]).T
        i, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
        out[(r, a)] |= {"method": "semantic", "requirement_sentence": quote(sentences[("r", r)][i]),
                        "achievement_sentence": quote(sentences[("a", a)][j]), "shared_terms": [],
                        "similarity": round(float(sims[i, j]), 3)}


def _run_report(run, chosen, selection, req_ids, ach_ids, cands) -> dict:
    scores = np.array([c.score for c in chosen], dtype=np.float64)
    histogram, edges = np.histogram(scores, bins=10, range=(0.0, 1.0))
    per_req = Counter(c.requirement_id for c in chosen)
    credible_req = {c.requirement_id for c, low in zip(chosen, selection.low_confidence.tolist(), strict=True)
                    if not low}
    credible_ach = {c.achievement_id for c, low in zip(chosen, selection.low_confidence.tolist(), strict=True)
                    if not low}
    field_counts: Counter = Counter()
    req_fields: dict[int, list[int]] = {}
    for req_id, field_id in Requirement.fields.through.objects.filter(
            requirement_id__in=[c.requirement_id for c in chosen]).values_list("requirement_id", "field_id"):
        req_fields.setdefault(req_id, []).append(field_id)
    for c in chosen:
        for field_id in req_fields.get(c.requirement_id, []):
            field_counts[field_id] += 1
    n_req = len(req_ids)
    k = MatchParams.from_dict(run.params).k_requirement
    return {
        "requirements_covered": sum(1 for pk in req_ids if per_req.get(pk, 0) >= k),
        "requirements_with_candidates": len(per_req),
        "requirements_with_credible": len(credible_req),
        "achievements_covered": len({c.achievement_id for c in chosen}),
        "achievements_with_credible": len(credible_ach),
        "coverage_pct": round(100.0 * len(per_req) / n_req, 1) if n_req else 100.0,
        "score_histogram": {"counts": histogram.tolist(), "edges": [round(e, 2) for e in edges.tolist()]},
        "score_mean": round(float(scores.mean()), 4) if len(scores) else None,
        "per_field": {str(k): v for k, v in field_counts.most_common()},
        "no_credible_requirements": sorted(set(req_ids) - credible_req)[:500],
        "no_credible_achievements": sorted(set(ach_ids) - credible_ach)[:500],
        "no_credible_counts": {"requirements": len(set(req_ids) - credible_req),
                               "achievements": len(set(ach_ids) - credible_ach)},
    }


def run_fail(run_id: int, message: str) -> None:
    PreDockingRun.objects.filter(pk=run_id, status__in=["pending", "running"]).update(
        status=RunStatus.FAILED, error=message[:5000], finished_at=timezone.now())
    _engines.pop(run_id, None)


def run_cancel(*, actor, run: PreDockingRun) -> PreDockingRun:
    if not rules.can_start_run(actor):
        raise PermissionDenied(_("Only bureau staff can cancel pre-docking runs."))
    updated = PreDockingRun.objects.filter(pk=run.pk, status__in=["pending", "running"]).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now())
    if not updated:
        raise ApplicationError(_("This run is no longer in progress."), code="run_not_active")
    run.refresh_from_db()
    return run


def run_resume(run: PreDockingRun) -> str:
    """Send again the work a vanished worker left behind; a chunk done meanwhile is skipped."""
    if run.status == RunStatus.PENDING:
        _dispatch_prepare(run.pk)
        return "prepare"
    if run.status != RunStatus.RUNNING:
        return "nothing"
    if run.stage == RunStage.COVERAGE:
        _dispatch_coverage(run.pk)
        return "coverage"
    pending = list(RunChunk.objects.filter(run=run, stage=run.stage, status=ChunkStatus.PENDING)
                   .values_list("pk", flat=True))
    if pending:
        _dispatch_chunks(pending, run.stage)
        return f"{len(pending)} chunks"
    run_advance(run.pk)
    return "advance"


def resume_stalled_runs(*, stalled_for: timedelta | None = None) -> list[int]:
    """Runs with no progress for ``stalled_for`` (default: settings.TECHDOCK_RUN_STALL_SECONDS)."""
    stalled_for = stalled_for if stalled_for is not None else timedelta(
        seconds=getattr(settings, "TECHDOCK_RUN_STALL_SECONDS", 600))
    cutoff = timezone.now() - stalled_for
    runs = PreDockingRun.objects.filter(status__in=["pending", "running"]).filter(
        Q(heartbeat_at__lte=cutoff) | Q(heartbeat_at__isnull=True, created_at__lte=cutoff))
    resumed = []
    for run in runs:
        logger.warning("resuming stalled run %s: %s", run.pk, run_resume(run))
        PreDockingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
        resumed.append(run.pk)
    return resumed


def _route_after(run_id: int | None) -> None:
    from matchmaking.tasks import route_suggestions_task

    route_suggestions_task.apply_async(kwargs={"run_id": run_id}, queue="default")


# --- incremental matching --------------------------------------------------------------------

def incremental_run() -> PreDockingRun:
    run, _created = PreDockingRun.objects.get_or_create(
        scope_key=SCOPE_INCREMENTAL, trigger=RunTrigger.INCREMENTAL, status=RunStatus.SUCCEEDED,
        defaults={"label": "incremental", "params": MatchParams().to_dict(), "stage": RunStage.DONE},
    )
    return run


def match_listing(kind: str, listing_id: int) -> int:
    """Suggestions for one newly published listing, in seconds, without a full run: its best
    partners on the other side (and so it appears on theirs). Returns how many were written."""
    listing = matchable(kind).filter(pk=listing_id).first()
    if listing is None:
        return 0
    embed_listings(kind, [listing_id])
    model = encoder_name()
    other = ListingKind.ACHIEVEMENT if kind == ListingKind.REQUIREMENT else ListingKind.REQUIREMENT
    other_ids = list(matchable(other).values_list("pk", flat=True))
    this_side = build_side(kind, [listing_id], model=model)
    other_side = _cached_side(other, other_ids, model)
    if not len(this_side) or not len(other_side):
        return 0
    run = incremental_run()
    params = MatchParams.from_dict(run.params)
    req, ach = (this_side, other_side) if kind == ListingKind.REQUIREMENT else (other_side, this_side)
    engine = Engine(req, ach, params)
    direction = REQUIREMENT if kind == ListingKind.REQUIREMENT else ACHIEVEMENT
    pairs = engine.candidates(direction, np.array([0]), keep=params.k_requirement)
    _engines[run.pk] = engine
    try:
        chosen = []
        for i in range(len(pairs)):
            r, a = int(req.ids[pairs.req[i]]), int(ach.ids[pairs.ach[i]])
            chosen.append(RunCandidate(
                requirement_id=r, achievement_id=a, score=float(pairs.score[i]), dense=float(pairs.dense[i]),
                lexical=float(pairs.lexical[i]), structured=float(pairs.structured[i]),
                components=pairs.compat[i].components if pairs.compat[i] else {}, flags=_flags_json(pairs.compat[i]),
                requirement_rank=int(pairs.rank[i]) if direction == REQUIREMENT else None,
                achievement_rank=int(pairs.rank[i]) if direction == ACHIEVEMENT else None,
            ))
        hashes = _content_hashes(model, {c.requirement_id for c in chosen}, {c.achievement_id for c in chosen})
        reviewed = _reviewed_pairs({(c.requirement_id, c.achievement_id) for c in chosen}, hashes)
        explanations = _explanations(chosen)
    finally:
        _engines.pop(run.pk, None)
    objs = [Suggestion(
        run=run, requirement_id=c.requirement_id, achievement_id=c.achievement_id, score=c.score, dense=c.dense,
        lexical=c.lexical, structured=c.structured, components=c.components, flags=c.flags,
        requirement_rank=c.requirement_rank, achievement_rank=c.achievement_rank,
        explanation=explanations[(c.requirement_id, c.achievement_id)],
        low_confidence=c.score < params.min_score or c.blocking,
        requirement_hash=hashes.get((ListingKind.REQUIREMENT, c.requirement_id), ""),
        achievement_hash=hashes.get((ListingKind.ACHIEVEMENT, c.achievement_id), ""),
    ) for c in chosen if (c.requirement_id, c.achievement_id) not in reviewed]
    Suggestion.objects.bulk_create(
        objs, update_conflicts=True, unique_fields=["run", "requirement", "achievement"],
        update_fields=["score", "dense", "lexical", "structured", "components", "flags", "requirement_rank",
                       "achievement_rank", "explanation", "low_confidence", "requirement_hash", "achievement_hash",
                       # a rejected pair suggested again (a listing changed) starts a fresh review
                       "status", "broker", "assigned_at", "due_at", "reviewed_by", "reviewed_at", "reject_reason",
                       "updated_at"],
    )
    if objs:
        transaction.on_commit(lambda: _route_after(None))
    return len(objs)


_sides: dict[tuple[str, str], tuple[str, Side]] = {}


def _cached_side(kind: str, ids: list[int], model: str) -> Side:
    """The other side for incremental matching, rebuilt only when its vectors changed."""
    embed_listings(kind, ids, model=model)
    listing_ids, _v, hashes = load_vectors(kind, ids, model=model)
    checksum = index_files.rows_checksum(listing_ids, hashes)
    hit = _sides.get((kind, model))
    if hit and hit[0] == checksum:
        return hit[1]
    side = build_side(kind, ids, model=model)
    _sides[(kind, model)] = (checksum, side)
    return side


# --- whole catalogue -------------------------------------------------------------------------

def embed_missing(*, model: str | None = None) -> dict[str, int]:
    """Queue embedding of every live listing with no current vector (a new encoder re-embeds all
    in the background this way); returns how many listings were queued per kind."""
    from matchmaking.tasks import embed_listings_task

    model = model or encoder_name()
    queued = {}
    for kind in (ListingKind.REQUIREMENT, ListingKind.ACHIEVEMENT):
        ids = list(MODELS[kind].objects.filter(status__in=LIVE_STATUSES).values_list("pk", flat=True))
        stale = stale_listing_ids(kind, ids, model=model)
        for i in range(0, len(stale), EMBED_CHUNK):
            embed_listings_task.apply_async(args=[kind, stale[i:i + EMBED_CHUNK]], queue="embeddings")
        queued[kind] = len(stale)
    return queued
