"""The volunteers' task pages, on a phone: the orders offered to them, accept or decline,
start and complete the service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ConflictError, DomainError, NotInScope
from orders import services
from orders.forms import (
    CompleteForm,
    DeclineForm,
    DomainErrorForm,
)
from orders.models import Order
from orders.selectors import (
    order_offered_to,
    orders_as_volunteer,
    with_contact_visibility,
)
from orders.views.common import (
    ORDER_RELATED,
    S,
)
from points.selectors.proof import hours_claim_of_order
from volunteers.models import Volunteer
from volunteers.selectors import active_volunteer_of


def _active_volunteer(request: HttpRequest) -> Volunteer | None:
    return active_volunteer_of(request.user)


@dataclass
class _Task:
    """An order on the task page with the form its card posts: decline an offer, or
    complete a task held."""

    order: Order
    form: DomainErrorForm


def _tasks_page(
    request: HttpRequest,
    volunteer: Volunteer,
    *,
    bound: tuple[int, DomainErrorForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Offered to me, offered to my teams, held by me, and lately done. ``bound`` is the
    (order id, form) sent back with its errors, shown on that order's card in place of the
    blank form of its kind. Read as a volunteer only: a cadre who also volunteers finds
    their own tasks here, not their subtree's team orders."""
    visible = with_contact_visibility(orders_as_volunteer(volunteer), request.user).select_related(
        *ORDER_RELATED, "dispatched_team"
    )
    offered = list(
        visible.filter(status=S.DISPATCHED, dispatched_volunteer=volunteer).order_by(
            "accept_deadline", "id"
        )
    )
    pool = list(
        visible.filter(status=S.DISPATCHED, dispatched_team__isnull=False).order_by(
            "accept_deadline", "id"
        )
    )
    held = list(
        visible.filter(accepted_by=volunteer, status__in=(S.ACCEPTED, S.IN_SERVICE)).order_by(
            "accepted_at", "id"
        )
    )
    done = list(
        visible.filter(accepted_by=volunteer, status__in=(S.COMPLETED, S.RATED)).order_by(
            "-completed_at", "-id"
        )[:10]
    )
    offered_tasks = [
        _Task(order, DeclineForm(auto_id=f"id_decline_{order.pk}_%s")) for order in offered
    ]
    held_tasks = [
        _Task(order, CompleteForm(auto_id=f"id_complete_{order.pk}_%s")) for order in held
    ]
    if bound is not None:
        order_id, form = bound
        for task in offered_tasks + held_tasks:
            if task.order.pk == order_id and isinstance(form, type(task.form)):
                task.form = form
    return render(
        request,
        "orders/tasks.html",
        {
            "volunteer": volunteer,
            "offered": offered_tasks,
            "pool": pool,
            "held": held_tasks,
            "done": done,
        },
        status=status,
    )


@require_GET
@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    volunteer = _active_volunteer(request)
    if volunteer is None:
        return redirect("volunteers:home")
    return _tasks_page(request, volunteer)


def _task_volunteer(request: HttpRequest) -> Volunteer:
    volunteer = _active_volunteer(request)
    if volunteer is None:
        raise Http404
    return volunteer


def _was_offered_to(volunteer: Volunteer, order_id: int) -> Order | None:
    """The order, if it was offered to this volunteer or one of their teams, whatever
    happened to it since: the loser of a race learns who won, a stranger learns nothing."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return None
    if order.accepted_by_id == volunteer.pk or order_offered_to(volunteer, order):
        return order
    return None


def _task_step(
    request: HttpRequest,
    step: Callable[[], Order],
    *,
    done: str | Callable[[Order], str],
    form: DomainErrorForm | None = None,
    on_conflict: Callable[[ConflictError], str] | None = None,
) -> bool:
    """Run one of the volunteer's steps on a task and say how it went in a message for the
    task list; True when the task list is where to go next.

    A refusal because of the order's state (409) is a message, since nothing typed can fix
    it; ``on_conflict`` may word it, or raise Http404. Any other refusal goes on ``form``,
    beside what was typed (False: show the form again). A step without a form answers an
    order out of reach with a 404 and any other refusal with a message.
    """
    try:
        order = step()
    except ConflictError as exc:
        messages.error(request, on_conflict(exc) if on_conflict else exc.message)
    except DomainError as exc:
        if form is not None:
            form.add_domain_error(exc)
            return False
        if isinstance(exc, NotInScope):
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, done if isinstance(done, str) else done(order))
    return True


@require_POST
@login_required
def task_accept(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)

    def taken(exc: ConflictError) -> str:
        order = _was_offered_to(volunteer, order_id)
        if order is None:
            raise Http404 from exc
        if order.accepted_by_id and order.accepted_by_id != volunteer.pk:
            return _("已被其他志愿者接单。")
        return exc.message

    _task_step(
        request,
        lambda: services.order_accept(volunteer=volunteer, order_id=order_id),
        done=_("接单成功，请按约定时间上门服务。"),
        on_conflict=taken,
    )
    return redirect("orders:tasks")


@require_POST
@login_required
def task_accept_next(request: HttpRequest) -> HttpResponse:
    """接下一单: the oldest order still free in the pool, whichever of the listed ones the
    other members have taken in the meantime."""
    volunteer = _task_volunteer(request)
    try:
        order_id = services.order_accept_next(volunteer=volunteer)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if order_id is None:
            messages.info(request, _("队伍任务已被接完，暂无可接的任务。"))
        else:
            messages.success(request, _("接单成功，请按约定时间上门服务。"))
    return redirect("orders:tasks")


@require_POST
@login_required
def task_decline(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)
    if _was_offered_to(volunteer, order_id) is None:
        raise Http404
    form = DeclineForm(request.POST, auto_id=f"id_decline_{order_id}_%s")
    if form.is_valid() and _task_step(
        request,
        lambda: services.order_decline(
            volunteer=volunteer, order_id=order_id, reason=form.cleaned_data["reason"]
        ),
        done=_("已谢绝该任务。"),
        form=form,
    ):
        return redirect("orders:tasks")
    return _tasks_page(request, volunteer, bound=(order_id, form), status=400)


@require_POST
@login_required
def task_start(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)
    _task_step(
        request,
        lambda: services.order_start(volunteer=volunteer, order_id=order_id),
        done=_("已签到，服务开始。"),
    )
    return redirect("orders:tasks")


def _checked_out(order: Order) -> str:
    claim = hours_claim_of_order(order.pk)
    if claim is None:
        return _("已签退，本次服务记 %(hours)s 小时。") % {"hours": order.hours}
    return _("已签退。本次服务 %(hours)s 小时，%(status)s后计入。") % {
        "hours": order.hours,
        "status": claim.get_status_display(),
    }


@require_POST
@login_required
def task_complete(request: HttpRequest, order_id: int) -> HttpResponse:
    volunteer = _task_volunteer(request)
    if not Order.objects.filter(pk=order_id, accepted_by=volunteer).exists():
        raise Http404
    form = CompleteForm(request.POST, auto_id=f"id_complete_{order_id}_%s")
    if form.is_valid() and _task_step(
        request,
        lambda: services.order_complete(
            volunteer=volunteer,
            order_id=order_id,
            summary=form.cleaned_data["summary"],
            proof_code=form.cleaned_data["proof_code"],
        ),
        done=_checked_out,
        form=form,
    ):
        return redirect("orders:tasks")
    return _tasks_page(request, volunteer, bound=(order_id, form), status=400)
