"""Sixteen volunteers redeem at the love supermarket at once.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale
    export REDIS_URL=redis://127.0.0.1:6379/12
    .venv/bin/python bench/bench_redemptions.py

Runs on any PostgreSQL database with a village of at least 16 active volunteers (the
city-scale one, or one seeded by ``manage.py seed_demo``). Gives 16 of them points (a
cadre-source entry of the ledger), stocks items at their village, then starts 16 processes
(each its own database connection, as 16 phones reach 16 web workers), released together,
each redeeming one unit at a time through ``points.services.supermarket.redemption_request``
(the stock's and the balance's conditional UPDATEs, the redemption row and its ledger entry,
one transaction) until it has made its share. Two runs: every process on one hot item (the
worst case: every redemption waits on the same row lock), then each on an item of its own.

Beside them, the ceiling measured in the same run: the same 16 processes each committing a
one-row UPDATE of its own row, as many as the redemptions. Then checks what must hold: no
stock and no balance below zero, the stock taken equals the redemptions made, one ledger
entry per redemption. Removes what it made and puts the balances back.
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

from config.celery import app  # noqa: E402
from points.models import Kind, PointsEntry, Redemption, Source, SupermarketItem  # noqa: E402
from points.services.ledger import points_credit  # noqa: E402
from points.services.supermarket import item_save, redemption_request  # noqa: E402
from volunteers.models import Volunteer  # noqa: E402

CLIENTS = 16
EACH = 100  # redemptions per client and run
NAME = "压测商品"
# The source id of the bench's points (source "cadre"): far from any real record's.
BENCH_RECORD = 9_900_000


def setup() -> tuple[list[int], dict[int, int], int]:
    """The volunteers, their balances before, and their village."""
    village_id = (
        Volunteer.objects.filter(status=Volunteer.Status.ACTIVE, home_center__level="village")
        .values("home_center")
        .annotate(n=Count("id"))
        .filter(n__gte=CLIENTS)
        .order_by("home_center")
        .values_list("home_center", flat=True)
        .first()
    )
    if village_id is None:
        sys.exit(f"No village with {CLIENTS} active volunteers: run manage.py seed_demo first.")
    members = list(
        Volunteer.objects.filter(home_center_id=village_id, status=Volunteer.Status.ACTIVE)
        .order_by("id")
        .values_list("id", "points")[:CLIENTS]
    )
    before = dict(members)
    for volunteer_id in before:
        points_credit(
            volunteer_id=volunteer_id,
            source=Source.CADRE,
            source_id=BENCH_RECORD,
            points=2 * EACH,
            kind=Kind.ADJUSTED,
            reason="压测",
        )
    return list(before), before, village_id


def stock(village_id: int, name: str, units: int) -> int:
    return item_save(
        actor=None,
        item=SupermarketItem(center_id=village_id, name=name, price=1, stock=units),
    ).pk


def redeemer(volunteer_id: int, item_id: int, start, results) -> None:
    connections.close_all()  # a fresh connection of its own, not the parent's
    volunteer = Volunteer.objects.get(pk=volunteer_id)
    start.wait()
    for _ in range(EACH):
        redemption_request(volunteer=volunteer, item_id=item_id, quantity=1)
    results.put(EACH)


def touch_own_row(row_id: int, start, results) -> None:
    connections.close_all()
    start.wait()
    for _ in range(EACH):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE bench_redeem_ceiling SET n = n + 1 WHERE id = %s", [row_id])
    results.put(EACH)


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


def cleanup(before: dict[int, int]) -> None:
    redemptions = Redemption.objects.filter(item__name__startswith=NAME)
    PointsEntry.objects.filter(
        volunteer_id__in=list(before),
        source=Source.REDEMPTION,
        source_id__in=redemptions.values("pk"),
    ).delete()
    redemptions.delete()
    SupermarketItem.objects.filter(name__startswith=NAME).delete()
    PointsEntry.objects.filter(
        volunteer_id__in=list(before), source=Source.CADRE, source_id=BENCH_RECORD
    ).delete()
    for volunteer_id, points in before.items():
        Volunteer.objects.filter(pk=volunteer_id).update(points=points)
    app.control.purge()


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL.")
    members, before, village_id = setup()
    try:
        hot = stock(village_id, NAME, CLIENTS * EACH)
        hot_elapsed, hot_made = run(redeemer, [(member, hot) for member in members])
        own = [stock(village_id, f"{NAME}{number}", EACH) for number in range(CLIENTS)]
        own_elapsed, own_made = run(redeemer, list(zip(members, own, strict=True)))
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_redeem_ceiling")
            cursor.execute("CREATE UNLOGGED TABLE bench_redeem_ceiling (id int PRIMARY KEY, n int)")
            cursor.execute(
                "INSERT INTO bench_redeem_ceiling SELECT g, 0 FROM generate_series(1, %s) g",
                [CLIENTS],
            )
        ceiling_elapsed, updates = run(touch_own_row, [(number + 1,) for number in range(CLIENTS)])
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_redeem_ceiling")
        # What must hold, whatever the speed.
        items = SupermarketItem.objects.filter(name__startswith=NAME)
        negative_stock = items.filter(stock__lt=0).count()
        left = sum(items.values_list("stock", flat=True))
        redemptions = Redemption.objects.filter(item__name__startswith=NAME).count()
        # Narrowed to the bench's volunteers, so the ledger's (volunteer, source, ...) key
        # serves it at city scale instead of a scan of ten million entries.
        entries = PointsEntry.objects.filter(
            volunteer_id__in=members,
            source=Source.REDEMPTION,
            source_id__in=Redemption.objects.filter(item__name__startswith=NAME).values("pk"),
        ).count()
        negative_balances = Volunteer.objects.filter(pk__in=members, points__lt=0).count()
    finally:
        cleanup(before)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{os.getloadavg()[0]:.1f}, {Volunteer.objects.count():,} volunteers\n"
    )
    print(f"| run ({CLIENTS} processes) | commits | seconds | per second |")
    print("|---|---|---|---|")
    print(
        f"| redemptions through `redemption_request`, one hot item | {hot_made:,} | "
        f"{hot_elapsed:.2f} | {hot_made / hot_elapsed:.0f} |"
    )
    print(
        f"| redemptions through `redemption_request`, an item each | {own_made:,} | "
        f"{own_elapsed:.2f} | {own_made / own_elapsed:.0f} |"
    )
    print(
        f"| ceiling: one-row UPDATE transactions | {updates:,} | {ceiling_elapsed:.2f} | "
        f"{updates / ceiling_elapsed:.0f} |"
    )
    print(
        f"\nredemptions {redemptions:,}, their ledger entries {entries:,}, units left "
        f"{left} (of {2 * CLIENTS * EACH:,} stocked, {2 * CLIENTS * EACH - left:,} taken); "
        f"items below zero {negative_stock}, balances below zero {negative_balances}"
    )


if __name__ == "__main__":
    main()
