"""The cadre admin over orders: what each cadre sees, what answers 404, that no field is
edited there, that both actions go through the services and report refusals as messages,
and that the list costs the same number of queries however many rows it shows."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.services import resident_register
from orders.models import Order, OrderEvent
from orders.services import (
    auto_dispatch_enabled,
    order_accept,
    order_dispatch,
    order_flag_undispatchable,
)
from practice.models import Center
from tests.orders.conftest import AT, place
from tests.support.queries import exact_get
from volunteers.availability import slot_bit_at

pytestmark = pytest.mark.django_db

S = Order.Status


def url(action: str, obj: Any = None) -> str:
    args = [] if obj is None else [obj.pk]
    return reverse(f"admin:orders_order_{action}", args=args)


def listed_titles(response) -> set[str]:
    return {order.title for order in response.context["cl"].result_list}


def messages_of(response) -> list[str]:
    return [message.message for message in response.context["messages"]]


def act(client, action: str, orders: list[Order], **extra: Any):
    data = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in orders], "index": "0"}
    data.update(extra)
    return client.post(url("changelist"), data, follow=True)


def statuses() -> dict[int, str]:
    return dict(Order.objects.values_list("pk", "status"))


@pytest.fixture
def orders(tree, people, menu) -> SimpleNamespace:
    """One placed order in each village: A, A2 (township A), A3 (township A2) and B."""
    return SimpleNamespace(
        a=place(people, menu, tree.village_a, title="王江买药"),
        a2=place(people, menu, tree.village_a2, title="新园买药"),
        a3=place(people, menu, tree.village_a3, title="湖北路买药"),
        b=place(people, menu, tree.village_b, title="天马山买药"),
    )


@pytest.fixture
def at_monday_morning(monkeypatch):
    """The dispatcher asks who is free now; ask it about the fixed Monday morning ``AT``
    instead, whatever the clock of the test run says."""
    monkeypatch.setattr("orders.selectors.slot_bit_at", lambda moment: slot_bit_at(AT))
    # Whether it is night (no one flagged then) is asked of the same morning.
    monkeypatch.setattr("orders.dispatch.slot_start", lambda moment: AT.replace(hour=6))


# --- who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "titles"),
    [
        ("city_cadre", {"王江买药", "新园买药", "湖北路买药", "天马山买药"}),
        ("county_cadre", {"王江买药", "新园买药", "湖北路买药"}),
        ("township_cadre", {"王江买药", "新园买药"}),
        ("village_cadre", {"王江买药"}),
        ("outsider_cadre", {"天马山买药"}),
    ],
)
def test_order_changelist_lists_exactly_the_cadres_subtree(client, people, orders, persona, titles):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(url("changelist"))
    # then
    assert response.status_code == 200
    assert listed_titles(response) == titles


def test_order_search_stays_inside_the_subtree(client, people, orders):
    # given
    client.force_login(people.county_cadre)
    # when
    elsewhere = client.get(url("changelist"), {"q": "天马山"})
    own = client.get(url("changelist"), {"q": "湖北路"})
    # then
    assert listed_titles(elsewhere) == set()
    assert listed_titles(own) == {"湖北路买药"}


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_outsider_gets_404_on_every_view_of_another_countys_order(client, people, orders, view):
    # given
    client.force_login(people.outsider_cadre)
    # when
    response = client.get(url(view, orders.a))
    # then
    assert response.status_code == 404


def test_a_village_cadre_cannot_open_an_order_of_the_neighbouring_village(client, people, orders):
    # given
    client.force_login(people.village_cadre)
    # when
    neighbour = client.get(url("change", orders.a2))
    own = client.get(url("change", orders.a))
    # then
    assert neighbour.status_code == 404
    assert own.status_code == 200


def test_a_missing_order_answers_404(client, people, orders):
    # given
    client.force_login(people.city_cadre)
    # when
    response = client.get(reverse("admin:orders_order_change", args=[987654]))
    # then
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["resident", "volunteer"])
def test_residents_and_volunteers_do_not_get_into_the_order_admin(client, people, orders, persona):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(url("changelist"))
    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("action", ["reject_orders", "auto_dispatch_orders"])
def test_actions_on_another_countys_order_are_404_and_change_nothing(
    client, people, orders, action, at_monday_morning
):
    # given: the outsider selects one of their own and one of county A
    client.force_login(people.outsider_cadre)
    before = statuses()
    # when
    response = act(client, action, [orders.b, orders.a3], reason="不提供此服务", confirm="yes")
    # then
    assert response.status_code == 404
    assert statuses() == before
    assert set(before.values()) == {S.PLACED}
    assert OrderEvent.objects.count() == 4
    assert Order.objects.filter(flagged_at__isnull=False).count() == 0


def test_a_selected_id_that_is_not_a_number_is_404_not_a_server_error(client, people, orders):
    # given
    client.force_login(people.city_cadre)
    # when
    response = client.post(
        url("changelist"),
        {"action": "reject_orders", ACTION_CHECKBOX_NAME: ["abc"], "index": "0"},
    )
    # then
    assert response.status_code == 404


# --- nothing is edited, added or deleted here --------------------------------------------------


def test_the_change_page_is_read_only_and_shows_the_timeline(client, people, orders, helper):
    # given: dispatched to the persona volunteer, then accepted
    order_dispatch(actor=people.county_cadre, order_id=orders.a.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=orders.a.pk)
    client.force_login(people.township_cadre)
    # when
    response = client.get(url("change", orders.a))
    # then
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.fields) == []
    html = response.content.decode()
    assert 'name="title"' not in html
    assert 'name="_save"' not in html
    assert "王江买药" in html
    assert "张群众" in html
    formset = response.context["inline_admin_formsets"][0].formset
    assert [(e.from_status, e.to_status) for e in formset.queryset] == [
        ("", S.PLACED),
        (S.PLACED, S.DISPATCHED),
        (S.DISPATCHED, S.ACCEPTED),
    ]
    assert "珠晖区管理员" in html
    assert "李志愿" in html


def test_posting_to_the_change_view_changes_nothing(client, people, orders):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.post(
        url("change", orders.a),
        {"title": "改掉的标题", "status": S.COMPLETED, "contact_phone": "13900000009"},
    )
    # then
    assert response.status_code == 403
    kept = Order.objects.get(pk=orders.a.pk)
    assert (kept.title, kept.status, kept.contact_phone) == ("王江买药", S.PLACED, "13900000002")
    assert OrderEvent.objects.filter(order=orders.a).count() == 1


def test_orders_are_neither_added_nor_deleted_in_the_admin(client, people, orders):
    # given
    client.force_login(people.city_cadre)
    # when
    add = client.get(url("add"))
    delete = client.post(url("delete", orders.a), {"post": "yes"})
    changelist = client.get(url("changelist"))
    # then
    assert add.status_code == 403
    assert delete.status_code == 403
    assert Order.objects.filter(pk=orders.a.pk).exists()
    actions = changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request)
    assert sorted(actions) == ["auto_dispatch_orders", "reject_orders"]
    assert str(actions["reject_orders"][2]) == "驳回所选订单"
    assert str(actions["auto_dispatch_orders"][2]) == "自动派单"


# --- filters ----------------------------------------------------------------------------------


def test_the_flagged_and_status_filters(client, people, orders, helper):
    # given: A2 flagged, A3 dispatched
    order_flag_undispatchable(order_id=orders.a2.pk)
    order_dispatch(actor=people.county_cadre, order_id=orders.a3.pk, volunteer=helper)
    client.force_login(people.county_cadre)
    # when
    flagged = client.get(url("changelist"), {"flagged": "yes"})
    unflagged = client.get(url("changelist"), {"flagged": "no"})
    dispatched = client.get(url("changelist"), {"status__exact": S.DISPATCHED})
    # then
    assert listed_titles(flagged) == {"新园买药"}
    assert listed_titles(unflagged) == {"王江买药", "湖北路买药"}
    assert listed_titles(dispatched) == {"湖北路买药"}


# --- reject -----------------------------------------------------------------------------------


def test_rejecting_first_asks_for_a_reason_and_changes_nothing(client, people, orders):
    # given
    client.force_login(people.county_cadre)
    # when
    response = act(client, "reject_orders", [orders.a2, orders.a3])
    # then
    assert response.status_code == 200
    assert response.templates[0].name == "admin/reject_with_reason.html"
    html = response.content.decode()
    assert "将驳回以下订单：" in html
    assert "驳回原因会告知下单群众，不超过 200 字。" in html
    assert 'name="action" value="reject_orders"' in html
    assert "新园买药" in html
    assert "湖北路买药" in html
    assert 'name="reason"' in html
    assert set(statuses().values()) == {S.PLACED}


def test_rejecting_with_a_reason_rejects_the_orders_and_writes_the_events(client, people, orders):
    # given
    client.force_login(people.county_cadre)
    # when
    response = act(
        client, "reject_orders", [orders.a2, orders.a3], reason=" 本村暂无此项服务 ", confirm="yes"
    )
    # then
    assert response.status_code == 200
    assert messages_of(response) == ["已驳回 2 张订单。"]
    for order in (orders.a2, orders.a3):
        assert Order.objects.get(pk=order.pk).status == S.REJECTED
        event = OrderEvent.objects.get(order=order, to_status=S.REJECTED)
        assert (event.from_status, event.actor_id, event.reason) == (
            S.PLACED,
            people.county_cadre.pk,
            "本村暂无此项服务",
        )
    assert Order.objects.get(pk=orders.a.pk).status == S.PLACED


@pytest.mark.parametrize(
    ("reason", "error"),
    [("", "请填写驳回原因。"), ("   ", "请填写驳回原因。"), ("长" * 201, "不超过 200 字符")],
)
def test_rejecting_without_a_reason_is_refused_with_a_chinese_form_error(
    client, people, orders, reason, error
):
    # given
    client.force_login(people.county_cadre)
    # when
    response = act(client, "reject_orders", [orders.a2], reason=reason, confirm="yes")
    # then
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors["reason"])
    assert error in response.content.decode()
    assert Order.objects.get(pk=orders.a2.pk).status == S.PLACED
    assert OrderEvent.objects.filter(order=orders.a2).count() == 1


def test_rejecting_an_order_in_service_is_a_message_naming_its_state(
    client, people, orders, helper
):
    # given: A is accepted, A2 still placed
    order_dispatch(actor=people.county_cadre, order_id=orders.a.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=orders.a.pk)
    client.force_login(people.township_cadre)
    # when
    response = act(client, "reject_orders", [orders.a, orders.a2], reason="重复下单", confirm="yes")
    # then
    assert response.status_code == 200
    assert messages_of(response) == [
        f"#{orders.a.pk} 王江买药：订单当前状态为“已接单”，不能驳回。",
        "已驳回 1 张订单。",
    ]
    assert Order.objects.get(pk=orders.a.pk).status == S.ACCEPTED
    assert Order.objects.get(pk=orders.a2.pk).status == S.REJECTED


# --- automatic dispatch -----------------------------------------------------------------------


def test_auto_dispatch_offers_to_a_candidate_and_flags_an_order_without_one(
    client, people, orders, helper, at_monday_morning
):
    # given: the persona volunteer (village A) can serve county A; nobody serves county B
    client.force_login(people.city_cadre)
    # when
    response = act(client, "auto_dispatch_orders", [orders.a2, orders.b])
    # then
    assert response.status_code == 200
    assert messages_of(response) == [
        "已自动派出 1 张订单。",
        f"以下订单在本县（区）内没有合适的志愿者，已标记为无人可派：#{orders.b.pk} 天马山买药",
    ]
    dispatched = Order.objects.get(pk=orders.a2.pk)
    assert (dispatched.status, dispatched.dispatched_volunteer_id) == (S.DISPATCHED, helper.pk)
    assert dispatched.accept_deadline is not None
    # The offer's event names the cadre who pressed the button (orders_auto_dispatch_now).
    event = OrderEvent.objects.get(order=orders.a2, to_status=S.DISPATCHED)
    assert event.actor_id == people.city_cadre.pk
    flagged = Order.objects.get(pk=orders.b.pk)
    assert flagged.status == S.PLACED
    assert flagged.flagged_at is not None
    assert Order.objects.get(pk=orders.a.pk).status == S.PLACED


def test_auto_dispatch_refuses_an_order_that_is_no_longer_placed(
    client, people, orders, helper, at_monday_morning
):
    # given
    order_dispatch(actor=people.county_cadre, order_id=orders.a.pk, volunteer=helper)
    client.force_login(people.county_cadre)
    # when
    response = act(client, "auto_dispatch_orders", [orders.a])
    # then
    assert response.status_code == 200
    assert messages_of(response) == [f"#{orders.a.pk} 王江买药：订单当前状态为“已派单”，不能派单。"]
    assert OrderEvent.objects.filter(order=orders.a, to_status=S.DISPATCHED).count() == 1


def test_auto_dispatch_leaves_orders_where_the_county_switched_it_off(
    client, people, tree, orders, helper, at_monday_morning
):
    # given
    Center.objects.filter(pk=tree.county_a.pk).update(auto_dispatch=False)
    client.force_login(people.county_cadre)
    # when
    response = act(client, "auto_dispatch_orders", [orders.a])
    # then
    assert messages_of(response) == [
        f"#{orders.a.pk} 王江买药：所在阵地已关闭自动派单，请在派单页手动派单。"
    ]
    kept = Order.objects.get(pk=orders.a.pk)
    assert (kept.status, kept.flagged_at) == (S.PLACED, None)


# --- the auto-dispatch switch on the center admin --------------------------------------------


def county_form(center: Center, **overrides: Any) -> dict[str, Any]:
    """The county's change form as its own cadre's browser posts it (no parent field: the
    top of their subtree stays where it is); a checkbox left out is off."""
    data: dict[str, Any] = {
        "name": center.name,
        "code": center.code,
        "kind": center.kind,
        "address": center.address,
        "latitude": "",
        "longitude": "",
        "contact_phone": center.contact_phone,
        "is_active": "on",
        "_save": "保存",
    }
    data.update(overrides)
    return data


def test_a_county_cadre_switches_auto_dispatch_off_and_on_for_their_county(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    change = reverse("admin:practice_center_change", args=[tree.county_a.pk])
    page = client.get(change)
    assert "auto_dispatch" in page.context["adminform"].form.fields
    # when
    off = client.post(change, county_form(tree.county_a))
    # then
    assert off.status_code == 302
    assert Center.objects.get(pk=tree.county_a.pk).auto_dispatch is False
    assert auto_dispatch_enabled(Center.objects.get(pk=tree.village_a3.pk)) is False
    assert auto_dispatch_enabled(Center.objects.get(pk=tree.village_b.pk)) is True
    # when
    on = client.post(change, county_form(tree.county_a, auto_dispatch="on"))
    # then
    assert on.status_code == 302
    assert Center.objects.get(pk=tree.county_a.pk).auto_dispatch is True
    assert auto_dispatch_enabled(Center.objects.get(pk=tree.village_a3.pk)) is True


def test_the_outsider_cannot_switch_auto_dispatch_of_another_county(client, people, tree):
    # given
    client.force_login(people.outsider_cadre)
    change = reverse("admin:practice_center_change", args=[tree.county_a.pk])
    # when
    response = client.post(change, county_form(tree.county_a))
    # then
    assert response.status_code == 404
    assert Center.objects.get(pk=tree.county_a.pk).auto_dispatch is True


# --- the list's cost --------------------------------------------------------------------------


# The county cadre's order changelist, whatever the number of rows on the page.
ORDER_CHANGELIST_QUERIES = 9


def order_list_rows(client) -> int:
    response = exact_get(client, url("changelist"), ORDER_CHANGELIST_QUERIES)
    return len(response.context["cl"].result_list)


def test_order_changelist_queries_do_not_grow_with_rows(client, people, tree, menu, helper):
    # given: some accepted, some flagged, across three villages
    client.force_login(people.county_cadre)

    def add(number: int, center: Center) -> None:
        order = place(people, menu, center, title=f"订单{number}")
        if number % 3 == 0:
            order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
            order_accept(volunteer=helper, order_id=order.pk)
        elif number % 3 == 1:
            order_flag_undispatchable(order_id=order.pk)

    for number in range(5):
        add(number, tree.village_a)
    small = order_list_rows(client)
    for number in range(5, 25):
        add(number, tree.village_a2 if number % 2 else tree.village_a3)
    # when
    large = order_list_rows(client)
    # then: both cost ORDER_CHANGELIST_QUERIES
    assert (small, large) == (5, 25)


def test_the_change_page_names_who_claimed_a_wish(client, tree, people, menu):
    from orders.services import wish_claim

    wish = place(people, menu, tree.village_a, title="想要一台旧电脑", kind=Order.Kind.WISH)
    donor = resident_register(phone="13900000088", name="赵爱心", password="Practice#2026")
    wish_claim(donor=donor, order_id=wish.pk)
    client.force_login(people.township_cadre)

    html = client.get(url("change", wish)).content.decode()

    assert "认领人（微心愿）" in html
    assert "赵爱心" in html


# --- in Chinese ---------------------------------------------------------------------------------


def test_the_change_page_labels_fields_and_the_timeline_in_chinese(client, people, orders, helper):
    # given: an order with a timeline of three steps, seen by its county's cadre
    order_dispatch(actor=people.county_cadre, order_id=orders.a.pk, volunteer=helper)
    order_accept(volunteer=helper, order_id=orders.a.pk)
    client.force_login(people.county_cadre)
    # when
    response = client.get(url("change", orders.a))
    # then: the copied ancestors, the timeline's headers and its transitions read as labels
    assert response.status_code == 200
    html = response.content.decode()
    assert "乡镇（街道）" in html
    assert "县（市、区）" in html
    headers = re.findall(r'<th class="column-[a-z_]+">([^<]*)<', html)
    assert [header.strip() for header in headers] == ["时间", "原状态", "新状态", "操作人", "原因"]
    assert "待派单 → 已派单" in html
    assert "已派单 → 已接单" in html
    for english in ["Township", "County", "From status", "To status", "Reason", "Actor"]:
        assert english not in html, english
    for code in ["placed → dispatched", "dispatched → accepted", "→ placed"]:
        assert code not in html, code


@pytest.mark.parametrize(
    ("model_path", "labels"),
    [
        ("orders.Order", {"township": "乡镇（街道）", "county": "县（市、区）"}),
        ("volunteers.Volunteer", {"township": "所属乡镇（街道）", "county": "所属县（市、区）"}),
        ("points.HoursEntry", {"township": "所属乡镇（街道）", "county": "所属县（市、区）"}),
    ],
)
def test_every_copied_ancestor_column_has_a_chinese_label(model_path, labels):
    # The admin pages of all three show these read-only columns under their verbose names.
    model = apps.get_model(model_path)
    assert {name: str(model._meta.get_field(name).verbose_name) for name in labels} == labels
