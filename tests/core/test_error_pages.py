"""The error pages a person can meet in production (DEBUG off): a missing page, a page they
may not see, a server error and an expired form each answer their status with a Chinese
page in the portal's look, under the site's CSP, and say nothing in English or about
DEBUG; under /api/ a missing path still answers JSON.

This module is also the urlconf of the server-error test: the portal's URLs plus one view
that fails, as a real bug would.
"""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse

from config.urls import handler400, handler404  # noqa: F401 (the handlers of this urlconf)
from config.urls import urlpatterns as portal_urlpatterns

pytestmark = pytest.mark.django_db

ENGLISH = [
    "Not Found",
    "Forbidden",
    "Server Error",
    "Internal",
    "CSRF",
    "DEBUG",
    "Django",
    "Error",
    "matches the given query",
    "cookie",
]


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug the test planted")


urlpatterns = [*portal_urlpatterns, path("test-broken/", broken_view)]


def assert_chinese_error_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert "返回首页" in html
    assert "css/portal.css" in html
    for word in ENGLISH:
        assert word.lower() not in html.lower(), word
    # The site's CSP forbids inline style and script; the page needs neither.
    assert response.headers.get("Content-Security-Policy")
    assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", html)
    return html


@pytest.fixture
def settings_off(settings):
    settings.DEBUG = False
    return settings


def test_a_missing_page_answers_404_in_chinese(client, settings_off):
    # when: a path nothing matches
    response = client.get("/no-such-page/")
    # then
    assert_chinese_error_page(response, 404, "页面不存在")


def test_a_missing_order_of_a_signed_in_resident_is_the_chinese_404(client, settings_off, people):
    # given
    client.force_login(people.resident)
    # when
    response = client.get(reverse("orders:detail", args=[987654]))
    # then: Http404's English message stays out of the page
    assert_chinese_error_page(response, 404, "页面不存在")


def test_under_the_api_a_missing_path_still_answers_json(client, settings_off):
    # when
    response = client.get("/api/v1/no-such-endpoint/")
    # then
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_admin_page_the_cadre_may_not_use_answers_403_in_chinese(client, settings_off, people):
    # given: orders are placed by residents, never added in the admin, whoever asks
    client.force_login(people.city_cadre)
    # when
    response = client.get(reverse("admin:orders_order_add"))
    # then
    html = assert_chinese_error_page(response, 403, "无权访问")
    assert "联系所在阵地的管理员" in html


@pytest.mark.urls("tests.core.test_error_pages")
def test_a_failing_view_answers_500_in_chinese(client, settings_off):
    # given: the client answers as the server would instead of raising into the test
    client.raise_request_exception = False
    # when
    response = client.get("/test-broken/")
    # then
    html = assert_chinese_error_page(response, 500, "系统出错了")
    assert "a bug the test planted" not in html
    assert "RuntimeError" not in html


@pytest.mark.urls("tests.core.test_error_pages")
def test_the_500_page_does_not_depend_on_who_is_signed_in(client, settings_off, people):
    # given: a signed-in cadre, whose name the page must not need (it renders without context)
    client.force_login(people.county_cadre)
    client.raise_request_exception = False
    # when
    response = client.get("/test-broken/")
    # then
    html = assert_chinese_error_page(response, 500, "系统出错了")
    assert "珠晖区管理员" not in html


def test_a_sign_in_without_its_csrf_token_answers_403_in_chinese(settings_off, people):
    # given: a browser that posts the sign-in form with no token (an expired or forged form)
    browser = Client(enforce_csrf_checks=True)
    # when
    response = browser.post(
        reverse("accounts:login"), {"username": "13900000001", "password": "whatever"}
    )
    # then
    html = assert_chinese_error_page(response, 403, "页面已过期")
    assert "刷新后重新提交" in html
    assert "没有保存本站的安全验证信息" in html  # the client sent no CSRF cookie
    assert reverse("accounts:login") in html


def test_a_stale_csrf_token_answers_the_same_chinese_page(settings_off, people):
    # given: a browser that has the cookie, but posts a token that is not its own
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("accounts:login"))
    assert "csrftoken" in browser.cookies
    # when
    response = browser.post(
        reverse("accounts:login"),
        {"username": "13900000001", "password": "whatever", "csrfmiddlewaretoken": "x" * 64},
    )
    # then
    html = assert_chinese_error_page(response, 403, "页面已过期")
    assert "没有保存本站的安全验证信息" not in html
