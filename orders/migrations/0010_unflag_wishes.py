"""Micro-wishes are no longer flagged "无人可派" (orders.services.order_flag_undispatchable):
the flags wishes got before are lifted, so they leave the cadres' flagged lists. Their last
try stays, so the sweep offers them again in a later slot as it does every wish."""

from django.db import migrations


def unflag_wishes(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    # Placed ones through the partial index order_flagged_retry; a flag on a wish that moved
    # on (claimed, cancelled) is lifted too, from the few wishes among the orders.
    Order.objects.filter(kind="wish", flagged_at__isnull=False).update(
        flagged_at=None, flag_told_at=None
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0009_order_contact_phone_landline")]

    operations = [migrations.RunPython(unflag_wishes, migrations.RunPython.noop, elidable=True)]
