"""The living demo in a real browser, on the data seed_demo ships (issue 10, items 1 and 3):

(a) a visitor picks a service on the home page, signs up from the order link, comes back to
    that order form, orders at 王江社区 and sees the order dispatched by the real worker
    within seconds; an order placed at night says when it will be dispatched instead;
(b) a township cadre finds the dispatch workbench from the admin index and dispatches an
    order by hand to a volunteer found by name;
(c) the top bar at 360 px keeps every link on one line.

Which weekly slot is on call is read from ``settings.ON_CALL_CLOCK`` (orders.dispatch
.on_call_now) by the live server and by the embedded worker alike, both in this process: the
test pins a Monday morning, then a night, so it exercises automatic dispatch whatever hour
the run happens at.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from demo.management.commands.seed_demo import DEMO_PASSWORD
from demo.village import VILLAGE
from orders.models import Order
from orders.services import order_place
from practice.models import Center, Service
from tests.accounts.sms import texts  # noqa: F401 - the fixture
from tests.core.conftest import celery_worker, redis_broker_url, wait_for  # noqa: F401

pytestmark = pytest.mark.e2e

NEW_PHONE = "13912340088"
NEW_PASSWORD = "Xinyonghu#2026"


@pytest.fixture
def demo(transactional_db, settings) -> None:
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())


def _moment(hour: int) -> str:
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    return datetime.datetime.combine(monday, datetime.time(hour, 30)).isoformat()


def _choose_wangjiang(page: Page) -> None:
    village = page.get_by_label("服务所在村（社区）")
    if village.count():
        # A resident who ordered before starts from the village of their last order.
        village.select_option(label="王江社区居委会")
        return
    page.get_by_label("所在县（市、区）").select_option(label="珠晖区")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("所在乡镇（街道）").select_option(label="衡州路街道")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("服务所在村（社区）").select_option(label="王江社区居委会")


def _order(page: Page, title: str) -> Order:
    _choose_wangjiang(page)
    page.get_by_label("标题").fill(title)
    page.get_by_label("服务地址").fill("王江社区5栋302")
    page.get_by_role("button", name="提交订单").click()
    expect(page.locator(".messages")).to_contain_text("下单成功")
    return Order.objects.get(title=title)


def test_a_new_users_first_order_is_dispatched_automatically(
    page: Page,
    live_server,
    demo,
    settings,
    celery_worker,  # noqa: F811
    texts,  # noqa: F811
) -> None:
    settings.ON_CALL_CLOCK = _moment(10)
    # given a visitor on the home page, which says what the portal is and how it works
    page.goto("/")
    steps = page.locator("ol.steps")
    for step in ("点单", "派单", "接单", "评单"):
        expect(steps).to_contain_text(step)
    expect(page.locator(".contact")).to_contain_text("0734-8000000")

    # when they pick a service, are sent to sign in, and sign up instead
    page.locator("#platform-science").get_by_role("link", name="买菜送药").click()
    page.locator("main").get_by_role("link", name="注册").click()
    page.get_by_label("手机号").fill(NEW_PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(texts.code_for(NEW_PHONE))
    page.get_by_label("真实姓名").fill("新用户")
    page.get_by_label("密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()

    # then they are back on the order form with the service they chose
    expect(page.get_by_role("heading", name="我要点单")).to_be_visible()
    expect(page.locator(".service-name")).to_contain_text("买菜送药")

    # when they order at 王江社区
    order = _order(page, "第一次点单：帮忙买菜")

    # then the real worker offers it to a volunteer of the village within seconds
    wait_for(
        lambda: Order.objects.filter(pk=order.pk, status=Order.Status.DISPATCHED).exists(),
        timeout=30,
        what="the first order to be dispatched automatically",
    )
    page.reload()
    expect(page.locator("h1 .order-status")).to_have_text("已派单")
    expect(page.locator(".timeline")).to_contain_text("待派单 → 已派单")
    order.refresh_from_db()
    assert order.dispatched_volunteer.home_center.code == VILLAGE
    page.screenshot(path="/tmp/e2e-demo-dispatched.png", full_page=True)

    # when the same user orders again at night
    settings.ON_CALL_CLOCK = _moment(23)
    page.goto("/")
    page.locator("#platform-science").get_by_role("link", name="健康义诊").click()
    night = _order(page, "夜里下的单：量血压")

    # then the page says when it will be dispatched, and the worker leaves it for the morning
    expect(page.locator(".night-notice")).to_have_text("夜间下单，将于明早 6:00 起派单。")
    expect(page.locator("h1 .order-status")).to_have_text("待派单")
    night.refresh_from_db()
    assert night.flagged_at is None


def test_a_cadre_finds_the_workbench_and_dispatches_by_hand_to_a_volunteer_found_by_name(
    page: Page, live_server, demo
) -> None:
    # given an order the worker has not taken (automatic dispatch off at the village)
    village = Center.objects.get(code=VILLAGE)
    Center.objects.filter(pk=village.pk).update(auto_dispatch=False)
    resident = Order.objects.filter(resident__phone="13900000002").first().resident
    order = order_place(
        resident=resident,
        service=Service.objects.get(name="法律咨询"),
        center=village,
        title="咨询遗嘱怎么写",
        address="王江社区2栋101",
        contact_phone=resident.phone,
    )

    # when the township cadre signs in to the admin and follows the index's workbench link
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill("13800000003")
    page.locator("#id_password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    expect(page.locator("body")).to_contain_text("待办工作")
    page.get_by_role("link", name="进入派单工作台").click()
    expect(page.locator("main")).to_contain_text("咨询遗嘱怎么写")
    page.get_by_role("link", name="选择志愿者派单").first.click()
    expect(page).to_have_url(f"{live_server.url}/orders/dispatch/{order.pk}/")

    # and looks a volunteer up by name, and dispatches to her
    page.get_by_label("姓名、手机号或手机尾号（后四位）").fill("孙晓")
    page.get_by_role("button", name="查找").click()
    found = page.locator(".found .candidate")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("孙晓红")
    page.screenshot(path="/tmp/e2e-demo-hand-pick.png", full_page=True)
    found.get_by_role("button", name="派给 孙晓红").click()

    # then it is hers
    expect(page.locator(".messages")).to_contain_text(f"订单 #{order.pk} 已派给 孙晓红。")
    order.refresh_from_db()
    assert order.status == Order.Status.DISPATCHED
    assert order.dispatched_volunteer.real_name == "孙晓红"


# Each link and button of the bar on one line: a word split over two lines is two boxes.
_BROKEN = """() => [...document.querySelectorAll('.topbar a, .topbar button, .topbar .who')]
  .filter(el => el.getClientRects().length !== 1
      || el.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(el).fontSize))
  .map(el => el.textContent.trim())"""


@pytest.mark.parametrize("who", ["visitor", "cadre"])
def test_the_top_bar_has_no_broken_words_at_phone_width(new_context, live_server, demo, who):
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    if who == "cadre":
        page.goto("/accounts/login/")
        page.get_by_label("手机号").fill("13800000002")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.locator("main").get_by_role("button", name="登录").click()
        expect(page.locator(".topbar .dispatch-link")).to_be_visible()
    page.goto("/")
    assert page.evaluate(_BROKEN) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=f"/tmp/e2e-demo-topbar-{who}.png")
