"""Memberships copy their team's center and the township, county and city above it, so
that each cadre's memberships are one index range at city scale (practice.scoping).

The columns are added empty, then filled in batches that each commit on their own, so
1.6 million memberships are never held locked at once and a stopped run resumes where it
left off: first the team's center, 20,000 memberships at a time; then, once the center is
indexed, the path above it, one statement per township, county and city (a few thousand
rows each). The other indexes come after the fill, so each is built once. Last, on
PostgreSQL, statistics that tell the planner the team decides the center and the path.
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 20_000
TIERS = ("township", "county", "city")


def fill_center(apps, schema_editor):
    quote = schema_editor.quote_name
    table = quote("volunteers_teammembership")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table}")
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, BATCH):
            cursor.execute(
                f"UPDATE {table} SET {quote('center_id')} = (SELECT t.{quote('center_id')} "
                f"FROM {quote('volunteers_team')} t WHERE t.id = {table}.{quote('team_id')}) "
                f"WHERE id >= %s AND id < %s AND {quote('center_id')} IS NULL",
                [start, start + BATCH],
            )


def fill_paths(apps, schema_editor):
    Center = apps.get_model("practice", "Center")
    TeamMembership = apps.get_model("volunteers", "TeamMembership")
    rows = list(Center.objects.values_list("id", "parent_id", "level"))
    parent_of = {pk: parent_id for pk, parent_id, _level in rows}
    level_of = {pk: level for pk, _parent_id, level in rows}

    def nearest(pk, level):
        current = pk
        while current is not None and level_of[current] != level:
            current = parent_of.get(current)
        return current

    groups = {}
    for pk, _parent_id, _level in rows:
        path = tuple(nearest(pk, tier) for tier in TIERS)
        groups.setdefault(path, []).append(pk)
    for (township_id, county_id, city_id), center_ids in groups.items():
        TeamMembership.objects.filter(center_id__in=center_ids, city_id__isnull=True).update(
            township_id=township_id, county_id=county_id, city_id=city_id
        )


def create_statistics(apps, schema_editor):
    # A membership's team decides its center and path: without this PostgreSQL multiplies
    # the selectivities of "team = X" and "center = Y" and, expecting one row, sorted a
    # village team's 1,200 memberships after joining each one.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE STATISTICS IF NOT EXISTS membership_team_path (dependencies) "
            "ON team_id, center_id, township_id, county_id, city_id "
            "FROM volunteers_teammembership"
        )


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS membership_team_path")


class Migration(migrations.Migration):
    # Each batch commits on its own (see the module's docstring).
    atomic = False

    dependencies = [
        ('practice', '0006_service_skills_declared_by_volunteers'),
        ('volunteers', '0011_volunteer_name_party_skill_list_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='teammembership',
            name='center',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='practice.center', verbose_name='队伍所属阵地'),
        ),
        migrations.AddField(
            model_name='teammembership',
            name='city',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='practice.center', verbose_name='所属市'),
        ),
        migrations.AddField(
            model_name='teammembership',
            name='county',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='practice.center', verbose_name='所属县（市、区）'),
        ),
        migrations.AddField(
            model_name='teammembership',
            name='township',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='practice.center', verbose_name='所属乡镇（街道）'),
        ),
        migrations.RunPython(fill_center, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='teammembership',
            index=models.Index(fields=['center', '-id'], name='membership_center_newest'),
        ),
        migrations.RunPython(fill_paths, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='teammembership',
            index=models.Index(fields=['city', '-id'], name='membership_city_newest'),
        ),
        migrations.AddIndex(
            model_name='teammembership',
            index=models.Index(fields=['county', '-id'], name='membership_county_newest'),
        ),
        migrations.AddIndex(
            model_name='teammembership',
            index=models.Index(fields=['township', '-id'], name='membership_township_newest'),
        ),
        migrations.AddIndex(
            model_name='teammembership',
            index=models.Index(fields=['team', '-id'], name='membership_team_newest'),
        ),
        migrations.AddIndex(
            model_name='teammembership',
            index=models.Index(fields=['role', '-id'], name='membership_role_newest'),
        ),
        migrations.RunPython(create_statistics, drop_statistics),
    ]
