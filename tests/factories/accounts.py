"""Accounts: residents and cadres, always through accounts.services (they hash the password
and pick the roles, which a raw row would get wrong)."""

from __future__ import annotations

import factory

from accounts.models import User
from accounts.services import resident_register
from practice.models import Center
from practice.services import cadre_create

PASSWORD = "Practice#2026"


class ResidentFactory(factory.Factory):
    """A resident account; ``phone`` and ``name`` follow a sequence unless given."""

    class Meta:
        model = User

    phone = factory.Sequence(lambda n: f"1330000{n:04d}")
    name = factory.Sequence(lambda n: f"群众{n}")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, **fields) -> User:
        return resident_register(**fields)


def make_resident(phone: str, name: str) -> User:
    return ResidentFactory(phone=phone, name=name)


def make_cadre(phone: str, name: str, center: Center) -> User:
    user, _created = cadre_create(phone=phone, name=name, password=PASSWORD, center=center)
    return user
