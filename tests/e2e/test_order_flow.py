"""The order flow in a real browser: a resident orders from the menu on a desktop, a
township cadre dispatches on the dispatch page, the volunteer accepts, starts and completes
on a phone (JavaScript off: the pages must not need it), and the resident rates the service
and reads its whole timeline."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import Order
from practice.catalogue import service_menu_install
from practice.models import Center
from tests.conftest import PASSWORD
from volunteers.availability import ALL_SLOTS
from volunteers.models import Volunteer
from volunteers.services import volunteer_update_insurance, volunteer_update_preferences

from .conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT

pytestmark = pytest.mark.e2e

TITLE = "帮奶奶买降压药"


@pytest.fixture
def setting(tree, people) -> Volunteer:
    """The menu, a cadre who dispatches by hand (auto-dispatch off), and the persona
    volunteer made a valid candidate: insured and free in every slot."""
    service_menu_install(city=tree.city)
    Center.objects.filter(pk=tree.city.pk).update(auto_dispatch=False)
    volunteer = Volunteer.objects.get(user=people.volunteer)
    volunteer_update_preferences(
        volunteer=volunteer, skills=[], platforms=[], availability=ALL_SLOTS
    )
    return volunteer_update_insurance(
        actor=people.city_cadre,
        volunteer=volunteer,
        insurer="中国人寿",
        insurance_number="P000001",
        valid_until=datetime.date(2030, 12, 31),
    )


def _monday_morning() -> datetime.datetime:
    """A wanted time inside a weekly slot, whatever the clock says now: the dispatch page
    ranks the volunteers free at the time the resident asks for."""
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    return datetime.datetime.combine(monday, datetime.time(10, 0))


def _sign_in(page: Page, phone: str) -> None:
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()


def _assert_fits_width(page: Page, width: int) -> None:
    for selector in [".topbar", "main.content", "main .card", "main button[type=submit]"]:
        for element in page.locator(selector).all():
            box = element.bounding_box()
            assert box is not None, selector
            assert box["x"] >= 0, (selector, box)
            assert box["x"] + box["width"] <= width + 0.5, (selector, box)


def test_an_order_goes_from_the_menu_to_a_rated_service(
    new_context, live_server, tree, people, setting
) -> None:
    wanted = _monday_morning()

    # given a resident on a desktop who picks a service from the menu and signs in
    desk = new_context(viewport=DESKTOP_VIEWPORT)
    resident = desk.new_page()
    resident.goto("/")
    resident.locator("#platform-science").get_by_role("link", name="买菜送药").click()
    _sign_in(resident, people.resident.phone)
    expect(resident.get_by_role("heading", name="我要点单")).to_be_visible()
    expect(resident.locator(".service-name")).to_contain_text("买菜送药")

    # when they choose the county, the township and the village, and describe the need
    resident.get_by_label("所在县（市、区）").select_option(label="珠晖区")
    resident.get_by_role("button", name="下一步").click()
    resident.get_by_label("所在乡镇（街道）").select_option(label="衡州路街道")
    resident.get_by_role("button", name="下一步").click()
    resident.get_by_label("服务所在村（社区）").select_option(label="王江社区居委会")
    expect(resident.get_by_label("联系电话")).to_have_value(people.resident.phone)
    resident.get_by_label("标题").fill(TITLE)
    resident.get_by_label("需求描述").fill("奶奶腿脚不便，需要代购一个月的降压药。")
    resident.get_by_label("服务地址").fill("王江社区3栋201")
    resident.get_by_label("期望开始时间").fill(wanted.strftime("%Y-%m-%dT%H:%M"))
    resident.get_by_label("期望结束时间").fill(
        (wanted + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    resident.screenshot(path="/tmp/e2e-order-place.png", full_page=True)
    resident.get_by_role("button", name="提交订单").click()

    # then the order page says it waits for dispatch
    order = Order.objects.get(title=TITLE)
    expect(resident).to_have_url(f"{live_server.url}/orders/{order.pk}/")
    expect(resident.locator(".messages")).to_contain_text("下单成功")
    expect(resident.locator("h1 .order-status")).to_have_text("待派单")
    assert order.center == tree.village_a

    # when the township cadre opens the dispatch page and offers it to the volunteer
    office = new_context(viewport=DESKTOP_VIEWPORT).new_page()
    office.goto("/orders/dispatch/")
    _sign_in(office, people.township_cadre.phone)
    expect(office).to_have_url(f"{live_server.url}/orders/dispatch/")
    office.get_by_role("link", name="选择志愿者派单").click()
    candidate = office.locator(".candidate").filter(has_text="李志愿")
    expect(candidate.locator(".why")).to_contain_text("同村（社区） · 进行中任务 0 个")
    office.screenshot(path="/tmp/e2e-order-dispatch.png", full_page=True)
    office.get_by_role("button", name="派给 李志愿").click()
    expect(office.locator(".messages")).to_contain_text(f"订单 #{order.pk} 已派给 李志愿。")
    expect(office.locator("main")).to_contain_text("暂无待派订单。")

    # then the volunteer, on a phone without JavaScript, accepts, starts and completes
    phone = new_context(viewport=PHONE_VIEWPORT, java_script_enabled=False).new_page()
    phone.goto("/volunteer/tasks/")
    _sign_in(phone, people.volunteer.phone)
    offered = phone.locator("#offered .task").filter(has_text=TITLE)
    expect(offered).to_have_count(1)
    _assert_fits_width(phone, PHONE_VIEWPORT["width"])
    phone.screenshot(path="/tmp/e2e-order-offered.png", full_page=True)
    offered.get_by_role("button", name="接单").click()
    expect(phone.locator(".messages")).to_contain_text("接单成功")
    held = phone.locator("#held .task").filter(has_text=TITLE)
    # the booked Monday comes: check-in opens shortly before it (orders.rules)
    Order.objects.filter(title=TITLE).update(
        preferred_start=timezone.now() + datetime.timedelta(minutes=30)
    )
    held.get_by_role("button", name="签到，开始服务").click()
    expect(phone.locator(".messages")).to_contain_text("已签到，服务开始。")
    held.get_by_label("服务小结").fill("药已送到，叮嘱按时服药。")
    _assert_fits_width(phone, PHONE_VIEWPORT["width"])
    phone.screenshot(path="/tmp/e2e-order-tasks.png", full_page=True)
    held.get_by_role("button", name="签退，完成服务").click()
    expect(phone.locator(".messages")).to_contain_text("已签退，本次服务记 0.00 小时。")
    expect(phone.locator("#done")).to_contain_text(TITLE)
    expect(phone.locator("#held")).to_contain_text("暂无进行中的任务。")
    phone.screenshot(path="/tmp/e2e-order-done.png", full_page=True)

    # when the resident reloads the order and rates it
    resident.reload()
    expect(resident.locator("h1 .order-status")).to_have_text("已完成")
    resident.get_by_label("5 分").check()
    resident.get_by_label("评价（可不填）").fill("很及时，谢谢！")
    resident.get_by_role("button", name="提交评价").click()

    # then they see the rating and the whole timeline, from placing to rating
    expect(resident.locator(".messages")).to_contain_text("感谢您的评价！")
    expect(resident.locator("dd.rating")).to_have_text("5 分")
    expect(resident.locator(".timeline .move")).to_have_text(
        [
            "待派单",
            "待派单 → 已派单",
            "已派单 → 已接单",
            "已接单 → 服务中",
            "服务中 → 已完成",
            "已完成 → 已评价",
        ]
    )
    expect(resident.locator(".timeline .who")).to_have_text(
        ["张群众", "衡州路管理员", "李志愿", "李志愿", "李志愿", "张群众"]
    )
    resident.screenshot(path="/tmp/e2e-order-timeline.png", full_page=True)
    order.refresh_from_db()
    assert (order.status, order.rating, order.accepted_by) == (Order.Status.RATED, 5, setting)
