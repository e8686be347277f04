"""Form plumbing shared by every app's views."""

from django import forms
from django.core.exceptions import ValidationError

from common.errors import ApplicationError


def add_service_errors(form: forms.Form, error: Exception, *, field_map: dict | None = None,
                       code_map: dict | None = None, default_field: str | None = None) -> None:
    """Turn a service's ``ValidationError`` or ``ApplicationError`` into form errors: each
    message on its field where the form has one, the rest on the form as a whole."""
    field_map = field_map or {}

    def target(name: str | None) -> str | None:
        name = field_map.get(name, name)
        return name if name in form.fields else None

    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(target(name), messages)
    elif isinstance(error, ValidationError):
        form.add_error(target(default_field), error.messages)
    elif isinstance(error, ApplicationError):
        form.add_error(target((code_map or {}).get(error.code)), str(error.message))
    else:
        raise TypeError(f"not a service error: {error!r}")
