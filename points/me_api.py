"""``/api/v1/me/`` with the figures points decides: the star level in force, from the
certifications (points.selectors.stars.current_star_level); the volunteer row keeps no copy.
volunteers.me_api builds the rest; this layer sits above it (docs/layers.md)."""

from __future__ import annotations

from points.selectors.stars import current_star_level
from volunteers.me_api import MeApi as VolunteersMeApi
from volunteers.models import Volunteer


class MeApi(VolunteersMeApi):
    def volunteer_figures(self, volunteer: Volunteer) -> dict[str, object]:
        figures = super().volunteer_figures(volunteer)
        figures["stars"] = current_star_level(volunteer)
        return figures
