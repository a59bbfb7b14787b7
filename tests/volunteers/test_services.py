"""volunteers.services: applying, review, personal data, insurance, and the copied
township and county columns."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.services import resident_register
from core.errors import ConflictError, DomainError, NotInScope
from practice.models import Center
from practice.services import center_save
from tests.conftest import PASSWORD, VOLUNTEER_ID_NUMBER
from tests.support.rivals import before_insert_into, rival_between
from volunteers.availability import ALL_SLOTS, slots_to_mask
from volunteers.identity import compose_id_number, decrypt_id_number
from volunteers.models import PersonalDataReveal, Skill, Volunteer
from volunteers.services import (
    volunteer_apply,
    volunteer_approve,
    volunteer_reject,
    volunteer_reveal_id_number,
    volunteer_update_insurance,
)

pytestmark = pytest.mark.django_db

# 珠晖区, born 1996-08-20, sequence 124: a woman.
APPLICANT_ID_NUMBER = compose_id_number("430405", datetime.date(1996, 8, 20), 124)


def apply(people, tree, **overrides) -> Volunteer:
    arguments = {
        "user": people.resident,
        "real_name": "张群众",
        "id_number": APPLICANT_ID_NUMBER,
        "home_center": tree.village_a,
    }
    arguments.update(overrides)
    return volunteer_apply(**arguments)


def refused(exception_type, call, *args, **kwargs) -> DomainError:
    with pytest.raises(exception_type) as caught:
        call(*args, **kwargs)
    assert type(caught.value) is exception_type
    return caught.value


def deactivate(center: Center) -> None:
    center.is_active = False
    center_save(actor=None, center=center)


# --- volunteer_apply ---------------------------------------------------------------------


def test_apply_creates_a_pending_profile_with_derived_facts(tree, people):
    # given
    driving, legal = Skill.objects.get(name="驾驶"), Skill.objects.get(name="法律服务")
    availability = slots_to_mask(["sat_morning", "sun_evening"])

    # when
    apply(
        people,
        tree,
        real_name="  张群众 ",
        skills=[driving, legal],
        platforms=["culture", "theory", "culture"],
        availability=availability,
        is_party_member=True,
    )

    # then
    volunteer = Volunteer.objects.get(user=people.resident)
    assert volunteer.status == Volunteer.Status.PENDING
    assert volunteer.real_name == "张群众"
    assert volunteer.gender == Volunteer.Gender.FEMALE
    assert volunteer.birth_date == datetime.date(1996, 8, 20)
    assert volunteer.home_center == tree.village_a
    assert volunteer.township == tree.township_a
    assert volunteer.county == tree.county_a
    assert set(volunteer.skills.values_list("name", flat=True)) == {"驾驶", "法律服务"}
    assert volunteer.platforms == ["culture", "theory"]
    assert volunteer.availability == availability
    assert volunteer.is_party_member is True
    assert volunteer.joined_on is None
    assert volunteer.reviewed_by is None
    assert volunteer.id_number_first4 == "4304"
    assert volunteer.id_number_last4 == APPLICANT_ID_NUMBER[-4:]
    assert decrypt_id_number(volunteer.id_number_encrypted) == APPLICANT_ID_NUMBER


def test_apply_accepts_a_lowercase_x(tree, people):
    assert VOLUNTEER_ID_NUMBER.endswith("X")
    other_x_number = "43040519900104123X"

    volunteer = apply(people, tree, id_number=other_x_number.lower())

    assert decrypt_id_number(volunteer.id_number_encrypted) == other_x_number
    assert volunteer.id_number_last4 == "123X"
    assert volunteer.gender == Volunteer.Gender.MALE


@pytest.mark.parametrize("id_number", [VOLUNTEER_ID_NUMBER, VOLUNTEER_ID_NUMBER.lower()])
def test_a_second_application_for_the_same_id_number_is_refused(tree, people, id_number):
    # given: people.volunteer already holds VOLUNTEER_ID_NUMBER

    # when
    error = refused(DomainError, apply, people, tree, id_number=id_number)

    # then
    assert error.code == "id_taken"
    assert error.field == "id_number"
    assert error.message == "该身份证号码已登记为志愿者，不能重复申请。如有疑问请联系所在实践站。"
    assert Volunteer.objects.count() == 1
    assert not Volunteer.objects.filter(user=people.resident).exists()


def test_applying_again_while_pending_is_a_conflict(tree, people):
    apply(people, tree)

    error = refused(ConflictError, apply, people, tree, real_name="张三")

    assert error.code == "already_applied"
    assert error.message == "您的志愿者申请正在审核中，请耐心等待。"
    assert Volunteer.objects.get(user=people.resident).real_name == "张群众"


def test_an_active_volunteer_applying_again_is_a_conflict(tree, people):
    error = refused(ConflictError, apply, people, tree, user=people.volunteer)

    assert error.code == "already_applied"
    assert error.message == "您已是注册志愿者，无需重复申请。"
    assert Volunteer.objects.get(user=people.volunteer).status == Volunteer.Status.ACTIVE


def test_a_rejected_applicant_may_apply_again(tree, people):
    # given
    first = apply(people, tree)
    volunteer_reject(actor=people.township_cadre, volunteer_id=first.pk, reason="信息不全")

    # when: again, with the same number and a new home
    again = apply(people, tree, home_center=tree.village_a3, real_name="张群众二")

    # then: the same profile, pending again, its review cleared
    assert again.pk == first.pk
    volunteer = Volunteer.objects.get(user=people.resident)
    assert volunteer.status == Volunteer.Status.PENDING
    assert volunteer.real_name == "张群众二"
    assert volunteer.township == tree.township_a2
    assert volunteer.reviewed_by is None
    assert volunteer.reviewed_at is None
    assert volunteer.review_reason == ""
    assert Volunteer.objects.count() == 2


def test_a_rejected_applicant_cannot_take_someone_elses_number(tree, people):
    first = apply(people, tree)
    volunteer_reject(actor=people.township_cadre, volunteer_id=first.pk, reason="信息不全")

    error = refused(DomainError, apply, people, tree, id_number=VOLUNTEER_ID_NUMBER)

    assert error.code == "id_taken"
    assert Volunteer.objects.get(user=people.resident).status == Volunteer.Status.REJECTED


@pytest.mark.parametrize(
    ("id_number", "code", "message"),
    [
        ("430405199608201240", "id_check_character", "身份证号码校验位不正确，请核对后重新填写。"),
        (
            "430405960820124",
            "id_legacy",
            "这是 15 位的旧版身份证号码，请填写 18 位的第二代身份证号码。",
        ),
        ("", "id_length", "身份证号码应为 18 位，当前为 0 位。"),
    ],
)
def test_a_bad_id_number_is_refused_on_its_field(tree, people, id_number, code, message):
    assert APPLICANT_ID_NUMBER[-1] != "0"

    error = refused(DomainError, apply, people, tree, id_number=id_number)

    assert (error.code, error.field, error.message) == (code, "id_number", message)
    assert Volunteer.objects.count() == 1


@pytest.mark.parametrize("home", ["township_a", "county_a", "city"])
def test_a_home_above_village_level_is_refused(tree, people, home):
    error = refused(DomainError, apply, people, tree, home_center=getattr(tree, home))

    assert (error.code, error.field) == ("home_not_village", "center")
    assert error.message == "请选择所在的村（社区）。"
    assert Volunteer.objects.count() == 1


def test_an_inactive_village_is_refused(tree, people):
    deactivate(tree.village_a2)

    error = refused(DomainError, apply, people, tree, home_center=tree.village_a2)

    assert (error.code, error.field) == ("home_not_village", "center")
    assert Volunteer.objects.count() == 1


def test_an_unknown_platform_is_refused(tree, people):
    error = refused(DomainError, apply, people, tree, platforms=["culture", "cooking"])

    assert (error.code, error.field) == ("platform_unknown", "platforms")
    assert error.message == "未知的服务平台：cooking"
    assert Volunteer.objects.count() == 1


@pytest.mark.parametrize("availability", [-1, ALL_SLOTS + 1, 1 << 30])
def test_availability_out_of_range_is_refused(tree, people, availability):
    error = refused(DomainError, apply, people, tree, availability=availability)

    assert (error.code, error.field) == ("availability_invalid", "availability")
    assert Volunteer.objects.count() == 1


def test_every_slot_is_in_range(tree, people):
    volunteer = apply(people, tree, availability=ALL_SLOTS)

    assert ALL_SLOTS == (1 << 21) - 1
    assert Volunteer.objects.get(pk=volunteer.pk).availability == ALL_SLOTS


def test_an_inactive_skill_is_refused(tree, people):
    skill = Skill.objects.get(name="驾驶")
    Skill.objects.filter(pk=skill.pk).update(is_active=False)
    skill.refresh_from_db()

    error = refused(DomainError, apply, people, tree, skills=[skill])

    assert (error.code, error.field) == ("skill_inactive", "skills")
    assert Volunteer.objects.count() == 1


@pytest.mark.parametrize(
    ("real_name", "code", "message"),
    [
        ("", "name_required", "请填写真实姓名。"),
        ("   ", "name_required", "请填写真实姓名。"),
        (None, "name_required", "请填写真实姓名。"),
        ("张" * 51, "name_too_long", "姓名不能超过 50 个字。"),
    ],
)
def test_a_missing_or_overlong_name_is_refused(tree, people, real_name, code, message):
    error = refused(DomainError, apply, people, tree, real_name=real_name)

    assert (error.code, error.field, error.message) == (code, "real_name", message)
    assert Volunteer.objects.count() == 1


def test_a_name_of_fifty_characters_is_accepted(tree, people):
    volunteer = apply(people, tree, real_name="张" * 50)

    assert Volunteer.objects.get(pk=volunteer.pk).real_name == "张" * 50


# --- review ------------------------------------------------------------------------------


@pytest.mark.parametrize("reviewer", ["township_cadre", "county_cadre", "city_cadre"])
def test_cadres_of_the_township_and_above_approve(tree, people, reviewer):
    # given
    application = apply(people, tree)
    before = timezone.now()

    # when
    volunteer_approve(actor=getattr(people, reviewer), volunteer_id=application.pk)

    # then
    volunteer = Volunteer.objects.get(pk=application.pk)
    assert volunteer.status == Volunteer.Status.ACTIVE
    assert volunteer.reviewed_by == getattr(people, reviewer)
    assert before <= volunteer.reviewed_at <= timezone.now()
    assert volunteer.joined_on == timezone.localdate()
    assert volunteer.review_reason == ""


def test_the_village_cadre_may_not_review(tree, people):
    application = apply(people, tree)

    error = refused(
        DomainError, volunteer_approve, actor=people.village_cadre, volunteer_id=application.pk
    )

    assert error.code == "review_forbidden"
    assert error.message == "志愿者申请由乡镇（街道）及以上实践中心审核。"
    assert Volunteer.objects.get(pk=application.pk).status == Volunteer.Status.PENDING


@pytest.mark.parametrize("actor", ["outsider_cadre", "resident", "volunteer"])
def test_anyone_out_of_scope_is_told_it_does_not_exist(tree, people, actor):
    application = apply(people, tree, user=people.resident)

    error = refused(
        NotInScope, volunteer_approve, actor=getattr(people, actor), volunteer_id=application.pk
    )
    reject_error = refused(
        NotInScope,
        volunteer_reject,
        actor=getattr(people, actor),
        volunteer_id=application.pk,
        reason="不符合条件",
    )

    assert error.code == reject_error.code == "volunteer_not_in_scope"
    volunteer = Volunteer.objects.get(pk=application.pk)
    assert volunteer.status == Volunteer.Status.PENDING
    assert volunteer.reviewed_by is None


def test_a_township_cadre_cannot_review_another_townships_applicant(tree, people):
    application = apply(people, tree, home_center=tree.village_a3)

    error = refused(
        NotInScope, volunteer_approve, actor=people.township_cadre, volunteer_id=application.pk
    )

    assert error.code == "volunteer_not_in_scope"


def test_approving_twice_is_a_conflict_naming_the_state(tree, people):
    application = apply(people, tree)
    volunteer_approve(actor=people.township_cadre, volunteer_id=application.pk)

    error = refused(
        ConflictError, volunteer_approve, actor=people.county_cadre, volunteer_id=application.pk
    )

    assert error.code == "not_pending"
    assert error.message == "该申请当前状态为“在册”，不能再审核。"
    assert Volunteer.objects.get(pk=application.pk).reviewed_by == people.township_cadre


def test_rejecting_an_approved_volunteer_is_a_conflict(tree, people):
    application = apply(people, tree)
    volunteer_approve(actor=people.township_cadre, volunteer_id=application.pk)

    error = refused(
        ConflictError,
        volunteer_reject,
        actor=people.township_cadre,
        volunteer_id=application.pk,
        reason="改主意了",
    )

    assert error.message == "该申请当前状态为“在册”，不能再审核。"
    assert Volunteer.objects.get(pk=application.pk).status == Volunteer.Status.ACTIVE


def test_reject_records_the_reason_and_the_reviewer(tree, people):
    application = apply(people, tree)

    volunteer_reject(
        actor=people.county_cadre, volunteer_id=application.pk, reason="  身份信息与本人不符 "
    )

    volunteer = Volunteer.objects.get(pk=application.pk)
    assert volunteer.status == Volunteer.Status.REJECTED
    assert volunteer.review_reason == "身份信息与本人不符"
    assert volunteer.reviewed_by == people.county_cadre
    assert volunteer.reviewed_at is not None
    assert volunteer.joined_on is None


@pytest.mark.parametrize(
    ("reason", "code", "message"),
    [
        ("", "reason_required", "请填写不通过的原因。"),
        ("   ", "reason_required", "请填写不通过的原因。"),
        ("原" * 201, "reason_too_long", "原因不能超过 200 个字。"),
    ],
)
def test_reject_requires_a_reason(tree, people, reason, code, message):
    application = apply(people, tree)

    error = refused(
        DomainError,
        volunteer_reject,
        actor=people.township_cadre,
        volunteer_id=application.pk,
        reason=reason,
    )

    assert (error.code, error.field, error.message) == (code, "reason", message)
    volunteer = Volunteer.objects.get(pk=application.pk)
    assert volunteer.status == Volunteer.Status.PENDING
    assert volunteer.reviewed_at is None


# --- personal data -----------------------------------------------------------------------


def the_volunteer(people) -> Volunteer:
    return Volunteer.objects.get(user=people.volunteer)


@pytest.mark.parametrize("cadre", ["village_cadre", "township_cadre", "county_cadre", "city_cadre"])
def test_a_cadre_in_scope_sees_the_number_and_is_audited(tree, people, cadre):
    volunteer = the_volunteer(people)

    number = volunteer_reveal_id_number(
        actor=getattr(people, cadre), volunteer=volunteer, client_address="10.0.0.7"
    )

    assert number == VOLUNTEER_ID_NUMBER
    reveal = PersonalDataReveal.objects.get()
    assert reveal.actor == getattr(people, cadre)
    assert reveal.volunteer == volunteer
    assert reveal.field == PersonalDataReveal.Field.ID_NUMBER
    assert reveal.client_address == "10.0.0.7"
    assert reveal.revealed_at is not None


def test_every_reveal_is_a_row_of_its_own(tree, people):
    volunteer = the_volunteer(people)

    volunteer_reveal_id_number(actor=people.township_cadre, volunteer=volunteer)
    volunteer_reveal_id_number(actor=people.township_cadre, volunteer=volunteer)

    assert PersonalDataReveal.objects.filter(actor=people.township_cadre).count() == 2


@pytest.mark.parametrize("actor", ["outsider_cadre", "resident"])
def test_anyone_else_is_refused_and_nothing_is_logged(tree, people, actor):
    error = refused(
        NotInScope,
        volunteer_reveal_id_number,
        actor=getattr(people, actor),
        volunteer=the_volunteer(people),
    )

    assert error.code == "volunteer_not_in_scope"
    assert PersonalDataReveal.objects.count() == 0


def test_the_owner_sees_their_own_number_without_an_audit_row(tree, people):
    number = volunteer_reveal_id_number(actor=people.volunteer, volunteer=the_volunteer(people))

    assert number == VOLUNTEER_ID_NUMBER
    assert PersonalDataReveal.objects.count() == 0


def test_insurance_is_set_by_a_cadre_in_scope(tree, people):
    volunteer_update_insurance(
        actor=people.township_cadre,
        volunteer=the_volunteer(people),
        insurer=" 中国人寿 ",
        insurance_number="P2026-0001",
        valid_until=datetime.date(2027, 6, 30),
    )

    volunteer = the_volunteer(people)
    assert volunteer.insurer == "中国人寿"
    assert volunteer.insurance_number == "P2026-0001"
    assert volunteer.insurance_valid_until == datetime.date(2027, 6, 30)


@pytest.mark.parametrize("actor", ["outsider_cadre", "resident", "volunteer"])
def test_insurance_is_refused_out_of_scope(tree, people, actor):
    error = refused(
        NotInScope,
        volunteer_update_insurance,
        actor=getattr(people, actor),
        volunteer=the_volunteer(people),
        insurer="中国人寿",
        insurance_number="P2026-0001",
        valid_until=datetime.date(2027, 6, 30),
    )

    assert error.code == "volunteer_not_in_scope"
    volunteer = the_volunteer(people)
    assert (volunteer.insurer, volunteer.insurance_number) == ("", "")
    assert volunteer.insurance_valid_until is None


# --- moving centers ----------------------------------------------------------------------


def test_moving_a_village_moves_its_volunteers_township(tree, people):
    # given: a second volunteer elsewhere, who must stay put
    other = apply(people, tree, home_center=tree.village_a2)
    village = Center.objects.get(pk=tree.village_a.pk)

    # when
    village.parent = Center.objects.get(pk=tree.township_a2.pk)
    center_save(actor=None, center=village)

    # then
    volunteer = the_volunteer(people)
    assert volunteer.township == tree.township_a2
    assert volunteer.county == tree.county_a
    assert Volunteer.objects.get(pk=other.pk).township == tree.township_a


def test_moving_a_township_to_another_county_moves_its_volunteers_county(tree, people):
    other = apply(people, tree, home_center=tree.village_a3)
    township = Center.objects.get(pk=tree.township_a.pk)

    township.parent = Center.objects.get(pk=tree.county_b.pk)
    center_save(actor=None, center=township)

    volunteer = the_volunteer(people)
    assert volunteer.township == tree.township_a
    assert volunteer.county == tree.county_b
    other.refresh_from_db()
    assert (other.township, other.county) == (tree.township_a2, tree.county_a)
    # and scope follows: county A's cadre no longer reviews or sees the moved volunteer
    error = refused(
        NotInScope, volunteer_reveal_id_number, actor=people.county_cadre, volunteer=volunteer
    )
    assert error.code == "volunteer_not_in_scope"


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_application_is_decided_by_the_unique_digest(tree, people):
    # given: another resident's application with the same ID number commits, on its own
    # connection, after this application's check found the number free and just before its
    # INSERT (the rival seam of tests.support.rivals; the check itself runs unpatched)
    rival_user = resident_register(phone="13900000055", name="王抢先", password=PASSWORD)

    def rival_applies():
        return apply(people, tree, user=rival_user, real_name="王抢先")

    # when
    with rival_between(rival_applies, before_insert_into(Volunteer)) as rival:
        error = refused(DomainError, apply, people, tree)
    rival.finish()

    # then: refused as the check would have, and only the rival's application stands
    assert (error.code, error.field) == ("id_taken", "id_number")
    assert error.message == "该身份证号码已登记为志愿者，不能重复申请。"
    assert set(Volunteer.objects.values_list("user", flat=True)) == {
        people.volunteer.pk,
        rival_user.pk,
    }
    assert not Volunteer.objects.filter(user=people.resident).exists()
