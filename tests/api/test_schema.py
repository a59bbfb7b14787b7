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
