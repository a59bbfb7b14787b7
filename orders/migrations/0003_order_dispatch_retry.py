"""Retrying flagged orders once per weekly slot: when each was last tried, and the sweep's
two queues as partial indexes (placed and unflagged by age, flagged by last try)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0002_order_wish_donor"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="dispatch_tried_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="上次自动派单时间"
            ),
        ),
        # Orders flagged before this field existed were last tried when they were flagged;
        # without it they would never enter the retry queue.
        migrations.RunSQL(
            "UPDATE orders_order SET dispatch_tried_at = flagged_at "
            "WHERE status = 'placed' AND flagged_at IS NOT NULL AND dispatch_tried_at IS NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RemoveIndex(model_name="order", name="order_placed"),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("flagged_at__isnull", True), ("status", "placed")),
                fields=["created_at"],
                name="order_placed_unflagged",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("flagged_at__isnull", False), ("status", "placed")),
                fields=["dispatch_tried_at"],
                name="order_flagged_retry",
            ),
        ),
    ]
