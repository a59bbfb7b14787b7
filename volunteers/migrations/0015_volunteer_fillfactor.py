"""Room on each page of the volunteers' table for their balances to move in place.

Every ledger entry moves its volunteer's cached hours or points (points.services.ledger).
With the pages full, each such UPDATE wrote the row's new version on another page and an
entry in every one of the table's indexes (about thirty), and left the table out of id
order, so that the recalculation's chunk of 50,000 ids read 34,000 pages. With a tenth of
each page free, the update is a heap-only tuple (no column it sets is indexed) and stays
on its page. Only pages written from now on keep the room: a table filled before this
migration gets it once rewritten (CLUSTER or pg_repack, docs/deploy.md). PostgreSQL only;
SQLite, the demo's, has no such setting."""

from django.db import migrations

FILL = 90


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE volunteers_volunteer SET (fillfactor = {FILL})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE volunteers_volunteer RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0014_volunteer_numbers")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
