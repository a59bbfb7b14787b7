"""seed_demo, the demo's data (the demo app): the real tree, the menu and one account per
persona, with logins printed; running it again changes nothing. Loads the real division
file: a few seconds."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from practice.catalogue import STARTING_MENU
from practice.models import CadreRole, Center, Service
from practice.scoping import visible_centers
from volunteers.models import Volunteer

REAL_FILE = Path(__file__).resolve().parents[2] / "practice" / "data" / "hengyang_divisions.csv"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def roles_of(phone: str) -> set[str]:
    return set(CadreRole.objects.filter(user__phone=phone).values_list("center__code", flat=True))


def subtree_sizes_in_file(codes: list[str]) -> dict[str, int]:
    """How many rows of the division file lie under each code, the code itself included,
    following parent_code links."""
    with REAL_FILE.open(encoding="utf-8", newline="") as handle:
        parent_of = {row["code"]: row["parent_code"] or None for row in csv.DictReader(handle)}
    sizes = dict.fromkeys(codes, 0)
    for code in parent_of:
        node: str | None = code
        while node is not None:
            if node in sizes:
                sizes[node] += 1
            node = parent_of[node]
    return sizes


@pytest.mark.django_db
def test_seed_demo_loads_everything_prints_the_logins_and_runs_again_cleanly():
    # given an empty database
    demo = {
        "13800000001": "430400",
        "13800000002": "430405",
        "13800000003": "430405007",
        "13800000004": "430405007006",
    }
    expected = subtree_sizes_in_file(list(demo.values()))
    assert expected["430400"] == 2991
    assert expected["430405007006"] == 1

    # when
    out, _err = run("seed_demo")

    # then the logins are printed with the password
    assert "演示账号（密码均为 Hengyang@2026）" in out
    for phone in [*demo, "13900000001", "13700000001"]:
        assert phone in out
        assert User.objects.get(phone=phone).check_password("Hengyang@2026")
    assert "干部  13800000002  珠晖区管理员  珠晖区新时代文明实践中心" in out

    # and each demo cadre holds one role and sees exactly their subtree
    for phone, code in demo.items():
        user = User.objects.get(phone=phone)
        assert roles_of(phone) == {code}
        assert visible_centers(user).count() == expected[code]
        center = Center.objects.get(code=code)
        assert visible_centers(user).count() == center.get_descendant_count() + 1
    assert (
        visible_centers(User.objects.get(phone="13800000003")).filter(code="430405009").count() == 0
    )
    # the resident and the volunteer manage nothing
    assert not visible_centers(User.objects.get(phone="13900000001")).exists()
    volunteer = Volunteer.objects.get(user__phone="13700000001")
    assert volunteer.home_center.code == "430405007006"
    assert volunteer.status == Volunteer.Status.ACTIVE
    assert not visible_centers(volunteer.user).exists()
    # and the menu is at the city
    assert Service.objects.filter(center__code="430400").count() == len(STARTING_MENU)
    assert Center.objects.count() == 2991

    counts = (
        User.objects.count(),
        CadreRole.objects.count(),
        Volunteer.objects.count(),
        Service.objects.count(),
        Center.objects.count(),
    )
    # six demo accounts, two residents with history and the 36 volunteers of demo/village.py
    assert counts == (6 + 2 + 36, 4, 1 + 36, len(STARTING_MENU), 2991)

    # when it runs a second time
    again, _err = run("seed_demo")

    # then nothing new was made
    assert (
        User.objects.count(),
        CadreRole.objects.count(),
        Volunteer.objects.count(),
        Service.objects.count(),
        Center.objects.count(),
    ) == counts
    assert "新建 0" in again
    assert "新增 0 项" in again
    assert "13800000001" in again
    # and the demo cadres kept their password (the only accounts a re-run touches)
    assert User.objects.get(phone="13800000001").check_password("Hengyang@2026")


def test_seed_demo_is_the_demo_apps_command():
    # practice, on which everything builds, must not hold a command drawing on every app
    from django.core.management import get_commands

    assert get_commands()["seed_demo"] == "demo"
