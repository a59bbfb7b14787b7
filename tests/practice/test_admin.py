"""The cadre admin over centers, services and cadre roles: who gets in, what each cadre sees,
what they may change, and that every refusal is a form error or a 404, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.services import resident_register
from practice.models import CadreRole, Center, Kind, Level, Platform, Service
from practice.services import service_save
from tests.conftest import PASSWORD
from tests.factories.practice import CenterFactory
from tests.support.queries import exact_get
from tests.support.tree import CITY, COUNTY_A, COUNTY_B, TOWNSHIP_A, VILLAGE_A

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The personas' passwords are hashed on every test; the production hasher is slow on
    # purpose and its cost is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


CADRES = ["city_cadre", "county_cadre", "township_cadre", "village_cadre", "outsider_cadre"]


def center_url(action: str, center: Center | None = None) -> str:
    if center is None:
        return reverse(f"admin:practice_center_{action}")
    return reverse(f"admin:practice_center_{action}", args=[center.pk])


def center_form(center: Center, **overrides: Any) -> dict[str, Any]:
    """The change form as the browser posts it for ``center``, with ``overrides`` applied."""
    data: dict[str, Any] = {
        "parent": center.parent_id or "",
        "name": center.name,
        "code": center.code,
        "kind": center.kind,
        "address": center.address,
        "latitude": "" if center.latitude is None else str(center.latitude),
        "longitude": "" if center.longitude is None else str(center.longitude),
        "contact_phone": center.contact_phone,
        "is_active": "on",
    }
    data.update(overrides)
    return data


def snapshot(center: Center) -> tuple:
    center = Center.objects.get(pk=center.pk)
    return (
        center.parent_id,
        center.name,
        center.code,
        center.kind,
        center.level,
        center.latitude,
        center.longitude,
        center.is_active,
        center.lft,
        center.rght,
    )


def listed(response) -> set[str]:
    return {obj.code for obj in response.context["cl"].result_list}


def make_service(center: Center, name: str, platform: str = Platform.CULTURE) -> Service:
    return service_save(actor=None, service=Service(center=center, platform=platform, name=name))


# --- who may enter ------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_admin_login(client, people):
    # when
    response = client.get("/admin/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


@pytest.mark.parametrize("persona", ["resident", "volunteer"])
def test_accounts_without_a_cadre_role_are_not_let_in(client, people, persona):
    # given
    client.force_login(getattr(people, persona))
    # when
    index = client.get("/admin/")
    changelist = client.get(center_url("changelist"))
    login_page = client.get("/admin/login/")
    # then
    assert index.status_code == 302
    assert index["Location"] == "/admin/login/?next=/admin/"
    assert changelist.status_code == 302
    assert changelist["Location"].startswith("/admin/login/")
    assert login_page.status_code == 200


@pytest.mark.parametrize("persona", CADRES)
def test_every_cadre_enters_the_admin_without_the_staff_flag(client, people, persona):
    # given
    user = getattr(people, persona)
    assert user.is_staff is False
    client.force_login(user)
    # when
    response = client.get("/admin/")
    # then
    assert response.status_code == 200
    assert "我的辖区" in response.content.decode()


def test_a_switched_off_cadre_is_not_let_in(client, people):
    # given
    user = people.county_cadre
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    # when
    response = client.get("/admin/")
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- center changelist ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "codes"),
    [
        ("city_cadre", CITY),
        ("county_cadre", COUNTY_A),
        ("township_cadre", TOWNSHIP_A),
        ("village_cadre", VILLAGE_A),
        ("outsider_cadre", COUNTY_B),
    ],
)
def test_center_changelist_lists_exactly_the_cadres_subtree(client, people, persona, codes):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(center_url("changelist"))
    # then
    assert response.status_code == 200
    assert listed(response) == codes
    assert response.context["cl"].result_count == len(codes)


def test_center_search_stays_inside_the_subtree(client, people, tree):
    # given: 天马山 is only in county B
    client.force_login(people.county_cadre)
    # when
    response = client.get(center_url("changelist"), {"q": "天马山"})
    # then
    assert response.status_code == 200
    assert listed(response) == set()


def test_the_bulk_delete_action_is_not_offered_and_does_nothing(client, people, tree):
    # given
    client.force_login(people.township_cadre)
    # when
    page = client.get(center_url("changelist"))
    posted = client.post(
        center_url("changelist"),
        {"action": "delete_selected", "_selected_action": [tree.village_a2.pk], "index": "0"},
    )
    # then
    assert "delete_selected" not in page.context["cl"].model_admin.get_actions(page.wsgi_request)
    assert posted.status_code == 200
    assert Center.objects.filter(pk=tree.village_a2.pk).count() == 1


# --- out of scope answers 404 ----------------------------------------------------------------


@pytest.mark.parametrize("target", ["county_a", "township_a", "village_a3"])
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_outsider_gets_404_on_every_view_of_another_countys_center(
    client, people, tree, target, view
):
    # given
    client.force_login(people.outsider_cadre)
    # when
    response = client.get(center_url(view, getattr(tree, target)))
    # then
    assert response.status_code == 404


def test_a_missing_center_answers_404_like_an_out_of_scope_one(client, people):
    # given
    client.force_login(people.city_cadre)
    # when
    response = client.get(reverse("admin:practice_center_change", args=[987654]))
    # then
    assert response.status_code == 404


def test_outsider_posting_a_change_to_another_countys_center_gets_404_and_changes_nothing(
    client, people, tree
):
    # given
    client.force_login(people.outsider_cadre)
    before = snapshot(tree.township_a)
    # when
    response = client.post(
        center_url("change", tree.township_a),
        center_form(tree.township_a, name="被篡改", parent=tree.county_b.pk),
    )
    # then
    assert response.status_code == 404
    assert snapshot(tree.township_a) == before


def test_outsider_posting_a_delete_of_another_countys_village_gets_404_and_deletes_nothing(
    client, people, tree
):
    # given: a leaf with nothing attached, so only the scope stands in the way
    client.force_login(people.outsider_cadre)
    # when
    response = client.post(center_url("delete", tree.village_a3), {"post": "yes"})
    # then
    assert response.status_code == 404
    assert Center.objects.filter(pk=tree.village_a3.pk).count() == 1


def test_a_village_cadre_cannot_reach_the_township_above(client, people, tree):
    # given
    client.force_login(people.village_cadre)
    # when
    change = client.get(center_url("change", tree.township_a))
    sibling = client.get(center_url("change", tree.village_a2))
    # then
    assert change.status_code == 404
    assert sibling.status_code == 404


# --- changes inside the subtree ---------------------------------------------------------------


def test_a_cadre_opens_and_renames_a_center_in_their_subtree(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    # when
    page = client.get(center_url("change", tree.township_a))
    response = client.post(
        center_url("change", tree.township_a), center_form(tree.township_a, name="衡州路街道新")
    )
    # then
    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == center_url("changelist")
    renamed = Center.objects.get(pk=tree.township_a.pk)
    assert renamed.name == "衡州路街道新"
    assert renamed.parent_id == tree.county_a.pk
    assert renamed.level == Level.TOWNSHIP


def test_a_township_cadre_renames_their_own_township(client, people, tree):
    # given: their own center's parent (the county) lies outside their scope
    client.force_login(people.township_cadre)
    # when
    page = client.get(center_url("change", tree.township_a))
    response = client.post(
        center_url("change", tree.township_a),
        center_form(tree.township_a, name="衡州路街道（改）", parent=""),
    )
    # then
    assert page.status_code == 200
    assert response.status_code == 302
    renamed = Center.objects.get(pk=tree.township_a.pk)
    assert renamed.name == "衡州路街道（改）"
    assert renamed.parent_id == tree.county_a.pk


def test_a_cadre_saves_coordinates_and_a_contact_phone(client, people, tree):
    # given
    client.force_login(people.township_cadre)
    # when
    response = client.post(
        center_url("change", tree.village_a),
        center_form(
            tree.village_a,
            latitude="26.893100",
            longitude="112.619200",
            contact_phone="0734-8888888",
        ),
    )
    # then
    assert response.status_code == 302
    saved = Center.objects.get(pk=tree.village_a.pk)
    assert str(saved.latitude) == "26.893100"
    assert str(saved.longitude) == "112.619200"
    assert saved.contact_phone == "0734-8888888"


@pytest.mark.parametrize("new_parent", ["county_b", "township_a2", "city", "village_a"])
def test_a_township_cadre_cannot_move_their_own_township(client, people, tree, new_parent):
    # given
    client.force_login(people.township_cadre)
    before = snapshot(tree.township_a)
    # when
    response = client.post(
        center_url("change", tree.township_a),
        center_form(tree.township_a, parent=getattr(tree, new_parent).pk),
    )
    # then: the parent is not offered on the form, and the posted one is ignored
    assert response.status_code in (200, 302)
    page = client.get(center_url("change", tree.township_a))
    assert "parent" not in page.context["adminform"].form.fields
    assert snapshot(tree.township_a) == before


def test_a_county_cadre_cannot_move_a_township_out_of_the_county(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    before = snapshot(tree.township_a2)
    # when
    response = client.post(
        center_url("change", tree.township_a2),
        center_form(tree.township_a2, parent=tree.county_b.pk),
    )
    # then
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert "选择一个有效的选项" in response.content.decode()
    assert snapshot(tree.township_a2) == before


def test_a_county_cadre_cannot_move_a_village_under_a_village(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    before = snapshot(tree.village_a3)
    # when
    response = client.post(
        center_url("change", tree.village_a3),
        center_form(tree.village_a3, parent=tree.village_a.pk),
    )
    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [
        "只能移到同一层级的其他上级阵地之下。"
    ]
    assert snapshot(tree.village_a3) == before


def test_a_county_cadre_moves_a_village_to_another_township_of_the_county(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.post(
        center_url("change", tree.village_a3),
        center_form(tree.village_a3, parent=tree.township_a.pk),
    )
    # then
    assert response.status_code == 302
    moved = Center.objects.get(pk=tree.village_a3.pk)
    assert moved.parent_id == tree.township_a.pk
    assert moved.level == Level.VILLAGE
    assert set(
        Center.objects.get(pk=tree.township_a.pk).get_children().values_list("code", flat=True)
    ) == {"430405007006", "430405007007", "430405009007"}


# --- adding centers ---------------------------------------------------------------------------


def test_a_township_cadre_adds_a_village_under_their_township(client, people, tree):
    # given
    client.force_login(people.township_cadre)
    # when
    page = client.get(center_url("add"))
    response = client.post(
        center_url("add"),
        {
            "parent": tree.township_a.pk,
            "name": "新建社区",
            "code": "430405007099",
            "kind": Kind.BASE,
            "address": "衡州大道 1 号",
            "latitude": "",
            "longitude": "",
            "contact_phone": "",
            "is_active": "on",
        },
    )
    # then
    assert page.status_code == 200
    assert response.status_code == 302
    created = Center.objects.get(code="430405007099")
    assert created.parent_id == tree.township_a.pk
    assert created.level == Level.VILLAGE
    assert created.kind == Kind.BASE
    assert created.name == "新建社区"
    assert Center.objects.count() == 11


@pytest.mark.parametrize("parent", ["county_b", "township_a2", "county_a"])
def test_adding_a_center_under_a_parent_out_of_scope_is_a_form_error(client, people, tree, parent):
    # given
    client.force_login(people.township_cadre)
    # when
    response = client.post(
        center_url("add"),
        {
            "parent": getattr(tree, parent).pk,
            "name": "越权社区",
            "code": "430405099001",
            "kind": Kind.STATION,
            "is_active": "on",
        },
    )
    # then
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert "选择一个有效的选项" in response.content.decode()
    assert Center.objects.filter(code="430405099001").count() == 0
    assert Center.objects.count() == 10


def test_a_cadre_cannot_add_a_city_level_root(client, people, tree):
    # given
    client.force_login(people.city_cadre)
    # when
    response = client.post(
        center_url("add"),
        {
            "parent": "",
            "name": "另一个市",
            "code": "430500",
            "kind": Kind.CENTER,
            "is_active": "on",
        },
    )
    # then
    assert response.status_code == 200
    assert "只有系统管理员可以设立市级中心。" in response.content.decode()
    assert Center.objects.count() == 10


def test_a_center_cannot_take_a_code_already_in_use(client, people, tree):
    # given
    client.force_login(people.township_cadre)
    # when
    response = client.post(
        center_url("add"),
        {
            "parent": tree.township_a.pk,
            "name": "重复编码",
            "code": tree.village_b.code,
            "kind": Kind.STATION,
            "is_active": "on",
        },
    )
    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"] == ["该编码已被其他阵地使用。"]
    assert Center.objects.count() == 10


# --- deleting centers -------------------------------------------------------------------------


def test_a_township_cadre_cannot_delete_their_own_township(client, people, tree):
    # given
    client.force_login(people.township_cadre)
    # when
    page = client.get(center_url("delete", tree.township_a))
    posted = client.post(center_url("delete", tree.township_a), {"post": "yes"})
    # then
    assert page.status_code == 403
    assert posted.status_code == 403
    assert Center.objects.filter(pk=tree.township_a.pk).count() == 1


def test_a_center_with_children_cannot_be_deleted(client, people, tree):
    # given: the county cadre holds no role at the township, only its children stand in the way
    client.force_login(people.county_cadre)
    admin = client.get(center_url("changelist")).context["cl"].model_admin
    request = client.get(center_url("changelist")).wsgi_request
    # when
    posted = client.post(center_url("delete", tree.township_a2), {"post": "yes"})
    # then
    assert admin.has_delete_permission(request, tree.township_a2) is False
    assert posted.status_code == 403
    assert Center.objects.filter(pk=tree.township_a2.pk).count() == 1
    assert Center.objects.count() == 10


def test_a_center_a_cadre_serves_at_cannot_be_deleted_by_them(client, people, tree):
    # given
    client.force_login(people.village_cadre)
    # when
    posted = client.post(center_url("delete", tree.village_a), {"post": "yes"})
    # then
    assert posted.status_code == 403
    assert Center.objects.filter(pk=tree.village_a.pk).count() == 1


def test_a_cadre_deletes_an_empty_center_in_their_subtree(client, people, tree):
    # given
    client.force_login(people.township_cadre)
    # when
    page = client.get(center_url("delete", tree.village_a2))
    posted = client.post(center_url("delete", tree.village_a2), {"post": "yes"})
    # then
    assert page.status_code == 200
    assert posted.status_code == 302
    assert Center.objects.filter(pk=tree.village_a2.pk).count() == 0
    assert Center.objects.count() == 9


def test_deleting_a_center_in_use_is_refused_with_a_message(client, people, tree):
    # given: a leaf that offers a service
    make_service(tree.village_a2, "书法课")
    client.force_login(people.township_cadre)
    # when
    page = client.get(center_url("delete", tree.village_a2))
    posted = client.post(center_url("delete", tree.village_a2), {"post": "yes"})
    # then: Django lists what protects it and refuses
    assert page.status_code == 200
    assert "无法删除" in page.content.decode()
    assert "书法课" in page.content.decode()
    assert posted.status_code == 200
    assert "无法删除" in posted.content.decode()
    assert Center.objects.filter(pk=tree.village_a2.pk).count() == 1


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "该字段是必填项。"),
        ({"name": "长" * 101}, "name", "不超过 100 字符"),
        ({"code": "ab"}, "code", "编码应为 4 到 20 位数字或字母。"),
        ({"code": "4304-05"}, "code", "编码应为 4 到 20 位数字或字母。"),
        ({"latitude": "北纬二十六度", "longitude": "112.6"}, "latitude", "输入一个数字。"),
        ({"latitude": "95", "longitude": "112.6"}, "latitude", "确保该值小于或等于90。"),
        ({"contact_phone": "电话"}, "contact_phone", "联系电话只能包含数字和连字符"),
        ({"kind": "palace"}, "kind", "选择一个有效的选项"),
    ],
)
def test_bad_center_input_is_a_chinese_form_error_and_changes_nothing(
    client, people, tree, overrides, field, message
):
    # given
    client.force_login(people.township_cadre)
    before = snapshot(tree.village_a)
    # when
    response = client.post(
        center_url("change", tree.village_a), center_form(tree.village_a, **overrides)
    )
    # then
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert message in response.content.decode()
    assert snapshot(tree.village_a) == before


def test_a_latitude_without_a_longitude_is_a_chinese_form_error(client, people, tree):
    # given
    client.force_login(people.township_cadre)
    before = snapshot(tree.village_a)
    # when
    response = client.post(
        center_url("change", tree.village_a), center_form(tree.village_a, latitude="26.9")
    )
    # then
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["__all__"]
    assert errors["__all__"] == ["经度和纬度应同时填写或同时留空。"]
    assert snapshot(tree.village_a) == before


def test_bad_input_on_add_creates_nothing(client, people, tree):
    # given
    client.force_login(people.township_cadre)
    # when
    response = client.post(
        center_url("add"),
        {"parent": tree.township_a.pk, "name": "", "code": "ab", "kind": Kind.STATION},
    )
    # then
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["name"] == ["该字段是必填项。"]
    assert errors["code"] == ["编码应为 4 到 20 位数字或字母。"]
    assert Center.objects.count() == 10


# --- services ---------------------------------------------------------------------------------


@pytest.fixture
def services(tree) -> dict[str, Service]:
    return {
        "city": make_service(tree.city, "理论宣讲进社区", Platform.THEORY),
        "county_a": make_service(tree.county_a, "珠晖区书法课", Platform.CULTURE),
        "village_a": make_service(tree.village_a, "王江社区广场舞", Platform.FITNESS),
        "county_b": make_service(tree.county_b, "雁峰区科普讲座", Platform.SCIENCE),
    }


def service_url(action: str, service: Service | None = None) -> str:
    if service is None:
        return reverse(f"admin:practice_service_{action}")
    return reverse(f"admin:practice_service_{action}", args=[service.pk])


def service_form(center: Center, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "center": center.pk,
        "platform": Platform.EDUCATION,
        "name": "课后辅导",
        "description": "",
        "sort_order": "100",
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("persona", "names"),
    [
        ("city_cadre", {"理论宣讲进社区", "珠晖区书法课", "王江社区广场舞", "雁峰区科普讲座"}),
        ("county_cadre", {"珠晖区书法课", "王江社区广场舞"}),
        ("township_cadre", {"王江社区广场舞"}),
        ("outsider_cadre", {"雁峰区科普讲座"}),
    ],
)
def test_service_changelist_lists_the_services_of_centers_in_scope(
    client, people, services, persona, names
):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(service_url("changelist"))
    # then
    assert response.status_code == 200
    assert {service.name for service in response.context["cl"].result_list} == names


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_outsider_gets_404_on_another_countys_service(client, people, services, view):
    # given
    client.force_login(people.outsider_cadre)
    # when
    response = client.get(service_url(view, services["county_a"]))
    # then
    assert response.status_code == 404


def test_outsider_posting_to_another_countys_service_gets_404_and_changes_nothing(
    client, people, tree, services
):
    # given
    client.force_login(people.outsider_cadre)
    target = services["county_a"]
    # when
    changed = client.post(service_url("change", target), service_form(tree.county_b, name="被篡改"))
    deleted = client.post(service_url("delete", target), {"post": "yes"})
    # then
    assert changed.status_code == 404
    assert deleted.status_code == 404
    kept = Service.objects.get(pk=target.pk)
    assert kept.name == "珠晖区书法课"
    assert kept.center_id == tree.county_a.pk


def test_a_county_cadre_cannot_edit_the_citys_service_they_can_order_from(client, people, services):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.get(service_url("change", services["city"]))
    # then
    assert response.status_code == 404


def test_a_county_cadre_cannot_create_a_service_at_another_county(client, people, tree, services):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.post(service_url("add"), service_form(tree.county_b))
    # then
    assert response.status_code == 200
    assert "center" in response.context["adminform"].form.errors
    assert "选择一个有效的选项" in response.content.decode()
    assert Service.objects.filter(name="课后辅导").count() == 0
    assert Service.objects.count() == 4


def test_a_county_cadre_creates_a_service_at_a_township_of_the_county(
    client, people, tree, services
):
    # given
    client.force_login(people.county_cadre)
    # when
    page = client.get(service_url("add"))
    response = client.post(service_url("add"), service_form(tree.township_a))
    # then
    assert page.status_code == 200
    assert response.status_code == 302
    created = Service.objects.get(name="课后辅导")
    assert created.center_id == tree.township_a.pk
    assert created.platform == Platform.EDUCATION
    assert Service.objects.count() == 5


def test_a_county_cadre_cannot_move_a_service_out_of_the_county(client, people, tree, services):
    # given
    client.force_login(people.county_cadre)
    target = services["county_a"]
    # when
    response = client.post(
        service_url("change", target), service_form(tree.county_b, name=target.name)
    )
    # then
    assert response.status_code == 200
    assert "center" in response.context["adminform"].form.errors
    assert Service.objects.get(pk=target.pk).center_id == tree.county_a.pk


def test_a_duplicate_service_name_at_one_center_is_a_chinese_form_error(
    client, people, tree, services
):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.post(service_url("add"), service_form(tree.county_a, name="珠晖区书法课"))
    # then
    assert response.status_code == 200
    assert "该阵地已有同名服务项目。" in response.content.decode()
    assert Service.objects.filter(name="珠晖区书法课").count() == 1


def test_a_county_cadre_deletes_a_service_in_the_county(client, people, services):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.post(service_url("delete", services["village_a"]), {"post": "yes"})
    # then
    assert response.status_code == 302
    assert Service.objects.filter(pk=services["village_a"].pk).count() == 0
    assert Service.objects.count() == 3


def autocomplete(client, model_name: str, term: str = "") -> set[str]:
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "practice", "model_name": model_name, "field_name": "center", "term": term},
    )
    assert response.status_code == 200
    return {row["text"] for row in response.json()["results"]}


@pytest.mark.parametrize("model_name", ["service", "cadrerole"])
def test_center_autocomplete_offers_only_centers_in_scope(client, people, tree, model_name):
    # given
    client.force_login(people.township_cadre)
    # when
    everything = autocomplete(client, model_name)
    other_county = autocomplete(client, model_name, "天马山")
    # then
    assert everything == {"衡州路街道", "王江社区居委会", "新园社区居委会"}
    assert other_county == set()


def test_service_center_autocomplete_for_the_outsider(client, people, tree):
    # given
    client.force_login(people.outsider_cadre)
    # when
    found = autocomplete(client, "service", "社区")
    # then
    assert found == {"天马山社区居委会"}


def test_autocomplete_refuses_accounts_without_a_role(client, people):
    # given
    client.force_login(people.resident)
    # when
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "practice", "model_name": "service", "field_name": "center", "term": ""},
    )
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- cadre roles ------------------------------------------------------------------------------


def role_url(action: str, role: CadreRole | None = None) -> str:
    if role is None:
        return reverse(f"admin:practice_cadrerole_{action}")
    return reverse(f"admin:practice_cadrerole_{action}", args=[role.pk])


def test_a_county_cadre_appoints_a_resident_at_a_township_by_phone(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    # when
    page = client.get(role_url("add"))
    response = client.post(
        role_url("add"),
        {"phone": "139 0000 0001", "center": tree.township_a.pk, "title": "副所长"},
    )
    # then
    assert page.status_code == 200
    assert response.status_code == 302
    role = CadreRole.objects.get(user=people.resident)
    assert role.center_id == tree.township_a.pk
    assert role.title == "副所长"


def test_a_county_cadre_cannot_appoint_at_another_county(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.post(
        role_url("add"), {"phone": people.resident.phone, "center": tree.county_b.pk, "title": ""}
    )
    # then
    assert response.status_code == 200
    assert "center" in response.context["adminform"].form.errors
    assert CadreRole.objects.filter(user=people.resident).count() == 0


def test_appointing_a_phone_without_an_account_is_a_chinese_form_error(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    roles_before = CadreRole.objects.count()
    # when
    response = client.post(
        role_url("add"), {"phone": "13600000077", "center": tree.township_a.pk, "title": ""}
    )
    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["phone"] == [
        "没有使用该手机号的有效账号，请本人先注册。"
    ]
    assert "请本人先注册" in response.content.decode()
    assert CadreRole.objects.count() == roles_before


def test_cadre_role_changelist_lists_roles_in_scope(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.get(role_url("changelist"))
    # then
    assert response.status_code == 200
    assert {role.user.phone for role in response.context["cl"].result_list} == {
        "13800000002",
        "13800000003",
        "13800000004",
    }


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_outsider_gets_404_on_another_countys_cadre_role(client, people, view):
    # given
    client.force_login(people.outsider_cadre)
    role = CadreRole.objects.get(user=people.township_cadre)
    # when
    response = client.get(role_url(view, role))
    # then
    assert response.status_code == 404


def test_outsider_posting_to_another_countys_cadre_role_gets_404_and_changes_nothing(
    client, people, tree
):
    # given
    client.force_login(people.outsider_cadre)
    role = CadreRole.objects.get(user=people.township_cadre)
    # when
    changed = client.post(role_url("change", role), {"title": "被篡改"})
    deleted = client.post(role_url("delete", role), {"post": "yes"})
    # then
    assert changed.status_code == 404
    assert deleted.status_code == 404
    kept = CadreRole.objects.get(pk=role.pk)
    assert kept.title == ""
    assert kept.center_id == tree.township_a.pk


def test_a_county_cadre_changes_the_title_of_a_role_in_the_county(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    role = CadreRole.objects.get(user=people.township_cadre)
    # when
    page = client.get(role_url("change", role))
    response = client.post(role_url("change", role), {"title": "所长"})
    # then
    assert page.status_code == 200
    assert response.status_code == 302
    changed = CadreRole.objects.get(pk=role.pk)
    assert changed.title == "所长"
    assert changed.user_id == people.township_cadre.pk
    assert changed.center_id == tree.township_a.pk


def test_a_county_cadre_revokes_a_role_in_the_county(client, people):
    # given
    client.force_login(people.county_cadre)
    role = CadreRole.objects.get(user=people.village_cadre)
    # when
    response = client.post(role_url("delete", role), {"post": "yes"})
    # then
    assert response.status_code == 302
    assert CadreRole.objects.filter(user=people.village_cadre).count() == 0


def test_a_cadre_cannot_revoke_their_own_role(client, people):
    # given
    client.force_login(people.county_cadre)
    role = CadreRole.objects.get(user=people.county_cadre)
    # when
    response = client.post(role_url("delete", role), {"post": "yes"}, follow=True)
    # then
    assert response.status_code == 200
    assert "不能撤销您本人的任职。" in response.content.decode()
    assert CadreRole.objects.filter(pk=role.pk).count() == 1


# --- query counts -----------------------------------------------------------------------------


# Each changelist's cost for the cadre of its test, whatever the number of rows on the page.
CENTER_CHANGELIST_QUERIES = 8
SERVICE_CHANGELIST_QUERIES = 8
CADRE_ROLE_CHANGELIST_QUERIES = 8


def listed_rows(client, url: str, expected_queries: int) -> int:
    return exact_get(client, url, expected_queries).context["cl"].result_count


def test_center_changelist_queries_do_not_grow_with_rows(client, people, tree):
    # given
    client.force_login(people.township_cadre)
    few_rows = listed_rows(client, center_url("changelist"), CENTER_CHANGELIST_QUERIES)
    CenterFactory.create_batch(
        30, parent=tree.township_a, kind=Kind.STATION, contact_phone="0734-1234567"
    )
    # when
    many_rows = listed_rows(client, center_url("changelist"), CENTER_CHANGELIST_QUERIES)
    # then
    assert (few_rows, many_rows) == (3, 33)


def test_service_changelist_queries_do_not_grow_with_rows(client, people, tree, services):
    # given
    client.force_login(people.county_cadre)
    few_rows = listed_rows(client, service_url("changelist"), SERVICE_CHANGELIST_QUERIES)
    centers = [tree.county_a, tree.township_a, tree.village_a, tree.village_a2, tree.village_a3]
    for number in range(30):
        make_service(centers[number % len(centers)], f"服务{number}")
    # when
    many_rows = listed_rows(client, service_url("changelist"), SERVICE_CHANGELIST_QUERIES)
    # then
    assert (few_rows, many_rows) == (2, 32)


def test_cadre_role_changelist_queries_do_not_grow_with_rows(client, people, tree):
    # given
    from practice.services import cadre_role_grant

    client.force_login(people.county_cadre)
    few_rows = listed_rows(client, role_url("changelist"), CADRE_ROLE_CHANGELIST_QUERIES)
    for number in range(30):
        user = resident_register(
            phone=f"1350000{number:04d}", name=f"干部{number}", password=PASSWORD
        )
        cadre_role_grant(actor=None, user=user, center=tree.village_a3)
    # when
    many_rows = listed_rows(client, role_url("changelist"), CADRE_ROLE_CHANGELIST_QUERIES)
    # then
    assert (few_rows, many_rows) == (3, 33)
