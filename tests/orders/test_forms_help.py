"""Forms that help: every error at once, "required" for what is empty, landlines where a
contact number is asked, no expected time in the past, maxlength on the boxes, and no
check-in long before the booked time. Through the page and the API; bad input changes
nothing."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.phones import (
    mask_phone,
    normalize_contact_number,
    validate_contact_number,
    validate_mainland_mobile,
)
from core.errors import DomainError
from orders import rules
from orders.forms import CancelForm, CompleteForm, DeclineForm, RateForm
from orders.models import Order
from orders.services import order_accept, order_dispatch
from practice.models import Service
from tests.support.order_form import order_form_post
from volunteers.identity import compose_id_number
from volunteers.models import Volunteer

from .conftest import PHONE, place

S = Order.Status
API = "/api/v1/orders/"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def errors_of(response) -> dict[str, list[str]]:
    """The errors a page shows, by the field they stand beside."""
    found: dict[str, list[str]] = {}
    for block in re.findall(r'<div class="field has-error">(.*?)</div>', text(response)):
        name = re.search(r'name="([^"]+)"', block)[1]
        found[name] = re.findall(r'<p class="error" role="alert">([^<]*)</p>', block)
    return found


def post_order(client, tree, menu, **overrides):
    data = {
        "service": menu.errand.pk,
        "center": tree.village_a.pk,
        "title": "帮忙买药",
        "address": "王江社区3栋201",
        "contact_phone": PHONE,
    }
    data.update(overrides)
    return order_form_post(
        client,
        f"/orders/new/?service={data['service']}&county={tree.county_a.pk}"
        f"&township={tree.township_a.pk}",
        data,
    )


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_order(tree, menu, **changes) -> dict[str, object]:
    return {
        "service": menu.errand.pk,
        "center": tree.village_a.pk,
        "title": "帮忙买药",
        "address": "王江社区3栋201",
        "contact_phone": PHONE,
        **changes,
    }


def local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------- every error at once


def test_the_page_shows_every_error_at_once(client, tree, people, menu) -> None:
    client.force_login(people.resident)
    yesterday = timezone.now() - datetime.timedelta(days=1)

    response = post_order(
        client,
        tree,
        menu,
        title="",
        address="",
        contact_phone="",
        description="长" * 1001,
        preferred_start=local(yesterday),
    )

    assert response.status_code == 400
    assert errors_of(response) == {
        "title": ["请填写标题。"],
        "description": ["需求描述不能超过 1000 个字。"],
        "address": ["请填写服务地址。"],
        "contact_phone": ["请填写联系电话。"],
        "preferred_start": ["期望开始时间已过，请选择以后的时间。"],
    }
    assert not Order.objects.exists()


def test_an_empty_contact_phone_says_required_not_digits(client, tree, people, menu) -> None:
    client.force_login(people.resident)
    response = post_order(client, tree, menu, contact_phone="")
    assert errors_of(response) == {"contact_phone": ["请填写联系电话。"]}
    assert "手机号只能包含数字" not in text(response)
    assert not Order.objects.exists()


def test_a_wish_says_required_in_its_own_words(client, tree, people, menu) -> None:
    wish_item = Service.objects.get(center=tree.city, is_wish=True)
    client.force_login(people.resident)
    response = post_order(client, tree, menu, service=wish_item.pk, title="", address="")
    assert errors_of(response) == {"title": ["请填写心愿。"], "address": ["请填写送达地址。"]}
    assert not Order.objects.exists()


def test_the_api_answers_every_error_at_once(tree, people, menu) -> None:
    yesterday = timezone.now() - datetime.timedelta(days=1)
    response = api_as(people.resident).post(
        API,
        api_order(
            tree, menu, title="", contact_phone="0734-12", preferred_end=yesterday.isoformat()
        ),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "title": ["该字段不能为空。"],
        "contact_phone": ["固定电话请按“区号-号码”填写，例如 0734-8888888。"],
        "preferred_end": ["期望结束时间已过，请选择以后的时间。"],
    }
    assert not Order.objects.exists()


# ---------------------------------------------------------------- landlines


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("0734-8888888", "0734-8888888"),
        ("07348888888", "0734-8888888"),
        ("(0734)8888888", "0734-8888888"),
        ("（0734）8888888", "0734-8888888"),
        ("0734 8888888", "0734-8888888"),
        ("010-88888888", "010-88888888"),
        ("01088888888", "010-88888888"),
        ("020 8888 8888", "020-88888888"),
        ("0734-8888888-123", "0734-8888888-123"),
        ("0734-8888888转123", "0734-8888888-123"),
        ("139 0000 0001", "13900000001"),
        ("+86 139-0000-0001", "13900000001"),
    ],
)
def test_contact_numbers_are_kept_in_one_form(typed: str, kept: str) -> None:
    assert rules.clean_contact_number(typed) == kept


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "请填写联系电话。"),
        ("0734-123", "固定电话请按“区号-号码”填写，例如 0734-8888888。"),
        ("0734-0888888", "固定电话请按“区号-号码”填写，例如 0734-8888888。"),
        ("00734-8888888", "固定电话请按“区号-号码”填写，例如 0734-8888888。"),
        ("12345", "手机号应为 11 位数字，当前为 5 位。"),
        ("电话", "手机号只能包含数字。"),
    ],
)
def test_bad_contact_numbers_are_refused_in_chinese(typed: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        rules.clean_contact_number(typed)
    assert refused.value.messages == [message]


def test_the_login_phone_stays_a_mobile(db) -> None:
    with pytest.raises(ValidationError):
        validate_mainland_mobile(normalize_contact_number("0734-8888888"))
    validate_contact_number("0734-8888888")


def test_a_landline_is_masked_to_its_area_and_last_four() -> None:
    assert mask_phone("0734-8888123") == "0734-***8123"
    assert mask_phone("13900000001") == "139****0001"


def test_a_landline_is_taken_on_the_page(client, tree, people, menu) -> None:
    client.force_login(people.resident)
    response = post_order(client, tree, menu, contact_phone="(0734)8888888")
    assert response.status_code == 302
    assert Order.objects.get().contact_phone == "0734-8888888"


def test_a_landline_is_taken_by_the_api(tree, people, menu) -> None:
    response = api_as(people.resident).post(
        API, api_order(tree, menu, contact_phone="0734 8888888"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["contact_phone"] == "0734-8888888"
    assert Order.objects.get().contact_phone == "0734-8888888"


def test_the_model_validates_a_contact_number(order) -> None:
    order.contact_phone = "0734-12"
    with pytest.raises(ValidationError) as refused:
        order.full_clean()
    assert list(refused.value.message_dict) == ["contact_phone"]


# ---------------------------------------------------------------- the expected time


def test_an_expected_time_in_the_past_is_refused_by_the_service(tree, people, menu) -> None:
    with pytest.raises(DomainError) as refused:
        place(
            people,
            menu,
            tree.village_a,
            preferred_start=timezone.now() - datetime.timedelta(hours=1),
        )
    assert (refused.value.field, refused.value.message) == (
        "preferred_start",
        "期望开始时间已过，请选择以后的时间。",
    )
    assert not Order.objects.exists()


def test_a_moment_ago_is_within_the_grace(tree, people, menu) -> None:
    moment_ago = timezone.now() - datetime.timedelta(minutes=1)
    order = place(people, menu, tree.village_a, preferred_start=moment_ago)
    assert order.preferred_start == moment_ago


def test_the_page_refuses_a_past_start_and_an_end_before_it(client, tree, people, menu) -> None:
    client.force_login(people.resident)
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    response = post_order(
        client,
        tree,
        menu,
        preferred_start=local(tomorrow),
        preferred_end=local(tomorrow - datetime.timedelta(hours=1)),
    )
    assert errors_of(response) == {"preferred_end": ["期望结束时间应晚于开始时间。"]}
    assert not Order.objects.exists()


def test_the_api_refuses_a_past_start(tree, people, menu) -> None:
    last_week = timezone.now() - datetime.timedelta(days=7)
    response = api_as(people.resident).post(
        API, api_order(tree, menu, preferred_start=last_week.isoformat()), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"preferred_start": ["期望开始时间已过，请选择以后的时间。"]}
    assert not Order.objects.exists()


# ---------------------------------------------------------------- maxlength


def test_the_order_form_caps_its_boxes(client, tree, people, menu) -> None:
    client.force_login(people.resident)
    page = text(
        client.get(
            f"/orders/new/?service={menu.errand.pk}&county={tree.county_a.pk}"
            f"&township={tree.township_a.pk}"
        )
    )
    for name, length in [
        ("title", 100),
        ("description", 1000),
        ("address", 200),
        ("contact_phone", 20),
    ]:
        tag = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', page)[0]
        assert f'maxlength="{length}"' in tag, name
        if name != "description":
            assert "required" in tag, name


def test_line_breaks_count_once_as_the_box_counts_them(client, tree, people, menu) -> None:
    client.force_login(people.resident)
    # 1000 characters in the box: 500 lines of one character, sent with CR LF.
    description = "\r\n".join(["药"] * 500) + "药" * 1
    assert len(description.replace("\r\n", "\n")) == 1000
    response = post_order(client, tree, menu, description=description)
    assert response.status_code == 302
    assert Order.objects.get().description == description.replace("\r\n", "\n")


# ---------------------------------------------------------------- the check-in window


def accepted_order(people, menu, tree, helper, *, booked: datetime.datetime) -> Order:
    order = place(people, menu, tree.village_a, preferred_start=booked)
    order_dispatch(actor=people.city_cadre, order_id=order.pk, volunteer=helper)
    return order_accept(volunteer=helper, order_id=order.pk)


def test_check_in_long_before_the_booked_time_is_refused_on_the_page(
    client, tree, people, menu, helper, settings
) -> None:
    settings.CHECK_IN_OPENS_MINUTES_BEFORE = 60
    booked = timezone.now() + datetime.timedelta(hours=3)
    order = accepted_order(people, menu, tree, helper, booked=booked)
    client.force_login(people.volunteer)

    response = client.post(f"/volunteer/tasks/{order.pk}/start/", follow=True)

    opens = timezone.localtime(booked - datetime.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    assert f"{opens} 起可以签到" in text(response)
    order.refresh_from_db()
    assert (order.status, order.started_at) == (S.ACCEPTED, None)


def test_check_in_long_before_the_booked_time_is_refused_by_the_api(
    tree, people, menu, helper, settings
) -> None:
    settings.CHECK_IN_OPENS_MINUTES_BEFORE = 60
    order = accepted_order(
        people, menu, tree, helper, booked=timezone.now() + datetime.timedelta(hours=3)
    )

    response = api_as(people.volunteer).post(f"{API}{order.pk}/start/", format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "check_in_too_early"
    assert "起可以签到" in response.json()["detail"]
    order.refresh_from_db()
    assert order.status == S.ACCEPTED


def test_check_in_opens_as_the_setting_says(tree, people, menu, helper, settings) -> None:
    booked = timezone.now() + datetime.timedelta(hours=3)
    order = accepted_order(people, menu, tree, helper, booked=booked)
    settings.CHECK_IN_OPENS_MINUTES_BEFORE = 4 * 60

    response = api_as(people.volunteer).post(f"{API}{order.pk}/start/", format="json")

    assert response.status_code == 200
    assert response.json()["status"] == S.IN_SERVICE


def test_an_order_without_a_booked_time_checks_in_any_time(order, people, helper) -> None:
    order_dispatch(actor=people.city_cadre, order_id=order.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=order.pk)
    response = api_as(people.volunteer).post(f"{API}{order.pk}/start/", format="json")
    assert response.status_code == 200


def test_the_window_is_one_rule(settings) -> None:
    settings.CHECK_IN_OPENS_MINUTES_BEFORE = 30
    booked = timezone.now() + datetime.timedelta(hours=1)
    assert rules.check_in_opens_at(booked) == booked - datetime.timedelta(minutes=30)
    assert rules.check_in_opens_at(None) is None
    assert rules.check_in_too_early(booked, now=booked - datetime.timedelta(minutes=31))
    assert rules.check_in_too_early(booked, now=booked - datetime.timedelta(minutes=30)) is None


# ---------------------------------------------------------------- the other order forms


@pytest.mark.parametrize(
    ("form_class", "name", "length"),
    [
        (CancelForm, "reason", 200),
        (RateForm, "comment", 500),
        (DeclineForm, "reason", 200),
        (CompleteForm, "summary", 1000),
    ],
)
def test_every_order_box_is_capped(form_class, name: str, length: int) -> None:
    assert f'maxlength="{length}"' in str(form_class()[name])


def test_an_overlong_summary_is_refused_beside_its_box(client, tree, people, menu, helper) -> None:
    order = accepted_order(people, menu, tree, helper, booked=timezone.now())
    client.force_login(people.volunteer)
    assert client.post(f"/volunteer/tasks/{order.pk}/start/").status_code == 302

    response = client.post(f"/volunteer/tasks/{order.pk}/complete/", {"summary": "长" * 1001})

    assert response.status_code == 400
    assert errors_of(response) == {"summary": ["服务小结不能超过 1000 个字。"]}
    order.refresh_from_db()
    assert order.status == S.IN_SERVICE


# ---------------------------------------------------------------- the volunteer application


def test_the_application_names_a_bad_id_number_with_the_other_errors(client, tree, people) -> None:
    valid = compose_id_number("430405", datetime.date(1992, 5, 17), 24)
    mistyped = valid[:17] + ("0" if valid[17] != "0" else "1")
    client.force_login(people.resident)

    response = client.post(
        f"/volunteer/apply/?county={tree.county_a.pk}&township={tree.township_a.pk}",
        {"real_name": "", "id_number": mistyped, "home_center": str(tree.village_a.pk)},
    )

    assert response.status_code == 200
    assert errors_of(response) == {
        "real_name": ["请填写真实姓名。"],
        "id_number": ["身份证号码校验位不正确，请核对后重新填写。"],
    }
    assert mistyped not in text(response)
    assert not Volunteer.objects.filter(user=people.resident).exists()
