"""The user admin (accounts a cadre answers for) and signing in to the admin, with the
django-axes lockout."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from practice.services import cadre_create
from tests.conftest import PASSWORD
from tests.factories.volunteers import make_volunteers
from tests.support.queries import exact_get
from volunteers.account_services import user_update
from volunteers.identity import compose_id_number
from volunteers.models import Volunteer
from volunteers.services import volunteer_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The personas' passwords are hashed on every test; the production hasher is slow on
    # purpose and its cost is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def user_url(action: str, user: User | None = None) -> str:
    if user is None:
        return reverse(f"admin:accounts_user_{action}")
    return reverse(f"admin:accounts_user_{action}", args=[user.pk])


def user_form(user: User, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": user.name, "is_active": "on"}
    data.update(overrides)
    return data


def listed_phones(response) -> set[str]:
    return {user.phone for user in response.context["cl"].result_list}


# --- what each cadre sees ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "phones"),
    [
        (
            "city_cadre",
            {
                "13800000001",
                "13800000002",
                "13800000003",
                "13800000004",
                "13800000009",
                "13700000001",
                "13900000001",
            },
        ),
        ("county_cadre", {"13800000002", "13800000003", "13800000004", "13700000001"}),
        ("township_cadre", {"13800000003", "13800000004", "13700000001"}),
        ("village_cadre", {"13800000004", "13700000001"}),
        ("outsider_cadre", {"13800000009"}),
    ],
)
def test_user_changelist_lists_the_accounts_the_cadre_answers_for(client, people, persona, phones):
    # given
    client.force_login(getattr(people, persona))
    # when
    response = client.get(user_url("changelist"))
    # then
    assert response.status_code == 200
    assert listed_phones(response) == phones
    assert response.context["cl"].result_count == len(phones)


def test_the_changelist_shows_where_each_cadre_serves(client, people):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.get(user_url("changelist"))
    # then
    content = response.content.decode()
    assert "衡州路街道" in content
    assert "王江社区居委会" in content
    assert "雁峰区" not in content


def test_user_search_stays_inside_the_scope(client, people):
    # given
    client.force_login(people.county_cadre)
    # when
    outsider = client.get(user_url("changelist"), {"q": "13800000009"})
    resident = client.get(user_url("changelist"), {"q": "张群众"})
    # then
    assert listed_phones(outsider) == set()
    assert listed_phones(resident) == set()


def test_accounts_without_a_role_cannot_open_the_user_admin(client, people):
    # given
    client.force_login(people.volunteer)
    # when
    response = client.get(user_url("changelist"))
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- out of scope answers 404 ----------------------------------------------------------------


@pytest.mark.parametrize("target", ["village_cadre", "volunteer", "county_cadre", "resident"])
@pytest.mark.parametrize("view", ["change", "history"])
def test_outsider_gets_404_on_accounts_of_another_county(client, people, target, view):
    # given
    client.force_login(people.outsider_cadre)
    # when
    response = client.get(user_url(view, getattr(people, target)))
    # then
    assert response.status_code == 404


def test_a_county_cadre_gets_404_on_an_unattached_resident(client, people):
    # given
    client.force_login(people.county_cadre)
    # when
    response = client.get(user_url("change", people.resident))
    # then
    assert response.status_code == 404


def test_outsider_posting_a_change_to_another_countys_cadre_gets_404_and_changes_nothing(
    client, people
):
    # given
    client.force_login(people.outsider_cadre)
    target = people.village_cadre
    # when
    response = client.post(
        user_url("change", target), user_form(target, name="被篡改", is_active="")
    )
    # then
    assert response.status_code == 404
    kept = User.objects.get(pk=target.pk)
    assert kept.name == "王江社区管理员"
    assert kept.is_active is True


def test_a_village_cadre_gets_404_on_the_cadre_above(client, people):
    # given
    client.force_login(people.village_cadre)
    # when
    response = client.get(user_url("change", people.township_cadre))
    # then
    assert response.status_code == 404


# --- changes ----------------------------------------------------------------------------------


def test_a_county_cadre_renames_a_village_cadre(client, people):
    # given
    client.force_login(people.county_cadre)
    target = people.village_cadre
    # when
    page = client.get(user_url("change", target))
    response = client.post(user_url("change", target), user_form(target, name="  王江新管理员 "))
    # then
    assert page.status_code == 200
    assert response.status_code == 302
    changed = User.objects.get(pk=target.pk)
    assert changed.name == "王江新管理员"
    assert changed.phone == "13800000004"


def test_a_cadre_cannot_make_anyone_a_superuser_or_staff(client, people):
    # given
    client.force_login(people.county_cadre)
    target = people.volunteer
    # when
    response = client.post(
        user_url("change", target),
        user_form(
            target,
            name="李志愿二",
            is_superuser="on",
            is_staff="on",
            phone="13600000001",
            password="x",
        ),
    )
    # then: the flags are not on the form and are ignored
    assert response.status_code == 302
    form_fields = set(client.get(user_url("change", target)).context["adminform"].form.fields)
    assert form_fields == {"name", "is_active"}
    changed = User.objects.get(pk=target.pk)
    assert changed.name == "李志愿二"
    assert changed.is_superuser is False
    assert changed.is_staff is False
    assert changed.phone == "13700000001"
    assert changed.check_password(PASSWORD)


def test_a_cadre_cannot_make_themself_a_superuser(client, people):
    # given
    me = people.city_cadre
    client.force_login(me)
    # when
    response = client.post(user_url("change", me), user_form(me, is_superuser="on", is_staff="on"))
    # then
    assert response.status_code == 302
    kept = User.objects.get(pk=me.pk)
    assert kept.is_superuser is False
    assert kept.is_staff is False


def test_a_county_cadre_switches_off_a_volunteers_account(client, people):
    # given
    client.force_login(people.county_cadre)
    target = people.volunteer
    # when
    response = client.post(user_url("change", target), user_form(target, is_active=""))
    # then
    assert response.status_code == 302
    assert User.objects.get(pk=target.pk).is_active is False


def test_a_cadre_cannot_switch_off_their_own_account(client, people):
    # given
    me = people.county_cadre
    client.force_login(me)
    # when
    response = client.post(
        user_url("change", me), user_form(me, name="珠晖区管理员二", is_active="")
    )
    # then: the flag is not offered on one's own account; the name is saved
    assert response.status_code == 302
    form_fields = set(client.get(user_url("change", me)).context["adminform"].form.fields)
    assert form_fields == {"name"}
    kept = User.objects.get(pk=me.pk)
    assert kept.is_active is True
    assert kept.name == "珠晖区管理员二"
    assert client.get("/admin/").status_code == 200


def test_an_empty_name_is_a_chinese_form_error(client, people):
    # given
    client.force_login(people.county_cadre)
    target = people.village_cadre
    # when
    response = client.post(user_url("change", target), user_form(target, name=""))
    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == ["该字段是必填项。"]
    assert User.objects.get(pk=target.pk).name == "王江社区管理员"


def test_an_over_long_name_is_a_chinese_form_error(client, people):
    # given
    client.force_login(people.county_cadre)
    target = people.village_cadre
    # when
    response = client.post(user_url("change", target), user_form(target, name="名" * 51))
    # then
    assert response.status_code == 200
    assert "不超过 50 字符" in " ".join(response.context["adminform"].form.errors["name"])
    assert User.objects.get(pk=target.pk).name == "王江社区管理员"


def test_accounts_are_neither_added_nor_deleted_in_the_admin(client, people):
    # given
    client.force_login(people.city_cadre)
    target = people.resident
    # when
    add = client.get(user_url("add"))
    delete_page = client.get(user_url("delete", target))
    delete_post = client.post(user_url("delete", target), {"post": "yes"})
    # then
    assert add.status_code == 403
    assert delete_page.status_code == 403
    assert delete_post.status_code == 403
    assert User.objects.filter(pk=target.pk).count() == 1


# --- query counts -----------------------------------------------------------------------------


# The county cadre's user changelist, whatever the number of rows on the page.
USER_CHANGELIST_QUERIES = 11


def user_list_rows(client) -> int:
    response = exact_get(client, user_url("changelist"), USER_CHANGELIST_QUERIES)
    return response.context["cl"].result_count


def test_user_changelist_queries_do_not_grow_with_rows(client, people, tree):
    # given
    client.force_login(people.county_cadre)
    few_rows = user_list_rows(client)
    make_volunteers(range(200, 215), tree.village_a3, born=datetime.date(1991, 1, 1))
    for number in range(15):
        cadre_create(
            phone=f"1360000{number:04d}",
            name=f"干部{number}",
            password=PASSWORD,
            center=[tree.township_a2, tree.village_a2, tree.village_a3][number % 3],
        )
    # when
    many_rows = user_list_rows(client)
    # then: both cost USER_CHANGELIST_QUERIES
    assert (few_rows, many_rows) == (4, 34)


# --- signing in to the admin ----------------------------------------------------------------


def admin_login(client, phone: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": phone, "password": password})


def test_a_cadre_signs_in_to_the_admin_with_phone_and_password(client, people):
    # when
    response = admin_login(client, "138 0000 0003", PASSWORD)
    # then
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("persona", ["resident", "volunteer"])
def test_an_account_without_a_role_cannot_sign_in_to_the_admin(client, people, persona):
    # when
    response = admin_login(client, getattr(people, persona).phone, PASSWORD)
    # then
    assert response.status_code == 200
    assert response.context["form"].errors.get_json_data()["__all__"][0]["code"] == "not_cadre"
    assert "没有管理后台的权限" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_wrong_password_is_a_chinese_error(client, people):
    # when
    response = admin_login(client, people.county_cadre.phone, "wrong-password")
    # then
    assert response.status_code == 200
    assert "手机号或密码不正确" in response.content.decode()


def test_the_admin_login_locks_a_phone_after_five_failures(client, people):
    # given
    phone = people.county_cadre.phone
    # when
    failures = [admin_login(client, phone, f"wrong-{attempt}").status_code for attempt in range(5)]
    locked = admin_login(client, phone, PASSWORD)
    # then
    assert failures == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode()
    assert "15 分钟" in locked.content.decode()
    assert client.get("/admin/").status_code == 302


def test_the_lockout_of_one_phone_leaves_another_unaffected(client, people):
    # given
    for attempt in range(6):
        admin_login(client, people.county_cadre.phone, f"wrong-{attempt}")
    # when
    other = admin_login(client, people.township_cadre.phone, PASSWORD)
    # then
    assert other.status_code == 302
    assert other["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- acting on someone above: an account is changed only by a cadre covering all its roles --


@pytest.fixture
def county_cadre_volunteering_in_the_village(people, tree) -> User:
    """The county cadre also volunteers in 王江社区, so the village cadre sees the account."""
    volunteer_create(
        user=people.county_cadre,
        real_name=people.county_cadre.name,
        id_number=compose_id_number("430405", datetime.date(1980, 5, 5), 311),
        home_center=tree.village_a,
        status=Volunteer.Status.ACTIVE,
    )
    return people.county_cadre


@pytest.mark.parametrize("persona", ["village_cadre", "township_cadre"])
def test_a_cadre_below_sees_but_cannot_rename_or_switch_off_an_account_above(
    client, people, county_cadre_volunteering_in_the_village, persona
):
    # given
    target = county_cadre_volunteering_in_the_village
    client.force_login(getattr(people, persona))
    # when
    listed = client.get(user_url("changelist"))
    page = client.get(user_url("change", target))
    response = client.post(
        user_url("change", target), user_form(target, name="被篡改", is_active="")
    )
    # then: shown read-only, the change refused, nothing written
    assert target.phone in listed_phones(listed)
    assert page.status_code == 200
    assert page.context["adminform"].form.fields == {}
    assert response.status_code == 403
    kept = User.objects.get(pk=target.pk)
    assert kept.name == "珠晖区管理员"
    assert kept.is_active is True


@pytest.mark.parametrize("persona", ["city_cadre", "county_cadre"])
def test_a_cadre_covering_every_role_changes_the_account(
    client, people, county_cadre_volunteering_in_the_village, persona
):
    # given
    target = county_cadre_volunteering_in_the_village
    client.force_login(getattr(people, persona))
    # when
    response = client.post(user_url("change", target), user_form(target, name="珠晖区管理员二"))
    # then
    assert response.status_code == 302
    assert User.objects.get(pk=target.pk).name == "珠晖区管理员二"


def test_a_village_cadre_still_changes_a_volunteer_of_the_village(client, people):
    # given
    client.force_login(people.village_cadre)
    target = people.volunteer
    # when
    response = client.post(user_url("change", target), user_form(target, is_active=""))
    # then
    assert response.status_code == 302
    assert User.objects.get(pk=target.pk).is_active is False


def test_a_cadre_with_a_second_role_elsewhere_is_changed_only_by_the_city(client, people, tree):
    # given: the village cadre of 王江社区 also serves in 雁峰区
    from practice.services import cadre_role_grant

    target = people.village_cadre
    cadre_role_grant(actor=None, user=target, center=tree.village_b)
    # when
    client.force_login(people.county_cadre)
    county = client.post(user_url("change", target), user_form(target, name="甲"))
    client.force_login(people.outsider_cadre)
    outsider = client.post(user_url("change", target), user_form(target, name="乙"))
    client.force_login(people.city_cadre)
    city = client.post(user_url("change", target), user_form(target, name="丙"))
    # then
    assert (county.status_code, outsider.status_code, city.status_code) == (403, 403, 302)
    assert User.objects.get(pk=target.pk).name == "丙"


def test_the_service_refuses_an_account_above_the_actor(
    people, county_cadre_volunteering_in_the_village
):
    from core.errors import NotInScope
    from volunteers.account_selectors import account_editable_by, users_editable_by

    # given
    target = county_cadre_volunteering_in_the_village
    target.name = "被篡改"
    # when / then
    with pytest.raises(NotInScope):
        user_update(actor=people.village_cadre, user=target, fields=["name"])
    assert User.objects.get(pk=target.pk).name == "珠晖区管理员"
    assert not account_editable_by(people.village_cadre, target)
    assert account_editable_by(people.county_cadre, target)
    assert set(users_editable_by(people.village_cadre).values_list("phone", flat=True)) == {
        "13800000004",
        "13700000001",
    }
    assert not account_editable_by(people.county_cadre, people.resident)
    assert account_editable_by(people.city_cadre, people.resident)
