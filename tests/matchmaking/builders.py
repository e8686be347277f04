"""Runs and suggestions written straight to the database, so that the page and API tests need
neither the encoder nor a worker. ``suggestion_world`` holds, for the ``world`` fixture's
listings, one suggestion per visibility case, each of which some role must not see."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from catalog.enums import Confidentiality
from matchmaking.engine import MatchParams
from matchmaking.models import PreDockingRun, RunStage, RunStatus, Suggestion, SuggestionStatus
from tests.factories import RequirementFactory, field

# Budget figures that appear nowhere else on a page, so their absence proves the redaction.
BUDGET_OFFERED = 3170
BUDGET_ASKING = 8420
HISTOGRAM = [0, 0, 1, 0, 2, 4, 3, 0, 0, 0]


def report_for(world) -> dict:
    energy = field("energy-storage")
    return {
        "requirements_covered": 3,
        "requirements_with_candidates": 4,
        "requirements_with_credible": 2,
        "achievements_covered": 2,
        "achievements_with_credible": 1,
        "coverage_pct": 100.0,
        "score_histogram": {"counts": HISTOGRAM, "edges": [round(i / 10, 2) for i in range(11)]},
        "score_mean": 0.5213,
        "per_field": {str(energy.pk): 7},
        "no_credible_requirements": [world.req_members.pk],
        "no_credible_achievements": [world.ach_public.pk],
        "no_credible_counts": {"requirements": 1, "achievements": 1},
        "coverage_s": 1.5,
        "calibration": {"dense_mu": 0.71, "lexical_k": 6.5},
    }


def make_run(world, *, status: str = RunStatus.SUCCEEDED, scope_key: str = "all", **fields) -> PreDockingRun:
    now = timezone.now()
    finished = status not in (RunStatus.PENDING, RunStatus.RUNNING)
    defaults = {
        "stage": RunStage.DONE if status == RunStatus.SUCCEEDED else RunStage.MATCHING,
        "params": MatchParams().to_dict(),
        "counts": {"requirements": 4, "achievements": 2, "suggestions": 10},
        "report": report_for(world) if status == RunStatus.SUCCEEDED else {},
        "model_name": "test-encoder",
        "index_checksum": "c0ffee" * 4,
        "started_by": world.bureau,
        "started_at": now - timedelta(minutes=3),
        "finished_at": now if finished else None,
        "chunks_total": 4,
        "chunks_done": 4 if finished else 1,
    }
    return PreDockingRun.objects.create(scope_key=scope_key, status=status, **(defaults | fields))


def make_suggestion(run, requirement, achievement, *, status=SuggestionStatus.SENT, **fields) -> Suggestion:
    defaults = {
        "score": 0.62, "dense": 0.81, "lexical": 0.44, "structured": 0.7,
        "components": {"fields": 1.0, "trl": 1.0, "modes": 1.0, "ip": 1.0, "budget": 1.0, "region": 0.5},
        "flags": [],
        "explanation": {"method": "lexical", "requirement_sentence": "需要回收钴镍锂。",
                        "achievement_sentence": "钴镍锂综合回收率超过96%。", "shared_terms": ["钴", "镍"],
                        "shared_fields": []},
    }
    return Suggestion.objects.create(run=run, requirement=requirement, achievement=achievement, status=status,
                                     **(defaults | fields))


@dataclass
class SuggestionWorld:
    run: PreDockingRun
    req_b: object  # a public requirement of enterprise B
    approved: Suggestion  # req_public ↔ ach_public, approved and sent, with a blocking budget flag (broker)
    unreviewed: Suggestion  # req_members ↔ ach_public, awaiting the broker's review
    restricted: Suggestion  # req_restricted ↔ ach_public, sent: a confidential requirement (broker)
    other_org: Suggestion  # req_b ↔ ach_public, sent: enterprise B's (other_broker)
    superseded: Suggestion  # of an older run

    def all(self) -> dict[str, Suggestion]:
        return {name: getattr(self, name) for name in
                ("approved", "unreviewed", "restricted", "other_org", "superseded")}


def suggestion_world(world) -> SuggestionWorld:
    energy = field("energy-storage")
    old_run = make_run(world, scope_key="all")
    run = make_run(world, scope_key="all")
    req_b = RequirementFactory(organisation=world.ent_b, title="乙企业需求：动力电池拆解",
                               confidentiality=Confidentiality.PUBLIC)
    budget_flag = {"code": "budget", "blocking": True,
                   "params": {"offered": BUDGET_OFFERED, "asking": BUDGET_ASKING, "ratio": 0.376}}
    return SuggestionWorld(
        run=run,
        req_b=req_b,
        approved=make_suggestion(
            run, world.req_public, world.ach_public, score=0.71, low_confidence=True, broker=world.broker,
            flags=[budget_flag, {"code": "no_shared_field", "blocking": False, "params": {}}],
            components={"fields": 1.0, "trl": 1.0, "modes": 1.0, "ip": 1.0, "budget": 0.376, "region": 0.5},
            explanation={"method": "lexical", "requirement_sentence": "寻求废旧动力锂电池中钴、镍、锂的高效回收工艺。",
                         "achievement_sentence": "钴镍锂综合回收率超过96%，能耗降低30%。",
                         "shared_terms": ["锂电池", "回收"], "shared_fields": [energy.pk]},
        ),
        unreviewed=make_suggestion(run, world.req_members, world.ach_public, status=SuggestionStatus.SUGGESTED,
                                   score=0.55, via_coverage=True, broker=world.broker),
        restricted=make_suggestion(run, world.req_restricted, world.ach_public, score=0.5, broker=world.broker),
        other_org=make_suggestion(run, req_b, world.ach_public, score=0.45, broker=world.other_broker),
        superseded=make_suggestion(old_run, world.req_public, world.ach_public,
                                   status=SuggestionStatus.SUPERSEDED, score=0.9),
    )


# Which suggestions each role reads (ach_public is in all of them): the bureau every current one,
# a broker those routed to them, each party the sent ones of its own organisation whose other
# listing it may read (the enterprise sees the pair of its own confidential requirement; the
# university does not, until the enterprise discloses it).
VISIBLE = {
    "anonymous": set(),
    "pending": set(),
    "investor": set(),
    "expert": set(),
    "ent_a": {"approved", "restricted"},
    "ent_b": {"other_org"},
    "university": {"approved", "other_org"},
    "broker": {"approved", "unreviewed", "restricted"},
    "other_broker": {"other_org"},
    "bureau": {"approved", "unreviewed", "restricted", "other_org"},
}
