"""/api/v1/orders/: placing, the scoped list and detail, and every step of the flow, with
who may take each step (404 out of sight, 403 the wrong person, 409 the wrong state)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.services import resident_register
from orders.models import Order, OrderEvent
from orders.proof import proof_code
from orders.services import order_accept, order_dispatch, order_place, order_start
from points.models import HoursClaim, HoursEntry
from practice.catalogue import service_menu_install
from practice.models import Service
from tests.api.conftest import queries_for
from tests.conftest import PASSWORD
from volunteers.identity import compose_id_number
from volunteers.models import Team, Volunteer
from volunteers.services import team_member_add, team_save, volunteer_create

URL = "/api/v1/orders/"
ACTIONS = ["dispatch", "accept", "decline", "start", "complete", "rate", "cancel", "reject"]


def order_url(order: Order, action: str = "") -> str:
    return f"{URL}{order.pk}/{action + '/' if action else ''}"


def new_volunteer(phone: str, name: str, sequence: int, center) -> Volunteer:
    user = resident_register(phone=phone, name=name, password=PASSWORD)
    return volunteer_create(
        user=user,
        real_name=name,
        id_number=compose_id_number("430405", datetime.date(1992, 2, 2), sequence),
        home_center=center,
        status=Volunteer.Status.ACTIVE,
    )


@pytest.fixture
def errand(tree) -> Service:
    service_menu_install(city=tree.city)
    return Service.objects.get(name="买菜送药")


@pytest.fixture
def cast(people, tree) -> SimpleNamespace:
    """Beside the personas: the persona volunteer's profile, village A's unit with the
    persona and two teammates, a volunteer of county B, a resident of county B."""
    volunteer = Volunteer.objects.get(user=people.volunteer)
    mate_1 = new_volunteer("13700000011", "周队员", 311, tree.village_a)
    mate_2 = new_volunteer("13700000012", "吴队员", 312, tree.village_a)
    unit = team_save(
        actor=None, team=Team(center=tree.village_a, kind="standing", name="王江社区志愿服务小队")
    )
    for member in (volunteer, mate_1, mate_2):
        team_member_add(actor=people.city_cadre, team=unit, volunteer=member)
    return SimpleNamespace(
        volunteer=volunteer,
        mate_1=mate_1,
        mate_2=mate_2,
        unit=unit,
        outsider_volunteer=new_volunteer("13700000021", "郑雁峰", 321, tree.village_b),
        other_resident=resident_register(phone="13900000002", name="王群众", password=PASSWORD),
    )


def place(people, tree, service, *, resident=None, center=None, title="帮忙买药") -> Order:
    return order_place(
        resident=resident or people.resident,
        service=service,
        center=center or tree.village_a,
        title=title,
        description="腿脚不便，请帮忙去药店买降压药。",
        address="王江社区3栋201",
        contact_phone="13900000001",
    )


def dispatched(people, tree, errand, cast, **target) -> Order:
    """An order of village A offered by the county cadre, to the persona by default."""
    order = place(people, tree, errand)
    return order_dispatch(
        actor=people.county_cadre, order_id=order.pk, **(target or {"volunteer": cast.volunteer})
    )


def valid_order(tree, errand, /, **changes: object) -> dict[str, object]:
    return {
        "service": errand.pk,
        "center": tree.village_a.pk,
        "title": "帮忙买药",
        "description": "腿脚不便，请帮忙去药店买降压药。",
        "address": "王江社区3栋201",
        "contact_phone": "13900000001",
        **changes,
    }


def snapshot(order: Order) -> tuple[object, ...]:
    order = Order.objects.get(pk=order.pk)
    return (
        order.status,
        order.dispatched_volunteer_id,
        order.dispatched_team_id,
        order.accepted_by_id,
        order.rating,
        OrderEvent.objects.filter(order=order).count(),
    )


# Bodies that would succeed for the right person at the right moment.
GOOD_BODIES: dict[str, dict[str, object]] = {
    "accept": {},
    "decline": {"reason": "今天在外地"},
    "start": {},
    "complete": {"summary": "药已送到"},
    "rate": {"score": 5, "comment": "很好"},
    "cancel": {"reason": "不需要了"},
    "reject": {"reason": "不属于服务范围"},
}


def body_for(action: str, cast) -> dict[str, object]:
    if action == "dispatch":
        return {"volunteer": cast.mate_1.pk}
    return GOOD_BODIES[action]


# --- anonymous ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_told_to_sign_in_everywhere(api_client, people, tree, errand):
    order = place(people, tree, errand)
    before = snapshot(order)

    responses = [
        api_client.get(URL),
        api_client.get(order_url(order)),
        api_client.post(URL, valid_order(tree, errand), format="json"),
        *[api_client.post(order_url(order, action), {}, format="json") for action in ACTIONS],
    ]

    assert [r.status_code for r in responses] == [401] * (3 + len(ACTIONS))
    assert Order.objects.count() == 1
    assert snapshot(order) == before


# --- the whole flow ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_whole_flow_over_the_api(client_for, people, tree, errand, cast):
    resident = client_for(people.resident)
    cadre = client_for(people.county_cadre)
    volunteer = client_for(people.volunteer)

    # resident places
    placed = resident.post(URL, valid_order(tree, errand), format="json")
    assert placed.status_code == 201
    order_id = placed.json()["id"]
    assert placed.json()["status"] == "placed"
    url = f"{URL}{order_id}/"

    # cadre dispatches to the persona volunteer
    response = cadre.post(f"{url}dispatch/", {"volunteer": cast.volunteer.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "dispatched"
    assert response.json()["dispatched_volunteer"] == cast.volunteer.pk
    assert response.json()["accept_deadline"] is not None

    # the volunteer accepts, starts, completes
    response = volunteer.post(f"{url}accept/", format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert response.json()["accepted_by"] == cast.volunteer.pk
    response = volunteer.post(f"{url}start/", format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "in_service"
    # with the code the resident read out (orders.proof)
    response = volunteer.post(
        f"{url}complete/",
        {"summary": "药已送到，叮嘱按时服用。", "proof_code": proof_code(order_id)},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert response.json()["summary"] == "药已送到，叮嘱按时服用。"
    assert response.json()["hours"] == "0.00"

    # the resident rates
    response = resident.post(f"{url}rate/", {"score": 5, "comment": "非常及时"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "rated"
    assert response.json()["rating"] == 5
    assert response.json()["rating_comment"] == "非常及时"

    # the timeline: six events in order, each with who
    body = resident.get(url).json()
    assert [(e["from_status"], e["to_status"], e["by"]) for e in body["events"]] == [
        (None, "placed", "张群众"),
        ("placed", "dispatched", "珠晖区管理员"),
        ("dispatched", "accepted", "李志愿"),
        ("accepted", "in_service", "李志愿"),
        ("in_service", "completed", "李志愿"),
        ("completed", "rated", "张群众"),
    ]
    times = [datetime.datetime.fromisoformat(e["at"]) for e in body["events"]]
    assert times == sorted(times)
    assert all(t.utcoffset() == datetime.timedelta(hours=8) for t in times)
    entry = HoursEntry.objects.get(volunteer=cast.volunteer)
    assert (entry.source, entry.source_id, entry.hours) == ("order", order_id, Decimal("0.00"))


@pytest.mark.django_db
def test_placing_answers_the_whole_order(client_for, people, tree, errand):
    # when
    response = client_for(people.resident).post(
        URL,
        valid_order(
            tree,
            errand,
            contact_phone="139-0000-0001",
            preferred_start="2030-12-01T09:00:00+08:00",
            preferred_end="2030-12-01T11:00:00+08:00",
        ),
        format="json",
    )

    # then
    assert response.status_code == 201
    order = Order.objects.get()
    body = response.json()
    created_at = body.pop("created_at")
    assert datetime.datetime.fromisoformat(created_at) == order.created_at
    assert body == {
        "id": order.pk,
        "kind": "service",
        "kind_name": "服务点单",
        "service": errand.pk,
        "service_name": "买菜送药",
        "center": tree.village_a.pk,
        "center_name": "王江社区居委会",
        "title": "帮忙买药",
        "status": "placed",
        "status_name": "待派单",
        "dispatched_volunteer": None,
        "dispatched_team": None,
        "accept_deadline": None,
        "accepted_by": None,
        "donor": None,
        "hours": None,
        "rating": None,
        "description": "腿脚不便，请帮忙去药店买降压药。",
        "address": "王江社区3栋201",
        "contact_phone": "13900000001",
        "resident_name": "张群众",
        "donor_name": None,
        "preferred_start": "2030-12-01T09:00:00+08:00",
        "preferred_end": "2030-12-01T11:00:00+08:00",
        "accepted_at": None,
        "started_at": None,
        "completed_at": None,
        "summary": "",
        "rating_comment": "",
        "contact_visible": True,
        "donor_confirmed_at": None,
        "events": [
            {
                "from_status": None,
                "to_status": "placed",
                "at": body["events"][0]["at"],
                "by": "张群众",
                "reason": "",
            }
        ],
        # shown to the resident only while a volunteer holds and serves the order
        "proof_code": None,
    }
    assert order.resident == people.resident
    assert (order.township, order.county) == (tree.township_a, tree.county_a)


@pytest.mark.django_db
def test_a_micro_wish_is_placed_as_its_own_kind(client_for, people, tree, errand):
    response = client_for(people.resident).post(
        URL, valid_order(tree, errand, kind="wish", title="想要一台旧电脑上网课"), format="json"
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "wish"
    assert Order.objects.get().kind == "wish"


@pytest.fixture
def wish_item(errand) -> Service:
    """The menu's wish item (微心愿, Service.is_wish), installed with the menu."""
    return Service.objects.get(is_wish=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("item", "kind"),
    [
        # the wish item posts a wish; so does a wish under another service, as it always
        # has; and a caller may order the wish item as an ordinary service
        ("wish_item", "wish"),
        ("errand", "wish"),
        ("wish_item", "service"),
        ("errand", "service"),
    ],
)
def test_the_kind_a_client_names_is_the_kind_placed(
    client_for, people, tree, errand, wish_item, item, kind
):
    service = {"wish_item": wish_item, "errand": errand}[item]

    response = client_for(people.resident).post(
        URL, valid_order(tree, service, kind=kind, title="想要一个新书包"), format="json"
    )

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["service"]) == (kind, service.pk)
    assert Order.objects.get().kind == kind


@pytest.mark.django_db
def test_the_wish_item_without_a_kind_posts_a_wish(client_for, people, tree, wish_item):
    response = client_for(people.resident).post(
        URL, valid_order(tree, wish_item, title="想要一个新书包"), format="json"
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "wish"


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"service": 999999}, {"service": ["所选的服务项目不存在。"]}),
        ({"service": "abc"}, {"service": ["请选择服务项目。"]}),
        ({"center": 999999}, {"center": ["所选的村（社区）不存在。"]}),
        ({"center": [1]}, {"center": ["请选择服务所在的村（社区）。"]}),
        ({"title": "药" * 101}, {"title": ["请确保这个字段不能超过 100 个字符。"]}),
        ({"title": 123}, {"title": ["应为文本，不能是数字、列表或其他类型。"]}),
        ({"title": "   "}, {"title": ["该字段不能为空。"]}),
        ({"address": ["王江"]}, {"address": ["应为文本，不能是数字、列表或其他类型。"]}),
        ({"contact_phone": "12345"}, {"contact_phone": ["手机号应为 11 位数字，当前为 5 位。"]}),
        ({"kind": "gift"}, {"kind": ["订单类型无效。"]}),
        (
            {"preferred_start": "明天"},
            {
                "preferred_start": [
                    "日期时间格式错误。请从这些格式中选择：YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]。"
                ]
            },
        ),
        (
            {
                "preferred_start": "2030-12-01T11:00:00+08:00",
                "preferred_end": "2030-12-01T09:00:00+08:00",
            },
            {"preferred_end": ["期望结束时间应晚于开始时间。"]},
        ),
    ],
)
def test_placing_refuses_bad_input(client_for, people, tree, errand, changes, errors):
    response = client_for(people.resident).post(
        URL, valid_order(tree, errand, **changes), format="json"
    )

    assert response.status_code == 400
    assert response.json() == errors
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_placing_at_a_township_is_refused(client_for, people, tree, errand):
    response = client_for(people.resident).post(
        URL, valid_order(tree, errand, center=tree.township_a.pk), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"center": ["请选择服务所在的村（社区）。"]}
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_placing_a_service_not_offered_there_is_refused(client_for, people, tree, errand):
    # given: a service of county B's own menu
    local = Service.objects.create(center=tree.county_b, platform="culture", name="花鼓戏培训")

    response = client_for(people.resident).post(
        URL, valid_order(tree, errand, service=local.pk), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"service": ["该村（社区）不提供此服务项目。"]}


@pytest.mark.django_db
def test_placing_names_every_missing_field(client_for, people):
    response = client_for(people.resident).post(URL, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "service": ["该字段是必填项。"],
        "center": ["该字段是必填项。"],
        "title": ["该字段是必填项。"],
        "address": ["该字段是必填项。"],
        "contact_phone": ["该字段是必填项。"],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "persona"),
    [("", "resident"), ("dispatch", "county_cadre"), ("rate", "resident"), ("cancel", "resident")],
)
def test_a_body_that_is_not_json_is_a_400_in_chinese(
    client_for, people, tree, errand, action, persona
):
    order = place(people, tree, errand)
    url = order_url(order, action) if action else URL

    response = client_for(getattr(people, persona)).post(
        url, data="{title: 帮忙", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "请求内容无法解析，请提交有效的 JSON。"}
    assert Order.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"score": 6}, {"score": ["评分应为 1 到 5 分。"]}),
        ({"score": 0}, {"score": ["评分应为 1 到 5 分。"]}),
        ({"score": "five"}, {"score": ["请填写合法的整数值。"]}),
        ({"score": True}, {"score": ["请填写合法的整数值。"]}),
        ({}, {"score": ["该字段是必填项。"]}),
        ({"score": 4, "comment": 5}, {"comment": ["应为文本，不能是数字、列表或其他类型。"]}),
        ({"score": 4, "comment": "好" * 501}, {"comment": ["请确保这个字段不能超过 500 个字符。"]}),
    ],
)
def test_rating_refuses_bad_input(client_for, people, tree, errand, cast, body, errors):
    # given: a completed order
    order = dispatched(people, tree, errand, cast)
    volunteer = client_for(people.volunteer)
    volunteer.post(order_url(order, "accept"))
    volunteer.post(order_url(order, "start"))
    volunteer.post(order_url(order, "complete"), {"summary": "已完成"}, format="json")

    response = client_for(people.resident).post(order_url(order, "rate"), body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert Order.objects.get(pk=order.pk).status == "completed"


@pytest.fixture
def in_service(people, tree, errand, cast) -> Order:
    order = dispatched(people, tree, errand, cast)
    order_accept(volunteer=cast.volunteer, order_id=order.pk)
    return order_start(volunteer=cast.volunteer, order_id=order.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        # Outside the service's cap (8 by default); a figure above the 3 hours measured but
        # within the cap is a proposal for a cadre (tests/points/test_proof.py).
        ({"summary": "已完成", "hours": -1}, {"hours": ["服务时长应在 0 到 8 小时之间。"]}),
        ({"summary": "已完成", "hours": 8.5}, {"hours": ["服务时长应在 0 到 8 小时之间。"]}),
        (
            {"summary": "已完成", "proof_code": ["1"]},
            {"proof_code": ["应为文本，不能是数字、列表或其他类型。"]},
        ),
        ({"summary": "已完成", "hours": "三"}, {"hours": ["请填写合法的数字。"]}),
        ({"hours": 1}, {"summary": ["该字段是必填项。"]}),
        ({"summary": "   "}, {"summary": ["该字段不能为空。"]}),
        ({"summary": ["已完成"]}, {"summary": ["应为文本，不能是数字、列表或其他类型。"]}),
    ],
)
def test_completing_refuses_bad_input(client_for, people, in_service, body, errors):
    # given: checked in three hours ago
    Order.objects.filter(pk=in_service.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=3)
    )

    response = client_for(people.volunteer).post(
        order_url(in_service, "complete"), body, format="json"
    )

    assert response.status_code == 400
    assert response.json() == errors
    assert Order.objects.get(pk=in_service.pk).status == "in_service"
    assert HoursEntry.objects.count() == 0


@pytest.mark.django_db
def test_completing_credits_the_hours_claimed(client_for, people, in_service, cast):
    Order.objects.filter(pk=in_service.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=3)
    )

    # with the resident's code (orders.proof): certified at once
    response = client_for(people.volunteer).post(
        order_url(in_service, "complete"),
        {"summary": "已完成", "hours": "2.5", "proof_code": proof_code(in_service.pk)},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["hours"] == "2.50"
    assert HoursEntry.objects.get(volunteer=cast.volunteer).hours == Decimal("2.50")
    assert Volunteer.objects.get(pk=cast.volunteer.pk).hours == Decimal("2.50")


@pytest.mark.django_db
def test_completing_without_hours_counts_from_check_in_capped(client_for, people, in_service):
    # given: checked in ten hours ago, past the cap of eight
    Order.objects.filter(pk=in_service.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=10)
    )

    response = client_for(people.volunteer).post(
        order_url(in_service, "complete"), {"summary": "已完成"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["hours"] == "8.00"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"non_field_errors": ["请选择派给一名志愿者或一支队伍。"]}),
        (
            {"volunteer": None, "team": None},
            {"non_field_errors": ["请选择派给一名志愿者或一支队伍。"]},
        ),
        ({"volunteer": 999999}, {"volunteer": ["志愿者不存在或不在您的管辖范围内。"]}),
        ({"volunteer": "李志愿"}, {"volunteer": ["请选择志愿者。"]}),
        ({"team": 999999}, {"team": ["队伍不存在或不在您的管辖范围内。"]}),
        ({"team": {"id": 1}}, {"team": ["请选择队伍。"]}),
    ],
)
def test_dispatching_refuses_bad_input(client_for, people, tree, errand, body, errors):
    order = place(people, tree, errand)

    response = client_for(people.county_cadre).post(
        order_url(order, "dispatch"), body, format="json"
    )

    assert response.status_code == 400
    assert response.json() == errors
    assert snapshot(order) == ("placed", None, None, None, None, 1)


@pytest.mark.django_db
def test_dispatching_both_a_volunteer_and_a_team_is_refused(client_for, people, tree, errand, cast):
    order = place(people, tree, errand)

    response = client_for(people.county_cadre).post(
        order_url(order, "dispatch"),
        {"volunteer": cast.volunteer.pk, "team": cast.unit.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["请选择派给一名志愿者或一支队伍。"]}


@pytest.mark.django_db
def test_dispatching_to_a_volunteer_outside_the_scope_is_a_400(
    client_for, people, tree, errand, cast
):
    order = place(people, tree, errand)

    response = client_for(people.county_cadre).post(
        order_url(order, "dispatch"), {"volunteer": cast.outsider_volunteer.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"volunteer": ["志愿者不存在或不在您的管辖范围内。"]}
    assert snapshot(order) == ("placed", None, None, None, None, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "label"), [("decline", "原因"), ("reject", "原因")])
def test_declining_and_rejecting_need_a_reason(
    client_for, people, tree, errand, cast, action, label
):
    order = dispatched(people, tree, errand, cast)
    user = people.volunteer if action == "decline" else people.county_cadre

    response = client_for(user).post(order_url(order, action), {"reason": " "}, format="json")

    assert response.status_code == 400
    assert response.json() == {"reason": [f"请填写{label}。"]}
    assert Order.objects.get(pk=order.pk).status == "dispatched"


# --- 409: the wrong moment ---------------------------------------------------------------


@pytest.mark.django_db
def test_two_teammates_accept_and_the_second_is_told_it_is_taken(
    client_for, people, tree, errand, cast
):
    # given: offered to village A's unit
    order = dispatched(people, tree, errand, cast, team=cast.unit)

    # when
    first = client_for(cast.mate_1.user).post(order_url(order, "accept"))
    second = client_for(cast.mate_2.user).post(order_url(order, "accept"))

    # then
    assert first.status_code == 200
    assert first.json()["accepted_by"] == cast.mate_1.pk
    assert second.status_code == 409
    assert second.json() == {
        "detail": "订单当前状态为“已接单”，不能接单。",
        "code": "not_allowed_in_accepted",
        "status": "accepted",
    }
    order.refresh_from_db()
    assert (order.status, order.accepted_by_id) == ("accepted", cast.mate_1.pk)
    assert OrderEvent.objects.filter(order=order, to_status="accepted").count() == 1
    # The one who lost no longer reads it; the holder does.
    assert client_for(cast.mate_2.user).get(order_url(order)).status_code == 404
    assert client_for(cast.mate_1.user).get(order_url(order)).status_code == 200


@pytest.mark.django_db
def test_rating_before_completion_is_a_409_naming_the_state(client_for, people, tree, errand):
    order = place(people, tree, errand)

    response = client_for(people.resident).post(
        order_url(order, "rate"), {"score": 5, "comment": "好"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "订单当前状态为“待派单”，不能评价。",
        "code": "not_allowed_in_placed",
        "status": "placed",
    }
    assert snapshot(order) == ("placed", None, None, None, None, 1)


@pytest.mark.django_db
def test_starting_before_accepting_is_a_409(client_for, people, tree, errand, cast):
    order = dispatched(people, tree, errand, cast)

    response = client_for(people.volunteer).post(order_url(order, "start"))

    assert response.status_code == 409
    assert response.json() == {
        "detail": "订单当前状态为“已派单”，不能开始服务。",
        "code": "not_allowed_in_dispatched",
        "status": "dispatched",
    }
    assert Order.objects.get(pk=order.pk).started_at is None


@pytest.mark.django_db
def test_cancelling_once_service_started_is_a_409(client_for, people, in_service):
    response = client_for(people.resident).post(order_url(in_service, "cancel"), format="json")

    assert response.status_code == 409
    assert response.json()["status"] == "in_service"
    assert response.json()["detail"] == "订单当前状态为“服务中”，不能取消。"
    assert Order.objects.get(pk=in_service.pk).status == "in_service"


@pytest.mark.django_db
def test_dispatching_an_order_already_offered_is_a_409(client_for, people, tree, errand, cast):
    order = dispatched(people, tree, errand, cast)

    response = client_for(people.county_cadre).post(
        order_url(order, "dispatch"), {"volunteer": cast.mate_1.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["status"] == "dispatched"
    assert Order.objects.get(pk=order.pk).dispatched_volunteer_id == cast.volunteer.pk


# --- the other steps ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_volunteer_declines_and_the_order_goes_back(
    client_for, people, tree, errand, cast, django_capture_on_commit_callbacks
):
    order = dispatched(people, tree, errand, cast)
    volunteer = client_for(people.volunteer)

    with django_capture_on_commit_callbacks() as enqueued:
        response = volunteer.post(
            order_url(order, "decline"), {"reason": "今天在外地"}, format="json"
        )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["dispatched_volunteer"], body["accept_deadline"]) == (
        "placed",
        None,
        None,
    )
    assert body["events"][-1]["reason"] == "今天在外地"
    assert order.refusals.get().volunteer == cast.volunteer
    # Auto-dispatch is on for the city: the order is offered again once this commits; and
    # the decline is notified.
    assert len(enqueued) == 2
    # No longer theirs to read.
    assert volunteer.get(order_url(order)).status_code == 404


@pytest.mark.django_db
def test_a_team_offer_is_not_declined_by_a_member(client_for, people, tree, errand, cast):
    order = dispatched(people, tree, errand, cast, team=cast.unit)

    response = client_for(cast.mate_1.user).post(
        order_url(order, "decline"), {"reason": "没空"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "派给队伍的订单无需谢绝，由队员自愿接单。"}
    assert Order.objects.get(pk=order.pk).status == "dispatched"


@pytest.mark.django_db
def test_the_resident_cancels_before_service(client_for, people, tree, errand, cast):
    order = dispatched(people, tree, errand, cast)

    response = client_for(people.resident).post(
        order_url(order, "cancel"), {"reason": "已自行解决"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert OrderEvent.objects.get(order=order, to_status="cancelled").reason == "已自行解决"


@pytest.mark.django_db
def test_a_cadre_rejects_with_a_reason(client_for, people, tree, errand):
    order = place(people, tree, errand)

    response = client_for(people.township_cadre).post(
        order_url(order, "reject"), {"reason": "请联系社区医院"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    event = OrderEvent.objects.get(order=order, to_status="rejected")
    assert (event.actor, event.reason) == (people.township_cadre, "请联系社区医院")


@pytest.mark.django_db
def test_a_cadre_dispatches_to_a_team(client_for, people, tree, errand, cast):
    order = place(people, tree, errand)

    response = client_for(people.village_cadre).post(
        order_url(order, "dispatch"), {"team": cast.unit.pk}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["dispatched_team"], body["dispatched_volunteer"]) == (
        "dispatched",
        cast.unit.pk,
        None,
    )
    # Every member of the team now sees it in their list.
    for member in (cast.volunteer, cast.mate_1, cast.mate_2):
        listed = client_for(member.user).get(URL).json()["results"]
        assert [row["id"] for row in listed] == [order.pk]


# --- who sees what -----------------------------------------------------------------------


@pytest.fixture
def spread(people, tree, errand, cast) -> SimpleNamespace:
    """Orders across the tree: two of the resident's (village A, one offered to the persona
    volunteer), one in township A2, one of county B, one held by the persona volunteer."""
    own = place(people, tree, errand, title="村A")
    offered = dispatched(people, tree, errand, cast)
    a2 = place(people, tree, errand, resident=cast.other_resident, center=tree.village_a3)
    held = place(people, tree, errand, resident=cast.other_resident, center=tree.village_a2)
    order_dispatch(actor=people.city_cadre, order_id=held.pk, volunteer=cast.volunteer)
    order_accept(volunteer=cast.volunteer, order_id=held.pk)
    county_b = place(people, tree, errand, resident=cast.other_resident, center=tree.village_b)
    return SimpleNamespace(own=own, offered=offered, a2=a2, held=held, county_b=county_b)


def user_of(people, cast, persona: str):
    found = getattr(people, persona, None) or getattr(cast, persona)
    # A Volunteer stands for its account.
    return getattr(found, "user", found)


def listed_ids(client) -> list[int]:
    return [row["id"] for row in client.get(URL).json()["results"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("resident", ["offered", "own"]),
        ("other_resident", ["county_b", "held", "a2"]),
        ("volunteer", ["held", "offered"]),
        ("mate_1", []),
        ("city_cadre", ["county_b", "held", "a2", "offered", "own"]),
        ("county_cadre", ["held", "a2", "offered", "own"]),
        ("township_cadre", ["held", "offered", "own"]),
        ("village_cadre", ["offered", "own"]),
        ("outsider_cadre", ["county_b"]),
    ],
)
def test_the_list_is_scoped(client_for, people, cast, spread, persona, expected):
    assert listed_ids(client_for(user_of(people, cast, persona))) == [
        getattr(spread, name).pk for name in expected
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("resident", 200),
        ("volunteer", 200),
        ("city_cadre", 200),
        ("county_cadre", 200),
        ("township_cadre", 200),
        ("village_cadre", 200),
        ("other_resident", 404),
        ("mate_1", 404),
        ("outsider_volunteer", 404),
        ("outsider_cadre", 404),
    ],
)
def test_one_order_is_scoped(client_for, people, cast, spread, persona, code):
    response = client_for(user_of(people, cast, persona)).get(order_url(spread.offered))

    assert response.status_code == code
    if code == 404:
        assert response.json() == {"detail": "订单不存在或不在您的管辖范围内。"}


@pytest.mark.django_db
def test_a_cadre_below_misses_a_sibling_townships_order(client_for, people, spread):
    for cadre in (people.township_cadre, people.village_cadre):
        assert client_for(cadre).get(order_url(spread.a2)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("persona", ["outsider_cadre", "other_resident", "outsider_volunteer"])
def test_out_of_sight_is_404_for_every_action_and_changes_nothing(
    client_for, people, cast, spread, action, persona, django_capture_on_commit_callbacks
):
    # given: the persona volunteer's offer, which none of these sees
    before = snapshot(spread.offered)

    with django_capture_on_commit_callbacks() as enqueued:
        response = client_for(user_of(people, cast, persona)).post(
            order_url(spread.offered, action), body_for(action, cast), format="json"
        )

    assert response.status_code == 404
    assert snapshot(spread.offered) == before
    assert enqueued == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "action", "message"),
    [
        ("resident", "dispatch", "只有管辖该订单的实践中心（所、站）管理人员可以派单。"),
        ("resident", "reject", "只有管辖该订单的实践中心（所、站）管理人员可以驳回订单。"),
        ("resident", "accept", "只有志愿者可以进行此操作。"),
        ("resident", "decline", "只有志愿者可以进行此操作。"),
        ("resident", "start", "只有志愿者可以进行此操作。"),
        ("resident", "complete", "只有志愿者可以进行此操作。"),
        ("volunteer", "dispatch", "只有管辖该订单的实践中心（所、站）管理人员可以派单。"),
        ("volunteer", "reject", "只有管辖该订单的实践中心（所、站）管理人员可以驳回订单。"),
        ("volunteer", "rate", "只有下单的群众可以评价。"),
        ("volunteer", "cancel", "只有下单的群众可以取消订单。"),
        ("county_cadre", "accept", "只有志愿者可以进行此操作。"),
        ("county_cadre", "decline", "只有志愿者可以进行此操作。"),
        ("county_cadre", "start", "只有志愿者可以进行此操作。"),
        ("county_cadre", "complete", "只有志愿者可以进行此操作。"),
        ("county_cadre", "rate", "只有下单的群众可以评价。"),
        ("county_cadre", "cancel", "只有下单的群众可以取消订单。"),
    ],
)
def test_the_wrong_person_who_sees_the_order_is_403(
    client_for, people, cast, spread, persona, action, message, django_capture_on_commit_callbacks
):
    before = snapshot(spread.offered)

    with django_capture_on_commit_callbacks() as enqueued:
        response = client_for(user_of(people, cast, persona)).post(
            order_url(spread.offered, action), body_for(action, cast), format="json"
        )

    assert response.status_code == 403
    assert response.json() == {"detail": message}
    assert snapshot(spread.offered) == before
    assert enqueued == []


@pytest.mark.django_db
def test_a_volunteer_not_offered_their_own_order_is_403_on_accept(
    client_for, people, tree, errand, cast
):
    # given: a volunteer places an order, which a cadre offers to a teammate
    order = place(people, tree, errand, resident=cast.mate_2.user)
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=cast.mate_1)

    response = client_for(cast.mate_2.user).post(order_url(order, "accept"))

    assert response.status_code == 403
    assert response.json() == {"detail": "该订单没有派给您。"}
    assert Order.objects.get(pk=order.pk).status == "dispatched"


@pytest.mark.django_db
def test_the_holder_alone_checks_in(client_for, people, tree, errand, cast):
    # given: a team offer taken by mate 1
    order = dispatched(people, tree, errand, cast, team=cast.unit)
    order_accept(volunteer=cast.mate_1, order_id=order.pk)

    # a teammate no longer sees it; the holder starts it
    assert client_for(cast.mate_2.user).post(order_url(order, "start")).status_code == 404
    assert client_for(cast.mate_1.user).post(order_url(order, "start")).status_code == 200
    assert Order.objects.get(pk=order.pk).status == "in_service"


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["99999999999999999999", "0", "abc"])
def test_ids_that_are_no_order_are_404(client_for, people, pk):
    client = client_for(people.county_cadre)

    assert client.get(f"{URL}{pk}/").status_code == 404
    assert client.post(f"{URL}{pk}/accept/").status_code == 404


# --- the contact phone -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "phone"),
    [
        ("resident", "13900000001"),
        ("county_cadre", "13900000001"),
        # Offered is not held: by name or through a team, the phone waits for the accept.
        ("volunteer", "139****0001"),
        ("mate_1", "139****0001"),
    ],
)
def test_the_contact_phone_is_masked_until_the_offer_is_accepted(
    client_for, people, tree, errand, cast, persona, phone
):
    # given: offered to the persona volunteer by name; also to mate 1 through a team
    named = dispatched(people, tree, errand, cast)
    pooled = dispatched(people, tree, errand, cast, team=cast.unit)
    order = pooled if persona == "mate_1" else named

    body = client_for(user_of(people, cast, persona)).get(order_url(order)).json()

    assert body["contact_phone"] == phone


@pytest.mark.django_db
def test_the_holder_of_a_team_offer_sees_the_phone(client_for, people, tree, errand, cast):
    order = dispatched(people, tree, errand, cast, team=cast.unit)

    body = client_for(cast.mate_1.user).post(order_url(order, "accept")).json()

    assert body["contact_phone"] == "13900000001"


# --- the list: filters, pages, queries ---------------------------------------------------


@pytest.mark.django_db
def test_the_list_filters_by_status_and_center(client_for, people, spread):
    cadre = client_for(people.county_cadre)

    by_status = cadre.get(URL, {"status": "dispatched"}).json()["results"]
    by_township = cadre.get(URL, {"center": spread.a2.township_id}).json()["results"]
    by_village = cadre.get(URL, {"center": spread.own.center_id}).json()["results"]
    by_county = cadre.get(URL, {"center": spread.own.county_id}).json()["results"]
    outside = cadre.get(URL, {"center": spread.county_b.county_id}).json()["results"]
    bad = cadre.get(URL, {"center": 999999})

    assert [row["id"] for row in by_status] == [spread.offered.pk]
    assert [row["id"] for row in by_township] == [spread.a2.pk]
    assert [row["id"] for row in by_village] == [spread.offered.pk, spread.own.pk]
    assert [row["id"] for row in by_county] == [
        spread.held.pk,
        spread.a2.pk,
        spread.offered.pk,
        spread.own.pk,
    ]
    assert outside == []
    assert bad.status_code == 400
    assert bad.json() == {"center": ["阵地不存在。"]}


@pytest.mark.django_db
def test_the_filters_run_only_when_one_is_named(client_for, people, spread):
    # given: the filter backend leaves django-filter out when no filter is named
    cadre = client_for(people.county_cadre)
    # when
    everything = cadre.get(URL)
    unrelated = cadre.get(URL, {"utm_source": "wechat"})
    bad_and_unrelated = cadre.get(URL, {"utm_source": "wechat", "status": "bogus"})
    # then: a parameter that is no filter changes nothing; a filter among others still runs
    ids = [row["id"] for row in everything.json()["results"]]
    assert len(ids) == 4
    assert [row["id"] for row in unrelated.json()["results"]] == ids
    assert bad_and_unrelated.status_code == 400
    assert "status" in bad_and_unrelated.json()


@pytest.mark.django_db
def test_a_list_row_has_the_contract_fields(client_for, people, spread, cast, tree):
    row = client_for(people.volunteer).get(URL).json()["results"][0]

    row.pop("created_at")
    row.pop("accept_deadline")
    assert row == {
        "id": spread.held.pk,
        "kind": "service",
        "kind_name": "服务点单",
        "service": spread.held.service_id,
        "service_name": "买菜送药",
        "center": tree.village_a2.pk,
        "center_name": "新园社区居委会",
        "title": "帮忙买药",
        "status": "accepted",
        "status_name": "已接单",
        "dispatched_volunteer": cast.volunteer.pk,
        "dispatched_team": None,
        "accepted_by": cast.volunteer.pk,
        "donor": None,
        "hours": None,
        "rating": None,
    }


@pytest.mark.django_db
def test_the_list_pages_by_cursor(client_for, people, tree, errand):
    # given
    orders = [place(people, tree, errand, title=f"第{n}单") for n in range(25)]
    client = client_for(people.resident)

    # when
    first = client.get(URL).json()
    second = client.get(first["next"]).json()

    # then
    newest_first = [order.pk for order in reversed(orders)]
    assert set(first) == {"next", "previous", "results"}
    assert [row["id"] for row in first["results"]] == newest_first[:20]
    assert first["previous"] is None
    assert "cursor=" in first["next"]
    assert [row["id"] for row in second["results"]] == newest_first[20:]
    assert second["next"] is None
    back = client.get(second["previous"]).json()
    assert [row["id"] for row in back["results"]] == newest_first[:20]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["resident", "volunteer", "county_cadre", "village_cadre"])
def test_the_list_costs_the_same_for_5_and_25_orders(
    client_for, people, tree, errand, cast, persona
):
    user = user_of(people, cast, persona)

    def add(count: int) -> None:
        for _n in range(count):
            order = place(people, tree, errand)
            order_dispatch(actor=people.city_cadre, order_id=order.pk, volunteer=cast.volunteer)

    add(5)
    client = client_for(user)
    few, response = queries_for(client, URL)
    assert len(response.json()["results"]) == 5
    add(20)
    many, response = queries_for(client, URL)
    assert len(response.json()["results"]) == 20

    # The token, then for a cadre their roles (with "orders of their own?"), for others
    # "is a cadre?" and the volunteer profile, then the page.
    assert few == many == (3 if persona.endswith("cadre") else 4)


@pytest.mark.django_db
def test_the_detail_costs_the_same_however_long_the_timeline(
    client_for, people, tree, errand, cast, in_service
):
    fresh = place(people, tree, errand)
    client = client_for(people.resident)

    short, _r = queries_for(client, order_url(fresh))
    long, _r = queries_for(client, order_url(in_service))

    assert OrderEvent.objects.filter(order=in_service).count() == 4
    # The token, "is a cadre?", the volunteer profile, the order, its events with actors.
    assert short == long == 5


# --- schema ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_describes_every_order_path(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()

    paths = schema["paths"]
    assert set(paths[URL]) == {"get", "post"}
    assert set(paths[f"{URL}{{id}}/"]) == {"get"}
    for action in ACTIONS:
        assert set(paths[f"{URL}{{id}}/{action}/"]) == {"post"}, action
    assert "201" in paths[URL]["post"]["responses"]
    list_filters = {p["name"] for p in paths[URL]["get"]["parameters"]}
    assert {"status", "center", "kind", "cursor"} <= list_filters
    detail = schema["components"]["schemas"]["OrderDetail"]["properties"]
    assert {"events", "contact_phone", "summary", "rating_comment"} <= set(detail)


@pytest.mark.django_db
def test_a_wrong_proof_code_is_a_400_on_its_field_and_counts(client_for, people, in_service):
    wrong = "000000" if proof_code(in_service.pk) != "000000" else "111111"
    response = client_for(people.volunteer).post(
        order_url(in_service, "complete"), {"summary": "已完成", "proof_code": wrong}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["proof_code"] == ["核验码不正确，还可尝试 4 次。"]
    assert Order.objects.get(pk=in_service.pk).proof_failures == 1
    assert Order.objects.get(pk=in_service.pk).status == Order.Status.IN_SERVICE


@pytest.mark.django_db
def test_completing_without_the_code_leaves_the_hours_for_the_resident(
    client_for, people, in_service, cast
):
    Order.objects.filter(pk=in_service.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=2)
    )
    response = client_for(people.volunteer).post(
        order_url(in_service, "complete"), {"summary": "已完成"}, format="json"
    )
    assert response.status_code == 200
    assert not HoursEntry.objects.filter(volunteer=cast.volunteer).exists()
    assert HoursClaim.objects.get(order_id=in_service.pk).status == "awaiting_resident"


@pytest.mark.django_db
def test_the_resident_reads_the_proof_code_in_the_detail_and_nobody_else(
    client_for, people, in_service
):
    resident = client_for(people.resident).get(f"{URL}{in_service.pk}/").json()
    volunteer = client_for(people.volunteer).get(f"{URL}{in_service.pk}/").json()
    assert resident["proof_code"] == proof_code(in_service.pk)
    assert volunteer["proof_code"] is None
