"""``seed_demo`` and the pure generator behind it (catalog/demo.py)."""

import csv
import io
import itertools
import random

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.enums import OrganisationKind, Role
from accounts.models import BrokerProfile, Membership, Organisation, User, validate_credit_code
from accounts.rules import roles_for
from catalog import demo
from catalog.enums import Confidentiality, EvaluationResult, ListingStatus
from catalog.management.commands.seed_demo import GROUND_TRUTH_FILE, PASSWORD
from catalog.models import (
    Achievement,
    ExpertEvaluation,
    Field,
    FieldCluster,
    ListingStatusChange,
    Requirement,
)
from catalog.search import query_tokens

SCALE = 0.03


def seed(**kwargs) -> str:
    out = io.StringIO()
    call_command("seed_demo", scale=SCALE, stdout=out, **kwargs)
    return out.getvalue()


@pytest.fixture
def seeded(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    seed()
    return demo.generate(SCALE, 2026)


@pytest.fixture(scope="module")
def full():
    return demo.generate(1.0, 2026)


def _counts() -> dict[str, int]:
    return {
        "orgs": Organisation.objects.count(), "users": User.objects.count(),
        "memberships": Membership.objects.count(), "requirements": Requirement.objects.count(),
        "achievements": Achievement.objects.count(), "status_changes": ListingStatusChange.objects.count(),
        "evaluations": ExpertEvaluation.objects.count(), "req_fields": Requirement.fields.through.objects.count(),
        "ach_fields": Achievement.fields.through.objects.count(),
        "broker_fields": Field.brokers.through.objects.count(),
        "assigned": Requirement.assigned_brokers.through.objects.count()
        + Achievement.assigned_brokers.through.objects.count(),
    }


def test_vocabulary_covers_the_taxonomy(db):
    assert set(demo.FIELD_CODES) == set(Field.objects.values_list("code", flat=True))
    assert set(demo.CLUSTER_WEIGHTS) == set(FieldCluster.objects.values_list("code", flat=True))
    for code, vocab in demo.VOCAB.items():
        assert Field.objects.get(code=code).cluster.code == vocab.cluster
        assert len(vocab.techs) >= 5 and len(vocab.procs) >= 3 and len(vocab.inds) >= 3, code


def test_seed_demo_small_scale_creates_expected_counts(seeded):
    by_kind = {k: Organisation.objects.filter(kind=k).count() for k in OrganisationKind.values}
    expected = {k: sum(1 for o in seeded.orgs if o.kind == k) for k in OrganisationKind.values}
    expected[OrganisationKind.BUREAU] = 1
    assert by_kind == expected
    assert by_kind[OrganisationKind.ENTERPRISE] == 24 and by_kind[OrganisationKind.AGENCY] == 1
    assert Requirement.objects.count() == len(seeded.requirements) == 39
    assert Achievement.objects.count() == len(seeded.achievements) == 37
    assert not Organisation.objects.exclude(status="approved").exists()


def test_seed_demo_covers_all_clusters_and_both_languages(seeded):
    for model in (Requirement, Achievement):
        clusters = set(model.objects.values_list("fields__cluster__code", flat=True))
        assert clusters == set(demo.CLUSTER_WEIGHTS), model
        assert set(model.objects.values_list("language", flat=True)) == {"zh-hans", "en"}


def test_seed_demo_published_achievements_passed_evaluation(seeded):
    published = Achievement.objects.filter(status__in=[ListingStatus.PUBLISHED, ListingStatus.IN_NEGOTIATION])
    assert published.exists()
    assert not published.exclude(evaluation_result=EvaluationResult.PASSED).exists()
    assert not published.filter(evaluation_score__isnull=True).exists()
    assert not Achievement.objects.filter(status=ListingStatus.REJECTED, status_reason="").exists()
    assert not Requirement.objects.filter(status=ListingStatus.REJECTED, status_reason="").exists()


def test_seed_demo_listings_pass_model_validation(seeded):
    for listing in [*Requirement.objects.all(), *Achievement.objects.all()]:
        listing.full_clean()
        assert listing.external_ref.startswith(f"demo-{'req' if listing.kind == 'requirement' else 'ach'}-")
        assert listing.contact_name and listing.contact_email and listing.contact_phone
        assert listing.region == listing.organisation.region
        trail = list(ListingStatusChange.objects.filter(kind=listing.kind, listing_id=listing.pk)
                     .values_list("to_status", flat=True))
        assert trail[0] == ListingStatus.DRAFT and trail[-1] == listing.status


def test_seed_demo_credit_codes_are_valid_and_unique(seeded):
    codes = list(Organisation.objects.values_list("credit_code", flat=True))
    assert len(codes) == len(set(codes))
    for code in codes:
        validate_credit_code(code)


def test_seed_demo_twice_leaves_counts_unchanged(seeded):
    before = _counts()
    output = seed()
    assert _counts() == before
    assert "created 0" in output


def test_seed_demo_reset_recreates_listings_for_another_seed(seeded):
    seed(seed=7, reset=True)
    other = demo.generate(SCALE, 7)
    titles = set(Requirement.objects.values_list("title", flat=True))
    assert titles == {r.values["title"] for r in other.requirements}
    assert Requirement.objects.count() == len(other.requirements)


def test_ground_truth_pairs_reference_compatible_listings(seeded):
    pairs = demo.ground_truth_pairs(SCALE, 2026)
    assert pairs
    for req_ref, ach_ref, cross in pairs:
        req = Requirement.objects.get(external_ref=req_ref)
        ach = Achievement.objects.get(external_ref=ach_ref)
        assert set(req.fields.all()) & set(ach.fields.all())
        assert req.status == ListingStatus.PUBLISHED
        assert ach.status in (ListingStatus.PUBLISHED, ListingStatus.IN_NEGOTIATION)
        assert ach.trl >= (req.trl_min or 1)
        assert set(req.cooperation_modes) & set(ach.cooperation_modes)
        assert cross == (req.language != ach.language)


def test_ground_truth_csv_equals_pure_function(seeded, settings):
    with (settings.VAR_DIR / GROUND_TRUTH_FILE).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    from_file = [(r["requirement_ref"], r["achievement_ref"], r["cross_language"] == "1") for r in rows]
    assert from_file == demo.ground_truth_pairs(SCALE, 2026)


def test_ground_truth_full_scale_share_and_overlap(full):
    pairs = full.pairs
    assert 0.13 <= len(pairs) / len(full.achievements) <= 0.17
    assert 0.2 <= sum(1 for p in pairs if p[2]) / len(pairs) <= 0.5  # some answers are in the other language
    reqs = {r.ref: r for r in full.requirements}
    achs = {a.ref: a for a in full.achievements}
    for req_ref, ach_ref, _ in pairs:
        req, ach = reqs[req_ref].topic, achs[ach_ref].topic
        assert ach["tech"] == req["tech"] and ach["inds"] == req["inds"]
        for ind, target, value in zip(req["inds"], req["targets"], ach["values"], strict=True):
            assert demo.meets(ind, value, target)
        assert achs[ach_ref].values["title"] != reqs[req_ref].values["title"]


@pytest.mark.parametrize("email, role", [
    ("bureau@demo.techdock.cn", Role.BUREAU_STAFF), ("enterprise@demo.techdock.cn", Role.ENTERPRISE_MEMBER),
    ("university@demo.techdock.cn", Role.UNIVERSITY_MEMBER), ("broker@demo.techdock.cn", Role.BROKER),
    ("investor@demo.techdock.cn", Role.INVESTOR), ("expert@demo.techdock.cn", Role.EXPERT),
])
def test_demo_login_authenticates_with_expected_role(seeded, email, role):
    user = authenticate(username=email, password=PASSWORD)
    assert user is not None
    assert roles_for(user).has(role)
    assert authenticate(username=email, password="wrong") is None


def test_demo_bureau_login_is_admin_site_superuser(seeded):
    user = User.objects.get(email="bureau@demo.techdock.cn")
    assert user.is_staff and user.is_superuser
    assert Membership.objects.get(user=user).is_admin


def test_demo_enterprise_owns_requirements_in_several_statuses(seeded):
    org = Membership.objects.get(user__email="enterprise@demo.techdock.cn", is_admin=True).organisation
    statuses = set(Requirement.objects.filter(organisation=org).values_list("status", flat=True))
    assert {ListingStatus.PUBLISHED, ListingStatus.DRAFT, ListingStatus.SUBMITTED, ListingStatus.REJECTED} <= statuses


def test_demo_broker_has_fields_and_a_restricted_assignment(seeded):
    broker = User.objects.get(email="broker@demo.techdock.cn")
    profile = BrokerProfile.objects.get(user=broker)
    assert profile.fields.filter(cluster__code="advanced-manufacturing").exists()
    assigned = list(broker.assigned_requirements.all()) + list(broker.assigned_achievements.all())
    assert len(assigned) >= 3
    assert any(listing.confidentiality == Confidentiality.RESTRICTED for listing in assigned)
    assert BrokerProfile.objects.count() == 4


def test_demo_expert_evaluates_screened_achievements_of_other_orgs(seeded):
    expert = User.objects.get(email="expert@demo.techdock.cn")
    evaluations = list(ExpertEvaluation.objects.filter(expert=expert).select_related("achievement"))
    assert 2 <= len(evaluations) <= 3
    own = set(Membership.objects.filter(user=expert).values_list("organisation_id", flat=True))
    for evaluation in evaluations:
        assert evaluation.achievement.status == ListingStatus.SCREENED
        assert evaluation.achievement.evaluation_result == EvaluationResult.PENDING
        assert evaluation.achievement.organisation_id not in own


def test_chinese_listing_search_text_contains_keyword_tokens(seeded):
    listings = [*Requirement.objects.filter(language="zh-hans"), *Achievement.objects.filter(language="zh-hans")]
    assert listings
    for listing in listings:
        tokens = set(listing.search_text.split())
        for keyword in listing.keywords:
            assert set(query_tokens(keyword)) <= tokens, (listing.external_ref, keyword)
        assert len(tokens) > 30  # segmented words, not a few long unsegmented runs


def test_generated_titles_are_distinct_and_summaries_not_near_copies(full):
    for specs in (full.requirements, full.achievements):
        titles = [s.values["title"] for s in specs]
        assert len(set(titles)) == len(titles)
        sample = random.Random(0).sample(specs, 200)
        grams = [{t[i:i + 3] for i in range(len(t) - 2)} for t in (s.values["summary"] for s in sample)]
        shares = [len(a & b) / min(len(a), len(b)) for a, b in itertools.combinations(grams, 2)]
        # Measured at seed 2026: no pair above 0.8 and about 0.3 % above 0.5 (same-field pairs share vocabulary).
        assert sum(1 for s in shares if s > 0.8) / len(shares) < 0.001
        assert sum(1 for s in shares if s > 0.5) / len(shares) < 0.01


def test_generated_listings_respect_model_limits(full):
    for spec in [*full.requirements, *full.achievements]:
        v = spec.values
        assert 10 <= len(v["summary"]) <= 500 and len(v["title"]) <= 200
        assert 1 <= len(v["keywords"]) <= 5 and all(len(k) <= 30 for k in v["keywords"])
        assert 1 <= len(v["cooperation_modes"]) <= 3 and len(set(v["cooperation_modes"])) == len(v["cooperation_modes"])
        assert (v["ip_status"] in ("applied", "granted")) == bool(v["patent_numbers"])
    languages = [s.values["language"] for s in [*full.requirements, *full.achievements]]
    assert 0.15 <= languages.count("en") / len(languages) <= 0.25
    clusters = {demo.VOCAB[s.field_codes[0]].cluster for s in full.requirements}
    fields = {c for s in [*full.requirements, *full.achievements] for c in s.field_codes}
    assert len(clusters) == 8 and fields == set(demo.FIELD_CODES)


def test_generate_is_deterministic_per_seed():
    a, b, c = demo.generate(0.05, 11), demo.generate(0.05, 11), demo.generate(0.05, 12)
    assert [r.values["title"] for r in a.requirements] == [r.values["title"] for r in b.requirements]
    assert a.pairs == b.pairs and [o.key for o in a.orgs] == [o.key for o in b.orgs]
    assert [r.values["title"] for r in a.requirements] != [r.values["title"] for r in c.requirements]
