"""POST /api/v1/accounts/register/: a resident account, or a 400 naming what is wrong."""

from __future__ import annotations

import json

import pytest

from accounts.models import User
from tests.accounts import sms
from tests.conftest import PASSWORD

URL = "/api/v1/accounts/register/"
TOKEN_URL = "/api/v1/auth/token/"
REQUIRED = "该字段是必填项。"
PHONE_TAKEN = "该手机号已注册。"


CODES_URL = "/api/v1/accounts/verification-codes/"


def code_for(api_client, phone: object) -> str:
    """Ask for a sign-up code the way an app does, and read it off the phone; a number that
    cannot get one is given a made-up code, so only the field under test is wrong."""
    from accounts.phones import normalize_phone
    from tests.accounts.sms import RecordingPhoneBackend, Texts

    if not isinstance(phone, str):
        return "000000"
    before = len(RecordingPhoneBackend.texts)
    api_client.post(CODES_URL, {"phone": phone, "purpose": "signup"}, format="json")
    if len(RecordingPhoneBackend.texts) == before:
        return "000000"
    return Texts().code_for(normalize_phone(phone))


def register(api_client, body, **kwargs):
    if isinstance(body, dict) and "code" not in body:
        body = {**body, "code": code_for(api_client, body.get("phone"))}
    return api_client.post(URL, body, format="json", **kwargs)


# The recording backend's fixture, for every test here: each sign-up asks for a code.
texts = sms.texts
pytestmark = pytest.mark.usefixtures("texts")


def good(**changes):
    return {"phone": "13812345678", "password": PASSWORD, "name": "王小明", **changes}


@pytest.mark.django_db
def test_register_creates_a_resident_and_answers_201_with_the_phone_masked(api_client):
    response = register(api_client, good())

    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {"id": user.pk, "phone": "138****5678", "name": "王小明"}
    assert user.phone == "13812345678"
    assert user.name == "王小明"
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert not user.is_superuser
    assert "password" not in response.json()


@pytest.mark.django_db
def test_the_new_account_can_get_a_token_and_use_it(api_client):
    assert (
        register(api_client, good(phone="+86 138-1234-5678", name="  王小明 ")).status_code == 201
    )
    assert User.objects.get().name == "王小明"

    token = api_client.post(
        TOKEN_URL, {"phone": "13812345678", "password": PASSWORD}, format="json"
    )
    assert token.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["roles"] == ["resident"]
    assert me.json()["phone"] == "138****5678"


@pytest.mark.django_db
def test_full_width_digits_register_the_ascii_number(api_client):
    response = register(api_client, good(phone="１３８１２３４５６７８"))

    assert response.status_code == 201
    assert User.objects.get().phone == "13812345678"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("1381234567", "手机号应为 11 位数字，当前为 10 位。"),
        ("138123456789", "手机号应为 11 位数字，当前为 12 位。"),
        ("1381234567a", "手机号只能包含数字。"),
        ("12345678901", "不是有效的大陆手机号码段。"),
        ("10012345678", "不是有效的大陆手机号码段。"),
        ("14012345678", "不是有效的大陆手机号码段。"),
        ("+44 7911 123456", "手机号只能包含数字。"),
        ("", "该字段不能为空。"),
        ("   ", "该字段不能为空。"),
        ("1" * 21, "请确保这个字段不能超过 20 个字符。"),
    ],
)
def test_bad_phone_numbers_are_refused_by_field(api_client, phone, message):
    response = register(api_client, good(phone=phone))

    assert response.status_code == 400
    assert response.json() == {"phone": [message]}
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["13900000001", "+86 139 0000 0001", "139-0000-0001"])
def test_a_taken_phone_number_is_refused_however_it_is_written(api_client, people, phone):
    before = User.objects.count()

    response = register(api_client, good(phone=phone))

    assert response.status_code == 400
    assert response.json() == {"phone": [PHONE_TAKEN]}
    assert User.objects.count() == before
    assert User.objects.get(phone="13900000001").name == "张群众"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "该字段不能为空。"),
        ("   ", "该字段不能为空。"),
        ("\u3000\u3000", "该字段不能为空。"),
        ("王" * 51, "请确保这个字段不能超过 50 个字符。"),
    ],
)
def test_bad_names_are_refused(api_client, name, message):
    response = register(api_client, good(name=name))

    assert response.status_code == 400
    assert response.json() == {"name": [message]}
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["name", "phone", "password"])
def test_a_nul_character_is_a_400_not_a_database_error(api_client, field):
    response = register(api_client, good(**{field: "王\x00明"}))

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_fifty_character_name_is_accepted(api_client):
    assert register(api_client, good(name="王" * 50)).status_code == 201
    assert User.objects.get().name == "王" * 50


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab#1", "密码太短，至少需要 8 个字符。"),
        ("password", "这个密码太常见了。"),
        ("38472916503", "密码只包含数字。"),
        ("", "该字段不能为空。"),
    ],
)
def test_weak_passwords_are_refused(api_client, password, message):
    response = register(api_client, good(password=password))

    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert message in " ".join(response.json()["password"])
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (good(phone=["13812345678"]), "phone"),
        (good(phone={"number": "13812345678"}), "phone"),
        (good(name={"first": "小明"}), "name"),
        (good(name=["王小明"]), "name"),
        (good(password=["x"]), "password"),
        (good(phone=None), "phone"),
        (good(name=None), "name"),
    ],
)
def test_wrong_types_are_refused_by_field(api_client, body, field):
    response = register(api_client, body)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    message = response.json()[field][0]
    assert message in {"不是有效的字符串。", "该字段不能为 null。"}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_missing_fields_are_each_named(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "phone": [REQUIRED],
        "password": [REQUIRED],
        "name": [REQUIRED],
        "code": [REQUIRED],
    }
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_400(api_client):
    response = api_client.post(URL, data="phone=13812345678&", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "请求内容无法解析，请提交有效的 JSON。"}
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "kind"), [([good()], "list"), ("13812345678", "str"), (13812345678, "int")]
)
def test_a_json_body_that_is_not_an_object_is_a_400(api_client, body, kind):
    response = api_client.post(URL, data=json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [f"无效数据。期待为字典类型，得到的是 {kind} 。"]
    }
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_json_null_body_is_a_400_in_chinese(api_client):
    response = api_client.post(URL, data="null", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["请求内容为空，应为 JSON 对象。"]}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_an_empty_body_names_every_field(api_client):
    response = api_client.post(URL, data="", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "phone": [REQUIRED],
        "password": [REQUIRED],
        "name": [REQUIRED],
        "code": [REQUIRED],
    }


@pytest.mark.django_db
def test_a_form_encoded_sign_up_also_works(api_client):
    # The contract speaks JSON, but a plain form post must not break the endpoint either.
    response = api_client.post(URL, good(code=code_for(api_client, "13812345678")))

    assert response.status_code == 201
    assert User.objects.get().phone == "13812345678"


@pytest.mark.django_db
def test_register_ignores_privilege_fields(api_client):
    response = register(api_client, good(is_staff=True, is_superuser=True, roles=["cadre"]))

    assert response.status_code == 201
    user = User.objects.get()
    assert not user.is_staff
    assert not user.is_superuser
    assert not user.cadre_roles.exists()


@pytest.mark.django_db
def test_register_does_not_need_or_use_a_session(api_client, people):
    # A signed-in browser posting here must not be refused for a missing CSRF token.
    api_client.force_login(people.resident)
    client = api_client
    client.handler.enforce_csrf_checks = True

    response = register(client, good())

    assert response.status_code == 201


# --- the code --------------------------------------------------------------------------


@pytest.mark.django_db
def test_asking_for_a_code_answers_202_and_texts_the_phone(api_client, texts):
    response = api_client.post(
        CODES_URL, {"phone": "+86 138 1234 5678", "purpose": "signup"}, format="json"
    )

    assert response.status_code == 202
    assert response.json() == {
        "detail": "如果该手机号可以接收，验证码已发送，10 分钟内有效。",
        "expires_in": 600,
    }
    [text] = texts.to("13812345678")
    assert text.startswith(f"验证码 {texts.code_for('13812345678')}，10 分钟内有效，用于注册。")


@pytest.mark.django_db
def test_register_without_a_code_is_refused(api_client):
    response = api_client.post(URL, good(), format="json")

    assert response.status_code == 400
    assert response.json() == {"code": [REQUIRED]}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_register_with_a_wrong_code_is_refused_and_counted(api_client):
    right = code_for(api_client, "13812345678")
    wrong = "999999" if right != "999999" else "888888"

    answers = [register(api_client, good(code=wrong)) for _ in range(5)]

    assert [a.status_code for a in answers] == [400] * 5
    assert answers[0].json() == {"code": ["验证码不正确，还可再试 4 次。"]}
    assert answers[3].json() == {"code": ["验证码不正确，还可再试 1 次。"]}
    assert answers[4].json() == {"code": ["验证码错误次数过多，已作废，请重新获取。"]}
    # The fifth wrong try voided the code: the right one no longer works either.
    late = register(api_client, good(code=right))
    assert late.json() == {"code": ["验证码无效或已过期，请重新获取。"]}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_code_works_once(api_client):
    code = code_for(api_client, "13812345678")
    assert register(api_client, good(code=code)).status_code == 201
    User.objects.all().delete()

    again = register(api_client, good(code=code))

    assert again.json() == {"code": ["验证码无效或已过期，请重新获取。"]}


@pytest.mark.django_db
def test_a_registered_account_is_verified(api_client):
    assert register(api_client, good()).status_code == 201

    assert User.objects.get().phone_verified_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"phone": "13812345678"}, {"purpose": [REQUIRED]}),
        ({"phone": "13812345678", "purpose": "admin"}, {"purpose": ["“admin” 不是合法选项。"]}),
        (
            {"phone": "12345", "purpose": "signup"},
            {"phone": ["手机号应为 11 位数字，当前为 5 位。"]},
        ),
    ],
)
def test_a_bad_code_request_is_a_400_by_field(api_client, texts, body, expected):
    response = api_client.post(CODES_URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == expected
    assert len(texts) == 0
