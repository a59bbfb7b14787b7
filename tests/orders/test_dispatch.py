"""Automatic dispatch: who is a candidate and in what order (orders.selectors.
dispatch_candidates), auto_dispatch, and the periodic sweep (orders.dispatch)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from orders.dispatch import auto_dispatch, sweep
from orders.models import Order, OrderEvent, OrderRefusal
from orders.selectors import dispatch_candidates
from orders.services import order_accept, order_cancel, order_decline, order_dispatch
from practice.services import center_save
from tests.orders.conftest import AT, make_volunteer, place
from volunteers.availability import ALL_SLOTS, SLOT_BITS
from volunteers.models import Skill, Volunteer
from volunteers.services import skill_save

pytestmark = pytest.mark.django_db

S = Order.Status


@pytest.fixture
def vol(tree, people):
    """make_volunteer with the city cadre recording the insurance."""

    def make(number: int, center=None, **options) -> Volunteer:
        return make_volunteer(number, center or tree.village_a, cadre=people.city_cadre, **options)

    return make


def later_daytime() -> datetime.datetime:
    """Tomorrow 10:00 in Hengyang: after every deadline set now, and inside a day slot."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(10, 0)))


# --- who is a candidate ------------------------------------------------------------------


def test_only_active_insured_volunteers_free_now_are_candidates(order, vol):
    fit = vol(301)
    vol(302, insured_until=None)
    vol(303, insured_until=AT.date() - datetime.timedelta(days=1))
    insured_today = vol(304, insured_until=AT.date())
    vol(305, status=Volunteer.Status.SUSPENDED)
    vol(306, status=Volunteer.Status.PENDING)
    vol(307, availability=ALL_SLOTS & ~SLOT_BITS["mon_morning"])
    monday_only = vol(308, availability=SLOT_BITS["mon_morning"])

    assert dispatch_candidates(order, at=AT) == [fit, insured_today, monday_only]


def test_nobody_is_free_at_night(order, vol):
    vol(301)
    assert dispatch_candidates(order, at=AT.replace(hour=23)) == []
    assert dispatch_candidates(order, at=AT.replace(hour=5)) == []


def test_the_slot_of_the_moment_decides(order, vol):
    evenings = vol(301, availability=SLOT_BITS["mon_evening"])
    assert dispatch_candidates(order, at=AT) == []
    assert dispatch_candidates(order, at=AT.replace(hour=19)) == [evenings]
    assert dispatch_candidates(order, at=AT.replace(hour=19) + datetime.timedelta(days=1)) == []


@pytest.fixture
def skills(people):
    """Two of the default skills the migrations install, and one of our own."""
    own = skill_save(actor=None, skill=Skill(name="法律咨询"))
    defaults = {skill.name: skill for skill in Skill.objects.filter(name__in=["医疗护理", "驾驶"])}
    assert len(defaults) == 2
    return {**defaults, own.name: own}


def test_a_service_asking_for_skills_takes_volunteers_with_one_of_them(
    tree, people, menu, vol, skills
):
    menu.clinic.skills.set([skills["医疗护理"], skills["驾驶"]])
    nurse = vol(301, skills=[skills["医疗护理"]])
    vol(302, skills=[skills["法律咨询"]])
    vol(303)
    driver = vol(304, skills=[skills["驾驶"], skills["法律咨询"]])
    order = place(people, menu, tree.village_a, service=menu.clinic)

    assert dispatch_candidates(order, at=AT) == [nurse, driver]


def test_a_service_asking_for_no_skill_takes_anyone(order, vol, skills):
    anyone = vol(301)
    lawyer = vol(302, skills=[skills["法律咨询"]])
    assert dispatch_candidates(order, at=AT) == [anyone, lawyer]


def test_same_village_then_township_then_county_never_another_county(tree, order, vol):
    vol(301, tree.village_b)
    assert dispatch_candidates(order, at=AT) == []
    county = vol(302, tree.village_a3)
    assert dispatch_candidates(order, at=AT) == [county]
    township = vol(303, tree.village_a2)
    assert dispatch_candidates(order, at=AT) == [township]
    village = vol(304, tree.village_a)
    assert dispatch_candidates(order, at=AT) == [village]


def give_task(people, menu, tree, volunteer: Volunteer, *, cancel: bool = False) -> Order:
    """An order of some other resident's that ``volunteer`` accepted (then maybe cancelled)."""
    other = place(people, menu, tree.village_a, title="别的单子")
    order_dispatch(actor=people.county_cadre, order_id=other.pk, volunteer=volunteer)
    order_accept(volunteer=volunteer, order_id=other.pk)
    if cancel:
        order_cancel(resident=people.resident, order_id=other.pk)
    return other


def test_fewer_open_tasks_first(tree, people, menu, order, vol):
    busy = vol(301)
    busier = vol(302)
    idle = vol(303)
    give_task(people, menu, tree, busy)
    give_task(people, menu, tree, busier)
    give_task(people, menu, tree, busier)

    assert dispatch_candidates(order, at=AT) == [idle, busy, busier]


def test_an_offer_waiting_for_an_answer_counts_as_load(tree, people, menu, order, vol):
    # A burst of orders in one village: the second must not go to whoever got the first.
    first_choice = vol(301)
    second_choice = vol(302)
    assert auto_dispatch(order_id=order.pk, at=AT) is True
    assert Order.objects.get(pk=order.pk).dispatched_volunteer == first_choice

    next_order = place(people, menu, tree.village_a, title="又一单")
    assert dispatch_candidates(next_order, at=AT) == [second_choice, first_choice]
    assert auto_dispatch(order_id=next_order.pk, at=AT) is True
    assert Order.objects.get(pk=next_order.pk).dispatched_volunteer == second_choice


def test_then_the_longest_since_the_last_task(tree, people, menu, order, vol):
    earlier = vol(301)
    recent = vol(302)
    never = vol(303)
    give_task(people, menu, tree, recent, cancel=True)
    # Closed tasks count for fairness only: recent took one after earlier did.
    Order.objects.filter(accepted_by=recent).update(
        accepted_at=timezone.now() - datetime.timedelta(days=1)
    )
    give_task(people, menu, tree, earlier, cancel=True)
    Order.objects.filter(accepted_by=earlier).update(
        accepted_at=timezone.now() - datetime.timedelta(days=5)
    )

    assert dispatch_candidates(order, at=AT) == [never, earlier, recent]


def test_several_matching_skills_do_not_inflate_the_load(tree, people, menu, vol, skills):
    """A volunteer with two of the skills a service asks for is one candidate with their
    own load, not two rows whose open tasks are counted twice."""
    menu.clinic.skills.set([skills["医疗护理"], skills["驾驶"]])
    both = vol(301, skills=[skills["医疗护理"], skills["驾驶"]])
    one = vol(302, skills=[skills["医疗护理"]])
    give_task(people, menu, tree, both)
    give_task(people, menu, tree, one)
    Order.objects.filter(accepted_by=both).update(
        accepted_at=timezone.now() - datetime.timedelta(days=3)
    )
    order = place(people, menu, tree.village_a, service=menu.clinic)

    # Equal load (one open task each): the one who has waited longer comes first.
    assert dispatch_candidates(order, at=AT) == [both, one]


def test_a_decliner_is_never_a_candidate_again(tree, people, order, vol):
    first = vol(301)
    second = vol(302)
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=first)
    order_decline(volunteer=first, order_id=order.pk, reason="生病了")
    assert dispatch_candidates(order, at=AT) == [second]
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=second)
    order_decline(volunteer=second, order_id=order.pk, reason="不会")
    assert dispatch_candidates(order, at=AT) == []


# --- auto_dispatch -----------------------------------------------------------------------


def test_auto_dispatch_offers_the_order_to_the_best_candidate(order, vol):
    best = vol(301)
    vol(302)
    before = timezone.now()

    assert auto_dispatch(order_id=order.pk, at=AT) is True

    order.refresh_from_db()
    assert (order.status, order.dispatched_volunteer, order.dispatched_team) == (
        S.DISPATCHED,
        best,
        None,
    )
    assert order.accept_deadline >= before + datetime.timedelta(minutes=30)
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.from_status, event.to_status, event.actor) == (S.PLACED, S.DISPATCHED, None)


@pytest.mark.parametrize("with_village_volunteers", [True, False])
def test_auto_dispatch_offers_to_whom_the_dispatch_page_ranks_first(
    tree, people, menu, order, vol, with_village_volunteers
):
    # Automatic dispatch ranks inside its UPDATE (one statement); the page ranks with the
    # same SQL on its own. They must agree: nearest tier first, then the lighter load.
    vol(301, tree.village_a3)  # the county tier: never reached while nearer tiers have one
    township_busy = vol(302, tree.village_a2)
    township_idle = vol(303, tree.village_a2)
    give_task(people, menu, tree, township_busy)
    if with_village_volunteers:
        village_busy = vol(304)
        vol(305, availability=0)  # never free: not a candidate
        give_task(people, menu, tree, village_busy)
        expected = village_busy
    else:
        expected = township_idle
    ranked_first = dispatch_candidates(order, at=AT)[0]

    assert auto_dispatch(order_id=order.pk, at=AT) is True

    assert ranked_first == expected
    assert Order.objects.get(pk=order.pk).dispatched_volunteer == expected


def test_auto_dispatch_run_twice_dispatches_once(order, vol):
    best = vol(301)
    vol(302)
    assert auto_dispatch(order_id=order.pk, at=AT) is True
    assert auto_dispatch(order_id=order.pk, at=AT) is False
    assert OrderEvent.objects.filter(order=order, to_status=S.DISPATCHED).count() == 1
    assert Order.objects.get(pk=order.pk).dispatched_volunteer == best


def test_auto_dispatch_flags_an_order_nobody_can_take_once(tree, order, vol):
    vol(301, tree.village_b)
    assert auto_dispatch(order_id=order.pk, at=AT) is False
    flagged_at = Order.objects.get(pk=order.pk).flagged_at
    assert flagged_at is not None

    assert auto_dispatch(order_id=order.pk, at=AT) is False
    flagged = Order.objects.get(pk=order.pk)
    assert (flagged.status, flagged.flagged_at) == (S.PLACED, flagged_at)
    assert OrderEvent.objects.filter(order=order).count() == 1


def test_a_manual_dispatch_clears_the_flag(order, people, helper):
    Volunteer.objects.filter(pk=helper.pk).update(availability=0)
    assert auto_dispatch(order_id=order.pk, at=AT) is False
    assert Order.objects.get(pk=order.pk).flagged_at is not None
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)
    assert Order.objects.get(pk=order.pk).flagged_at is None


@pytest.mark.parametrize("where", ["county_a", "township_a", "village_a"])
def test_auto_dispatch_switched_off_does_nothing(tree, order, vol, where):
    vol(301)
    center = getattr(tree, where)
    center.auto_dispatch = False
    center_save(actor=None, center=center)

    assert auto_dispatch(order_id=order.pk, at=AT) is False
    untouched = Order.objects.get(pk=order.pk)
    assert (untouched.status, untouched.flagged_at) == (S.PLACED, None)
    assert OrderEvent.objects.filter(order=order).count() == 1


def test_auto_dispatch_leaves_an_order_that_is_not_placed(order, people, vol):
    vol(301)
    order_cancel(resident=people.resident, order_id=order.pk)
    assert auto_dispatch(order_id=order.pk, at=AT) is False
    assert auto_dispatch(order_id=order.pk + 1000, at=AT) is False
    assert Order.objects.get(pk=order.pk).status == S.CANCELLED


@pytest.fixture
def no_broker(monkeypatch):
    """Transactional tests commit, so their on-commit hooks run: publish nowhere."""
    monkeypatch.setattr("orders.enqueue.enqueue_on_commit", lambda task, *args: None)


# Counted as the Celery task runs it: outside any transaction (transaction=True), so
# order_dispatch's atomic block is BEGIN/COMMIT, not a counted savepoint as inside a test's
# transaction.
@pytest.mark.django_db(transaction=True)
def test_auto_dispatch_takes_at_most_10_queries(
    tree, people, menu, vol, skills, no_broker, django_assert_max_num_queries
):
    # The expensive path: skills asked for, nobody in the village or township, a refusal.
    menu.clinic.skills.set([skills["医疗护理"]])
    decliner = vol(301, tree.village_a3, skills=[skills["医疗护理"]])
    chosen = vol(302, tree.village_a3, skills=[skills["医疗护理"]])
    order = place(people, menu, tree.village_a, service=menu.clinic)
    order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=decliner)
    order_decline(volunteer=decliner, order_id=order.pk, reason="没空")

    with django_assert_max_num_queries(10):
        assert auto_dispatch(order_id=order.pk, at=AT) is True
    assert Order.objects.get(pk=order.pk).dispatched_volunteer == chosen


def test_the_dispatch_statement_is_planned_once_per_session(tree, people, menu, vol):
    # given: three orders in village A, each ranked by the prepared village statement
    for number in (301, 302, 303):
        vol(number, tree.village_a)
    orders = [place(people, menu, tree.village_a, title=f"单{n}") for n in range(3)]
    # when
    for order in orders:
        assert auto_dispatch(order_id=order.pk, at=AT) is True
    # then: PostgreSQL kept one plan for it and planned no execution anew
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE name = 'portal_dispatch_home_center_id'"
        )
        (generic, custom) = cursor.fetchone()
    assert (generic >= 3, custom) == (True, 0)


@pytest.mark.django_db(transaction=True)
def test_flagging_takes_at_most_10_queries(order, no_broker, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert auto_dispatch(order_id=order.pk, at=AT) is False
    assert Order.objects.get(pk=order.pk).flagged_at is not None


# --- the sweep ---------------------------------------------------------------------------


def test_sweep_expires_a_lapsed_offer_and_offers_it_to_the_next(order, vol, settings):
    settings.ORDER_ACCEPT_MINUTES = -1
    first = vol(301)
    second = vol(302)
    assert auto_dispatch(order_id=order.pk, at=AT) is True
    assert Order.objects.get(pk=order.pk).dispatched_volunteer == first

    assert sweep(now=later_daytime()) == (1, 1)

    swept = Order.objects.get(pk=order.pk)
    assert (swept.status, swept.dispatched_volunteer) == (S.DISPATCHED, second)
    refusal = OrderRefusal.objects.get(order=order)
    assert (refusal.volunteer, refusal.expired) == (first, True)
    assert list(OrderEvent.objects.filter(order=order).values_list("from_status", "to_status")) == [
        ("", S.PLACED),
        (S.PLACED, S.DISPATCHED),
        (S.DISPATCHED, S.PLACED),
        (S.PLACED, S.DISPATCHED),
    ]


def test_sweep_leaves_offers_still_within_their_deadline(order, vol):
    vol(301)
    assert auto_dispatch(order_id=order.pk, at=AT) is True
    assert sweep() == (0, 0)
    assert Order.objects.get(pk=order.pk).status == S.DISPATCHED


def test_sweep_dispatches_placed_orders_older_than_the_grace_period(order, vol, settings):
    best = vol(301)
    settings.DISPATCH_SWEEP_GRACE_SECONDS = 3 * 24 * 3600
    assert sweep(now=later_daytime()) == (0, 0)
    assert Order.objects.get(pk=order.pk).status == S.PLACED

    settings.DISPATCH_SWEEP_GRACE_SECONDS = 60
    assert sweep(now=later_daytime()) == (0, 1)
    assert Order.objects.get(pk=order.pk).dispatched_volunteer == best


def test_sweep_retries_a_flagged_order_once_a_later_slot_begins(order, vol):
    # given: flagged on Monday morning, and a volunteer free since
    assert auto_dispatch(order_id=order.pk, at=AT) is False
    helper = vol(301)
    # when: the same slot, then a later one
    same_slot = sweep(now=AT + datetime.timedelta(minutes=30))
    later_slot = sweep(now=later_daytime())
    # then
    assert (same_slot, later_slot) == ((0, 0), (0, 1))
    retried = Order.objects.get(pk=order.pk)
    assert (retried.status, retried.dispatched_volunteer) == (S.DISPATCHED, helper)


def test_sweep_dispatches_in_bounded_batches_oldest_first(tree, people, menu, vol, settings):
    settings.DISPATCH_SWEEP_BATCH = 2
    orders = [place(people, menu, tree.village_a, title=f"第{n}单") for n in range(3)]
    for number in range(3):
        vol(310 + number)

    assert sweep(now=later_daytime()) == (0, 2)
    statuses = list(
        Order.objects.filter(pk__in=[o.pk for o in orders])
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert statuses == [S.DISPATCHED, S.DISPATCHED, S.PLACED]
    assert sweep(now=later_daytime()) == (0, 1)
    assert Order.objects.filter(status=S.DISPATCHED).count() == 3


def test_sweep_expires_in_bounded_batches(tree, people, menu, helper, settings):
    settings.ORDER_ACCEPT_MINUTES = -1
    settings.DISPATCH_SWEEP_BATCH = 2
    orders = [place(people, menu, tree.village_a, title=f"第{n}单") for n in range(3)]
    for order in orders:
        order_dispatch(actor=people.county_cadre, order_id=order.pk, volunteer=helper)

    # Nobody else can take them: once lapsed they are flagged, not offered to helper again.
    assert sweep(now=later_daytime()) == (2, 0)
    assert Order.objects.filter(status=S.DISPATCHED).count() == 1
    assert sweep(now=later_daytime()) == (1, 0)
    assert Order.objects.filter(status=S.PLACED, flagged_at__isnull=False).count() == 3
    assert OrderRefusal.objects.filter(volunteer=helper, expired=True).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_village_hit_is_one_statement_and_a_new_session_prepares_it_again(
    tree, people, menu, vol, no_broker, django_assert_num_queries
):
    from django.db import connection

    vol(301)
    vol(302)
    first, second, third = (place(people, menu, tree.village_a, title=f"单{n}") for n in range(3))
    auto_dispatch(order_id=first.pk, at=AT)  # this session prepares the statement
    with django_assert_num_queries(1):
        assert auto_dispatch(order_id=second.pk, at=AT) is True
    connection.close()  # Django reconnects: a new server session knows no prepared statement
    assert auto_dispatch(order_id=third.pk, at=AT) is True
    assert set(Order.objects.filter(title__startswith="单").values_list("status", flat=True)) == {
        S.DISPATCHED
    }
