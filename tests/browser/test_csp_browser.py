"""Under the strict Content-Security-Policy, Chromium blocks nothing on the portal's pages, the
admin and the API docs: no inline script or style slipped into a template, htmx still works."""

import pytest

from tests.browser.test_portal_browser import browser  # noqa: F401 - the Chromium fixture
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


def sign_in(page, base: str, email: str, *, url: str = "/accounts/login/", form: str = "main form") -> None:
    page.goto(f"{base}{url}")
    page.fill(f"{form} input[name=username]", email)
    page.fill(f"{form} input[name=password]", PASSWORD)
    page.click(f"{form} [type=submit]")
    page.wait_for_load_state("networkidle")


def test_portal_pages_break_no_policy_rule(browser, live_server, transactional_db, world):  # noqa: F811
    page = browser.new_page(locale="zh-CN")
    violations = watch_csp(page)
    try:
        sign_in(page, live_server.url, world.bureau.email)
        assert page.url.rstrip("/").endswith("/dashboard"), page.url
        for path in ("/", "/dashboard/", f"/requirements/{world.req_public.pk}/",
                     f"/requirements/{world.req_restricted.pk}/", "/accounts/organisations/pending/",
                     f"/accounts/organisations/{world.ent_a.pk}/", "/accounts/profile/"):
            response = page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            assert response.status == 200, path
        # htmx: the list filters as one types, swapping the results in place
        page.goto(f"{live_server.url}/requirements/")
        page.fill("#id_q", "锂电池")
        with page.expect_request(lambda request: request.headers.get("hx-request") == "true"):
            page.press("#id_q", "Enter")
        page.wait_for_load_state("networkidle")
        assert "公开需求：锂电池回收" in page.locator("#results").inner_text()
        # the bureau approves an organisation through htmx: the card is swapped in place
        page.goto(f"{live_server.url}/accounts/organisations/pending/")
        with page.expect_request(lambda request: request.headers.get("hx-request") == "true"):
            page.click(f"form[action$='/organisations/{world.pending_org.pk}/decide/'] button.primary")
        page.wait_for_load_state("networkidle")
        world.pending_org.refresh_from_db()
        assert world.pending_org.is_approved
    finally:
        page.close()

    assert violations == []


def test_admin_and_api_docs_break_no_policy_rule(browser, live_server, transactional_db, world):  # noqa: F811
    world.bureau.is_staff = world.bureau.is_superuser = True
    world.bureau.save(update_fields=["is_staff", "is_superuser"])
    page = browser.new_page(locale="en-US")
    violations = watch_csp(page)
    try:
        sign_in(page, live_server.url, world.bureau.email, url="/admin/login/", form="#login-form")
        assert page.url.rstrip("/").endswith("/admin"), page.url
        page.goto(f"{live_server.url}/admin/accounts/user/{world.bureau.pk}/change/")
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector(".swagger-ui .info", timeout=15000)
    finally:
        page.close()

    assert violations == []
