"""The REST API, mounted at /api/v1/ by config.urls. Each app owns its routes; URL names are
namespaced ``accounts-api:``, ``catalog-api:``, ``matchmaking-api:`` and ``events-api:`` so they
never clash with the portal's."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("matchmaking.api.urls")),
    path("", include("events.api.urls")),
]
