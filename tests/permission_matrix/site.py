"""Rows of the site-wide routes: the portal's front page and dashboard, the health check, the
language switch and the API's schema and documentation."""

from tests.permission_matrix import PUBLIC, SIGNED_IN_OK, Row

ROWS = [
    Row("portal:home", "GET", PUBLIC),
    Row("portal:dashboard", "GET", SIGNED_IN_OK),
    Row("health", "GET", PUBLIC),
    # Django's view: a POST sets the language cookie and goes back (or 204 without a next page).
    Row("set_language", "POST", PUBLIC, data=lambda d: {"language": "en"}),
    # The schema is public and the same for everyone (SERVE_PUBLIC): every operation, whoever reads it.
    Row("api-schema", "GET", PUBLIC, query="format=json"),
    Row("api-docs", "GET", PUBLIC),
]
