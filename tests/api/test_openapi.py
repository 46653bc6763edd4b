"""The OpenAPI document and the browsable docs at /api/v1/."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_openapi_document_is_valid_and_has_the_paths(client):
    """A valid OpenAPI 3.1 document with the batch schema and bearer auth."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert {"/api/v1/orders", "/api/v1/clients/{external_id}", "/api/v1/emails"} <= set(
        document["paths"]
    )
    body = document["paths"]["/api/v1/orders"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith(
        "/OrderBatchIn"
    )
    schemas = document["components"]["schemas"]
    assert schemas["OrderBatchIn"]["properties"]["orders"]["maxItems"] == 500
    assert "OrderEventIn" in schemas
    assert "ClientIn" in schemas
    assert document["components"]["securitySchemes"]


def test_docs_page_renders(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
    assert b"/api/v1/openapi.json" in response.content
