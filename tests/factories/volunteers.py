"""Volunteers and teams, built through volunteers.services so the identity checks, the
encrypted ID number and the home township are what a real sign-up produces.

``make_volunteer`` is the one builder every test module used to copy: ``number`` makes the
phone (``phone_prefix`` + four digits) and the ID number unique, so tests can pick numbers
that do not collide with each other's fixtures.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import factory

from accounts.models import User
from practice.models import Center
from tests.factories.accounts import ResidentFactory
from volunteers.availability import ALL_SLOTS
from volunteers.identity import compose_id_number
from volunteers.models import Skill, Team, Volunteer
from volunteers.services import (
    team_member_add,
    team_save,
    volunteer_create,
    volunteer_update_insurance,
    volunteer_update_preferences,
)

INSURED_UNTIL = datetime.date(2030, 12, 31)
BORN = datetime.date(1985, 6, 1)


class VolunteerFactory(factory.Factory):
    """A volunteer profile made by the system (``volunteer_create``); pass ``home_center``.

    ``number`` makes the account's phone (``phone_prefix`` + four digits), the name
    (``name_prefix`` + number) and the ID number's sequence; ``skills``, when given, are
    set through ``volunteer_update_preferences`` as the volunteer's own edit would."""

    class Meta:
        model = Volunteer

    class Params:
        number = factory.Sequence(lambda n: 5000 + n)
        region = "430405"
        born = BORN
        phone_prefix = "1350000"
        name_prefix = "志愿者"

    user = factory.LazyAttribute(
        lambda o: ResidentFactory(phone=f"{o.phone_prefix}{o.number:04d}", name=o.real_name)
    )
    real_name = factory.LazyAttribute(lambda o: f"{o.name_prefix}{o.number}")
    id_number = factory.LazyAttribute(lambda o: compose_id_number(o.region, o.born, o.number))
    status = Volunteer.Status.ACTIVE

    @classmethod
    def _create(cls, model_class, **fields) -> Volunteer:
        return volunteer_create(**fields)

    @factory.post_generation
    def skills(volunteer: Volunteer, create: bool, extracted: Iterable[Skill] | None, **_kw):
        if create and extracted:
            volunteer_update_preferences(
                volunteer=volunteer,
                skills=extracted,
                platforms=volunteer.platforms,
                availability=volunteer.availability,
            )


def make_volunteers(numbers: Iterable[int], center: Center, **fields: object) -> list[Volunteer]:
    """One volunteer of ``center`` per number of ``numbers`` (their phones, names and ID
    numbers follow it); ``fields`` are VolunteerFactory's (``phone_prefix``,
    ``name_prefix``, ``born``, ``skills``, ...). The many rows a list or a batch test needs."""
    return [VolunteerFactory(number=number, home_center=center, **fields) for number in numbers]


def make_volunteer(
    number: int,
    center: Center,
    *,
    name: str | None = None,
    status: str = Volunteer.Status.ACTIVE,
    phone_prefix: str = "1350000",
    region: str = "430405",
    born: datetime.date = BORN,
) -> Volunteer:
    """A volunteer of ``center`` with phone ``phone_prefix + number`` and a synthetic ID."""
    name = name or f"志愿者{number}"
    user = ResidentFactory(phone=f"{phone_prefix}{number:04d}", name=name)
    return VolunteerFactory(
        user=user,
        real_name=name,
        home_center=center,
        status=status,
        number=number,
        region=region,
        born=born,
    )


def make_member(number: int, center: Center, status: str = Volunteer.Status.ACTIVE) -> Volunteer:
    """A team member (队员) with the 1360000 phones the team tests keep apart from the
    ``make_volunteer`` ones."""
    return make_volunteer(
        number,
        center,
        name=f"队员{number}",
        status=status,
        phone_prefix="1360000",
        born=datetime.date(1980, 1, 1),
    )


def make_dispatchable(
    volunteer: Volunteer,
    *,
    cadre: User,
    insured_until: datetime.date | None = INSURED_UNTIL,
    availability: int = ALL_SLOTS,
    skills: Iterable[Skill] = (),
    insurance_number: str | None = None,
) -> Volunteer:
    """Free all week (unless told) and insured, as dispatch wants."""
    volunteer_update_preferences(
        volunteer=volunteer, skills=skills, platforms=[], availability=availability
    )
    if insured_until is not None:
        volunteer = volunteer_update_insurance(
            actor=cadre,
            volunteer=volunteer,
            insurer="中国人寿",
            insurance_number=insurance_number or f"P{volunteer.pk:06d}",
            valid_until=insured_until,
        )
    return volunteer


def make_team(
    center: Center,
    actor,
    members: Iterable[Volunteer] = (),
    name: str = "志愿服务小队",
    kind: str = Team.Kind.STANDING,
) -> Team:
    team = team_save(actor=None, team=Team(center=center, kind=kind, name=name))
    for volunteer in members:
        team_member_add(actor=actor, team=team, volunteer=volunteer)
    return team
