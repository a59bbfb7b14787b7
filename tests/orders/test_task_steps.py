"""How the volunteer's task buttons report each outcome (orders/views/tasks.py ``_task_step``):
done, refused by the order's state, refused beside what was typed, or out of reach."""

from __future__ import annotations

import re

from orders import services
from orders.models import Order, OrderEvent
from points.models import HoursEntry

S = Order.Status


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def dispatched(people, order, helper) -> None:
    services.order_dispatch(actor=people.township_cadre, order_id=order.pk, volunteer=helper)


def test_each_step_done_says_so_on_the_task_list(client, people, order, helper) -> None:
    # given
    dispatched(people, order, helper)
    client.force_login(people.volunteer)

    # when / then: each button lands on the task list with its own words
    accepted = client.post(f"/volunteer/tasks/{order.pk}/accept/", follow=True)
    assert accepted.redirect_chain == [("/volunteer/tasks/", 302)]
    assert messages_of(accepted) == ["接单成功，请按约定时间上门服务。"]
    started = client.post(f"/volunteer/tasks/{order.pk}/start/", follow=True)
    assert messages_of(started) == ["已签到，服务开始。"]
    completed = client.post(
        f"/volunteer/tasks/{order.pk}/complete/", {"summary": "药已送到"}, follow=True
    )
    hours = Order.objects.get(pk=order.pk).hours
    assert messages_of(completed) == [f"已签退，本次服务记 {hours} 小时。"]
    assert Order.objects.get(pk=order.pk).status == S.COMPLETED


def test_declining_a_held_order_is_refused_by_its_state_in_a_message(
    client, people, order, helper
) -> None:
    # given the volunteer already accepted the order
    dispatched(people, order, helper)
    services.order_accept(volunteer=helper, order_id=order.pk)
    events_before = OrderEvent.objects.filter(order=order).count()
    client.force_login(people.volunteer)

    # when they try to decline it
    response = client.post(
        f"/volunteer/tasks/{order.pk}/decline/", {"reason": "临时有事"}, follow=True
    )

    # then the state's refusal is a message on the list (nothing typed can fix it)
    assert response.redirect_chain == [("/volunteer/tasks/", 302)]
    assert messages_of(response) == ["订单当前状态为“已接单”，不能退回重新派单。"]
    assert Order.objects.get(pk=order.pk).status == S.ACCEPTED
    assert OrderEvent.objects.filter(order=order).count() == events_before


def test_completing_before_check_in_is_refused_by_its_state_in_a_message(
    client, people, order, helper
) -> None:
    # given an accepted order the volunteer never checked in for
    dispatched(people, order, helper)
    services.order_accept(volunteer=helper, order_id=order.pk)
    client.force_login(people.volunteer)

    # when
    response = client.post(
        f"/volunteer/tasks/{order.pk}/complete/", {"summary": "药已送到"}, follow=True
    )

    # then
    assert response.redirect_chain == [("/volunteer/tasks/", 302)]
    assert messages_of(response) == ["订单当前状态为“已接单”，不能完成服务。"]
    assert Order.objects.get(pk=order.pk).status == S.ACCEPTED
    assert not HoursEntry.objects.exists()


def test_a_summary_the_service_refuses_goes_back_beside_the_field(
    client, people, order, helper
) -> None:
    # given an order in service
    dispatched(people, order, helper)
    services.order_accept(volunteer=helper, order_id=order.pk)
    services.order_start(volunteer=helper, order_id=order.pk)
    client.force_login(people.volunteer)

    # when the summary is too long for the service
    response = client.post(f"/volunteer/tasks/{order.pk}/complete/", {"summary": "长" * 1001})

    # then the task list comes back with the error on the form, and no message
    assert response.status_code == 400
    assert 'role="alert">服务小结不能超过 1000 个字。</p>' in text(response)
    assert messages_of(response) == []
    assert Order.objects.get(pk=order.pk).status == S.IN_SERVICE


def test_starting_an_order_never_offered_is_a_404(client, people, order, helper) -> None:
    # given an order placed but offered to nobody
    client.force_login(people.volunteer)

    # when / then
    assert client.post(f"/volunteer/tasks/{order.pk}/start/").status_code == 404
    assert client.post(f"/volunteer/tasks/{order.pk}/accept/").status_code == 404
    assert Order.objects.get(pk=order.pk).status == S.PLACED
