"""The OpenAPI schema and the Swagger docs, served from this server alone."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

SCHEMA_URL = "/api/v1/schema/"
DOCS_URL = "/api/v1/docs/"
CONTRACT_PATHS = {
    "/api/v1/centers/",
    "/api/v1/centers/{id}/",
    "/api/v1/services/",
    "/api/v1/me/",
    "/api/v1/accounts/register/",
    "/api/v1/auth/token/",
}


@pytest.mark.django_db
def test_the_schema_is_served_to_anyone(api_client):
    response = api_client.get(SCHEMA_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    text = response.content.decode()
    assert text.startswith("openapi: 3.")
    for path in CONTRACT_PATHS:
        assert f"  {path}:\n" in text


@pytest.mark.django_db
def test_the_json_schema_describes_the_contract(api_client):
    response = api_client.get(SCHEMA_URL, {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "新时代文明实践中心门户 API"
    assert CONTRACT_PATHS <= set(schema["paths"])
    assert set(schema["paths"]["/api/v1/auth/token/"]) == {"post"}
    assert set(schema["paths"]["/api/v1/accounts/register/"]) == {"post"}
    assert set(schema["paths"]["/api/v1/me/"]) == {"get"}
    center_filters = {p["name"] for p in schema["paths"]["/api/v1/centers/"]["get"]["parameters"]}
    assert {"level", "parent", "code", "managed", "page"} <= center_filters
    service_filters = {p["name"] for p in schema["paths"]["/api/v1/services/"]["get"]["parameters"]}
    assert {"platform", "center"} <= service_filters
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "200" in token["responses"]
    assert "201" in schema["paths"]["/api/v1/accounts/register/"]["post"]["responses"]
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


@pytest.mark.django_db
def test_the_docs_page_is_served(api_client):
    response = api_client.get(DOCS_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<div id="swagger-ui"></div>' in html
    # The init script is a file of its own (the split view, for the CSP); it names the schema.
    assert f'<script src="{DOCS_URL}?script="></script>' in html
    assert "/api/v1/schema/" in api_client.get(DOCS_URL, {"script": ""}).content.decode()


def referenced_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)


@pytest.mark.django_db
def test_the_docs_page_references_no_external_host(api_client):
    html = api_client.get(DOCS_URL).content.decode()

    assert "cdn" not in html.lower()
    assert "jsdelivr" not in html
    assert "unpkg" not in html
    external = [
        found
        for found in re.findall(r"https?://[^\s\"'<>)]+", html)
        if urlsplit(found).hostname != "testserver"
    ]
    assert external == []
    urls = [url for url in referenced_urls(html) if url != f"{DOCS_URL}?script="]
    assert len(urls) >= 4
    # The sidecar's assets, and the page's own style sheet (what drf-spectacular had inline).
    assert all(
        url.startswith("/static/drf_spectacular_sidecar/") or url == "/static/css/swagger.css"
        for url in urls
    )


@pytest.mark.django_db
def test_the_docs_assets_load_from_this_server(api_client, settings):
    # Tests run without collectstatic; let WhiteNoise serve straight from the finders, as
    # it serves the collected files in production.
    settings.WHITENOISE_USE_FINDERS = True
    html = api_client.get(DOCS_URL).content.decode()
    assets = [url for url in referenced_urls(html) if url.startswith(settings.STATIC_URL)]
    assert {
        "swagger.css",
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
    } == {url.rsplit("/", 1)[-1] for url in assets}

    fresh = Client()
    for url in assets:
        response = fresh.get(url)
        assert response.status_code == 200, url
        on_disk = finders.find(url.removeprefix(settings.STATIC_URL).removeprefix("/static/"))
        assert b"".join(response.streaming_content) == Path(on_disk).read_bytes(), url


@pytest.mark.django_db
def test_every_operation_describes_its_error_answers(api_client):
    schema = api_client.get(SCHEMA_URL, {"format": "json"}).json()
    paths = schema["paths"]

    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"400", "401"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method == "post":
                assert {"409", "413", "415"} <= set(responses), (method, path)
    assert "403" not in paths["/api/v1/centers/"]["get"]["responses"]
    assert "403" in paths["/api/v1/orders/"]["get"]["responses"]
    assert "429" in paths["/api/v1/auth/token/"]["post"]["responses"]
    assert "429" not in paths["/api/v1/orders/"]["post"]["responses"]
    error = paths["/api/v1/orders/{id}/accept/"]["post"]["responses"]["409"]
    assert error["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }


@pytest.mark.django_db
def test_read_only_fields_are_described_as_the_model_gives_them(api_client):
    components = api_client.get(SCHEMA_URL, {"format": "json"}).json()["components"]["schemas"]

    # An order nobody claimed has no donor: its name is null, as DRF gives it.
    assert components["OrderDetail"]["properties"]["donor_name"]["nullable"] is True
    # A standing team has no specialty: blank, one of the choices otherwise.
    specialty = components["Team"]["properties"]["specialty"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in specialty["oneOf"]
    assert components["BlankEnum"]["enum"] == [""]
    # A list read through a reverse relation is never null.
    assert "nullable" not in components["OrderDetail"]["properties"]["events"]


@pytest.mark.django_db
def test_an_api_path_that_matches_nothing_answers_json(api_client):
    response = api_client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。", "code": "not_found"}
    # An id no route takes (the router refuses dots) is as absent as any other.
    odd_id = api_client.get("/api/v1/centers/9.0e-67/")
    assert odd_id.status_code == 404
    assert odd_id["Content-Type"].startswith("application/json")
    page = api_client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
