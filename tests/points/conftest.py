"""Points fixtures: the service menu, the persona volunteer, and the rules a test sets."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from practice.catalogue import service_menu_install
from practice.models import Service
from volunteers.models import Volunteer


@pytest.fixture
def menu(tree) -> SimpleNamespace:
    service_menu_install(city=tree.city)
    by_name = {service.name: service for service in Service.objects.filter(center=tree.city)}
    return SimpleNamespace(errand=by_name["买菜送药"], clinic=by_name["健康义诊"])


@pytest.fixture
def volunteer(people) -> Volunteer:
    return Volunteer.objects.get(user=people.volunteer)


def balances(volunteer: Volunteer) -> tuple[Decimal, int]:
    fresh = Volunteer.objects.get(pk=volunteer.pk)
    return fresh.hours, fresh.points
