from django.urls import path
from rest_framework.routers import SimpleRouter

from matchmaking.api import views

app_name = "matchmaking-api"

router = SimpleRouter()
router.register("runs", views.RunViewSet, basename="run")
router.register("suggestions", views.SuggestionViewSet, basename="suggestion")

urlpatterns = [
    path("search/", views.SearchView.as_view(), name="search"),
    *router.urls,
]
