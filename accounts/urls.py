# Placeholder routes so base.html resolves; replaced by the accounts views.
from django.http import HttpResponse
from django.urls import path

app_name = "accounts"


def _todo(request, *args, **kwargs):
    return HttpResponse("todo")


urlpatterns = [
    path("login/", _todo, name="login"),
    path("logout/", _todo, name="logout"),
    path("signup/", _todo, name="signup"),
    path("profile/", _todo, name="profile"),
    path("organisations/pending/", _todo, name="organisation-pending"),
    path("invitations/<str:token>/", _todo, name="invitation-accept"),
]
