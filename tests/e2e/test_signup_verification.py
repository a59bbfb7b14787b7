"""In a real browser: a resident signs up with the code sent to their phone, and a resident
whose account a stranger has delayed resets the password with a code and is in at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import SignInGuard, User
from accounts.signin import signin_failure_record
from tests.accounts import sms

from .conftest import PHONE_VIEWPORT

pytestmark = pytest.mark.e2e

texts = sms.texts
NEW_PHONE = "13912340077"
NEW_PASSWORD = "Hengyang#2026"


def test_sign_up_with_the_code_sent_to_the_phone(page: Page, live_server, tree, texts) -> None:
    # given the sign-up page, which asks for the number first
    page.goto("/accounts/signup/")
    expect(page.get_by_label("真实姓名")).to_have_count(0)
    page.get_by_label("手机号").fill("139 1234 0077")
    page.get_by_role("button", name="获取验证码").click()

    # then a code went to the phone and the page says where, masked
    expect(page.get_by_role("status")).to_have_text("验证码已发送至 139****0077，10 分钟内有效。")
    code = texts.code_for(NEW_PHONE)

    # when a wrong code is given, nothing is made and the tries left are said
    wrong = "000000" if code != "000000" else "111111"
    page.get_by_label("短信验证码").fill(wrong)
    page.get_by_label("真实姓名").fill("赵志愿")
    page.get_by_label("密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.locator(".error")).to_have_text("验证码不正确，还可再试 4 次。")
    assert not User.objects.filter(phone=NEW_PHONE).exists()

    # when the right one is given
    page.get_by_label("短信验证码").fill(code)
    page.get_by_label("密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()

    # then they are home, signed in, with a verified phone
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("header.topbar .who")).to_have_text("赵志愿")
    assert User.objects.get(phone=NEW_PHONE).phone_verified_at is not None


def test_a_delayed_resident_resets_the_password_and_signs_in(
    new_context, live_server, people, texts
) -> None:
    page = new_context(viewport=PHONE_VIEWPORT, java_script_enabled=False).new_page()
    phone = people.resident.phone
    # given a stranger has guessed wrong ten times from elsewhere
    for _ in range(10):
        signin_failure_record(phone)

    # when the resident signs in with the right password
    page.goto("/accounts/login/")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill("Practice#2026")
    page.locator("main").get_by_role("button", name="登录").click()

    # then the lockout page says until when, and offers the reset
    expect(page.get_by_role("heading", name="账号已锁定")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("之后再试")
    page.get_by_role("link", name="用手机验证码重置密码").click()

    # when they reset the password with the code sent to the phone
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").fill(texts.code_for(phone))
    page.get_by_label("密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="重置密码").click()

    # then the delay is over and the new password signs them in at once
    expect(page.locator(".messages")).to_contain_text("密码已重置，请用新密码登录。")
    assert not SignInGuard.objects.exists()
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(NEW_PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page.locator("header.topbar .who")).to_have_text(people.resident.name)
