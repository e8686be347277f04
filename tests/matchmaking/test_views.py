"""Pre-docking pages: who may open the runs, starting, cancelling and resuming a run, the live
progress fragment, the run report, suggested partners on a listing's page and the search page."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from catalog.rules import Access, listing_access
from matchmaking.engine import MatchParams
from matchmaking.models import PreDockingRun, RunStage, RunStatus
from tests.factories import RequirementFactory, field
from tests.matchmaking.builders import (
    BUDGET_ASKING,
    BUDGET_OFFERED,
    VISIBLE,
    make_run,
    report_for,
    suggestion_world,
)
from tests.matchmaking.conftest import SEARCH_VISIBLE
from tests.pages import html, login

ROLES = ["anonymous", "ent_a", "ent_b", "university", "bureau", "broker", "other_broker", "investor", "expert",
         "pending"]
LOGIN = 302


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def suggestion_ids(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-suggestion="(\d+)"', page)}


def detail(listing) -> str:
    return reverse(f"catalog:{listing.kind}-detail", kwargs={"pk": listing.pk})


# --- permissions -----------------------------------------------------------------------------

RUN_PAGES = [
    ("run-list", "get", lambda run: reverse("matchmaking:run-list")),
    ("run-detail", "get", lambda run: reverse("matchmaking:run-detail", args=[run.pk])),
    ("run-progress", "get", lambda run: reverse("matchmaking:run-progress", args=[run.pk])),
    ("run-cancel", "post", lambda run: reverse("matchmaking:run-cancel", args=[run.pk])),
    ("run-resume", "post", lambda run: reverse("matchmaking:run-resume", args=[run.pk])),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url"), RUN_PAGES, ids=[page[0] for page in RUN_PAGES])
def test_run_pages_are_for_bureau_staff_only(client, world, django_capture_on_commit_callbacks, role, name,
                                             method, url):
    # given an active run (cancel and resume act on it)
    run = make_run(world, status=RunStatus.RUNNING, stage=RunStage.MATCHING, chunks_total=0, chunks_done=0)
    login(client, world, role)

    # when the role opens the page
    with django_capture_on_commit_callbacks(execute=False):
        response = getattr(client, method)(url(run))

    # then only bureau staff get it; anonymous visitors are sent to sign in; the run is untouched
    # by everyone else
    if role == "anonymous":
        assert response.status_code == LOGIN
        assert response["Location"].startswith(reverse("accounts:login"))
    elif role == "bureau":
        assert response.status_code == (302 if method == "post" else 200)
    else:
        assert response.status_code == 403
    if role != "bureau":
        run.refresh_from_db()
        assert run.status == RunStatus.RUNNING
        assert run.stage == RunStage.MATCHING


def test_run_detail_of_a_missing_run_is_404(client, world):
    login(client, world, "bureau")

    assert client.get(reverse("matchmaking:run-detail", args=[999999])).status_code == 404


def test_cancel_and_resume_refuse_get(client, world):
    run = make_run(world, status=RunStatus.RUNNING)
    login(client, world, "bureau")

    assert client.get(reverse("matchmaking:run-cancel", args=[run.pk])).status_code == 405
    assert client.get(reverse("matchmaking:run-resume", args=[run.pk])).status_code == 405
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


@pytest.mark.parametrize("role", ROLES)
def test_runs_link_is_in_the_nav_and_dashboard_of_bureau_staff_only(client, world, role):
    login(client, world, role)

    response = client.get(reverse("portal:dashboard") if role != "anonymous" else reverse("portal:home"))

    assert response.status_code == 200
    assert (reverse("matchmaking:run-list") in html(response)) == (role == "bureau")


# --- starting a run --------------------------------------------------------------------------

def test_bureau_starts_a_run_with_the_form_parameters(client, world, django_capture_on_commit_callbacks):
    login(client, world, "bureau")
    form = {"label": "March conference", "k_requirement": 7, "min_per_achievement": 2, "pool": 40, "cap": 9,
            "min_score": 0.35, "weight_dense": 0.5, "weight_lexical": 0.3, "weight_structured": 0.2}

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("matchmaking:run-list"), form)

    run = PreDockingRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("matchmaking:run-detail", args=[run.pk])
    assert run.label == "March conference"
    assert run.scope_key == "all"
    assert run.status == RunStatus.PENDING
    assert run.started_by == world.bureau
    assert run.requirement_ids is None and run.achievement_ids is None
    expected = MatchParams(k_requirement=7, min_per_achievement=2, pool=40, cap=9, min_score=0.35,
                           weight_dense=0.5, weight_lexical=0.3, weight_structured=0.2).to_dict()
    assert run.params == expected
    assert len(callbacks) == 1  # the run's first task is queued after commit



def test_starting_a_run_needs_the_csrf_token(world, django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.bureau)
    form = {name: value for name, value in MatchParams().to_dict().items()
            if name not in ("fusion", "lexical_retrieval")}

    forged = client.post(reverse("matchmaking:run-list"), form)
    page = client.get(reverse("matchmaking:run-list"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html(page)).group(1)
    with django_capture_on_commit_callbacks(execute=False):
        with_token = client.post(reverse("matchmaking:run-list"), form | {"csrfmiddlewaretoken": token})

    assert forged.status_code == 403
    assert with_token.status_code == 302
    assert PreDockingRun.objects.count() == 1

def test_run_form_shows_the_default_parameters(client, world):
    login(client, world, "bureau")

    page = html(client.get(reverse("matchmaking:run-list")))

    defaults = MatchParams()
    assert f'name="k_requirement" value="{defaults.k_requirement}"' in page
    assert f'name="cap" value="{defaults.cap}"' in page
    assert f'name="min_score" value="{defaults.min_score}"' in page


@pytest.mark.parametrize(("changes", "error"), [
    ({"min_score": "1.5"}, "Ensure this value is less than or equal to 1.0."),
    ({"k_requirement": "40", "pool": "30"}, "pool must be at least k_requirement"),
    ({"weight_dense": "0", "weight_lexical": "0", "weight_structured": "0"}, "at least one weight must be positive"),
    ({"cap": "abc"}, "Enter a whole number."),
])
def test_invalid_parameters_are_shown_on_the_form_and_start_nothing(client, world, changes, error):
    login(client, world, "bureau")
    form = {name: value for name, value in MatchParams().to_dict().items()
            if name not in ("fusion", "lexical_retrieval")} | changes

    response = client.post(reverse("matchmaking:run-list"), form)

    assert response.status_code == 200
    assert error in html(response)
    assert PreDockingRun.objects.count() == 0


def test_second_run_is_refused_with_the_services_message(client, world, django_capture_on_commit_callbacks):
    # given a run of the whole catalogue in progress
    active = make_run(world, status=RunStatus.RUNNING)
    login(client, world, "bureau")
    form = {name: value for name, value in MatchParams().to_dict().items()
            if name not in ("fusion", "lexical_retrieval")}

    # when bureau staff start another one
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("matchmaking:run-list"), form)

    # then the form says why and no run is added
    page = html(response)
    assert response.status_code == 200
    assert f"A pre-docking run of this scope is already in progress (run {active.pk})" in page
    assert list(PreDockingRun.objects.values_list("pk", flat=True)) == [active.pk]
    assert callbacks == []


def test_run_list_shows_runs_with_status_progress_counts_and_who_started_them(client, world):
    finished = make_run(world)
    running = make_run(world, status=RunStatus.RUNNING, scope_key="event:1", chunks_total=4, chunks_done=2)
    login(client, world, "bureau")

    page = html(client.get(reverse("matchmaking:run-list")))

    rows = dict(re.findall(r'<tr data-run="(\d+)">(.*?)</tr>', page, flags=re.S))
    assert set(rows) == {str(finished.pk), str(running.pk)}
    assert "Finished" in rows[str(finished.pk)] and "100%" in rows[str(finished.pk)]
    assert "Running" in rows[str(running.pk)] and f"{running.progress}%" in rows[str(running.pk)]
    assert "4 / 2" in rows[str(finished.pk)]
    assert world.bureau.get_short_name() in rows[str(finished.pk)]
    assert f'data-active-run="{running.pk}"' in page


# --- progress and report ---------------------------------------------------------------------

def test_progress_fragment_polls_while_the_run_is_active(client, world):
    run = make_run(world, status=RunStatus.RUNNING, stage=RunStage.MATCHING, chunks_total=4, chunks_done=2)
    login(client, world, "bureau")

    response = client.get(reverse("matchmaking:run-progress", args=[run.pk]), HTTP_HX_REQUEST="true")

    fragment = html(response)
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in fragment
    assert f'hx-get="{reverse("matchmaking:run-progress", args=[run.pk])}"' in fragment
    assert f'data-progress="{run.progress}"' in fragment
    assert run.progress == 65  # matching is 40–90 %, half of its chunks are done
    assert "Matching in both directions" in fragment
    assert "<html" not in fragment
    assert 'id="run-report"' not in fragment


def test_progress_fragment_stops_polling_once_the_run_has_finished(client, world):
    # given a run that was active when the page was rendered and has finished since
    run = make_run(world, status=RunStatus.RUNNING)
    login(client, world, "bureau")
    url = reverse("matchmaking:run-progress", args=[run.pk])
    assert 'hx-trigger="every 1s"' in html(client.get(url, HTTP_HX_REQUEST="true"))
    run.status, run.stage = RunStatus.SUCCEEDED, RunStage.DONE
    run.report = report_for(world)
    run.save()

    # when the page polls again
    fragment = html(client.get(url, HTTP_HX_REQUEST="true"))

    # then the fragment carries no trigger (polling stops), shows the report and removes the
    # cancel and resume buttons
    assert "hx-trigger" not in fragment
    assert "hx-get" not in fragment
    assert 'data-progress="100"' in fragment
    assert 'id="run-report"' in fragment
    assert '<div id="run-actions" hx-swap-oob="true"></div>' in fragment


def test_active_run_page_also_refreshes_without_javascript(client, world):
    active = make_run(world, status=RunStatus.RUNNING)
    finished = make_run(world, scope_key="other")
    login(client, world, "bureau")

    active_page = html(client.get(reverse("matchmaking:run-detail", args=[active.pk])))
    finished_page = html(client.get(reverse("matchmaking:run-detail", args=[finished.pk])))

    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in active_page
    assert 'hx-trigger="every 1s"' in active_page
    assert reverse("matchmaking:run-cancel", args=[active.pk]) in active_page
    assert "http-equiv" not in finished_page
    assert "hx-trigger" not in finished_page
    assert reverse("matchmaking:run-cancel", args=[finished.pk]) not in finished_page


def test_report_shows_coverage_histogram_fields_and_listings_without_credible_match(client, world):
    run = make_run(world)
    login(client, world, "bureau")

    page = html(client.get(reverse("matchmaking:run-detail", args=[run.pk])))

    coverage = dict(re.findall(r'<tr data-coverage="(\w+)">(.*?)</tr>', page, flags=re.S))
    # 4 requirements and 2 achievements in scope (the run's counts)
    assert "<span data-n>3</span> / 4" in coverage["requirements_covered"]
    assert "75.0" in coverage["requirements_covered"]
    assert "Requirements with at least 5 candidates" in coverage["requirements_covered"]
    assert "<span data-n>2</span> / 4" in coverage["requirements_with_credible"]
    assert "50.0" in coverage["requirements_with_credible"]
    assert "<span data-n>2</span> / 2" in coverage["achievements_covered"]
    assert "100.0" in coverage["achievements_covered"]
    # one bar per bin, the fullest bin full width, the others in proportion
    bins = re.findall(r'<tr data-bin="(\d+)">.*?<rect width="(\d+)".*?data-n="(\d+)"', page, flags=re.S)
    assert [(int(i), int(width), int(n)) for i, width, n in bins] == [
        (0, 0, 0), (1, 0, 0), (2, 25, 1), (3, 0, 0), (4, 50, 2), (5, 100, 4), (6, 75, 3), (7, 0, 0), (8, 0, 0),
        (9, 0, 0)]
    assert "0.5–0.6" in page
    assert escape(field("energy-storage").name_en) in page
    assert 'data-field-count="7"' in page
    # listings with no credible match, linked
    assert f'<a href="{detail(world.req_members)}">{world.req_members.title}</a>' in page
    assert f'<a href="{detail(world.ach_public)}">{world.ach_public.title}</a>' in page
    # what makes the run reproducible
    assert 'data-param="k_requirement">5<' in page
    assert "test-encoder" in page
    assert run.index_checksum in page
    assert "1.5 s" in page  # the coverage pass


def test_report_caps_the_listings_without_credible_match_and_counts_the_rest(client, world):
    extra = [RequirementFactory(organisation=world.ent_a) for _ in range(3)]
    ids = [listing.pk for listing in extra]
    run = make_run(world)
    run.report |= {"no_credible_requirements": ids, "no_credible_counts": {"requirements": 60, "achievements": 0},
                   "no_credible_achievements": []}
    run.save()
    login(client, world, "bureau")

    page = html(client.get(reverse("matchmaking:run-detail", args=[run.pk])))

    section = re.search(r'data-no-credible="requirement">(.*?)</div>', page, flags=re.S).group(1)
    assert all(listing.title in section for listing in extra)
    assert "(60)" in section
    assert "and 57 more" in section


def test_failed_run_shows_its_error(client, world):
    run = make_run(world, status=RunStatus.FAILED, error="EncoderUnavailable: no weights")
    login(client, world, "bureau")

    page = html(client.get(reverse("matchmaking:run-detail", args=[run.pk])))

    assert "EncoderUnavailable: no weights" in page
    assert "hx-trigger" not in page


# --- cancel and resume -----------------------------------------------------------------------

def test_bureau_cancels_an_active_run(client, world):
    run = make_run(world, status=RunStatus.RUNNING)
    login(client, world, "bureau")

    response = client.post(reverse("matchmaking:run-cancel", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert run.finished_at is not None
    assert "The run was cancelled." in html(response)


def test_cancelling_a_finished_run_says_so(client, world):
    run = make_run(world)
    login(client, world, "bureau")

    response = client.post(reverse("matchmaking:run-cancel", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert "This run is no longer in progress." in html(response)


def test_resume_sends_a_running_runs_outstanding_work_again(client, world, django_capture_on_commit_callbacks):
    # given a running run whose matching chunks are all done but which never moved on (the
    # worker that finished the last chunk vanished)
    run = make_run(world, status=RunStatus.RUNNING, stage=RunStage.MATCHING, chunks_total=0, chunks_done=0)
    login(client, world, "bureau")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("matchmaking:run-resume", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert run.stage == RunStage.COVERAGE
    assert run.status == RunStatus.RUNNING
    assert len(callbacks) == 1  # the coverage task, queued after commit
    assert "outstanding work was sent to the workers again" in html(response)


# --- suggested partners on a listing's page ----------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_listing_page_shows_exactly_the_suggestions_the_role_may_see(client, world, role):
    data = suggestion_world(world)
    login(client, world, role)

    response = client.get(detail(world.ach_public))

    page = html(response)
    assert response.status_code == 200
    expected = {getattr(data, name).pk for name in VISIBLE[role]}
    assert suggestion_ids(page) == expected
    assert ('id="suggestions"' in page) == bool(expected)
    # a confidential listing's data reaches only those with full access to it (bureau, owner, its broker)
    if listing_access(world.users()[role], world.req_restricted) < Access.FULL:
        assert world.req_restricted.title not in page
        assert detail(world.req_restricted) not in page


def test_suggestion_shows_partner_score_badges_explanation_and_blocking_flags(client, world):
    data = suggestion_world(world)
    login(client, world, "bureau")

    page = html(client.get(detail(world.req_public)))

    article = re.search(rf'data-suggestion="{data.approved.pk}">(.*?)</article>', page, flags=re.S).group(1)
    assert f'<a href="{detail(world.ach_public)}">{world.ach_public.title}</a>' in article
    assert world.ach_public.organisation.display_name in article
    assert "0.71" in article
    assert 'data-badge="low-confidence"' in article
    assert re.search(r'data-side="requirement"[^>]*>寻求废旧动力锂电池中钴、镍、锂的高效回收工艺。<', article)
    assert re.search(r'data-side="achievement"[^>]*>钴镍锂综合回收率超过96%，能耗降低30%。<', article)
    assert re.findall(r"<span class=\"tag\" data-term>(.*?)</span>", article) == ["锂电池", "回收"]
    assert escape(field("energy-storage").name_en) in article
    # the budget flag is blocking (red) and the bureau reads the figures; the other flag is a note
    assert re.search(rf'class="flag blocking" data-flag="budget">.*{BUDGET_OFFERED}.*{BUDGET_ASKING}', article)
    assert 'class="flag" data-flag="no_shared_field"' in article
    # the superseded suggestion of the same pair is not shown
    assert suggestion_ids(page) == {data.approved.pk}


@pytest.mark.parametrize("role", ["ent_a", "university"])
def test_budget_figures_are_hidden_from_readers_without_full_access_to_both(client, world, role):
    data = suggestion_world(world)
    login(client, world, role)

    page = html(client.get(detail(world.ach_public)))

    assert data.approved.pk in suggestion_ids(page)
    assert 'class="flag blocking" data-flag="budget"' in page
    assert str(BUDGET_OFFERED) not in page
    assert str(BUDGET_ASKING) not in page


def test_broker_sees_suggestions_awaiting_review_with_their_status(client, world):
    data = suggestion_world(world)
    login(client, world, "broker")

    page = html(client.get(detail(world.req_members)))

    assert suggestion_ids(page) == {data.unreviewed.pk}
    assert "Awaiting broker review" in page
    assert 'data-badge="coverage"' in page


# --- search ----------------------------------------------------------------------------------



@pytest.mark.parametrize("role", ROLES)
def test_search_page_returns_only_listings_the_role_may_see(client, world, graphene, keyword_search, role):
    login(client, world, role)

    response = client.get(reverse("matchmaking:search"), {"q": "石墨烯散热膜"})

    page = html(response)
    assert response.status_code == 200
    found = {name for name, listing in graphene.items() if detail(listing) in page}
    assert found == SEARCH_VISIBLE[role]
    for name, listing in graphene.items():
        if name not in SEARCH_VISIBLE[role]:
            assert listing.title not in page


def test_search_results_fragment_for_htmx(client, world, graphene, keyword_search):
    response = client.get(reverse("matchmaking:search"), {"q": "石墨烯散热膜", "kind": "requirement"},
                          HTTP_HX_REQUEST="true")

    fragment = html(response)
    assert "<html" not in fragment
    assert f'data-hit="requirement-{graphene["public"].pk}"' in fragment
    assert world.ent_a.display_name in fragment or world.ent_a.name_en in fragment


def test_search_kind_filter_and_empty_query(client, world, graphene, keyword_search):
    login(client, world, "bureau")

    achievements = html(client.get(reverse("matchmaking:search"), {"q": "石墨烯散热膜", "kind": "achievement"}))
    empty = html(client.get(reverse("matchmaking:search"), {"q": "  "}))

    assert detail(graphene["restricted_ach"]) in achievements
    assert detail(graphene["public"]) not in achievements
    assert "data-hit" not in empty
    assert "Type a few words to search." in empty


def test_search_page_says_when_semantic_search_is_unavailable(client, world, graphene, keyword_search):
    response = client.get(reverse("matchmaking:search"), {"q": "石墨烯散热膜"})

    page = html(response)
    assert 'data-semantic="off"' in page
    assert "Semantic search is unavailable" in page
    assert detail(graphene["public"]) in page  # keyword results still come back


@pytest.mark.parametrize("role", ["anonymous", "ent_a", "bureau"])
def test_nav_search_box_is_for_signed_in_users(client, world, role):
    login(client, world, role)

    page = html(client.get(reverse("portal:home")))

    assert ('id="nav-search"' in page) == (role != "anonymous")
