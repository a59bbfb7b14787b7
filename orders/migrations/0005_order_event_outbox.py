"""Order events become the notification outbox: a column saying when each was told.

Every event written before this migration has been told already (by the tasks of the time),
so the new column must read as set on all of them and as null on every later one. On
PostgreSQL a column added with the default now() takes that value on every existing row
without rewriting the table (millions of events in a city), and dropping the default then
leaves later rows null. Elsewhere (the demo's SQLite) the column is added and filled in.
"""

from django.db import migrations, models

TABLE = "orders_orderevent"


def _column() -> models.DateTimeField:
    field = models.DateTimeField(null=True, blank=True)
    field.set_attributes_from_name("notified_at")
    return field


def add_column_with_past_events_told(apps, schema_editor):
    quote = schema_editor.quote_name
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {quote(TABLE)} ADD COLUMN {quote('notified_at')} "
            "timestamp with time zone NULL DEFAULT now()"
        )
        schema_editor.execute(
            f"ALTER TABLE {quote(TABLE)} ALTER COLUMN {quote('notified_at')} DROP DEFAULT"
        )
        return
    schema_editor.add_field(apps.get_model("orders", "OrderEvent"), _column())
    schema_editor.execute(f"UPDATE {quote(TABLE)} SET {quote('notified_at')} = {quote('at')}")


def drop_column(apps, schema_editor):
    schema_editor.remove_field(apps.get_model("orders", "OrderEvent"), _column())


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_order_indexes_for_dispatch"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="orderevent",
                    name="notified_at",
                    field=models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="通知时间"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(add_column_with_past_events_told, drop_column),
            ],
        ),
        migrations.AddIndex(
            model_name="orderevent",
            index=models.Index(
                condition=models.Q(("notified_at__isnull", True)),
                fields=["id"],
                name="order_event_untold",
            ),
        ),
    ]
