# Placeholder routes so base.html resolves; replaced by the portal views.
from django.http import HttpResponse
from django.urls import path

app_name = "portal"


def _todo(request, *args, **kwargs):
    return HttpResponse("todo")


urlpatterns = [
    path("", _todo, name="home"),
    path("dashboard/", _todo, name="dashboard"),
]
