"""Every write to orders: place, dispatch, accept, decline, serve, rate, cancel, reject.

Status changes go through orders.workflow; these functions check who may act and what the
input is, and enqueue the follow-up tasks on commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ConflictError, DomainError, NotInScope
from orders import rules
from orders.enqueue import auto_dispatch_on_commit, notify_on_commit
from orders.errors import OrderErrorCode
from orders.models import Order, OrderEvent, OrderRefusal
from orders.proof import proof_matches
from orders.selectors import orders_for, orders_managed_by
from orders.workflow import IllegalTransition, claim_next_in_pool, transition
from points.models import Source
from points.services.ledger import rating_award, service_award
from points.services.proof import order_claim_confirm, order_claim_dispute, order_claim_open
from practice.models import Center, Level, Service
from practice.scoping import center_in_scope, is_cadre
from practice.selectors import services_offered_at
from volunteers.models import Team, TeamMembership, Volunteer

S = Order.Status


def _text(value: str, *, field: str, label: str, max_length: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(
            _("请填写%(label)s。") % {"label": label}, code=OrderErrorCode.REQUIRED, field=field
        )
    if len(value) > max_length:
        raise DomainError(
            _("%(label)s不能超过 %(max)d 个字。") % {"label": label, "max": max_length},
            code=OrderErrorCode.TOO_LONG,
            field=field,
        )
    return value


@transaction.atomic
def order_place(
    *,
    resident: User,
    service: Service,
    center: Center,
    title: str,
    description: str = "",
    address: str,
    contact_phone: str,
    preferred_start: datetime.datetime | None = None,
    preferred_end: datetime.datetime | None = None,
    kind: str | None = None,
) -> Order:
    """A resident orders a service at their village or community (群众点单), or posts a
    micro-wish (微心愿). ``kind`` None follows the service: a wish item of the menu
    (``Service.is_wish``) posts a wish, any other orders the service. A wish may also name
    another service (the API has always taken ``kind: "wish"`` with any): it goes on the wall
    all the same, and if it goes the volunteer way, that service says who fits.

    Placed once: the same resident ordering the same service at the same village again
    within ORDER_DEDUPE_SECONDS gets the order already placed (``_recently_placed``). The
    returned order's ``placed_before`` says which it was: False for a new order, True for
    the one found."""
    if center.level != Level.VILLAGE or not center.is_active:
        raise DomainError(
            _("请选择服务所在的村（社区）。"), code=OrderErrorCode.NOT_VILLAGE, field="center"
        )
    if not services_offered_at(center).filter(pk=service.pk).exists():
        raise DomainError(
            _("该村（社区）不提供此服务项目。"),
            code=OrderErrorCode.SERVICE_UNAVAILABLE,
            field="service",
        )
    if kind is None:
        kind = Order.Kind.WISH if service.is_wish else Order.Kind.SERVICE
    elif kind not in Order.Kind.values:
        raise DomainError(_("订单类型无效。"), code=OrderErrorCode.KIND_INVALID, field="kind")
    is_wish = kind == Order.Kind.WISH
    try:
        phone = rules.clean_contact_number(contact_phone)
    except ValidationError as exc:
        raise DomainError(
            exc.messages[0], code=OrderErrorCode.PHONE_INVALID, field="contact_phone"
        ) from exc
    try:
        rules.check_expected_window(preferred_start, preferred_end)
    except ValidationError as exc:
        field, errors = next(iter(exc.error_dict.items()))
        raise DomainError(
            errors[0].messages[0], code=OrderErrorCode.WINDOW_INVALID, field=field
        ) from exc
    township = center.parent
    if township is not None and township.level == Level.VILLAGE:
        township = township.parent
    recent = _recently_placed(resident=resident, service=service, center=center, kind=kind)
    if recent is not None:
        recent.placed_before = True
        return recent
    order = Order.objects.create(
        kind=kind,
        service=service,
        center=center,
        township=township,
        county=township.parent,
        resident=resident,
        # Worded as the wish form's fields are, so a refusal reads right beside them.
        title=_text(
            title,
            field="title",
            label=_("心愿") if is_wish else _("标题"),
            max_length=100,
            required=True,
        ),
        description=_text(
            description,
            field="description",
            label=_("心愿说明") if is_wish else _("需求描述"),
            max_length=1000,
            required=False,
        ),
        address=_text(
            address,
            field="address",
            label=_("送达地址") if is_wish else _("服务地址"),
            max_length=200,
            required=True,
        ),
        contact_phone=phone,
        preferred_start=preferred_start,
        preferred_end=preferred_end,
    )
    # Placing tells nobody (the resident is looking at it): the event is told already.
    OrderEvent.objects.create(
        order=order,
        from_status="",
        to_status=S.PLACED,
        actor=resident,
        notified_at=order.created_at,
    )
    if auto_dispatch_enabled(center):
        auto_dispatch_on_commit(order.pk)
    order.placed_before = False
    return order


def _recently_placed(
    *, resident: User, service: Service, center: Center, kind: str
) -> Order | None:
    """The order this resident placed for the same service at the same village within
    ORDER_DEDUPE_SECONDS, still open, if any: a second tap, a resubmitted form or a client's
    retry without an Idempotency-Key gets that order instead of a twin (docs/orders.md).

    Two placements arriving together must not both find nothing: each first locks the
    resident's user row (SELECT ... FOR UPDATE, held to the end of order_place's
    transaction), so the second waits, then reads, in a new snapshot, the order the first
    committed. On SQLite the lock is a no-op and not needed: a transaction there takes the
    database's write lock as it begins (settings: transaction_mode IMMEDIATE)."""
    seconds = settings.ORDER_DEDUPE_SECONDS
    if seconds <= 0:
        return None
    User.objects.select_for_update().filter(pk=resident.pk).values_list("pk", flat=True).first()
    since = timezone.now() - datetime.timedelta(seconds=seconds)
    return (
        Order.objects.filter(
            resident=resident,
            service=service,
            center=center,
            kind=kind,
            created_at__gte=since,
        )
        .exclude(status__in=[S.CANCELLED, S.REJECTED])
        .order_by("-id")
        .first()
    )


def auto_dispatch_enabled(center: Center) -> bool:
    """Off at the village or anywhere above it, and its orders wait for a cadre."""
    return not center.get_ancestors(include_self=True).filter(auto_dispatch=False).exists()


def acceptance_deadline() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=settings.ORDER_ACCEPT_MINUTES)


def _order_in_scope(actor: User, order_id: int) -> Order:
    """The order, for a cadre action (dispatch, reject) by ``actor``. orders_for also lets
    residents and volunteers, cadres among them, read their own orders; reading is not
    managing, so an order outside the cadre's subtree is answered as if it did not exist."""
    order = None
    if actor.is_superuser or is_cadre(actor):
        order = orders_managed_by(actor).filter(pk=order_id).select_related("center").first()
    if order is None:
        raise NotInScope(
            _("订单不存在或不在您的管辖范围内。"), code=OrderErrorCode.ORDER_NOT_IN_SCOPE
        )
    return order


@transaction.atomic
def order_dispatch(
    *,
    actor: User | None,
    order_id: int,
    volunteer: Volunteer | None = None,
    team: Team | None = None,
    pressed_by: User | None = None,
    reason: str = "",
) -> Order:
    """Offer the order to one volunteer or to a team (中心派单), with an acceptance deadline.
    ``actor`` None is the automatic dispatcher; ``pressed_by`` is then the cadre who ran it
    by hand (orders.dispatch.orders_auto_dispatch_now), named on the event with ``reason``
    but not checked against the candidate, whom the dispatcher picked up to the county."""
    if (volunteer is None) == (team is None):
        raise DomainError(
            _("请选择派给一名志愿者或一支队伍。"), code=OrderErrorCode.TARGET_REQUIRED
        )
    if actor is not None:
        order_id = _order_in_scope(actor, order_id).pk
    # The automatic dispatcher has just read the order; the transition reports it missing.
    if volunteer is not None:
        if volunteer.status != Volunteer.Status.ACTIVE:
            raise DomainError(
                _("只能派给在册志愿者。"),
                code=OrderErrorCode.VOLUNTEER_NOT_ACTIVE,
                field="volunteer",
            )
        if actor is not None and not center_in_scope(actor, volunteer.home_center):
            raise NotInScope(
                _("志愿者不存在或不在您的管辖范围内。"), code=OrderErrorCode.VOLUNTEER_NOT_IN_SCOPE
            )
        # The automatic dispatcher picked from candidates that already exclude refusals
        # (dispatch_candidates); a cadre picks by hand and is told why not.
        if (
            actor is not None
            and OrderRefusal.objects.filter(order_id=order_id, volunteer=volunteer).exists()
        ):
            raise DomainError(
                _("该志愿者已谢绝此单。"), code=OrderErrorCode.VOLUNTEER_REFUSED, field="volunteer"
            )
    if team is not None:
        if not team.is_active:
            raise DomainError(_("该队伍已停用。"), code=OrderErrorCode.TEAM_INACTIVE, field="team")
        if actor is not None and not center_in_scope(actor, team.center):
            raise NotInScope(
                _("队伍不存在或不在您的管辖范围内。"), code=OrderErrorCode.TEAM_NOT_IN_SCOPE
            )
    order = transition(
        order_id,
        to=S.DISPATCHED,
        actor=actor or pressed_by,
        reason=reason,
        dispatched_volunteer=volunteer,
        dispatched_team=team,
        accept_deadline=acceptance_deadline(),
        flagged_at=None,
    )
    return order


@transaction.atomic
def order_accept(*, volunteer: Volunteer, order_id: int) -> Order:
    """The volunteer takes the order (志愿者接单). For a team dispatch the first member to
    accept wins: the UPDATE matches only while the order is still dispatched."""
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise DomainError(_("只有在册志愿者可以接单。"), code=OrderErrorCode.VOLUNTEER_NOT_ACTIVE)
    # Under the row lock (orders.workflow.transition takes it too): who it is offered to is
    # decided on the state the UPDATE will see, not one a worker's dispatch just replaced.
    offered = (
        Order.objects.select_for_update()
        .filter(pk=order_id)
        .values("dispatched_volunteer_id", "dispatched_team_id", "status")
        .first()
    )
    if offered is None:
        raise NotInScope(_("订单不存在。"), code=OrderErrorCode.ORDER_MISSING)
    if offered["status"] == S.DISPATCHED:
        to_me = offered["dispatched_volunteer_id"] == volunteer.pk
        to_my_team = (
            offered["dispatched_team_id"] is not None
            and TeamMembership.objects.filter(
                team_id=offered["dispatched_team_id"], volunteer=volunteer, left_on__isnull=True
            ).exists()
        )
        if not (to_me or to_my_team):
            raise NotInScope(_("订单不存在。"), code=OrderErrorCode.ORDER_NOT_OFFERED)
        condition: dict[str, object] = (
            {"dispatched_volunteer": volunteer}
            if to_me
            else {"dispatched_team_id": offered["dispatched_team_id"]}
        )
    else:
        condition = {}
    order = transition(
        order_id,
        to=S.ACCEPTED,
        actor=volunteer.user,
        extra_condition=condition,
        accepted_by=volunteer,
        accepted_at=timezone.now(),
    )
    return order


@transaction.atomic
def order_accept_next(*, volunteer: Volunteer) -> int | None:
    """The volunteer takes the oldest order still free in their teams' pool (抢单); the id
    of the order taken, or None when nothing is left. Two members tapping at once are given
    different orders, never the same one."""
    if volunteer.status != Volunteer.Status.ACTIVE:
        raise DomainError(_("只有在册志愿者可以接单。"), code=OrderErrorCode.VOLUNTEER_NOT_ACTIVE)
    return claim_next_in_pool(volunteer_id=volunteer.pk, actor_id=volunteer.user_id)


@transaction.atomic
def order_decline(*, volunteer: Volunteer, order_id: int, reason: str) -> Order:
    """The volunteer turns the offer down: the order goes back to be dispatched again, never
    to them."""
    reason = _text(reason, field="reason", label=_("原因"), max_length=200, required=True)
    order = transition(
        order_id,
        to=S.PLACED,
        actor=volunteer.user,
        reason=reason,
        only_from=frozenset({S.DISPATCHED}),
        extra_condition={"dispatched_volunteer": volunteer},
        dispatched_volunteer=None,
        dispatched_team=None,
        accept_deadline=None,
    )
    OrderRefusal.objects.get_or_create(
        order=order, volunteer=volunteer, defaults={"reason": reason}
    )
    _redispatch_on_commit(order)
    return order


def _redispatch_on_commit(order: Order) -> None:
    if auto_dispatch_enabled(order.center):
        auto_dispatch_on_commit(order.pk)


@transaction.atomic
def order_expire(*, order_id: int) -> Order | None:
    """The acceptance deadline passed: back to placed, and the lapsed volunteer is skipped
    from now on. None when someone accepted or declined first (a race the CAS settles)."""
    # Locked, so the volunteer noted as lapsed is the one the offer still names.
    held = (
        Order.objects.select_for_update()
        .filter(pk=order_id)
        .values("dispatched_volunteer_id")
        .first()
    )
    try:
        order = transition(
            order_id,
            to=S.PLACED,
            actor=None,
            reason=_("超过接单时限"),
            only_from=frozenset({S.DISPATCHED}),
            extra_condition={"accept_deadline__lt": timezone.now()},
            dispatched_volunteer=None,
            dispatched_team=None,
            accept_deadline=None,
        )
    except IllegalTransition:
        return None
    if held and held["dispatched_volunteer_id"]:
        OrderRefusal.objects.get_or_create(
            order=order, volunteer_id=held["dispatched_volunteer_id"], defaults={"expired": True}
        )
    _redispatch_on_commit(order)
    return order


def _held_by(volunteer: Volunteer) -> dict[str, object]:
    return {"accepted_by": volunteer}


@transaction.atomic
def order_start(*, volunteer: Volunteer, order_id: int) -> Order:
    """Check-in: the accepting volunteer starts serving, not long before the booked time
    (orders.rules.check_in_opens_at)."""
    _require_holder(volunteer, order_id)
    booked = Order.objects.filter(pk=order_id).values("status", "preferred_start").first()
    # Only an order that could start now is refused for the time: any other is refused by
    # the transition, naming its state.
    if booked and booked["status"] == S.ACCEPTED:
        too_early = rules.check_in_too_early(booked["preferred_start"])
        if too_early:
            raise ConflictError(too_early, code=OrderErrorCode.CHECK_IN_TOO_EARLY)
    return transition(
        order_id,
        to=S.IN_SERVICE,
        actor=volunteer.user,
        extra_condition=_held_by(volunteer),
        started_at=timezone.now(),
    )


def _require_holder(volunteer: Volunteer, order_id: int) -> None:
    """An order the volunteer cannot see does not exist for them (404). One they can see but
    do not hold (offered, not yet accepted) is refused by the transition, naming its state
    (409): the holder condition there is what guarantees only the holder moves it."""
    if not orders_for(volunteer.user).filter(pk=order_id).exists():
        raise NotInScope(_("订单不存在。"), code=OrderErrorCode.ORDER_NOT_HELD)


class ProofRefused(DomainError):
    """A wrong or void proof code at check-out. Raised after the wrong entry is counted and
    committed, so that retrying cannot go on for ever."""

    http_status = 400


def order_proof_check(*, volunteer: Volunteer, order_id: int, code: str) -> None:
    """Check the resident's code the volunteer entered at check-out. A wrong one is counted
    (in a transaction of its own, committed before the refusal: the pages and the API call
    this outside any transaction) and refused with the tries left; at PROOF_MAX_FAILURES
    the code is void, and check-out without it sends the hours to a cadre."""
    limit = settings.PROOF_MAX_FAILURES
    with transaction.atomic():
        # Only the holder's entries count: anyone else's order does not exist for them.
        failures = (
            Order.objects.select_for_update()
            .filter(pk=order_id, accepted_by=volunteer)
            .values_list("proof_failures", flat=True)
            .first()
        )
        if failures is None:
            raise NotInScope(_("订单不存在。"), code=OrderErrorCode.ORDER_NOT_HELD)
        if failures >= limit:
            voided = True
        elif proof_matches(order_id, code):
            return
        else:
            failures += 1
            Order.objects.filter(pk=order_id).update(proof_failures=failures)
            voided = failures >= limit
    if voided:
        raise ProofRefused(
            _("核验码错误已达 %(limit)d 次，已作废。请不填核验码直接签退，服务时长将交由干部审核。")
            % {"limit": limit},
            code=OrderErrorCode.PROOF_VOID,
            field="proof_code",
        )
    raise ProofRefused(
        _("核验码不正确，还可尝试 %(left)d 次。") % {"left": limit - failures},
        code=OrderErrorCode.PROOF_WRONG,
        field="proof_code",
    )


def order_complete(
    *,
    volunteer: Volunteer,
    order_id: int,
    summary: str,
    hours: Decimal | None = None,
    proof_code: str = "",
) -> Order:
    """Check-out: the service is done. Hours run from check-in to now, capped per service
    (Service.max_hours, else ORDER_MAX_HOURS).

    With the resident's code (``proof_code``, orders.proof) the hours are certified at once,
    through the ledger. Without it they wait for the resident to confirm (or rate) the
    order; with the code voided by wrong entries, or with ``hours`` above the measured
    figure (the volunteer's proposal), they wait for a cadre (points.services.proof). A
    figure below the measured one is the volunteer's to claim."""
    code = (proof_code or "").strip()
    if code:
        order_proof_check(volunteer=volunteer, order_id=order_id, code=code)
    return _order_check_out(
        volunteer=volunteer, order_id=order_id, summary=summary, hours=hours, proven=bool(code)
    )


@transaction.atomic
def _order_check_out(
    *, volunteer: Volunteer, order_id: int, summary: str, hours: Decimal | None, proven: bool
) -> Order:
    _require_holder(volunteer, order_id)
    summary = _text(summary, field="summary", label=_("服务小结"), max_length=1000, required=True)
    booked = Order.objects.values("started_at", "service__max_hours", "proof_failures").get(
        pk=order_id
    )
    now = timezone.now()
    started_at = booked["started_at"]
    elapsed = Decimal((now - started_at).total_seconds()) / 3600 if started_at else Decimal(0)
    cap = Decimal(booked["service__max_hours"] or settings.ORDER_MAX_HOURS)
    measured = min(elapsed, cap).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    figure = measured
    if hours is not None:
        if hours < 0 or hours > cap:
            raise DomainError(
                _("服务时长应在 0 到 %(max)s 小时之间。") % {"max": cap},
                code=OrderErrorCode.HOURS_OUT_OF_RANGE,
                field="hours",
            )
        figure = hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    order = transition(
        order_id,
        to=S.COMPLETED,
        actor=volunteer.user,
        extra_condition=_held_by(volunteer),
        completed_at=now,
        summary=summary,
        hours=figure,
    )
    proposed_more = figure > measured
    if proven and not proposed_more:
        service_award(
            volunteer_id=volunteer.pk,
            source=Source.ORDER,
            source_id=order.pk,
            hours=figure,
            service_id=order.service_id,
        )
    elif figure > 0:
        voided = booked["proof_failures"] >= settings.PROOF_MAX_FAILURES
        order_claim_open(
            volunteer_id=volunteer.pk,
            order_id=order.pk,
            resident_id=order.resident_id,
            service_id=order.service_id,
            hours=figure,
            measured_hours=measured,
            center_id=order.center_id,
            township_id=order.township_id,
            county_id=order.county_id,
            to_cadre=voided or proposed_more,
            description=(
                _("志愿者申报 %(figure)s 小时，签到签退计 %(measured)s 小时。")
                % {"figure": figure, "measured": measured}
                if proposed_more
                else ""
            ),
        )
    return order


@transaction.atomic
def order_rate(*, resident: User, order_id: int, score: int, comment: str = "") -> Order:
    """The resident rates the completed service (群众评单). A 5-star rating earns the volunteer
    a bonus, a 1-star one sends the order to its center's cadres for review (points)."""
    if not Order.objects.filter(pk=order_id, resident=resident).exists():
        raise NotInScope(_("订单不存在。"), code=OrderErrorCode.ORDER_NOT_MINE)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError(
            _("评分应为 1 到 5 分。"), code=OrderErrorCode.SCORE_INVALID, field="score"
        )
    comment = _text(comment, field="comment", label=_("评价"), max_length=500, required=False)
    order = transition(order_id, to=S.RATED, actor=resident, rating=score, rating_comment=comment)
    # A wish fulfilled by a donor has no volunteer, and so nothing to award or review.
    if order.accepted_by_id is not None:
        rating_award(
            volunteer_id=order.accepted_by_id,
            order_id=order.pk,
            score=score,
            comment=comment,
            center_id=order.center_id,
            township_id=order.township_id,
            county_id=order.county_id,
        )
    # A rating says the service took place: hours that waited for the resident count now.
    order_claim_confirm(resident=resident, order_id=order.pk)
    return order


@transaction.atomic
def order_service_confirm(*, resident: User, order_id: int) -> bool:
    """The resident confirms on their order page that the service took place, without
    rating it (yet): the hours that waited for them are certified."""
    if not Order.objects.filter(pk=order_id, resident=resident).exists():
        raise NotInScope(_("订单不存在。"), code=OrderErrorCode.ORDER_NOT_MINE)
    return order_claim_confirm(resident=resident, order_id=order_id)


@transaction.atomic
def order_service_dispute(*, resident: User, order_id: int, reason: str) -> None:
    """The resident says the service did not happen: its hours wait for a cadre."""
    if not Order.objects.filter(pk=order_id, resident=resident).exists():
        raise NotInScope(_("订单不存在。"), code=OrderErrorCode.ORDER_NOT_MINE)
    order_claim_dispute(resident=resident, order_id=order_id, reason=reason)


@transaction.atomic
def order_cancel(*, resident: User, order_id: int, reason: str = "") -> Order:
    """The resident withdraws the order before service starts."""
    if not Order.objects.filter(pk=order_id, resident=resident).exists():
        raise NotInScope(_("订单不存在。"), code=OrderErrorCode.ORDER_NOT_MINE)
    reason = _text(reason, field="reason", label=_("原因"), max_length=200, required=False)
    return transition(order_id, to=S.CANCELLED, actor=resident, reason=reason)


@transaction.atomic
def order_reject(*, actor: User, order_id: int, reason: str) -> Order:
    """A cadre in scope turns the order down (not a service the center can give)."""
    _order_in_scope(actor, order_id)
    reason = _text(reason, field="reason", label=_("原因"), max_length=200, required=True)
    return transition(order_id, to=S.REJECTED, actor=actor, reason=reason)


@transaction.atomic
def order_flag_undispatchable(*, order_id: int, at: datetime.datetime | None = None) -> bool:
    """No candidate up to the county at ``at`` (now by default): mark it for the county's
    cadres, and note when it was tried so the sweep tries it again in a later slot.

    The cadres are told once: True only when this call flagged it. A retry that finds nobody
    again moves ``dispatch_tried_at`` alone.

    A micro-wish is never flagged: it waits on the wall for a donor, and nobody free to
    take it the volunteer way is no call for a cadre's hand ("无志愿者可派"). It is only
    noted as tried, so the sweep offers it to volunteers again in a later slot, silently."""
    tried_at = at or timezone.now()
    flagged = bool(
        Order.objects.filter(pk=order_id, status=S.PLACED, flagged_at__isnull=True)
        .exclude(kind=Order.Kind.WISH)
        .update(flagged_at=timezone.now(), dispatch_tried_at=tried_at, flag_told_at=None)
    )
    if flagged:
        # The flag is its own outbox (Order.flag_told_at): the notifier tells the cadres.
        notify_on_commit()
    else:
        Order.objects.filter(pk=order_id, status=S.PLACED).update(dispatch_tried_at=tried_at)
    return flagged


# ---------------------------------------------------------------- micro-wishes (微心愿)
#
# A wish is claimed by a donor: anyone signed in but the resident who made it, volunteer or
# not. The donor holds it (Order.donor) instead of a volunteer, hands the gift over and
# marks it fulfilled; there is no check-in, and no service hours are credited, even when the
# donor happens to be a volunteer: a donation is not time served. A volunteer who is to earn
# hours on a wish takes it through the ordinary flow (dispatch, accept, start, complete),
# which wishes keep.


def _wish_for_claim(donor: User, order_id: int) -> Mapping[str, object]:
    """The facts a claim is checked against. A wish in any state answers: it was on the wall
    to everyone while it was open, and the donor who lost a race must learn who won. Any
    other order stays absent (404) unless the reader may already see it."""
    wish = Order.objects.filter(pk=order_id).values("kind", "resident_id").first()
    if wish is None:
        raise NotInScope(_("微心愿不存在。"), code=OrderErrorCode.WISH_MISSING)
    if wish["kind"] != Order.Kind.WISH:
        if not orders_for(donor).filter(pk=order_id).exists():
            raise NotInScope(_("微心愿不存在。"), code=OrderErrorCode.WISH_MISSING)
        raise DomainError(_("该订单不是微心愿，不能认领。"), code=OrderErrorCode.NOT_A_WISH)
    return wish


# Against harvesting (one account claiming every fresh wish to read who posted it): a cap on
# the claims an account holds open, a rate of claims per hour, and the contact only once
# the poster or the center confirmed the claim (orders.selectors' contact policy).
DEFAULT_WISH_OPEN_CLAIMS_MAX = 3
DEFAULT_WISH_CLAIMS_PER_HOUR = 10
WISH_CLAIM_WINDOW_SECONDS = 3600


class WishClaimThrottled(DomainError):
    """429: the account claimed too often in the last hour."""

    http_status = 429


def _wish_claims_counted(donor: User) -> int:
    """Count one claim attempt of ``donor`` in the current hour's window and return the
    count. A cache that fails lets the claim through (the cap still holds): a sick Redis
    must not stop donors, and the open-claims cap is in the database."""
    window = int(timezone.now().timestamp()) // WISH_CLAIM_WINDOW_SECONDS
    key = f"wish-claims:{donor.pk}:{window}"
    try:
        cache.add(key, 0, timeout=WISH_CLAIM_WINDOW_SECONDS)
        return int(cache.incr(key))
    except Exception:  # noqa: BLE001 - any cache failure fails open, by design
        return 0


@transaction.atomic
def wish_claim(*, donor: User, order_id: int) -> Order:
    """``donor`` claims an open wish (placed, or dispatched and not yet accepted). The first
    claim wins: the move to accepted is one conditional UPDATE in the state machine, and a
    second donor, or a volunteer it was offered to, gets 409 naming the state.

    An account claims at most ``WISH_CLAIMS_PER_HOUR`` times an hour (429) and holds at
    most ``WISH_OPEN_CLAIMS_MAX`` claims not yet fulfilled (400). The claim is pending until
    the poster or a cadre in scope confirms it (``wish_claim_confirm``)."""
    wish = _wish_for_claim(donor, order_id)
    if wish["resident_id"] == donor.pk:
        raise DomainError(_("不能认领自己发布的微心愿。"), code=OrderErrorCode.OWN_WISH)
    per_hour = int(getattr(settings, "WISH_CLAIMS_PER_HOUR", DEFAULT_WISH_CLAIMS_PER_HOUR))
    if _wish_claims_counted(donor) > per_hour:
        raise WishClaimThrottled(
            _("认领太频繁，每小时最多认领 %(count)d 次，请稍后再试。") % {"count": per_hour},
            code=OrderErrorCode.WISH_CLAIMS_THROTTLED,
        )
    # The donor's row lock makes the count and the claim one step: two claims sent at once
    # by the same account cannot both pass the cap.
    User.objects.select_for_update().filter(pk=donor.pk).values_list("pk", flat=True).first()
    open_max = int(getattr(settings, "WISH_OPEN_CLAIMS_MAX", DEFAULT_WISH_OPEN_CLAIMS_MAX))
    if Order.objects.filter(donor=donor, status=S.ACCEPTED).count() >= open_max:
        raise DomainError(
            _("您已有 %(count)d 个认领中的微心愿，请先送达后再认领新的心愿。")
            % {"count": open_max},
            code=OrderErrorCode.TOO_MANY_OPEN_CLAIMS,
        )
    return transition(
        order_id,
        to=S.ACCEPTED,
        actor=donor,
        donation=True,
        # Claimed, not accepted by a volunteer: nobody may hold it twice (a constraint too).
        extra_condition={"donor__isnull": True, "accepted_by__isnull": True},
        donor=donor,
        accepted_at=timezone.now(),
    )


@transaction.atomic
def wish_claim_confirm(*, actor: User, order_id: int) -> Order:
    """The poster, or a cadre whose scope covers the wish, confirms the donor's claim: from
    now on the donor sees the poster's name, phone and address, and is told so. Anyone else
    finds no such wish (404). Confirming twice changes nothing."""

    order = Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()
    if (
        order is None
        or order.kind != Order.Kind.WISH
        or (
            order.resident_id != actor.pk
            and not orders_managed_by(actor).filter(pk=order_id).exists()
        )
    ):
        raise NotInScope(_("微心愿不存在。"), code=OrderErrorCode.WISH_MISSING)
    if order.status != S.ACCEPTED or order.donor_id is None:
        raise IllegalTransition(
            _("微心愿当前状态为“%(status)s”，没有待确认的认领。")
            % {"status": order.get_status_display()},
            code=OrderErrorCode(f"not_allowed_in_{order.status}"),
        )
    if order.donor_confirmed_at is not None:
        return order
    order.donor_confirmed_at = order.updated_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        donor_confirmed_at=order.donor_confirmed_at, updated_at=order.updated_at
    )
    # Not a transition (the wish stays accepted), but the timeline and the outbox record it
    # as one step, so that the donor is told once, even with the broker down.
    OrderEvent.objects.create(
        order=order,
        from_status=S.ACCEPTED,
        to_status=S.ACCEPTED,
        actor=actor,
        reason=_("认领已确认"),
    )
    notify_on_commit()
    return order


@transaction.atomic
def wish_fulfil(*, donor: User, order_id: int, note: str = "") -> Order:
    """The donor marks the claimed wish fulfilled (accepted → completed, no check-in). The
    note says what was handed over; the resident then rates as for any order. No hours."""
    if not Order.objects.filter(pk=order_id, donor=donor).exists():
        raise NotInScope(_("微心愿不存在。"), code=OrderErrorCode.WISH_NOT_CLAIMED_BY_YOU)
    note = _text(note, field="note", label=_("说明"), max_length=1000, required=False)
    return transition(
        order_id,
        to=S.COMPLETED,
        actor=donor,
        donation=True,
        extra_condition={"donor": donor},
        completed_at=timezone.now(),
        summary=note,
    )
