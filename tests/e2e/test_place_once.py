"""An order is placed once, in a real browser: a double tap on the submit button, two
submissions of the form that are at the server together, and place, go back, submit
again, each give one order, and the page says the order was already placed."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import Page, expect

from orders.models import Order
from orders.views import resident
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
    """A double tap on 提交订单 as a person does it. The page has no script guarding the
    button: Chromium itself sends one POST for the two clicks (the second submission
    replaces the first before its request has left, as the HTML standard's "planned
    navigation" has it). Two submissions that both reach the server are the next tests'."""
    _open_form(page, tree, people, errand)
    _fill(page)
    page.get_by_role("button", name="提交订单").dblclick()

    expect(page.locator("h1 .order-status")).to_have_text("待派单")
    order = Order.objects.get(resident=people.resident)
    expect(page).to_have_url(f"{live_server.url}/orders/{order.pk}/")
    assert Order.objects.filter(resident=people.resident).count() == 1


class HeldFirst:
    """The page's submissions as the server meets them: the first is held at the form token
    (core.idempotency.form_token_spend, as the view calls it) until a second one has
    arrived, so the two are in the server together whatever the machine's speed; then both
    go on. Each answer's redirect is recorded."""

    def __init__(self, monkeypatch) -> None:
        self._lock = threading.Lock()
        self.arrived = 0
        self.first_in = threading.Event()
        self.second_in = threading.Event()
        self.redirects: list[str] = []
        spend, redirect = resident.form_token_spend, resident.redirect

        def held_spend(**arguments):
            with self._lock:
                self.arrived += 1
                number = self.arrived
            if number == 1:
                self.first_in.set()
                self.second_in.wait(timeout=15)
            else:
                self.second_in.set()
            return spend(**arguments)

        def recorded_redirect(to, *args, **kwargs):
            with self._lock:
                self.redirects.append(str(to))
            return redirect(to, *args, **kwargs)

        monkeypatch.setattr(resident, "form_token_spend", held_spend)
        monkeypatch.setattr(resident, "redirect", recorded_redirect)


def test_a_second_tap_while_the_first_is_at_the_server_places_one_order(
    page: Page, live_server, tree, people, errand, monkeypatch
):
    """Two real submissions of the form by its button: the second tap comes once the
    first request is at the server (a slow line, a finger that taps again when nothing
    seems to happen). Chromium then sends the form again, abandoning the first navigation;
    the server answers both, and both answers lead to the one order."""
    server = HeldFirst(monkeypatch)
    _open_form(page, tree, people, errand)
    _fill(page)
    submit = page.get_by_role("button", name="提交订单")
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    # Two taps of the mouse at the button. Not locator.click: its second call would wait for
    # the first navigation to finish, which is the tap a person does not wait for.
    page.mouse.click(x, y)
    assert server.first_in.wait(timeout=15), "the first submission never reached the server"
    page.mouse.click(x, y)

    assert server.second_in.wait(timeout=15), "the browser sent the form once only"
    expect(page.locator("h1 .order-status")).to_have_text("待派单")
    order = Order.objects.get(resident=people.resident)
    expect(page).to_have_url(f"{live_server.url}/orders/{order.pk}/")
    # Which of the two takes the token's lock first is the race's: the page shows the
    # answer to the second submission, 下单成功 or 已提交过, and the same order either way.
    expect(page.locator(".messages")).to_have_text(
        re.compile("下单成功，实践站将尽快为您派单。|您刚刚已提交过同样的订单。")
    )
    assert server.arrived == 2
    assert server.redirects == [f"/orders/{order.pk}/", f"/orders/{order.pk}/"]
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
