"""Sixteen volunteers of one team claim 1,000 team-dispatched orders at once.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale
    export REDIS_URL=redis://127.0.0.1:6379/12
    .venv/bin/python bench/bench_claims.py

Runs on the city-scale database (bench/bench_volunteers.py --generate, then
bench/city_orders.py). Makes a team of 16 active volunteers of one village (title "压测"),
places 1,000 orders and dispatches them to the team through the services, then starts 16
claimer processes (each its own database connection, as 16 phones reach 16 web workers),
released together, each taking orders through ``orders.services.order_accept_next`` (the
oldest free order of its teams' pool, one statement, SKIP LOCKED) until the pool is empty.
Every claim commits, writes its event and enqueues its notification, as in production.

Reports claims per second over the claiming phase, double claims (orders with more than one
ACCEPTED event) and orders left unclaimed; beside them, the ceiling measured in the same
run: the same 16 processes each committing a one-row UPDATE of its own row (the cheapest
write transaction PostgreSQL can do here), as many as the claims. Removes what it made.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from accounts.models import User  # noqa: E402
from config.celery import app  # noqa: E402
from orders.models import Order, OrderEvent  # noqa: E402
from orders.services import order_accept_next, order_dispatch, order_place  # noqa: E402
from orders.workflow import claim_next_params, claim_next_sql  # noqa: E402
from practice.models import Center, Service  # noqa: E402
from volunteers.models import Team, TeamMembership, Volunteer  # noqa: E402
from volunteers.services import team_member_add, team_save  # noqa: E402

ORDERS = 1000
CLAIMERS = 16
TITLE = "压测"


def setup() -> tuple[list[int], list[int], Team]:
    cadre = User.objects.get(phone="13800000001")  # the city's cadre (seed_demo)
    village_id = (
        Volunteer.objects.filter(status=Volunteer.Status.ACTIVE, home_center__level="village")
        .values("home_center")
        .annotate(n=Count("id"))
        .filter(n__gte=CLAIMERS)
        .order_by("home_center")
        .values_list("home_center", flat=True)
        .first()
    )
    village = Center.objects.get(pk=village_id)
    team = team_save(
        actor=None,
        team=Team(
            center=village,
            kind=Team.Kind.SPECIALIST,
            specialty=Team.Specialty.OTHER,
            name=f"{TITLE}小队",
        ),
    )
    members = list(
        Volunteer.objects.filter(home_center=village, status=Volunteer.Status.ACTIVE).order_by(
            "id"
        )[:CLAIMERS]
    )
    for volunteer in members:
        team_member_add(actor=cadre, team=team, volunteer=volunteer)
    resident = User.objects.get(phone="13900000001")
    service = Service.objects.get(name="买菜送药")
    order_ids = []
    for number in range(ORDERS):
        order = order_place(
            resident=resident,
            service=service,
            center=village,
            title=f"{TITLE}{number}",
            address="压测地址",
            contact_phone="13900000001",
        )
        order_dispatch(actor=cadre, order_id=order.pk, team=team)
        order_ids.append(order.pk)
    app.control.purge()  # the dispatch and notification tasks placing enqueued
    return [volunteer.pk for volunteer in members], order_ids, team


def claimer(volunteer_id: int, start, results) -> None:
    connections.close_all()  # a fresh connection of its own, not the parent's
    volunteer = Volunteer.objects.get(pk=volunteer_id)
    start.wait()
    claimed = 0
    while order_accept_next(volunteer=volunteer) is not None:
        claimed += 1
    results.put(claimed)


def claimer_statement(volunteer_id: int, start, results) -> None:
    """The database layer alone: the claim statement ``order_accept_next`` runs, one round
    trip each in autocommit, without Django's transaction or the notification."""
    connections.close_all()
    volunteer = Volunteer.objects.get(pk=volunteer_id)
    sql = claim_next_sql()
    start.wait()
    claimed = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, claim_next_params(volunteer.pk, volunteer.user_id))
            if cursor.fetchone() is None:
                break
            claimed += 1
    results.put(claimed)


def touch_own_row(row_id: int, times: int, start, results) -> None:
    connections.close_all()
    start.wait()
    for _ in range(times):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE bench_claim_ceiling SET n = n + 1 WHERE id = %s", [row_id])
    results.put(times)


def run(target, argument_lists) -> tuple[float, int]:
    context = multiprocessing.get_context("fork")
    start = context.Barrier(len(argument_lists) + 1)
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(*arguments, start, results))
        for arguments in argument_lists
    ]
    connections.close_all()
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    done = sum(results.get() for _ in processes)
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join()
    return elapsed, done


def double_claims(order_ids: list[int]) -> int:
    """Orders taken more than once since they were last dispatched."""
    return (
        OrderEvent.objects.filter(order__in=order_ids, to_status=Order.Status.ACCEPTED)
        .values("order")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )


def redispatch(order_ids: list[int], team: Team) -> None:
    """Put the pool back as it was: offered to the team, no holder, and without the first
    run's ACCEPTED events (so that double claims count per run)."""
    OrderEvent.objects.filter(order__in=order_ids, to_status=Order.Status.ACCEPTED).delete()
    Order.objects.filter(pk__in=order_ids).update(
        status=Order.Status.DISPATCHED, accepted_by=None, accepted_at=None, dispatched_team=team
    )


def cleanup(team: Team | None) -> None:
    Order.objects.filter(title__startswith=TITLE).delete()
    if team is not None:
        TeamMembership.objects.filter(team=team).delete()
        team.delete()
    app.control.purge()


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL to the city-scale database.")
    cleanup(Team.objects.filter(name=f"{TITLE}小队").first())
    members, order_ids, team = setup()
    try:
        # The database layer first, then (the pool dispatched again) the whole service.
        layer_elapsed, layer_claimed = run(
            claimer_statement, [(volunteer_id,) for volunteer_id in members]
        )
        layer_doubles = double_claims(order_ids)
        redispatch(order_ids, team)
        elapsed, claimed = run(claimer, [(volunteer_id,) for volunteer_id in members])
        doubles = double_claims(order_ids)
        unclaimed = Order.objects.filter(pk__in=order_ids, accepted_by__isnull=True).count()
        holders = Order.objects.filter(pk__in=order_ids).values("accepted_by").distinct().count()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_claim_ceiling")
            cursor.execute("CREATE UNLOGGED TABLE bench_claim_ceiling (id int PRIMARY KEY, n int)")
            cursor.execute(
                "INSERT INTO bench_claim_ceiling SELECT g, 0 FROM generate_series(1, %s) g",
                [CLAIMERS],
            )
        per_claimer = ORDERS // CLAIMERS
        ceiling_elapsed, updates = run(
            touch_own_row, [(number + 1, per_claimer) for number in range(CLAIMERS)]
        )
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_claim_ceiling")
    finally:
        cleanup(team)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{os.getloadavg()[0]:.1f}, {Volunteer.objects.count():,} volunteers\n"
    )
    print("| run (16 processes) | commits | seconds | per second |")
    print("|---|---|---|---|")
    print(
        f"| database layer: the claim statement, autocommit | {layer_claimed:,} | "
        f"{layer_elapsed:.2f} | {layer_claimed / layer_elapsed:.0f} |"
    )
    print(
        f"| claims through `order_accept_next` | {claimed:,} | {elapsed:.2f} | "
        f"{claimed / elapsed:.0f} |"
    )
    print(
        f"| ceiling: one-row UPDATE transactions | {updates:,} | {ceiling_elapsed:.2f} | "
        f"{updates / ceiling_elapsed:.0f} |"
    )
    print(
        f"\ndouble claims: statement run {layer_doubles}, service run {doubles}; "
        f"left unclaimed: {unclaimed}; "
        f"distinct holders: {holders}"
    )


if __name__ == "__main__":
    main()
