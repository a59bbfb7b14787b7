"""Service.skills, declared by volunteers (Skill.services) over the table practice made:
the rows a deployment holds survive the move of the declaration, both ways, and every way
the code reads the relation still works."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from practice.catalogue import service_menu_install
from practice.models import Service
from volunteers.models import Skill

BEFORE = [("volunteers", "0005_on_call_indexes_cover"), ("practice", "0005_service_is_wish")]
AFTER = [
    ("volunteers", "0006_skill_services_over_the_service_skills_table"),
    ("practice", "0006_service_skills_declared_by_volunteers"),
]


def links() -> set[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT service_id, skill_id FROM practice_service_skills")
        return set(cursor.fetchall())


@pytest.mark.django_db
def test_both_sides_read_and_write_the_one_table(tree):
    service_menu_install(city=tree.city)
    clinic = Service.objects.get(center=tree.city, name="健康义诊")
    nursing = Skill.objects.get(name="医疗护理")
    driving = Skill.objects.get(name="驾驶")
    # when: written from the service's side, as the dispatch tests and cadres do
    clinic.skills.set([nursing, driving])
    # then: read from either side and by the raw table the dispatch SQL names
    assert set(nursing.services.all()) == {clinic}
    assert set(Service.objects.filter(skills=driving)) == {clinic}
    assert Service.skills.through._meta.db_table == "practice_service_skills"
    assert links() == {(clinic.pk, nursing.pk), (clinic.pk, driving.pk)}
    assert not Service.objects.filter(pk=clinic.pk, skills__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_the_rows_survive_unmigrating_and_migrating_again(tree):
    # given: a service asking for a skill, written with the relation declared by volunteers
    service_menu_install(city=tree.city)
    clinic = Service.objects.get(center=tree.city, name="健康义诊")
    errand = Service.objects.get(center=tree.city, name="买菜送药")
    nursing = Skill.objects.get(name="医疗护理")
    driving = Skill.objects.get(name="驾驶")
    clinic.skills.set([nursing])
    try:
        # when: back to when practice declared it
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        old_state = MigrationExecutor(connection).loader.project_state(BEFORE)
        OldService = old_state.apps.get_model("practice", "Service")
        # then: the old declaration reads the row, and writes one more
        assert list(OldService.objects.get(pk=clinic.pk).skills.values_list("pk", flat=True)) == [
            nursing.pk
        ]
        OldService.objects.get(pk=errand.pk).skills.add(driving.pk)
        # when: forward again
        MigrationExecutor(connection).migrate(AFTER)
    finally:
        # Every app's latest: going back unapplied whatever depends on these two.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    # then: both rows are read through the new declaration
    assert links() == {(clinic.pk, nursing.pk), (errand.pk, driving.pk)}
    assert list(Service.objects.get(pk=errand.pk).skills.all()) == [driving]
