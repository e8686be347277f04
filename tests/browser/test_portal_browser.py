"""Headless Chromium (Debian's, driven by Playwright — no browser download) signs in as each
role, walks to the dashboard and a listing, and saves screenshots under test-artifacts/."""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, services_required

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if services_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # fixtures are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


ROLES = {
    # role: (world attribute of the user, text the dashboard must show)
    "enterprise": "ent_a_admin",
    "university": "uni_member",
    "bureau": "bureau",
    "broker": "broker",
    "investor": "investor",
    "expert": "expert",
}


@pytest.mark.parametrize("role", list(ROLES))
def test_role_signs_in_and_reaches_dashboard_and_listing(role, browser, live_server, transactional_db, world):
    user = getattr(world, ROLES[role])
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        # when the user signs in through the login form
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_load_state("networkidle")

        # then they land on their dashboard, signed in
        assert page.url.rstrip("/").endswith("/dashboard"), page.url
        assert page.locator("form[action$='/accounts/logout/']").count() == 1
        page.screenshot(path=str(ARTIFACTS / f"{role}-dashboard.png"), full_page=True)

        # and can open a published listing
        page.goto(f"{live_server.url}/requirements/{world.req_public.pk}/")
        assert "公开需求：锂电池回收" in page.locator("h1").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"{role}-requirement.png"), full_page=True)

        # but a confidential requirement only if they may see it
        response = page.goto(f"{live_server.url}/requirements/{world.req_restricted.pk}/")
        may_see = role in {"enterprise", "bureau", "broker"}
        assert response.status == (200 if may_see else 404)
    finally:
        page.close()


def test_anonymous_visitor_sees_public_summary_and_switches_language(browser, live_server, transactional_db, world):
    page = browser.new_page(locale="zh-CN")
    try:
        page.goto(f"{live_server.url}/requirements/")
        body = page.content()
        assert "公开需求：锂电池回收" in body
        assert "保密需求：军工涂层" not in body and "会员需求：机器人焊接" not in body
        page.click("button[name=language][value=en]")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "en"
        page.screenshot(path=str(ARTIFACTS / "anonymous-requirements-en.png"), full_page=True)
    finally:
        page.close()
