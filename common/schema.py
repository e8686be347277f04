"""OpenAPI post-processing (drf-spectacular's POSTPROCESSING_HOOKS): every operation documents
the error answers any DRF view can give, which drf-spectacular leaves out unless a view declares
them: 400 (validation, or a state transition that is not allowed), 403 (permission denied, also
what anonymous callers get: session authentication comes first), 404 (no such object, or one the
caller may not see). The throttled operations also document 429. Error bodies are JSON objects
(``{"detail": ..., "code": ...}`` or a field → messages map). The API fuzz test
(tests/api/test_fuzz_schema.py) fails on any status code the schema does not document."""

ERROR_STATUSES = ("400", "403", "404")
THROTTLED = {("post", "/api/v1/runs/"), ("post", "/api/v1/imports/"), ("get", "/api/v1/search/")}
ERROR_SCHEMA = {"type": "object", "additionalProperties": {}}


def document_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", ERROR_SCHEMA)
    schema = {"$ref": "#/components/schemas/Error"}
    error = {"description": "Error", "content": {"application/json": {"schema": schema}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            statuses = ERROR_STATUSES + (("429",) if (method, path) in THROTTLED else ())
            for status in statuses:
                responses.setdefault(status, error)
    return result


def allow_blank_formats(result, generator, request, public):
    """Optional email and URL fields read back as "" when empty, which ``format: email`` /
    ``format: uri`` alone forbids: in response components (not the ``…Request`` ones, where a
    blank is sent as such and validated by the serializer) they are "a valid value or empty"."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            continue
        for prop, schema in (component.get("properties") or {}).items():
            fmt = schema.get("format")
            if schema.get("type") == "string" and fmt in ("email", "uri"):
                description = schema.get("description")
                base = {k: v for k, v in schema.items() if k not in ("description", "readOnly")}
                replacement = {"anyOf": [base, {"type": "string", "maxLength": 0}]}
                if description:
                    replacement["description"] = description
                if schema.get("readOnly"):
                    replacement["readOnly"] = True
                component["properties"][prop] = replacement
    return result


SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


def constrain_slug_parameters(result, generator, request, public):
    """A ``<slug:...>`` path converter answers 404 (an HTML page, from the resolver) for a value
    outside ``[-a-zA-Z0-9_]+``; the schema says so, so that clients (and the fuzz test) know."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("name") == "slug":
                    schema = parameter.setdefault("schema", {"type": "string"})
                    schema.setdefault("pattern", SLUG_PATTERN)
    return result
