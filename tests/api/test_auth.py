"""POST /api/v1/auth/token/: a token for the right phone and password, and the lockout."""

from __future__ import annotations

import re

import pytest
from rest_framework.authtoken.models import Token

from tests.conftest import PASSWORD

URL = "/api/v1/auth/token/"
WRONG = "手机号或密码不正确。"
# The lockout says until when (a local time) and what to do about it.
LOCKED = re.compile(
    r"^登录失败次数过多，该账号已暂时锁定，请于 \d\d:\d\d 之后再试（约 15 分钟）。"
    r"如果忘记了密码，可以用手机验证码重置密码，重置后即可登录。$"
)


def ask(api_client, phone, password, **extra):
    return api_client.post(URL, {"phone": phone, "password": password}, format="json", **extra)


@pytest.mark.django_db
def test_the_right_password_gets_the_users_token(api_client, people):
    response = ask(api_client, "13900000001", PASSWORD)

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=people.resident).key}


@pytest.mark.django_db
def test_asking_twice_gives_the_same_token(api_client, people):
    first = ask(api_client, "13900000001", PASSWORD).json()["token"]
    second = ask(api_client, "+86 139-0000-0001", PASSWORD).json()["token"]

    assert first == second
    assert Token.objects.filter(user=people.resident).count() == 1


@pytest.mark.django_db
def test_the_token_authenticates_me(api_client, people):
    token = ask(api_client, "13900000001", PASSWORD).json()["token"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["id"] == people.resident.pk


@pytest.mark.django_db
def test_a_token_counts_as_a_sign_in(api_client, people):
    assert people.resident.last_login is None

    assert ask(api_client, "13900000001", PASSWORD).status_code == 200

    people.resident.refresh_from_db()
    assert people.resident.last_login is not None


@pytest.mark.django_db
def test_a_made_up_token_is_401(api_client, people):
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = api_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json() == {"detail": "认证令牌无效。"}


@pytest.mark.django_db
def test_a_wrong_password_is_a_400_in_chinese(api_client, people):
    response = ask(api_client, "13900000001", "Wrong#password1")

    assert response.status_code == 400
    assert response.json() == {"detail": WRONG}
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_an_unknown_phone_is_the_same_400(api_client, people):
    response = ask(api_client, "13911112222", PASSWORD)

    assert response.status_code == 400
    assert response.json() == {"detail": WRONG}


@pytest.mark.django_db
def test_an_inactive_account_gets_no_token(api_client, people):
    people.resident.is_active = False
    people.resident.save(update_fields=["is_active"])

    response = ask(api_client, "13900000001", PASSWORD)

    assert response.status_code == 400
    assert response.json() == {"detail": WRONG}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, {"phone": ["该字段是必填项。"], "password": ["该字段是必填项。"]}),
        ({"phone": ["13900000001"], "password": PASSWORD}, {"phone": ["不是有效的字符串。"]}),
        ({"phone": "13900000001", "password": {"a": 1}}, {"password": ["不是有效的字符串。"]}),
    ],
)
def test_malformed_requests_are_400_by_field(api_client, people, body, expected):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == expected


@pytest.mark.django_db
def test_a_non_json_body_is_a_400(api_client, people):
    response = api_client.post(URL, data="{phone:", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "请求内容无法解析，请提交有效的 JSON。"}


@pytest.mark.django_db
def test_five_failures_lock_the_phone_even_against_the_right_password(api_client, people):
    first_four = [ask(api_client, "13900000001", f"Wrong#{n}abcd") for n in range(4)]
    fifth = ask(api_client, "13900000001", "Wrong#5abcd")
    sixth = ask(api_client, "13900000001", PASSWORD)

    assert [r.status_code for r in first_four] == [400, 400, 400, 400]
    assert [r.json() for r in first_four] == [{"detail": WRONG}] * 4
    # The failure that reaches the limit is already answered with the lockout.
    assert fifth.status_code == 429
    assert sixth.status_code == 429
    assert set(sixth.json()) == {"detail", "locked_until"}
    assert LOCKED.match(sixth.json()["detail"])
    assert "锁定" in sixth.json()["detail"]
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_the_lockout_counts_one_number_however_it_is_written(api_client, people):
    for typed in ["13900000001", "+86 139 0000 0001", "139-0000-0001", "0086 13900000001"]:
        assert ask(api_client, typed, "Wrong#password1").status_code == 400
    assert ask(api_client, "(139) 0000 0001", "Wrong#password1").status_code == 429

    assert ask(api_client, "13900000001", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_the_lockout_leaves_other_phones_alone(api_client, people):
    for n in range(5):
        ask(api_client, "13900000001", f"Wrong#{n}abcd")
    assert ask(api_client, "13900000001", PASSWORD).status_code == 429

    other = ask(api_client, "13700000001", PASSWORD)

    assert other.status_code == 200
    assert other.json() == {"token": Token.objects.get(user=people.volunteer).key}


@pytest.mark.django_db
def test_the_lockout_is_per_client_address(api_client, people):
    # One person mistyping must not lock the same number out for a whole office elsewhere.
    for n in range(5):
        ask(api_client, "13900000001", f"Wrong#{n}abcd", REMOTE_ADDR="10.0.0.7")

    assert ask(api_client, "13900000001", PASSWORD, REMOTE_ADDR="10.0.0.7").status_code == 429
    assert ask(api_client, "13900000001", PASSWORD, REMOTE_ADDR="10.0.0.8").status_code == 200


@pytest.mark.django_db
def test_a_success_resets_the_failure_count(api_client, people):
    for n in range(4):
        assert ask(api_client, "13900000001", f"Wrong#{n}abcd").status_code == 400
    assert ask(api_client, "13900000001", PASSWORD).status_code == 200

    for n in range(4):
        assert ask(api_client, "13900000001", f"Wrong#{n}abcd").status_code == 400
    assert ask(api_client, "13900000001", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_a_lockout_through_the_api_also_locks_the_sign_in_page(api_client, client, people):
    for n in range(5):
        ask(api_client, "13900000001", f"Wrong#{n}abcd")

    response = client.post("/accounts/login/", {"username": "13900000001", "password": PASSWORD})

    assert response.status_code == 429
    assert LOCKED.match(response.context["message"])
    assert 'href="/accounts/password-reset/"' in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_token_requests_are_throttled(api_client, people):
    # 30 a minute from one address; the 31st is refused with 429. Each attempt names a
    # different unknown number, so the lockout is not what refuses it.
    statuses = [ask(api_client, f"139111122{n:02d}", PASSWORD).status_code for n in range(31)]

    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_dodges_neither_the_throttle_nor_the_lockout(
    api_client, people
):
    # given: no proxy is trusted (the default), and the client sends a new
    # X-Forwarded-For with every attempt
    def forged(n: int) -> dict[str, str]:
        return {"REMOTE_ADDR": "10.0.0.9", "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}

    # when: five wrong passwords for one number, then the right one
    wrong = [ask(api_client, "13900000001", f"Wrong#{n}abcd", **forged(n)) for n in range(5)]
    right = ask(api_client, "13900000001", PASSWORD, **forged(99))
    # and thirty-one attempts on unknown numbers
    throttled = [
        ask(api_client, f"139111133{n:02d}", PASSWORD, **forged(n)).status_code for n in range(31)
    ]
    # then: one client address throughout
    assert wrong[-1].status_code == 429
    assert right.status_code == 429
    assert throttled[-1] == 429
