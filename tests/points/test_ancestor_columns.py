"""The hours ledger's copied ancestor columns: filled at credit time from the volunteer's,
filled for existing rows by the migration, kept in step when a center moves, and what the
cadres' scope reads (one index range, not a walk of the tree)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from points.admin import HoursEntryAdmin
from points.models import HoursEntry
from points.services.ledger import hours_credit
from practice.models import Center
from practice.scoping import scope_queryset
from practice.services import center_save
from tests.factories.points import credit
from tests.factories.volunteers import make_volunteer
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def columns(entry: HoursEntry) -> tuple[int, int, int]:
    entry.refresh_from_db()
    return entry.home_center_id, entry.township_id, entry.county_id


def test_a_credit_copies_the_volunteers_home_township_and_county(tree):
    # given
    volunteer = make_volunteer(2, tree.village_a3)
    # when
    with CaptureQueriesContext(connection) as queries:
        credited = hours_credit(
            volunteer_id=volunteer.pk, source="order", source_id=7, hours=Decimal("2.00")
        )
    # then: one INSERT, one UPDATE of the balance and the upsert into the recheck outbox
    # (in savepoints); no read of the volunteer, and no summary row: the drain writes those
    assert credited is True
    entry = HoursEntry.objects.get(source="order", source_id=7)
    assert columns(entry) == (tree.village_a3.pk, tree.township_a2.pk, tree.county_a.pk)
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert [s for s in statements if s in {"SELECT", "INSERT", "UPDATE"}] == [
        "INSERT",
        "UPDATE",
        "INSERT",
    ]
    assert Volunteer.objects.get(pk=volunteer.pk).hours == Decimal("2.00")


def test_a_second_credit_for_the_same_source_changes_nothing(tree):
    volunteer = make_volunteer(2, tree.village_a3)
    entry = credit(volunteer, 7)
    assert (
        hours_credit(volunteer_id=volunteer.pk, source="order", source_id=7, hours=Decimal("5"))
        is False
    )
    assert HoursEntry.objects.get().pk == entry.pk
    assert Volunteer.objects.get(pk=volunteer.pk).hours == Decimal("1.50")


def test_moving_a_township_to_another_county_moves_its_entries(tree):
    # given: an entry in township A (village A2) and one in township A2 (village A3)
    moved = credit(make_volunteer(2, tree.village_a2), 1)
    stays = credit(make_volunteer(3, tree.village_a3), 2)
    township = Center.objects.get(pk=tree.township_a.pk)
    # when
    township.parent = Center.objects.get(pk=tree.county_b.pk)
    center_save(actor=None, center=township)
    # then
    assert columns(moved) == (tree.village_a2.pk, tree.township_a.pk, tree.county_b.pk)
    assert columns(stays) == (tree.village_a3.pk, tree.township_a2.pk, tree.county_a.pk)


def test_moving_a_village_to_another_township_moves_its_entries(tree, people):
    # given
    moved = credit(make_volunteer(2, tree.village_a2), 1)
    village = Center.objects.get(pk=tree.village_a2.pk)
    # when
    village.parent = Center.objects.get(pk=tree.township_a2.pk)
    center_save(actor=None, center=village)
    # then: township A's cadre no longer reads it, township A2's does
    assert columns(moved) == (tree.village_a2.pk, tree.township_a2.pk, tree.county_a.pk)
    entries = HoursEntry.objects.all()
    assert not scope_queryset(entries, people.township_cadre, via="home_center").exists()
    assert scope_queryset(entries, people.county_cadre, via="home_center").get() == moved


@pytest.mark.parametrize(
    ("persona", "homes"),
    [
        ("city_cadre", {"village_a", "village_a2", "village_a3", "village_b"}),
        ("county_cadre", {"village_a", "village_a2", "village_a3"}),
        ("township_cadre", {"village_a", "village_a2"}),
        ("village_cadre", {"village_a"}),
        ("outsider_cadre", {"village_b"}),
        ("resident", set()),
    ],
)
def test_the_copied_columns_scope_as_the_tree_does(tree, people, persona, homes):
    # given: one entry in each village
    names = ["village_a", "village_a2", "village_a3", "village_b"]
    for number, name in enumerate(names, start=2):
        credit(make_volunteer(number, getattr(tree, name)), number)
    user = getattr(people, persona)
    by_columns = scope_queryset(HoursEntry.objects.all(), user, via="home_center")
    by_tree = scope_queryset(HoursEntry.objects.all(), user, via="volunteer__home_center")
    # when
    found = {name for name in names if by_columns.filter(home_center=getattr(tree, name)).exists()}
    # then
    assert found == homes
    assert set(by_columns) == set(by_tree)


def test_the_admin_scopes_on_the_copied_columns(rf, people, tree):
    # given
    credit(make_volunteer(2, tree.village_a), 1)
    request = rf.get("/")
    request.user = people.county_cadre
    # when
    sql = str(HoursEntryAdmin(HoursEntry, None).get_queryset(request).query)
    # then: a filter on the entry's own county column, no EXISTS over the tree
    assert '"points_hoursentry"."county_id" =' in sql
    assert "EXISTS" not in sql


# Transactional, as `migrate` runs: one transaction per migration, the fill and the NOT NULL
# after it included.
@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_columns_of_existing_entries(tree):
    # given: a ledger row written before the columns existed
    volunteer = make_volunteer(2, tree.village_a3)
    MigrationExecutor(connection).migrate([("points", "0001_initial")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO points_hoursentry (volunteer_id, source, source_id, hours,"
                " created_at) VALUES (%s, 'order', 9, 1.50, now())",
                [volunteer.pk],
            )
        # when
        MigrationExecutor(connection).migrate([("points", "0002_hoursentry_ancestor_columns")])
    finally:
        # Every app's latest: going back unapplied whatever depends on points.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    # then
    entry = HoursEntry.objects.get(source_id=9)
    assert columns(entry) == (tree.village_a3.pk, tree.township_a2.pk, tree.county_a.pk)
