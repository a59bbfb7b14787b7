"""/api/v1/volunteers/: applying, review, the cadres' scoped list, profiles, the audited
reveal of an ID number."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.services import resident_register
from tests.conftest import PASSWORD, VOLUNTEER_ID_NUMBER, make_cadre
from tests.factories.volunteers import make_volunteers as factory_volunteers
from tests.support.queries import exact_get
from volunteers.identity import compose_id_number, id_number_digest
from volunteers.models import PersonalDataReveal, Skill, Team, TeamMembership, Volunteer
from volunteers.services import team_member_add, team_save, volunteer_apply, volunteer_create

URL = "/api/v1/volunteers/"
APPLY_URL = f"{URL}apply/"
# Synthetic numbers: 珠晖区, a woman born 1995-06-15; and a man of 雁峰区.
APPLICANT_ID_NUMBER = compose_id_number("430405", datetime.date(1995, 6, 15), 246)
OTHER_ID_NUMBER = compose_id_number("430406", datetime.date(1980, 1, 2), 11)


def detail_url(volunteer: Volunteer, action: str = "") -> str:
    return f"{URL}{volunteer.pk}/{action + '/' if action else ''}"


@pytest.fixture
def skills(db) -> dict[str, Skill]:
    return {
        name: Skill.objects.create(name=name, sort_order=n)
        for n, name in enumerate(["义务家教", "医疗卫生", "法律咨询"])
    }


@pytest.fixture
def applicant(people, tree, skills) -> Volunteer:
    """The resident's pending application, home village_a."""
    return volunteer_apply(
        user=people.resident,
        real_name="张群众",
        id_number=APPLICANT_ID_NUMBER,
        home_center=tree.village_a,
        skills=[skills["义务家教"]],
    )


@pytest.fixture
def outsider_volunteer(people, tree) -> Volunteer:
    """An active volunteer of county B."""
    user = resident_register(phone="13700000002", name="王雁峰", password=PASSWORD)
    return volunteer_create(
        user=user,
        real_name="王雁峰",
        id_number=OTHER_ID_NUMBER,
        home_center=tree.village_b,
        status=Volunteer.Status.ACTIVE,
    )


def the_volunteer(people) -> Volunteer:
    return Volunteer.objects.get(user=people.volunteer)


def valid_application(tree, skills, /, **changes: object) -> dict[str, object]:
    return {
        "real_name": "张群众",
        "id_number": APPLICANT_ID_NUMBER,
        "center": tree.village_a.pk,
        "skills": [skills["义务家教"].pk, skills["法律咨询"].pk],
        "platforms": ["education", "culture"],
        "availability": ["mon_morning", "sat_evening"],
        "is_party_member": True,
        **changes,
    }


def make_volunteers(tree, count: int, *, first_sequence: int = 300) -> list[Volunteer]:
    """``count`` active volunteers of village_a2, each with two skills."""
    skill_rows = list(Skill.objects.all()[:2]) or [
        Skill.objects.create(name="文艺"),
        Skill.objects.create(name="信息技术"),
    ]
    return factory_volunteers(
        range(first_sequence, first_sequence + count),
        tree.village_a2,
        phone_prefix="1360000",
        born=datetime.date(1985, 1, 1),
        skills=skill_rows,
    )


# --- applying ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_cannot_apply(api_client, tree, skills):
    response = api_client.post(APPLY_URL, valid_application(tree, skills), format="json")

    assert response.status_code == 401
    assert Volunteer.objects.count() == 0


@pytest.mark.django_db
def test_a_resident_applies(client_for, people, tree, skills):
    # when
    response = client_for(people.resident).post(
        APPLY_URL, valid_application(tree, skills), format="json"
    )

    # then
    assert response.status_code == 201
    body = response.json()
    volunteer = Volunteer.objects.get(user=people.resident)
    assert body["id"] == volunteer.pk
    assert body["status"] == "pending"
    assert body["real_name"] == "张群众"
    assert body["phone"] == "13900000001"
    assert body["id_number"] == "4304**********" + APPLICANT_ID_NUMBER[-4:]
    assert body["gender"] == "female"
    assert body["birth_date"] == "1995-06-15"
    assert body["home_center"] == tree.village_a.pk
    assert body["skills"] == [
        {"id": skills["义务家教"].pk, "name": "义务家教"},
        {"id": skills["法律咨询"].pk, "name": "法律咨询"},
    ]
    assert body["platforms"] == ["education", "culture"]
    assert body["availability"] == ["mon_morning", "sat_evening"]
    assert body["is_party_member"] is True
    assert body["joined_on"] is None
    assert APPLICANT_ID_NUMBER not in response.content.decode()
    assert volunteer.id_number_digest == id_number_digest(APPLICANT_ID_NUMBER)
    assert volunteer.township_id == tree.township_a.pk
    assert volunteer.county_id == tree.county_a.pk
    assert volunteer.availability == (1 << 0) | (1 << 17)


@pytest.mark.django_db
def test_only_the_required_fields_are_needed(client_for, people, tree):
    response = client_for(people.resident).post(
        APPLY_URL,
        {"real_name": "张群众", "id_number": APPLICANT_ID_NUMBER, "center": tree.village_a3.pk},
        format="json",
    )

    assert response.status_code == 201
    volunteer = Volunteer.objects.get(user=people.resident)
    assert volunteer.home_center_id == tree.village_a3.pk
    assert list(volunteer.skills.all()) == []
    assert volunteer.platforms == []
    assert volunteer.availability == 0
    assert volunteer.is_party_member is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {
                "id_number": APPLICANT_ID_NUMBER[:17]
                + ("0" if APPLICANT_ID_NUMBER[17] != "0" else "1")
            },
            {"id_number": ["身份证号码校验位不正确，请核对后重新填写。"]},
        ),
        (
            {"id_number": "430405950615246"},
            {"id_number": ["这是 15 位的旧版身份证号码，请填写 18 位的第二代身份证号码。"]},
        ),
        (
            {"id_number": "430405199502301234"},
            {"id_number": ["身份证号码中的出生日期不存在。"]},
        ),
        (
            {"id_number": 430405199506152461},
            {"id_number": ["应为文本，不能是数字、列表或其他类型。"]},
        ),
        ({"id_number": ""}, {"id_number": ["该字段不能为空。"]}),
        ({"real_name": "张" * 51}, {"real_name": ["请确保这个字段不能超过 50 个字符。"]}),
        ({"real_name": "   "}, {"real_name": ["该字段不能为空。"]}),
        ({"real_name": ["张群众"]}, {"real_name": ["应为文本，不能是数字、列表或其他类型。"]}),
        ({"center": "abc"}, {"center": ["请选择所在的村（社区）。"]}),
        ({"center": 999999}, {"center": ["所选的村（社区）不存在。"]}),
        ({"center": None}, {"center": ["该字段不能为 null。"]}),
        ({"skills": "义务家教"}, {"skills": ["期望为一个包含物件的列表，得到的类型是“str”。"]}),
        ({"skills": [999999]}, {"skills": ["未知的技能：999999"]}),
        ({"skills": ["abc"]}, {"skills": {"0": ["请填写合法的整数值。"]}}),
        ({"availability": ["mon_night"]}, {"availability": ["未知的服务时段：mon_night"]}),
        (
            {"availability": "mon_morning"},
            {"availability": ["期望为一个包含物件的列表，得到的类型是“str”。"]},
        ),
        ({"platforms": ["sports"]}, {"platforms": ["未知的服务平台：sports"]}),
        ({"is_party_member": "maybe"}, {"is_party_member": ["必须是有效的布尔值。"]}),
    ],
)
def test_bad_applications_are_400_by_field_in_chinese(
    client_for, people, tree, skills, changes, expected
):
    response = client_for(people.resident).post(
        APPLY_URL, valid_application(tree, skills, **changes), format="json"
    )

    assert response.status_code == 400
    assert response.json() == expected
    assert not Volunteer.objects.filter(user=people.resident).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("level", ["township_a", "county_a", "city"])
def test_the_home_must_be_a_village(client_for, people, tree, skills, level):
    response = client_for(people.resident).post(
        APPLY_URL, valid_application(tree, skills, center=getattr(tree, level).pk), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"center": ["请选择所在的村（社区）。"]}
    assert not Volunteer.objects.filter(user=people.resident).exists()


@pytest.mark.django_db
def test_missing_fields_are_each_named(client_for, people):
    response = client_for(people.resident).post(APPLY_URL, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "real_name": ["该字段是必填项。"],
        "id_number": ["该字段是必填项。"],
        "center": ["该字段是必填项。"],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", '"张群众"', "null", "{", "42"])
def test_odd_bodies_are_400_not_500(client_for, people, body):
    response = client_for(people.resident).post(APPLY_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert not Volunteer.objects.filter(user=people.resident).exists()


@pytest.mark.django_db
def test_a_second_application_while_pending_is_409(client_for, people, tree, skills, applicant):
    response = client_for(people.resident).post(
        APPLY_URL, valid_application(tree, skills, center=tree.village_a2.pk), format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "您的志愿者申请正在审核中，请耐心等待。",
        "code": "already_applied",
    }
    applicant.refresh_from_db()
    assert applicant.home_center_id == tree.village_a.pk


@pytest.mark.django_db
def test_an_active_volunteer_applying_again_is_409(client_for, people, tree, skills):
    response = client_for(people.volunteer).post(
        APPLY_URL,
        valid_application(tree, skills, id_number=VOLUNTEER_ID_NUMBER, real_name="李志愿"),
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "您已是注册志愿者，无需重复申请。"


@pytest.mark.django_db
def test_someone_elses_id_number_is_refused(client_for, people, tree, skills):
    response = client_for(people.resident).post(
        APPLY_URL, valid_application(tree, skills, id_number=VOLUNTEER_ID_NUMBER), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "id_number": ["该身份证号码已登记为志愿者，不能重复申请。如有疑问请联系所在实践站。"]
    }
    assert not Volunteer.objects.filter(user=people.resident).exists()


@pytest.mark.django_db
def test_a_rejected_applicant_may_apply_again(client_for, people, tree, skills, applicant):
    client_for(people.township_cadre).post(
        detail_url(applicant, "reject"), {"reason": "资料不全"}, format="json"
    )

    response = client_for(people.resident).post(
        APPLY_URL, valid_application(tree, skills), format="json"
    )

    assert response.status_code == 201
    assert response.json()["id"] == applicant.pk
    assert Volunteer.objects.get(pk=applicant.pk).status == "pending"


# --- review ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_anonymous_cannot_review(api_client, applicant, action):
    response = api_client.post(detail_url(applicant, action), {"reason": "不符合"}, format="json")

    assert response.status_code == 401
    assert Volunteer.objects.get(pk=applicant.pk).status == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["resident", "volunteer"])
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_residents_and_volunteers_may_not_review(client_for, people, applicant, persona, action):
    response = client_for(getattr(people, persona)).post(
        detail_url(applicant, action), {"reason": "不符合"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "只有实践中心（所、站）的管理人员可以进行此操作。"}
    assert Volunteer.objects.get(pk=applicant.pk).status == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_cadre_of_another_county_gets_404(client_for, people, applicant, action):
    response = client_for(people.outsider_cadre).post(
        detail_url(applicant, action), {"reason": "不符合"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["detail"] == "志愿者不存在或不在您的管辖范围内。"
    volunteer = Volunteer.objects.get(pk=applicant.pk)
    assert volunteer.status == "pending"
    assert volunteer.reviewed_by is None


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_village_cadre_in_scope_is_403(client_for, people, applicant, action):
    response = client_for(people.village_cadre).post(
        detail_url(applicant, action), {"reason": "不符合"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "志愿者申请由乡镇（街道）及以上实践中心审核。"}
    assert Volunteer.objects.get(pk=applicant.pk).status == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["township_cadre", "county_cadre", "city_cadre"])
def test_a_township_or_higher_cadre_approves(client_for, people, applicant, persona):
    reviewer = getattr(people, persona)

    response = client_for(reviewer).post(detail_url(applicant, "approve"))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == applicant.pk
    assert body["status"] == "active"
    assert body["joined_on"] == timezone.localdate().isoformat()
    assert APPLICANT_ID_NUMBER not in response.content.decode()
    volunteer = Volunteer.objects.get(pk=applicant.pk)
    assert volunteer.status == "active"
    assert volunteer.reviewed_by == reviewer


@pytest.mark.django_db
def test_a_township_cadre_rejects_with_a_reason(client_for, people, applicant):
    response = client_for(people.township_cadre).post(
        detail_url(applicant, "reject"), {"reason": "  身份信息与本人不符  "}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["review_reason"] == "身份信息与本人不符"
    volunteer = Volunteer.objects.get(pk=applicant.pk)
    assert volunteer.status == "rejected"
    assert volunteer.review_reason == "身份信息与本人不符"
    assert volunteer.reviewed_by == people.township_cadre


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({}, {"reason": ["请填写不通过的原因。"]}),
        ({"reason": "  "}, {"reason": ["请填写不通过的原因。"]}),
        ({"reason": "不" * 201}, {"reason": ["请确保这个字段不能超过 200 个字符。"]}),
        ({"reason": 5}, {"reason": ["应为文本，不能是数字、列表或其他类型。"]}),
    ],
)
def test_a_rejection_needs_a_reason(client_for, people, applicant, payload, expected):
    response = client_for(people.township_cadre).post(
        detail_url(applicant, "reject"), payload, format="json"
    )

    assert response.status_code == 400
    assert response.json() == expected
    assert Volunteer.objects.get(pk=applicant.pk).status == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state"), [("approve", "在册"), ("reject", "在册")])
def test_reviewing_an_active_volunteer_is_409_and_says_the_state(client_for, people, action, state):
    volunteer = the_volunteer(people)

    response = client_for(people.township_cadre).post(
        detail_url(volunteer, action), {"reason": "重复"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"该申请当前状态为“{state}”，不能再审核。",
        "code": "not_pending",
    }
    assert Volunteer.objects.get(pk=volunteer.pk).status == "active"


@pytest.mark.django_db
def test_approving_twice_is_409(client_for, people, applicant):
    client = client_for(people.township_cadre)
    assert client.post(detail_url(applicant, "approve")).status_code == 200

    response = client.post(detail_url(applicant, "approve"))

    assert response.status_code == 409
    assert response.json()["detail"] == "该申请当前状态为“在册”，不能再审核。"


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["999999", "99999999999999999999999", "abc", "-1"])
def test_reviewing_an_unknown_volunteer_is_404(client_for, people, pk):
    response = client_for(people.county_cadre).post(f"{URL}{pk}/approve/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_review_is_post_only(client_for, people, applicant):
    response = client_for(people.township_cadre).get(detail_url(applicant, "approve"))

    assert response.status_code == 405
    assert Volunteer.objects.get(pk=applicant.pk).status == "pending"


# --- the cadres' list ---------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_cannot_list(api_client, people):
    assert api_client.get(URL).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["resident", "volunteer"])
def test_residents_and_volunteers_may_not_list(client_for, people, persona):
    response = client_for(getattr(people, persona)).get(URL)

    assert response.status_code == 403


def listed_ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.django_db
def test_a_county_cadre_lists_the_countys_volunteers_newest_first(
    client_for, people, applicant, outsider_volunteer
):
    response = client_for(people.county_cadre).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert body["next"] is None
    assert listed_ids(response) == [applicant.pk, the_volunteer(people).pk]


@pytest.mark.django_db
def test_each_row_has_the_contract_fields_with_the_phone_in_clear_and_the_id_masked(
    client_for, people, tree, skills
):
    # given
    volunteer = the_volunteer(people)
    volunteer.skills.set([skills["医疗卫生"]])
    Volunteer.objects.filter(pk=volunteer.pk).update(
        is_party_member=True,
        joined_on=datetime.date(2024, 5, 4),
        insurance_valid_until=datetime.date(2026, 12, 31),
    )

    # when
    response = client_for(people.township_cadre).get(URL)

    # then
    (row,) = response.json()["results"]
    assert row == {
        "id": volunteer.pk,
        "real_name": "李志愿",
        "phone": "13700000001",
        "id_number": "4304**********" + VOLUNTEER_ID_NUMBER[-4:],
        "gender": "male",
        "birth_date": "1990-03-07",
        "home_center": tree.village_a.pk,
        "home_center_name": "王江社区居委会",
        "status": "active",
        "status_name": "在册",
        "skills": [{"id": skills["医疗卫生"].pk, "name": "医疗卫生"}],
        "platforms": [],
        "availability": [],
        "is_party_member": True,
        "joined_on": "2024-05-04",
        "review_reason": "",
        "insurance_valid_until": "2026-12-31",
        "hours": "0.00",
        "points": 0,
    }
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()


@pytest.mark.django_db
def test_a_cadre_of_another_county_sees_only_their_own(
    client_for, people, applicant, outsider_volunteer
):
    response = client_for(people.outsider_cadre).get(URL)

    assert listed_ids(response) == [outsider_volunteer.pk]
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()


@pytest.mark.django_db
def test_a_township_cadre_of_the_other_township_sees_none(client_for, people, tree, applicant):
    cadre = make_cadre("13800000005", "广东路管理员", tree.township_a2)

    response = client_for(cadre).get(URL)

    assert response.status_code == 200
    assert listed_ids(response) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "pending"}, ["applicant"]),
        ({"status": "active"}, ["volunteer"]),
        ({"status": "rejected"}, []),
        ({"search": "李"}, ["volunteer"]),
        ({"search": "李志"}, ["volunteer"]),
        ({"search": " 张群 "}, ["applicant"]),
        # Names are found by their start (an index serves it), not anywhere inside.
        ({"search": "志愿"}, []),
        ({"search": "赵"}, []),
        ({"center": "village_a"}, ["applicant", "volunteer"]),
        ({"center": "village_a2"}, []),
        ({"center": "township_a"}, ["applicant", "volunteer"]),
        ({"center": "township_a2"}, []),
        ({"center": "county_a"}, ["applicant", "volunteer"]),
        ({"center": "village_a", "status": "active", "search": "李"}, ["volunteer"]),
    ],
)
def test_filters(client_for, people, tree, applicant, params, expected):
    ids = {"applicant": applicant.pk, "volunteer": the_volunteer(people).pk}
    if "center" in params:
        params = {**params, "center": getattr(tree, params["center"]).pk}

    response = client_for(people.county_cadre).get(URL, params)

    assert response.status_code == 200
    assert listed_ids(response) == [ids[name] for name in expected]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "asleep"}, "status"),
        ({"center": "abc"}, "center"),
        ({"center": "999999"}, "center"),
        ({"search": "x" * 51}, "search"),
    ],
)
def test_bad_filters_are_400(client_for, people, params, field):
    response = client_for(people.county_cadre).get(URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_a_center_outside_the_scope_is_refused_as_a_filter(client_for, people, tree):
    response = client_for(people.county_cadre).get(URL, {"center": tree.village_b.pk})

    assert response.status_code == 400
    assert response.json() == {"center": ["阵地不存在或不在您的管辖范围内。"]}


@pytest.mark.django_db
def test_the_list_pages_by_cursor_twenty_at_a_time(client_for, people, tree):
    made = make_volunteers(tree, 24)
    client = client_for(people.county_cadre)
    newest_first = [v.pk for v in reversed(made)] + [the_volunteer(people).pk]

    first = client.get(URL)
    second = client.get(first.json()["next"])

    assert listed_ids(first) == newest_first[:20]
    assert "cursor=" in first.json()["next"]
    assert first.json()["previous"] is None
    assert listed_ids(second) == newest_first[20:]
    assert second.json()["next"] is None


@pytest.mark.django_db
def test_a_bad_cursor_is_404_not_500(client_for, people):
    response = client_for(people.county_cadre).get(URL, {"cursor": "not-a-cursor"})

    assert response.status_code == 404


# Whatever the number of rows (a +1 query fails).
VOLUNTEER_LIST_QUERIES = 5


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_5_and_25_volunteers(client_for, people, tree):
    client = client_for(people.county_cadre)
    make_volunteers(tree, 4)
    response = exact_get(client, URL, VOLUNTEER_LIST_QUERIES)
    assert len(response.json()["results"]) == 5

    make_volunteers(tree, 20, first_sequence=400)
    response = exact_get(client, URL, VOLUNTEER_LIST_QUERIES)

    assert len(response.json()["results"]) == 20


# Whatever the number of rows (a +1 query fails).
FILTERED_VOLUNTEER_LIST_QUERIES = 6


@pytest.mark.django_db
def test_the_filtered_list_costs_the_same_queries_for_5_and_25_volunteers(client_for, people, tree):
    client = client_for(people.township_cadre)
    params = {"center": tree.village_a2.pk, "search": "志愿者", "status": "active"}
    make_volunteers(tree, 5)
    response = exact_get(client, URL, FILTERED_VOLUNTEER_LIST_QUERIES, params)
    assert len(response.json()["results"]) == 5

    make_volunteers(tree, 20, first_sequence=400)
    response = exact_get(client, URL, FILTERED_VOLUNTEER_LIST_QUERIES, params)

    assert len(response.json()["results"]) == 20


# --- one profile --------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_cannot_read_a_profile(api_client, people):
    assert api_client.get(detail_url(the_volunteer(people))).status_code == 401


@pytest.mark.django_db
def test_a_cadre_in_scope_reads_a_profile_masked(client_for, people):
    volunteer = the_volunteer(people)

    response = client_for(people.village_cadre).get(detail_url(volunteer))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == volunteer.pk
    assert body["phone"] == "13700000001"
    assert body["id_number"] == "4304**********" + VOLUNTEER_ID_NUMBER[-4:]
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()


@pytest.mark.django_db
def test_the_owner_reads_their_own_profile(client_for, people):
    volunteer = the_volunteer(people)

    response = client_for(people.volunteer).get(detail_url(volunteer))

    assert response.status_code == 200
    assert response.json()["phone"] == "13700000001"
    assert response.json()["status"] == "active"
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider_cadre", "resident"])
def test_others_get_404_for_a_profile(client_for, people, persona):
    response = client_for(getattr(people, persona)).get(detail_url(the_volunteer(people)))

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_volunteer_cannot_read_another_volunteers_profile(client_for, people, outsider_volunteer):
    response = client_for(people.volunteer).get(detail_url(outsider_volunteer))

    assert response.status_code == 404


@pytest.mark.django_db
def test_filters_do_not_hide_a_profile(client_for, people):
    volunteer = the_volunteer(people)

    response = client_for(people.county_cadre).get(detail_url(volunteer), {"status": "pending"})

    assert response.status_code == 200
    assert response.json()["id"] == volunteer.pk


@pytest.mark.django_db
def test_profiles_are_read_only(client_for, people):
    volunteer = the_volunteer(people)
    client = client_for(people.county_cadre)

    assert (
        client.patch(detail_url(volunteer), {"real_name": "改名"}, format="json").status_code == 405
    )
    assert client.delete(detail_url(volunteer)).status_code == 405
    assert client.post(URL, {"real_name": "新人"}, format="json").status_code == 405
    assert Volunteer.objects.get(pk=volunteer.pk).real_name == "李志愿"


# --- revealing an ID number -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_cadre_in_scope_reveals_an_id_number_and_it_is_logged(client_for, people):
    volunteer = the_volunteer(people)

    response = client_for(people.village_cadre).post(
        detail_url(volunteer, "reveal-id"), REMOTE_ADDR="10.1.2.3"
    )

    assert response.status_code == 200
    assert response.json() == {"id": volunteer.pk, "id_number": VOLUNTEER_ID_NUMBER}
    assert response["Cache-Control"] == "no-store"
    reveal = PersonalDataReveal.objects.get()
    assert reveal.actor == people.village_cadre
    assert reveal.volunteer == volunteer
    assert reveal.field == "id_number"
    assert reveal.client_address == "10.1.2.3"


@pytest.mark.django_db
def test_anonymous_cannot_reveal(api_client, people):
    response = api_client.post(detail_url(the_volunteer(people), "reveal-id"))

    assert response.status_code == 401
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()
    assert PersonalDataReveal.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "status"), [("resident", 403), ("volunteer", 403)])
def test_residents_and_volunteers_may_not_reveal(client_for, people, persona, status):
    response = client_for(getattr(people, persona)).post(
        detail_url(the_volunteer(people), "reveal-id")
    )

    assert response.status_code == status
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()
    assert PersonalDataReveal.objects.count() == 0


@pytest.mark.django_db
def test_a_cadre_of_another_county_cannot_reveal(client_for, people):
    response = client_for(people.outsider_cadre).post(
        detail_url(the_volunteer(people), "reveal-id")
    )

    assert response.status_code == 404
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()
    assert PersonalDataReveal.objects.count() == 0


@pytest.mark.django_db
def test_reveal_is_post_only(client_for, people):
    response = client_for(people.county_cadre).get(detail_url(the_volunteer(people), "reveal-id"))

    assert response.status_code == 405
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()
    assert PersonalDataReveal.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trusted", "forwarded", "recorded"),
    [
        # No proxy declared: whatever the client sends in the header is ignored.
        (0, "6.6.6.6", "10.1.2.3"),
        (0, "6.6.6.6, 203.0.113.7", "10.1.2.3"),
        # One proxy: its entry, the right-most, is the client; the forged one is ignored.
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (1, "203.0.113.7", "203.0.113.7"),
        # A header that is not what our proxy writes: the peer's address.
        (1, "not-an-address", "10.1.2.3"),
        (1, "", "10.1.2.3"),
    ],
)
def test_the_reveal_records_the_client_address_behind_the_trusted_proxies(
    client_for, people, settings, trusted, forwarded, recorded
):
    settings.TRUSTED_PROXY_COUNT = trusted

    response = client_for(people.village_cadre).post(
        detail_url(the_volunteer(people), "reveal-id"),
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR=forwarded,
    )

    assert response.status_code == 200
    assert PersonalDataReveal.objects.get().client_address == recorded


# --- adding team members: only volunteers living under the team's center --------------------

NOT_JOINABLE = {"volunteer": ["志愿者不存在，或不在您和本队伍的范围内。"]}
# Token, user, team (with the reader's roles and own teams outside them first),
# permission, lookup, the service's checks, the team center's path and the insert, the
# answer.
QUERIES_TO_ADD_A_MEMBER = 18


def team_members_url(team: Team) -> str:
    return f"/api/v1/teams/{team.pk}/members/"


@pytest.fixture
def unit(people, tree) -> Team:
    """Village A's unit, led by the persona volunteer."""
    team = team_save(
        actor=None, team=Team(center=tree.village_a, kind="standing", name="王江社区志愿服务小队")
    )
    team_member_add(
        actor=people.city_cadre, team=team, volunteer=the_volunteer(people), role="leader"
    )
    return team


@pytest.fixture
def neighbour(people, tree) -> Volunteer:
    """An active volunteer of village A2: in county A's and township A's scope, not the unit's."""
    user = resident_register(phone="13700000031", name="新园邻居", password=PASSWORD)
    return volunteer_create(
        user=user,
        real_name="新园邻居",
        id_number=compose_id_number("430405", datetime.date(1991, 9, 9), 331),
        home_center=tree.village_a2,
        status=Volunteer.Status.ACTIVE,
    )


def members_of(team: Team) -> set[int]:
    return set(
        TeamMembership.objects.filter(team=team, left_on__isnull=True).values_list(
            "volunteer_id", flat=True
        )
    )


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["county_cadre", "township_cadre", "volunteer"])
def test_a_unit_cannot_take_a_volunteer_from_another_village(
    client_for, people, unit, neighbour, persona
):
    response = client_for(getattr(people, persona)).post(
        team_members_url(unit), {"volunteer": neighbour.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == NOT_JOINABLE
    assert neighbour.pk not in members_of(unit)


@pytest.mark.django_db
def test_an_id_outside_the_cadres_subtree_is_answered_as_not_found(
    client_for, people, tree, outsider_volunteer
):
    # given: county A's brigade, and a volunteer of county B
    brigade = team_save(
        actor=None, team=Team(center=tree.county_a, kind="standing", name="珠晖区志愿服务大队")
    )
    client = client_for(people.county_cadre)

    # when
    response = client.post(
        team_members_url(brigade), {"volunteer": outsider_volunteer.pk}, format="json"
    )
    absent = client.post(team_members_url(brigade), {"volunteer": 999999}, format="json")

    # then: the same answer as for an id that does not exist, naming nobody
    assert response.status_code == absent.status_code == 400
    assert response.json() == absent.json() == NOT_JOINABLE
    assert "王雁峰" not in response.content.decode()
    assert members_of(brigade) == set()


@pytest.mark.django_db
def test_a_township_team_takes_volunteers_from_all_its_villages(
    client_for, people, tree, neighbour
):
    team = team_save(
        actor=None, team=Team(center=tree.township_a, kind="standing", name="衡州路街道分队")
    )

    response = client_for(people.township_cadre).post(
        team_members_url(team), {"volunteer": neighbour.pk}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["volunteer"] == neighbour.pk
    assert members_of(team) == {neighbour.pk}


@pytest.mark.django_db
def test_adding_a_member_costs_a_fixed_number_of_queries(
    client_for, people, tree, neighbour, django_assert_num_queries
):
    team = team_save(
        actor=None, team=Team(center=tree.township_a, kind="standing", name="衡州路街道分队")
    )
    client = client_for(people.township_cadre)

    with django_assert_num_queries(QUERIES_TO_ADD_A_MEMBER):
        response = client.post(team_members_url(team), {"volunteer": neighbour.pk}, format="json")

    assert response.status_code == 201


# --- the schema -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_describes_the_volunteer_paths(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()

    paths = schema["paths"]
    assert set(paths[URL]) == {"get"}
    assert set(paths["/api/v1/volunteers/{id}/"]) == {"get"}
    assert set(paths["/api/v1/volunteers/apply/"]) == {"post"}
    assert "201" in paths["/api/v1/volunteers/apply/"]["post"]["responses"]
    for action in ["approve", "reject", "reveal-id"]:
        assert set(paths[f"/api/v1/volunteers/{{id}}/{action}/"]) == {"post"}
    list_parameters = {p["name"] for p in paths[URL]["get"]["parameters"]}
    assert {"cursor", "status", "center", "search"} <= list_parameters
