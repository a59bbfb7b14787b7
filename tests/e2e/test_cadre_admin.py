"""Cadres in the Django admin, in a real browser: each sees exactly their own subtree of
centers, and a center outside it answers 404 like one that does not exist."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

ALL_CENTER_NAMES = {
    "衡阳市",
    "珠晖区",
    "衡州路街道",
    "王江社区居委会",
    "新园社区居委会",
    "广东路街道",
    "湖北路社区居委会",
    "雁峰区",
    "天马山街道",
    "天马山社区居委会",
}


def _admin_sign_in(page: Page, phone: str) -> None:
    """Sign in through the admin's own login page, as a cadre does from a bookmark."""
    response = page.goto("/admin/login/?next=/admin/")
    assert response is not None
    assert response.status == 200
    page.locator("#id_username").fill(phone)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    # Let in: no error, the login form is gone and the index greets them with their
    # jurisdiction.
    refusal = page.locator(".errornote").all_inner_texts()
    assert not refusal, f"{phone} was refused at /admin/login/: {refusal}"
    expect(page.locator("#login-form")).to_have_count(0)
    expect(page.locator("#content h1")).to_have_text("我的辖区")


def _center_list(page: Page) -> list[str]:
    response = page.goto("/admin/practice/center/")
    assert response is not None
    assert response.status == 200
    expect(page.locator("#result_list")).to_be_visible()
    names = page.locator("#result_list tbody tr th").all_inner_texts()
    return [name.strip() for name in names]


def _status(page: Page, path: str) -> int:
    response = page.goto(path)
    assert response is not None
    return response.status


def test_township_cadre_sees_exactly_their_township_and_its_villages(
    page: Page, live_server, tree, people
) -> None:
    # given the cadre of 衡州路街道, signed in to the admin
    _admin_sign_in(page, people.township_cadre.phone)

    # when they open the list of centers
    names = _center_list(page)

    # then it holds their township and its two villages, and nothing else
    assert sorted(names) == sorted(["衡州路街道", "王江社区居委会", "新园社区居委会"])
    assert names[0] == "衡州路街道"  # the tree order: the township above its villages
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    table_text = page.locator("#result_list").inner_text()
    for outside in ALL_CENTER_NAMES - set(names):
        assert outside not in table_text, outside
    page.screenshot(path="/tmp/e2e-admin.png", full_page=True)

    # and a center of their own subtree opens
    assert _status(page, f"/admin/practice/center/{tree.village_a.pk}/change/") == 200
    expect(page.locator("#id_name")).to_have_value("王江社区居委会")

    # but the parent county, the sister township and the other county answer 404
    for outside in [tree.county_a, tree.township_a2, tree.county_b, tree.village_b]:
        assert _status(page, f"/admin/practice/center/{outside.pk}/change/") == 404, outside.name
    # ... as does a center that does not exist at all
    assert _status(page, "/admin/practice/center/999999/change/") == 404


def test_village_cadre_sees_only_their_village(page: Page, live_server, tree, people) -> None:
    # given the cadre of 王江社区, signed in to the admin
    _admin_sign_in(page, people.village_cadre.phone)

    # when they open the list of centers
    names = _center_list(page)

    # then only their own village is there
    assert names == ["王江社区居委会"]
    expect(page.locator("#result_list tbody tr")).to_have_count(1)

    # and the township above and the sister village answer 404
    for outside in [tree.township_a, tree.village_a2]:
        assert _status(page, f"/admin/practice/center/{outside.pk}/change/") == 404, outside.name


def test_resident_is_not_let_into_the_admin(page: Page, live_server, people) -> None:
    # given a resident who holds no cadre role
    page.goto("/admin/login/")
    page.locator("#id_username").fill(people.resident.phone)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()

    # then the admin's login form comes back with an error, and the center list stays shut
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator(".errornote")).to_be_visible()
    page.goto("/admin/practice/center/")
    expect(page).to_have_url(f"{live_server.url}/admin/login/?next=/admin/practice/center/")
