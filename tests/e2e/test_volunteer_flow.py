"""A resident applies to be a volunteer on a phone, a township cadre approves the application
in the admin, and the volunteer finds their profile: the whole registration, in a real
browser. The phone runs with and without JavaScript: the pages must not need it."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from accounts.services import resident_register
from tests.conftest import PASSWORD
from volunteers.identity import compose_id_number
from volunteers.models import Skill, Volunteer

from .conftest import DESKTOP_VIEWPORT, PHONE_VIEWPORT

pytestmark = pytest.mark.e2e

PHONE = "13912345670"
NAME = "孙小红"
# Synthetic: 珠晖区, a woman born 1995-08-20.
ID_NUMBER = compose_id_number("430405", datetime.date(1995, 8, 20), 482)
MASKED = ID_NUMBER[:4] + "**********" + ID_NUMBER[-4:]
WRONG_CHECK = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")

VARIANTS = {
    # id: (JavaScript enabled, screenshot suffix)
    "phone": (True, ""),
    "phone-no-js": (False, "-no-js"),
}


@pytest.fixture
def skills(db) -> None:
    """The skills the data migration installs; an earlier browser test's flush of the
    transactional database removes them, so they are put back."""
    for order, name in enumerate(["课业辅导", "心理咨询", "驾驶"], start=1):
        Skill.objects.get_or_create(name=name, defaults={"sort_order": order * 10})


def _assert_fits_width(page: Page, width: int) -> None:
    """Nothing sticks out sideways: a phone user must not have to scroll horizontally.
    Measured through the protocol (bounding boxes), which works with JavaScript off too."""
    for selector in [
        ".topbar",
        "main.content",
        "main .card",
        "main select:visible",
        "main input:visible",
        "main button[type=submit]",
        ".slot-grid",
    ]:
        for element in page.locator(selector).all():
            box = element.bounding_box()
            assert box is not None, selector
            assert box["x"] >= 0, (selector, box)
            assert box["x"] + box["width"] <= width + 0.5, (selector, box)


def _approve_in_admin(page: Page, phone: str, volunteer: Volunteer) -> None:
    """The township cadre signs in to the admin, finds the pending application and runs the
    approve action on it."""
    page.goto("/admin/login/?next=/admin/volunteers/volunteer/")
    page.locator("#id_username").fill(phone)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    response = page.goto("/admin/volunteers/volunteer/?status__exact=pending")
    assert response is not None
    assert response.status == 200
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(NAME)
    expect(rows.first).to_contain_text(MASKED)
    expect(rows.first).not_to_contain_text(ID_NUMBER)
    page.locator(f'input[name="_selected_action"][value="{volunteer.pk}"]').check()
    page.locator('select[name="action"]').select_option("approve_applications")
    page.locator('#changelist-form button[name="index"]').click()
    expect(page.locator("ul.messagelist")).to_contain_text("已批准 1 名志愿者的申请。")


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_resident_applies_on_a_phone_and_is_approved_by_the_township(
    new_context, live_server, tree, people, skills, variant: str
) -> None:
    javascript, suffix = VARIANTS[variant]
    resident_register(phone=PHONE, name=NAME, password=PASSWORD)
    phone = new_context(viewport=PHONE_VIEWPORT, java_script_enabled=javascript)
    page = phone.new_page()
    width = PHONE_VIEWPORT["width"]

    # given a resident who opens the application and is asked to sign in first
    page.goto("/volunteer/apply/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/volunteer/apply/")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/volunteer/apply/")
    expect(page.get_by_role("heading", name="申请成为志愿者")).to_be_visible()
    # Only the first step is there until the township is chosen.
    expect(page.get_by_label("身份证号码")).to_have_count(0)

    # when they choose the county, then the township, one page at a time
    page.get_by_label("所在县（市、区）").select_option(label="珠晖区")
    page.get_by_role("button", name="下一步").click()
    expect(page).to_have_url(f"{live_server.url}/volunteer/apply/?county={tree.county_a.pk}")
    township = page.get_by_label("所在乡镇（街道）")
    expect(township.locator("option")).to_have_text(["请选择", "衡州路街道", "广东路街道"])
    township.select_option(label="衡州路街道")
    page.get_by_role("button", name="下一步").click()
    expect(page).to_have_url(
        f"{live_server.url}/volunteer/apply/?county={tree.county_a.pk}&township={tree.township_a.pk}"
    )

    # then the village list is the township's, and the rest of the form is there
    village = page.get_by_label("所在村（社区）")
    expect(village.locator("option")).to_have_text(["请选择", "王江社区居委会", "新园社区居委会"])
    expect(page.get_by_label("真实姓名")).to_have_value(NAME)

    # when they fill it in with a mistyped ID number, tick skills and time slots, and send
    village.select_option(label="新园社区居委会")
    page.get_by_label("身份证号码").fill(WRONG_CHECK)
    page.get_by_label("课业辅导").check()
    page.get_by_label("心理咨询").check()
    page.get_by_label("教育服务平台").check()
    page.get_by_label("周六上午").check()
    page.get_by_label("周日下午").check()
    page.get_by_label("中共党员").check()
    page.get_by_role("button", name="提交申请").click()

    # then the number is refused beside its field in Chinese, not echoed back, and the rest
    # of the answers are kept
    id_field = page.locator(".field").filter(has=page.locator("#id_id_number"))
    expect(id_field.locator(".error")).to_have_text("身份证号码校验位不正确，请核对后重新填写。")
    expect(id_field.locator(".error")).to_be_visible()
    expect(page.get_by_label("身份证号码")).to_have_value("")
    expect(page.get_by_label("所在村（社区）")).to_have_value(str(tree.village_a2.pk))
    expect(page.get_by_label("课业辅导")).to_be_checked()
    expect(page.get_by_label("周日下午")).to_be_checked()
    expect(page.get_by_label("周一上午")).not_to_be_checked()
    assert ID_NUMBER[:17] not in page.content()
    _assert_fits_width(page, width)
    page.screenshot(path=f"/tmp/e2e-apply-error{suffix}.png", full_page=True)
    assert not Volunteer.objects.filter(user__phone=PHONE).exists()

    # when they type the number right and send again
    page.get_by_label("身份证号码").fill(ID_NUMBER)
    page.screenshot(path=f"/tmp/e2e-apply{suffix}.png", full_page=True)
    page.get_by_role("button", name="提交申请").click()

    # then their page says the application is under review
    expect(page).to_have_url(f"{live_server.url}/volunteer/")
    expect(page.locator(".status")).to_have_text("志愿者 · 待审核")
    expect(page.locator("main")).to_contain_text("审核中")
    volunteer = Volunteer.objects.get(user__phone=PHONE)
    assert volunteer.status == Volunteer.Status.PENDING
    assert volunteer.home_center == tree.village_a2
    assert sorted(volunteer.skills.values_list("name", flat=True)) == ["心理咨询", "课业辅导"]
    assert volunteer.platforms == ["education"]

    # when a township cadre approves the application in the admin
    desk = new_context(viewport=DESKTOP_VIEWPORT)
    _approve_in_admin(desk.new_page(), people.township_cadre.phone, volunteer)

    # then the volunteer, reloading their page, is on the roll with the number masked
    page.reload()
    expect(page.locator(".status")).to_have_text("志愿者 · 在册")
    expect(page.locator("main")).not_to_contain_text("审核中")
    expect(page.locator("dd.id-number")).to_have_text(MASKED)
    expect(page.locator("dd.home")).to_have_text("珠晖区 衡州路街道 新园社区居委会")
    expect(page.locator("dd.skills")).to_have_text("课业辅导、心理咨询")
    expect(page.locator("dd.slots")).to_have_text("周六上午、周日下午")
    expect(page.locator(".stats dd").first).to_have_text("0.00 小时")
    assert ID_NUMBER not in page.content()
    _assert_fits_width(page, width)
    page.screenshot(path=f"/tmp/e2e-volunteer-profile{suffix}.png", full_page=True)
    volunteer.refresh_from_db()
    assert volunteer.status == Volunteer.Status.ACTIVE
    assert volunteer.reviewed_by == people.township_cadre
