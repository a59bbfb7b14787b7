"""The order state machine: the only code that changes an order's status.

Each transition reads the order's status under a row lock, then makes one conditional UPDATE
(compare-and-set over the set of states the step is legal from) plus an event row naming the
state it found, inside the caller's transaction. When two requests race for one order, the
lock queues them: the second reads the state the first left and goes on if the step is still
legal from it (a cancel after a worker dispatched the order), or is refused with that state
(a second accept). A check-then-write in Python would let both through; a compare on the one
status read before the write would refuse a step that is still legal (a spurious 409).
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.errors import ConflictError, NotInScope
from orders.enqueue import notify_on_commit
from orders.errors import OrderErrorCode
from orders.models import Order, OrderEvent, status_label
from orders.selectors import CANDIDATE_TIERS, candidate_params, candidates_sql, sql_literal
from practice.models import Center
from volunteers.models import TeamMembership

S = Order.Status

ALLOWED: dict[str, frozenset[str]] = {
    S.PLACED: frozenset({S.DISPATCHED, S.CANCELLED, S.REJECTED}),
    # Back to placed when the volunteer declines or the acceptance deadline passes.
    S.DISPATCHED: frozenset({S.ACCEPTED, S.PLACED, S.CANCELLED, S.REJECTED}),
    S.ACCEPTED: frozenset({S.IN_SERVICE, S.CANCELLED}),
    S.IN_SERVICE: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset({S.RATED}),
    S.RATED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
}

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise


# A micro-wish claimed by a donor skips dispatch, and needs no check-in: a donation is handed
# over, not served by the hour. These moves exist only for kind=wish and only for the donor:
# a caller asks for them with ``donation=True`` (orders.services.wish_claim / wish_fulfil),
# and the UPDATE then also requires the row to be a wish. Service orders, and wishes taken
# through the volunteer flow, keep ALLOWED alone.
DONATION_ALLOWED: dict[str, frozenset[str]] = {
    S.PLACED: frozenset({S.ACCEPTED}),
    S.DISPATCHED: frozenset({S.ACCEPTED}),
    S.ACCEPTED: frozenset({S.COMPLETED}),
}


class IllegalTransition(ConflictError):
    """409: the order is not in a state that allows this action."""


def sources_of(target: str, table: dict[str, frozenset[str]] = ALLOWED) -> frozenset[str]:
    return frozenset(source for source, targets in table.items() if target in targets)


def transition(
    order_id: int,
    *,
    to: str,
    actor: User | None,
    reason: str = "",
    only_from: frozenset[str] | None = None,
    extra_condition: dict[str, Any] | None = None,
    donation: bool = False,
    **changes: Any,
) -> Order:
    """Move order ``order_id`` to ``to`` if its status allows it (and, narrower,
    ``only_from``), setting ``changes`` in the same UPDATE; write the event; return the
    fresh order. ``extra_condition`` adds filters the row must still meet (e.g. "dispatched
    to this volunteer"), checked atomically with the status. Raises IllegalTransition with
    the current state when the row did not match. ``donation`` moves a micro-wish by its
    donor along DONATION_ALLOWED instead."""
    table = DONATION_ALLOWED if donation else ALLOWED
    allowed_from = sources_of(to, table)
    if only_from is not None:
        allowed_from &= only_from
    condition = dict(extra_condition or {})
    if donation:
        condition["kind"] = Order.Kind.WISH
    # No savepoint of its own: callers (the services) run it inside their transaction, and
    # two more round trips per step would take automatic dispatch past its 10 queries. A
    # refusal is raised before anything is written and spoils the caller's transaction, so
    # a caller that catches IllegalTransition must leave its atomic block (order_expire
    # and auto_dispatch do), not go on querying in it.
    with transaction.atomic(savepoint=False):
        # FOR UPDATE: a rival step (a worker dispatching the order just placed) either
        # committed before this read, and the step is judged against the state it left, or
        # waits until this transaction ends. The status read here is then the one the UPDATE
        # sees, and the event names it. (SQLite, the demo's, has one writer at a time.)
        current = (
            Order.objects.select_for_update()
            .filter(pk=order_id)
            .values_list("status", flat=True)
            .first()
        )
        if current is None:
            raise NotInScope(_("订单不存在。"), code=OrderErrorCode.ORDER_MISSING)
        # Compare-and-set over every state the step is legal from, not the one just read.
        updated = Order.objects.filter(pk=order_id, status__in=allowed_from, **condition).update(
            status=to, updated_at=timezone.now(), **changes
        )
        if updated != 1:
            raise _refusal(order_id, to, donation=donation)
        OrderEvent.objects.create(
            order_id=order_id, from_status=current, to_status=to, actor=actor, reason=reason[:200]
        )
        # Every transition tells the people it concerns, once it is committed: the event is
        # the outbox, and the notifier is woken to read it.
        notify_on_commit()
        return Order.objects.get(pk=order_id)


def _refusal(order_id: int, to: str, *, donation: bool = False) -> IllegalTransition:
    row = Order.objects.filter(pk=order_id).values_list("status", "kind", "donor_id").first()
    status = row[0] if row else None
    # In the order's words: a wish waiting for a donor is 待认领.
    label = (
        status_label(row[0], wish=row[1] == Order.Kind.WISH, donated=row[2] is not None)
        if row
        else "?"
    )
    names = DONATION_ACTION_NAMES if donation else ACTION_NAMES
    return IllegalTransition(
        _("订单当前状态为“%(status)s”，不能%(action)s。")
        % {"status": label, "action": names.get(to, gettext_lazy("执行此操作"))},
        code=OrderErrorCode(f"not_allowed_in_{status}"),
    )


ACTION_NAMES: dict[str, StrPromise] = {
    S.DISPATCHED: gettext_lazy("派单"),
    S.ACCEPTED: gettext_lazy("接单"),
    S.PLACED: gettext_lazy("退回重新派单"),
    S.IN_SERVICE: gettext_lazy("开始服务"),
    S.COMPLETED: gettext_lazy("完成服务"),
    S.RATED: gettext_lazy("评价"),
    S.CANCELLED: gettext_lazy("取消"),
    S.REJECTED: gettext_lazy("驳回"),
}
DONATION_ACTION_NAMES: dict[str, StrPromise] = {
    S.ACCEPTED: gettext_lazy("认领"),
    S.COMPLETED: gettext_lazy("标记为已实现"),
}


# One round trip: for each team of the volunteer, the oldest order offered to it that no
# other claimer holds a lock on (SKIP LOCKED: sixteen phones tapping at once each get a
# different order instead of queueing behind one row); the oldest of those is taken and its
# event written. Team by team (LATERAL), so each look-up is a short range of the team's
# open offers in id order, never a sort of every open offer in the city.
_CLAIM_NEXT_SQL = """
WITH chosen AS (
    SELECT free.id
    FROM {membership} m
    CROSS JOIN LATERAL (
        SELECT o.id FROM {order} o
        WHERE o.status = %(dispatched)s AND o.dispatched_team_id IS NOT NULL
            AND o.dispatched_team_id = m.team_id
        ORDER BY o.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    ) free
    WHERE m.volunteer_id = %(volunteer)s AND m.left_on IS NULL
    ORDER BY free.id
    LIMIT 1
),
claimed AS (
    UPDATE {order} SET status = %(accepted)s, accepted_by_id = %(volunteer)s,
        accepted_at = %(now)s, updated_at = %(now)s
    WHERE id = (SELECT id FROM chosen) AND status = %(dispatched)s
    RETURNING id
)
INSERT INTO {event} (order_id, from_status, to_status, actor_id, reason, at)
SELECT id, %(dispatched)s, %(accepted)s, %(actor)s, '', %(now)s FROM claimed
RETURNING order_id, id
"""


def claim_next_sql() -> str:
    """The claim statement (PostgreSQL), for ``claim_next_params``; RETURNING order_id, id."""
    return _CLAIM_NEXT_SQL.format(
        order=connection.ops.quote_name(Order._meta.db_table),
        membership=connection.ops.quote_name(TeamMembership._meta.db_table),
        event=connection.ops.quote_name(OrderEvent._meta.db_table),
    )


def claim_next_params(volunteer_id: int, actor_id: int | None) -> dict[str, Any]:
    return {
        "accepted": S.ACCEPTED,
        "dispatched": S.DISPATCHED,
        "volunteer": volunteer_id,
        "actor": actor_id,
        "now": timezone.now(),
    }


def claim_next_in_pool(*, volunteer_id: int, actor_id: int | None) -> int | None:
    """Accept the oldest order dispatched to one of the volunteer's teams that is still
    free; return its id, or None when the pool is empty. The row lock settles races: an
    order is taken by exactly one claimer, and the others are given the next one."""
    if connection.vendor != "postgresql":
        return _claim_next_portable(volunteer_id=volunteer_id, actor_id=actor_id)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(claim_next_sql(), claim_next_params(volunteer_id, actor_id))
        row = cursor.fetchone()
        if row is None:
            return None
        notify_on_commit()
        return row[0]


def _claim_next_portable(*, volunteer_id: int, actor_id: int | None) -> int | None:
    """The same claim on a database without data-modifying CTEs (the demo's SQLite, which
    lets one writer in at a time anyway): pick the oldest free order, then take it through
    ``transition``; a claimer that loses the race is told the pool moved on (None)."""
    teams = TeamMembership.objects.filter(volunteer_id=volunteer_id, left_on__isnull=True)
    with transaction.atomic(savepoint=False):
        order_id = (
            Order.objects.select_for_update(skip_locked=True)
            .filter(status=S.DISPATCHED, dispatched_team_id__in=teams.values("team_id"))
            .order_by("id")
            .values_list("pk", flat=True)
            .first()
        )
        if order_id is None:
            return None
        try:
            transition(
                order_id,
                to=S.ACCEPTED,
                actor=User.objects.filter(pk=actor_id).first() if actor_id else None,
                only_from=frozenset({S.DISPATCHED}),
                extra_condition={"dispatched_team_id__in": teams.values("team_id")},
                accepted_by_id=volunteer_id,
                accepted_at=timezone.now(),
            )
        except IllegalTransition:
            return None
        return order_id


# Automatic dispatch in one round trip: read the order (still placed, and automatic
# dispatch not switched off at its village or above), rank the tier (the same SQL as the
# dispatch page, orders.selectors), offer the order to the best and write the event. When
# the order is no longer placed (a second delivery of the task, a cadre who dispatched by
# hand meanwhile), or switched off, the ranking has no tier to look in and nothing moves.
_DISPATCH_TO_BEST_SQL = """
WITH target AS (
    SELECT o.{order_tier} AS tier_id, o.service_id
    FROM {order} o
    WHERE o.id = %(order_id)s AND o.status = {placed}
        AND NOT EXISTS (
            SELECT 1 FROM {center} here
            JOIN {center} c ON c.tree_id = here.tree_id AND c.lft <= here.lft
                AND c.rght >= here.rght
            WHERE here.id = o.center_id AND NOT c.auto_dispatch
        )
),
best AS (
{candidates}
),
moved AS (
    UPDATE {order} SET status = {dispatched}, dispatched_volunteer_id = best.id,
        dispatched_team_id = NULL, accept_deadline = %(deadline)s, flagged_at = NULL,
        updated_at = %(now)s
    FROM best
    WHERE {order}.id = %(order_id)s AND {order}.status = {placed}
    RETURNING {order}.id AS order_id
)
INSERT INTO {event} (order_id, from_status, to_status, actor_id, reason, at)
SELECT order_id, {placed}::varchar, {dispatched}::varchar, %(actor)s::bigint,
    %(reason)s::varchar, %(now)s::timestamptz
FROM moved
RETURNING id
"""


def dispatch_to_best(
    *,
    order_id: int,
    tier: str,
    slot_bit: int,
    today: datetime.date,
    deadline: datetime.datetime,
    actor_id: int | None = None,
    reason: str = "",
) -> bool:
    """Offer order ``order_id``, if still placed and not switched off, to the best candidate
    of one tier (a volunteer column of orders.selectors.CANDIDATE_TIERS), with its acceptance
    deadline; True when it was offered, False otherwise (nobody in the tier, or nothing to
    offer). PostgreSQL only (a data-modifying WITH); elsewhere automatic dispatch ranks,
    then calls ``transition``. The event names ``actor_id`` (a cadre who pressed 自动派单;
    None for the dispatcher on its own) and ``reason``."""
    order_tier = dict(CANDIDATE_TIERS)[tier]
    sql = _DISPATCH_TO_BEST_SQL.format(
        candidates=candidates_sql(
            tier,
            tier_value="(SELECT tier_id FROM target)",
            service_value="(SELECT service_id FROM target)",
            columns="v.id",
        ),
        order=connection.ops.quote_name(Order._meta.db_table),
        event=connection.ops.quote_name(OrderEvent._meta.db_table),
        center=connection.ops.quote_name(Center._meta.db_table),
        order_tier=order_tier,
        placed=sql_literal(S.PLACED),
        dispatched=sql_literal(S.DISPATCHED),
    )
    params: dict[str, Any] = candidate_params(
        order_id=order_id, service_id=None, tier_id=None, slot_bit=slot_bit, today=today, limit=1
    )
    params.update(deadline=deadline, now=timezone.now(), actor=actor_id, reason=reason[:200])
    # No transaction of its own: one statement is atomic, and outside a transaction the
    # notifier is woken at once, as it is on commit inside one.
    with connection.cursor() as cursor:
        name = f"portal_dispatch_{tier}"
        execute_sql, ordered = _prepared(cursor, name, sql)
        cursor.execute(execute_sql, [params[key] for key in ordered])
        row = cursor.fetchone()
    if row is None:
        return False
    notify_on_commit()
    return True


# Planning the dispatch statement took as long as running it (0.7 ms each at city scale):
# each database session prepares it once per tier, and PostgreSQL keeps one plan for it
# (plan_cache_mode, set for every session in config/settings.py): left to choose, it planned
# every execution anew, though one order's ranking in one tier is the same work whatever
# the order. The plan can use the partial indexes because the states are in the text
# (orders.selectors). The names prepared
# are kept on Django's connection with the session they belong to (the driver's connection
# and its server process), since Django may reconnect at any time. (A pooler in transaction
# mode, which hands sessions around, would need this off.)
_PARAMETER = re.compile(r"%\((\w+)\)s")


def _prepared(cursor: Any, name: str, sql: str) -> tuple[str, list[str]]:
    """PREPARE ``sql`` (with %(name)s parameters) as ``name`` in this session if not done
    yet; return the EXECUTE to run and the parameter names in their positional order."""
    ordered: list[str] = []
    for key in _PARAMETER.findall(sql):
        if key not in ordered:
            ordered.append(key)
    raw = connection.connection
    session = (id(raw), raw.get_backend_pid())
    known: tuple[tuple[int, int], set[str]] | None = getattr(connection, "portal_prepared", None)
    if known is None or known[0] != session:
        known = (session, set())
        setattr(connection, "portal_prepared", known)  # noqa: B010  (ours, on Django's object)
    done = known[1]
    if name not in done:
        positional = _PARAMETER.sub(lambda match: f"${ordered.index(match.group(1)) + 1}", sql)
        cursor.execute(f"PREPARE {name} AS {positional}")
        done.add(name)
    return f"EXECUTE {name} ({', '.join(['%s'] * len(ordered))})", ordered
