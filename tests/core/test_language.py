"""Every page is Chinese, whatever language the browser asks for."""

from __future__ import annotations

import pytest

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


@pytest.mark.django_db
def test_a_browser_asking_for_english_still_gets_the_admin_in_chinese(client, people):
    client.force_login(people.county_cadre)

    page = client.get("/admin/", **ENGLISH_BROWSER).content.decode()

    assert "修改" in page
    assert ">Change<" not in page
    assert ">Add<" not in page


@pytest.mark.django_db
def test_a_browser_asking_for_english_gets_the_sign_in_page_in_chinese(client):
    response = client.get("/accounts/login/", **ENGLISH_BROWSER)

    assert response["Content-Language"] == "zh-hans"
    assert 'lang="zh-hans"' in response.content.decode()
