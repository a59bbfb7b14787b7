"""The cadre admin over volunteers, skills, teams, memberships and the reveal audit log: what
each cadre sees, what answers 404, that review, reveal and every save go through the
services, and that the ID number never reaches a page in clear except on purpose."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from practice.models import Center
from tests.conftest import VOLUNTEER_ID_NUMBER
from tests.factories.volunteers import make_volunteer as factory_volunteer
from tests.support.queries import exact_get
from volunteers.models import PersonalDataReveal, Skill, Team, TeamMembership, Volunteer
from volunteers.services import (
    skill_save,
    team_member_add,
    team_save,
    volunteer_reveal_id_number,
)

pytestmark = pytest.mark.django_db


def make_volunteer(
    number: int,
    name: str,
    home: Center,
    status: str = Volunteer.Status.PENDING,
    region: str = "430405",
) -> Volunteer:
    """An applicant unless told otherwise: the admin's review queue is what these test."""
    return factory_volunteer(number, home, name=name, status=status, region=region)


CADRES = ["city_cadre", "county_cadre", "township_cadre", "village_cadre", "outsider_cadre"]


def url(model: str, action: str, obj: Any = None) -> str:
    args = [] if obj is None else [obj.pk]
    return reverse(f"admin:volunteers_{model}_{action}", args=args)


def id_number_of(volunteer: Volunteer) -> str:
    return volunteer_reveal_id_number(actor=volunteer.user, volunteer=volunteer)


def listed_names(response) -> set[str]:
    return {str(row) for row in response.context["cl"].result_list}


def messages_of(response) -> list[str]:
    return [message.message for message in response.context["messages"]]


@pytest.fixture
def roster(tree, people) -> SimpleNamespace:
    """One volunteer in every village: the active persona and a pending applicant in
    village A, pending applicants in village A2 (township A), A3 (township A2) and B."""
    return SimpleNamespace(
        active_a=Volunteer.objects.get(user=people.volunteer),
        pending_a=make_volunteer(1, "王江申请", tree.village_a),
        pending_a2=make_volunteer(2, "新园申请", tree.village_a2),
        pending_a3=make_volunteer(3, "湖北路申请", tree.village_a3),
        pending_b=make_volunteer(4, "天马山申请", tree.village_b, region="430406"),
    )


# --- volunteers: who sees what ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "names"),
    [
        ("city_cadre", {"李志愿", "王江申请", "新园申请", "湖北路申请", "天马山申请"}),
        ("county_cadre", {"李志愿", "王江申请", "新园申请", "湖北路申请"}),
        ("township_cadre", {"李志愿", "王江申请", "新园申请"}),
        ("village_cadre", {"李志愿", "王江申请"}),
        ("outsider_cadre", {"天马山申请"}),
    ],
)
def test_volunteer_changelist_lists_exactly_the_cadres_subtree(
    client, people, roster, persona, names
):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(url("volunteer", "changelist"))
    # then
    assert response.status_code == 200
    assert listed_names(response) == names


def test_volunteer_search_stays_inside_the_subtree(client, people, roster):
    # given: 天马山申请 lives in county B
    client.force_login(people.county_cadre)
    # when
    by_name = client.get(url("volunteer", "changelist"), {"q": "天马山"})
    by_phone = client.get(url("volunteer", "changelist"), {"q": "13500000004"})
    own_phone = client.get(url("volunteer", "changelist"), {"q": "13500000002"})
    # then
    assert listed_names(by_name) == set()
    assert listed_names(by_phone) == set()
    assert listed_names(own_phone) == {"新园申请"}


def test_volunteer_changelist_shows_the_phone_and_only_the_masked_id_number(client, people, roster):
    # given
    client.force_login(people.township_cadre)
    # when
    response = client.get(url("volunteer", "changelist"))
    # then
    html = response.content.decode()
    assert "13700000001" in html
    assert "4304**********" + VOLUNTEER_ID_NUMBER[-4:] in html
    assert VOLUNTEER_ID_NUMBER not in html
    assert id_number_of(roster.pending_a2) not in html
    assert "1990-03-07" in html or "1990年3月7日" in html
    assert "男" in html


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_outsider_gets_404_on_every_view_of_another_countys_volunteer(client, people, roster, view):
    # given
    client.force_login(people.outsider_cadre)
    # when
    response = client.get(url("volunteer", view, roster.active_a))
    # then
    assert response.status_code == 404


def test_a_village_cadre_cannot_open_a_volunteer_of_the_neighbouring_village(
    client, people, roster
):
    # given
    client.force_login(people.village_cadre)
    # when
    neighbour = client.get(url("volunteer", "change", roster.pending_a2))
    own = client.get(url("volunteer", "change", roster.pending_a))
    # then
    assert neighbour.status_code == 404
    assert own.status_code == 200


def test_a_missing_volunteer_answers_404(client, people, roster):
    # given
    client.force_login(people.city_cadre)
    # when
    response = client.get(reverse("admin:volunteers_volunteer_change", args=[987654]))
    # then
    assert response.status_code == 404


def insurance_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "insurer": "中国人寿衡阳分公司",
        "insurance_number": "PICC-2026-0001",
        "insurance_valid_until": "2027-06-30",
        "_save": "保存",
    }
    data.update(overrides)
    return data


def test_outsider_posting_to_another_countys_volunteer_gets_404_and_changes_nothing(
    client, people, roster
):
    # given
    client.force_login(people.outsider_cadre)
    # when
    changed = client.post(
        url("volunteer", "change", roster.active_a), insurance_form(national_number="X1")
    )
    deleted = client.post(url("volunteer", "delete", roster.active_a), {"post": "yes"})
    # then
    assert changed.status_code == 404
    assert deleted.status_code == 404
    kept = Volunteer.objects.get(pk=roster.active_a.pk)
    assert (kept.insurer, kept.insurance_number, kept.insurance_valid_until) == ("", "", None)
    assert kept.national_number == ""


def test_volunteers_are_neither_added_nor_deleted_in_the_admin(client, people, roster):
    # given
    client.force_login(people.city_cadre)
    # when
    add = client.get(url("volunteer", "add"))
    delete = client.post(url("volunteer", "delete", roster.pending_a), {"post": "yes"})
    page = client.get(url("volunteer", "changelist"))
    # then
    assert add.status_code == 403
    assert delete.status_code == 403
    assert Volunteer.objects.filter(pk=roster.pending_a.pk).count() == 1
    actions = page.context["cl"].model_admin.get_actions(page.wsgi_request)
    assert sorted(actions) == ["approve_applications", "reject_applications"]


def test_the_change_form_edits_only_the_insurance_and_the_national_number(client, people, roster):
    # given
    client.force_login(people.township_cadre)
    # when
    page = client.get(url("volunteer", "change", roster.active_a))
    response = client.post(
        url("volunteer", "change", roster.active_a),
        insurance_form(
            national_number=" 4304052026000123 ",
            real_name="篡改",
            status="suspended",
            id_number="430405199003070000",
            home_center=roster.pending_a2.home_center_id,
        ),
    )
    # then
    assert page.status_code == 200
    assert set(page.context["adminform"].form.fields) == {
        "national_number",
        "insurer",
        "insurance_number",
        "insurance_valid_until",
    }
    # The portal's own number is shown beside it, read-only.
    assert f"HY{roster.active_a.pk:09d}" in page.content.decode()
    assert response.status_code == 302
    saved = Volunteer.objects.get(pk=roster.active_a.pk)
    assert saved.national_number == "4304052026000123"
    assert saved.insurer == "中国人寿衡阳分公司"
    assert saved.insurance_number == "PICC-2026-0001"
    assert saved.insurance_valid_until == datetime.date(2027, 6, 30)
    assert saved.real_name == "李志愿"
    assert saved.status == Volunteer.Status.ACTIVE
    assert saved.home_center_id == roster.active_a.home_center_id
    assert saved.id_number_digest == roster.active_a.id_number_digest


def test_a_bad_insurance_date_is_a_chinese_form_error(client, people, roster):
    # given
    client.force_login(people.township_cadre)
    # when
    response = client.post(
        url("volunteer", "change", roster.active_a),
        insurance_form(insurance_valid_until="明年六月"),
    )
    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "insurance_valid_until": ["输入一个有效的日期。"]
    }
    assert Volunteer.objects.get(pk=roster.active_a.pk).insurer == ""


def test_the_change_page_masks_the_id_number_and_offers_a_reveal_button(client, people, roster):
    # given
    client.force_login(people.county_cadre)
    reveal_url = url("volunteer", "reveal_id_number", roster.active_a)
    # when
    response = client.get(url("volunteer", "change", roster.active_a))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert VOLUNTEER_ID_NUMBER not in html
    assert "4304**********" + VOLUNTEER_ID_NUMBER[-4:] in html
    assert f'<form method="post" action="{reveal_url}" class="reveal-id-number">' in html
    assert "查看身份证号" in html
    assert PersonalDataReveal.objects.count() == 0


# --- revealing the ID number ---------------------------------------------------------------


def test_a_post_reveals_the_id_number_once_and_writes_one_audit_row(client, people, roster):
    # given
    client.force_login(people.township_cadre)
    # when
    response = client.post(url("volunteer", "reveal_id_number", roster.active_a))
    # then
    assert response.status_code == 200
    assert f'<strong id="revealed-id-number">{VOLUNTEER_ID_NUMBER}</strong>' in (
        response.content.decode()
    )
    assert "no-store" in response["Cache-Control"]
    reveal = PersonalDataReveal.objects.get()
    assert reveal.actor_id == people.township_cadre.pk
    assert reveal.volunteer_id == roster.active_a.pk
    assert reveal.field == PersonalDataReveal.Field.ID_NUMBER
    assert reveal.client_address == "127.0.0.1"


@pytest.mark.parametrize(
    ("trusted", "recorded"), [(0, "10.0.0.2"), (1, "203.0.113.7"), (2, "198.51.100.9")]
)
def test_the_audit_row_records_the_client_behind_the_trusted_proxies(
    client, people, roster, settings, trusted, recorded
):
    # given: a client that forges an entry, behind the proxies the deployment declares
    settings.TRUSTED_PROXY_COUNT = trusted
    client.force_login(people.township_cadre)
    # when
    response = client.post(
        url("volunteer", "reveal_id_number", roster.active_a),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9, 203.0.113.7",
    )
    # then
    assert response.status_code == 200
    assert PersonalDataReveal.objects.get().client_address == recorded


def test_a_get_of_the_reveal_url_reveals_nothing_and_logs_nothing(client, people, roster):
    # given
    client.force_login(people.township_cadre)
    # when
    response = client.get(url("volunteer", "reveal_id_number", roster.active_a))
    # then
    assert response.status_code == 405
    assert VOLUNTEER_ID_NUMBER not in response.content.decode()
    assert PersonalDataReveal.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("outsider_cadre", "active_a"),
        ("village_cadre", "pending_a2"),
        ("county_cadre", "pending_b"),
    ],
)
def test_revealing_a_volunteer_out_of_scope_is_404_and_logs_nothing(
    client, people, roster, persona, target
):
    # given
    client.force_login(getattr(people, persona))
    volunteer = getattr(roster, target)
    # when
    response = client.post(url("volunteer", "reveal_id_number", volunteer))
    # then
    assert response.status_code == 404
    assert id_number_of(volunteer) not in response.content.decode()
    assert PersonalDataReveal.objects.count() == 0


@pytest.mark.parametrize("persona", ["resident", "volunteer"])
def test_non_cadres_cannot_reach_the_reveal_url(client, people, roster, persona):
    # given: even the volunteer themselves: the admin is for cadres
    client.force_login(getattr(people, persona))
    # when
    response = client.post(url("volunteer", "reveal_id_number", roster.active_a))
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert PersonalDataReveal.objects.count() == 0


def test_no_admin_page_shows_the_id_number_in_clear(client, people, roster, tree):
    # given: a reveal has been logged, a team holds the volunteer
    client.force_login(people.city_cadre)
    client.post(url("volunteer", "reveal_id_number", roster.active_a))
    team = team_save(
        actor=None, team=Team(center=tree.village_a, kind=Team.Kind.STANDING, name="王江小队")
    )
    membership = team_member_add(actor=people.city_cadre, team=team, volunteer=roster.active_a)
    reveal = PersonalDataReveal.objects.get()
    clear_numbers = [id_number_of(v) for v in Volunteer.objects.all()]
    # when
    pages = [
        client.get(url("volunteer", "changelist")),
        client.get(url("volunteer", "changelist"), {"q": "李志愿"}),
        client.get(url("volunteer", "change", roster.active_a)),
        client.get(url("volunteer", "history", roster.active_a)),
        client.post(
            url("volunteer", "changelist"),
            {
                "action": "reject_applications",
                ACTION_CHECKBOX_NAME: [v.pk for v in Volunteer.objects.all()],
                "index": "0",
            },
        ),
        client.get(url("personaldatareveal", "changelist")),
        client.get(url("personaldatareveal", "change", reveal)),
        client.get(url("teammembership", "changelist")),
        client.get(url("teammembership", "change", membership)),
        client.get(
            "/admin/autocomplete/",
            {
                "app_label": "volunteers",
                "model_name": "teammembership",
                "field_name": "volunteer",
                "term": "",
            },
        ),
    ]
    # then
    assert [page.status_code for page in pages] == [200] * len(pages)
    for page in pages:
        content = page.content.decode()
        for number in clear_numbers:
            assert number not in content


# --- review: approve --------------------------------------------------------------------------


def act(client, action: str, volunteers: list[Volunteer], **extra: Any):
    data = {"action": action, ACTION_CHECKBOX_NAME: [v.pk for v in volunteers], "index": "0"}
    data.update(extra)
    return client.post(url("volunteer", "changelist"), data, follow=True)


def test_approve_action_has_its_chinese_description(client, people, roster):
    # given
    client.force_login(people.township_cadre)
    page = client.get(url("volunteer", "changelist"))
    # when
    actions = page.context["cl"].model_admin.get_actions(page.wsgi_request)
    # then
    assert str(actions["approve_applications"][2]) == "批准所选志愿者申请"
    assert str(actions["reject_applications"][2]) == "驳回所选志愿者申请"


def test_a_township_cadre_approves_a_pending_application(client, people, roster):
    # given
    client.force_login(people.township_cadre)
    # when
    response = act(client, "approve_applications", [roster.pending_a2])
    # then
    assert response.status_code == 200
    assert messages_of(response) == ["已批准 1 名志愿者的申请。"]
    approved = Volunteer.objects.get(pk=roster.pending_a2.pk)
    assert approved.status == Volunteer.Status.ACTIVE
    assert approved.joined_on == timezone.localdate()
    assert approved.reviewed_by_id == people.township_cadre.pk


def test_approving_reports_each_refused_row_and_approves_the_rest(client, people, roster):
    # given: one pending and one already active
    client.force_login(people.township_cadre)
    # when
    response = act(client, "approve_applications", [roster.pending_a, roster.active_a])
    # then
    assert messages_of(response) == [
        "李志愿：该申请当前状态为“在册”，不能再审核。",
        "已批准 1 名志愿者的申请。",
    ]
    assert Volunteer.objects.get(pk=roster.pending_a.pk).status == Volunteer.Status.ACTIVE
    assert Volunteer.objects.get(pk=roster.active_a.pk).reviewed_by_id is None


def test_a_village_cadre_sees_the_application_but_the_approval_is_refused(client, people, roster):
    # given
    client.force_login(people.village_cadre)
    # when
    response = act(client, "approve_applications", [roster.pending_a])
    # then
    assert messages_of(response) == ["王江申请：志愿者申请由乡镇（街道）及以上实践中心审核。"]
    kept = Volunteer.objects.get(pk=roster.pending_a.pk)
    assert kept.status == Volunteer.Status.PENDING
    assert kept.reviewed_by_id is None


@pytest.mark.parametrize("action", ["approve_applications", "reject_applications"])
def test_reviewing_another_countys_application_is_404_and_changes_nothing(
    client, people, roster, action
):
    # given: the outsider selects one of their own and one of county A
    client.force_login(people.outsider_cadre)
    # when
    response = act(
        client, action, [roster.pending_b, roster.pending_a3], reason="不符合条件", confirm="yes"
    )
    # then
    assert response.status_code == 404
    assert set(Volunteer.objects.values_list("status", flat=True)) == {
        Volunteer.Status.ACTIVE,
        Volunteer.Status.PENDING,
    }
    assert Volunteer.objects.filter(status=Volunteer.Status.PENDING).count() == 4


def test_a_selected_id_that_is_not_a_number_is_404_not_a_server_error(client, people, roster):
    # given
    client.force_login(people.city_cadre)
    # when
    response = client.post(
        url("volunteer", "changelist"),
        {"action": "approve_applications", ACTION_CHECKBOX_NAME: ["abc"], "index": "0"},
    )
    # then
    assert response.status_code == 404
    assert Volunteer.objects.filter(status=Volunteer.Status.PENDING).count() == 4


# --- review: reject ---------------------------------------------------------------------------


def test_rejecting_first_asks_for_a_reason_and_changes_nothing(client, people, roster):
    # given
    client.force_login(people.county_cadre)
    # when
    response = act(client, "reject_applications", [roster.pending_a2, roster.pending_a3])
    # then
    assert response.status_code == 200
    assert response.templates[0].name == "admin/reject_with_reason.html"
    html = response.content.decode()
    assert "将驳回以下志愿者的申请：" in html
    assert "驳回原因会告知申请人，不超过 200 字。" in html
    assert 'name="action" value="reject_applications"' in html
    assert "新园申请" in html
    assert "湖北路申请" in html
    assert 'name="reason"' in html
    assert Volunteer.objects.filter(status=Volunteer.Status.PENDING).count() == 4


def test_rejecting_with_a_reason_rejects_the_applications(client, people, roster):
    # given
    client.force_login(people.county_cadre)
    # when
    response = act(
        client,
        "reject_applications",
        [roster.pending_a2, roster.pending_a3],
        reason="  资料不全，请补充后重新申请。 ",
        confirm="yes",
    )
    # then
    assert response.status_code == 200
    assert messages_of(response) == ["已驳回 2 名志愿者的申请。"]
    for volunteer in (roster.pending_a2, roster.pending_a3):
        rejected = Volunteer.objects.get(pk=volunteer.pk)
        assert rejected.status == Volunteer.Status.REJECTED
        assert rejected.review_reason == "资料不全，请补充后重新申请。"
        assert rejected.reviewed_by_id == people.county_cadre.pk


@pytest.mark.parametrize(
    ("reason", "error"),
    [("", "请填写驳回原因。"), ("   ", "请填写驳回原因。"), ("长" * 201, "不超过 200 字符")],
)
def test_a_missing_or_too_long_reason_is_a_chinese_form_error(
    client, people, roster, reason, error
):
    # given
    client.force_login(people.county_cadre)
    # when
    response = act(client, "reject_applications", [roster.pending_a2], reason=reason, confirm="yes")
    # then
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors["reason"])
    assert error in response.content.decode()
    assert Volunteer.objects.get(pk=roster.pending_a2.pk).status == Volunteer.Status.PENDING


def test_a_village_cadre_rejecting_is_refused_with_the_services_message(client, people, roster):
    # given
    client.force_login(people.village_cadre)
    # when
    response = act(
        client, "reject_applications", [roster.pending_a], reason="不符合条件", confirm="yes"
    )
    # then
    assert messages_of(response) == ["王江申请：志愿者申请由乡镇（街道）及以上实践中心审核。"]
    assert Volunteer.objects.get(pk=roster.pending_a.pk).status == Volunteer.Status.PENDING


def test_rejecting_an_active_volunteer_is_refused_as_a_state_conflict(client, people, roster):
    # given
    client.force_login(people.township_cadre)
    # when
    response = act(
        client, "reject_applications", [roster.active_a], reason="不符合条件", confirm="yes"
    )
    # then
    assert messages_of(response) == ["李志愿：该申请当前状态为“在册”，不能再审核。"]
    assert Volunteer.objects.get(pk=roster.active_a.pk).status == Volunteer.Status.ACTIVE


# --- volunteer changelist cost ----------------------------------------------------------------


# The county cadre's volunteer changelist, whatever the number of rows on the page.
VOLUNTEER_CHANGELIST_QUERIES = 10


def volunteer_list_rows(client) -> int:
    response = exact_get(client, url("volunteer", "changelist"), VOLUNTEER_CHANGELIST_QUERIES)
    return len(response.context["cl"].result_list)


def test_volunteer_changelist_queries_do_not_grow_with_rows(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    for number in range(1, 5):
        make_volunteer(number, f"志愿者{number}", tree.village_a2)
    small = volunteer_list_rows(client)
    for number in range(5, 25):
        make_volunteer(number, f"志愿者{number}", tree.village_a3)
    # when
    large = volunteer_list_rows(client)
    # then: both cost VOLUNTEER_CHANGELIST_QUERIES
    assert (small, large) == (5, 25)


# --- skills -----------------------------------------------------------------------------------


@pytest.fixture
def skills(db) -> dict[str, Skill]:
    """The starting list the migration seeds."""
    return {skill.name: skill for skill in Skill.objects.all()}


def skill_form(**overrides: Any) -> dict[str, Any]:
    data = {"name": "心理疏导", "sort_order": "10", "is_active": "on"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", CADRES)
def test_every_cadre_sees_the_skill_list(client, people, skills, persona):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(url("skill", "changelist"))
    # then
    assert response.status_code == 200
    assert listed_names(response) == set(skills)
    assert len(skills) == 10


def test_the_city_cadre_adds_and_switches_off_a_skill(client, people, skills):
    # given
    client.force_login(people.city_cadre)
    # when
    added = client.post(url("skill", "add"), skill_form())
    switched_off = client.post(
        url("skill", "change", skills["医疗护理"]), skill_form(name="医疗护理", is_active="")
    )
    # then
    assert added.status_code == 302
    assert switched_off.status_code == 302
    created = Skill.objects.get(name="心理疏导")
    assert (created.sort_order, created.is_active) == (10, True)
    assert Skill.objects.get(pk=skills["医疗护理"].pk).is_active is False


@pytest.mark.parametrize(
    "persona", ["county_cadre", "township_cadre", "village_cadre", "outsider_cadre"]
)
def test_cadres_below_the_city_cannot_add_or_change_skills(client, people, skills, persona):
    # given
    client.force_login(getattr(people, persona))
    target = skills["法律服务"]
    # when
    add_page = client.get(url("skill", "add"))
    added = client.post(url("skill", "add"), skill_form())
    view_page = client.get(url("skill", "change", target))
    changed = client.post(url("skill", "change", target), skill_form(name="法律援助"))
    # then
    assert add_page.status_code == 403
    assert added.status_code == 403
    assert view_page.status_code == 200
    assert view_page.context["has_change_permission"] is False
    assert changed.status_code == 403
    assert Skill.objects.get(pk=target.pk).name == "法律服务"
    assert Skill.objects.count() == 10


def test_skills_are_never_deleted(client, people, skills):
    # given
    client.force_login(people.city_cadre)
    # when
    response = client.post(url("skill", "delete", skills["课业辅导"]), {"post": "yes"})
    # then
    assert response.status_code == 403
    assert Skill.objects.count() == 10


def test_the_skill_service_refuses_a_cadre_below_the_city(people, skills):
    # given: the admin hides the form from them; the service refuses on its own too
    skill = Skill(name="心理疏导")
    # when
    with pytest.raises(DomainError) as refused:
        skill_save(actor=people.county_cadre, skill=skill)
    # then
    assert refused.value.message == "志愿技能目录由市级中心维护。"
    assert refused.value.code == "skill_forbidden"
    assert Skill.objects.filter(name="心理疏导").count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "课业辅导"}, "name", "该技能已存在。"),
        ({"name": ""}, "name", "该字段是必填项。"),
        ({"name": "长" * 31}, "name", "不超过 30 字符"),
        ({"sort_order": "-1"}, "sort_order", "确保该值大于或等于0。"),
    ],
)
def test_bad_skill_input_is_a_chinese_form_error(client, people, skills, overrides, field, message):
    # given
    client.force_login(people.city_cadre)
    # when
    response = client.post(url("skill", "add"), skill_form(**overrides))
    # then
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert Skill.objects.count() == 10


# --- teams ------------------------------------------------------------------------------------


def make_team(center: Center, name: str, specialty: str = "") -> Team:
    kind = Team.Kind.SPECIALIST if specialty else Team.Kind.STANDING
    return team_save(
        actor=None, team=Team(center=center, kind=kind, specialty=specialty, name=name)
    )


@pytest.fixture
def teams(tree, people, roster) -> SimpleNamespace:
    county_a = make_team(tree.county_a, "珠晖区志愿服务大队")
    unit = make_team(tree.village_a, "王江社区志愿服务小队")
    team_member_add(actor=people.city_cadre, team=unit, volunteer=roster.active_a)
    return SimpleNamespace(
        city=make_team(tree.city, "衡阳市志愿服务总队"),
        county_a=county_a,
        lecturers=make_team(tree.county_a, "珠晖区讲师团", Team.Specialty.LECTURER),
        township_a=make_team(tree.township_a, "衡州路街道志愿服务分队"),
        unit=unit,
        county_b=make_team(tree.county_b, "雁峰区志愿服务大队"),
    )


@pytest.mark.parametrize(
    ("persona", "names"),
    [
        (
            "city_cadre",
            {
                "衡阳市志愿服务总队",
                "珠晖区志愿服务大队",
                "珠晖区讲师团",
                "衡州路街道志愿服务分队",
                "王江社区志愿服务小队",
                "雁峰区志愿服务大队",
            },
        ),
        (
            "county_cadre",
            {
                "珠晖区志愿服务大队",
                "珠晖区讲师团",
                "衡州路街道志愿服务分队",
                "王江社区志愿服务小队",
            },
        ),
        ("township_cadre", {"衡州路街道志愿服务分队", "王江社区志愿服务小队"}),
        ("village_cadre", {"王江社区志愿服务小队"}),
        ("outsider_cadre", {"雁峰区志愿服务大队"}),
    ],
)
def test_team_changelist_lists_exactly_the_cadres_subtree(client, people, teams, persona, names):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(url("team", "changelist"))
    # then
    assert response.status_code == 200
    assert listed_names(response) == names


def test_team_changelist_shows_tier_and_open_member_count(client, people, teams, roster):
    # given: a second member who has left again does not count
    other = make_volunteer(7, "离队队员", roster.active_a.home_center, Volunteer.Status.ACTIVE)
    gone = team_member_add(actor=people.city_cadre, team=teams.unit, volunteer=other)
    gone.left_on = timezone.localdate()
    gone.save(update_fields=["left_on"])
    client.force_login(people.township_cadre)
    # when
    response = client.get(url("team", "changelist"))
    # then
    rows = {team.name: team for team in response.context["cl"].result_list}
    assert rows["王江社区志愿服务小队"].member_count == 1
    assert rows["衡州路街道志愿服务分队"].member_count == 0
    assert rows["王江社区志愿服务小队"].tier_name == "小队"
    html = response.content.decode()
    assert ">小队<" in html
    assert ">分队<" in html


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_outsider_gets_404_on_every_view_of_another_countys_team(client, people, teams, view):
    # given
    client.force_login(people.outsider_cadre)
    # when
    response = client.get(url("team", view, teams.unit))
    # then
    assert response.status_code == 404


def team_form(center: Center, **overrides: Any) -> dict[str, Any]:
    data = {
        "center": center.pk,
        "kind": Team.Kind.SPECIALIST,
        "specialty": Team.Specialty.ELDERS,
        "name": "五老志愿服务队",
        "description": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_outsider_posting_to_another_countys_team_gets_404_and_changes_nothing(
    client, people, tree, teams
):
    # given
    client.force_login(people.outsider_cadre)
    # when
    changed = client.post(
        url("team", "change", teams.lecturers),
        team_form(tree.county_b, name="被篡改", specialty=Team.Specialty.LECTURER),
    )
    deleted = client.post(url("team", "delete", teams.lecturers), {"post": "yes"})
    # then
    assert changed.status_code == 404
    assert deleted.status_code == 404
    kept = Team.objects.get(pk=teams.lecturers.pk)
    assert (kept.name, kept.center_id) == ("珠晖区讲师团", tree.county_a.pk)


def test_a_cadre_adds_a_specialist_team_and_renames_a_team(client, people, tree, teams):
    # given
    client.force_login(people.county_cadre)
    # when
    add_page = client.get(url("team", "add"))
    change_page = client.get(url("team", "change", teams.township_a))
    added = client.post(url("team", "add"), team_form(tree.township_a2))
    renamed = client.post(
        url("team", "change", teams.township_a),
        team_form(tree.township_a, kind=Team.Kind.STANDING, specialty="", name="衡州路分队"),
    )
    # then
    assert (add_page.status_code, change_page.status_code) == (200, 200)
    assert set(add_page.context["adminform"].form.fields) == {
        "center",
        "kind",
        "specialty",
        "name",
        "description",
        "is_active",
    }
    assert added.status_code == 302
    assert renamed.status_code == 302
    created = Team.objects.get(name="五老志愿服务队")
    assert (created.center_id, created.kind, created.specialty) == (
        tree.township_a2.pk,
        Team.Kind.SPECIALIST,
        Team.Specialty.ELDERS,
    )
    assert Team.objects.get(pk=teams.township_a.pk).name == "衡州路分队"


def test_teams_are_never_deleted(client, people, teams):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.post(url("team", "delete", teams.lecturers), {"post": "yes"})
    # then
    assert response.status_code == 403
    assert Team.objects.filter(pk=teams.lecturers.pk).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "该字段是必填项。"),
        ({"name": "   "}, "name", "该字段是必填项。"),
        ({"kind": Team.Kind.STANDING, "specialty": ""}, "__all__", "该阵地已有常设志愿服务队。"),
        ({"specialty": ""}, "__all__", "专业队伍须选择专业方向，常设队伍不填。"),
        ({"kind": "brigade"}, "kind", "选择一个有效的选项"),
    ],
)
def test_bad_team_input_is_a_chinese_form_error(
    client, people, tree, teams, overrides, field, message
):
    # given: county A already has its standing brigade
    client.force_login(people.county_cadre)
    # when
    response = client.post(url("team", "add"), team_form(tree.county_a, **overrides))
    # then
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert message in response.content.decode()
    assert Team.objects.count() == 6


def test_a_team_cannot_be_put_under_a_center_out_of_scope(client, people, tree, teams):
    # given
    client.force_login(people.township_cadre)
    # when
    added = client.post(url("team", "add"), team_form(tree.county_b))
    moved = client.post(
        url("team", "change", teams.unit),
        team_form(tree.township_a2, kind=Team.Kind.STANDING, specialty="", name="搬走"),
    )
    # then
    assert added.status_code == 200
    assert "选择一个有效的选项" in " ".join(added.context["adminform"].form.errors["center"])
    assert moved.status_code == 200
    assert "center" in moved.context["adminform"].form.errors
    assert Team.objects.count() == 6
    assert Team.objects.get(pk=teams.unit.pk).center_id == tree.village_a.pk


# The county cadre's team changelist, whatever the number of rows on the page.
TEAM_CHANGELIST_QUERIES = 8


def team_list_rows(client) -> int:
    response = exact_get(client, url("team", "changelist"), TEAM_CHANGELIST_QUERIES)
    return len(response.context["cl"].result_list)


def test_team_changelist_queries_do_not_grow_with_rows(client, people, tree, roster):
    # given: specialist teams (any number per center), each with a member
    client.force_login(people.county_cadre)

    def add_teams(start: int, stop: int) -> None:
        for number in range(start, stop):
            team = make_team(tree.village_a, f"专业队{number}", Team.Specialty.OTHER)
            team_member_add(actor=people.city_cadre, team=team, volunteer=roster.active_a)

    add_teams(0, 5)
    small = team_list_rows(client)
    add_teams(5, 25)
    # when
    large = team_list_rows(client)
    # then: both cost TEAM_CHANGELIST_QUERIES
    assert (small, large) == (5, 25)


# --- memberships ------------------------------------------------------------------------------


def membership_form(team: Team, volunteer: Volunteer, **overrides: Any) -> dict[str, Any]:
    data = {
        "team": team.pk,
        "volunteer": volunteer.pk,
        "role": TeamMembership.Role.MEMBER,
        "joined_on": "2026-11-01",
    }
    data.update(overrides)
    return data


def test_a_cadre_adds_an_active_volunteer_to_a_team(client, people, teams, roster):
    # given
    client.force_login(people.county_cadre)
    newcomer = make_volunteer(8, "新队员", roster.pending_a3.home_center, Volunteer.Status.ACTIVE)
    # when
    page = client.get(url("teammembership", "add"))
    response = client.post(
        url("teammembership", "add"),
        membership_form(teams.lecturers, newcomer, role=TeamMembership.Role.DEPUTY),
    )
    # then
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["joined_on"] == timezone.localdate()
    assert response.status_code == 302
    membership = TeamMembership.objects.get(team=teams.lecturers)
    assert membership.volunteer_id == newcomer.pk
    assert membership.role == TeamMembership.Role.DEPUTY
    assert membership.joined_on == datetime.date(2026, 11, 1)
    assert membership.left_on is None


@pytest.mark.parametrize(
    ("target", "field", "message"),
    [
        ("pending_a", "volunteer", "只有在册志愿者可以入队。"),
        ("pending_a3", "volunteer", "只能添加家住本队所在阵地（含下级村、社区）的志愿者。"),
        ("active_a", "volunteer", "该志愿者已在此队伍中。"),
        ("pending_b", "volunteer", "选择一个有效的选项"),
    ],
)
def test_refused_additions_are_chinese_form_errors(
    client, people, teams, roster, target, field, message
):
    # given: the persona volunteer is already in the village unit
    client.force_login(people.county_cadre)
    # when
    response = client.post(
        url("teammembership", "add"), membership_form(teams.unit, getattr(roster, target))
    )
    # then
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert message in response.content.decode()
    assert TeamMembership.objects.count() == 1


def test_an_active_volunteer_living_outside_the_teams_area_is_refused(
    client, people, teams, roster, tree
):
    # given: an active volunteer of village A2, in the county cadre's scope, and village A's unit
    neighbour = make_volunteer(9, "新园队员", tree.village_a2, Volunteer.Status.ACTIVE)
    client.force_login(people.county_cadre)
    # when
    response = client.post(url("teammembership", "add"), membership_form(teams.unit, neighbour))
    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["volunteer"] == [
        "只能添加家住本队所在阵地（含下级村、社区）的志愿者。"
    ]
    assert TeamMembership.objects.count() == 1
    # and the township team above both villages takes them
    response = client.post(
        url("teammembership", "add"), membership_form(teams.township_a, neighbour)
    )
    assert response.status_code == 302
    assert TeamMembership.objects.filter(team=teams.township_a, volunteer=neighbour).exists()


def test_a_team_out_of_scope_cannot_be_chosen(client, people, teams, roster):
    # given
    client.force_login(people.township_cadre)
    # when
    response = client.post(
        url("teammembership", "add"), membership_form(teams.county_a, roster.active_a)
    )
    # then
    assert response.status_code == 200
    assert "选择一个有效的选项" in " ".join(response.context["adminform"].form.errors["team"])
    assert TeamMembership.objects.count() == 1


def test_volunteer_autocomplete_offers_only_volunteers_in_scope(client, people, roster):
    # given
    client.force_login(people.township_cadre)

    # when: names are found by their start (accounts.search), through the same scope
    def offered(term: str) -> set[str]:
        response = client.get(
            "/admin/autocomplete/",
            {
                "app_label": "volunteers",
                "model_name": "teammembership",
                "field_name": "volunteer",
                "term": term,
            },
        )
        assert response.status_code == 200
        return {row["text"] for row in response.json()["results"]}

    # then
    assert offered("王江") == {"王江申请"}
    assert offered("新园") == {"新园申请"}
    assert offered("申请") == set()


def test_a_cadre_changes_a_members_role(client, people, teams):
    # given
    client.force_login(people.township_cadre)
    membership = TeamMembership.objects.get(team=teams.unit)
    # when
    page = client.get(url("teammembership", "change", membership))
    response = client.post(
        url("teammembership", "change", membership),
        {"role": TeamMembership.Role.LEADER, "team": teams.county_b.pk, "left_on": "2026-01-01"},
    )
    # then
    assert set(page.context["adminform"].form.fields) == {"role"}
    assert response.status_code == 302
    changed = TeamMembership.objects.get(pk=membership.pk)
    assert changed.role == TeamMembership.Role.LEADER
    assert changed.team_id == teams.unit.pk
    assert changed.left_on is None


def test_closing_a_membership_keeps_the_row_and_refuses_a_second_close(client, people, teams):
    # given
    client.force_login(people.township_cadre)
    membership = TeamMembership.objects.get(team=teams.unit)
    data = {"action": "close_memberships", ACTION_CHECKBOX_NAME: [membership.pk], "index": "0"}
    # when
    first = client.post(url("teammembership", "changelist"), data, follow=True)
    second = client.post(url("teammembership", "changelist"), data, follow=True)
    # then
    assert messages_of(first) == ["已将 1 名队员设为离队。"]
    assert messages_of(second) == ["李志愿 @ 王江社区志愿服务小队：该队员已离队。"]
    closed = TeamMembership.objects.get(pk=membership.pk)
    assert closed.left_on == timezone.localdate()


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_outsider_gets_404_on_another_countys_membership(client, people, teams, view):
    # given
    client.force_login(people.outsider_cadre)
    membership = TeamMembership.objects.get(team=teams.unit)
    # when
    response = client.get(url("teammembership", view, membership))
    # then
    assert response.status_code == 404


def test_outsider_posts_on_another_countys_membership_are_404_and_change_nothing(
    client, people, teams
):
    # given
    client.force_login(people.outsider_cadre)
    membership = TeamMembership.objects.get(team=teams.unit)
    # when
    changed = client.post(
        url("teammembership", "change", membership), {"role": TeamMembership.Role.LEADER}
    )
    closed = client.post(
        url("teammembership", "changelist"),
        {"action": "close_memberships", ACTION_CHECKBOX_NAME: [membership.pk], "index": "0"},
    )
    deleted = client.post(url("teammembership", "delete", membership), {"post": "yes"})
    # then
    assert (changed.status_code, closed.status_code, deleted.status_code) == (404, 404, 404)
    kept = TeamMembership.objects.get(pk=membership.pk)
    assert (kept.role, kept.left_on) == (TeamMembership.Role.MEMBER, None)


def test_memberships_are_closed_not_deleted(client, people, teams):
    # given
    client.force_login(people.township_cadre)
    membership = TeamMembership.objects.get(team=teams.unit)
    # when
    response = client.post(url("teammembership", "delete", membership), {"post": "yes"})
    # then
    assert response.status_code == 403
    assert TeamMembership.objects.filter(pk=membership.pk).count() == 1


@pytest.mark.parametrize(
    ("persona", "count"),
    [("county_cadre", 2), ("township_cadre", 1), ("village_cadre", 1), ("outsider_cadre", 0)],
)
def test_membership_changelist_lists_the_subtrees_teams_only(
    client, people, teams, roster, persona, count
):
    # given: a second membership in the county brigade
    team_member_add(actor=people.city_cadre, team=teams.county_a, volunteer=roster.active_a)
    client.force_login(getattr(people, persona))
    # when
    response = client.get(url("teammembership", "changelist"))
    # then
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == count


# --- the reveal audit log ---------------------------------------------------------------------


@pytest.fixture
def reveals(people, roster) -> SimpleNamespace:
    return SimpleNamespace(
        a=_reveal(people.city_cadre, roster.active_a),
        b=_reveal(people.city_cadre, roster.pending_b),
    )


def _reveal(actor, volunteer: Volunteer) -> PersonalDataReveal:
    volunteer_reveal_id_number(actor=actor, volunteer=volunteer, client_address="10.0.0.5")
    return PersonalDataReveal.objects.get(volunteer=volunteer)


@pytest.mark.parametrize(
    ("persona", "names"),
    [
        ("city_cadre", {"李志愿", "天马山申请"}),
        ("county_cadre", {"李志愿"}),
        ("village_cadre", {"李志愿"}),
        ("outsider_cadre", {"天马山申请"}),
    ],
)
def test_reveal_log_lists_the_reveals_of_volunteers_in_scope(
    client, people, reveals, persona, names
):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(url("personaldatareveal", "changelist"))
    # then
    assert response.status_code == 200
    assert {row.volunteer.real_name for row in response.context["cl"].result_list} == names
    assert "市管理员" in response.content.decode()


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_outsider_gets_404_on_another_countys_reveal(client, people, reveals, view):
    # given
    client.force_login(people.outsider_cadre)
    # when
    response = client.get(url("personaldatareveal", view, reveals.a))
    # then
    assert response.status_code == 404


def test_the_reveal_log_is_read_only(client, people, reveals, roster):
    # given
    client.force_login(people.city_cadre)
    # when
    add = client.post(
        url("personaldatareveal", "add"),
        {"volunteer": roster.active_a.pk, "field": "phone", "actor": people.city_cadre.pk},
    )
    page = client.get(url("personaldatareveal", "change", reveals.a))
    changed = client.post(
        url("personaldatareveal", "change", reveals.a), {"client_address": "1.2.3.4"}
    )
    deleted = client.post(url("personaldatareveal", "delete", reveals.a), {"post": "yes"})
    # then
    assert add.status_code == 403
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert PersonalDataReveal.objects.count() == 2
    assert PersonalDataReveal.objects.get(pk=reveals.a.pk).client_address == "10.0.0.5"


# --- review from the change page --------------------------------------------------------------


def test_a_pending_applications_page_has_approve_and_reject_buttons(client, people, roster):
    client.force_login(people.township_cadre)

    page = client.get(url("volunteer", "change", roster.pending_a2)).content.decode()
    active = client.get(url("volunteer", "change", roster.active_a)).content.decode()

    assert url("volunteer", "approve", roster.pending_a2) in page
    assert url("volunteer", "reject", roster.pending_a2) in page
    assert "批准申请" not in active
    assert "驳回申请" not in active


def test_a_village_cadre_who_may_not_review_gets_no_buttons(client, people, roster):
    client.force_login(people.village_cadre)

    page = client.get(url("volunteer", "change", roster.pending_a)).content.decode()

    assert "批准申请" not in page
    assert url("volunteer", "approve", roster.pending_a) not in page


def test_the_approve_button_approves_through_the_service(client, people, roster):
    client.force_login(people.township_cadre)

    response = client.post(url("volunteer", "approve", roster.pending_a2), follow=True)

    assert response.redirect_chain[-1][0] == url("volunteer", "change", roster.pending_a2)
    assert messages_of(response) == ["已批准新园申请的志愿者申请。"]
    approved = Volunteer.objects.get(pk=roster.pending_a2.pk)
    assert approved.status == Volunteer.Status.ACTIVE
    assert approved.reviewed_by_id == people.township_cadre.pk


def test_approving_by_get_changes_nothing(client, people, roster):
    client.force_login(people.township_cadre)

    response = client.get(url("volunteer", "approve", roster.pending_a2))

    assert response.status_code == 405
    assert Volunteer.objects.get(pk=roster.pending_a2.pk).status == Volunteer.Status.PENDING


def test_the_approve_button_on_an_application_already_reviewed_says_why(client, people, roster):
    client.force_login(people.township_cadre)

    response = client.post(url("volunteer", "approve", roster.active_a), follow=True)

    assert messages_of(response) == ["该申请当前状态为“在册”，不能再审核。"]
    assert Volunteer.objects.get(pk=roster.active_a.pk).reviewed_by_id is None


def test_the_reject_button_asks_the_reason_then_rejects(client, people, roster):
    client.force_login(people.township_cadre)
    target = url("volunteer", "reject", roster.pending_a2)

    asked = client.get(target)
    empty = client.post(target, {"reason": ""})
    done = client.post(target, {"reason": "资料不全"}, follow=True)

    assert asked.status_code == 200
    assert "新园申请" in asked.content.decode()
    assert empty.status_code == 200
    assert "请填写驳回原因。" in empty.content.decode()
    assert messages_of(done) == ["已驳回新园申请的志愿者申请。"]
    rejected = Volunteer.objects.get(pk=roster.pending_a2.pk)
    assert rejected.status == Volunteer.Status.REJECTED
    assert rejected.review_reason == "资料不全"


@pytest.mark.parametrize("step", ["approve", "reject"])
def test_reviewing_from_the_page_out_of_scope_is_404_and_changes_nothing(
    client, people, roster, step
):
    client.force_login(people.outsider_cadre)

    asked = client.get(url("volunteer", step, roster.pending_a3))
    posted = client.post(url("volunteer", step, roster.pending_a3), {"reason": "不符合条件"})

    assert (asked.status_code, posted.status_code) == (
        405 if step == "approve" else 404,
        404,
    )
    assert Volunteer.objects.get(pk=roster.pending_a3.pk).status == Volunteer.Status.PENDING


def test_reviewing_from_the_page_a_missing_or_bad_id_is_404(client, people, roster):
    client.force_login(people.city_cadre)

    bad = reverse("admin:volunteers_volunteer_approve", args=["abc"])
    missing = reverse("admin:volunteers_volunteer_reject", args=[987654])

    assert client.post(bad).status_code == 404
    assert client.post(missing, {"reason": "不符合条件"}).status_code == 404
