"""Star levels (星级认证, issue 11 item 4): eligibility from certified hours through the
recheck outbox, confirmation by the certifying tier in scope, the public notice and its
objections, the level in force, and the review after hours fall below a threshold."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError, NotInScope
from core.models import Notification
from points.models import (
    Kind,
    Source,
    StarCertification,
    StarObjection,
    StarPolicy,
    StarRecheck,
)
from points.selectors.stars import certifications_in_notice, current_star_level
from points.services.ledger import hours_credit
from points.services.stars import (
    TierRefused,
    certification_confirm,
    certification_grant,
    certification_object,
    certification_reject,
    certification_review_decide,
    certifications_publish,
    objection_decide,
    recheck_drain,
)
from points.tasks import stars_recheck_task
from tests.conftest import VOLUNTEER_ID_NUMBER
from tests.factories.volunteers import make_volunteer as factory_volunteer
from tests.support.queries import exact_get
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

S = StarCertification.Status
NOTICE_URL = reverse("points:notice")


def credit(volunteer: Volunteer, hours: str, source_id: int = 1, kind: str = Kind.EARNED) -> None:
    assert hours_credit(
        volunteer_id=volunteer.pk,
        source=Source.ORDER,
        source_id=source_id,
        hours=Decimal(hours),
        kind=kind,
        reason="" if kind == Kind.EARNED else "测试",
    )


def levels(volunteer: Volunteer) -> list[tuple[int, str]]:
    return list(
        StarCertification.objects.filter(volunteer=volunteer)
        .order_by("level")
        .values_list("level", "status")
    )


def certification(volunteer: Volunteer, level: int) -> StarCertification:
    return StarCertification.objects.get(volunteer=volunteer, level=level)


@pytest.fixture
def volunteer(people) -> Volunteer:
    return Volunteer.objects.get(user=people.volunteer)


@pytest.fixture
def eligible(volunteer) -> Volunteer:
    """The persona volunteer (王江社区, 珠晖区) at 100 certified hours, one star eligible."""
    credit(volunteer, "100.00")
    recheck_drain()
    return volunteer


# ---------------------------------------------------------------- eligibility


@pytest.mark.parametrize(
    ("hours", "expected"),
    [("99.99", []), ("100.00", [(1, S.ELIGIBLE)]), ("100.01", [(1, S.ELIGIBLE)])],
)
def test_eligibility_starts_at_exactly_the_threshold(volunteer, hours, expected):
    # given the hours, credited through the ledger (which marks the volunteer to recheck)
    credit(volunteer, hours)
    assert StarRecheck.objects.filter(volunteer=volunteer).exists()

    # when the outbox is drained
    assert recheck_drain() == 1

    # then
    assert levels(volunteer) == expected
    assert not StarRecheck.objects.exists()


def test_crossing_two_thresholds_at_once_makes_both_eligible_and_tells_the_volunteer(
    volunteer,
):
    credit(volunteer, "320.00")
    recheck_drain()

    assert levels(volunteer) == [(1, S.ELIGIBLE), (2, S.ELIGIBLE)]
    titles = set(Notification.objects.filter(user=volunteer.user).values_list("title", flat=True))
    assert titles == {"您已达到1星级志愿者认定条件", "您已达到2星级志愿者认定条件"}


# The task closes its connection when done, as in a worker: a test transaction cannot wrap it.
@pytest.mark.django_db(transaction=True)
def test_the_drain_run_twice_or_the_task_redelivered_makes_one_certification(volunteer):
    # given
    credit(volunteer, "150.00")

    # when the task runs, then runs again as a redelivery would, and the drain a third time
    stars_recheck_task.apply()
    stars_recheck_task.apply()
    recheck_drain()

    # then one row and one message
    assert levels(volunteer) == [(1, S.ELIGIBLE)]
    assert Notification.objects.filter(user=volunteer.user, title__contains="1星级").count() == 1


def test_the_drain_takes_many_volunteers_in_batches(tree):
    # given 7 volunteers over the threshold, drained 3 at a time
    many = [factory_volunteer(300 + n, tree.village_a) for n in range(7)]
    for index, one in enumerate(many):
        credit(one, "100.00", source_id=100 + index)

    # when
    done = recheck_drain(batch=3)

    # then
    assert done == 7
    assert StarCertification.objects.filter(volunteer__in=many, level=1).count() == 7


def test_an_inactive_volunteer_does_not_become_eligible(tree):
    suspended = factory_volunteer(400, tree.village_a, status=Volunteer.Status.SUSPENDED)
    credit(suspended, "150.00")
    recheck_drain()
    assert levels(suspended) == []


# ---------------------------------------------------------------- confirmation by tier


@pytest.mark.parametrize("persona", ["county_cadre", "city_cadre"])
def test_a_county_or_city_cadre_confirms_one_star(people, eligible, persona):
    confirmed = certification_confirm(
        actor=getattr(people, persona), certification_id=certification(eligible, 1).pk
    )
    assert confirmed.status == S.CONFIRMED
    assert confirmed.notice_ends_at is not None


@pytest.mark.parametrize("persona", ["township_cadre", "village_cadre"])
def test_a_township_or_village_cadre_in_scope_may_not_confirm(people, eligible, persona):
    with pytest.raises(TierRefused) as refused:
        certification_confirm(
            actor=getattr(people, persona), certification_id=certification(eligible, 1).pk
        )
    assert "一星、二星由县级或市级干部认定" in refused.value.message
    assert levels(eligible) == [(1, S.ELIGIBLE)]


def test_a_cadre_of_another_county_does_not_find_it(people, eligible):
    with pytest.raises(NotInScope):
        certification_confirm(
            actor=people.outsider_cadre, certification_id=certification(eligible, 1).pk
        )
    assert levels(eligible) == [(1, S.ELIGIBLE)]


def test_three_stars_are_the_citys_not_the_countys(people, volunteer):
    # given 600 certified hours: one, two and three stars eligible
    credit(volunteer, "600.00")
    recheck_drain()
    third = certification(volunteer, 3)

    # when the county cadre tries, then the city cadre
    with pytest.raises(TierRefused) as refused:
        certification_confirm(actor=people.county_cadre, certification_id=third.pk)
    confirmed = certification_confirm(actor=people.city_cadre, certification_id=third.pk)

    # then
    assert "三星、四星由市级干部认定" in refused.value.message
    assert confirmed.status == S.CONFIRMED


def test_five_stars_are_recommended_to_the_province_and_recorded_when_granted(people, volunteer):
    credit(volunteer, "1500.00")
    recheck_drain()
    fifth = certification(volunteer, 5)

    recommended = certification_confirm(actor=people.city_cadre, certification_id=fifth.pk)
    assert recommended.status == S.RECOMMENDED
    assert current_star_level(volunteer) == 0

    granted = certification_grant(actor=people.city_cadre, certification_id=fifth.pk)
    assert granted.status == S.GRANTED
    assert current_star_level(volunteer) == 5


def test_a_confirmation_twice_is_refused(people, eligible):
    first = certification(eligible, 1)
    certification_confirm(actor=people.county_cadre, certification_id=first.pk)
    with pytest.raises(DomainError):
        certification_confirm(actor=people.county_cadre, certification_id=first.pk)


def test_a_rejection_needs_a_reason_and_tells_the_volunteer(people, eligible):
    first = certification(eligible, 1)
    with pytest.raises(DomainError) as missing:
        certification_reject(actor=people.county_cadre, certification_id=first.pk, reason=" ")
    assert missing.value.message == "请填写不予认定的理由。"
    assert levels(eligible) == [(1, S.ELIGIBLE)]

    certification_reject(
        actor=people.county_cadre, certification_id=first.pk, reason="时长记录待核实"
    )
    assert levels(eligible) == [(1, S.REJECTED)]
    told = Notification.objects.get(user=eligible.user, title__contains="未通过")
    assert told.body == "时长记录待核实"


# ---------------------------------------------------------------- the notice and the level


def test_the_level_comes_into_force_when_the_notice_ends_not_before(people, eligible):
    # given a confirmation now
    now = timezone.now()
    confirmed = certification_confirm(
        actor=people.county_cadre, certification_id=certification(eligible, 1).pk, now=now
    )

    # then: 7 days of notice, during which the level is not in force
    assert confirmed.notice_ends_at == now + datetime.timedelta(days=7)
    assert current_star_level(eligible, now=now) == 0
    assert (
        current_star_level(eligible, now=confirmed.notice_ends_at - datetime.timedelta(seconds=1))
        == 0
    )
    # and at its end it is, whether or not the publishing task has run
    assert current_star_level(eligible, now=confirmed.notice_ends_at) == 1

    # when the task runs after the end
    assert certifications_publish(now=confirmed.notice_ends_at) == 1
    assert certifications_publish(now=confirmed.notice_ends_at) == 0

    # then the status says so and the volunteer is told, once
    assert levels(eligible) == [(1, S.CERTIFIED)]
    assert Notification.objects.filter(user=eligible.user, title__contains="恭喜").count() == 1


def test_the_notice_shows_the_masked_name_team_center_and_level_and_nothing_more(
    client, people, eligible
):
    # given a confirmed star, read by a visitor
    certification_confirm(actor=people.county_cadre, certification_id=certification(eligible, 1).pk)

    # when: the page and its volunteers' teams
    response = exact_get(client, NOTICE_URL, 2)

    # then
    page = response.content.decode()
    assert "李**" in page
    assert "王江社区" in page
    assert "李志愿" not in page
    assert "13700000001" not in page
    assert "137****0001" not in page
    assert VOLUNTEER_ID_NUMBER not in page
    assert VOLUNTEER_ID_NUMBER[-4:] not in page


def test_the_notice_takes_a_star_down_after_its_period(people, eligible):
    confirmed = certification_confirm(
        actor=people.county_cadre, certification_id=certification(eligible, 1).pk
    )
    assert list(certifications_in_notice(now=timezone.now())) == [confirmed]
    assert list(certifications_in_notice(now=confirmed.notice_ends_at)) == []


def test_the_notice_refuses_a_bad_page_number_in_chinese(client):
    response = client.get(NOTICE_URL, {"before": "abc"})
    assert response.status_code == 400
    assert "页码无效。" in response.content.decode()


# ---------------------------------------------------------------- objections


@pytest.fixture
def in_notice(people, eligible) -> StarCertification:
    return certification_confirm(
        actor=people.county_cadre, certification_id=certification(eligible, 1).pk
    )


def test_an_objection_holds_the_star_past_its_notice(people, in_notice, eligible):
    # when a resident objects during the notice
    certification_object(user=people.resident, certification_id=in_notice.pk, reason="未见其服务")

    # then the star is held, even after the notice ends, and the publishing task leaves it
    assert levels(eligible) == [(1, S.OBJECTED)]
    after = in_notice.notice_ends_at + datetime.timedelta(days=1)
    assert current_star_level(eligible, now=after) == 0
    assert certifications_publish(now=after) == 0


def test_the_volunteer_is_told_of_an_objection_but_never_by_whom(people, in_notice, eligible):
    certification_object(user=people.resident, certification_id=in_notice.pk, reason="未见其服务")
    told = Notification.objects.get(user=eligible.user, title__contains="异议")
    assert people.resident.name not in told.title + told.body
    assert people.resident.phone[-4:] not in told.title + told.body


def test_a_dismissed_objection_lets_the_star_come_into_force(people, in_notice, eligible):
    objection = certification_object(
        user=people.resident, certification_id=in_notice.pk, reason="未见其服务"
    )
    objection_decide(
        actor=people.county_cadre,
        objection_id=objection.pk,
        decision=StarObjection.Decision.DISMISS,
    )
    assert levels(eligible) == [(1, S.CONFIRMED)]
    assert current_star_level(eligible, now=in_notice.notice_ends_at) == 1


def test_an_upheld_objection_refuses_the_star(people, in_notice, eligible):
    objection = certification_object(
        user=people.resident, certification_id=in_notice.pk, reason="时长系虚报"
    )
    objection_decide(
        actor=people.county_cadre, objection_id=objection.pk, decision=StarObjection.Decision.UPHOLD
    )
    assert levels(eligible) == [(1, S.REJECTED)]
    assert current_star_level(eligible, now=in_notice.notice_ends_at) == 0


def test_a_township_cadre_may_not_decide_an_objection(people, in_notice):
    objection = certification_object(
        user=people.resident, certification_id=in_notice.pk, reason="未见其服务"
    )
    with pytest.raises(TierRefused):
        objection_decide(
            actor=people.township_cadre,
            objection_id=objection.pk,
            decision=StarObjection.Decision.UPHOLD,
        )
    assert StarObjection.objects.get(pk=objection.pk).decision == ""


@pytest.mark.parametrize(
    ("reason", "message"), [("", "请填写异议理由。"), ("字" * 501, "异议理由最多 500 个字。")]
)
def test_an_objection_without_a_fit_reason_is_refused(people, in_notice, reason, message):
    with pytest.raises(DomainError) as refused:
        certification_object(user=people.resident, certification_id=in_notice.pk, reason=reason)
    assert refused.value.message == message
    assert not StarObjection.objects.exists()


def test_one_objection_per_person_and_none_on_ones_own_star(people, in_notice):
    certification_object(user=people.resident, certification_id=in_notice.pk, reason="未见其服务")
    with pytest.raises(DomainError) as twice:
        certification_object(user=people.resident, certification_id=in_notice.pk, reason="再次")
    with pytest.raises(DomainError) as own:
        certification_object(user=people.volunteer, certification_id=in_notice.pk, reason="自己")
    assert twice.value.message == "您已对该认定提出过异议，请等待处理。"
    assert own.value.message == "不能对自己的星级认定提出异议。"
    assert StarObjection.objects.count() == 1


def test_no_objection_after_the_notice(people, in_notice):
    with pytest.raises(NotInScope):
        certification_object(
            user=people.resident,
            certification_id=in_notice.pk,
            reason="迟到的异议",
            now=in_notice.notice_ends_at,
        )


def test_the_objection_page_sends_a_visitor_to_sign_in(client, in_notice):
    url = reverse("points:object", args=[in_notice.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_objection_page_refuses_an_empty_reason_and_writes_nothing(client, people, in_notice):
    client.force_login(people.resident)
    url = reverse("points:object", args=[in_notice.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "异议" in response.content.decode()
    assert not StarObjection.objects.exists()


def test_the_objection_page_records_an_objection(client, people, in_notice):
    client.force_login(people.resident)
    response = client.post(reverse("points:object", args=[in_notice.pk]), {"reason": "未见其服务"})
    assert response.status_code == 302
    assert StarObjection.objects.get().objector == people.resident


def test_the_objection_page_of_a_star_not_in_notice_is_404(client, people, eligible):
    client.force_login(people.resident)
    url = reverse("points:object", args=[certification(eligible, 1).pk])
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------- a reversal below a threshold


def test_hours_reversed_below_the_threshold_open_a_review_not_a_drop(people, in_notice, eligible):
    # given a star in force
    after = in_notice.notice_ends_at
    certifications_publish(now=after)

    # when 10 of its 100 hours are reversed
    credit(eligible, "-10.00", source_id=1, kind=Kind.REVERSED)
    recheck_drain()

    # then the level stands, flagged for a cadre
    first = certification(eligible, 1)
    assert first.under_review is True
    assert current_star_level(eligible) == 1

    # and a cadre of the tier keeps it, or revokes it with a reason
    with pytest.raises(TierRefused):
        certification_review_decide(
            actor=people.township_cadre, certification_id=first.pk, keep=True
        )
    with pytest.raises(DomainError):
        certification_review_decide(
            actor=people.county_cadre, certification_id=first.pk, keep=False, reason=""
        )
    certification_review_decide(
        actor=people.county_cadre, certification_id=first.pk, keep=False, reason="服务时长有误"
    )
    assert levels(eligible) == [(1, S.REJECTED)]
    assert current_star_level(eligible) == 0


def test_a_star_below_its_threshold_cannot_be_confirmed(people, eligible):
    credit(eligible, "-0.01", source_id=1, kind=Kind.REVERSED)
    recheck_drain()
    with pytest.raises(DomainError) as refused:
        certification_confirm(
            actor=people.county_cadre, certification_id=certification(eligible, 1).pk
        )
    assert refused.value.message == "该志愿者的累计服务时长已低于认定标准，请先复核。"


def test_a_database_without_a_policy_reads_the_national_defaults(volunteer):
    # given the table emptied (as a flushed test database is)
    StarPolicy.objects.all().delete()
    # when
    credit(volunteer, "300.00")
    recheck_drain()
    # then
    assert levels(volunteer) == [(1, S.ELIGIBLE), (2, S.ELIGIBLE)]
    assert certification(volunteer, 2).threshold_hours == Decimal(300)
