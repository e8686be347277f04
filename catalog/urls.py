# Placeholder routes so base.html resolves; replaced by the catalog portal views.
from django.http import HttpResponse
from django.urls import path

app_name = "catalog"


def _todo(request, *args, **kwargs):
    return HttpResponse("todo")


urlpatterns = [
    path("requirements/", _todo, name="requirement-list"),
    path("achievements/", _todo, name="achievement-list"),
    path("screening/", _todo, name="screening"),
    path("evaluations/", _todo, name="evaluation-list"),
]
