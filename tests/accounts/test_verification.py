"""Verification codes: what is sent and stored, how long they live, how often they come;
the password reset (page and API) and the change-password page."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import PhoneVerification, User
from accounts.verification import verification_code_check, verification_code_send
from core import notify
from core.errors import DomainError
from tests.conftest import PASSWORD

PHONE = "13812345678"
RESIDENT = "13900000001"
NEW_PASSWORD = "Fresh#Start2026"


def send(phone=PHONE, purpose="signup", address="198.51.100.1", **kwargs):
    return verification_code_send(phone=phone, purpose=purpose, client_address=address, **kwargs)


def refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- the code ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_code_is_six_digits_and_neither_it_nor_the_phone_is_stored(texts):
    verification = send()

    code = texts.code_for(PHONE)
    assert len(code) == 6
    assert code.isdigit()
    row = PhoneVerification.objects.values().get(pk=verification.pk)
    assert PHONE not in str(row)
    assert code not in str(row)
    assert row["expires_at"] - row["created_at"] == datetime.timedelta(minutes=10)


@pytest.mark.django_db
def test_the_code_works_within_10_minutes_and_not_after(texts):
    start = timezone.now()
    send(now=start)
    code = texts.code_for(PHONE)

    late = refusal(
        lambda: verification_code_check(
            phone=PHONE, purpose="signup", code=code, now=start + datetime.timedelta(minutes=10)
        )
    )
    assert late.message == "验证码无效或已过期，请重新获取。"
    in_time = start + datetime.timedelta(minutes=9, seconds=59)
    assert verification_code_check(phone=PHONE, purpose="signup", code=code, now=in_time)


@pytest.mark.django_db
def test_a_code_is_for_its_purpose_only(texts):
    send(purpose="signup")

    wrong_purpose = refusal(
        lambda: verification_code_check(phone=PHONE, purpose="reset", code=texts.code_for(PHONE))
    )

    assert wrong_purpose.message == "验证码无效或已过期，请重新获取。"


@pytest.mark.django_db
def test_a_new_code_replaces_the_last_one(texts):
    send()
    first = texts.code_for(PHONE)
    send()
    second = texts.code_for(PHONE)

    if first != second:
        stale = refusal(lambda: verification_code_check(phone=PHONE, purpose="signup", code=first))
        # Only the latest code is live: the old one is just a wrong try against it.
        assert stale.message == "验证码不正确，还可再试 4 次。"
    assert verification_code_check(phone=PHONE, purpose="signup", code=second)


@pytest.mark.django_db
def test_five_codes_a_phone_an_hour(texts):
    start = timezone.now()
    for n in range(5):
        send(address=f"198.51.100.{n}", now=start + datetime.timedelta(minutes=n))

    sixth = refusal(
        lambda: send(address="198.51.100.9", now=start + datetime.timedelta(minutes=59))
    )

    assert sixth.http_status == 429
    assert sixth.message == "该手机号 1 小时内获取验证码已达 5 次，请稍后再试。"
    assert len(texts.to(PHONE)) == 5
    # An hour after the first, one more may be sent.
    send(now=start + datetime.timedelta(minutes=60, seconds=1))
    assert len(texts.to(PHONE)) == 6


@pytest.mark.django_db
def test_twenty_codes_an_address_a_day(texts):
    start = timezone.now()
    for n in range(20):
        send(phone=f"1381234{n:04d}", now=start + datetime.timedelta(minutes=n))

    refused = refusal(lambda: send(phone="13812349999", now=start + datetime.timedelta(hours=23)))

    assert refused.http_status == 429
    assert refused.message == "您所在的网络今天获取验证码已达 20 次，请明天再试。"
    assert texts.to("13812349999") == []
    send(phone="13812349999", address="198.51.100.77", now=start + datetime.timedelta(hours=23))
    send(phone="13812349998", now=start + datetime.timedelta(days=1, minutes=1))


@pytest.mark.django_db
def test_the_limits_are_counted_in_the_database_not_the_cache(texts):
    from django.core.cache import cache

    for n in range(5):
        send(address=f"198.51.100.{n}")
    cache.clear()

    assert refusal(send).code == "too_many_codes_for_phone"


@pytest.mark.django_db
def test_a_reset_code_for_a_number_without_an_account_is_counted_but_not_sent(texts):
    send(phone="13812340001", purpose="reset")

    assert texts.to("13812340001") == []
    assert PhoneVerification.objects.count() == 1


@pytest.mark.django_db
def test_the_log_backend_shows_the_code_and_masks_the_phone(caplog, settings):
    settings.NOTIFICATION_BACKEND = "core.notify.LogBackend"
    with caplog.at_level(logging.INFO, logger="portal.notify"):
        send()

    [line] = [r.getMessage() for r in caplog.records if r.name == "portal.notify"]
    assert line.startswith("sms to=138****5678: 验证码 ")
    assert PHONE not in line


class InboxOnlyBackend:
    def send(self, notification) -> None:
        pass


@pytest.mark.django_db
def test_a_backend_that_cannot_text_numbers_is_a_clear_refusal(settings):
    settings.NOTIFICATION_BACKEND = f"{__name__}.InboxOnlyBackend"
    notify._backend.cache_clear()

    refused = refusal(send)

    assert refused.message == "验证码发送失败，请稍后再试。"
    assert PhoneVerification.objects.get().voided_at is not None


# --- password reset ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_resident_resets_the_password_on_the_page(client, people, texts):
    Token.objects.create(user=people.resident)
    first = client.post("/accounts/password-reset/", {"phone": RESIDENT, "send_code": "1"})
    assert "验证码已发送至 139****0001" in first.content.decode()

    response = client.post(
        "/accounts/password-reset/",
        {
            "phone": RESIDENT,
            "code": texts.code_for(RESIDENT),
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    people.resident.refresh_from_db()
    assert people.resident.check_password(NEW_PASSWORD)
    assert people.resident.phone_verified_at is not None
    assert not Token.objects.filter(user=people.resident).exists()
    signed_in = client.post(
        "/accounts/login/", {"username": RESIDENT, "password": NEW_PASSWORD}, follow=True
    )
    assert "密码已重置，请用新密码登录。" in signed_in.content.decode()


@pytest.mark.django_db
def test_the_reset_page_for_an_unknown_number_looks_the_same(client, people, texts):
    known = client.post("/accounts/password-reset/", {"phone": RESIDENT, "send_code": "1"})
    unknown = client.post("/accounts/password-reset/", {"phone": PHONE, "send_code": "1"})

    assert known.context["step"] == unknown.context["step"] == 2
    assert texts.to(PHONE) == []


@pytest.mark.django_db
def test_a_reset_with_a_wrong_code_changes_nothing(client, people, texts):
    client.post("/accounts/password-reset/", {"phone": RESIDENT, "send_code": "1"})
    wrong = "000000" if texts.code_for(RESIDENT) != "000000" else "111111"

    response = client.post(
        "/accounts/password-reset/",
        {
            "phone": RESIDENT,
            "code": wrong,
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["验证码不正确，还可再试 4 次。"]}
    people.resident.refresh_from_db()
    assert people.resident.check_password(PASSWORD)


@pytest.mark.django_db
def test_the_reset_api(api_client, people, texts):
    sent = api_client.post(
        "/api/v1/accounts/verification-codes/",
        {"phone": RESIDENT, "purpose": "reset"},
        format="json",
    )
    assert sent.status_code == 202

    weak = api_client.post(
        "/api/v1/accounts/password-reset/",
        {"phone": RESIDENT, "code": texts.code_for(RESIDENT), "password": "password"},
        format="json",
    )
    done = api_client.post(
        "/api/v1/accounts/password-reset/",
        {"phone": RESIDENT, "code": texts.code_for(RESIDENT), "password": NEW_PASSWORD},
        format="json",
    )

    assert weak.status_code == 400
    assert list(weak.json()) == ["password"]
    assert done.status_code == 200
    assert done.json() == {"detail": "密码已重置，请用新密码登录。"}
    token = api_client.post(
        "/api/v1/auth/token/", {"phone": RESIDENT, "password": NEW_PASSWORD}, format="json"
    )
    assert token.status_code == 200


@pytest.mark.django_db
def test_the_reset_api_for_an_unknown_number_gives_nothing_away(api_client, people, texts):
    sent = api_client.post(
        "/api/v1/accounts/verification-codes/", {"phone": PHONE, "purpose": "reset"}, format="json"
    )
    reset = api_client.post(
        "/api/v1/accounts/password-reset/",
        {"phone": PHONE, "code": "123456", "password": NEW_PASSWORD},
        format="json",
    )

    assert sent.status_code == 202
    assert reset.status_code == 400
    assert reset.json() == {"code": ["验证码不正确，还可再试 4 次。"]}
    assert not User.objects.filter(phone=PHONE).exists()


# --- change password ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_change_password_page_needs_sign_in(client):
    response = client.get("/accounts/password-change/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_volunteer_changes_the_password_and_stays_signed_in(client, people):
    client.force_login(people.volunteer)
    form = client.get("/accounts/password-change/").content.decode()
    assert 'name="old_password"' in form

    response = client.post(
        "/accounts/password-change/",
        {"old_password": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )

    assert response.status_code == 302
    people.volunteer.refresh_from_db()
    assert people.volunteer.check_password(NEW_PASSWORD)
    assert client.get("/volunteer/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {
                "old_password": "Wrong#1abc",
                "password": NEW_PASSWORD,
                "password_again": NEW_PASSWORD,
            },
            {"old_password": ["原密码不正确。"]},
        ),
        (
            {"old_password": PASSWORD, "password": NEW_PASSWORD, "password_again": "Other#2026x"},
            {"password_again": ["两次输入的密码不一致。"]},
        ),
        (
            {"old_password": PASSWORD, "password": "12345678", "password_again": "12345678"},
            None,
        ),
    ],
)
def test_a_refused_password_change_changes_nothing(client, people, data, expected):
    client.force_login(people.resident)

    response = client.post("/accounts/password-change/", data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    if expected is not None:
        assert errors == expected
    else:
        assert list(errors) == ["password"]
    people.resident.refresh_from_db()
    assert people.resident.check_password(PASSWORD)


# --- queries --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "queries"),
    [("/accounts/signup/", 0), ("/accounts/password-reset/", 0)],
)
def test_the_first_steps_cost_no_queries(client, path, queries, django_assert_num_queries):
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_asking_for_a_code_costs_a_fixed_number_of_queries(
    api_client, texts, django_assert_num_queries
):
    # the account check; a savepoint, the per-phone lock, two limit counts, voiding the last
    # code, the insert, the release
    with django_assert_num_queries(8):
        response = api_client.post(
            "/api/v1/accounts/verification-codes/",
            {"phone": PHONE, "purpose": "signup"},
            format="json",
        )
    assert response.status_code == 202


@pytest.mark.django_db
def test_the_change_password_page_costs_three_queries(client, people, django_assert_num_queries):
    client.force_login(people.resident)
    # the session and its user; the top bar's unread count
    with django_assert_num_queries(3):
        assert client.get("/accounts/password-change/").status_code == 200
