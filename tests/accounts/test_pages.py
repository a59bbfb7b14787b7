"""The residents' web pages: home, sign-up, sign-in, sign-out and the volunteer's page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from accounts.models import User
from practice.catalogue import STARTING_MENU, service_menu_install
from practice.models import Platform, Service
from practice.services import service_save
from tests.conftest import PASSWORD
from tests.support.queries import exact_get
from volunteers.models import Volunteer

PLATFORM_NAMES = [
    "理论宣讲平台",
    "教育服务平台",
    "文化服务平台",
    "科技与科普服务平台",
    "健身体育服务平台",
]


def html_of(response) -> str:
    return response.content.decode()


def errors(response) -> dict[str, list[str]]:
    return {field: list(messages) for field, messages in response.context["form"].errors.items()}


def assert_works_without_javascript(html: str) -> None:
    assert "<script" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']https?://""", html)
    forms = re.findall(r"<form\b[^>]*>", html)
    for form in forms:
        assert 'method="post"' in form, form
        assert "onsubmit" not in form, form
    assert html.count('name="csrfmiddlewaretoken"') == len(forms)


def code_sent(client, texts, phone="13812345678") -> str:
    """The first step of sign-up: ask for a code, and read it off the phone."""
    response = client.post("/accounts/signup/", {"phone": phone, "send_code": "1"})
    assert response.status_code == 200
    assert response.context["step"] == 2, errors(response)
    return texts.code_for(phone)


def sign_up(client, texts, **changes):
    data = {
        "phone": "13812345678",
        "name": "王小明",
        "password": PASSWORD,
        "password_again": PASSWORD,
        **changes,
    }
    if "code" not in data:
        data["code"] = code_sent(client, texts)
    return client.post("/accounts/signup/", data)


# --- home -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_lists_the_five_platforms_in_order_and_every_service(client, tree):
    service_menu_install(city=tree.city)

    response = client.get("/")

    assert response.status_code == 200
    html = html_of(response)
    positions = [html.index(f"<h2>{name}</h2>") for name in PLATFORM_NAMES]
    assert positions == sorted(positions)
    for _platform, name, description in STARTING_MENU:
        assert f"<strong>{name}</strong>" in html
        assert description in html
    assert "该平台暂无服务项目。" not in html
    assert_works_without_javascript(html)


@pytest.mark.django_db
def test_home_puts_each_service_under_its_platform(client, tree):
    service_menu_install(city=tree.city)

    platforms = {p["code"]: p for p in client.get("/").context["platforms"]}

    assert [p.label for p in Platform] == PLATFORM_NAMES
    assert list(platforms) == ["theory", "education", "culture", "science", "fitness"]
    assert [s.name for s in platforms["theory"]["services"]] == ["党史与政策宣讲", "法律咨询"]
    assert [s.name for s in platforms["education"]["services"]] == [
        "留守儿童课业辅导",
        "心理疏导",
        "微心愿",
    ]
    assert [s.name for s in platforms["fitness"]["services"]] == ["健身指导"]


@pytest.mark.django_db
def test_home_without_a_menu_says_so_per_platform(client, tree):
    html = html_of(client.get("/"))

    for name in PLATFORM_NAMES:
        assert f"<h2>{name}</h2>" in html
    assert html.count("该平台暂无服务项目。") == 5


@pytest.mark.django_db
def test_home_shows_the_city_menu_only(client, tree):
    service_menu_install(city=tree.city)
    service_save(
        actor=None,
        service=Service(center=tree.county_a, platform=Platform.CULTURE, name="珠晖区湘剧进社区"),
    )
    Service.objects.filter(name="法律咨询").update(is_active=False)

    html = html_of(client.get("/"))

    assert "珠晖区湘剧进社区" not in html
    assert "法律咨询" not in html
    assert "党史与政策宣讲" in html


@pytest.mark.django_db
def test_home_shows_sign_in_links_or_the_signed_in_name(client, people):
    anonymous = html_of(client.get("/"))
    assert 'href="/accounts/login/"' in anonymous
    assert 'href="/accounts/signup/"' in anonymous

    client.force_login(people.resident)
    signed_in = html_of(client.get("/"))
    assert "张群众" in signed_in
    assert 'action="/accounts/logout/"' in signed_in
    assert_works_without_javascript(signed_in)


# The home page for a visitor, whatever the length of the menu (a +1 query fails).
HOME_QUERIES = 2


@pytest.mark.django_db
def test_home_costs_the_same_queries_for_10_and_40_services(client, tree):
    service_menu_install(city=tree.city)
    exact_get(client, "/", HOME_QUERIES)

    for n in range(30):
        service_save(
            actor=None,
            service=Service(center=tree.city, platform=Platform.SCIENCE, name=f"科普{n}"),
        )
    html = html_of(exact_get(client, "/", HOME_QUERIES))

    assert "<strong>科普29</strong>" in html


@pytest.mark.django_db
def test_home_is_read_only(client, tree):
    assert client.post("/").status_code == 405


# --- sign-up --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sign_up_page_asks_for_the_phone_first_in_a_plain_form(client):
    response = client.get("/accounts/signup/")

    assert response.status_code == 200
    html = html_of(response)
    assert 'name="phone"' in html
    assert 'name="send_code"' in html
    assert 'name="password"' not in html
    assert_works_without_javascript(html)


@pytest.mark.django_db
def test_the_second_step_asks_for_the_code_name_and_password(client, texts):
    response = client.post("/accounts/signup/", {"phone": "138 1234 5678", "send_code": "1"})

    html = html_of(response)
    for field in ["phone", "code", "name", "password", "password_again"]:
        assert f'name="{field}"' in html
    assert "验证码已发送至 138****5678，10 分钟内有效。" in html
    assert 'value="13812345678"' in html
    assert_works_without_javascript(html)
    assert len(texts.to("13812345678")) == 1


@pytest.mark.django_db
def test_sign_up_creates_the_resident_signs_in_and_goes_home(client, tree, texts):
    response = sign_up(client, texts, phone="+86 138 1234 5678", name=" 王小明 ")

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get()
    assert user.phone == "13812345678"
    assert user.name == "王小明"
    assert user.check_password(PASSWORD)
    assert user.phone_verified_at is not None
    assert client.session["_auth_user_id"] == str(user.pk)
    assert "王小明" in html_of(client.get("/"))


@pytest.mark.django_db
def test_sign_up_without_the_right_code_makes_no_account(client, tree, texts):
    right = code_sent(client, texts)
    wrong = "000000" if right != "000000" else "111111"

    response = sign_up(client, texts, code=wrong)

    assert response.status_code == 200
    assert errors(response) == {"code": ["验证码不正确，还可再试 4 次。"]}
    assert not User.objects.exists()
    # The right code still works after one wrong try.
    assert sign_up(client, texts, code=right).status_code == 302


@pytest.mark.django_db
def test_a_code_sent_to_another_phone_does_not_sign_this_one_up(client, tree, texts):
    code = code_sent(client, texts, phone="13812340000")

    response = sign_up(client, texts, code=code)

    assert errors(response) == {"code": ["验证码无效或已过期，请重新获取。"]}
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("1381234567", "手机号应为 11 位数字，当前为 10 位。"),
        ("12345678901", "不是有效的大陆手机号码段。"),
        ("", "该字段是必填项。"),
    ],
)
def test_asking_a_code_for_a_bad_number_names_it(client, texts, phone, message):
    response = client.post("/accounts/signup/", {"phone": phone, "send_code": "1"})

    assert response.status_code == 200
    assert response.context["step"] == 1
    assert errors(response) == {"phone": [message]}
    assert len(texts) == 0


@pytest.mark.django_db
def test_asking_a_sign_up_code_for_a_registered_number_sends_none(client, people, texts):
    response = client.post("/accounts/signup/", {"phone": "139 0000 0001", "send_code": "1"})

    assert errors(response) == {"phone": ["该手机号已注册，请直接登录；忘记密码可通过验证码重置。"]}
    assert len(texts) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"phone": "1381234567"}, {"phone": ["手机号应为 11 位数字，当前为 10 位。"]}),
        ({"phone": "12345678901"}, {"phone": ["不是有效的大陆手机号码段。"]}),
        ({"phone": "138abc45678"}, {"phone": ["手机号只能包含数字。"]}),
        ({"phone": ""}, {"phone": ["该字段是必填项。"]}),
        ({"code": ""}, {"code": ["该字段是必填项。"]}),
        ({"code": "12345"}, {"code": ["请输入 6 位数字验证码。"]}),
        ({"name": "   "}, {"name": ["该字段是必填项。"]}),
        ({"name": "王" * 51}, {"name": ["确保该变量包含不超过 50 字符 (目前字符数 51)。"]}),
        ({"password_again": "Practice#2027"}, {"password_again": ["两次输入的密码不一致。"]}),
    ],
)
def test_sign_up_errors_are_in_chinese_by_field(client, tree, texts, changes, expected):
    response = sign_up(client, texts, **changes)

    assert response.status_code == 200
    assert errors(response) == expected
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session
    for messages in expected.values():
        for message in messages:
            assert message in html_of(response)


@pytest.mark.django_db
def test_sign_up_with_a_taken_phone_is_refused(client, people, texts):
    before = User.objects.count()

    response = sign_up(client, texts, phone="139 0000 0001")

    assert response.status_code == 200
    assert errors(response) == {"phone": ["该手机号已注册。"]}
    assert User.objects.count() == before
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab#1", "密码太短，至少需要 8 个字符。"),
        ("password", "这个密码太常见了。"),
        ("38472916503", "密码只包含数字。"),
    ],
)
def test_sign_up_with_a_weak_password_is_refused_and_keeps_the_code(
    client, tree, texts, password, message
):
    code = code_sent(client, texts)

    response = sign_up(client, texts, code=code, password=password, password_again=password)

    assert response.status_code == 200
    assert list(errors(response)) == ["password"]
    assert message in " ".join(errors(response)["password"])
    assert not User.objects.exists()
    # The refusal did not use the code up.
    assert sign_up(client, texts, code=code).status_code == 302


@pytest.mark.django_db
def test_sign_up_keeps_what_was_typed_except_the_passwords(client, tree, texts):
    html = html_of(sign_up(client, texts, phone="1381234567"))

    assert 'value="1381234567"' in html
    assert 'value="王小明"' in html
    assert PASSWORD not in html


@pytest.mark.django_db
def test_sign_up_needs_the_csrf_token(tree, texts):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)

    assert (
        strict.post("/accounts/signup/", {"phone": "13812345678", "send_code": "1"}).status_code
        == 403
    )
    assert len(texts) == 0
    assert not User.objects.exists()


# --- sign-in and sign-out ------------------------------------------------------------


@pytest.mark.django_db
def test_the_sign_in_page_is_a_plain_form_that_fits_a_typed_country_code(client):
    html = html_of(client.get("/accounts/login/"))

    assert 'name="username"' in html
    assert 'name="password"' in html
    # "+86 138 0013 8000" is 17 characters; a browser must let people type it.
    assert 'maxlength="20"' in html
    assert 'maxlength="11"' not in html
    assert_works_without_javascript(html)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["13900000001", "+86 13900000001", "+86 139 0000 0001", " 139-0000-0001 "]
)
def test_sign_in_with_the_phone_however_it_is_typed(client, people, typed):
    response = client.post("/accounts/login/", {"username": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(people.resident.pk)


@pytest.mark.django_db
def test_sign_in_follows_next(client, people):
    response = client.post(
        "/accounts/login/?next=/volunteer/",
        {"username": "13700000001", "password": PASSWORD, "next": "/volunteer/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/volunteer/"


@pytest.mark.django_db
def test_sign_in_does_not_follow_next_off_site(client, people):
    response = client.post(
        "/accounts/login/",
        {"username": "13700000001", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "password"),
    [("13900000001", "Wrong#password1"), ("13911112222", PASSWORD)],
)
def test_a_wrong_password_or_unknown_phone_is_refused_in_chinese(
    client, people, username, password
):
    response = client.post("/accounts/login/", {"username": username, "password": password})

    assert response.status_code == 200
    assert errors(response) == {"__all__": ["手机号或密码不正确。"]}
    assert "手机号或密码不正确。" in html_of(response)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_in_with_empty_fields_names_them(client, people):
    response = client.post("/accounts/login/", {"username": "", "password": ""})

    assert errors(response) == {
        "username": ["该字段是必填项。"],
        "password": ["该字段是必填项。"],
    }


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_sign_in_page(client, people):
    for n in range(4):
        response = client.post(
            "/accounts/login/", {"username": "139 0000 0001", "password": f"Wrong#{n}abc"}
        )
        assert response.status_code == 200
    locked = client.post("/accounts/login/", {"username": "13900000001", "password": "Wrong#x1"})
    after = client.post("/accounts/login/", {"username": "13900000001", "password": PASSWORD})

    assert locked.status_code == 429
    assert after.status_code == 429
    assert "锁定" in html_of(after)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_out_by_post(client, people):
    client.force_login(people.resident)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_out_by_get_is_refused(client, people):
    client.force_login(people.resident)

    response = client.get("/accounts/logout/")

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(people.resident.pk)


# --- the volunteer's page ------------------------------------------------------------


@pytest.mark.django_db
def test_the_volunteer_page_needs_sign_in(client, people):
    response = client.get("/volunteer/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/volunteer/"


@pytest.mark.django_db
def test_the_volunteer_page_shows_hours_points_and_stars(client, people):
    Volunteer.objects.filter(user=people.volunteer).update(hours=Decimal("12.50"), points=125)
    client.force_login(people.volunteer)

    response = client.get("/volunteer/")

    assert response.status_code == 200
    html = html_of(response)
    assert "李志愿" in html
    assert "志愿者 · 在册" in html
    assert "衡州路街道 王江社区" in html
    assert "<dd>12.50 小时</dd>" in html
    assert "<dd>125</dd>" in html
    # The star level is the star card's (points decides it): the page links there.
    assert 'href="/volunteer/star-card/"' in html
    assert_works_without_javascript(html)


@pytest.mark.django_db
def test_the_volunteer_page_tells_a_resident_they_are_not_a_volunteer(client, people):
    client.force_login(people.resident)

    html = html_of(client.get("/volunteer/"))

    assert "您还不是注册志愿者。" in html
    assert "服务时长" not in html


@pytest.mark.django_db
def test_pages_are_in_simplified_chinese(client, tree):
    html = html_of(client.get("/accounts/login/"))

    assert '<html lang="zh-hans">' in html
    assert "<h1>登录</h1>" in html
