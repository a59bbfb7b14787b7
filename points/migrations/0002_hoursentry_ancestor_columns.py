"""Copied ancestor columns on the hours ledger, filled from each entry's volunteer.

The fill is one UPDATE ... FROM, not a Python loop (ten million rows at city scale); the
indexes come after it, so the UPDATE does not maintain them row by row.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("points", "0001_initial"),
        ("practice", "0003_center_auto_dispatch_service_skills"),
        ("volunteers", "0003_volunteerroster"),
    ]

    operations = [
        migrations.AddField(
            model_name="hoursentry",
            name="home_center",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="practice.center",
                verbose_name="所属村（社区）",
            ),
        ),
        migrations.AddField(
            model_name="hoursentry",
            name="township",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="practice.center",
            ),
        ),
        migrations.AddField(
            model_name="hoursentry",
            name="county",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="practice.center",
            ),
        ),
        migrations.RunSQL(
            """
            UPDATE points_hoursentry AS entry
               SET home_center_id = volunteer.home_center_id,
                   township_id = volunteer.township_id,
                   county_id = volunteer.county_id
              FROM volunteers_volunteer AS volunteer
             WHERE volunteer.id = entry.volunteer_id
            """,
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="hoursentry",
            name="home_center",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="practice.center",
                verbose_name="所属村（社区）",
            ),
        ),
        migrations.AddIndex(
            model_name="hoursentry",
            index=models.Index(fields=["county", "-id"], name="hours_county_newest"),
        ),
        migrations.AddIndex(
            model_name="hoursentry",
            index=models.Index(fields=["township", "-id"], name="hours_township_newest"),
        ),
        migrations.AddIndex(
            model_name="hoursentry",
            index=models.Index(fields=["home_center", "-id"], name="hours_village_newest"),
        ),
    ]
