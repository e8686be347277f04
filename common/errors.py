"""The application's error types. Services raise ``ApplicationError`` for a refused action
(an illegal transition, a missing precondition): views show it as a message, the API as a 400.
``PermissionDenied`` is a Django ``PermissionDenied`` carrying our message and code, so a view
that lets it propagate answers 403 without catching it, and ``except ApplicationError`` in a
view never swallows a permission refusal."""

from typing import Any

from django.core import exceptions as django_exceptions


class ApplicationError(Exception):
    def __init__(self, message: Any, *, code: str = "invalid", status: int = 400, extra: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.status = status
        self.extra = extra or {}


class PermissionDenied(django_exceptions.PermissionDenied):
    def __init__(self, message: Any, *, code: str = "permission_denied", extra: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.status = 403
        self.extra = extra or {}
