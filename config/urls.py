from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health

# Attachments are never served from MEDIA_URL: they go through catalog views that check
# the listing's access rules first.
urlpatterns = [
    path("", include("portal.urls")),
    path("", include("catalog.urls")),
    path("accounts/", include("accounts.urls")),
    path("matchmaking/", include("matchmaking.urls")),
    path("events/", include("events.urls")),
    path("health/", health.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
