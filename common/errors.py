"""The one application error type. Services raise it for a refused action (an illegal
transition, a missing permission); views turn it into a message, the API into a 400/403."""

from typing import Any


class ApplicationError(Exception):
    def __init__(self, message: Any, *, code: str = "invalid", status: int = 400, extra: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.status = status
        self.extra = extra or {}


class PermissionDenied(ApplicationError):
    def __init__(self, message: Any, *, code: str = "permission_denied", extra: dict | None = None):
        super().__init__(message, code=code, status=403, extra=extra)
