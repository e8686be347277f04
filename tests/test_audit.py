"""The security audit log: one JSON line per sign-in (success, failure, throttled), permission
denial, view of a confidential listing and role change, each with the user, organisation, client
IP, request id and UTC time — and never a password."""

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from accounts.enums import OrganisationStatus, Role
from accounts.models import Invitation, Membership
from common.audit import audit_event
from common.errors import ApplicationError
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
WRONG = "Wrong-Password-4711"
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
FIELDS = {"event", "time", "user_id", "organisation_id", "ip", "request_id"}


def assert_well_formed(line: dict) -> None:
    assert FIELDS <= set(line)
    assert TIME.fullmatch(line["time"]), line["time"]
    written = datetime.fromisoformat(line["time"])
    assert written.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - written) < timedelta(minutes=1)


def assert_no_secret(audit_lines) -> None:
    for line in audit_lines():
        text = json.dumps(line, ensure_ascii=False)
        assert PASSWORD not in text and WRONG not in text, line
        assert "password" not in text.lower(), line


def login(client: Client, email: str, password: str, **extra):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, **extra)


# --- sign-in ----------------------------------------------------------------------------------

def test_sign_in_success_is_one_line_with_user_ip_request_id_and_utc_time(world, audit_lines):
    client = Client(REMOTE_ADDR="203.0.113.7")

    response = login(client, world.ent_a_member.email, PASSWORD)

    assert response.status_code == 302
    [line] = audit_lines("auth.login")
    assert_well_formed(line)
    assert line["user_id"] == world.ent_a_member.pk
    assert line["organisation_id"] is None
    assert line["ip"] == "203.0.113.7"
    assert line["method"] == "session"
    assert line["request_id"] == response["X-Request-ID"]
    assert_no_secret(audit_lines)


def test_sign_in_failure_logs_the_email_but_never_the_password(world, audit_lines):
    response = login(Client(REMOTE_ADDR="203.0.113.8"), world.ent_a_member.email, WRONG)

    assert response.status_code == 200
    [line] = audit_lines("auth.login_failed")
    assert_well_formed(line)
    assert line["email"] == world.ent_a_member.email
    assert line["user_id"] is None
    assert line["ip"] == "203.0.113.8"
    assert audit_lines("auth.login") == []
    assert_no_secret(audit_lines)


def test_throttled_sign_in_is_logged(world, audit_lines):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        login(client, world.ent_a_member.email, WRONG)

    login(client, world.ent_a_member.email, PASSWORD)

    [line] = audit_lines("auth.login_throttled")
    assert_well_formed(line)
    assert (line["email"], line["scope"], line["ip"]) == (world.ent_a_member.email, "account", "203.0.113.9")
    assert len(audit_lines("auth.login_failed")) == 5
    assert audit_lines("auth.login") == []
    assert_no_secret(audit_lines)


def test_api_token_sign_in_success_and_failure_are_logged(world, audit_lines):
    client = APIClient(REMOTE_ADDR="203.0.113.10")
    url = reverse("accounts-api:token")

    client.post(url, {"email": world.uni_member.email, "password": WRONG}, format="json")
    client.post(url, {"email": world.uni_member.email, "password": PASSWORD}, format="json")

    assert [line["email"] for line in audit_lines("auth.login_failed")] == [world.uni_member.email]
    [line] = audit_lines("auth.login")
    assert (line["user_id"], line["method"], line["ip"]) == (world.uni_member.pk, "api_token", "203.0.113.10")
    assert_no_secret(audit_lines)


# --- request context ---------------------------------------------------------------------------

def test_a_sane_incoming_request_id_is_kept_and_echoed(world, audit_lines):
    response = login(Client(), world.ent_a_member.email, PASSWORD, HTTP_X_REQUEST_ID="edge-1234.abc")

    assert response["X-Request-ID"] == "edge-1234.abc"
    assert audit_lines("auth.login")[0]["request_id"] == "edge-1234.abc"


@pytest.mark.parametrize("incoming", ["", "a" * 101, "bad id\nInjected: 1", "<script>"])
def test_an_insane_request_id_is_replaced(world, audit_lines, incoming):
    response = login(Client(), world.ent_a_member.email, PASSWORD, HTTP_X_REQUEST_ID=incoming)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert audit_lines("auth.login")[0]["request_id"] == response["X-Request-ID"]


def test_forwarded_for_is_ignored_without_a_trusted_proxy(world, audit_lines):
    login(Client(REMOTE_ADDR="10.9.9.9"), world.ent_a_member.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert audit_lines("auth.login")[0]["ip"] == "10.9.9.9"


def test_behind_a_trusted_proxy_the_ip_is_the_one_the_proxy_saw(world, audit_lines, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # the client claims 1.1.1.1; our proxy appended the address it really came from
    login(Client(REMOTE_ADDR="10.0.0.1"), world.ent_a_member.email, PASSWORD,
          HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.23")

    assert audit_lines("auth.login")[0]["ip"] == "198.51.100.23"


def test_outside_a_request_there_is_no_request_context(audit_lines):
    audit_event("test.event", organisation_id=7, detail="x")

    [line] = audit_lines("test.event")
    assert_well_formed(line)
    assert (line["user_id"], line["organisation_id"], line["ip"], line["request_id"]) == (None, 7, None, None)


# --- permission denials ----------------------------------------------------------------------------

def test_a_403_from_a_portal_view_is_logged(world, audit_lines):
    client = Client(REMOTE_ADDR="203.0.113.20")
    client.force_login(world.ent_a_member)

    response = client.get(reverse("accounts:organisation-pending"))

    assert response.status_code == 403
    [line] = audit_lines("permission.denied")
    assert_well_formed(line)
    assert (line["user_id"], line["ip"], line["method"], line["path"]) == (
        world.ent_a_member.pk, "203.0.113.20", "GET", reverse("accounts:organisation-pending"))
    assert line["request_id"] == response["X-Request-ID"]


def test_a_403_from_the_api_is_logged_with_its_reason_and_the_token_user(world, audit_lines):
    token = Token.objects.create(user=world.ent_a_member)
    client = APIClient(REMOTE_ADDR="203.0.113.21", HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(reverse("matchmaking-api:run-list"), {}, format="json")

    assert response.status_code == 403
    [line] = audit_lines("permission.denied")
    assert line["user_id"] == world.ent_a_member.pk  # authenticated by DRF, not by the session
    assert line["code"] == "permission_denied"
    assert line["reason"] == "Only bureau staff can start pre-docking runs."
    assert line["path"] == reverse("matchmaking-api:run-list")


def test_a_request_that_is_allowed_writes_no_denial(world, audit_lines):
    client = Client()
    client.force_login(world.bureau)

    assert client.get(reverse("accounts:organisation-pending")).status_code == 200
    assert audit_lines("permission.denied") == []


# --- confidential listings ------------------------------------------------------------------------

def test_viewing_a_restricted_listing_is_logged(world, audit_lines):
    client = Client(REMOTE_ADDR="203.0.113.30")
    client.force_login(world.broker)  # assigned to the restricted requirement

    response = client.get(reverse("catalog:requirement-detail", args=[world.req_restricted.pk]))

    assert response.status_code == 200
    [line] = audit_lines("listing.confidential_view")
    assert_well_formed(line)
    assert (line["user_id"], line["organisation_id"], line["listing_id"], line["kind"], line["confidentiality"]) == (
        world.broker.pk, world.ent_a.pk, world.req_restricted.pk, "requirement", "restricted")
    assert line["request_id"] == response["X-Request-ID"]


def test_full_access_to_another_organisations_listing_through_the_api_is_logged(world, audit_lines):
    # the bureau sees the budget of enterprise A's public requirement
    client = APIClient()
    client.force_login(world.bureau)

    response = client.get(reverse("catalog-api:requirement-detail", args=[world.req_public.pk]))

    assert response.status_code == 200 and "budget_max" in response.json()
    [line] = audit_lines("listing.confidential_view")
    assert (line["user_id"], line["organisation_id"], line["listing_id"], line["access"]) == (
        world.bureau.pk, world.ent_a.pk, world.req_public.pk, "FULL")


@pytest.mark.parametrize("who", ["ent_a_member", "ent_b_member", "anonymous"])
def test_ordinary_views_of_listings_are_not_logged(world, audit_lines, who):
    # the owner reading their own public listing, a member or a visitor reading the shared text
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(world, who))

    assert client.get(reverse("catalog:requirement-detail", args=[world.req_public.pk])).status_code == 200
    assert APIClient().get(reverse("catalog-api:requirement-detail", args=[world.req_public.pk])).status_code == 200
    assert audit_lines("listing.confidential_view") == []


# --- role changes --------------------------------------------------------------------------------

def test_invitation_and_its_acceptance_are_logged(world, audit_lines, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(actor=world.ent_a_admin, organisation=world.ent_a,
                                                email="new@ent-a.cn", role=Role.ENTERPRISE_MEMBER, is_admin=True)
    with django_capture_on_commit_callbacks(execute=True):
        user = services.invitation_accept(invitation=Invitation.objects.get(pk=invitation.pk),
                                          password="Kx9-dock-Shenyang-77", full_name="新成员")

    [created] = audit_lines("invitation.created")
    assert (created["user_id"], created["organisation_id"], created["role"], created["is_admin"]) == (
        world.ent_a_admin.pk, world.ent_a.pk, Role.ENTERPRISE_MEMBER, True)
    [granted] = audit_lines("membership.granted")
    assert_well_formed(granted)
    assert (granted["user_id"], granted["member_id"], granted["organisation_id"], granted["role"],
            granted["is_admin"], granted["via"], granted["invited_by_id"]) == (
        user.pk, user.pk, world.ent_a.pk, Role.ENTERPRISE_MEMBER, True, "invitation", world.ent_a_admin.pk)
    assert "Kx9-dock-Shenyang-77" not in json.dumps(audit_lines())


def test_membership_removal_is_logged(world, audit_lines, django_capture_on_commit_callbacks):
    membership = Membership.objects.get(user=world.ent_a_member, organisation=world.ent_a)

    with django_capture_on_commit_callbacks(execute=True):
        services.membership_remove(actor=world.ent_a_admin, membership=membership)

    [line] = audit_lines("membership.removed")
    assert (line["user_id"], line["organisation_id"], line["member_id"], line["role"]) == (
        world.ent_a_admin.pk, world.ent_a.pk, world.ent_a_member.pk, Role.ENTERPRISE_MEMBER)


def test_organisation_approval_is_logged_through_the_portal(world, audit_lines, django_capture_on_commit_callbacks):
    client = Client(REMOTE_ADDR="203.0.113.40")
    client.force_login(world.bureau)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:organisation-decide", args=[world.pending_org.pk]),
                               {"decision": "approve"})

    assert response.status_code == 302
    [line] = audit_lines("organisation.decided")
    assert (line["user_id"], line["organisation_id"], line["status"], line["ip"]) == (
        world.bureau.pk, world.pending_org.pk, OrganisationStatus.APPROVED, "203.0.113.40")
    assert line["request_id"] == response["X-Request-ID"]


def test_a_refused_role_change_is_not_logged(world, audit_lines, django_capture_on_commit_callbacks):
    # the last admin cannot leave: nothing changed, nothing logged
    membership = Membership.objects.get(user=world.ent_b_member, organisation=world.ent_b)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError) as refused:
        services.membership_remove(actor=world.ent_b_member, membership=membership)

    assert refused.value.code == "last_admin"
    assert audit_lines("membership.removed") == []


# --- where the lines go ----------------------------------------------------------------------------

WRITE_ONE_LINE = "from common.audit import audit_event; audit_event('probe.event', organisation_id=3, note='探针')"


def run_manage_shell(env_extra: dict) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"TECHDOCK_AUDIT_LOG", "DATABASE_URL"}}
    env.update(env_extra)
    return subprocess.run([sys.executable, "manage.py", "shell", "-c", WRITE_ONE_LINE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_audit_lines_are_raw_json_on_stderr_by_default():
    result = run_manage_shell({})

    assert result.returncode == 0, result.stderr
    [line] = [json.loads(text) for text in result.stderr.splitlines() if '"probe.event"' in text]
    assert (line["event"], line["organisation_id"], line["note"]) == ("probe.event", 3, "探针")
    assert '"probe.event"' not in result.stdout


def test_audit_lines_go_to_the_file_named_by_techdock_audit_log(tmp_path):
    path = tmp_path / "audit.log"

    result = run_manage_shell({"TECHDOCK_AUDIT_LOG": str(path)})

    assert result.returncode == 0, result.stderr
    assert '"probe.event"' not in result.stderr
    [line] = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
    assert line["event"] == "probe.event" and TIME.fullmatch(line["time"])
