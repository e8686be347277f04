"""API plumbing shared by every app: the exception handler that turns our ApplicationError,
our PermissionDenied (with its message) and Django's ValidationError into DRF responses instead of 500s."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import ApplicationError, PermissionDenied


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"detail": exc.messages})
    if isinstance(exc, (ApplicationError, PermissionDenied)):
        return Response({"detail": str(exc.message), "code": exc.code, **exc.extra}, status=exc.status)
    return drf_exception_handler(exc, context)
