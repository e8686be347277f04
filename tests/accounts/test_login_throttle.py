"""Login throttling: the 6th attempt after 5 failures within the window is refused — even with
the right password — per account and, separately, per client IP, on the portal, /admin/ and
the API token endpoint; once the window has passed, signing in works again."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.throttling import THROTTLED_MESSAGE, login_throttle_keys
from tests.conftest import PASSWORD
from tests.factories import UserFactory

WRONG = "not-the-password"
LOGIN = "/accounts/login/"


def english_client(ip: str = "127.0.0.1", **extra) -> Client:
    client = Client(REMOTE_ADDR=ip, **extra)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def portal_login(client: Client, email: str, password: str, **extra):
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def end_window(*, email: str | None = None, ip: str | None = None) -> None:
    """The window passes: the counters' expiry is brought forward to now (no sleeping)."""
    for key in login_throttle_keys(email=email, ip=ip).values():
        cache.touch(key, 0)


def form_error_codes(response) -> set[str]:
    return {error.code for error in response.context["form"].errors.as_data().get("__all__", [])}


@pytest.fixture
def user(db):
    return UserFactory(email="engineer@ent-a.cn")


def test_sixth_portal_login_is_refused_even_with_the_right_password(user):
    client = english_client()
    # given five failed attempts
    for _ in range(5):
        response = portal_login(client, user.email, WRONG)
        assert form_error_codes(response) == {"invalid_login"}

    # when the right password comes sixth
    response = portal_login(client, user.email, PASSWORD)

    # then it is refused with the throttling message, and nobody is signed in
    assert response.status_code == 200
    assert form_error_codes(response) == {"throttled"}
    assert str(THROTTLED_MESSAGE) in response.content.decode()
    assert signed_in_user_id(client) is None


def test_portal_login_works_again_after_the_window(user):
    client = english_client()
    for _ in range(5):
        portal_login(client, user.email, WRONG)
    assert form_error_codes(portal_login(client, user.email, PASSWORD)) == {"throttled"}

    # when the window has passed for the account and the IP
    end_window(email=user.email, ip="127.0.0.1")

    # then the right password signs in
    response = portal_login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == user.pk


def test_fewer_than_five_failures_do_not_lock(user):
    client = english_client()
    for _ in range(4):
        portal_login(client, user.email, WRONG)

    response = portal_login(client, user.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_user_id(client) == user.pk


def test_failures_for_one_account_from_many_ips_lock_the_account(user):
    # given five failures, each from another IP
    for n in range(5):
        portal_login(english_client(f"10.0.0.{n + 1}"), user.email, WRONG)

    # then a sixth IP is refused for that account, even with the right password
    client = english_client("10.0.0.99")
    assert form_error_codes(portal_login(client, user.email, PASSWORD)) == {"throttled"}
    assert signed_in_user_id(client) is None
    # but another account signs in from there
    other = UserFactory()
    assert portal_login(english_client("10.0.0.99"), other.email, PASSWORD).status_code == 302


def test_failures_from_one_ip_over_many_accounts_lock_the_ip(user):
    client = english_client("10.1.1.1")
    # given five failures from one IP, for five different (some unknown) accounts
    for n in range(5):
        portal_login(client, f"guess{n}@example.cn", WRONG)

    # then that IP is refused for any account, even with the right password
    assert form_error_codes(portal_login(client, user.email, PASSWORD)) == {"throttled"}
    # while the account still signs in from elsewhere
    elsewhere = english_client("10.2.2.2")
    assert portal_login(elsewhere, user.email, PASSWORD).status_code == 302
    assert signed_in_user_id(elsewhere) == user.pk


def test_a_spoofed_forwarded_for_header_does_not_escape_the_ip_limit(user):
    # no trusted proxy is configured, so X-Forwarded-For is the client's own claim
    client = english_client("10.3.3.3")
    for n in range(5):
        portal_login(client, f"guess{n}@example.cn", WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = portal_login(client, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")

    assert form_error_codes(response) == {"throttled"}


def test_a_success_does_not_reset_the_failures_from_another_ip(user):
    # given four failures for the account from IP A
    attacker = english_client("10.4.4.4")
    for _ in range(4):
        portal_login(attacker, user.email, WRONG)
    # when the owner signs in from IP B
    owner = english_client("10.5.5.5")
    assert portal_login(owner, user.email, PASSWORD).status_code == 302

    # then IP A's failures still count: one more, and the account is locked
    portal_login(attacker, user.email, WRONG)
    assert form_error_codes(portal_login(english_client("10.5.5.5"), user.email, PASSWORD)) == {"throttled"}


def test_admin_login_is_throttled_too(db):
    admin = UserFactory(email="root@bureau.cn", is_staff=True, is_superuser=True)
    client = english_client()
    url = reverse("admin:login")
    for _ in range(5):
        response = client.post(url, {"username": admin.email, "password": WRONG})
        assert form_error_codes(response) == {"invalid_login"}

    # the sixth, with the right password, is refused with the throttling message
    response = client.post(url, {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 200
    assert form_error_codes(response) == {"throttled"}
    assert str(THROTTLED_MESSAGE) in response.content.decode()
    assert signed_in_user_id(client) is None

    # and after the window the admin signs in
    end_window(email=admin.email, ip="127.0.0.1")
    response = client.post(url, {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user_id(client) == admin.pk


def test_portal_failures_count_for_the_admin_login(user):
    # one counter whatever the door: failures on the portal lock /admin/ as well
    client = english_client()
    for _ in range(5):
        portal_login(client, user.email, WRONG)

    response = client.post(reverse("admin:login"), {"username": user.email, "password": PASSWORD})

    assert form_error_codes(response) == {"throttled"}


def test_api_token_endpoint_is_throttled(user):
    client = APIClient(REMOTE_ADDR="10.6.6.6", HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("accounts-api:token")
    for _ in range(5):
        response = client.post(url, {"email": user.email, "password": WRONG}, format="json")
        assert response.status_code == 400

    response = client.post(url, {"email": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 429
    assert response.json() == {"detail": str(THROTTLED_MESSAGE)}
    assert not Token.objects.filter(user=user).exists()

    end_window(email=user.email, ip="10.6.6.6")
    response = client.post(url, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_authenticate_without_a_form_is_refused_by_the_backend(user, rf):
    # any caller of authenticate() (a future sign-in path) is held by the backend itself
    from django.contrib.auth import authenticate

    request = rf.post(LOGIN, REMOTE_ADDR="10.7.7.7")
    for _ in range(5):
        assert authenticate(request, username=user.email, password=WRONG) is None

    assert authenticate(request, username=user.email, password=PASSWORD) is None
    end_window(email=user.email, ip="10.7.7.7")
    assert authenticate(request, username=user.email, password=PASSWORD) == user
