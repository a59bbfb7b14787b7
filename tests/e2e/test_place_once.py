"""An order is placed once, in a real browser: a double tap on the submit button, and
place, go back, submit again, each give one order, and the page says the order was
already placed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from orders.models import Order
from practice.catalogue import service_menu_install
from practice.models import Center, Service
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

TITLE = "帮奶奶买降压药"


@pytest.fixture(autouse=True)
def _window(settings):
    """The window on, as deployed (tests/conftest.py turns it off for the other tests)."""
    settings.ORDER_DEDUPE_SECONDS = 120


@pytest.fixture
def errand(tree) -> Service:
    service_menu_install(city=tree.city)
    # Auto-dispatch off: the order stays as placed, and no task needs a broker.
    Center.objects.filter(pk=tree.city.pk).update(auto_dispatch=False)
    return Service.objects.get(name="买菜送药")


def _open_form(page: Page, tree, people, errand) -> None:
    page.goto(
        f"/orders/new/?service={errand.pk}&county={tree.county_a.pk}&township={tree.township_a.pk}"
    )
    page.get_by_label("手机号").fill(people.resident.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我要点单")).to_be_visible()


def _fill(page: Page) -> None:
    page.get_by_label("服务所在村（社区）").select_option(label="王江社区居委会")
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("服务地址").fill("王江社区3栋201")


def test_a_double_tap_on_submit_places_one_order(page: Page, live_server, tree, people, errand):
    """A double tap on 提交订单. Chromium here sent one POST for it (seen while writing
    this test: it does not submit a form again while that form's submission is under way);
    two submissions that do reach the server together are the next test's."""
    _open_form(page, tree, people, errand)
    _fill(page)
    page.get_by_role("button", name="提交订单").dblclick()

    expect(page.locator("h1 .order-status")).to_have_text("待派单")
    order = Order.objects.get(resident=people.resident)
    expect(page).to_have_url(f"{live_server.url}/orders/{order.pk}/")
    assert Order.objects.filter(resident=people.resident).count() == 1


def test_two_submit_events_at_once_place_one_order(page: Page, live_server, tree, people, errand):
    """The form sent twice together, by script (two fetches of the same form data, as two
    taps that both reach the server): one order, and both answers lead to it."""
    _open_form(page, tree, people, errand)
    _fill(page)
    locations = page.evaluate(
        """async () => {
            const form = document.querySelector("form[method=post][action^='/orders/new/']");
            const send = () => fetch(form.action, {method: "POST", body: new FormData(form)});
            const answers = await Promise.all([send(), send()]);
            return answers.map((answer) => new URL(answer.url).pathname);
        }"""
    )
    order = Order.objects.get(resident=people.resident)
    assert locations == [f"/orders/{order.pk}/", f"/orders/{order.pk}/"]
    assert Order.objects.filter(resident=people.resident).count() == 1


def test_place_go_back_and_submit_again_places_one_order(
    page: Page, live_server, tree, people, errand
):
    _open_form(page, tree, people, errand)
    _fill(page)
    page.get_by_role("button", name="提交订单").click()
    expect(page.locator(".messages")).to_contain_text("下单成功")
    order = Order.objects.get(resident=people.resident)

    # The back button, then the same form submitted again (filled in again where the
    # browser did not keep it).
    page.go_back()
    expect(page.get_by_role("heading", name="我要点单")).to_be_visible()
    _fill(page)
    page.get_by_role("button", name="提交订单").click()

    expect(page).to_have_url(f"{live_server.url}/orders/{order.pk}/")
    expect(page.locator(".messages")).to_contain_text("您刚刚已提交过同样的订单")
    assert Order.objects.filter(resident=people.resident).count() == 1
