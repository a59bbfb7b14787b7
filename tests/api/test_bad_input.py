"""Bad input never answers 500: JSON nested too deep, NUL characters in queries and forms,
oversized, overfull and malformed bodies. The API answers in its own error shape (JSON,
Chinese message); pages with a short Chinese page."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from core.parsers import JSON_MAX_DEPTH, nesting_depth
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HAN = range(0x4E00, 0xA000)


def nested(depth: int) -> str:
    """A JSON object whose innermost value lies ``depth`` containers deep."""
    return '{"phone":' * (depth - 1) + '{"phone": 1' + "}" * depth


def assert_api_refusal(response, status: int = 400, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str)
    assert any(ord(char) in HAN for char in body["detail"]), body
    if code is not None:
        assert body["code"] == code
    return body


def assert_page_refusal(response, status: int = 400) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "请求有误" in html
    return html


# --- JSON nested deep -------------------------------------------------------------------


def test_nesting_depth_counts_containers_without_recursion():
    assert nesting_depth(1, limit=5) == 0
    assert nesting_depth({"a": [1, {"b": []}]}, limit=5) == 4
    deep: list = []
    for _level in range(100_000):  # far past the interpreter's recursion limit
        deep = [deep]
    assert nesting_depth(deep, limit=5) == 6  # given up just past the limit


def test_sign_in_with_json_a_thousand_deep_is_a_400_not_a_500(api_client):
    body = nested(1000)
    assert len(body) < 12_000

    response = api_client.post("/api/v1/auth/token/", body, content_type="application/json")

    assert_api_refusal(response, code="too_deep")


@pytest.mark.parametrize("depth", [JSON_MAX_DEPTH + 1, 200, 5000])
def test_json_deeper_than_the_limit_is_refused_on_every_json_endpoint(depth, people, client_for):
    body = nested(depth)
    cadre = client_for(people.county_cadre)
    for path in (
        "/api/v1/orders/",
        "/api/v1/volunteers/apply/",
        "/api/v1/accounts/register/",
    ):
        response = cadre.post(path, body, content_type="application/json")
        assert_api_refusal(response, code="too_deep")


def test_json_at_the_limit_is_parsed(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", nested(JSON_MAX_DEPTH), content_type="application/json"
    )

    # Parsed, then refused by the serializer as any wrong field would be.
    assert response.status_code == 400
    assert response.json().get("code") != "too_deep"
    assert "phone" in response.json() or "detail" in response.json()


def test_malformed_json_keeps_its_chinese_message(api_client):
    response = api_client.post("/api/v1/auth/token/", "{", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "请求内容无法解析，请提交有效的 JSON。"}


def test_sign_in_still_works_through_the_bounded_parser(api_client, people):
    response = api_client.post(
        "/api/v1/auth/token/",
        json.dumps({"phone": people.resident.phone, "password": PASSWORD}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["token"]


# --- NUL characters ---------------------------------------------------------------------


@pytest.fixture
def admin_client(people) -> Client:
    client = Client()
    client.force_login(people.county_cadre)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/autocomplete/?term=%00&app_label=practice&model_name=service&field_name=center",
        "/admin/autocomplete/?term=a%00b&app_label=volunteers&model_name=team&field_name=center",
        "/admin/orders/order/?q=%00",
        "/admin/orders/order/?status=%00",
        "/admin/practice/center/?q=x%00",
        "/admin/volunteers/volunteer/?status=%00",
        "/admin/accounts/user/?q=%00",
    ],
)
def test_a_nul_in_an_admin_term_or_filter_is_a_chinese_400(admin_client, url):
    html = assert_page_refusal(admin_client.get(url))

    assert "空字符" in html


def test_the_admin_search_works_without_a_nul(admin_client):
    assert admin_client.get("/admin/orders/order/?q=abc").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/centers/?code=%00",
        "/api/v1/centers/?level=%00",
        "/api/v1/services/?platform=%00",
        "/api/v1/orders/?status=%00",
        "/api/v1/volunteers/?status=%00",
        "/api/v1/teams/?%00=1",
    ],
)
def test_a_nul_in_an_api_filter_is_a_json_400(people, client_for, url):
    assert_api_refusal(client_for(people.county_cadre).get(url), code="nul_character")


@pytest.mark.parametrize("url", ["/orders/?status=%00", "/orders/wishes/?center=%00", "/?q=%00"])
def test_a_nul_in_a_page_query_is_a_chinese_400(people, url):
    client = Client()
    client.force_login(people.resident)

    assert_page_refusal(client.get(url))


def test_a_nul_in_a_submitted_form_is_a_chinese_400():
    response = Client().post(
        "/accounts/login/", {"username": "139\x0000000001", "password": PASSWORD}
    )

    assert_page_refusal(response)


def test_a_nul_in_an_api_form_body_is_a_json_400(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", {"phone": "\x00", "password": "x"}, format="multipart"
    )

    assert_api_refusal(response, code="nul_character")


def test_a_nul_inside_json_is_left_to_the_serializers(api_client):
    # JSON strings may carry "\u0000"; the fields refuse it (DRF's CharField does) or the
    # lookup finds nothing, a 400 either way.
    response = api_client.post(
        "/api/v1/auth/token/",
        json.dumps({"phone": "\x00", "password": "\x00"}),
        content_type="application/json",
    )

    assert response.status_code == 400


# --- oversized, overfull and malformed bodies ----------------------------------------------


def test_an_oversized_api_body_is_a_json_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = json.dumps({"phone": "1" * 5000, "password": "x"})

    response = api_client.post("/api/v1/auth/token/", body, content_type="application/json")

    assert_api_refusal(response, status=413, code="too_large")


def test_an_oversized_api_form_is_a_json_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096

    response = api_client.post(
        "/api/v1/auth/token/", {"phone": "1" * 5000, "password": "x"}, format="multipart"
    )

    assert_api_refusal(response, status=413, code="too_large")


def test_an_oversized_body_within_the_limit_passes(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = json.dumps({"phone": "1" * 100, "password": "x"})

    response = api_client.post("/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json().get("code") != "too_large"


def test_an_oversized_page_form_is_a_chinese_page(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096

    response = Client().post("/accounts/login/", {"username": "1" * 5000, "password": "x"})

    assert "KB" in assert_page_refusal(response, status=413)


def test_too_many_fields_is_a_json_400(api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = {f"field{number}": "x" for number in range(20)}

    response = api_client.post("/api/v1/auth/token/", fields)

    assert_api_refusal(response, code="too_many_fields")


def test_too_many_query_parameters_is_a_json_400(api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"p{number}=1" for number in range(20))

    assert_api_refusal(api_client.get(f"/api/v1/centers/?{query}"), code="too_many_fields")


def test_a_malformed_multipart_body_is_a_json_400(api_client):
    response = api_client.generic(
        "POST",
        "/api/v1/auth/token/",
        b"--nope\r\nContent-Disposition: form-data\r\n\r\nbroken",
        content_type="multipart/form-data; boundary=",
    )

    assert_api_refusal(response, code="malformed_form")


def test_a_malformed_multipart_page_form_is_a_chinese_page():
    response = Client().generic(
        "POST",
        "/accounts/login/",
        b"garbage",
        content_type="multipart/form-data; boundary=",
    )

    assert_page_refusal(response)
