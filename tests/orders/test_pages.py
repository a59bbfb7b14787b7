"""The order flow's web pages: who may see and do what, the flow through the pages, bad
input in Chinese, and list pages whose query count does not grow with the rows."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from accounts.services import resident_register
from orders import services
from orders.models import Order, OrderEvent
from orders.proof import proof_code
from points.models import HoursEntry
from tests.conftest import PASSWORD
from tests.support.order_form import order_form_post
from tests.support.queries import exact_get

from .conftest import PHONE, make_team, make_volunteer, place

S = Order.Status


def monday_morning() -> datetime.datetime:
    """Next week's Monday at 10:00 in Hengyang: a slot every test volunteer is free in,
    whatever the clock says now (the dispatch page ranks for the wanted time)."""
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    return timezone.make_aware(datetime.datetime.combine(monday, datetime.time(10, 0)))


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def login(client, user):
    client.force_login(user)
    return client


def other_resident():
    return resident_register(phone="13900000077", name="王邻居", password=PASSWORD)


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(
    "path",
    [
        "/orders/",
        "/orders/new/?service=1",
        "/orders/1/",
        "/orders/dispatch/",
        "/orders/dispatch/1/",
        "/volunteer/tasks/",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


def test_anonymous_posts_change_nothing(client, order) -> None:
    for action in ("cancel", "rate"):
        response = client.post(f"/orders/{order.pk}/{action}/", {"score": "5"})
        assert response.status_code == 302
    assert client.post(f"/volunteer/tasks/{order.pk}/accept/").status_code == 302
    order.refresh_from_db()
    assert order.status == S.PLACED


def test_a_resident_sees_only_their_own_orders(client, tree, people, menu, order) -> None:
    neighbour = other_resident()
    theirs = place(people, menu, tree.village_a, title="邻居的单", resident=neighbour)
    login(client, people.resident)

    listing = text(client.get("/orders/"))
    assert "帮忙买药" in listing
    assert "邻居的单" not in listing
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    assert client.get(f"/orders/{theirs.pk}/").status_code == 404
    assert client.post(f"/orders/{theirs.pk}/cancel/").status_code == 404
    assert client.get("/orders/dispatch/").status_code == 404
    assert client.get(f"/orders/dispatch/{order.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.PLACED
    assert OrderEvent.objects.filter(order=theirs).count() == 1


def test_a_volunteer_sees_only_orders_offered_to_them_or_held(
    client, tree, people, menu, helper
) -> None:
    stranger = make_volunteer(201, tree.village_a, cadre=people.city_cadre)
    mine = place(people, menu, tree.village_a, title="派给我的单")
    services.order_dispatch(actor=people.township_cadre, order_id=mine.pk, volunteer=helper)
    elsewhere = place(people, menu, tree.village_a, title="派给别人的单")
    services.order_dispatch(actor=people.township_cadre, order_id=elsewhere.pk, volunteer=stranger)
    waiting = place(people, menu, tree.village_a, title="还没派的单")
    login(client, people.volunteer)

    page = text(client.get("/volunteer/tasks/"))
    assert "派给我的单" in page
    assert "派给别人的单" not in page
    assert "还没派的单" not in page
    assert client.get(f"/orders/{mine.pk}/").status_code == 200
    assert client.get(f"/orders/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/orders/{waiting.pk}/").status_code == 404
    assert client.post(f"/volunteer/tasks/{elsewhere.pk}/accept/").status_code == 404
    assert (
        client.post(f"/volunteer/tasks/{elsewhere.pk}/decline/", {"reason": "忙"}).status_code
        == 404
    )
    assert client.post(f"/volunteer/tasks/{elsewhere.pk}/start/").status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == S.DISPATCHED
    assert elsewhere.dispatched_volunteer == stranger
    assert client.get("/orders/dispatch/").status_code == 404


def test_a_resident_without_a_volunteer_profile_is_sent_from_tasks_to_the_profile(
    client, people
) -> None:
    response = login(client, people.resident).get("/volunteer/tasks/")
    assert response.status_code == 302
    assert response["Location"] == "/volunteer/"


def test_the_dispatch_page_lists_only_the_cadres_subtree(client, tree, people, menu) -> None:
    ours = place(people, menu, tree.village_a, title="衡州路的单")
    next_door = place(people, menu, tree.village_a3, title="广东路的单")
    far = place(people, menu, tree.village_b, title="雁峰区的单")
    services.order_flag_undispatchable(order_id=ours.pk)

    page = text(login(client, people.township_cadre).get("/orders/dispatch/"))
    assert "衡州路的单" in page
    assert "广东路的单" not in page
    assert "雁峰区的单" not in page
    assert f'class="order-item flagged" id="order-{ours.pk}"' in page
    assert "无人可派" in page
    assert f'href="/orders/dispatch/{ours.pk}/"' in text(client.get(f"/orders/{ours.pk}/"))
    assert client.get(f"/orders/dispatch/{next_door.pk}/").status_code == 404
    assert client.get(f"/orders/{far.pk}/").status_code == 404

    county = text(login(client, people.county_cadre).get("/orders/dispatch/"))
    assert "衡州路的单" in county
    assert "广东路的单" in county
    assert "雁峰区的单" not in county


def test_an_outsider_cadre_gets_404_on_county_a_orders_and_changes_nothing(
    client, tree, people, menu, helper, order
) -> None:
    login(client, people.outsider_cadre)
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert client.get(f"/orders/dispatch/{order.pk}/").status_code == 404
    assert "帮忙买药" not in text(client.get("/orders/dispatch/"))
    response = client.post(f"/orders/dispatch/{order.pk}/", {"volunteer": helper.pk})
    assert response.status_code == 404
    assert client.post(f"/orders/{order.pk}/cancel/").status_code == 404
    order.refresh_from_db()
    assert order.status == S.PLACED
    assert order.dispatched_volunteer is None
    assert OrderEvent.objects.filter(order=order).count() == 1


def test_a_cadre_cannot_dispatch_to_a_volunteer_outside_their_subtree(
    client, tree, people, menu, order
) -> None:
    outside = make_volunteer(301, tree.village_b, cadre=people.city_cadre)
    login(client, people.township_cadre)
    response = client.post(f"/orders/dispatch/{order.pk}/", {"volunteer": outside.pk})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == S.PLACED


# ---------------------------------------------------------------- the flow


def test_the_whole_flow_through_the_pages(client, tree, people, menu, helper) -> None:
    wanted = monday_morning()
    login(client, people.resident)

    # the cascade: county, then township, then the village list and the form
    first = text(client.get(f"/orders/new/?service={menu.errand.pk}"))
    assert "买菜送药" in first
    assert 'name="center"' not in first
    step = text(
        client.get(
            f"/orders/new/?service={menu.errand.pk}&county={tree.county_a.pk}"
            f"&township={tree.township_a.pk}"
        )
    )
    assert "王江社区居委会" in step
    assert "新园社区居委会" in step
    assert "湖北路社区居委会" not in step
    assert 'value="13900000001"' in step  # the account's phone, prefilled

    response = order_form_post(
        client,
        f"/orders/new/?service={menu.errand.pk}&county={tree.county_a.pk}&township={tree.township_a.pk}",
        {
            "service": menu.errand.pk,
            "center": tree.village_a.pk,
            "title": "帮奶奶买降压药",
            "description": "奶奶腿脚不便",
            "address": "王江社区3栋201",
            "contact_phone": "139 0000 0001",
            "preferred_start": wanted.strftime("%Y-%m-%dT%H:%M"),
            "preferred_end": (wanted + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    order = Order.objects.get(title="帮奶奶买降压药")
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.pk}/"
    assert order.resident == people.resident
    assert order.center == tree.village_a
    assert order.contact_phone == "13900000001"
    assert order.preferred_start == wanted
    assert order.status == S.PLACED
    detail = text(client.get(f"/orders/{order.pk}/"))
    assert "待派单" in detail
    assert f'action="/orders/{order.pk}/cancel/"' in detail
    assert f'href="/orders/dispatch/{order.pk}/"' not in detail

    # the township cadre sees the candidate, with why, and dispatches
    login(client, people.township_cadre)
    page = text(client.get(f"/orders/dispatch/{order.pk}/"))
    assert "李志愿" in page
    assert "同村（社区） · 进行中任务 0 个 · 尚未接过单" in page
    response = client.post(f"/orders/dispatch/{order.pk}/", {"volunteer": helper.pk})
    assert response.status_code == 302
    assert response["Location"] == "/orders/dispatch/"
    order.refresh_from_db()
    assert order.status == S.DISPATCHED
    assert order.dispatched_volunteer == helper

    # the volunteer accepts, starts and completes on the task page
    login(client, people.volunteer)
    tasks = text(client.get("/volunteer/tasks/"))
    assert f'action="/volunteer/tasks/{order.pk}/accept/"' in tasks
    assert client.post(f"/volunteer/tasks/{order.pk}/accept/").status_code == 302
    tasks = text(client.get("/volunteer/tasks/"))
    assert "接单成功" in tasks
    assert f'action="/volunteer/tasks/{order.pk}/start/"' in tasks
    # the booked Monday comes: check-in opens shortly before it (orders.rules)
    Order.objects.filter(pk=order.pk).update(
        preferred_start=timezone.now() + datetime.timedelta(minutes=30)
    )
    assert client.post(f"/volunteer/tasks/{order.pk}/start/").status_code == 302
    Order.objects.filter(pk=order.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=1, minutes=30)
    )
    # with the code the resident reads from their order page (orders.proof)
    response = client.post(
        f"/volunteer/tasks/{order.pk}/complete/",
        {"summary": "药已送到", "proof_code": proof_code(order.pk)},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.COMPLETED
    assert str(order.hours) == "1.50"
    tasks = text(client.get("/volunteer/tasks/"))
    assert "已签退，本次服务记 1.50 小时。" in tasks
    assert '<dd class="hours">1.50 小时</dd>' in tasks
    assert HoursEntry.objects.filter(source_id=order.pk).count() == 1

    # the resident rates it and sees the whole timeline
    login(client, people.resident)
    detail = text(client.get(f"/orders/{order.pk}/"))
    assert f'action="/orders/{order.pk}/rate/"' in detail
    assert "cancel-form" not in detail
    response = client.post(f"/orders/{order.pk}/rate/", {"score": "5", "comment": "很及时"})
    assert response.status_code == 302
    detail = text(client.get(f"/orders/{order.pk}/"))
    moves = re.findall(r'<span class="move">([^<]*)</span>', detail)
    assert moves == [
        "待派单",
        "待派单 → 已派单",
        "已派单 → 已接单",
        "已接单 → 服务中",
        "服务中 → 已完成",
        "已完成 → 已评价",
    ]
    assert "感谢您的评价！" in detail
    assert '<dd class="rating">5 分</dd>' in detail
    assert "rate-form" not in detail
    order.refresh_from_db()
    assert (order.status, order.rating, order.rating_comment) == (S.RATED, 5, "很及时")


def test_a_team_dispatch_goes_to_the_first_member_who_accepts(
    client, tree, people, menu, team, order
) -> None:
    first, second = team.members[0], team.members[1]
    login(client, people.township_cadre)
    page = text(client.get(f"/orders/dispatch/{order.pk}/"))
    assert "王江社区志愿服务小队" in page
    client.post(f"/orders/dispatch/{order.pk}/", {"team": team.team.pk})
    order.refresh_from_db()
    assert order.dispatched_team == team.team

    login(client, second.user)
    assert "帮忙买药" in text(client.get("/volunteer/tasks/"))
    login(client, first.user)
    client.post(f"/volunteer/tasks/{order.pk}/accept/")
    login(client, second.user)
    response = client.post(f"/volunteer/tasks/{order.pk}/accept/", follow=True)
    assert "已被其他志愿者接单。" in text(response)
    order.refresh_from_db()
    assert order.accepted_by == first
    # A volunteer outside the team learns nothing about it.
    outsider = make_volunteer(401, tree.village_a, cadre=people.city_cadre)
    assert (
        login(client, outsider.user).post(f"/volunteer/tasks/{order.pk}/accept/").status_code == 404
    )


def test_a_refused_transition_names_the_current_state(client, people, order, helper) -> None:
    services.order_dispatch(actor=people.township_cadre, order_id=order.pk, volunteer=helper)
    services.order_accept(volunteer=helper, order_id=order.pk)
    services.order_start(volunteer=helper, order_id=order.pk)
    login(client, people.resident)
    detail = text(client.get(f"/orders/{order.pk}/"))
    assert "cancel-form" not in detail
    response = client.post(f"/orders/{order.pk}/cancel/", follow=True)
    assert "订单当前状态为“服务中”，不能取消。" in text(response)
    response = client.post(f"/orders/{order.pk}/rate/", {"score": "4"}, follow=True)
    assert "订单当前状态为“服务中”，不能评价。" in text(response)
    login(client, people.volunteer)
    response = client.post(f"/volunteer/tasks/{order.pk}/start/", follow=True)
    assert "订单当前状态为“服务中”，不能开始服务。" in text(response)
    order.refresh_from_db()
    assert order.status == S.IN_SERVICE


def test_a_volunteer_declines_with_a_reason(client, people, order, helper) -> None:
    services.order_dispatch(actor=people.township_cadre, order_id=order.pk, volunteer=helper)
    login(client, people.volunteer)
    response = client.post(f"/volunteer/tasks/{order.pk}/decline/", {"reason": "  "})
    assert response.status_code == 400
    assert '<p class="error" role="alert">请填写原因。</p>' in text(response)
    response = client.post(f"/volunteer/tasks/{order.pk}/decline/", {"reason": "今天在外地"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.PLACED
    assert order.events.last().reason == "今天在外地"


# ---------------------------------------------------------------- bad input


def _post_order(client, tree, menu, **overrides):
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
        f"/orders/new/?service={data['service']}&county={tree.county_a.pk}&township={tree.township_a.pk}",
        data,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": " "}, "请填写标题。"),
        ({"title": "药" * 101}, "标题不能超过 100 个字。"),
        ({"address": ""}, "请填写服务地址。"),
        ({"description": "长" * 1001}, "需求描述不能超过 1000 个字。"),
        ({"contact_phone": "12345"}, "手机号"),
        ({"center": "TOWNSHIP"}, "请选择服务所在的村（社区）。"),
        ({"center": ""}, "请选择服务所在的村（社区）。"),
        ({"preferred_start": "明天上午"}, "请按“年-月-日 时:分”填写时间。"),
        (
            {"preferred_start": "2030-01-07T10:00", "preferred_end": "2030-01-07T09:00"},
            "期望结束时间应晚于开始时间。",
        ),
    ],
)
def test_bad_order_input_is_refused_beside_its_field_in_chinese(
    client, tree, people, menu, overrides, message: str
) -> None:
    if overrides.get("center") == "TOWNSHIP":
        overrides["center"] = tree.township_a.pk
    response = _post_order(login(client, people.resident), tree, menu, **overrides)
    assert response.status_code == 400
    errors = re.findall(r'<p class="error" role="alert">([^<]*)</p>', text(response))
    assert len(errors) == 1
    assert message in errors[0]
    assert not Order.objects.exists()


def test_a_service_not_offered_at_the_village_is_refused(client, tree, people, menu) -> None:
    response = _post_order(
        login(client, people.resident), tree, menu, service=menu.county_b_only.pk
    )
    assert response.status_code == 400
    assert "该村（社区）不提供此服务项目。" in text(response)
    assert not Order.objects.exists()


@pytest.mark.parametrize("service", ["999999", "abc", ""])
def test_an_unknown_service_is_a_400_in_chinese(client, people, menu, service: str) -> None:
    response = login(client, people.resident).get(f"/orders/new/?service={service}")
    assert response.status_code == 400
    assert "服务项目不存在或已下架，请从服务菜单重新选择。" in text(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"score": "6"}, "评分应为 1 到 5 分。"),
        ({"score": "0"}, "评分应为 1 到 5 分。"),
        ({}, "请选择评分。"),
        ({"score": "5", "comment": "好" * 501}, "评价不能超过 500 个字。"),
    ],
)
def test_a_bad_rating_is_refused_in_chinese(client, people, order, helper, data, message) -> None:
    services.order_dispatch(actor=people.township_cadre, order_id=order.pk, volunteer=helper)
    services.order_accept(volunteer=helper, order_id=order.pk)
    services.order_start(volunteer=helper, order_id=order.pk)
    services.order_complete(volunteer=helper, order_id=order.pk, summary="好了")
    response = login(client, people.resident).post(f"/orders/{order.pk}/rate/", data)
    assert response.status_code == 400
    assert f'<p class="error" role="alert">{message}</p>' in text(response)
    order.refresh_from_db()
    assert order.status == S.COMPLETED


def test_completing_without_a_summary_is_refused(client, people, order, helper) -> None:
    services.order_dispatch(actor=people.township_cadre, order_id=order.pk, volunteer=helper)
    services.order_accept(volunteer=helper, order_id=order.pk)
    services.order_start(volunteer=helper, order_id=order.pk)
    response = login(client, people.volunteer).post(f"/volunteer/tasks/{order.pk}/complete/")
    assert response.status_code == 400
    assert '<p class="error" role="alert">请填写服务小结。</p>' in text(response)
    order.refresh_from_db()
    assert order.status == S.IN_SERVICE


def test_a_dispatch_without_a_target_is_refused(client, people, order) -> None:
    response = login(client, people.township_cadre).post(f"/orders/dispatch/{order.pk}/", {})
    assert response.status_code == 400
    assert "请选择派给一名志愿者或一支队伍。" in text(response)
    order.refresh_from_db()
    assert order.status == S.PLACED


# ---------------------------------------------------------------- query counts


def _more_orders(people, menu, tree, helper, count: int, *, start: int) -> None:
    """``count`` orders in every state the pages show: placed, offered to the helper,
    offered to the helper's team, held and done by the helper."""
    team = getattr(helper, "_team", None)
    for number in range(start, start + count):
        order = place(people, menu, tree.village_a, title=f"单{number}")
        kind = number % 5
        if kind == 0:
            continue
        services.order_dispatch(
            actor=people.township_cadre,
            order_id=order.pk,
            volunteer=helper if kind != 2 else None,
            team=team if kind == 2 else None,
        )
        if kind >= 3:
            services.order_accept(volunteer=helper, order_id=order.pk)
        if kind == 4:
            services.order_start(volunteer=helper, order_id=order.pk)


@pytest.mark.parametrize(
    ("who", "path", "queries"),
    [
        ("resident", "/orders/", 8),
        ("volunteer", "/volunteer/tasks/", 8),
        ("township_cadre", "/orders/dispatch/", 9),
    ],
)
def test_list_pages_cost_the_same_queries_for_3_and_12_orders(
    client, tree, people, menu, helper, who: str, path: str, queries: int
) -> None:
    """Both counts pinned (a +1 query fails)."""
    helper._team = make_team(tree.village_a, people.city_cadre, [helper], "王江社区小队")
    login(client, getattr(people, who))
    _more_orders(people, menu, tree, helper, 3, start=0)
    exact_get(client, path, queries)
    _more_orders(people, menu, tree, helper, 9, start=3)
    assert Order.objects.count() == 12
    exact_get(client, path, queries)
