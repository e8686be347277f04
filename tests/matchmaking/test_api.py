"""Pre-docking API: runs (bureau only), suggestions with only the listing keys each reader may
see, and one-click search over visible listings only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.rules import roles_for
from catalog.api.serializers import AchievementOutputSerializer, RequirementOutputSerializer
from catalog.enums import Confidentiality
from catalog.models import Achievement, Requirement
from catalog.rules import Access, fields_for, listing_access
from matchmaking.engine import MatchParams
from matchmaking.models import PreDockingRun, RunStatus
from matchmaking.services import scope_key_for
from tests.factories import AchievementFactory, RequirementFactory
from tests.matchmaking.builders import (
    BUDGET_ASKING,
    BUDGET_OFFERED,
    VISIBLE,
    make_run,
    make_suggestion,
    suggestion_world,
)
from tests.matchmaking.conftest import SEARCH_VISIBLE

ROLES = ["anonymous", "ent_a", "ent_b", "university", "bureau", "broker", "other_broker", "investor", "expert",
         "pending"]
REQUIREMENT_KEYS = set(RequirementOutputSerializer.Meta.fields)
ACHIEVEMENT_KEYS = set(AchievementOutputSerializer.Meta.fields)


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def runs_url(*args, name: str = "run-list") -> str:
    return reverse(f"matchmaking-api:{name}", args=args)


# --- runs: permissions -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_run_endpoints_are_for_bureau_staff_only(world, django_capture_on_commit_callbacks, role):
    # given a finished run and an active one
    finished = make_run(world)
    active = make_run(world, status=RunStatus.RUNNING, scope_key="event:7")
    client = client_for(world.users()[role])

    # when the role lists, reads, starts and cancels
    with django_capture_on_commit_callbacks(execute=False):
        responses = {
            "list": client.get(runs_url()),
            "detail": client.get(runs_url(finished.pk, name="run-detail")),
            "start": client.post(runs_url(), {"params": {}}, format="json"),
            "cancel": client.post(runs_url(active.pk, name="run-cancel")),
        }

    # then bureau staff may do all of it and nobody else any of it
    codes = {name: response.status_code for name, response in responses.items()}
    if role == "bureau":
        assert codes == {"list": 200, "detail": 200, "start": 201, "cancel": 200}
        assert PreDockingRun.objects.count() == 3
        active.refresh_from_db()
        assert active.status == RunStatus.CANCELLED
    else:
        expected = 403  # session authentication answers 403, not 401, to anonymous clients
        assert codes == {"list": expected, "detail": expected, "start": expected, "cancel": expected}
        assert PreDockingRun.objects.count() == 2
        active.refresh_from_db()
        assert active.status == RunStatus.RUNNING
        if role != "anonymous":
            assert "bureau" in responses["list"].json()["detail"]


def test_missing_run_is_404_for_bureau(world):
    assert client_for(world.bureau).get(runs_url(999999, name="run-detail")).status_code == 404


# --- runs: reading ---------------------------------------------------------------------------

def test_run_list_and_detail_render_progress_counts_report_and_reproducibility(world):
    run = make_run(world)
    client = client_for(world.bureau)

    listed = client.get(runs_url()).json()
    detail = client.get(runs_url(run.pk, name="run-detail")).json()

    assert listed["count"] == 1
    assert listed["results"][0]["id"] == run.pk
    assert "report" not in listed["results"][0]
    assert detail["status"] == "succeeded"
    assert detail["stage"] == "done"
    assert detail["progress"] == 100
    assert detail["is_active"] is False
    assert detail["counts"] == run.counts
    assert detail["params"] == MatchParams().to_dict()
    assert detail["model_name"] == "test-encoder"
    assert detail["index_checksum"] == run.index_checksum
    assert detail["report"]["requirements_covered"] == 3
    assert detail["report"]["score_histogram"]["counts"] == run.report["score_histogram"]["counts"]
    assert detail["started_by"] == world.bureau.pk


@pytest.mark.parametrize("n", [1, 3])
def test_run_list_query_count_is_constant(world, n):
    for i in range(n):
        make_run(world, scope_key=f"scope-{i}")
    client = client_for(world.bureau)
    client.get(runs_url())  # warm the session

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(runs_url())

    assert response.json()["count"] == n
    # session, user, roles, count, page (with who started each run)
    assert len(ctx.captured_queries) == 5


# --- runs: starting and cancelling ------------------------------------------------------------

def test_start_creates_a_run_with_the_given_params(world, django_capture_on_commit_callbacks):
    client = client_for(world.bureau)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(runs_url(), {"params": {"k_requirement": 7, "min_score": 0.4, "fusion": "rrf"},
                                             "label": "March"}, format="json")

    run = PreDockingRun.objects.get()
    assert response.status_code == 201
    assert response.json()["id"] == run.pk
    assert response.json()["status"] == "pending"
    assert run.params == MatchParams(k_requirement=7, min_score=0.4, fusion="rrf").to_dict()
    assert run.label == "March"
    assert run.scope_key == "all"
    assert run.started_by == world.bureau
    assert run.requirement_ids is None and run.achievement_ids is None
    assert len(callbacks) == 1


def test_start_over_given_listings_gets_a_scope_of_its_own(world, django_capture_on_commit_callbacks):
    # given a run of the whole catalogue in progress
    make_run(world, status=RunStatus.RUNNING)
    client = client_for(world.bureau)
    ids = [world.req_members.pk, world.req_public.pk]

    # when a run over two requirements is started
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(runs_url(), {"requirement_ids": ids}, format="json")

    # then it is accepted: it does not compete with (nor supersede) the catalogue's run
    assert response.status_code == 201
    run = PreDockingRun.objects.get(pk=response.json()["id"])
    assert run.requirement_ids == sorted(ids)
    assert run.achievement_ids is None
    assert run.scope_key == scope_key_for(ids, None) != "all"
    assert scope_key_for(list(reversed(ids)), None) == run.scope_key
    assert scope_key_for(ids, []) != run.scope_key


@pytest.mark.parametrize(("body", "field"), [
    ({"params": {}, "scope_key": "x"}, "scope_key"),
    ({"status": "succeeded"}, "status"),
    ({"params": [1, 2]}, "params"),
    ({"requirement_ids": ["a"]}, "requirement_ids"),
    ({"label": "x" * 201}, "label"),
])
def test_start_refuses_unknown_keys_and_malformed_input(world, body, field):
    response = client_for(world.bureau).post(runs_url(), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert PreDockingRun.objects.count() == 0


@pytest.mark.parametrize(("params", "message"), [
    ({"bogus": 1}, "unknown parameters: bogus"),
    ({"k_requirement": 0}, "k_requirement must be a number between 1 and 50"),
    ({"k_requirement": 40, "pool": 30}, "pool must be at least k_requirement"),
    ({"fusion": "max"}, "fusion must be 'weighted' or 'rrf'"),
])
def test_start_with_invalid_params_is_400_with_the_message(world, params, message):
    response = client_for(world.bureau).post(runs_url(), {"params": params}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_params"
    assert message in response.json()["detail"]
    assert PreDockingRun.objects.count() == 0


def test_second_run_of_a_scope_is_409_with_the_message(world, django_capture_on_commit_callbacks):
    active = make_run(world, status=RunStatus.PENDING)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(world.bureau).post(runs_url(), {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "run_in_progress"
    assert f"(run {active.pk})" in response.json()["detail"]
    assert list(PreDockingRun.objects.values_list("pk", flat=True)) == [active.pk]
    assert callbacks == []


def test_cancelling_a_finished_run_is_409(world):
    run = make_run(world)

    response = client_for(world.bureau).post(runs_url(run.pk, name="run-cancel"))

    run.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["code"] == "run_not_active"
    assert run.status == RunStatus.SUCCEEDED


# --- suggestions -------------------------------------------------------------------------------

def suggestions_url(*args) -> str:
    return reverse("matchmaking-api:suggestion-detail" if args else "matchmaking-api:suggestion-list", args=args)


@pytest.mark.parametrize("role", ROLES)
def test_suggestion_list_shows_exactly_what_each_role_may_see(world, role):
    data = suggestion_world(world)

    response = client_for(world.users()[role]).get(suggestions_url())

    if role == "anonymous":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    expected = {getattr(data, name).pk for name in VISIBLE[role]}
    assert {item["id"] for item in response.json()["results"]} == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize("role", ROLES)
def test_suggestion_detail_is_404_unless_visible(world, role):
    data = suggestion_world(world)
    client = client_for(world.users()[role])

    codes = {name: client.get(suggestions_url(s.pk)).status_code for name, s in data.all().items()}

    if role == "anonymous":
        assert set(codes.values()) == {403}
    else:
        assert {name for name, code in codes.items() if code == 200} == VISIBLE[role]
        assert {code for name, code in codes.items() if name not in VISIBLE[role]} <= {404}


@pytest.mark.parametrize("role", ["bureau", "broker", "ent_a", "university", "ent_b"])
def test_suggested_listings_carry_only_the_keys_the_reader_may_see(world, role):
    suggestion_world(world)
    user = world.users()[role]
    roles = roles_for(user)
    listings = {("requirement", r.pk): r for r in Requirement.objects.all()}
    listings |= {("achievement", a.pk): a for a in Achievement.objects.all()}

    items = client_for(user).get(suggestions_url()).json()["results"]

    assert items
    for item in items:
        for side, keys in (("requirement", REQUIREMENT_KEYS), ("achievement", ACHIEVEMENT_KEYS)):
            listing = listings[(side, item[side]["id"])]
            assert set(item[side]) == keys & fields_for(listing_access(user, listing), roles)
            # a confidential listing reaches only those with full access to it (owner, its broker, bureau)
            assert (listing.confidentiality != Confidentiality.RESTRICTED
                    or listing_access(user, listing) == Access.FULL)


def test_party_reads_approved_suggestion_without_the_other_sides_confidential_fields(world):
    data = suggestion_world(world)

    item = client_for(world.ent_a_member).get(suggestions_url(data.approved.pk)).json()

    # its own requirement in full, the university's achievement at member level
    assert item["requirement"]["budget_max"] == world.req_public.budget_max
    assert "budget_min" not in item["achievement"]
    assert "contact_email" in item["achievement"]
    assert "internal_note" not in item["requirement"]
    assert item["status"] == "sent"


def test_suggestion_renders_scores_explanation_and_flags(world):
    data = suggestion_world(world)

    item = client_for(world.bureau).get(suggestions_url(data.approved.pk)).json()

    assert item["score"] == pytest.approx(0.71)
    assert item["low_confidence"] is True
    assert item["via_coverage"] is False
    assert item["components"]["budget"] == pytest.approx(0.376)
    assert item["explanation"]["requirement_sentence"] == "寻求废旧动力锂电池中钴、镍、锂的高效回收工艺。"
    assert item["explanation"]["shared_terms"] == ["锂电池", "回收"]
    assert item["explanation"]["shared_fields"] == ["Energy storage & batteries"]
    flags = {flag["code"]: flag for flag in item["flags"]}
    assert flags["budget"]["blocking"] is True
    assert str(BUDGET_OFFERED) in flags["budget"]["message"]
    assert str(BUDGET_ASKING) in flags["budget"]["message"]
    assert flags["no_shared_field"]["blocking"] is False
    assert all(set(flag) == {"code", "blocking", "message"} for flag in item["flags"])  # never the raw figures


@pytest.mark.parametrize("role", ["ent_a", "university"])
def test_budget_figures_are_redacted_for_readers_without_full_access_to_both(world, role):
    data = suggestion_world(world)

    response = client_for(world.users()[role]).get(suggestions_url(data.approved.pk))

    body = response.content.decode()
    flags = {flag["code"]: flag for flag in response.json()["flags"]}
    assert flags["budget"]["blocking"] is True
    assert str(BUDGET_OFFERED) not in body
    assert str(BUDGET_ASKING) not in body
    # the budget component is the ratio of the two budgets: one's own budget would reveal the other
    assert "budget" not in response.json()["components"]
    assert "fields" in response.json()["components"]


def test_pairs_broker_reads_the_budget_figures_it_vets(world):
    data = suggestion_world(world)

    response = client_for(world.broker).get(suggestions_url(data.approved.pk))

    flags = {flag["code"]: flag for flag in response.json()["flags"]}
    assert str(BUDGET_OFFERED) in flags["budget"]["message"]
    assert str(BUDGET_ASKING) in flags["budget"]["message"]
    assert response.json()["components"]["budget"] == pytest.approx(0.376)


def test_suggestion_filters(world):
    data = suggestion_world(world)
    other_run = make_run(world, scope_key="event:3")
    elsewhere = make_suggestion(other_run, world.req_members, world.ach_public, low_confidence=False)
    client = client_for(world.bureau)

    def ids(**params) -> set[int]:
        return {item["id"] for item in client.get(suggestions_url(), params).json()["results"]}

    assert ids(run=other_run.pk) == {elsewhere.pk}
    assert ids(requirement=world.req_public.pk) == {data.approved.pk}
    assert ids(achievement=world.ach_public.pk, run=data.run.pk) == {
        data.approved.pk, data.unreviewed.pk, data.restricted.pk, data.other_org.pk}
    assert ids(low_confidence="true") == {data.approved.pk}
    assert client.get(suggestions_url(), {"run": "x"}).status_code == 400


def test_suggestion_list_is_ordered_by_score(world):
    suggestion_world(world)

    scores = [item["score"] for item in client_for(world.bureau).get(suggestions_url()).json()["results"]]

    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("n", [1, 3])
def test_suggestion_list_query_count_is_constant(world, n):
    # The listings' access and the explanations' field names are read once per page
    # (selectors.explanations_for); these suggestions share no field, so no field query here.
    run = make_run(world)
    for _ in range(n):
        make_suggestion(run, world.req_public, AchievementFactory(organisation=world.uni))
    client = client_for(world.bureau)
    client.get(suggestions_url())

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(suggestions_url())

    assert response.json()["count"] == n
    # session, user, roles, count, page, 6 prefetches (fields, attachments, brokers per side), answers
    assert len(ctx.captured_queries) == 12


# --- search ----------------------------------------------------------------------------------



@pytest.mark.parametrize("role", ROLES)
def test_search_returns_only_visible_listings_with_their_visible_keys(world, graphene, keyword_search, role):
    user = world.users()[role]

    response = client_for(user).get(reverse("matchmaking-api:search"), {"q": "石墨烯散热膜"})

    assert response.status_code == 200
    body = response.json()
    by_id = {(hit["kind"], hit["id"]): hit for hit in body["results"]}
    found = {name for name, listing in graphene.items() if (listing.kind, listing.pk) in by_id}
    assert found == SEARCH_VISIBLE[role]
    titles = [hit["title"] for hit in body["results"]]
    for name, listing in graphene.items():
        if name not in SEARCH_VISIBLE[role]:
            assert listing.title not in titles
    roles = roles_for(user)
    for name in found:
        listing = graphene[name]
        hit = by_id[(listing.kind, listing.pk)]
        keys = REQUIREMENT_KEYS if listing.kind == "requirement" else ACHIEVEMENT_KEYS
        assert set(hit["listing"]) == keys & fields_for(listing_access(user, listing), roles)
        assert 0.0 <= hit["score"] <= 1.0


def test_search_by_kind_and_limit(world, graphene, keyword_search):
    client = client_for(world.bureau)

    achievements = client.get(reverse("matchmaking-api:search"), {"q": "石墨烯散热膜", "kind": "achievement"}).json()
    limited = client.get(reverse("matchmaking-api:search"), {"q": "石墨烯散热膜", "limit": 1}).json()

    assert [(hit["kind"], hit["id"]) for hit in achievements["results"]] == [
        ("achievement", graphene["restricted_ach"].pk)]
    assert len(limited["results"]) == 1


def test_search_ranks_an_edited_listing_by_its_new_text(world, keyword_search):
    # Search remembers each listing's terms (matchmaking.lexical.document_terms): keyed by the
    # text, so an edit is ranked by what the listing says now.
    terse = RequirementFactory(organisation=world.ent_a, title="perovskite cell", summary="", description="")
    wordy = RequirementFactory(organisation=world.ent_a, title="perovskite module", summary="",
                               description="perovskite perovskite perovskite coating")
    client = client_for(world.bureau)

    def ranked():
        body = client.get(reverse("matchmaking-api:search"), {"q": "perovskite", "kind": "requirement"}).json()
        return [hit["id"] for hit in body["results"]]

    before = ranked()
    Requirement.objects.filter(pk=terse.pk).update(description="perovskite perovskite perovskite perovskite film")
    Requirement.objects.filter(pk=wordy.pk).update(description="")
    after = ranked()

    assert before == [wordy.pk, terse.pk]
    assert after == [terse.pk, wordy.pk]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x", "kind": "organisation"}, {"q": "x", "limit": 0},
                                    {"q": "x", "limit": 51}])
def test_search_refuses_malformed_queries(world, params):
    response = client_for(None).get(reverse("matchmaking-api:search"), params)

    assert response.status_code == 400


def test_search_says_when_semantic_search_is_unavailable(world, graphene, keyword_search):
    body = client_for(None).get(reverse("matchmaking-api:search"), {"q": "石墨烯散热膜"}).json()

    assert body["semantic"] is False
    assert "Semantic search is unavailable" in body["message"]
    assert [hit["id"] for hit in body["results"]] == [graphene["public"].pk]


@pytest.mark.model
def test_semantic_hits_are_checked_against_visibility(world, graphene):
    # given every listing embedded and indexed, confidential ones included (the index holds
    # whatever has a vector; only the database knows who may see what)
    from matchmaking import services

    for kind, model in (("requirement", Requirement), ("achievement", Achievement)):
        services.embed_listings(kind, list(model.objects.values_list("pk", flat=True)))
        services.sync_index(kind, force=True)

    # when an outsider and the bureau search across languages
    outsider = client_for(world.ent_b_member).get(reverse("matchmaking-api:search"),
                                                  {"q": "graphene heat spreading film"}).json()
    bureau = client_for(world.bureau).get(reverse("matchmaking-api:search"),
                                          {"q": "graphene heat spreading film"}).json()

    # then both searches are semantic, and only the bureau gets the confidential listings
    assert outsider["semantic"] is True and bureau["semantic"] is True
    outsider_ids = {(hit["kind"], hit["id"]) for hit in outsider["results"]}
    bureau_ids = {(hit["kind"], hit["id"]) for hit in bureau["results"]}
    assert ("requirement", graphene["public"].pk) in outsider_ids
    assert ("requirement", graphene["restricted"].pk) not in outsider_ids
    assert ("achievement", graphene["restricted_ach"].pk) not in outsider_ids
    assert ("requirement", world.req_restricted.pk) not in outsider_ids
    assert {("requirement", graphene["restricted"].pk), ("achievement", graphene["restricted_ach"].pk)} <= bureau_ids
