"""Micro-wishes claimed by a donor: the donor column, a held order has one holder (a
volunteer or a donor, never both), a donor only on wishes, and the wish wall's index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("practice", "0003_center_auto_dispatch_service_skills"),
        ("volunteers", "0003_volunteerroster"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="order",
            name="order_held_has_holder",
        ),
        migrations.AddField(
            model_name="order",
            name="donor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="donated_wishes",
                to=settings.AUTH_USER_MODEL,
                verbose_name="认领人",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("kind", "wish"), ("status__in", ["placed", "dispatched"])),
                fields=["-id"],
                name="order_open_wishes",
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("status__in", ["accepted", "in_service", "completed", "rated"]),
                        _negated=True,
                    ),
                    ("accepted_by__isnull", False),
                    ("donor__isnull", False),
                    _connector="OR",
                ),
                name="order_held_has_holder",
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("accepted_by__isnull", True), ("donor__isnull", True), _connector="OR"
                ),
                name="order_one_holder",
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(("donor__isnull", True), ("kind", "wish"), _connector="OR"),
                name="order_donor_only_on_wishes",
            ),
        ),
    ]
