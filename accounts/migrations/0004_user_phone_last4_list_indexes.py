"""The accounts list at city scale: the 尾号 column, filled in batches, and the indexes the
admin's list, its name search and its 尾号 search read.

The column is added empty (no table rewrite: a constant default is kept in the catalogue),
then filled 20,000 accounts at a time, each batch its own transaction, so 1.44 million
accounts are never held locked at once and a stopped run resumes where it left off. The
indexes come after the fill, so each is built once rather than maintained row by row.
"""

from django.db import migrations, models

BATCH = 20_000


def fill_phone_last4(apps, schema_editor):
    connection = schema_editor.connection
    quote = schema_editor.quote_name
    table = quote("accounts_user")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table}")
        low, high = cursor.fetchone()
        if low is None:
            return
        # SUBSTR from the end works on PostgreSQL and SQLite alike; the phone is 11 digits.
        for start in range(low, high + 1, BATCH):
            cursor.execute(
                f"UPDATE {table} SET {quote('phone_last4')} = SUBSTR({quote('phone')}, -4) "
                f"WHERE id >= %s AND id < %s AND {quote('phone_last4')} = ''"
                if connection.vendor == "sqlite"
                else f"UPDATE {table} SET phone_last4 = RIGHT(phone, 4) "
                f"WHERE id >= %s AND id < %s AND phone_last4 = ''",
                [start, start + BATCH],
            )


class Migration(migrations.Migration):
    # Each batch commits on its own (see fill_phone_last4).
    atomic = False

    dependencies = [
        ("accounts", "0003_phone_verification_and_signin_guard"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="phone_last4",
            field=models.CharField(
                blank=True, editable=False, max_length=4, verbose_name="手机尾号"
            ),
        ),
        migrations.RunPython(fill_phone_last4, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["date_joined", "id"], name="user_joined"),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                fields=["date_joined", "id"],
                condition=models.Q(is_active=False),
                name="user_inactive_joined",
            ),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                fields=["name"], name="user_name_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["phone_last4"], name="user_phone_last4"),
        ),
    ]
