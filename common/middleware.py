"""Request plumbing shared by every app: the Content-Security-Policy header, and the audit
context (request id, client IP, user) that ``common.audit`` reads for each request."""

import ipaddress
import re
import secrets
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from common.audit import audit_event, request_context

# A request id from upstream (a proxy, a client retrying) is kept when it is short and plain,
# so that it can be searched for across logs; anything else is replaced, never logged as sent.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
REQUEST_ID_HEADER = "X-Request-ID"


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address: ``REMOTE_ADDR``, or — behind ``TRUSTED_PROXY_COUNT`` trusted
    proxies (``TRUST_PROXY_HEADERS``) — the ``X-Forwarded-For`` entry the outermost of them
    appended. Entries further left are whatever the client sent, so they are never used."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if entries:
            candidate = entries[-min(count, len(entries))]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


class ContentSecurityPolicyMiddleware:
    """Sends ``settings.TECHDOCK_CSP`` as the Content-Security-Policy header (or report-only
    with ``TECHDOCK_CSP_REPORT_ONLY``). ``request.csp_nonce`` is a per-request nonce: a
    template that renders it (``<script nonce="{{ request.csp_nonce }}">``) gets it added to
    script-src and style-src; responses that never use it keep the static policy. A view that
    sets its own header keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        used: list[str] = []

        def make_nonce() -> str:
            used.append(secrets.token_urlsafe(18))
            return used[0]

        request.csp_nonce = SimpleLazyObject(make_nonce)  # type: ignore[attr-defined]
        response = self.get_response(request)
        header = ("Content-Security-Policy-Report-Only" if settings.TECHDOCK_CSP_REPORT_ONLY
                  else "Content-Security-Policy")
        if header not in response:
            response[header] = build_policy(settings.TECHDOCK_CSP, nonce=used[0] if used else None)
        return response


def build_policy(directives: dict[str, list[str]], *, nonce: str | None = None) -> str:
    parts = []
    for name, sources in directives.items():
        sources = list(sources)
        if nonce and name in ("script-src", "style-src"):
            sources.append(f"'nonce-{nonce}'")
        parts.append(" ".join([name, *sources]))
    return "; ".join(parts)


class AuditContextMiddleware:
    """Sets ``common.audit.request_context`` for the request: its id (the incoming X-Request-ID
    when sane, else a new uuid4; echoed in the response), the client IP and the request itself,
    whose user — resolved when an event is written — is also the one DRF authenticated by token.
    Writes one ``permission.denied`` audit line for every 403 response, with the refusal's code
    and message when a view raised it (``process_exception``) or DRF refused it (``common.api``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if REQUEST_ID_PATTERN.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_context.set({"request_id": request_id, "ip": client_ip(request), "request": request})
        try:
            response = self.get_response(request)
            if response.status_code == 403:
                denial = getattr(request, "audit_denial", None) or {}
                audit_event("permission.denied", method=request.method, path=request.path,
                            code=denial.get("code", "forbidden"), reason=denial.get("reason", ""))
        finally:
            request_context.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied):
            note_denial(request, code=getattr(exception, "code", "permission_denied"), reason=str(exception))
        return None


def note_denial(request: HttpRequest, *, code: str, reason: str) -> None:
    """Tell the audit middleware why the request is about to be answered 403."""
    request.audit_denial = {"code": str(code), "reason": reason[:500]}  # type: ignore[attr-defined]
