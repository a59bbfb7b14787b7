"""The admin's lists at a laptop's width (1280 x 800), in Chromium: no cell of a changelist
breaks its words over more than two lines. Chinese may break between any two characters, so
a table squeezed by its many columns used to give a column the width of one character and
stack an order's title one character a line (static/css/admin/changelist.css).

Every changelist of the admin registry is walked, so a new one is covered too; the order
list gets realistic titles and rows, the others whatever the personas bring."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page

from accounts.models import User
from orders.models import Order
from orders.services import order_accept, order_dispatch
from tests.conftest import PASSWORD
from tests.orders.conftest import make_volunteer, menu, place  # noqa: F401 (menu: a fixture)

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1280, "height": 800}

# The lines of text each cell of #result_list takes: the distinct tops of its text's boxes.
CELL_LINES = """() => Array.from(
    document.querySelectorAll('#result_list tbody td, #result_list tbody th'))
  .filter(cell => cell.innerText.trim().length > 1)
  .map(cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set(Array.from(range.getClientRects())
      .filter(rect => rect.width > 0)
      .map(rect => Math.round(rect.top)));
    return {cls: cell.className, text: cell.innerText.trim(), lines: tops.size,
            width: Math.round(cell.getBoundingClientRect().width)};
  })"""


def _sign_in(page: Page, live_server, user: User) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def laptop(new_context) -> Page:
    return new_context(viewport=LAPTOP).new_page()


@pytest.fixture
def orders(tree, people, menu) -> list[Order]:  # noqa: F811 (the fixture)
    titles = [
        "帮忙买药送到家",
        "独居老人家中水管漏水需要维修",
        "想要一台旧电脑上网课",
        "陪同老人去医院复查",
    ]
    placed = [place(people, menu, tree.village_a, title=title) for title in titles]
    helper = make_volunteer(301, tree.village_a, cadre=people.city_cadre)
    order_dispatch(actor=people.village_cadre, order_id=placed[0].pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=placed[0].pk)
    return placed


def _wrapped(page: Page, url: str) -> list[dict]:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, url
    return [cell for cell in page.evaluate(CELL_LINES) if cell["lines"] > 2]


def test_the_order_list_keeps_each_title_on_one_or_two_lines(laptop, live_server, people, orders):
    # given
    _sign_in(laptop, live_server, people.city_cadre)
    # when
    laptop.goto(reverse("admin:orders_order_changelist"))
    cells = [cell for cell in laptop.evaluate(CELL_LINES) if "field-title" in cell["cls"]]
    # then: every order's title, each within two lines
    assert sorted(cell["text"] for cell in cells) == sorted(order.title for order in orders)
    assert [cell for cell in cells if cell["lines"] > 2] == []
    assert all(cell["lines"] == 1 for cell in cells if len(cell["text"]) <= 8), cells


def test_no_changelist_stacks_its_words_at_1280_px(laptop, live_server, people, orders):
    # given: a superuser, who sees every changelist the registry has
    root = User.objects.create_superuser(phone="13800000099", password=PASSWORD, name="超级管理员")
    _sign_in(laptop, live_server, root)
    urls = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]
    assert len(urls) > 5
    # when / then
    wrapped = {url: cells for url in urls if (cells := _wrapped(laptop, url))}
    assert wrapped == {}
