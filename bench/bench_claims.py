"""Sixteen volunteers of one team claim 1,000 team-dispatched orders at once.

    createdb -h 127.0.0.1 -U postgres portal_bench_claims
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_claims \\
        .venv/bin/python bench/bench_claims.py

Migrates the scratch database named by DATABASE_URL, loads a small real tree, makes a team
of 16 active volunteers and 1,000 orders dispatched to the team (through the services), then
starts 16 threads, one per volunteer, each with its own database connection, that try to
accept every order in its own random order through ``orders.services.order_accept``.
Reports claims per second (successful accepts over the wall time of the claiming phase),
attempts per second, and double claims (orders with more than one ACCEPTED event or holder).
"""

from __future__ import annotations

import datetime
import io
import os
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402

from accounts.services import resident_register  # noqa: E402
from orders.models import Order, OrderEvent  # noqa: E402
from orders.services import order_accept, order_dispatch, order_place  # noqa: E402
from orders.workflow import IllegalTransition  # noqa: E402
from practice.catalogue import service_menu_install  # noqa: E402
from practice.divisions import load_divisions, parse_divisions  # noqa: E402
from practice.models import Center, Service  # noqa: E402
from volunteers.identity import compose_id_number  # noqa: E402
from volunteers.models import Team, TeamMembership, Volunteer  # noqa: E402
from volunteers.services import team_member_add, team_save, volunteer_create  # noqa: E402

ORDERS = 1000
CLAIMERS = 16
TREE = """code,name,level,parent_code
430400,衡阳市,city,
430405,珠晖区,county,430400
430405007,衡州路街道,township,430405
430405007006,王江社区居委会,village,430405007
"""


def setup() -> tuple[list[Volunteer], list[int]]:
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    load_divisions(parse_divisions(io.StringIO(TREE)))
    city = Center.objects.get(code="430400")
    Center.objects.filter(pk=city.pk).update(auto_dispatch=False)
    village = Center.objects.get(code="430405007006")
    service_menu_install(city=city)
    service = Service.objects.get(name="买菜送药")
    team = team_save(
        actor=None, team=Team(center=village, kind=Team.Kind.STANDING, name="王江社区小队")
    )
    cadre = resident_register(phone="13800000001", name="干部", password="Bench#2026x")
    from practice.services import cadre_role_grant

    cadre_role_grant(actor=None, user=cadre, center=city)
    members = []
    for number in range(CLAIMERS):
        user = resident_register(
            phone=f"1370000{number:04d}", name=f"队员{number}", password="Bench#2026x"
        )
        volunteer = volunteer_create(
            user=user,
            real_name=f"队员{number}",
            id_number=compose_id_number("430405", datetime.date(1990, 1, 1), number + 1),
            home_center=village,
            status=Volunteer.Status.ACTIVE,
        )
        team_member_add(actor=cadre, team=team, volunteer=volunteer)
        members.append(volunteer)
    resident = resident_register(phone="13900000001", name="群众", password="Bench#2026x")
    order_ids = []
    for number in range(ORDERS):
        order = order_place(
            resident=resident,
            service=service,
            center=village,
            title=f"订单{number}",
            address="王江社区",
            contact_phone="13900000001",
        )
        order_dispatch(actor=cadre, order_id=order.pk, team=team)
        order_ids.append(order.pk)
    assert TeamMembership.objects.filter(team=team).count() == CLAIMERS
    return members, order_ids


def claim(
    volunteer: Volunteer, order_ids: list[int], start: threading.Barrier, tally: list
) -> None:
    mine = order_ids[:]
    random.Random(volunteer.pk).shuffle(mine)
    won = lost = 0
    start.wait()
    for order_id in mine:
        try:
            order_accept(volunteer=volunteer, order_id=order_id)
            won += 1
        except IllegalTransition:
            lost += 1
    tally.append((won, lost))
    connections.close_all()


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL to a scratch database.")
    members, order_ids = setup()
    start = threading.Barrier(CLAIMERS + 1)
    tally: list[tuple[int, int]] = []
    threads = [
        threading.Thread(target=claim, args=(volunteer, order_ids, start, tally))
        for volunteer in members
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    won = sum(w for w, _ in tally)
    attempts = sum(w + lost for w, lost in tally)
    doubles = (
        OrderEvent.objects.filter(to_status=Order.Status.ACCEPTED)
        .values("order")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    unheld = Order.objects.filter(pk__in=order_ids, accepted_by__isnull=True).count()
    print(f"{CLAIMERS} claimers, {ORDERS} team-dispatched orders, {elapsed:.2f} s")
    print(
        f"successful claims: {won} ({won / elapsed:.0f}/s); attempts: {attempts} "
        f"({attempts / elapsed:.0f}/s)"
    )
    print(f"orders with two ACCEPTED events: {doubles}; orders left unclaimed: {unheld}")


if __name__ == "__main__":
    main()
