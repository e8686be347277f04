"""The review queue from the keyboard, in Chromium under the strict Content-Security-Policy:
j/k move, x selects, a approves the selection, r focuses the reason (Enter rejects), o opens."""

import pytest

from matchmaking.models import Suggestion, SuggestionStatus
from tests.browser.test_csp_browser import sign_in, watch_csp
from tests.browser.test_portal_browser import browser  # noqa: F401 - the Chromium fixture
from tests.factories import AchievementFactory
from tests.matchmaking.builders import make_run, make_suggestion

pytestmark = pytest.mark.browser


def test_broker_reviews_the_queue_from_the_keyboard(browser, live_server, transactional_db, world):  # noqa: F811
    run = make_run(world)
    pairs = [make_suggestion(run, world.req_public, AchievementFactory(organisation=world.uni), broker=world.broker,
                             status=SuggestionStatus.SUGGESTED, score=score) for score in (0.9, 0.8, 0.7)]
    page = browser.new_page(locale="en-US")
    violations = watch_csp(page)
    try:
        sign_in(page, live_server.url, world.broker.email)
        page.goto(f"{live_server.url}/matchmaking/review/")
        page.wait_for_load_state("networkidle")

        # j moves to the first pair, x selects it, a approves the selection
        page.keyboard.press("j")
        assert page.locator("tr.is-current").get_attribute("data-suggestion") == str(pairs[0].pk)
        page.keyboard.press("x")
        assert page.locator(f"#pick-{pairs[0].pk}").is_checked()
        with page.expect_navigation():
            page.keyboard.press("a")
        page.wait_for_load_state("networkidle")
        assert Suggestion.objects.get(pk=pairs[0].pk).status in (SuggestionStatus.APPROVED, SuggestionStatus.SENT)
        assert "1 pair approved." in page.inner_text("main")

        # r selects the current pair and focuses the reason; Enter rejects, never approves
        page.keyboard.press("j")
        page.keyboard.press("r")
        assert page.evaluate("document.activeElement.id") == "id_bulk_reason"
        page.keyboard.type("领域不符")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_load_state("networkidle")
        rejected = Suggestion.objects.get(pk=pairs[1].pk)
        assert (rejected.status, rejected.reject_reason) == (SuggestionStatus.REJECTED, "领域不符")

        # j, k keep within the list; o opens the current pair
        page.keyboard.press("j")
        page.keyboard.press("k")
        with page.expect_navigation():
            page.keyboard.press("o")
        assert page.url.endswith(f"/matchmaking/pairs/{pairs[2].pk}/")
    finally:
        page.close()

    assert violations == []
