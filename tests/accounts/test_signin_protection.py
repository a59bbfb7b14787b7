"""Sign-in protection per account across client addresses, the lockout page, the reset that
ends it, and the sign-in records: keyed digests only, purged after the retention period."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.digests import phone_digest
from accounts.models import PhoneVerification, SignInGuard
from accounts.signin import (
    signin_delayed_until,
    signin_failure_record,
    signin_records_purge,
)
from accounts.tasks import signin_records_purge_task
from tests.conftest import PASSWORD

PHONE = "13900000001"  # people.resident
LOGIN = "/accounts/login/"


def from_address(n: int) -> dict[str, str]:
    # Behind one trusted proxy: the proxy is the peer, the client is the header's last entry.
    return {"REMOTE_ADDR": "10.9.9.9", "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}


def page_sign_in(client, password, *, n=1, phone=PHONE):
    return client.post(LOGIN, {"username": phone, "password": password}, **from_address(n))


def token(api_client, password, *, n=1, phone=PHONE):
    return api_client.post(
        "/api/v1/auth/token/", {"phone": phone, "password": password}, format="json",
        **from_address(n),
    )  # fmt: skip


def end_the_delay(phone=PHONE) -> None:
    # Time moves on: the delay (and the window that earned it) lies in the past.
    past = timezone.now() - datetime.timedelta(minutes=1)
    SignInGuard.objects.filter(account_digest=phone_digest(phone)).update(delayed_until=past)


@pytest.fixture
def behind_a_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


# --- the per-account guard ---------------------------------------------------------------


@pytest.mark.django_db
def test_80_wrong_guesses_from_20_addresses_delay_the_account_then_it_works_again(
    client, api_client, people, behind_a_proxy
):
    # given: 80 wrong passwords, 4 from each of 20 addresses (under axes's 5 per address)
    answers = [page_sign_in(client, f"Wrong#{i}abc", n=i % 20) for i in range(80)]

    # then: the first nine are ordinary refusals, the tenth earns the delay
    assert [a.status_code for a in answers[:9]] == [200] * 9
    assert all(a.status_code == 429 for a in answers[9:])
    # and no address was locked by axes: only the account is delayed
    assert not AccessAttempt.objects.filter(failures_since_start__gte=5).exists()
    until = signin_delayed_until(PHONE)
    assert until is not None
    # only real guesses count: the 70 refused during the delay were never tried
    assert SignInGuard.objects.get().window_failures == 10

    # when: the owner tries the right password, from a new address, page and API alike
    page = page_sign_in(client, PASSWORD, n=77)
    api = token(api_client, PASSWORD, n=78)

    # then: refused, saying until when and what to do
    assert page.status_code == 429
    assert "_auth_user_id" not in client.session
    message = page.context["message"]
    assert "登录失败次数过多" in message
    assert timezone.localtime(until).strftime("%H:%M") in message
    assert "约 1 分钟" in message
    assert "重置密码" in message
    assert 'href="/accounts/password-reset/"' in page.content.decode()
    assert api.status_code == 429
    assert api.json()["detail"] == message
    assert api.json()["locked_until"] == until.isoformat()

    # when: the delay is over
    end_the_delay()
    # then: the right password works, and the success forgets the failures
    assert page_sign_in(client, PASSWORD, n=79).status_code == 302
    assert not SignInGuard.objects.exists()


@pytest.mark.django_db
def test_the_admin_sign_in_is_delayed_too(client, people, behind_a_proxy):
    for i in range(10):
        page_sign_in(client, f"Wrong#{i}abc", n=i)

    response = client.post(
        "/admin/login/", {"username": "13800000001", "password": "x"}, **from_address(50)
    )
    assert response.status_code == 200  # another account: not delayed
    response = client.post(
        "/admin/login/?next=/admin/", {"username": PHONE, "password": PASSWORD},
        **from_address(51),
    )  # fmt: skip

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_delay_grows_1_2_4_minutes_up_to_30_and_a_quiet_spell_forgets_it():
    start = timezone.now()
    for n in range(9):
        assert signin_failure_record(PHONE, now=start + datetime.timedelta(seconds=n)) is None
    moment = start + datetime.timedelta(seconds=10)
    delays = []
    for _ in range(8):
        until = signin_failure_record(PHONE, now=moment)
        delays.append(round((until - moment).total_seconds() / 60))
        # the next guess comes as soon as the delay allows
        moment = until
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]

    # A quarter of an hour without a failure after the delay ends: the streak is forgotten.
    later = moment + datetime.timedelta(minutes=30 + 15)
    assert signin_failure_record(PHONE, now=later) is None
    assert SignInGuard.objects.get().window_failures == 1


@pytest.mark.django_db
def test_failures_spread_over_more_than_15_minutes_do_not_delay():
    start = timezone.now()
    for n in range(30):
        moment = start + datetime.timedelta(minutes=2 * n)
        assert signin_failure_record(PHONE, now=moment) is None, n


@pytest.mark.django_db
def test_an_unknown_number_is_guarded_like_a_known_one(client, people, behind_a_proxy):
    answers = [page_sign_in(client, "Wrong#1abc", n=i, phone="13911112222") for i in range(11)]

    assert [a.status_code for a in answers] == [200] * 9 + [429] * 2


@pytest.mark.django_db
def test_a_reset_code_ends_the_delay_and_axes_lockouts(client, people, texts, behind_a_proxy):
    # given: axes has locked one address and the account is delayed everywhere
    for i in range(5):
        page_sign_in(client, f"Wrong#{i}abc", n=1)
    for i in range(5):
        page_sign_in(client, f"Wrong#{i}xyz", n=2 + i)
    assert signin_delayed_until(PHONE) is not None
    assert AccessAttempt.objects.filter(failures_since_start__gte=5).exists()

    # when: the owner resets the password with a code sent to the phone
    client.post("/accounts/password-reset/", {"phone": PHONE, "send_code": "1"})
    new_password = "Fresh#Start2026"
    response = client.post(
        "/accounts/password-reset/",
        {
            "phone": PHONE,
            "code": texts.code_for(PHONE),
            "password": new_password,
            "password_again": new_password,
        },
    )

    # then: signed in with the new password at once, from the address axes had locked too
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not SignInGuard.objects.exists()
    assert page_sign_in(client, new_password, n=1).status_code == 302


# --- the sign-in records ---------------------------------------------------------------


def every_axes_value() -> str:
    rows = []
    for model in (AccessAttempt, AccessFailureLog, AccessLog, SignInGuard, PhoneVerification):
        rows += [str(row) for row in model.objects.values()]
    return "\n".join(rows)


@pytest.mark.django_db
def test_no_phone_number_is_kept_in_the_sign_in_records(client, api_client, people, texts):
    # Failures, a lockout, a success and a sign-out, through the page, the API and the admin,
    # with the number typed in the ways people type it; and a verification code.
    for typed in ["13900000001", "+86 139 0000 0001", "139-0000-0001", "0086 13900000001"]:
        client.post(LOGIN, {"username": typed, "password": "Wrong#1abc"})
    api_client.post("/api/v1/auth/token/", {"phone": "13700000001", "password": "x"})
    api_client.post("/api/v1/auth/token/", {"phone": "13700000001", "password": PASSWORD})
    client.post("/admin/login/", {"username": "13800000001", "password": "Wrong#1abc"})
    client.post(LOGIN, {"username": "13800000001", "password": PASSWORD})
    client.post("/accounts/logout/")
    client.post("/accounts/signup/", {"phone": "13812345678", "send_code": "1"})

    assert AccessAttempt.objects.exists()
    assert AccessLog.objects.count() == 2
    assert PhoneVerification.objects.exists()
    dump = every_axes_value()
    for phone in ["13900000001", "13700000001", "13800000001", "13812345678", "0000 0001"]:
        assert phone not in dump
    # The records still name one account by one digest, however it was typed.
    assert AccessAttempt.objects.get(username=phone_digest("13900000001")).failures_since_start == 4
    assert AccessLog.objects.filter(username=phone_digest("13800000001")).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT username FROM axes_accesslog")
        assert all(len(value) == 64 for (value,) in cursor.fetchall())


@pytest.mark.django_db
def test_the_purge_deletes_only_records_older_than_the_retention(settings, people):
    settings.SIGNIN_RECORD_RETENTION_DAYS = 183
    now = timezone.now()
    old = now - datetime.timedelta(days=184)
    recent = now - datetime.timedelta(days=182)
    for label, when in [("old", old), ("recent", recent)]:
        common = {"user_agent": label, "http_accept": "*/*", "path_info": "/accounts/login/"}
        AccessAttempt.objects.create(
            username=f"{label}-a", get_data="", post_data="", failures_since_start=1, **common
        )
        AccessFailureLog.objects.create(username=f"{label}-f", **common)
        AccessLog.objects.create(username=f"{label}-l", **common)
        signin_failure_record(f"1390000{1 if label == 'old' else 2}000", now=when)
        PhoneVerification.objects.create(
            phone_digest=label, purpose="signup", code_digest="x", created_at=when,
            expires_at=when + datetime.timedelta(minutes=10),
        )  # fmt: skip
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(user_agent="old").update(attempt_time=old)
        model.objects.filter(user_agent="recent").update(attempt_time=recent)

    counts = signin_records_purge(now=now)

    assert counts["access_attempts"] >= 1
    assert counts["access_failures"] == 1
    assert counts["access_logs"] == 1
    assert counts["account_guards"] == 1
    assert counts["verification_codes"] == 1
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        assert list(model.objects.values_list("user_agent", flat=True)) == ["recent"]
    assert list(PhoneVerification.objects.values_list("phone_digest", flat=True)) == ["recent"]
    assert SignInGuard.objects.get().account_digest == phone_digest("13900002000")
    # Nothing left to purge: the task and the command find nothing more.
    assert set(signin_records_purge_task().values()) == {0}


@pytest.mark.django_db
def test_the_purge_command_reports_what_it_deleted(capsys):
    AccessLog.objects.create(username="x", user_agent="old", http_accept="", path_info="/")
    AccessLog.objects.update(attempt_time=timezone.now() - datetime.timedelta(days=400))

    call_command("purge_signin_records")

    assert "access_logs 1" in capsys.readouterr().out
    assert not AccessLog.objects.exists()


def test_beat_purges_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["signin-records-purge"]
    assert entry == {
        "task": "accounts.tasks.signin_records_purge_task",
        "schedule": 86400.0,
    }
