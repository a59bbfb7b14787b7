"""Service.skills is now declared by volunteers (Skill.services, over the same table), so
that practice depends on no app built on it. Only the migration state moves: the table
practice_service_skills and its rows stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0005_service_is_wish"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField(model_name="service", name="skills")],
            database_operations=[],
        ),
    ]
