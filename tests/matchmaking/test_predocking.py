"""Pre-docking runs on demo data with the real encoder, in-process (tasks eager).

The worker-process versions (a killed worker, two workers sharing a run) are in
tests/integration/test_predocking_worker.py."""

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog import demo
from catalog.enums import Confidentiality, ListingKind, ListingStatus
from catalog.models import Achievement, Requirement
from catalog.services import listing_withdraw
from common.errors import ApplicationError, PermissionDenied
from matchmaking import index as index_files
from matchmaking import services
from matchmaking.engine import MatchParams
from matchmaking.models import (
    ChunkStatus,
    ListingEmbedding,
    PreDockingRun,
    RunCandidate,
    RunChunk,
    RunStage,
    RunStatus,
    Suggestion,
    SuggestionStatus,
)
from tests.factories import ensure_taxonomy

SCALE = 0.1  # ≈130 requirements × 124 achievements: the whole pipeline in seconds
pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    ensure_taxonomy()  # a transactional test before this one flushed the migration's rows
    call_command("seed_demo", scale=SCALE, stdout=io.StringIO())


def run_all(django_capture_on_commit_callbacks, **kwargs) -> PreDockingRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_start(actor=None, **kwargs)
    run.refresh_from_db()
    return run


def _ground_truth_ids() -> list[tuple[int, int, bool]]:
    """The generator's answer pairs among the listings a run may match (published, not restricted)."""
    req = dict(services.matchable(ListingKind.REQUIREMENT).values_list("external_ref", "pk"))
    ach = dict(services.matchable(ListingKind.ACHIEVEMENT).values_list("external_ref", "pk"))
    return [(req[r], ach[a], cross) for r, a, cross in demo.ground_truth_pairs(SCALE) if r in req and a in ach]


def test_run_covers_every_listing_and_recovers_the_seeded_pairs(seeded, django_capture_on_commit_callbacks):
    run = run_all(django_capture_on_commit_callbacks)

    assert run.status == RunStatus.SUCCEEDED, run.error
    params = MatchParams.from_dict(run.params)
    live_req = set(services.matchable(ListingKind.REQUIREMENT).values_list("pk", flat=True))
    live_ach = set(services.matchable(ListingKind.ACHIEVEMENT).values_list("pk", flat=True))
    suggestions = Suggestion.objects.filter(run=run)
    per_req = Counter(suggestions.values_list("requirement_id", flat=True))
    per_ach = Counter(suggestions.filter(via_coverage=False).values_list("achievement_id", flat=True))
    # every requirement has k candidates, every achievement at least one, none floods
    assert {pk for pk, n in per_req.items() if n >= params.k_requirement} == live_req
    assert set(suggestions.values_list("achievement_id", flat=True)) == live_ach
    assert max(per_ach.values()) <= params.cap
    assert run.report["coverage_pct"] == 100.0
    assert run.counts["suggestions"] == suggestions.count()
    # the pairs the generator wrote to answer each other are found: recall@10 over candidates
    truth = _ground_truth_ids()
    top10 = set(RunCandidate.objects.filter(run=run, requirement_rank__lte=10)
                .values_list("requirement_id", "achievement_id"))
    same = [(r, a) in top10 for r, a, cross in truth if not cross]
    cross = [(r, a) in top10 for r, a, cross in truth if cross]
    print(f"ground-truth recall@10: same language {sum(same)}/{len(same)}, cross-language {sum(cross)}/{len(cross)}")
    assert len(same) >= 8 and sum(same) / len(same) >= 0.9
    assert sum(same) + sum(cross) >= 0.7 * len(truth)
    # every suggestion explains itself with a sentence from each side
    sample = suggestions.order_by("-score").first()
    assert sample.explanation["requirement_sentence"] and sample.explanation["achievement_sentence"]
    assert run.model_name and len(run.index_checksum) == 64


def test_hidden_and_withdrawn_listings_are_never_suggested(seeded, django_capture_on_commit_callbacks, world):
    withdrawn = Requirement.objects.filter(status=ListingStatus.PUBLISHED).first()
    listing_withdraw(actor=world.bureau, listing=withdrawn, reason="test")
    restricted = Achievement.objects.filter(status=ListingStatus.PUBLISHED).first()
    Achievement.objects.filter(pk=restricted.pk).update(confidentiality=Confidentiality.RESTRICTED)

    run = run_all(django_capture_on_commit_callbacks)

    assert run.status == RunStatus.SUCCEEDED
    pairs = Suggestion.objects.filter(run=run)
    assert not pairs.filter(requirement=withdrawn).exists()
    assert not pairs.filter(achievement=restricted).exists()
    assert not pairs.exclude(requirement__status=ListingStatus.PUBLISHED).exists()
    assert not pairs.exclude(achievement__status=ListingStatus.PUBLISHED).exists()


def test_a_listing_withdrawn_during_the_run_drops_out(seeded, django_capture_on_commit_callbacks, world):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.run_start(actor=None)
    assert callbacks  # the prepare task is queued, not run
    services.run_prepare(run.pk)
    for chunk in RunChunk.objects.filter(run=run, stage=RunStage.EMBEDDING):
        services.chunk_process(chunk.pk)
    services.run_advance(run.pk)
    for chunk in RunChunk.objects.filter(run=run, stage=RunStage.MATCHING):
        services.chunk_process(chunk.pk)
    victim = RunCandidate.objects.filter(run=run).order_by("-score").first().requirement
    listing_withdraw(actor=world.bureau, listing=victim, reason="withdrawn mid-run")

    services.run_coverage(run.pk)

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert not Suggestion.objects.filter(run=run, requirement=victim).exists()
    assert run.counts["dropped_hidden"] == 1


def test_a_redelivered_chunk_is_done_once(seeded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = services.run_start(actor=None)
    services.run_prepare(run.pk)
    chunk = RunChunk.objects.filter(run=run, stage=RunStage.EMBEDDING).first()

    assert services.chunk_process(chunk.pk) is True
    assert services.chunk_process(chunk.pk) is False

    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.DONE and chunk.attempts == 1
    embedded = ListingEmbedding.objects.filter(listing_id__in=chunk.item_ids, kind=chunk.kind)
    assert embedded.count() == len(chunk.item_ids)


def test_one_active_run_per_scope_and_only_bureau_starts(seeded, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = services.run_start(actor=world.bureau)
        with pytest.raises(ApplicationError) as refused:
            services.run_start(actor=world.bureau)
        with pytest.raises(PermissionDenied):
            services.run_start(actor=world.broker)
        with pytest.raises(ApplicationError) as invalid:
            services.run_start(actor=world.bureau, scope_key="other", params={"k_requirement": 0})
    assert refused.value.code == "run_in_progress" and str(first.pk) in str(refused.value)
    assert invalid.value.code == "invalid_params"
    assert PreDockingRun.objects.count() == 1


def test_rerun_keeps_reviews_and_never_duplicates(seeded, django_capture_on_commit_callbacks):
    first = run_all(django_capture_on_commit_callbacks)
    approved, rejected, untouched = Suggestion.objects.filter(run=first).order_by("-score")[:3]
    Suggestion.objects.filter(pk=approved.pk).update(status=SuggestionStatus.APPROVED)
    Suggestion.objects.filter(pk=rejected.pk).update(status=SuggestionStatus.REJECTED)

    second = run_all(django_capture_on_commit_callbacks)

    assert second.status == RunStatus.SUCCEEDED
    for reviewed in (approved, rejected):
        reviewed.refresh_from_db()
        assert reviewed.status in (SuggestionStatus.APPROVED, SuggestionStatus.REJECTED)
        assert not Suggestion.objects.filter(run=second, requirement=reviewed.requirement,
                                             achievement=reviewed.achievement).exists()
    untouched.refresh_from_db()
    assert untouched.status == SuggestionStatus.SUPERSEDED
    assert second.counts["kept_reviewed"] >= 2
    current = Suggestion.objects.exclude(status=SuggestionStatus.SUPERSEDED)
    pairs = list(current.values_list("requirement_id", "achievement_id"))
    assert len(pairs) == len(set(pairs))


def test_publishing_a_listing_matches_it_at_once(seeded, settings, world, django_capture_on_commit_callbacks):
    settings.TECHDOCK_INCREMENTAL_MATCHING = True
    from catalog.services import listing_publish

    listing = services.matchable(ListingKind.REQUIREMENT).order_by("pk").first()
    Requirement.objects.filter(pk=listing.pk).update(status=ListingStatus.SCREENED)
    listing.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        listing_publish(actor=world.bureau, listing=listing)

    made = Suggestion.objects.filter(requirement=listing, run__scope_key=services.SCOPE_INCREMENTAL)
    assert made.count() == MatchParams().k_requirement
    assert all(s.achievement.status == ListingStatus.PUBLISHED for s in made)


def test_index_files_are_rebuilt_checked_and_repaired(seeded):
    out = io.StringIO()
    call_command("rebuild_index", stdout=out)
    built = json.loads(out.getvalue().strip().splitlines()[-1])
    live = services.matchable(ListingKind.ACHIEVEMENT).count()
    assert built["indexes"]["achievement"]["count"] >= live

    out = io.StringIO()
    call_command("check_index", stdout=out)
    assert all(json.loads(line)["ok"] for line in out.getvalue().strip().splitlines())

    model = services.encoder_name()
    path = index_files.index_path(ListingKind.ACHIEVEMENT, model)
    path.write_bytes(path.read_bytes()[:100])  # corrupt
    with pytest.raises(CommandError):
        call_command("check_index", stdout=io.StringIO())
    info = services.sync_index(ListingKind.ACHIEVEMENT)  # repaired from the database
    assert info.count == built["indexes"]["achievement"]["count"]
    path.unlink()
    assert services.sync_index(ListingKind.ACHIEVEMENT).count == info.count


def test_a_missing_model_fails_the_run_with_a_clear_message(seeded, settings, django_capture_on_commit_callbacks):
    settings.TECHDOCK_ENCODER = "st:/nonexistent/model"

    run = run_all(django_capture_on_commit_callbacks)

    assert run.status == RunStatus.FAILED
    assert "/nonexistent/model" in run.error
