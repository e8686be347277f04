"""The OpenAPI schema, its Swagger UI (served from our own static files) and the taxonomy."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.models import FieldCluster


@pytest.fixture
def plain_static_storage(settings):
    # The docs page only links static files; no manifest is needed to render it.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def test_schema_endpoint_serves_openapi_with_every_api_path(db):
    response = APIClient().get(reverse("api-schema"), {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "TechDock API"
    assert {"/api/v1/requirements/", "/api/v1/achievements/{id}/decide/", "/api/v1/evaluations/{id}/submit/",
            "/api/v1/organisations/{id}/reject/", "/api/v1/auth/token/", "/api/v1/taxonomy/"} <= set(schema["paths"])
    # Keys that depend on the reader's access level are not promised by the schema.
    required = set(schema["components"]["schemas"]["RequirementOutput"]["required"])
    assert "title" in required and "budget_max" not in required and "contact_phone" not in required


def test_docs_page_uses_locally_served_swagger_assets(db, plain_static_storage):
    response = APIClient().get(reverse("api-docs"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr.net" not in html
    assert "unpkg.com" not in html


def test_taxonomy_lists_clusters_with_their_fields_for_anonymous(db):
    response = APIClient().get(reverse("catalog-api:taxonomy"))

    assert response.status_code == 200
    clusters = response.json()
    assert [c["code"] for c in clusters] == list(FieldCluster.objects.order_by("order", "code").values_list(
        "code", flat=True))
    energy = next(c for c in clusters if any(f["code"] == "energy-storage" for f in c["fields"]))
    assert set(energy) == {"code", "name_zh", "name_en", "fields"}
    assert set(energy["fields"][0]) == {"code", "name_zh", "name_en"}


def test_taxonomy_query_count_is_constant(db, django_assert_num_queries):
    with django_assert_num_queries(2):
        APIClient().get(reverse("catalog-api:taxonomy"))
