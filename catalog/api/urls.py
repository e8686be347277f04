from django.urls import path
from rest_framework.routers import SimpleRouter

from catalog.api import views

app_name = "catalog-api"

router = SimpleRouter()
router.register("requirements", views.RequirementViewSet, basename="requirement")
router.register("achievements", views.AchievementViewSet, basename="achievement")
router.register("evaluations", views.EvaluationViewSet, basename="evaluation")

urlpatterns = [
    path("taxonomy/", views.TaxonomyView.as_view(), name="taxonomy"),
    *router.urls,
]
