"""Rate limits of the API's expensive endpoints. A view opts in with ``throttle_scope`` (a key of
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``: "search", "runs", "imports") and one of these
classes in ``throttle_classes``; each user has their own budget, anonymous callers one per
client IP (``NUM_PROXIES`` decides which address that is). Over the limit: 429 with DRF's
translated message and a Retry-After header. Counts live in the default cache (settings)."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's, reading the rates when a request comes (DRF's own reads them once, at import, so
    a changed setting would never be seen)."""

    @property
    def THROTTLE_RATES(self):  # noqa: N802 - the attribute DRF reads
        return api_settings.DEFAULT_THROTTLE_RATES


class ScopedWriteRateThrottle(ScopedRateThrottle):
    """Counts and limits only writes (POST, PUT, PATCH, DELETE): starting a run is expensive,
    watching its progress is not and must never be refused."""

    def allow_request(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
