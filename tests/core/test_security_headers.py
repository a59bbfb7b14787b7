"""Every page type carries the Content-Security-Policy, the framing ban, nosniff and the
referrer policy; and the TLS proxy settings behave as docs/deploy.md says."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security_pages import page_types

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parsed = {}
    for part in header.split(";"):
        name, _space, value = part.strip().partition(" ")
        parsed[name] = value.strip()
    return parsed


def assert_hardened(response, where: str) -> None:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"{where}: no Content-Security-Policy"
    found = directives(policy)
    for name, value in POLICY.items():
        assert found.get(name) == value, (where, name, policy)
    assert "unsafe-inline" not in policy, (where, policy)
    assert "unsafe-eval" not in policy, (where, policy)
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", where


def test_every_page_type_carries_the_security_headers(tree, people):
    for page in page_types(tree, people):
        client = Client()
        if page.user is not None:
            client.force_login(page.user)
        response = client.get(page.path)
        assert response.status_code == 200, (page.name, response.status_code)
        assert_hardened(response, page.name)


def test_the_api_docs_page_has_no_inline_script_or_style_and_its_init_script_is_a_file(
    client, tree, people
):
    page = client.get("/api/v1/docs/")
    html = page.content.decode()
    assert "<style" not in html
    # Every <script> has a src: the split view serves the init script at ?script.
    assert html.count("<script") == html.count("<script src=")
    assert "/api/v1/docs/?script=" in html or "/api/v1/docs/?lang=&amp;script=" in html
    script = client.get("/api/v1/docs/", {"script": ""})
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert_hardened(script, "API docs init script")


def test_the_json_api_and_errors_carry_them_too(client, tree, people):
    client.force_login(people.resident)
    assert_hardened(client.get("/api/v1/me/"), "API JSON")
    assert_hardened(client.get("/orders/987654321/"), "a 404 page")


def test_behind_the_tls_proxy_plain_http_is_redirected_and_forwarded_https_is_served(
    client, settings
):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    plain = client.get("/accounts/login/")
    assert plain.status_code == 301
    assert plain.headers["Location"].startswith("https://")

    forwarded = client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert forwarded.status_code == 200
    assert forwarded.headers["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains")
    # The compose health check asks over plain HTTP from inside the network.
    assert client.get("/healthz/").status_code in (200, 503)
