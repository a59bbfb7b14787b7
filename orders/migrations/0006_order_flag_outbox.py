"""Flags get an outbox as events did (0005): a column saying when the cadres were told.

The flags raised before this migration were told by the tasks of the time, so the column
reads as set on every existing order and null on later flags: on PostgreSQL by adding it
with the default now() (no table rewrite) and dropping the default; elsewhere (the demo's
SQLite) by adding it and copying flagged_at.
"""

from django.db import migrations, models

TABLE = "orders_order"


def _column() -> models.DateTimeField:
    field = models.DateTimeField(null=True, blank=True)
    field.set_attributes_from_name("flag_told_at")
    return field


def add_column_with_past_flags_told(apps, schema_editor):
    quote = schema_editor.quote_name
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {quote(TABLE)} ADD COLUMN {quote('flag_told_at')} "
            "timestamp with time zone NULL DEFAULT now()"
        )
        schema_editor.execute(
            f"ALTER TABLE {quote(TABLE)} ALTER COLUMN {quote('flag_told_at')} DROP DEFAULT"
        )
        return
    schema_editor.add_field(apps.get_model("orders", "Order"), _column())
    schema_editor.execute(
        f"UPDATE {quote(TABLE)} SET {quote('flag_told_at')} = {quote('flagged_at')}"
    )


def drop_column(apps, schema_editor):
    schema_editor.remove_field(apps.get_model("orders", "Order"), _column())


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_order_event_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="order",
                    name="flag_told_at",
                    field=models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="无人可派通知时间"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(add_column_with_past_flags_told, drop_column),
            ],
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("flag_told_at__isnull", True), ("flagged_at__isnull", False)),
                fields=["id"],
                name="order_flag_untold",
            ),
        ),
    ]
