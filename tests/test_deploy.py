"""Production hardening: `check --deploy` passes under production settings (chosen by the
environment, as on a server), and every response carries the security headers."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"


def production_env(**overrides: str) -> dict[str, str]:
    """A server's environment: production, a real secret, its host, PostgreSQL and Redis (no
    connection is made by the checks)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SECURE_", "SESSION_", "CSRF_", "TECHDOCK_", "DJANGO_"))
           and key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL",
                           "TRUST_PROXY_HEADERS"}}
    if "TECHDOCK_VAR_DIR" in os.environ:  # the tests' scratch directory, not the project's var/
        env["TECHDOCK_VAR_DIR"] = os.environ["TECHDOCK_VAR_DIR"]
    env.update({
        "TECHDOCK_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "techdock.example.cn",
        "CSRF_TRUSTED_ORIGINS": "https://techdock.example.cn",
        "DATABASE_URL": "postgres://techdock@127.0.0.1:5432/techdock",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
        "TRUST_PROXY_HEADERS": "1",
    })
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_passes_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_turn_on_https_only_defaults():
    code = ("import json; from django.conf import settings as s; print(json.dumps({name: getattr(s, name) for name in"
            " ['DEBUG', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS',"
            " 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SECURE_PROXY_SSL_HEADER', 'X_FRAME_OPTIONS',"
            " 'SECURE_CONTENT_TYPE_NOSNIFF', 'ALLOWED_HOSTS']} | {'cache': s.CACHES['default']['BACKEND']}))")
    result = manage("shell", "-c", code, env=production_env())

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False, "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"], "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True, "ALLOWED_HOSTS": ["techdock.example.cn"],
        "cache": "django.core.cache.backends.redis.RedisCache",
    }


def test_check_deploy_fails_without_a_shared_cache():
    # no Redis: login throttling would count per process
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    env=production_env(CELERY_BROKER_URL="amqp://127.0.0.1//"))

    assert result.returncode != 0
    assert "techdock.W001" in result.stderr + result.stdout


@pytest.mark.parametrize("overrides, message", [
    ({"SECRET_KEY": None}, "SECRET_KEY"),
    ({"SECRET_KEY": "too-short"}, "SECRET_KEY"),
    ({"DEBUG": "1"}, "DEBUG"),
])
def test_production_refuses_to_start_with_demo_secrets_or_debug(overrides, message):
    result = manage("check", env=production_env(**overrides))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


# --- headers of real responses ---------------------------------------------------------------------

def test_every_page_carries_the_security_headers(db):
    response = Client().get("/")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(part.split(" ", 1) for part in response["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"  # no inline code, no nonce unused
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "Strict-Transport-Security" not in response  # development speaks plain HTTP


def test_api_responses_carry_them_too(db):
    response = Client().get("/api/v1/taxonomy/")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_hsts_is_sent_on_https_in_production(db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    secure = Client().get("/", secure=True)
    plain = Client().get("/")

    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in plain


def test_plain_http_is_redirected_to_https_except_the_health_check(db, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = Client().get("/requirements/?q=x")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/requirements/?q=x"
    assert Client().get("/health/").status_code != 301


def test_behind_the_trusted_proxy_its_https_header_counts(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert Client().get("/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_cookies_are_secure_when_configured(db, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    response = Client().get("/accounts/login/", secure=True)

    assert response.cookies["csrftoken"]["secure"] is True
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


def test_report_only_mode_sends_the_policy_as_a_report(db, settings):
    settings.TECHDOCK_CSP_REPORT_ONLY = True

    response = Client().get("/")

    assert "Content-Security-Policy" not in response
    assert "default-src 'self'" in response["Content-Security-Policy-Report-Only"]


def test_the_api_docs_inline_code_runs_under_the_policy_by_its_nonce(db):
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    [nonce] = set(re.findall(r"'nonce-([^']+)'", policy))
    html = response.content.decode()
    inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attrs for _tag, attrs in inline)
    # a new nonce for each response
    assert nonce not in Client().get("/api/docs/")["Content-Security-Policy"]


# Inline code that the strict policy would block: a <script> without src, a <style> element, a
# style attribute, an inline event handler or a javascript: URL. A template that needs inline
# code gives it nonce="{{ request.csp_nonce }}".
INLINE = re.compile(r"<script(?![^>]*\b(src|nonce)=)[^>]*>|<style(?![^>]*\bnonce=)|\sstyle=|\son[a-z]+=|javascript:",
                    re.IGNORECASE)


def test_templates_have_no_inline_code_the_policy_would_block():
    offenders = [f"{path.relative_to(ROOT)}: {match.group(0)}"
                 for path in sorted(TEMPLATES.rglob("*.html"))
                 for match in INLINE.finditer(path.read_text(encoding="utf-8"))]

    assert offenders == []
