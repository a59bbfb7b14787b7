"""The full recalculation (issue 11 item 5): balances and eligibility recomputed from the
ledgers in set-based chunks, drift reported and repaired, progress kept in its row so that
a run cut short goes on, one run at a time, startable by a city cadre from the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ConflictError, DomainError
from points.models import Recalculation, RecalculationDrift, StarCertification, StarRecheck
from points.selectors.ledger import balances_cached, balances_recomputed
from points.services.ledger import hours_credit, service_award
from points.services.recalculation import (
    recalculation_run,
    recalculation_start,
    recalculation_step,
)
from points.services.stars import recheck_drain
from points.tasks import (
    leaderboards_nightly_task,
    recalculation_continue_task,
    recalculation_nightly_task,
    stars_recheck_task,
)
from tests.factories.volunteers import make_volunteer
from tests.points.test_balances_property import run as run_step
from tests.points.test_balances_property import steps
from tests.support.queries import exact_queries
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

R = Recalculation.Status


def award(volunteer: Volunteer, source_id: int, hours: str) -> None:
    assert service_award(
        volunteer_id=volunteer.pk, source="order", source_id=source_id, hours=Decimal(hours)
    )


@pytest.fixture
def crowd(tree, people) -> list[Volunteer]:
    """Six volunteers with hours and points from awards."""
    volunteers = [Volunteer.objects.get(user=people.volunteer)] + [
        make_volunteer(10 + n, tree.village_a2) for n in range(5)
    ]
    for index, volunteer in enumerate(volunteers):
        award(volunteer, 100 + index, f"{index + 1}.50")
    return volunteers


def test_consistent_ledgers_show_no_drift(crowd):
    run = recalculation_start()
    assert recalculation_run(recalculation_id=run.pk) is True
    run.refresh_from_db()
    assert (run.status, run.drifted, run.progress_percent) == (R.DONE, 0, 100)
    assert not RecalculationDrift.objects.exists()


def test_a_drifted_cache_is_reported_with_both_figures_and_repaired(crowd):
    # given two caches broken behind the ledgers' back
    first, second = crowd[0], crowd[3]
    Volunteer.objects.filter(pk=first.pk).update(hours=Decimal("99.00"))
    Volunteer.objects.filter(pk=second.pk).update(points=7)

    # when
    run = recalculation_start()
    recalculation_run(recalculation_id=run.pk)

    # then the report names both, as found, and the caches are the ledgers' sums again
    run.refresh_from_db()
    assert run.drifted == 2
    drift = {d.volunteer_id: d for d in RecalculationDrift.objects.filter(recalculation=run)}
    assert (drift[first.pk].cached_hours, drift[first.pk].ledger_hours) == (
        Decimal("99.00"),
        Decimal("1.50"),
    )
    assert (drift[second.pk].cached_points, drift[second.pk].ledger_points) == (7, 45)
    assert all(d.repaired for d in drift.values())
    for volunteer in crowd:
        assert balances_cached(volunteer_id=volunteer.pk) == balances_recomputed(
            volunteer_id=volunteer.pk
        )


def test_a_run_cut_short_goes_on_from_its_next_chunk(crowd):
    # given a run of chunks of 2 volunteer ids, stopped after its first chunk
    Volunteer.objects.filter(pk=crowd[-1].pk).update(hours=0)
    run = recalculation_start()
    assert recalculation_run(recalculation_id=run.pk, chunk=2, time_limit=0) is False
    run.refresh_from_db()
    first = crowd[0].pk
    assert (run.status, run.chunks, run.next_volunteer_id) == (R.RUNNING, 1, first + 2)
    assert run.progress_percent == 33

    # when it is carried on
    assert recalculation_run(recalculation_id=run.pk, chunk=2) is True

    # then every volunteer was walked once and the last one repaired
    run.refresh_from_db()
    assert run.status == R.DONE
    assert run.chunks == 3
    assert run.drifted == 1
    assert Volunteer.objects.get(pk=crowd[-1].pk).hours == Decimal("6.50")


def test_a_step_of_a_done_run_does_nothing(crowd):
    run = recalculation_start()
    recalculation_run(recalculation_id=run.pk)
    assert recalculation_step(recalculation_id=run.pk) is True
    assert Recalculation.objects.get(pk=run.pk).chunks == 1


def test_a_chunk_costs_the_same_statements_whatever_its_size(crowd):
    # given a drift, so that every statement runs
    Volunteer.objects.filter(pk=crowd[0].pk).update(points=1)
    run = recalculation_start()
    # then: its savepoint, the run's row locked, the policy, the drift, its repair, the
    # repair's record, the rechecks, the progress, the release
    with exact_queries(9):
        recalculation_step(recalculation_id=run.pk, chunk=1000)


def test_a_volunteer_whose_recheck_was_lost_becomes_eligible(crowd):
    # given 100 certified hours and the outbox emptied (a lost wake, a restored backup)
    hours_credit(volunteer_id=crowd[1].pk, source="order", source_id=999, hours=Decimal(100))
    StarRecheck.objects.all().delete()

    # when the recalculation runs, and the drain after it
    run = recalculation_start()
    recalculation_run(recalculation_id=run.pk)
    recheck_drain()

    # then
    assert Recalculation.objects.get(pk=run.pk).rechecked == 1
    assert StarCertification.objects.filter(volunteer=crowd[1], level=1).exists()


def test_one_run_at_a_time(crowd):
    recalculation_start()
    with pytest.raises(ConflictError) as refused:
        recalculation_start()
    assert refused.value.message == "已有一次重算正在进行，请等待其完成。"
    assert Recalculation.objects.count() == 1


@pytest.mark.parametrize("persona", ["county_cadre", "township_cadre", "village_cadre"])
def test_only_a_city_cadre_starts_one(people, persona):
    with pytest.raises(DomainError) as refused:
        recalculation_start(actor=getattr(people, persona))
    assert refused.value.message == "只有市级干部可以发起全量重算。"
    assert not Recalculation.objects.exists()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=steps, broken=st.integers(min_value=0, max_value=1), by=st.integers(-50, 50))
def test_the_recalculation_equals_the_incremental_figures(people, tree, sequence, broken, by):
    # Randomised ledgers (awards, bonuses, reversals, redemptions, refunds, adjustments,
    # expiry) through the services, one cache then broken: the run leaves every cache as
    # the incremental figures would have been, that is the ledgers' sums.
    with transaction.atomic():
        pair = [Volunteer.objects.get(user=people.volunteer), make_volunteer(2, tree.village_a2)]
        for step in sequence:
            run_step(step, people, pair, tree.village_a.pk)
        incremental = [balances_cached(volunteer_id=v.pk) for v in pair]
        Volunteer.objects.filter(pk=pair[broken].pk).update(points=max(0, by))
        run = recalculation_start()
        recalculation_run(recalculation_id=run.pk, chunk=1)
        assert [balances_cached(volunteer_id=v.pk) for v in pair] == incremental
        assert incremental == [balances_recomputed(volunteer_id=v.pk) for v in pair]
        transaction.set_rollback(True)


# ---------------------------------------------------------------- the task


@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_run_twice_makes_two_complete_runs_and_changes_nothing(crowd):
    recalculation_nightly_task.apply()
    recalculation_nightly_task.apply()
    assert list(Recalculation.objects.values_list("status", "drifted")) == [
        (R.DONE, 0),
        (R.DONE, 0),
    ]


def test_the_long_tasks_carry_their_own_time_limits_and_others_keep_the_default():
    # A worker enforces a task's own limits before the settings' default: the recalculation
    # must not be cut at a minute while it hands on only after RECALCULATION_TIME_LIMIT.
    from django.conf import settings as django_conf

    for task in (recalculation_continue_task, recalculation_nightly_task):
        assert task.soft_time_limit > django_conf.RECALCULATION_TIME_LIMIT
        assert task.time_limit > task.soft_time_limit
    assert leaderboards_nightly_task.soft_time_limit == django_conf.LEADERBOARDS_REBUILD_TIME_LIMIT
    assert stars_recheck_task.soft_time_limit == django_conf.CELERY_TASK_SOFT_TIME_LIMIT
    assert stars_recheck_task.time_limit == django_conf.CELERY_TASK_TIME_LIMIT


# ---------------------------------------------------------------- the admin

LIST_URL = reverse("admin:points_recalculation_changelist")
START_URL = reverse("admin:points_recalculation_start")


def test_a_city_cadre_starts_a_run_from_the_admin_and_sees_its_progress(client, people):
    client.force_login(people.city_cadre)
    page = client.get(LIST_URL).content.decode()
    assert "发起全量重算" in page

    response = client.post(START_URL, follow=True)

    run = Recalculation.objects.get()
    assert run.started_by == people.city_cadre
    assert f"已发起全量重算 #{run.pk}" in response.content.decode()
    assert "<progress" in response.content.decode()


def test_a_second_start_from_the_admin_says_one_runs(client, people):
    client.force_login(people.city_cadre)
    client.post(START_URL)
    response = client.post(START_URL, follow=True)
    assert "已有一次重算正在进行，请等待其完成。" in response.content.decode()
    assert Recalculation.objects.count() == 1


@pytest.mark.parametrize("persona", ["county_cadre", "outsider_cadre", "village_cadre"])
def test_other_cadres_neither_see_nor_start_it(client, people, persona):
    client.force_login(getattr(people, persona))
    assert client.get(LIST_URL).status_code == 403
    assert client.post(START_URL).status_code == 403
    assert not Recalculation.objects.exists()


def test_the_start_takes_no_get(client, people):
    client.force_login(people.city_cadre)
    assert client.get(START_URL).status_code == 405
    assert not Recalculation.objects.exists()


def test_a_runs_page_shows_its_drifted_volunteers(client, people, crowd):
    Volunteer.objects.filter(pk=crowd[0].pk).update(points=3)
    run = recalculation_start()
    recalculation_run(recalculation_id=run.pk)
    client.force_login(people.city_cadre)
    page = client.get(reverse("admin:points_recalculation_change", args=[run.pk]))
    assert page.status_code == 200
    assert "原缓存积分" in page.content.decode()
