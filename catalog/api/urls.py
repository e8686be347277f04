from django.urls import path
from rest_framework.routers import SimpleRouter

from catalog.api import import_views, views

app_name = "catalog-api"

router = SimpleRouter()
router.register("requirements", views.RequirementViewSet, basename="requirement")
router.register("achievements", views.AchievementViewSet, basename="achievement")
router.register("evaluations", views.EvaluationViewSet, basename="evaluation")
router.register("imports", import_views.ImportJobViewSet, basename="import")

urlpatterns = [
    path("taxonomy/", views.TaxonomyView.as_view(), name="taxonomy"),
    path("requirements/export/", import_views.RequirementExportView.as_view(), name="requirement-export"),
    path("achievements/export/", import_views.AchievementExportView.as_view(), name="achievement-export"),
    path("imports/<int:pk>/errors.csv", import_views.ImportJobViewSet.as_view(
        {"get": "errors_csv"}, content_negotiation_class=import_views.FileNegotiation), name="import-errors-csv"),
    *router.urls,
]
