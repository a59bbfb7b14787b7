"""A new resident signs up, out and in again, and finds the service menu, in a real browser:
on a phone and on a desktop, and on a phone with JavaScript off (the pages must not need it).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from practice.catalogue import STARTING_MENU, service_menu_install
from practice.models import Platform
from tests.accounts import sms

from .conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT

pytestmark = pytest.mark.e2e

NEW_PHONE = "13912345678"
NEW_NAME = "王小明"
NEW_PASSWORD = "Hengyang#2026"

VARIANTS = {
    # id: (viewport, JavaScript enabled, screenshot suffix)
    "phone": (PHONE_VIEWPORT, True, ""),
    "desktop": (DESKTOP_VIEWPORT, True, "-desktop"),
    "phone-no-js": (PHONE_VIEWPORT, False, "-no-js"),
}


# Sign-up sends a code to the phone: the recording backend is the phone the test reads.
texts = sms.texts


@pytest.fixture
def menu(tree) -> None:
    service_menu_install(city=tree.city)


def _assert_fits_width(page: Page, width: int) -> None:
    """Nothing sticks out sideways: a phone user must not have to scroll horizontally.
    Measured through the protocol (bounding boxes), which works with JavaScript off too."""
    for selector in [
        ".topbar",
        "main.content",
        "form button[type=submit]",
        "main input:visible",
        ".menu-item",
    ]:
        for element in page.locator(selector).all():
            box = element.bounding_box()
            assert box is not None, selector
            assert box["x"] >= 0, (selector, box)
            assert box["x"] + box["width"] <= width + 0.5, (selector, box)


def _ask_code(page: Page, *, phone: str) -> None:
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()


def _fill_signup(page: Page, *, code: str) -> None:
    page.get_by_label("短信验证码").fill(code)
    page.get_by_label("真实姓名").fill(NEW_NAME)
    page.get_by_label("密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="注册").click()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_new_resident_signs_up_signs_out_signs_in_and_sees_the_menu(
    new_context, live_server, menu, texts, variant: str
) -> None:
    viewport, javascript, suffix = VARIANTS[variant]
    context = new_context(viewport=viewport, java_script_enabled=javascript)
    page = context.new_page()

    # given a resident on the home page, not signed in
    response = page.goto("/")
    assert response is not None
    assert response.status == 200
    topbar = page.locator("header.topbar")
    expect(topbar.get_by_role("link", name="登录")).to_be_visible()

    # when they follow the sign-up link and give a five-digit phone number
    topbar.get_by_role("link", name="注册").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/signup/")
    expect(page.get_by_role("heading", name="注册账号")).to_be_visible()
    _ask_code(page, phone="12345")

    # then the form comes back with the Chinese error beside the phone field, nothing is saved
    phone_field = page.locator(".field").filter(has=page.locator("#id_phone"))
    error = phone_field.locator(".error")
    expect(error).to_have_text("手机号应为 11 位数字，当前为 5 位。")
    expect(error).to_be_visible()
    expect(error).to_be_in_viewport()
    expect(phone_field).to_have_class("field has-error")
    expect(page.locator("#id_phone")).to_have_value("12345")
    # No code went out, and the form still asks for the number only.
    expect(page.get_by_label("短信验证码")).to_have_count(0)
    assert len(texts) == 0
    _assert_fits_width(page, viewport["width"])
    page.screenshot(path=f"/tmp/e2e-signup-error{suffix}.png", full_page=True)
    assert not User.objects.filter(phone="12345").exists()

    # when they correct it, get the code on their phone and complete the form
    _ask_code(page, phone=NEW_PHONE)
    _fill_signup(page, code=texts.code_for(NEW_PHONE))

    # then they land on the home page, signed in, their name in the top bar
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("main h2.menu-heading")).to_have_text("服务菜单")
    expect(topbar.locator(".who")).to_have_text(NEW_NAME)
    assert User.objects.filter(phone=NEW_PHONE, name=NEW_NAME).exists()

    # when they sign out (a POST form button, so it works without JavaScript)
    topbar.get_by_role("button", name="退出").click()

    # then the top bar offers sign-in again
    expect(topbar.get_by_role("link", name="登录")).to_be_visible()
    expect(topbar.locator(".who")).to_have_count(0)

    # when they sign in with the phone number and password
    topbar.get_by_role("link", name="登录").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("手机号").fill(NEW_PHONE)
    page.get_by_label("密码").fill(NEW_PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()

    # then they are home, signed in, with the whole service menu in front of them
    expect(topbar.locator(".who")).to_have_text(NEW_NAME)
    headings = page.locator("section.platform h2")
    expect(headings).to_have_text([str(platform.label) for platform in Platform])
    for platform, name, _description in STARTING_MENU:
        section = page.locator(f"#platform-{platform.value}")
        expect(section.locator(".menu-item strong", has_text=name)).to_be_visible()
    expect(page.locator(".menu-item")).to_have_count(len(STARTING_MENU))
    _assert_fits_width(page, viewport["width"])
    page.screenshot(path=f"/tmp/e2e-home{suffix}.png", full_page=True)


def test_wrong_password_is_refused_in_chinese(page: Page, people) -> None:
    # given an existing resident
    # when they sign in with the wrong password
    page.goto("/accounts/login/")
    page.get_by_label("手机号").fill(people.resident.phone)
    page.get_by_label("密码").fill("not-the-password")
    page.locator("main").get_by_role("button", name="登录").click()

    # then the form says so, and they are not signed in
    expect(page.locator(".form-errors")).to_contain_text("手机号或密码不正确。")
    expect(page.locator("header.topbar .who")).to_have_count(0)
