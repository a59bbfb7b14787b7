"""A micro-wish (微心愿) in a real browser: a resident posts it through the form behind the
wish wall's "发布微心愿", a donor who is no volunteer finds it on the wish wall of their
county and township on a phone (JavaScript off: the filter is plain form steps), claims it,
delivers it and marks it fulfilled; the resident rates it on a desktop and reads its
timeline."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.services import resident_register
from orders.models import Order
from orders.services import order_place
from practice.catalogue import service_menu_install
from practice.models import Center, Service
from tests.conftest import PASSWORD

from .conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT

pytestmark = pytest.mark.e2e

TITLE = "想要一台旧电脑上网课"
DESCRIPTION = "孩子读初二，家里没有电脑，旧的也行。"
ADDRESS = "王江社区3栋201"
CONTACT = "13900000002"
ELSEWHERE = "想要一套初中数学辅导书"


@pytest.fixture
def setting(tree, people):
    """The menu; orders wait for a cadre (no automatic dispatch in the way of a claim); a
    wish in another county that the donor's filter must leave out; the donor."""
    service_menu_install(city=tree.city)
    Center.objects.filter(pk=tree.city.pk).update(auto_dispatch=False)
    errand = Service.objects.get(center=tree.city, name="买菜送药")
    neighbour = resident_register(phone="13900000088", name="雁峰群众", password=PASSWORD)
    order_place(
        resident=neighbour,
        service=errand,
        center=tree.village_b,
        title=ELSEWHERE,
        address="天马山社区1栋",
        contact_phone="13900000088",
        kind=Order.Kind.WISH,
    )
    donor = resident_register(phone="13666000001", name="爱心人士", password=PASSWORD)
    return donor


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


def test_a_wish_goes_from_posted_to_claimed_fulfilled_and_rated(
    new_context, live_server, tree, people, setting
) -> None:
    donor = setting

    # given a resident on a desktop who opens the wish wall and posts a wish through its
    # "发布微心愿" button: the menu's wish item, in a wish's words, by plain form steps
    desk = new_context(viewport=DESKTOP_VIEWPORT)
    resident = desk.new_page()
    # (the wall is open to visitors: signing in goes through the login page, back to it)
    resident.goto("/accounts/login/?next=/orders/wishes/")
    _sign_in(resident, people.resident.phone)
    resident.get_by_role("link", name="发布微心愿").click()
    expect(resident.get_by_role("heading", name="发布微心愿")).to_be_visible()
    resident.get_by_label("所在县（市、区）").select_option(label="珠晖区")
    resident.get_by_role("button", name="下一步").click()
    resident.get_by_label("所在乡镇（街道）").select_option(label="衡州路街道")
    resident.get_by_role("button", name="下一步").click()
    resident.get_by_label("所在村（社区）").select_option(label="王江社区居委会")
    expect(resident.get_by_label("心愿", exact=True)).to_have_attribute(
        "placeholder", "例如：想要一个新书包"
    )
    expect(resident.get_by_label("期望开始时间")).to_have_count(0)
    resident.get_by_label("心愿", exact=True).fill(TITLE)
    resident.get_by_label("心愿说明（选填）").fill(DESCRIPTION)
    resident.get_by_label("送达地址").fill(ADDRESS)
    resident.get_by_label("联系电话").fill(CONTACT)
    resident.screenshot(path="/tmp/e2e-wish-post.png", full_page=True)
    resident.get_by_role("button", name="发布心愿").click()

    # then it is a wish, on its own page, waiting for a donor
    wish = Order.objects.get(title=TITLE)
    assert (wish.kind, wish.status, wish.service_id) == (
        Order.Kind.WISH,
        Order.Status.PLACED,
        Service.objects.get(center=tree.city, is_wish=True).pk,
    )
    expect(resident).to_have_url(f"{live_server.url}/orders/{wish.pk}/")
    expect(resident.locator(".messages")).to_contain_text("心愿已发布，爱心人士认领后会联系您。")

    # and the resident sees it on the wall as their own, with no button to claim it
    resident.goto("/orders/wishes/")
    own = resident.locator(".wish").filter(has_text=TITLE)
    expect(own.locator(".own")).to_have_text("这是您发布的心愿，等待爱心人士认领。")
    expect(own.get_by_role("button")).to_have_count(0)

    # when a donor, no volunteer, opens the wall on a phone without JavaScript
    phone = new_context(viewport=PHONE_VIEWPORT, java_script_enabled=False).new_page()
    phone.goto("/accounts/login/?next=/orders/wishes/")
    _sign_in(phone, donor.phone)
    expect(phone.get_by_role("heading", name="微心愿墙")).to_be_visible()
    expect(phone.locator(".wish .title")).to_have_text([TITLE, ELSEWHERE])

    # and narrows it to their county, then their township
    phone.get_by_label("县（市、区）").select_option(label="珠晖区")
    phone.get_by_role("button", name="按地区筛选").click()
    expect(phone.locator(".wish .title")).to_have_text([TITLE])
    phone.get_by_label("乡镇（街道）").select_option(label="衡州路街道")
    phone.get_by_role("button", name="按地区筛选").click()
    expect(phone).to_have_url(
        f"{live_server.url}/orders/wishes/?county={tree.county_a.pk}&township={tree.township_a.pk}"
    )
    card = phone.locator(".wish").filter(has_text=TITLE)
    expect(card).to_contain_text("珠晖区 衡州路街道 王江社区居委会")
    expect(card).to_contain_text(DESCRIPTION)
    # the wall tells nobody who the resident is or how to reach them
    expect(phone.locator("main")).not_to_contain_text(CONTACT)
    expect(phone.locator("main")).not_to_contain_text(ADDRESS)
    _assert_fits_width(phone, PHONE_VIEWPORT["width"])
    phone.screenshot(path="/tmp/e2e-wish-wall.png", full_page=True)

    # and claims it
    card.get_by_role("button", name=f"认领：{TITLE}").click()

    # then the wish's own page says the claim waits for the poster's confirmation
    expect(phone).to_have_url(f"{live_server.url}/orders/{wish.pk}/")
    expect(phone.locator(".messages")).to_contain_text("认领成功")
    expect(phone.locator("h1 .order-status")).to_have_text("已认领")
    expect(phone.locator(".claim-pending")).to_contain_text("认领待确认")
    expect(phone.locator(".facts")).not_to_contain_text(CONTACT)
    expect(phone.locator(".facts")).not_to_contain_text(ADDRESS)

    # when the resident confirms the claim on their order page
    resident.goto(f"/orders/{wish.pk}/")
    resident.get_by_role("button", name="确认认领").click()
    expect(resident.locator(".messages")).to_contain_text("已确认认领")

    # then the donor's page gives them the phone and address to deliver it
    phone.reload()
    expect(phone.locator(".facts")).to_contain_text(CONTACT)
    expect(phone.locator(".facts")).to_contain_text(ADDRESS)

    # and their orders list it under the wishes they claimed, linked to that page
    phone.goto("/orders/")
    claimed = phone.locator("#claimed")
    expect(claimed.get_by_role("heading")).to_have_text("我认领的心愿")
    expect(claimed.locator(".order-item")).to_have_count(1)
    _assert_fits_width(phone, PHONE_VIEWPORT["width"])
    phone.screenshot(path="/tmp/e2e-wish-claimed.png", full_page=True)
    claimed.get_by_role("link", name=TITLE).click()
    expect(phone).to_have_url(f"{live_server.url}/orders/{wish.pk}/")

    # when they have delivered it and mark it fulfilled
    phone.get_by_label("说明（选填）").fill("旧笔记本电脑已送到家中，已装好网课软件。")
    phone.get_by_role("button", name="标记为已实现").click()
    expect(phone.locator(".messages")).to_contain_text("微心愿已标记为实现")
    expect(phone.locator("h1 .order-status")).to_have_text("已实现")
    phone.screenshot(path="/tmp/e2e-wish-fulfilled.png", full_page=True)

    # then the resident finds it among their orders, rates it and reads the whole timeline
    resident.goto("/orders/")
    resident.get_by_role("link", name=TITLE).click()
    expect(resident.locator("h1 .order-status")).to_have_text("已实现")
    expect(resident.locator("dd.donor")).to_have_text("爱心人士")
    expect(resident.locator("dd.summary")).to_have_text("旧笔记本电脑已送到家中，已装好网课软件。")
    resident.get_by_label("5 分").check()
    resident.get_by_label("评价（可不填）").fill("孩子可以上网课了，谢谢！")
    resident.get_by_role("button", name="提交评价").click()
    expect(resident.locator(".messages")).to_contain_text("感谢您的评价！")
    expect(resident.locator("dd.rating")).to_have_text("5 分")
    expect(resident.locator(".timeline .move")).to_have_text(
        ["待认领", "待认领 → 已认领", "已认领 → 已认领", "已认领 → 已实现", "已实现 → 已评价"]
    )
    expect(resident.locator(".timeline .who")).to_have_text(
        ["张群众", "爱心人士", "张群众", "爱心人士", "张群众"]
    )
    resident.screenshot(path="/tmp/e2e-wish-timeline.png", full_page=True)
    wish.refresh_from_db()
    assert (wish.status, wish.donor_id, wish.accepted_by_id, wish.rating, wish.hours) == (
        Order.Status.RATED,
        donor.pk,
        None,
        5,
        None,
    )
