"""The national volunteer system's number (全国志愿服务信息系统编号) on each volunteer.

Cheap at 1.44 million rows: PostgreSQL (11 and later) adds a column with a constant default
by writing the default into the catalogue, not into each row, and Django then drops the
default again, which is catalogue-only too; no table rewrite, no index to build. The
portal's own number needs no column at all (volunteers.models.portal_number: derived from
the id).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("volunteers", "0013_remove_volunteer_stars"),
    ]

    operations = [
        migrations.AddField(
            model_name="volunteer",
            name="national_number",
            field=models.CharField(
                blank=True,
                default="",
                max_length=32,
                verbose_name="全国志愿服务信息系统编号",
            ),
        ),
    ]
