"""The city-scale synthetic data command (bench.synthetic, generate_volunteers).

The command belongs to the bench app, installed only by bench/settings.py; the tests run
under the portal's settings and call the command object itself."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from accounts.phones import MAINLAND_MOBILE, validate_mainland_mobile
from accounts.services import resident_register
from bench.management.commands.generate_volunteers import Command as GenerateVolunteers
from bench.synthetic import (
    PHONE_PREFIXES,
    URBAN_COUNTY_CODES,
    generate,
    id_number_for,
    phone_for,
)
from practice.models import Center, Level
from volunteers.identity import decrypt_id_number, id_number_digest, validate_id_number
from volunteers.models import Team, TeamMembership, Volunteer
from volunteers.services import volunteer_create

pytestmark = pytest.mark.django_db


def run(volunteers: int, teams: int, **options) -> str:
    out = io.StringIO()
    call_command(GenerateVolunteers(), volunteers=volunteers, teams=teams, stdout=out, **options)
    return out.getvalue()


def test_refuses_without_a_tree():
    # given: no center at all
    # when / then
    with pytest.raises(CommandError, match="请先运行 manage.py load_divisions"):
        run(10, 2)
    assert Volunteer.objects.count() == 0
    assert User.objects.count() == 0


def test_refuses_a_tree_without_villages(tree):
    Center.objects.filter(level=Level.VILLAGE).update(is_active=False)
    with pytest.raises(CommandError, match="没有可用的村（社区）"):
        run(10, 2)
    assert Volunteer.objects.count() == 0


def test_counts_are_exact(tree):
    # when
    output = run(300, 20, seed=7)
    # then
    assert Volunteer.objects.count() == 300
    assert User.objects.count() == 300
    assert Team.objects.count() == 20
    assert "新增志愿者 300" in output
    standing = Team.objects.filter(kind=Team.Kind.STANDING).count()
    assert standing == 10  # every center of the small tree: 1 + 2 + 3 + 4
    assert Team.objects.filter(kind=Team.Kind.SPECIALIST).count() == 10


def test_every_active_volunteer_is_in_one_or_two_teams_and_every_team_has_one_leader(tree):
    run(300, 20, seed=7)
    per_volunteer = Counter(
        TeamMembership.objects.filter(left_on__isnull=True).values_list("volunteer_id", flat=True)
    )
    active = set(
        Volunteer.objects.filter(status=Volunteer.Status.ACTIVE).values_list("pk", flat=True)
    )
    assert set(per_volunteer) == active
    assert set(per_volunteer.values()) <= {1, 2}
    leaders = Counter(
        TeamMembership.objects.filter(role=TeamMembership.Role.LEADER).values_list(
            "team_id", flat=True
        )
    )
    assert set(leaders) == set(Team.objects.values_list("pk", flat=True))
    assert set(leaders.values()) == {1}


def test_memberships_are_in_teams_above_the_home_village(tree):
    run(300, 20, seed=7)
    for membership in TeamMembership.objects.select_related("team__center", "volunteer"):
        village = Center.objects.get(pk=membership.volunteer.home_center_id)
        center = membership.team.center
        assert center.tree_id == village.tree_id
        assert center.lft <= village.lft
        assert village.rght <= center.rght
        assert membership.joined_on == membership.volunteer.joined_on


def test_memberships_copy_the_teams_center_and_path_as_team_member_add_does(tree):
    from practice.ancestry import path_of

    run(300, 20, seed=7)
    memberships = list(TeamMembership.objects.select_related("team__center"))
    assert memberships
    for membership in memberships:
        copied = (membership.township_id, membership.county_id, membership.city_id)
        assert membership.center_id == membership.team.center_id
        assert copied == path_of(membership.team.center)


def test_id_numbers_are_valid_unique_encrypted_and_match_their_columns(tree):
    run(300, 5, seed=7)
    numbers = []
    for volunteer in Volunteer.objects.select_related("county", "township", "home_center"):
        number = decrypt_id_number(volunteer.id_number_encrypted)
        facts = validate_id_number(number)
        assert volunteer.id_number_digest == id_number_digest(number)
        assert volunteer.id_number_first4 == number[:4]
        assert volunteer.id_number_last4 == number[-4:]
        assert volunteer.gender == facts.gender
        assert volunteer.birth_date == facts.birth_date
        assert 1950 <= facts.birth_date.year <= 2006
        assert number[:6] == volunteer.county.code
        assert volunteer.home_center.parent_id == volunteer.township_id
        assert volunteer.township.parent_id == volunteer.county_id
        numbers.append(number)
    assert len(set(numbers)) == 300


def test_no_id_number_is_in_the_table_in_clear(tree):
    run(300, 0, seed=7)
    numbers = {decrypt_id_number(token) for token in Volunteer.objects.values_list(
        "id_number_encrypted", flat=True
    )}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM volunteers_volunteer t")
        rows = [row[0] for row in cursor.fetchall()]
    assert len(rows) == 300
    assert [number for number in numbers if any(number in row for row in rows)] == []


def test_phones_are_unique_valid_logins_with_unusable_passwords(tree):
    run(300, 0, seed=7)
    users = list(User.objects.all())
    phones = [user.phone for user in users]
    assert len(set(phones)) == 300
    for user in users:
        validate_mainland_mobile(user.phone)
        assert not user.has_usable_password()
        assert user.is_active
        assert not user.is_staff
        assert not user.is_superuser
        assert user.name == user.volunteer.real_name


def test_skills_availability_and_status_are_filled(tree):
    run(300, 0, seed=7)
    statuses = Counter(Volunteer.objects.values_list("status", flat=True))
    assert statuses[Volunteer.Status.ACTIVE] > 240
    assert set(statuses) <= {"active", "pending", "suspended", "left"}
    assert Volunteer.skills.through.objects.count() > 150
    assert Volunteer.objects.exclude(availability=0).count() > 150
    assert not Volunteer.objects.filter(status="pending", joined_on__isnull=False).exists()
    assert not Volunteer.objects.exclude(status="pending").filter(joined_on__isnull=True).exists()


def test_a_generated_volunteer_is_indistinguishable_from_one_volunteer_create_makes(tree):
    # given: a generated volunteer
    run(20, 0, seed=7)
    generated = Volunteer.objects.order_by("id").first()
    number = decrypt_id_number(generated.id_number_encrypted)
    # when: the service makes the same person again, after the generated row is gone
    Volunteer.skills.through.objects.filter(volunteer=generated).delete()
    Volunteer.objects.filter(pk=generated.pk).delete()
    made = volunteer_create(
        user=generated.user,
        real_name=generated.real_name,
        id_number=number,
        home_center=generated.home_center,
        status=generated.status,
        joined_on=generated.joined_on,
    )
    made.refresh_from_db()
    # then: every column the service writes is the same
    compared = [
        "user_id", "real_name", "id_number_digest", "id_number_first4", "id_number_last4",
        "gender", "birth_date", "home_center_id", "township_id", "county_id", "status",
        "joined_on", "reviewed_by_id", "reviewed_at", "review_reason", "hours", "points",
        "national_number",
    ]  # fmt: skip
    assert {name: getattr(made, name) for name in compared} == {
        name: getattr(generated, name) for name in compared
    }
    assert decrypt_id_number(made.id_number_encrypted) == number


def test_urban_districts_get_more_volunteers_per_village():
    # given: the real Hengyang tree
    call_command("load_divisions", stdout=io.StringIO())
    # when
    run(4000, 0, seed=7)
    # then
    urban = set(Center.objects.filter(code__in=URBAN_COUNTY_CODES).values_list("pk", flat=True))
    villages = Counter(
        "urban" if county in urban else "rural"
        for county in Center.objects.filter(level=Level.VILLAGE).values_list(
            "parent__parent_id", flat=True
        )
    )
    assert villages == {"urban": 256, "rural": 2529}
    volunteers = Counter(
        "urban" if county in urban else "rural"
        for county in Volunteer.objects.values_list("county_id", flat=True)
    )
    # Expected share: 256 * 3 / (256 * 3 + 2529) = 23.3%.
    assert 0.20 < volunteers["urban"] / 4000 < 0.27
    per_urban_village = volunteers["urban"] / villages["urban"]
    per_rural_village = volunteers["rural"] / villages["rural"]
    assert 2.4 < per_urban_village / per_rural_village < 3.6
    # Every county gets volunteers, the development zones included.
    assert Volunteer.objects.values("county").distinct().count() == 14


def test_a_second_run_adds_more_without_collisions(tree):
    run(300, 20, seed=7)
    first_digests = set(Volunteer.objects.values_list("id_number_digest", flat=True))
    # when: the same seed again
    run(300, 5, seed=7)
    # then
    assert Volunteer.objects.count() == 600
    assert User.objects.count() == 600
    assert Team.objects.count() == 25
    assert len(set(Volunteer.objects.values_list("id_number_digest", flat=True))) == 600
    assert first_digests < set(Volunteer.objects.values_list("id_number_digest", flat=True))
    assert len(set(User.objects.values_list("phone", flat=True))) == 600
    # Only one standing team per center, still.
    assert Team.objects.filter(kind=Team.Kind.STANDING).count() == 10


@pytest.mark.parametrize("preload_up_to", [200_000, 0], ids=["in memory", "by query"])
def test_numbers_already_taken_are_skipped_and_made_up_for(tree, monkeypatch, preload_up_to):
    # given: a resident holding the phone number the next run's fifth serial would get
    # (serials start after the accounts already there: here, that one)
    monkeypatch.setattr("bench.synthetic.PRELOAD_TAKEN_UP_TO", preload_up_to)
    resident_register(phone=phone_for(1 + 4), name="张群众", password="Practice#2026")
    # when
    result = generate(volunteers=50, teams=0, seed=7, batch_size=20)
    # then
    assert result.skipped == 1
    assert result.users == 50
    assert Volunteer.objects.count() == 50
    assert User.objects.count() == 51


def test_worker_processes_and_deferred_indexes_give_the_same_result(tree):
    def indexes() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename IN "
                "('accounts_user', 'volunteers_volunteer', 'volunteers_teammembership', "
                "'volunteers_volunteer_skills') ORDER BY indexname"
            )
            return [row[0] for row in cursor.fetchall()]

    before = indexes()
    with connection.cursor() as cursor:
        # The test's own transaction holds the tree's deferred checks; DDL refuses to run
        # over pending ones (the command commits per batch, so it never meets this).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    result = generate(volunteers=70, teams=10, seed=3, batch_size=20, workers=2, defer_indexes=True)
    assert result.users == 70
    assert Volunteer.objects.count() == 70
    assert TeamMembership.objects.count() == result.memberships
    assert indexes() == before
    for volunteer in Volunteer.objects.all():
        assert volunteer.id_number_digest == id_number_digest(
            decrypt_id_number(volunteer.id_number_encrypted)
        )


def test_serials_map_to_distinct_valid_numbers():
    serials = range(0, 20_000)
    phones = {phone_for(serial) for serial in serials}
    numbers = {id_number_for(serial, "430421") for serial in serials}
    assert len(phones) == 20_000
    assert len(numbers) == 20_000
    assert all(MAINLAND_MOBILE.match(phone) for phone in phones)
    for number in list(numbers)[:2000]:
        validate_id_number(number)


def test_every_phone_prefix_is_a_mainland_mobile_prefix():
    assert [p for p in PHONE_PREFIXES if not MAINLAND_MOBILE.match(p + "00000000")] == []


def test_rejects_negative_counts(tree):
    with pytest.raises(CommandError, match="不能为负数"):
        run(-1, 0)
