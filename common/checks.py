"""System checks of the deployment's configuration, run by ``manage.py check --deploy``."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs) -> list[Warning]:
    """Login throttling and the API's rate limits count in the default cache: with a per-process
    cache, each web process keeps its own count and an attacker gets N times the attempts."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [Warning(
            "The default cache is per process, so login throttling and API rate limits are counted per process.",
            hint="Set REDIS_URL (or use a redis:// CELERY_BROKER_URL) so that every web process shares the counts.",
            id="techdock.W001",
        )]
    return []
