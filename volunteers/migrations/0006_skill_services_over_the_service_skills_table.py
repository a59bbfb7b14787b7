"""Skill.services takes over the relation practice declared as Service.skills: the same
table (practice_service_skills, columns service_id and skill_id) and rows, now in
volunteers' state. Nothing in the database changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0006_service_skills_declared_by_volunteers"),
        ("volunteers", "0005_on_call_indexes_cover"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="skill",
                    name="services",
                    field=models.ManyToManyField(
                        blank=True,
                        db_table="practice_service_skills",
                        related_name="skills",
                        related_query_name="skills",
                        to="practice.service",
                        verbose_name="需要该技能的服务项目",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
