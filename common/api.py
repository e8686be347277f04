"""API plumbing shared by every app: the exception handler that turns our ApplicationError,
our PermissionDenied (with its message) and Django's ValidationError into DRF responses instead of 500s,
and hands the reason of every 403 to the audit log (written by common.middleware for each 403)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import ApplicationError, PermissionDenied
from common.middleware import note_denial


def exception_handler(exc, context):
    response = _handle(exc, context)
    request = getattr(context.get("request"), "_request", None)
    if response is not None and response.status_code == 403 and request is not None:
        code = getattr(exc, "code", None) or getattr(exc, "default_code", "permission_denied")
        note_denial(request, code=code, reason=str(getattr(exc, "message", None) or getattr(exc, "detail", exc)))
    return response


def _handle(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"detail": exc.messages})
    if isinstance(exc, (ApplicationError, PermissionDenied)):
        return Response({"detail": str(exc.message), "code": exc.code, **exc.extra}, status=exc.status)
    return drf_exception_handler(exc, context)
