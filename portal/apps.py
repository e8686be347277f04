from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The portal's landing pages (home, per-role dashboard). It sits above every other app and
    only reads through their selectors; it has no models."""

    name = "portal"
