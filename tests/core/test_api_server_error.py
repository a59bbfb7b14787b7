"""A server error (a bug) under /api/ answers JSON in the API's error shape, in Chinese, and
says nothing of the error; elsewhere the Chinese HTML page (templates/500.html).

This module is also the urlconf of its tests: the portal's URLs plus views that fail, as a
real bug would, one plain Django view and one DRF view (whose own exception handler passes
anything that is not an API error on to Django)."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler400, handler404, handler500  # noqa: F401 (this urlconf's)
from config.urls import urlpatterns as portal_urlpatterns

pytestmark = pytest.mark.django_db


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug the test planted")


class BrokenApi(APIView):
    permission_classes: list = []

    def get(self, request: Request) -> Response:
        raise RuntimeError("a bug the test planted")


urlpatterns = [
    path("api/v1/test-broken/", broken_view),
    path("api/v1/test-broken-drf/", BrokenApi.as_view()),
    path("test-broken/", broken_view),
    *portal_urlpatterns,
]


@pytest.fixture
def server(client, settings):
    settings.DEBUG = False
    # The client answers as the server would instead of raising into the test.
    client.raise_request_exception = False
    return client


@pytest.mark.urls("tests.core.test_api_server_error")
@pytest.mark.parametrize("url", ["/api/v1/test-broken/", "/api/v1/test-broken-drf/"])
def test_a_bug_under_the_api_answers_chinese_json(server, url):
    # when
    response = server.get(url, HTTP_ACCEPT="application/json")
    # then
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "服务器出错了，请稍后再试。", "code": "server_error"}
    assert b"RuntimeError" not in response.content
    assert b"planted" not in response.content


@pytest.mark.urls("tests.core.test_api_server_error")
def test_a_bug_on_a_page_still_answers_the_html_page(server):
    # when
    response = server.get("/test-broken/")
    # then
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>系统出错了</h1>" in html
    assert "planted" not in html


def test_the_portal_names_the_handler():
    # The test urlconf above re-exports it; the portal's own urlconf must name it too.
    from config import urls

    assert urls.handler500 == "core.handlers.server_error"
