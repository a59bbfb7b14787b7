"""The county → township → village choice of the public forms (applying to volunteer,
placing an order), one step per GET so that it works without JavaScript: the ids chosen so
far live in the query string, and each step offers only the active centers inside the one
chosen before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet

from practice.models import Center, Level


@dataclass(frozen=True)
class AreaChoice:
    counties: QuerySet[Center]
    county: Center | None
    townships: QuerySet[Center]
    township: Center | None
    # Every active village-level center under the chosen township, bases under a village
    # included (both services accept them as a home or a place of service).
    villages: QuerySet[Center]

    def chosen_query(self, **leading: Any) -> str:
        """The query string that brings the page back to this step, after ``leading``
        (e.g. the service being ordered): where a form posts, so that a refusal shows the
        same village list again."""
        chosen = {"county": self.county, "township": self.township}
        return urlencode(
            {**leading, **{name: center.pk for name, center in chosen.items() if center}}
        )

    def as_context(self) -> dict[str, Any]:
        """The template context of templates/practice/_area_choice.html."""
        return {
            "counties": self.counties,
            "county": self.county,
            "townships": self.townships,
            "township": self.township,
            "villages": self.villages,
        }


def _parse_id(raw: str | None) -> int | None:
    """A positive id from the query string, or None for anything else. ASCII digits only:
    ``str.isdigit`` also says yes to "²", which ``int`` then refuses (a 500)."""
    if not raw or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw) or None


def area_choice(query: Mapping[str, str], *, previous: Center | None = None) -> AreaChoice:
    """The choices and what is chosen, from the ``county`` and ``township`` ids in
    ``query``. When the query names neither, the cascade starts from the county and
    township above ``previous`` (the person's last village), if it is still active there.
    An id that is not an active center under the step before is ignored, never an error.
    """
    active = Center.objects.filter(is_active=True).order_by("code")
    counties = active.filter(level=Level.COUNTY)
    county_id, township_id = _parse_id(query.get("county")), _parse_id(query.get("township"))
    if "county" not in query and "township" not in query and previous is not None:
        county_id, township_id = _ancestors_of(previous)
    county = counties.filter(pk=county_id).first() if county_id else None
    townships = active.filter(level=Level.TOWNSHIP, parent=county) if county else active.none()
    township = townships.filter(pk=township_id).first() if township_id else None
    if township is not None:
        villages = active.filter(
            level=Level.VILLAGE,
            tree_id=township.tree_id,
            lft__gt=township.lft,
            rght__lt=township.rght,
        )
    else:
        villages = active.none()
    return AreaChoice(counties, county, townships, township, villages)


def _ancestors_of(center: Center) -> tuple[int | None, int | None]:
    """The ids of the county and the township containing ``center``, in one query."""
    above = dict(
        Center.objects.filter(
            tree_id=center.tree_id,
            lft__lt=center.lft,
            rght__gt=center.rght,
            level__in=(Level.COUNTY, Level.TOWNSHIP),
        ).values_list("level", "pk")
    )
    return above.get(Level.COUNTY), above.get(Level.TOWNSHIP)
