"""Every city-scale list of people says, under its search box, how its search finds a person
(practice.admin_lists sets it on the class from the list's PersonSearch)."""

from __future__ import annotations

import pytest
from django.contrib import admin

from accounts.models import User
from accounts.search import NAME_HELP, SEARCH_HELP
from points.models import HoursEntry
from practice.models import CadreRole, Service
from volunteers.models import RosterInvitation, TeamMembership, Volunteer


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (User, SEARCH_HELP),
        (Volunteer, SEARCH_HELP),
        (CadreRole, SEARCH_HELP),
        (TeamMembership, SEARCH_HELP),
        (HoursEntry, SEARCH_HELP),
        # An invitation has no account yet: it is found by its name only.
        (RosterInvitation, NAME_HELP),
    ],
)
def test_a_list_of_people_explains_its_search(model: type, expected: object) -> None:
    # given the list's admin on the portal's site / when its help text is read
    help_text = admin.site._registry[model].search_help_text

    # then it is the person search's, in words
    assert str(help_text) == str(expected)


def test_a_list_without_a_person_search_keeps_django_s_search_and_no_help() -> None:
    assert admin.site._registry[Service].search_help_text is None
