"""The authentication backend: Django's ModelBackend behind the login throttle
(``accounts.throttling``), so that every sign-in path is counted and refused alike."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.throttling import login_failure_record, login_throttle_check


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        email = username if username is not None else kwargs.get(get_user_model().USERNAME_FIELD)
        if email is None or password is None:
            return None
        login_throttle_check(request=request, email=email)  # raises LoginThrottled
        user = super().authenticate(request, username=email, password=password)
        if user is None:
            login_failure_record(request=request, email=email)
        return user
