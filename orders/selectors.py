"""Reads of orders, scoped to whoever asks, and the ranking of dispatch candidates."""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Right
from django.utils import timezone

from accounts.http import account_of
from accounts.models import User
from orders.models import PHONE_TAIL_LENGTH, Order, OrderRefusal
from practice.models import CadreRole, Center, Service
from practice.scoping import RoleRow, scope_queryset
from volunteers.availability import slot_bit_at
from volunteers.models import TeamMembership, Volunteer
from volunteers.selectors import volunteer_of, volunteers_in_scope

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

# A volunteer's load: the tasks they hold, and the offers waiting for their answer (a burst
# of orders in one village must not all be offered to the one volunteer ranked first).
HELD_STATUSES = (Order.Status.ACCEPTED, Order.Status.IN_SERVICE)
DONE_STATUSES = (Order.Status.COMPLETED, Order.Status.RATED)
# After completion the holder still sees the address and phone for this many days (a
# forgotten item to return, a question about the visit), then they are masked.
DEFAULT_CONTACT_DAYS_AFTER_COMPLETION = 3


def orders_managed_by(user: User, *, roles: Iterable[RoleRow] | None = None) -> QuerySet[Order]:
    """The orders ``user`` manages as a cadre (dispatch, reject, the dispatch board): their
    subtree's and nothing else, not even their own as a resident."""
    return scope_queryset(Order.objects.all(), user, via="center", roles=roles)


# A row of `.values("team_id")`: the memberships passed to _as_volunteer as a subquery.
class _TeamId(TypedDict):
    team_id: int


def _as_volunteer(
    volunteer: Volunteer | Subquery, team_ids: QuerySet[TeamMembership, _TeamId]
) -> Q:
    """What a volunteer reads: offered to them or a team of theirs, or held by them."""
    # The "is not null" tests are implied, and written out so that each branch matches
    # the predicate of its partial index (order_offered_to_volunteer / _team).
    return (
        Q(accepted_by=volunteer)
        | Q(
            status=Order.Status.DISPATCHED,
            dispatched_volunteer__isnull=False,
            dispatched_volunteer=volunteer,
        )
        | Q(
            status=Order.Status.DISPATCHED,
            dispatched_team__isnull=False,
            dispatched_team__in=team_ids,
        )
    )


def own_orders_q(user: User) -> Q:
    """The orders that are the user's own, whatever their roles: placed by them, claimed as
    a donor, held by them or offered to them or their teams as a volunteer. Subqueries, not
    a fetch of the volunteer, so that it is one statement."""
    return (
        Q(resident=user)
        | Q(donor=user)
        | _as_volunteer(
            Subquery(Volunteer.objects.filter(user=user).values("pk")[:1]),
            TeamMembership.objects.filter(volunteer__user=user, left_on__isnull=True).values(
                "team_id"
            ),
        )
    )


def orders_as_volunteer(volunteer: Volunteer) -> QuerySet[Order]:
    """What the volunteer reads as a volunteer (their task pool): offered to them or a team
    of theirs, or held by them; never what they read as a cadre of a subtree."""
    team_ids = TeamMembership.objects.filter(volunteer=volunteer, left_on__isnull=True).values(
        "team_id"
    )
    return Order.objects.filter(_as_volunteer(volunteer, team_ids))


# ---------------------------------------------------------------- who sees the contact
#
# One policy for "may this user see this order's resident: name, phone, address", for
# every surface (the order page, the task list, the API, the admin, exports). Written as a
# SQL expression so that a list annotates it without a query per row, and a single order
# asks the same expression.


def contact_days_after_completion() -> int:
    return int(
        getattr(
            settings, "ORDER_CONTACT_DAYS_AFTER_COMPLETION", DEFAULT_CONTACT_DAYS_AFTER_COMPLETION
        )
    )


def _contact_visible_expression(user: object, *, now: datetime.datetime | None = None) -> Case:
    """True where ``user`` may see the order's contact: the resident who placed it; a cadre
    whose scope covers the order's village; the volunteer holding it (accepted or in
    service) and, after completion, for ``ORDER_CONTACT_DAYS_AFTER_COMPLETION`` days; the
    donor of a wish once the poster or the center confirmed the claim, with the same window
    after it is fulfilled. Never a volunteer or team merely offered the order."""
    account = account_of(user)
    if account is None or not account.is_active:
        return Case(default=Value(False), output_field=BooleanField())
    now = now or timezone.now()
    since = now - datetime.timedelta(days=contact_days_after_completion())
    lately_done = Q(status__in=DONE_STATUSES, completed_at__gte=since)
    recent = Q(status__in=HELD_STATUSES) | lately_done
    holder = Subquery(Volunteer.objects.filter(user=account).values("pk")[:1])
    # The order's village in the user's subtrees: the containment test on the tree (no
    # query for the roles), the same answer as orders_managed_by's copied columns.
    managed = Exists(
        scope_queryset(Center.objects.filter(pk=OuterRef("center_id")), account, via="")
    )
    return Case(
        When(Q(resident_id=account.pk), then=Value(True)),
        When(Q(accepted_by=holder) & recent, then=Value(True)),
        When(
            Q(kind=Order.Kind.WISH, donor_id=account.pk, donor_confirmed_at__isnull=False)
            & (
                Q(status=Order.Status.ACCEPTED)
                | Q(status__in=DONE_STATUSES, completed_at__gte=since)
            ),
            then=Value(True),
        ),
        When(managed, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def with_contact_visibility(
    queryset: QuerySet[Order], user: object, *, now: datetime.datetime | None = None
) -> QuerySet[Order]:
    """``queryset`` with ``contact_visible`` on each order: the contact policy as a column."""
    return queryset.annotate(contact_visible=_contact_visible_expression(user, now=now))


def order_contact_visible(
    user: object, order: Order, *, now: datetime.datetime | None = None
) -> bool:
    """Whether ``user`` may see ``order``'s resident name, phone and address. An order read
    through ``with_contact_visibility`` answers without a query."""
    known = getattr(order, "contact_visible", None)
    if known is not None and now is None:
        return bool(known)
    return bool(
        Order.objects.filter(pk=order.pk)
        .annotate(contact_visible=_contact_visible_expression(user, now=now))
        .values_list("contact_visible", flat=True)
        .first()
    )


def order_offered_to(volunteer: Volunteer | None, order: Order) -> bool:
    """Whether ``order``'s offer names ``volunteer`` or a team they are a member of now,
    whatever state the order is in since."""
    if volunteer is None:
        return False
    if order.dispatched_volunteer_id == volunteer.pk:
        return True
    return (
        order.dispatched_team_id is not None
        and TeamMembership.objects.filter(
            team_id=order.dispatched_team_id, volunteer=volunteer, left_on__isnull=True
        ).exists()
    )


def orders_for(user: User) -> QuerySet[Order]:
    """What ``user`` may read: a cadre their subtree's orders, a volunteer the orders offered
    to them or their teams or held by them, a resident their own; anyone, the micro-wishes
    they claimed as a donor (they deliver them, so they need the address and phone).

    A cadre reads their subtree's orders and also what they read as a resident, a donor or a
    volunteer, wherever it is; reading is not managing (``orders_managed_by``)."""
    if not getattr(user, "is_authenticated", False):
        return Order.objects.none()
    mine = Q(resident=user) | Q(donor=user)
    if user.is_superuser:
        return orders_managed_by(user)
    rows = cadre_roles_and_own(user.pk)
    if rows:
        scoped = orders_managed_by(user, roles=[row[:-1] for row in rows])
        # Only a cadre who has such orders pays for the OR: it would turn the indexed
        # "newest 20 of this county" read into a scan of every order in scope.
        if rows[0][-1]:
            scoped = scoped | Order.objects.filter(own_orders_q(user))
        return scoped
    volunteer = volunteer_of(user)
    if volunteer is not None:
        team_ids = TeamMembership.objects.filter(volunteer=volunteer, left_on__isnull=True).values(
            "team_id"
        )
        mine |= _as_volunteer(volunteer, team_ids)
    return Order.objects.filter(mine)


# Whether the user is a cadre (practice.scoping.is_cadre's test) with the roles the scope is
# built from (ROLE_COLUMNS), and, for a cadre, whether any order is theirs as a resident, a
# donor or a volunteer: what own_orders_q matches, written out (a test holds the two
# together). Every read of orders asks it first, and compiling it through the ORM took four
# times as long as PostgreSQL takes to answer it. Without a role there is no row, and the
# EXISTS is never evaluated.
_ROLES_AND_OWN_SQL = """
SELECT r.center_id, c.level, c.tree_id, c.lft, c.rght, EXISTS (
    SELECT 1 FROM {order} o
    WHERE o.resident_id = %(user)s
        OR o.donor_id = %(user)s
        OR o.accepted_by_id = (SELECT v.id FROM {volunteer} v WHERE v.user_id = %(user)s)
        OR (o.status = %(offered)s AND o.dispatched_volunteer_id IS NOT NULL
            AND o.dispatched_volunteer_id = (
                SELECT v.id FROM {volunteer} v WHERE v.user_id = %(user)s))
        OR (o.status = %(offered)s AND o.dispatched_team_id IS NOT NULL
            AND o.dispatched_team_id IN (
                SELECT m.team_id FROM {membership} m JOIN {volunteer} v ON v.id = m.volunteer_id
                WHERE v.user_id = %(user)s AND m.left_on IS NULL))
) AS has_own
FROM {role} r JOIN {center} c ON c.id = r.center_id
WHERE r.user_id = %(user)s
"""


@functools.cache
def _roles_and_own_sql() -> str:
    return _ROLES_AND_OWN_SQL.format(
        order=Order._meta.db_table,
        volunteer=Volunteer._meta.db_table,
        membership=TeamMembership._meta.db_table,
        role=CadreRole._meta.db_table,
        center=Center._meta.db_table,
    )


def cadre_roles_and_own(user_id: int) -> list[tuple[int, str, int, int, int, bool]]:
    """The user's cadre roles as rows of ROLE_COLUMNS, each followed by whether the user
    has orders of their own (the same on every row); no rows for someone with no role."""
    with connection.cursor() as cursor:
        cursor.execute(_roles_and_own_sql(), {"user": user_id, "offered": Order.Status.DISPATCHED})
        return cursor.fetchall()


# The ranking, in SQL: automatic dispatch runs it thousands of times a minute in a burst,
# and building it through the ORM cost twice what PostgreSQL takes to run it. The same text
# serves the dispatch page (the ten best of a tier) and, inside one statement with the
# UPDATE, automatic dispatch (orders.workflow.dispatch_to_best). A join for the tasks held
# and the last task, GROUP BY the primary key; a count per volunteer for the offers waiting.
#
# Who: active and insured; a skill the service asks for (any, when it asks for none); free
# in the weekly slot asked about; never one who declined or let this order lapse; living in
# the tier (village, township or county) asked about. Order: fewest open tasks, then the
# longest since their last task (never first), then the oldest volunteer.
#
# The states are written into the text, not passed as parameters: automatic dispatch
# prepares the statement once per session, and PostgreSQL can use the partial indexes (on
# "status = 'active'", "status = 'dispatched'") in a plan made for any parameters only when
# it reads the state in the text. With the states as parameters it planned every execution
# anew, which cost as much as running it.
_CANDIDATES_SQL = """
SELECT {columns},
    COUNT(o.id) FILTER (WHERE o.status IN ({held})) + (
        SELECT COUNT(*) FROM {order} d
        WHERE d.dispatched_volunteer_id = v.id AND d.status = {offered}
    ) AS open_tasks,
    MAX(o.accepted_at) AS last_task_at
FROM {volunteer} v
LEFT JOIN {order} o ON o.accepted_by_id = v.id
WHERE v.{tier} = {tier_value}
    AND v.status = {active}
    AND v.insurance_valid_until >= %(today)s
    AND (v.availability & %(slot_bit)s) <> 0
    AND NOT EXISTS (
        SELECT 1 FROM {refusal} r WHERE r.order_id = %(order_id)s AND r.volunteer_id = v.id
    )
    AND (
        NOT EXISTS (SELECT 1 FROM {service_skill} ss WHERE ss.service_id = {service_value})
        OR EXISTS (
            SELECT 1 FROM {volunteer_skill} vs
            JOIN {service_skill} ss ON ss.skill_id = vs.skill_id
            WHERE ss.service_id = {service_value} AND vs.volunteer_id = v.id
        )
    ){scope}
GROUP BY v.id
ORDER BY open_tasks, last_task_at NULLS FIRST, v.id
LIMIT %(limit)s
"""

# The tiers, nearest first: the column of the volunteer's copied home ancestors each one
# compares, and the order's column it is compared with.
CANDIDATE_TIERS = (
    ("home_center_id", "center_id"),
    ("township_id", "township_id"),
    ("county_id", "county_id"),
)


# What the dispatch page shows of each candidate. Automatic dispatch needs the id alone,
# which the on-call indexes hold (volunteers.models): it ranks without reading the rows.
CANDIDATE_COLUMNS = "v.id, v.user_id, v.real_name, v.status, v.home_center_id, v.township_id"


def sql_literal(code: str) -> str:
    """A state or similar code of ours (lower-case letters and underscores), quoted for SQL
    text. Never for input: anything else is refused."""
    if not re.fullmatch(r"[a-z_]+", code):
        raise ValueError(code)
    return f"'{code}'"


def candidates_sql(
    tier: str,
    *,
    tier_value: str = "%(tier_id)s",
    service_value: str = "%(service_id)s",
    columns: str = CANDIDATE_COLUMNS,
    scope: str = "",
) -> str:
    """The ranking for one tier (a volunteer column of CANDIDATE_TIERS), to run with
    ``candidate_params``. The tier's center and the service are parameters, or SQL
    expressions that read them (automatic dispatch reads them from the order row in the
    same statement); ``columns`` are the volunteer's columns to return (``v.``); ``scope``
    a further condition on ``v`` (``actor_scope_sql``: the acting cadre's subtree)."""
    if tier not in {column for column, _ in CANDIDATE_TIERS}:
        raise ValueError(tier)
    return _CANDIDATES_SQL.format(
        held=", ".join(sql_literal(status) for status in HELD_STATUSES),
        offered=sql_literal(Order.Status.DISPATCHED),
        active=sql_literal(Volunteer.Status.ACTIVE),
        columns=columns,
        tier_value=tier_value,
        service_value=service_value,
        volunteer=Volunteer._meta.db_table,
        order=Order._meta.db_table,
        refusal=OrderRefusal._meta.db_table,
        service_skill=Service.skills.through._meta.db_table,
        volunteer_skill=Volunteer.skills.through._meta.db_table,
        tier=tier,
        scope=scope,
    )


def actor_scope_sql(actor: User) -> tuple[str, dict[str, object]]:
    """The acting cadre's scope over volunteers as a condition on ``v`` for the ranking, and
    its parameters: the very statement of ``volunteers_in_scope`` (practice.scoping), with
    its placeholders named so that it joins the ranking's named ones."""
    if actor.is_superuser:
        return "", {}
    sql, params = volunteers_in_scope(actor).values("pk").query.sql_with_params()
    if "%%" in sql:  # a literal percent sign would not survive the renaming below
        raise ValueError(sql)
    names = [f"scope_{index}" for index in range(len(params))]
    named = sql % tuple(f"%({name})s" for name in names)
    return f"\n    AND v.id IN ({named})", dict(zip(names, params, strict=True))


def candidate_params(
    *,
    order_id: int,
    service_id: int | None,
    tier_id: int | None,
    slot_bit: int,
    today: datetime.date,
    limit: int,
) -> dict[str, object]:
    return {
        "tier_id": tier_id,
        "active": Volunteer.Status.ACTIVE,
        "today": today,
        "slot_bit": slot_bit,
        "order_id": order_id,
        "service_id": service_id,
        "limit": limit,
    }


def dispatch_candidates(
    order: Order,
    *,
    at: datetime.datetime | None = None,
    limit: int = 10,
    actor: User | None = None,
) -> list[Volunteer]:
    """Volunteers who may be offered ``order``, best first (at most ``limit``): the nearest
    tier that has any, by the ranking above. One query per tier, at most three. Each carries
    ``open_tasks`` and ``last_task_at`` for the dispatch page to show why.

    With an ``actor`` (a cadre on the dispatch page) only volunteers in the actor's subtree
    are ranked: a township cadre never reads the names of the county's other volunteers.
    Automatic dispatch has no actor and escalates up to the county."""
    at = at or timezone.localtime()
    bit = slot_bit_at(at)
    if not bit:
        return []
    scope, scope_params = actor_scope_sql(actor) if actor is not None else ("", {})
    for volunteer_column, order_column in CANDIDATE_TIERS:
        params = candidate_params(
            order_id=order.pk,
            service_id=order.service_id,
            tier_id=getattr(order, order_column),
            slot_bit=bit,
            today=at.date(),
            limit=limit,
        )
        params.update(scope_params)
        found = list(Volunteer.objects.raw(candidates_sql(volunteer_column, scope=scope), params))
        if found:
            return found
    return []


def orders_offered_to(user: User) -> QuerySet[Order]:
    """The orders whose offer names the user's volunteer profile or one of their teams, in
    whatever state they are now. Accepting answers these with their state (409, "already
    accepted") rather than as absent: ``orders_for`` stops showing a team's order to the
    other members once one of them holds it, yet those who lost the race must learn why."""
    volunteer = volunteer_of(user)
    if volunteer is None:
        return Order.objects.none()
    team_ids = TeamMembership.objects.filter(volunteer=volunteer, left_on__isnull=True).values(
        "team_id"
    )
    return Order.objects.filter(Q(dispatched_volunteer=volunteer) | Q(dispatched_team__in=team_ids))


# ---------------------------------------------------------------- the cadre's queue
#
# Counted on every page a cadre opens (the top bar, the admin index): each count stops at
# QUEUE_COUNT_CAP rows, so the city's queue costs what a village's does; the page shows
# "99+" for a count that reached the cap.

QUEUE_COUNT_CAP = 100
DEFAULT_QUEUE_EXPIRING_MINUTES = 30


def capped_counts(querysets: dict[str, QuerySet], *, cap: int = QUEUE_COUNT_CAP) -> dict[str, int]:
    """How many rows each queryset has, up to ``cap``, all in one statement: a COUNT over a
    subquery that stops at ``cap`` rows, never an exact COUNT over the whole subtree."""
    parts: list[str] = []
    params: list[_SQLType] = []
    for position, queryset in enumerate(querysets.values()):
        try:
            sql, part_params = queryset.order_by().values("pk")[:cap].query.sql_with_params()
        except EmptyResultSet:
            # A scope that matches nothing (no role) compiles to no SQL at all.
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{position})")
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return dict(zip(querysets, (int(value) for value in row), strict=True))


def cadre_queue_counts(
    user: User,
    *,
    roles: Iterable[RoleRow] | None = None,
    now: datetime.datetime | None = None,
) -> dict[str, int]:
    """The cadre's queue, each count capped: ``waiting`` (placed, not flagged), ``flagged``
    (placed, nobody found up to the county) and ``expiring`` (offered, the accept deadline
    within ``ORDER_QUEUE_EXPIRING_MINUTES`` or already past and not yet swept)."""
    now = now or timezone.now()
    minutes = int(getattr(settings, "ORDER_QUEUE_EXPIRING_MINUTES", DEFAULT_QUEUE_EXPIRING_MINUTES))
    managed = orders_managed_by(user, roles=roles)
    return capped_counts(
        {
            "waiting": managed.filter(status=Order.Status.PLACED, flagged_at__isnull=True),
            "flagged": managed.filter(status=Order.Status.PLACED, flagged_at__isnull=False),
            "expiring": managed.filter(
                status=Order.Status.DISPATCHED,
                accept_deadline__isnull=False,
                accept_deadline__lte=now + datetime.timedelta(minutes=minutes),
            ),
        }
    )


# ---------------------------------------------------------------- searching orders
#
# What a cadre types into the admin's search box, each answered through an index
# (orders.models): a contact number in full (digits and a dash, seven or more), its last
# four digits (尾号), otherwise the beginning of the title. A substring anywhere in the
# title would read every order in scope.

_PHONE_TAIL = re.compile(rf"\d{{{PHONE_TAIL_LENGTH}}}")
_FULL_PHONE = re.compile(r"[\d-]{7,20}")


def search_orders(queryset: QuerySet[Order], term: str) -> QuerySet[Order]:
    """``queryset`` narrowed to the orders ``term`` finds; all of it for an empty term."""
    term = term.strip()
    if not term:
        return queryset
    if _PHONE_TAIL.fullmatch(term):
        return queryset.alias(phone_tail=Right("contact_phone", PHONE_TAIL_LENGTH)).filter(
            phone_tail=term
        )
    if _FULL_PHONE.fullmatch(term) and any(ch.isdigit() for ch in term):
        return queryset.filter(contact_phone=term)
    # Case-sensitive on purpose: LIKE 'x%' reads the varchar_pattern_ops index, while
    # ILIKE or UPPER() could not; Chinese titles have no case anyway.
    return queryset.filter(title__startswith=term)
